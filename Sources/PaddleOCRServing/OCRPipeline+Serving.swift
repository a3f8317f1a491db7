import Foundation
import KServeProtocol
import Logging
import PaddleModelRepository
import PaddleOCR
import PaddleServing

extension OCRPipeline {
    /// The pipeline `paddle-swift serve` puts behind `POST /v1/ocr`, or `nil` when OCR is off.
    ///
    /// - Parameters:
    ///   - enabled: `true` requires the models, `false` turns OCR off, `nil` enables it when the models are found.
    ///   - options: the pipeline options (models folder, version, threads, pool size).
    ///   - logger: where loading and a missing model folder are logged.
    /// - Throws: `OCRError` when OCR is required or the models are found but fail to load.
    public static func forServing(enabled: Bool?, options: OCROptions, logger: Logger) async throws(OCRError) -> OCRPipeline? {
        guard isServed(enabled: enabled, options: options, logger: logger) else { return nil }
        // Loading the three models blocks for a second or so: off Swift's cooperative threads.
        let pipeline: OCRPipeline
        do {
            pipeline = try await BlockingWork.offload { try OCRPipeline(options: options) }
        } catch let error as OCRError {
            throw error
        } catch {
            throw OCRError(.invalidModel, "cannot load the OCR pipeline: \(error)")
        }
        await pipeline.warmUp(logger: logger)
        return pipeline
    }

    /// Whether `POST /v1/ocr` is served: `enabled`, or when it is `nil`, whether the models are installed (logged
    /// when they are not).
    public static func isServed(enabled: Bool?, options: OCROptions, logger: Logger) -> Bool {
        if let enabled { return enabled }
        do {
            _ = try OCRModelLocator.paths(for: options.models)
            return true
        } catch {
            logger.info("POST /v1/ocr disabled: the PP-OCR models are not installed", metadata: ["reason": "\(error.message)"])
            return false
        }
    }

    /// Runs every stage once on a synthetic image (a dark bar on white), so the first request does not pay for the
    /// engine's first-run set-up. Failures are logged, not thrown.
    public func warmUp(logger: Logger) async {
        let width = 320, height = 64
        var pixels = [UInt8](repeating: 255, count: width * height * 3)
        for y in 24..<40 {
            for x in 40..<280 where (x / 12) % 2 == 0 {
                for c in 0..<3 { pixels[(y * width + x) * 3 + c] = 0 }
            }
        }
        do {
            let image = try OCRImage(width: width, height: height, bgr: pixels)
            _ = try await recognize(image: image)
        } catch {
            logger.warning("OCR warm-up failed", metadata: ["error": "\(error)"])
        }
    }
}
