import KServeProtocol
import Synchronization

/// The loaded versions of one model, swapped atomically and released only once no request uses them.
///
/// Each request takes a ``ModelLease`` (``lease(version:stickyKey:)``), which names the version chosen for it
/// and keeps that version's instance alive until the lease is released. Installing a new instance of a version
/// (``install(version:instance:)``) makes new requests use it at once; the old instance is released (by the
/// `release` closure, for example `pool.shutdown()`) only after the last lease on it ends, so in-flight requests
/// always finish on the instance they started on. ``unload(version:)`` stops new leases, waits the same way, and
/// marks the version unloaded. A failed reload of a serving version keeps the old instance serving and records
/// why (``VersionStatus/reason``).
///
/// ```swift
/// let model = VersionedModel<ModelInstance>(name: "cls", routing: settings.routing ?? .init()) { await $0.pool.shutdown() }
/// model.beginLoading(version: 3)
/// await model.install(version: 3, instance: loaded)
/// let lease = try model.lease(version: nil, stickyKey: request.headers["x-user-id"])
/// defer { lease.release() }
/// let response = try await lease.instance.infer(request)     // response.model_version = lease.version
/// ```
///
/// Thread-safe: every state change takes one lock; nothing is awaited while it is held.
public final class VersionedModel<Instance: Sendable>: Sendable {
    /// One version's row of the repository index.
    public struct VersionStatus: Sendable, Equatable {
        /// The version number.
        public var version: Int
        /// Where the version is in its life.
        public var state: ModelState
        /// Why the version is not ready, or why its last reload failed while the previous load keeps serving.
        public var reason: String
        /// Requests in flight on the version's serving instance.
        public var inFlight: Int
    }

    private struct Slot {
        var state: ModelState
        var current: UInt64?
        var note: String = ""
    }

    private struct Generation {
        let instance: Instance
        let version: Int
        var leases = 0
        var retired = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private struct State {
        var slots: [Int: Slot] = [:]
        var generations: [UInt64: Generation] = [:]
        var nextID: UInt64 = 1
        var router: VersionRouter
    }

    /// The model's name.
    public let name: String
    private let releaseInstance: @Sendable (Instance) async -> Void
    private let state: Mutex<State>

    /// A model with no version loaded yet.
    ///
    /// - Parameters:
    ///   - name: The model's name (for messages).
    ///   - routing: How unpinned requests are spread over versions.
    ///   - release: Frees an instance once no request uses it (for example `{ await $0.pool.shutdown() }`).
    public init(
        name: String, routing: VersionRouting = VersionRouting(), release: @escaping @Sendable (Instance) async -> Void
    ) {
        self.name = name
        self.releaseInstance = release
        self.state = Mutex(State(router: VersionRouter(routing: routing)))
    }

    // MARK: Routing

    /// The routing in force.
    public var routing: VersionRouting { state.withLock { $0.router.routing } }

    /// Replaces the routing in place: the next request uses it; nothing is reloaded.
    public func updateRouting(_ routing: VersionRouting) {
        state.withLock { $0.router = VersionRouter(routing: routing) }
    }

    /// Takes a lease on the version for one request.
    ///
    /// - Parameters:
    ///   - version: The pinned version (from `/versions/{v}` or `x-model-version`), or `nil` to route.
    ///   - stickyKey: The value of the routing's sticky header in the request, if any.
    /// - Throws: `ServingError` 404 when the model or the pinned version is unknown, 503 when it is not ready.
    public func lease(version: Int? = nil, stickyKey: String? = nil) throws(ServingError) -> ModelLease<Instance> {
        var generator = SystemRandomNumberGenerator()
        return try lease(version: version, stickyKey: stickyKey, using: &generator)
    }

    /// ``lease(version:stickyKey:)`` with a given random source for the weighted choice.
    public func lease(
        version: Int?, stickyKey: String?, using generator: inout some RandomNumberGenerator
    ) throws(ServingError) -> ModelLease<Instance> {
        let name = self.name
        let taken = state.withLock { state -> Result<(UInt64, Instance, Int, RouteReason), ServingError> in
            let chosen: (Int, RouteReason)
            if let version {
                guard let slot = state.slots[version] else {
                    return .failure(.notFound("model '\(name)' has no version \(version)"))
                }
                guard slot.current != nil else {
                    return .failure(
                        .unavailable("model '\(name)' version \(version) is not ready (\(slot.state.tritonName))"))
                }
                chosen = (version, .pinned)
            } else {
                guard !state.slots.isEmpty else { return .failure(.notFound("unknown model '\(name)'")) }
                let ready = state.slots.filter { $0.value.current != nil }.keys
                guard let route = state.router.choose(among: ready, stickyKey: stickyKey, using: &generator) else {
                    return .failure(.unavailable("model '\(name)' is not ready"))
                }
                chosen = route
            }
            let id = state.slots[chosen.0]!.current!
            state.generations[id]!.leases += 1
            return .success((id, state.generations[id]!.instance, chosen.0, chosen.1))
        }
        let (id, instance, chosenVersion, reason) = try taken.get()
        return ModelLease(instance: instance, version: chosenVersion, reason: reason) { [self] in endLease(id) }
    }

    /// Runs `body` with a lease, releasing it however `body` ends.
    public func withLease<R: Sendable>(
        version: Int? = nil, stickyKey: String? = nil, _ body: (ModelLease<Instance>) async throws -> R
    ) async throws -> R {
        let lease = try lease(version: version, stickyKey: stickyKey)
        defer { lease.release() }
        return try await body(lease)
    }

    private func endLease(_ id: UInt64) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard var generation = state.generations[id] else { return [] }
            generation.leases -= 1
            guard generation.retired, generation.leases == 0 else {
                state.generations[id] = generation
                return []
            }
            state.generations[id] = nil
            return generation.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Lifecycle

    /// Records that `version` is being loaded. A version already serving stays ready (and keeps serving).
    public func beginLoading(version: Int) {
        state.withLock { state in
            var slot = state.slots[version] ?? Slot(state: .loading)
            if slot.current == nil { slot.state = .loading }
            slot.note = slot.current == nil ? "" : "reloading"
            state.slots[version] = slot
        }
    }

    /// Makes `instance` serve `version` from the next request on, then waits until the instance it replaces has
    /// no request in flight and releases it.
    public func install(version: Int, instance: Instance) async {
        let old = state.withLock { state -> (UInt64, Instance)? in
            let id = state.nextID
            state.nextID += 1
            state.generations[id] = Generation(instance: instance, version: version)
            let old = state.slots[version]?.current
            state.slots[version] = Slot(state: .ready, current: id)
            guard let old else { return nil }
            state.generations[old]!.retired = true
            return (old, state.generations[old]!.instance)
        }
        if let (id, instance) = old { await drainAndRelease(id, instance) }
    }

    /// Records a failed load of `version`. When a previous load of it is serving, that load keeps serving and
    /// the reason is kept as a note; otherwise the version is failed.
    public func fail(version: Int, reason: String) {
        state.withLock { state in
            var slot = state.slots[version] ?? Slot(state: .failed(reason: reason))
            if slot.current == nil {
                slot.state = .failed(reason: reason)
                slot.note = reason
            } else {
                slot.note = "the last reload failed (\(reason)); the previous load keeps serving"
            }
            state.slots[version] = slot
        }
    }

    /// Stops new requests on `version`, waits for those in flight, releases its instance and marks it unloaded.
    /// Does nothing for an unknown version.
    public func unload(version: Int) async {
        let (known, old) = state.withLock { state -> (Bool, (UInt64, Instance)?) in
            guard var slot = state.slots[version] else { return (false, nil) }
            let old = slot.current
            slot.current = nil
            slot.state = .unloading
            slot.note = ""
            state.slots[version] = slot
            guard let old else { return (true, nil) }
            state.generations[old]!.retired = true
            return (true, (old, state.generations[old]!.instance))
        }
        guard known else { return }
        if let (id, instance) = old { await drainAndRelease(id, instance) }
        state.withLock { state in
            // A load that started meanwhile owns the slot now.
            if state.slots[version]?.state == .unloading { state.slots[version] = Slot(state: .unloaded) }
        }
    }

    /// Unloads every version (at shutdown, or when the model leaves the repository).
    public func unloadAll() async {
        for version in state.withLock({ Array($0.slots.keys) }).sorted() { await unload(version: version) }
    }

    /// Forgets an unloaded or failed version entirely (it leaves the index). A serving version is not removed.
    public func forget(version: Int) {
        state.withLock { state in
            if let slot = state.slots[version], slot.current == nil, slot.state != .unloading {
                state.slots[version] = nil
            }
        }
    }

    /// Waits until generation `id` (already retired) has no lease, then releases `instance`.
    private func drainAndRelease(_ id: UInt64, _ instance: Instance) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let drained = state.withLock { state -> Bool in
                guard let generation = state.generations[id] else { return true }
                if generation.leases == 0 {
                    state.generations[id] = nil
                    return true
                }
                state.generations[id]!.waiters.append(continuation)
                return false
            }
            if drained { continuation.resume() }
        }
        await releaseInstance(instance)
    }

    // MARK: Status

    /// Every version's state, ascending.
    public func status() -> [VersionStatus] {
        state.withLock { state in
            state.slots.map { version, slot in
                VersionStatus(
                    version: version, state: slot.state, reason: slot.note.isEmpty ? slot.state.reason : slot.note,
                    inFlight: slot.current.flatMap { state.generations[$0]?.leases } ?? 0)
            }.sorted { $0.version < $1.version }
        }
    }

    /// The versions that can take requests now, ascending.
    public var readyVersions: [Int] {
        state.withLock { state in state.slots.filter { $0.value.current != nil }.keys.sorted() }
    }

    /// Whether `version` (or any version when `nil`) can take requests now.
    public func isReady(version: Int? = nil) -> Bool {
        state.withLock { state in
            if let version { return state.slots[version]?.current != nil }
            return state.slots.values.contains { $0.current != nil }
        }
    }

    /// The serving instance of `version`, without a lease (for metadata; do not run requests on it).
    public func peek(version: Int) -> Instance? {
        state.withLock { state in state.slots[version]?.current.flatMap { state.generations[$0]?.instance } }
    }

    /// Instances replaced or unloaded that still have requests in flight.
    public var draining: Int { state.withLock { state in state.generations.values.filter(\.retired).count } }
}

/// One request's hold on a model version: the instance to run on, and the version to report.
///
/// Release it exactly once when the response is done (``release()`` is idempotent, and the lease releases itself
/// when freed as a safety net). Thread-safe.
public final class ModelLease<Instance: Sendable>: Sendable {
    /// The instance to run the request on.
    public let instance: Instance
    /// The version chosen (for the response's `model_version`, logs and metrics).
    public let version: Int
    /// Why this version was chosen.
    public let reason: RouteReason
    private let onRelease: Mutex<(@Sendable () -> Void)?>

    init(instance: Instance, version: Int, reason: RouteReason, onRelease: @escaping @Sendable () -> Void) {
        self.instance = instance
        self.version = version
        self.reason = reason
        self.onRelease = Mutex(onRelease)
    }

    /// Ends the lease: the version may be released once no other lease holds it.
    public func release() {
        let action = onRelease.withLock { action -> (@Sendable () -> Void)? in
            defer { action = nil }
            return action
        }
        action?()
    }

    deinit { release() }
}
