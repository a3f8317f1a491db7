import KServeProtocol
import Synchronization

/// One on-demand load that every request arriving while it runs waits for, each up to its own deadline.
///
/// The load runs once (``ModelManager`` starts it for the first request and hands the same value to the next
/// ones); ``finish(_:)`` wakes every waiter with its result. A waiter whose deadline passes first gets `nil` and
/// leaves the load running for the others (and for the next request, which then finds the model loaded).
///
/// Thread-safe: one lock, never held across an `await`.
final class SharedLoad: Sendable {
    private struct State {
        var result: Result<Void, ServingError>?
        var waiters: [UInt64: CheckedContinuation<Result<Void, ServingError>?, Never>] = [:]
        var nextID: UInt64 = 0
        /// Waiters whose deadline passed before they were registered.
        var expired: Set<UInt64> = []
    }

    private let state = Mutex(State())

    /// Records the load's result and wakes every waiter with it.
    func finish(_ result: Result<Void, ServingError>) {
        let waiters = state.withLock { state in
            state.result = result
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    /// Waits for the load's result, or `nil` once `timeout` has passed.
    func wait(timeout: Duration) async -> Result<Void, ServingError>? {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            let waiter = state.withLock { state in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.expired.insert(id)
                    return nil as CheckedContinuation<Result<Void, ServingError>?, Never>?
                }
                return waiter
            }
            waiter?.resume(returning: nil)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let result = state.withLock { state -> Result<Void, ServingError>?? in
                if let result = state.result { return .some(result) }
                if state.expired.remove(id) != nil { return .some(nil) }
                state.waiters[id] = continuation
                return .none
            }
            if case .some(let result) = result { continuation.resume(returning: result) }
        }
    }
}
