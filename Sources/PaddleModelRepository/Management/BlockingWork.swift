import Dispatch

/// Blocking work (hashing, link checks, loading models) moved off Swift's cooperative threads.
package enum BlockingWork {
    /// Runs `body` on a Dispatch thread and resumes with its result, so that no cooperative thread blocks.
    package static func offload<R: Sendable>(_ body: @escaping @Sendable () throws -> R) async throws -> R {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
