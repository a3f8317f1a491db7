import PaddleInference

/// Merges concurrent requests of batchable shape into one engine run and splits the results back.
///
/// A request is batchable when every input has rank >= 1 and the same dimension 0 (its batch size), at most the
/// model's maximum batch size. Requests whose inputs agree on names, types and the dimensions after the first
/// wait together for at most `maxQueueDelay`; a group is run as soon as it reaches the largest preferred batch
/// size (or the maximum). Outputs whose dimension 0 equals the merged batch are split by rows; if an output does
/// not, the batch's requests are run one by one instead.
actor DynamicBatcher {
    struct Result: Sendable {
        var outputs: [String: Tensor]
        var queue: Duration
        var infer: Duration
        var batchSize: Int
    }

    private struct Pending {
        let inputs: [String: Tensor]
        let batch: Int
        let enqueued: ContinuousClock.Instant
        let deadline: ContinuousClock.Instant?
        let continuation: CheckedContinuation<Result, any Error>
    }

    private let pool: PredictorPool
    private let maxBatchSize: Int
    private let flushSize: Int
    private let maxQueueDelay: Duration
    private let onExecution: @Sendable (Int, Duration) -> Void
    private var groups: [String: [Pending]] = [:]
    private var timers: Set<String> = []

    init(
        pool: PredictorPool, maxBatchSize: Int, preferredBatchSizes: [Int], maxQueueDelay: Duration,
        onExecution: @escaping @Sendable (Int, Duration) -> Void
    ) {
        self.pool = pool
        self.maxBatchSize = max(maxBatchSize, 1)
        self.flushSize = min(preferredBatchSizes.max() ?? maxBatchSize, maxBatchSize)
        self.maxQueueDelay = maxQueueDelay
        self.onExecution = onExecution
    }

    /// The batch size of `inputs`, or `nil` when they cannot be merged with others.
    nonisolated static func batchSize(of inputs: [String: Tensor], limit: Int) -> Int? {
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
    nonisolated static func signature(of inputs: [String: Tensor]) -> String {
        inputs.sorted { $0.key < $1.key }
            .map { "\($0.key):\($0.value.dataType):\($0.value.shape.dropFirst().map(String.init).joined(separator: "x"))" }
            .joined(separator: ";")
    }

    /// Queues the inputs (batch size `batch`) and returns all model outputs for them. The run must start before
    /// `deadline`, if one is given (the earliest deadline of a merged batch applies to all of it).
    func submit(_ inputs: [String: Tensor], batch: Int, deadline: ContinuousClock.Instant? = nil) async throws -> Result {
        let key = Self.signature(of: inputs)
        return try await withCheckedThrowingContinuation { continuation in
            groups[key, default: []].append(
                Pending(inputs: inputs, batch: batch, enqueued: .now, deadline: deadline, continuation: continuation))
            let queued = groups[key]!.reduce(0) { $0 + $1.batch }
            if queued >= flushSize {
                flush(key)
            } else if !timers.contains(key) {
                timers.insert(key)
                let delay = maxQueueDelay
                Task { [weak self] in
                    try? await Task.sleep(for: delay)
                    await self?.timerFired(key)
                }
            }
        }
    }

    private func timerFired(_ key: String) {
        timers.remove(key)
        flush(key)
        if let rest = groups[key], !rest.isEmpty, !timers.contains(key) {
            timers.insert(key)
            let delay = maxQueueDelay
            Task { [weak self] in
                try? await Task.sleep(for: delay)
                await self?.timerFired(key)
            }
        }
    }

    /// Takes up to `maxBatchSize` rows of the group `key` and runs them.
    private func flush(_ key: String) {
        while var queue = groups[key], !queue.isEmpty {
            var taken: [Pending] = []
            var total = 0
            while let next = queue.first, total + next.batch <= maxBatchSize || taken.isEmpty {
                taken.append(next)
                total += next.batch
                queue.removeFirst()
            }
            groups[key] = queue.isEmpty ? nil : queue
            let batch = taken
            Task { await Self.execute(batch, pool: pool, onExecution: onExecution) }
            if total < flushSize { break }
        }
    }

    private static func execute(
        _ batch: [Pending], pool: PredictorPool, onExecution: @Sendable (Int, Duration) -> Void
    ) async {
        let start = ContinuousClock.now
        if batch.count == 1 {
            let pending = batch[0]
            do {
                let outputs = try await pool.run(pending.inputs, deadline: pending.deadline)
                let infer = ContinuousClock.now - start
                onExecution(pending.batch, infer)
                pending.continuation.resume(
                    returning: Result(outputs: outputs, queue: start - pending.enqueued, infer: infer, batchSize: pending.batch))
            } catch {
                pending.continuation.resume(throwing: error)
            }
            return
        }
        let total = batch.reduce(0) { $0 + $1.batch }
        do {
            let merged = try concatenate(batch.map(\.inputs), total: total)
            let outputs = try await pool.run(merged, deadline: batch.compactMap(\.deadline).min())
            let infer = ContinuousClock.now - start
            guard outputs.values.allSatisfy({ $0.shape.first == total }) else {
                // Outputs that are not per-row cannot be split: run each request on its own.
                for pending in batch {
                    await execute([pending], pool: pool, onExecution: onExecution)
                }
                return
            }
            onExecution(total, infer)
            var offset = 0
            for pending in batch {
                var split: [String: Tensor] = [:]
                for (name, tensor) in outputs {
                    split[name] = try rows(of: tensor, from: offset, count: pending.batch, total: total)
                }
                offset += pending.batch
                pending.continuation.resume(
                    returning: Result(outputs: split, queue: start - pending.enqueued, infer: infer, batchSize: total))
            }
        } catch {
            for pending in batch { pending.continuation.resume(throwing: error) }
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
