import PaddleInference

/// Text-line direction classification (RapidOCR `TextClassifier`): lines ordered by aspect ratio, batched,
/// and rotated 180° when the model says "180" with a probability strictly above the threshold.
struct TextClassifier: Sendable {
    let runner: ModelRunner
    let options: OCROptions.Classification

    /// Per line: the label index (0 = "0", 1 = "180") and its probability.
    struct Label: Sendable, Equatable {
        var label: Int
        var score: Float
        var text: String { label == 1 ? "180" : "0" }
    }

    /// Whether a line with this label is turned by 180° before recognition.
    func turns(_ label: Label) -> Bool { label.label == 1 && label.score > options.threshold }

    /// Returns the (possibly rotated) lines and their labels, in the input order.
    func classify(_ crops: [OCRImage]) async throws(OCRError) -> ([OCRImage], [Label]) {
        var lines = crops
        var labels = [Label](repeating: Label(label: 0, score: 0), count: crops.count)
        let batches = BatchRunner.chunks(LineTensor.orderByAspect(crops), size: options.batchSize)
        let outputs = try await BatchRunner.map(batches, width: runner.pool.size + 1) { batch throws(OCRError) in
            try await self.run(batch, crops)
        }
        for (batch, batchLabels) in zip(batches, outputs) {
            for (k, index) in batch.enumerated() {
                let label = batchLabels[k]
                labels[index] = label
                if turns(label) { lines[index] = lines[index].rotated180() }
            }
        }
        return (lines, labels)
    }

    /// One batch: its tensor, the model run, and the arg-max per line, in batch order.
    private func run(_ batch: [Int], _ crops: [OCRImage]) async throws(OCRError) -> [Label] {
        let h = options.imageHeight, w = options.imageWidth
        return try await runner.run {
            ([batch.count, 3, h, w], LineTensor.batch(batch.map { crops[$0] }, height: h, width: w))
        } finish: { out throws(OCRError) in
            try Self.labels(out, count: batch.count)
        }
    }

    /// The arg-max per line of a classifier output.
    private static func labels(_ out: Tensor, count: Int) throws(OCRError) -> [Label] {
        let probs: [Float]
        do { probs = try out.scalars(as: Float.self) } catch {
            throw OCRError(.inference, "cannot read classifier output", underlying: error)
        }
        let classes = out.shape.last ?? 0
        guard out.shape.first == count, classes >= 2, probs.count == count * classes else {
            throw OCRError(.invalidModel, "classifier output expected [\(count), 2], got \(out.shape)")
        }
        return (0..<count).map { k in
            var best = 0
            for c in 1..<classes where probs[k * classes + c] > probs[k * classes + best] { best = c }
            return Label(label: best, score: probs[k * classes + best])
        }
    }
}
