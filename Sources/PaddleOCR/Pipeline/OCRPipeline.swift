import Foundation
import PaddleInference

/// The PP-OCR pipeline: DB text detection, direction classification and CTC recognition, as RapidOCR-paddle
/// 1.4.5 does it (see `OCROptions` for every parameter).
///
/// Thread-safety: `Sendable`; call ``recognize(imageData:)`` / ``recognize(image:)`` from any number of tasks.
/// Each model sits behind a `PredictorPool` of ``OCROptions/Models/poolSize`` predictors on the pool's own
/// threads, and every stage runs there, never on Swift's cooperative pool: decoding, resizing, detection and its
/// contours, and the line warps on a detection thread; each batch's tensor, run and decoding on a classification or
/// recognition thread. The calling task only waits.
///
/// ```swift
/// let ocr = try OCRPipeline(options: OCROptions())
/// let result = try await ocr.recognize(imageData: Data(contentsOf: url))
/// for line in result.results { print(line.text, line.score) }
/// ```
public final class OCRPipeline: Sendable {
    /// The options the pipeline was built with.
    public let options: OCROptions
    /// The resolved model files.
    public let paths: OCRModelLocator.Paths
    let detector: TextDetector
    let classifier: TextClassifier?
    let recognizer: TextRecognizer

    /// Loads the three models (synchronously; this takes a second or so).
    /// - Throws: ``OCRError`` `.invalidOption`, `.modelNotFound`, `.invalidModel`, `.dictionaryMismatch`.
    public init(options: OCROptions = OCROptions()) throws(OCRError) {
        try options.validate()
        let paths = try OCRModelLocator.paths(for: options.models)
        self.options = options
        self.paths = paths
        let dictionary = try CharacterDictionary(contentsOfFile: paths.dictionary)
        var detectionModels = options.models
        detectionModels.cpuThreads = options.models.detectionThreads ?? options.models.cpuThreads
        detector = TextDetector(runner: try ModelRunner(path: paths.detection, options: detectionModels), options: options.detection)
        classifier =
            options.classification.enabled
            ? TextClassifier(runner: try ModelRunner(path: paths.classification, options: options.models), options: options.classification)
            : nil
        let rec = try ModelRunner(path: paths.recognition, options: options.models)
        if let classes = rec.pool.outputs.first?.shape.last, classes > 0, classes != dictionary.count {
            throw OCRError(
                .dictionaryMismatch,
                "recognition model \(paths.recognition) has \(classes) classes, dictionary \(paths.dictionary) gives \(dictionary.count)")
        }
        recognizer = TextRecognizer(runner: rec, options: options.recognition, decoder: CTCDecoder(dictionary: dictionary))
    }

    /// Decodes JPEG/PNG bytes (honouring EXIF orientation unless ``OCROptions/Preprocessing/applyEXIFOrientation``
    /// is off) and recognises the text.
    /// - Throws: ``OCRError`` `.invalidImage` for undecodable data, `.inference` when the engine fails.
    public func recognize(imageData: Data) async throws(OCRError) -> OCRResult {
        try await run(.encoded(imageData, applyEXIFOrientation: options.preprocessing.applyEXIFOrientation, maxPixels: nil))
            .result
    }

    /// Decodes JPEG/PNG bytes on a detection thread (never on the calling task's thread) and recognises the text:
    /// what a server calls with the bytes of a request. The result's ``OCRResult/imageWidth`` and
    /// ``OCRResult/imageHeight`` give the decoded size, ``OCRTimings/decoding`` the decoding time.
    ///
    /// - Parameters:
    ///   - imageData: JPEG or PNG bytes.
    ///   - applyEXIFOrientation: whether a JPEG's EXIF orientation turns the image.
    ///   - maxPixels: images with more pixels are refused before their pixels are decoded; `nil`: no limit.
    /// - Throws: ``OCRError`` `.invalidImage` / `.unsupportedImage` for undecodable data, `.imageTooLarge` beyond
    ///   `maxPixels`, `.inference` when the engine fails.
    public func recognize(imageData: Data, applyEXIFOrientation: Bool, maxPixels: Int?) async throws(OCRError) -> OCRResult {
        try await run(.encoded(imageData, applyEXIFOrientation: applyEXIFOrientation, maxPixels: maxPixels)).result
    }

    /// Recognises the text of a decoded image.
    public func recognize(image: OCRImage) async throws(OCRError) -> OCRResult {
        try await run(.decoded(image)).result
    }

    /// Releases the predictors after in-flight calls finish. The pipeline cannot be used afterwards.
    public func shutdown() async {
        await detector.runner.shutdown()
        await classifier?.runner.shutdown()
        await recognizer.runner.shutdown()
    }

    /// Every intermediate of one run (used by the tests against the reference's `stages`).
    struct Trace: Sendable {
        struct Line: Sendable {
            var detectorBox: [PointF]
            var box: [PointF]
            var cropHeight: Int
            var cropWidth: Int
            var cls: TextClassifier.Label?
            var text: String
            var score: Double
            var kept: Bool
        }
        var prepared: PreparedImage
        var detectorInputShape: [Int]
        var lines: [Line] = []
    }

    /// An image as given: still encoded, or decoded.
    enum Source: Sendable {
        case encoded(Data, applyEXIFOrientation: Bool, maxPixels: Int?)
        case decoded(OCRImage)
    }

    /// What the detection stage hands on: the image, its preparation, the boxes and their line crops.
    private struct Detected: Sendable {
        var image: OCRImage
        var prepared: PreparedImage
        var inputShape: [Int]
        var boxes: [[PointF]] = []
        var crops: [OCRImage] = []
        var seconds: Double
        var decodingSeconds: Double
    }

    func run(_ image: OCRImage) async throws(OCRError) -> (result: OCRResult, trace: Trace) {
        try await run(.decoded(image))
    }

    /// Decoding, preparation, detection and cropping, on a detection pool thread.
    private func detect(_ source: Source) async throws(OCRError) -> Detected {
        let options = self.options, detector = self.detector
        return try await detector.runner.onPoolThread { predictor in
            let image: OCRImage
            var decodingSeconds = 0.0
            switch source {
            case .decoded(let decoded): image = decoded
            case .encoded(let data, let applyEXIFOrientation, let maxPixels):
                let decodingStart = ContinuousClock.now
                image = try OCRImage(decoding: data, applyEXIFOrientation: applyEXIFOrientation, maxPixels: maxPixels)
                decodingSeconds = Self.seconds(ContinuousClock.now - decodingStart)
            }
            let prepared = try PreparedImage(image, options: options.preprocessing)
            let start = ContinuousClock.now
            let detection = try detector.detect(prepared.image, on: predictor)
            var detected = Detected(
                image: image, prepared: prepared, inputShape: detection.inputShape,
                seconds: Self.seconds(ContinuousClock.now - start), decodingSeconds: decodingSeconds)
            for box in detection.boxes {
                guard let crop = LineCropper.crop(prepared.image, box: box) else { continue }
                detected.crops.append(crop)
                detected.boxes.append(box)
            }
            return detected
        }
    }

    /// Under load, the stages of the requests that started first run first (``PredictorPool/inRequestOrder(startedAt:_:)``):
    /// without it every queued line batch takes its turn, and an image with many lines waits for all the newer
    /// images' batches, several times over.
    func run(_ source: Source) async throws(OCRError) -> (result: OCRResult, trace: Trace) {
        try await PredictorPool.inRequestOrder { () async throws(OCRError) in try await self.runStages(source) }
    }

    private func runStages(_ source: Source) async throws(OCRError) -> (result: OCRResult, trace: Trace) {
        let clock = ContinuousClock()
        var timings = OCRTimings()
        let detected = try await detect(source)
        let image = detected.image, prepared = detected.prepared, boxes = detected.boxes
        var crops = detected.crops
        timings.detection = detected.seconds
        timings.decoding = detected.decodingSeconds
        var trace = Trace(prepared: prepared, detectorInputShape: detected.inputShape)
        guard !crops.isEmpty else {
            return (Self.result([], timings: timings, image: image), trace)
        }
        var start = clock.now
        if let classifier {
            start = clock.now
            let (rotated, l) = try await classifier.classify(crops)
            timings.classification = Self.seconds(clock.now - start)
            trace.lines.reserveCapacity(crops.count)
            for i in crops.indices { trace.lines.append(Self.traceLine(boxes[i], crops[i], l[i])) }
            crops = rotated
        } else {
            for i in crops.indices { trace.lines.append(Self.traceLine(boxes[i], crops[i], nil)) }
        }
        start = clock.now
        let texts = try await recognizer.recognize(crops)
        timings.recognition = Self.seconds(clock.now - start)

        var lines: [OCRLine] = []
        for i in crops.indices {
            let original = prepared.originalPoints(boxes[i], originalWidth: image.width, originalHeight: image.height)
            let kept = texts[i].score >= Double(options.recognition.textScore)
            trace.lines[i].box = original
            trace.lines[i].text = texts[i].text
            trace.lines[i].score = texts[i].score
            trace.lines[i].kept = kept
            if kept {
                lines.append(
                    OCRLine(
                        box: original.map { OCRPoint(x: Double($0.x), y: Double($0.y)) }, text: texts[i].text,
                        score: texts[i].score, rotated180: trace.lines[i].cls.flatMap { classifier?.turns($0) }))
            }
        }
        return (Self.result(lines, timings: timings, image: image), trace)
    }

    private static func result(_ lines: [OCRLine], timings: OCRTimings, image: OCRImage) -> OCRResult {
        var result = OCRResult(results: lines, timings: timings)
        result.imageWidth = image.width
        result.imageHeight = image.height
        return result
    }

    private static func traceLine(_ box: [PointF], _ crop: OCRImage, _ label: TextClassifier.Label?) -> Trace.Line {
        Trace.Line(
            detectorBox: box, box: box, cropHeight: crop.height, cropWidth: crop.width, cls: label, text: "", score: 0,
            kept: false)
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
