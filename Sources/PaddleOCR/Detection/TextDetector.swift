import PaddleInference

/// DB text detection: pre-processing, the detection model and post-processing, giving boxes in the
/// prepared image's coordinates, cleaned up and in reading order.
struct TextDetector: Sendable {
    let runner: ModelRunner
    let options: OCROptions.Detection

    struct Output: Sendable {
        /// `[1, 3, H, W]` given to the model.
        var inputShape: [Int]
        /// Boxes TL,TR,BR,BL in reading order.
        var boxes: [[PointF]]
    }

    /// Detection on the calling thread with `predictor` (a pool thread's: see ``ModelRunner/onPoolThread(_:)``).
    func detect(_ image: OCRImage, on predictor: Predictor) throws(OCRError) -> Output {
        guard let input = DetectionInput(image: image, options: options) else {
            return Output(inputShape: [], boxes: [])
        }
        let shape = [1, 3, input.height, input.width]
        let output = try runner.run(predictor, shape: shape, values: input.values)
        guard output.shape.count == 4, output.shape[2] == input.height, output.shape[3] == input.width,
            output.dataType == .float32
        else {
            throw OCRError(
                .invalidModel,
                "detection output expected [1, 1, \(input.height), \(input.width)] float32, got \(output.shape) \(output.dataType)")
        }
        let pred: [Float]
        do {
            pred = try output.scalars(as: Float.self)
        } catch {
            throw OCRError(.inference, "cannot read detection output", underlying: error)
        }
        let map = Array(pred.prefix(input.height * input.width))
        let candidates = DBPostProcessor(options: options).process(
            pred: map, width: input.width, height: input.height, destWidth: image.width, destHeight: image.height)
        let filtered = BoxOrdering.filter(candidates.map(\.points), imageWidth: image.width, imageHeight: image.height)
        return Output(inputShape: shape, boxes: BoxOrdering.sorted(filtered))
    }
}
