import PaddleInference

/// CTC text recognition (RapidOCR `TextRecognizer`): lines ordered by aspect ratio, batched with a batch width of
/// `int(48 * max(320/48, widest w/h in the batch))`, decoded with the dictionary.
struct TextRecognizer: Sendable {
    let runner: ModelRunner
    let options: OCROptions.Recognition
    let decoder: CTCDecoder

    func recognize(_ crops: [OCRImage]) async throws(OCRError) -> [(text: String, score: Double)] {
        var results = [(text: String, score: Double)](repeating: ("", 0), count: crops.count)
        let order = LineTensor.orderByAspect(crops)
        let h = options.imageHeight
        var start = 0
        while start < order.count {
            let batch = Array(order[start..<min(start + options.batchSize, order.count)])
            var maxRatio = Double(options.imageWidth) / Double(h)
            for i in batch { maxRatio = max(maxRatio, Double(crops[i].width) / Double(crops[i].height)) }
            let w = Int(Double(h) * maxRatio)
            let values = LineTensor.batch(batch.map { crops[$0] }, height: h, width: w)
            let out = try await runner.run(shape: [batch.count, 3, h, w], values: values)
            guard out.shape.count == 3, out.shape[0] == batch.count, out.dataType == .float32 else {
                throw OCRError(.invalidModel, "recognition output expected [\(batch.count), T, C] float32, got \(out.shape)")
            }
            let steps = out.shape[1], classes = out.shape[2]
            guard classes == decoder.dictionary.count else {
                throw OCRError(
                    .dictionaryMismatch,
                    "recognition model has \(classes) classes but the dictionary gives \(decoder.dictionary.count) (blank + entries + space)")
            }
            do {
                try out.withUnsafeBufferPointer(as: Float.self) { probs in
                    for (k, index) in batch.enumerated() {
                        let slice = UnsafeBufferPointer(rebasing: probs[(k * steps * classes)..<((k + 1) * steps * classes)])
                        results[index] = decoder.decode(slice, steps: steps, classes: classes)
                    }
                }
            } catch {
                throw OCRError(.inference, "cannot read recognition output", underlying: error)
            }
            start += options.batchSize
        }
        return results
    }
}
