import DequeModule
import KServeProtocol
import PaddleInference
import Synchronization

/// Merges concurrent requests of batchable shape into one engine run and splits the results back.
///
/// A request is batchable when every input has rank >= 1 and the same dimension 0 (its batch size), at most the
/// model's maximum batch size. Requests whose inputs agree on names, types and the dimensions after the first form
/// a group. Batches are formed when a predictor takes them, not before (as Triton's dynamic batcher does), so a
/// batch holds everything that arrived while the predictors were busy:
///
/// - when every predictor is busy, or the group reaches the largest preferred batch size (or the maximum), a
///   drain job goes to the pool at once; it waits in the pool's queue, and when a predictor takes it, it takes up
///   to the maximum batch size of the group's requests;
/// - otherwise (a predictor is free but the batch is small) the group waits at most `maxQueueDelay` for more.
///
/// At most one drain job per group waits in the pool at a time. The drain job runs on the pool thread, merges the
/// inputs, runs the model once and resumes each request with its rows of the outputs, with no task or actor hop
/// per batch. Outputs whose dimension 0 is not the merged batch cannot be split: those requests are then run one
/// by one on the same predictor. A request whose deadline passes before its batch runs fails with `.timedOut`.
final class DynamicBatcher: Sendable {
    struct Result: Sendable {
        var outputs: [String: Tensor]
        var queue: Duration
        var infer: Duration
        var batchSize: Int
    }

    private struct Pending: Sendable {
        let inputs: [String: Tensor]
        let batch: Int
        let enqueued: ContinuousClock.Instant
        let deadline: ContinuousClock.Instant?
        let complete: @Sendable (Swift.Result<Result, any Error>) -> Void
    }

    private struct Group {
        var pending: Deque<Pending> = []
        /// Rows (sum of batch sizes) in `pending`.
        var rows = 0
        /// A drain job is in the pool and has not started.
        var drainQueued = false
        /// A delay timer is running for this group.
        var timerArmed = false

        /// Nothing waits and nothing is scheduled: the entry can go.
        var isIdle: Bool { pending.isEmpty && !drainQueued && !timerArmed }
    }

    private enum Action {
        case none
        case drain
        case armTimer
    }

    private let pool: PredictorPool
    private let maxBatchSize: Int
    private let flushSize: Int
    private let maxQueueDelay: Duration
    private let onExecution: @Sendable (Int, Duration) -> Void
    private let groups = Mutex<[String: Group]>([:])

    init(
        pool: PredictorPool, maxBatchSize: Int, preferredBatchSizes: [Int], maxQueueDelay: Duration,
        onExecution: @escaping @Sendable (Int, Duration) -> Void
    ) {
        self.pool = pool
        self.maxBatchSize = max(maxBatchSize, 1)
        self.flushSize = max(min(preferredBatchSizes.max() ?? maxBatchSize, maxBatchSize), 1)
        self.maxQueueDelay = maxQueueDelay
        self.onExecution = onExecution
    }

    /// The batch size of `inputs`, or `nil` when they cannot be merged with others.
    static func batchSize(of inputs: [String: Tensor], limit: Int) -> Int? {
        var size: Int?
        for tensor in inputs.values {
            guard let first = tensor.shape.first, first >= 1 else { return nil }
            if let size, size != first { return nil }
            size = first
        }
        guard let size, size <= limit else { return nil }
        return size
    }

    /// The key of requests that can be merged with these inputs.
    static func signature(of inputs: [String: Tensor]) -> String {
        if inputs.count == 1, let (name, tensor) = inputs.first {
            return signature(name, tensor)
        }
        return inputs.sorted { $0.key < $1.key }.map { signature($0.key, $0.value) }.joined(separator: ";")
    }

    private static func signature(_ name: String, _ tensor: Tensor) -> String {
        var key = name
        key += ":"
        key += tensor.dataType.kserveName
        for dimension in tensor.shape.dropFirst() {
            key += "x"
            key += String(dimension)
        }
        return key
    }

    /// Queues the inputs (batch size `batch`) and calls `completion` with all model outputs for them (on a pool
    /// thread, or on the calling thread when the pool refuses the work). The run must start before `deadline`, if
    /// one is given.
    func submit(
        _ inputs: [String: Tensor], batch: Int, deadline: ContinuousClock.Instant? = nil,
        completion: @escaping @Sendable (Swift.Result<Result, any Error>) -> Void
    ) {
        let key = Self.signature(of: inputs)
        let pending = Pending(inputs: inputs, batch: batch, enqueued: .now, deadline: deadline, complete: completion)
        let allBusy = pool.statistics.busy >= pool.size
        let action: Action = groups.withLock { groups in
            var group = groups[key] ?? Group()
            defer { groups[key] = group }
            group.pending.append(pending)
            group.rows += batch
            if group.drainQueued { return .none }
            if allBusy || group.rows >= flushSize {
                group.drainQueued = true
                return .drain
            }
            if group.timerArmed { return .none }
            group.timerArmed = true
            return .armTimer
        }
        perform(action, key: key)
    }

    private func perform(_ action: Action, key: String) {
        switch action {
        case .none:
            break
        case .drain:
            pool.enqueue({ [self] predictor in drain(key, on: predictor) }, onFailure: { [self] error in refused(key, error) })
        case .armTimer:
            let delay = maxQueueDelay
            Task { [self] in
                try? await Task.sleep(for: delay)
                timerFired(key)
            }
        }
    }

    private func timerFired(_ key: String) {
        let action: Action = groups.withLock { groups in
            guard var group = groups[key] else { return .none }
            defer { groups[key] = group.isIdle ? nil : group }
            group.timerArmed = false
            guard !group.drainQueued, group.rows > 0 else { return .none }
            group.drainQueued = true
            return .drain
        }
        perform(action, key: key)
    }

    /// The pool refused the drain job (overloaded or shut down): the group's waiting requests fail with its error.
    private func refused(_ key: String, _ error: PaddleError) {
        let failed: Deque<Pending> = groups.withLock { groups in
            guard var group = groups[key] else { return [] }
            defer { groups[key] = group.isIdle ? nil : group }
            group.drainQueued = false
            let all = group.pending
            group.pending.removeAll()
            group.rows = 0
            return all
        }
        for pending in failed { pending.complete(.failure(error)) }
    }

    /// The drain job, on a pool thread: takes up to `maxBatchSize` rows of the group and runs them.
    private func drain(_ key: String, on predictor: Predictor) {
        let (taken, next): ([Pending], Action) = groups.withLock { groups in
            guard var group = groups[key] else { return ([], .none) }
            group.drainQueued = false
            var taken: [Pending] = []
            var total = 0
            while let first = group.pending.first, total + first.batch <= maxBatchSize || taken.isEmpty {
                taken.append(first)
                total += first.batch
                group.pending.removeFirst()
            }
            group.rows -= total
            var next = Action.none
            if group.rows > 0 {
                if group.rows >= flushSize || pool.statistics.busy >= pool.size {
                    group.drainQueued = true
                    next = .drain
                } else if !group.timerArmed {
                    group.timerArmed = true
                    next = .armTimer
                }
            }
            groups[key] = group.isIdle ? nil : group
            return (taken, next)
        }
        perform(next, key: key)
        let now = ContinuousClock.now
        var live: [Pending] = []
        live.reserveCapacity(taken.count)
        for pending in taken {
            if let deadline = pending.deadline, deadline <= now {
                pending.complete(
                    .failure(PaddleError(.timedOut, "the deadline passed while the request waited for its batch")))
            } else {
                live.append(pending)
            }
        }
        guard !live.isEmpty else { return }
        execute(live, on: predictor)
    }

    private func execute(_ batch: [Pending], on predictor: Predictor) {
        let start = ContinuousClock.now
        if batch.count == 1 {
            runAlone(batch[0], on: predictor, start: start)
            return
        }
        let total = batch.reduce(0) { $0 + $1.batch }
        let outputs: [String: Tensor]
        do {
            let merged = try Self.concatenate(batch.map(\.inputs), total: total)
            outputs = try predictor.run(checked: merged)
        } catch {
            for pending in batch { pending.complete(.failure(error)) }
            return
        }
        let infer = ContinuousClock.now - start
        guard outputs.values.allSatisfy({ $0.shape.first == total }) else {
            // Outputs that are not per-row cannot be split: run each request on its own.
            for pending in batch { runAlone(pending, on: predictor, start: ContinuousClock.now) }
            return
        }
        onExecution(total, infer)
        var offset = 0
        for pending in batch {
            do {
                var split: [String: Tensor] = [:]
                for (name, tensor) in outputs {
                    split[name] = try Self.rows(of: tensor, from: offset, count: pending.batch, total: total)
                }
                pending.complete(
                    .success(Result(outputs: split, queue: start - pending.enqueued, infer: infer, batchSize: total)))
            } catch {
                pending.complete(.failure(error))
            }
            offset += pending.batch
        }
    }

    private func runAlone(_ pending: Pending, on predictor: Predictor, start: ContinuousClock.Instant) {
        do {
            let outputs = try predictor.run(checked: pending.inputs)
            let infer = ContinuousClock.now - start
            onExecution(pending.batch, infer)
            pending.complete(
                .success(Result(outputs: outputs, queue: start - pending.enqueued, infer: infer, batchSize: pending.batch)))
        } catch {
            pending.complete(.failure(error))
        }
    }

    /// The inputs of several requests stacked along dimension 0.
    static func concatenate(_ requests: [[String: Tensor]], total: Int) throws -> [String: Tensor] {
        guard let first = requests.first else { return [:] }
        var merged: [String: Tensor] = [:]
        for (name, model) in first {
            let parts = requests.map { $0[name]! }
            merged[name] = try Tensor(shape: [total] + model.shape.dropFirst(), dataType: model.dataType) { buffer in
                var offset = 0
                for part in parts {
                    part.withUnsafeBytes { bytes in
                        UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + bytes.count)]).copyMemory(from: bytes)
                        offset += bytes.count
                    }
                }
            }
        }
        return merged
    }

    /// Rows `from ..< from + count` of a tensor whose dimension 0 is `total`.
    static func rows(of tensor: Tensor, from start: Int, count: Int, total: Int) throws -> Tensor {
        let rowBytes = total == 0 ? 0 : tensor.byteCount / total
        return try tensor.withUnsafeBytes { bytes in
            try Tensor(
                shape: [count] + tensor.shape.dropFirst(), dataType: tensor.dataType,
                bytes: UnsafeRawBufferPointer(rebasing: bytes[(start * rowBytes)..<((start + count) * rowBytes)]))
        }
    }
}
