import Dispatch
import Foundation
import PaddleInference
import PaddleOCR

extension WaybillReader {
    /// A waybill read from an image, with how it was read.
    public struct Reading: Sendable {
        /// The fields; `lines` are in the photo's own pixel coordinates.
        public var waybill: Waybill
        /// The page's clockwise turn found in the photo: 0, 90, 180 or 270.
        public var pageTurn: Int
        /// OCR passes run: 1, or 2 when the page was turned by 90° or 270° and read again upright.
        public var passes: Int
        /// Seconds per OCR stage, summed over the passes.
        public var timings: OCRTimings
        /// Seconds spent turning the image for the second pass (decode and rotation).
        public var uprightSeconds: Double
    }

    /// Runs the OCR pipeline on an encoded image and reads the waybill.
    ///
    /// A page turned by 180° is read from the first pass (the direction classifier turns each line). A page turned
    /// by 90° or 270° is read again after turning the image upright when `uprightPass` is on: the detector finds
    /// skewed vertical lines less well than horizontal ones (on the generated set, see docs/waybill.md, the second
    /// pass is what gets turned photos to the upright ones' accuracy), at the price of a second OCR run for those
    /// photos only. The decode and turn for that pass run on a Dispatch queue, not on Swift's cooperative threads.
    /// - Throws: `PaddleOCR/OCRError` for undecodable data or an engine failure.
    public func read(
        imageData: Data, pipeline: OCRPipeline, image: String? = nil, uprightPass: Bool = true
    ) async throws(OCRError) -> Reading {
        // Both passes queue as one request that started now (PredictorPool.inRequestOrder).
        try await PredictorPool.inRequestOrder { () async throws(OCRError) in
            try await self.readEncoded(imageData: imageData, pipeline: pipeline, image: image, uprightPass: uprightPass)
        }
    }

    private func readEncoded(
        imageData: Data, pipeline: OCRPipeline, image: String?, uprightPass: Bool
    ) async throws(OCRError) -> Reading {
        let first = try await pipeline.recognize(imageData: imageData)
        let turn = pageTurn(of: first)
        guard uprightPass, turn == 90 || turn == 270 else {
            return Reading(waybill: read(first, image: image), pageTurn: turn, passes: 1, timings: first.timings, uprightSeconds: 0)
        }
        let exif = pipeline.options.preprocessing.applyEXIFOrientation
        let start = ContinuousClock.now
        let turned: Result<(OCRImage, width: Int, height: Int), OCRError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(OCRError) {
                    let decoded = try OCRImage(decoding: imageData, applyEXIFOrientation: exif)
                    let upright = turn == 90 ? decoded.rotated90CounterClockwise() : decoded.rotated90Clockwise()
                    continuation.resume(returning: .success((upright, decoded.width, decoded.height)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        let (upright, width, height) = try turned.get()
        let turning = ContinuousClock.now - start
        let second = try await pipeline.recognize(image: upright)
        return uprightReading(
            first: first, second: second, turn: turn, width: width, height: height, image: image, turning: turning)
    }

    /// The reading of the upright second pass, its boxes reported in the photo's coordinates (`width` x `height`),
    /// with both passes' timings.
    private func uprightReading(
        first: OCRResult, second: OCRResult, turn: Int, width: Int, height: Int, image: String?, turning: Duration
    ) -> Reading {
        var waybill = read(second, image: image)
        for k in waybill.lines.indices {
            waybill.lines[k].box = waybill.lines[k].box.map { p in
                turn == 90 ? OCRPoint(x: Double(width - 1) - p.y, y: p.x) : OCRPoint(x: p.y, y: Double(height - 1) - p.x)
            }
        }
        var timings = first.timings
        timings.detection += second.timings.detection
        timings.classification += second.timings.classification
        timings.recognition += second.timings.recognition
        return Reading(
            waybill: waybill, pageTurn: turn, passes: 2, timings: timings,
            uprightSeconds: Double(turning.components.seconds) + Double(turning.components.attoseconds) * 1e-18)
    }

    /// Runs the OCR pipeline on an image already decoded and reads the waybill: the same reading as
    /// ``read(imageData:pipeline:image:uprightPass:)``, for callers that decode themselves (a server applying its
    /// own pixel limit and EXIF choice). The second pass turns `decoded` rather than decoding again; the turn runs on
    /// a Dispatch queue, not on Swift's cooperative threads.
    /// - Parameters:
    ///   - decoded: the photo's pixels.
    ///   - pipeline: the OCR pipeline (direction classification on, so that turned photos read).
    ///   - image: the name reported as `image`.
    ///   - uprightPass: read pages turned by 90° or 270° a second time after turning them upright.
    /// - Throws: `PaddleOCR/OCRError` for an engine failure.
    public func read(
        decoded: OCRImage, pipeline: OCRPipeline, image: String? = nil, uprightPass: Bool = true
    ) async throws(OCRError) -> Reading {
        // Both passes queue as one request that started now (PredictorPool.inRequestOrder).
        try await PredictorPool.inRequestOrder { () async throws(OCRError) in
            try await self.readDecoded(decoded: decoded, pipeline: pipeline, image: image, uprightPass: uprightPass)
        }
    }

    private func readDecoded(
        decoded: OCRImage, pipeline: OCRPipeline, image: String?, uprightPass: Bool
    ) async throws(OCRError) -> Reading {
        let first = try await pipeline.recognize(image: decoded)
        let turn = pageTurn(of: first)
        guard uprightPass, turn == 90 || turn == 270 else {
            return Reading(waybill: read(first, image: image), pageTurn: turn, passes: 1, timings: first.timings, uprightSeconds: 0)
        }
        let start = ContinuousClock.now
        let upright: OCRImage = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: turn == 90 ? decoded.rotated90CounterClockwise() : decoded.rotated90Clockwise())
            }
        }
        let turning = ContinuousClock.now - start
        let second = try await pipeline.recognize(image: upright)
        return uprightReading(
            first: first, second: second, turn: turn, width: decoded.width, height: decoded.height, image: image,
            turning: turning)
    }
}
