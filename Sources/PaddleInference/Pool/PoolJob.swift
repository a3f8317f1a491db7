/// What a pool job does: run on a predictor, then hand its outcome to whoever waits, or fail without running.
protocol PoolWork: AnyObject, Sendable {
    /// Runs the work on the calling pool thread and keeps the outcome; returns whether it succeeded.
    func perform(on predictor: Predictor) -> Bool
    /// Resumes the caller with the outcome kept by ``perform(on:)``.
    func deliver()
    /// Resumes the caller with `error` (the work never ran).
    func fail(_ error: PaddleError)
}

/// One call submitted to a ``PredictorPool``: it waits in the queue, runs once on a pool thread, or is failed
/// without running (cancelled, timed out, refused). What it does is its ``work``.
///
/// `@unchecked Sendable`: ``phase`` and ``timer`` are read and written only while holding the lock of the
/// owning `PoolCore`'s state. The phase decides who resumes the caller: whoever moves it out of `.created` or
/// `.queued` owns the job, so the caller is resumed exactly once. ``deadline`` and ``work`` are immutable.
final class PoolJob: @unchecked Sendable {
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
    /// Where the job stands in the queue, earlier first: when its request started (``PredictorPool/requestStart``)
    /// if the caller named one, else set to the time it is queued. Guarded by the pool's lock once submitted.
    var queueKey: ContinuousClock.Instant?

    /// What the job does.
    let work: any PoolWork

    init(deadline: ContinuousClock.Instant?, work: any PoolWork, requestStart: ContinuousClock.Instant? = nil) {
        self.deadline = deadline
        self.work = work
        self.queueKey = requestStart
    }

    /// Runs the work on the calling pool thread; returns whether it succeeded. Called once, by the thread that
    /// moved the phase to `.running`.
    func perform(on predictor: Predictor) -> Bool { work.perform(on: predictor) }

    /// Resumes the caller with the outcome kept by ``perform(on:)``.
    func deliver() { work.deliver() }

    /// Resumes the caller with `error`. Called once, by whoever moved the phase to `.finished`.
    func fail(_ error: PaddleError) { work.fail(error) }
}

/// Work whose result a task awaits (``PredictorPool/withPredictor(deadline:_:)``).
///
/// `@unchecked Sendable`: ``continuation`` is set once by the submitting task before the job is
/// handed to the pool (and so before any other thread can see it); ``outcome`` is written and read only by the
/// one pool thread that runs the job.
final class PoolCall<Result: Sendable>: PoolWork, @unchecked Sendable {
    private let body: @Sendable (Predictor) throws -> Result
    var continuation: CheckedContinuation<Result, any Error>?
    private var outcome: Swift.Result<Result, any Error>?

    init(body: @escaping @Sendable (Predictor) throws -> Result) {
        self.body = body
    }

    func perform(on predictor: Predictor) -> Bool {
        do {
            outcome = .success(try body(predictor))
            return true
        } catch {
            outcome = .failure(error)
            return false
        }
    }

    func deliver() {
        guard let continuation, let outcome else { preconditionFailure("a pool job was delivered twice") }
        self.continuation = nil
        self.outcome = nil
        continuation.resume(with: outcome)
    }

    func fail(_ error: PaddleError) {
        guard let continuation else { preconditionFailure("a pool job was failed twice") }
        self.continuation = nil
        continuation.resume(throwing: error)
    }
}

/// Work that nobody awaits: its body does its own delivery (``PredictorPool/enqueue(deadline:_:onFailure:)``).
///
/// `@unchecked Sendable`: both closures are immutable and `Sendable`; ``perform(on:)`` runs once, on the
/// pool thread that took the job, and ``fail(_:)`` at most once, by whoever refused or expired it.
final class PoolCallback: PoolWork, @unchecked Sendable {
    private let body: @Sendable (Predictor) -> Void
    private let onFailure: @Sendable (PaddleError) -> Void

    init(body: @escaping @Sendable (Predictor) -> Void, onFailure: @escaping @Sendable (PaddleError) -> Void) {
        self.body = body
        self.onFailure = onFailure
    }

    func perform(on predictor: Predictor) -> Bool {
        body(predictor)
        return true
    }

    func deliver() {}

    func fail(_ error: PaddleError) {
        onFailure(error)
    }
}
