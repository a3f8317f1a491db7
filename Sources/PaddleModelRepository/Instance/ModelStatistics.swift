import Foundation
import KServeProtocol
import Synchronization

/// Triton-shaped inference statistics of one model version (`GET /v2/models/{m}/stats`).
///
/// Thread-safe: every update takes one lock.
public final class ModelStatistics: Sendable {
    /// A count and a total duration in nanoseconds.
    public struct Tally: Sendable, Equatable {
        /// How many.
        public var count: Int = 0
        /// Their total duration in nanoseconds.
        public var nanoseconds: Int64 = 0

        /// A tally of `count` taking `nanoseconds` in all.
        public init(count: Int = 0, nanoseconds: Int64 = 0) {
            self.count = count
            self.nanoseconds = nanoseconds
        }

        mutating func add(_ duration: Duration) {
            count += 1
            nanoseconds += duration.nanoseconds
        }
    }

    /// The statistics of engine runs of one batch size.
    public struct BatchTally: Sendable, Equatable {
        /// Time spent decoding and preparing the batch's inputs.
        public var computeInput = Tally()
        /// Time spent in the engine.
        public var computeInfer = Tally()
        /// Time spent collecting and encoding the outputs.
        public var computeOutput = Tally()
    }

    /// A copy of every counter.
    public struct Snapshot: Sendable, Equatable {
        /// When the last inference ended, in milliseconds since 1970.
        public var lastInferenceMilliseconds: Int64 = 0
        /// Requests that succeeded.
        public var inferenceCount = 0
        /// Engine runs (a dynamic batch of several requests counts once).
        public var executionCount = 0
        /// Requests that succeeded, with their total duration.
        public var success = Tally()
        /// Requests that failed, with their total duration.
        public var fail = Tally()
        /// Time spent waiting for a predictor.
        public var queue = Tally()
        /// Time spent decoding and preparing inputs.
        public var computeInput = Tally()
        /// Time spent in the engine.
        public var computeInfer = Tally()
        /// Time spent collecting and encoding outputs.
        public var computeOutput = Tally()
        /// Per batch size: the time of each stage.
        public var batches: [Int: BatchTally] = [:]
    }

    private let state = Mutex(Snapshot())

    /// Empty statistics.
    public init() {}

    /// The counters now.
    public var snapshot: Snapshot { state.withLock { $0 } }

    /// Records one request that succeeded.
    func recordSuccess(total: Duration, queue: Duration, input: Duration, infer: Duration, output: Duration) {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        state.withLock {
            $0.success.add(total)
            $0.queue.add(queue)
            $0.computeInput.add(input)
            $0.computeInfer.add(infer)
            $0.computeOutput.add(output)
            $0.inferenceCount += 1
            $0.lastInferenceMilliseconds = now
        }
    }

    /// Records one request that failed.
    func recordFailure(total: Duration) {
        state.withLock { $0.fail.add(total) }
    }

    /// Records one engine run of `batchSize` requests' worth of inputs.
    func recordExecution(batchSize: Int, infer: Duration) {
        state.withLock {
            $0.executionCount += 1
            $0.batches[batchSize, default: BatchTally()].computeInfer.add(infer)
        }
    }
}

extension Duration {
    /// The whole duration in nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled &+ attoseconds / 1_000_000_000
    }
}
