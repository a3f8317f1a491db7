import KServeProtocol


/// Runs async operations one at a time, in arrival order (model loads and unloads of a ``ModelManager``).
actor AsyncSerialQueue {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Runs `body` once every earlier operation has finished.
    func run<R: Sendable>(_ body: @Sendable () async -> R) async -> R {
        await acquire()
        let result = await body()
        release()
        return result
    }

    private func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
