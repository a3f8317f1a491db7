import PaddleInference

/// CTC text recognition (RapidOCR `TextRecognizer`): lines ordered by aspect ratio, batched with a batch width of
/// `int(48 * max(320/48, widest w/h in the batch))`, decoded with the dictionary.
struct TextRecognizer: Sendable {
    let runner: ModelRunner
    let options: OCROptions.Recognition
    let decoder: CTCDecoder

    func recognize(_ crops: [OCRImage]) async throws(OCRError) -> [(text: String, score: Double)] {
        var results = [(text: String, score: Double)](repeating: ("", 0), count: crops.count)
        let batches = BatchRunner.chunks(LineTensor.orderByAspect(crops), size: options.batchSize)
        let outputs = try await BatchRunner.map(batches, width: runner.pool.size + 1) { batch throws(OCRError) in
            try await self.run(batch, crops)
        }
        for (batch, texts) in zip(batches, outputs) {
            for (k, index) in batch.enumerated() { results[index] = texts[k] }
        }
        return results
    }

    /// One batch: its tensor, the model run, and CTC decoding, in batch order.
    private func run(_ batch: [Int], _ crops: [OCRImage]) async throws(OCRError) -> [(text: String, score: Double)] {
        let h = options.imageHeight
        var maxRatio = Double(options.imageWidth) / Double(h)
        for i in batch { maxRatio = max(maxRatio, Double(crops[i].width) / Double(crops[i].height)) }
        let w = Int(Double(h) * maxRatio)
        let decoder = self.decoder
        return try await runner.run {
            ([batch.count, 3, h, w], LineTensor.batch(batch.map { crops[$0] }, height: h, width: w))
        } finish: { out throws(OCRError) in
            try Self.decode(out, count: batch.count, decoder: decoder)
        }
    }

    /// CTC decoding of a recognition output, per line.
    private static func decode(
        _ out: Tensor, count: Int, decoder: CTCDecoder
    ) throws(OCRError) -> [(text: String, score: Double)] {
        guard out.shape.count == 3, out.shape[0] == count, out.dataType == .float32 else {
            throw OCRError(.invalidModel, "recognition output expected [\(count), T, C] float32, got \(out.shape)")
        }
        let steps = out.shape[1], classes = out.shape[2]
        guard classes == decoder.dictionary.count else {
            throw OCRError(
                .dictionaryMismatch,
                "recognition model has \(classes) classes but the dictionary gives \(decoder.dictionary.count) (blank + entries + space)")
        }
        do {
            return try out.withUnsafeBufferPointer(as: Float.self) { probs in
                (0..<count).map { k in
                    let slice = UnsafeBufferPointer(rebasing: probs[(k * steps * classes)..<((k + 1) * steps * classes)])
                    return decoder.decode(slice, steps: steps, classes: classes)
                }
            }
        } catch {
            throw OCRError(.inference, "cannot read recognition output", underlying: error)
        }
    }
}
