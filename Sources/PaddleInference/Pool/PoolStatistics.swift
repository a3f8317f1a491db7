/// A snapshot of a ``PredictorPool``'s load and counters.
///
/// Counters start at zero when the pool is created and only grow.
public struct PoolStatistics: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Predictors (and threads) in the pool.
    public var size: Int
    /// Predictors running a call right now.
    public var busy: Int
    /// Calls waiting in the queue for a predictor.
    public var queued: Int
    /// Calls whose work finished without an error.
    public var completed: Int
    /// Calls whose work ran and threw (for example an engine failure or a shape mismatch found by the engine).
    public var failed: Int
    /// Calls refused without running: the queue was full (``PaddleError/Code/overloaded``) or the pool was
    /// shutting down (``PaddleError/Code/shutdown``).
    public var rejected: Int
    /// Calls whose task was cancelled while they waited (they never ran).
    public var cancelled: Int
    /// Calls whose deadline passed while they waited (they never ran).
    public var timedOut: Int

    /// Creates a snapshot; every counter not given is zero.
    public init(
        size: Int, busy: Int = 0, queued: Int = 0, completed: Int = 0, failed: Int = 0, rejected: Int = 0,
        cancelled: Int = 0, timedOut: Int = 0
    ) {
        self.size = size
        self.busy = busy
        self.queued = queued
        self.completed = completed
        self.failed = failed
        self.rejected = rejected
        self.cancelled = cancelled
        self.timedOut = timedOut
    }

    /// One line with every figure, for logs.
    public var description: String {
        "size \(size), busy \(busy), queued \(queued), completed \(completed), failed \(failed), "
            + "rejected \(rejected), cancelled \(cancelled), timed out \(timedOut)"
    }
}
