import Foundation
import Synchronization

/// A joinable OS thread for a pool worker.
///
/// Foundation's `Thread` is detached: nobody can wait for its end, and its end includes the thread-local destructors
/// of the engine's libraries (oneDNN, OpenMP, phi). A pool that returned from shutdown while those still ran let the
/// process reach `exit()` beside them, and the engine's static destructors then aborted the process (issue 17). A
/// ``PredictorPool`` joins its workers before its shutdown returns.
final class WorkerThread: Sendable {
    private let id: pthread_t
    private let joined = Atomic<Bool>(false)

    /// Starts `body` on a new thread named `name` (the kernel keeps the first 15 bytes).
    init(name: String, stackSize: Int = 8 << 20, _ body: @escaping @Sendable () -> Void) {
        let start = Unmanaged.passRetained(ThreadStart(name: name, body: body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { raw in
            let start = Unmanaged<ThreadStart>.fromOpaque(raw!).takeRetainedValue()
            Thread.current.name = start.name  // Foundation applies it to the current pthread (15 bytes kept)
            start.body()
            return nil
        }, start)
        precondition(result == 0, "cannot start thread \(name): pthread_create returned \(result)")
        id = thread
    }

    /// Waits until the thread has ended, its thread-local destructors included. Blocks the caller: call it from a
    /// thread of its own, never from Swift's cooperative pool. Only the first call joins; later ones return at once.
    func join() {
        guard !joined.exchange(true, ordering: .acquiringAndReleasing) else { return }
        pthread_join(id, nil)
    }
}

/// What a new thread runs; handed over as a retained pointer and released by the thread.
private final class ThreadStart: @unchecked Sendable {
    let name: String
    let body: @Sendable () -> Void

    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}
