/// One call submitted to a ``PredictorPool``: it waits in the queue, runs once on a pool thread, or is failed
/// without running (cancelled, timed out, refused).
///
/// `@unchecked Sendable`: ``phase`` and ``timer`` are read and written only while holding the lock of the
/// owning `PoolCore`'s state. The phase decides who resumes the caller: whoever moves it out of `.created` or
/// `.queued` owns the job, so the continuation is resumed exactly once. ``deadline`` is immutable.
class PoolJob: @unchecked Sendable {
    enum Phase {
        /// Made, not yet handed to the pool.
        case created
        /// Waiting in the queue.
        case queued
        /// Taken by a pool thread.
        case running
        /// Failed without running (cancelled, timed out or refused).
        case finished
    }

    /// Guarded by the pool's lock.
    var phase: Phase = .created
    /// Guarded by the pool's lock: the task that expires the job at its deadline while it is queued.
    var timer: Task<Void, Never>?
    /// The latest time the job may start.
    let deadline: ContinuousClock.Instant?

    init(deadline: ContinuousClock.Instant?) {
        self.deadline = deadline
    }

    /// Runs the work on the calling pool thread and keeps the outcome; returns whether it succeeded.
    /// Called once, by the thread that moved the phase to `.running`.
    func perform(on predictor: Predictor) -> Bool { fatalError("abstract") }

    /// Resumes the caller with the outcome kept by ``perform(on:)``.
    func deliver() { fatalError("abstract") }

    /// Resumes the caller with `error`. Called once, by whoever moved the phase to `.finished`.
    func fail(_ error: PaddleError) { fatalError("abstract") }
}

/// A ``PoolJob`` whose work returns `Result`.
///
/// `@unchecked Sendable` (inherited): ``continuation`` is set once by the submitting task before the job is
/// handed to the pool (and so before any other thread can see it); ``outcome`` is written and read only by the
/// one pool thread that runs the job.
final class PoolCall<Result: Sendable>: PoolJob, @unchecked Sendable {
    private let body: @Sendable (Predictor) throws -> Result
    var continuation: CheckedContinuation<Result, any Error>?
    private var outcome: Swift.Result<Result, any Error>?

    init(deadline: ContinuousClock.Instant?, body: @escaping @Sendable (Predictor) throws -> Result) {
        self.body = body
        super.init(deadline: deadline)
    }

    override func perform(on predictor: Predictor) -> Bool {
        do {
            outcome = .success(try body(predictor))
            return true
        } catch {
            outcome = .failure(error)
            return false
        }
    }

    override func deliver() {
        guard let continuation, let outcome else { preconditionFailure("a pool job was delivered twice") }
        self.continuation = nil
        self.outcome = nil
        continuation.resume(with: outcome)
    }

    override func fail(_ error: PaddleError) {
        guard let continuation else { preconditionFailure("a pool job was failed twice") }
        self.continuation = nil
        continuation.resume(throwing: error)
    }
}

/// A ``PoolJob`` that nobody awaits: its body does its own delivery (``PredictorPool/enqueue(deadline:_:onFailure:)``).
///
/// `@unchecked Sendable` (inherited): both closures are immutable and `Sendable`; ``perform(on:)`` runs once, on the
/// pool thread that took the job, and ``fail(_:)`` at most once, by whoever refused or expired it.
final class PoolCallback: PoolJob, @unchecked Sendable {
    private let body: @Sendable (Predictor) -> Void
    private let onFailure: @Sendable (PaddleError) -> Void

    init(
        deadline: ContinuousClock.Instant?, body: @escaping @Sendable (Predictor) -> Void,
        onFailure: @escaping @Sendable (PaddleError) -> Void
    ) {
        self.body = body
        self.onFailure = onFailure
        super.init(deadline: deadline)
    }

    override func perform(on predictor: Predictor) -> Bool {
        body(predictor)
        return true
    }

    override func deliver() {}

    override func fail(_ error: PaddleError) {
        onFailure(error)
    }
}
