import Foundation
import Hummingbird
import KServeProtocol
import NIOCore
import PaddleModelRepository
import PaddleOCR
import PaddleServing

/// `POST /v1/ocr`: PP-OCR over HTTP.
///
/// Request: image bytes (raw body), `multipart/form-data` or JSON (see `OCRRequest`); optional `filter`
/// regular expression (query parameter or form/JSON field). Response (200):
///
/// ```json
/// {"results": [{"box": [[x,y],[x,y],[x,y],[x,y]], "text": "...", "score": 0.99}],
///  "timings": {"decode": 0.01, "det": 0.2, "cls": 0.02, "rec": 0.3, "total": 0.52},
///  "width": 800, "height": 600}
/// ```
///
/// `results` is what `paddle-swift ocr --json` prints (minus `image`), after the filter. Errors: 400 for a
/// missing, undecodable or truncated image or an invalid filter, 413 beyond the byte or pixel limits of
/// ``OCRRouteConfiguration``; every error is `{"error": "..."}` and the server keeps serving.
///
/// Thread-safety: the routes share one `OCRPipeline`, whose predictor pools queue concurrent requests. While
/// the pipeline loads (``OCRPipelineSlot``), the route answers 503.
public struct OCRRoutes: Sendable {
    /// The pipeline, `nil` while it loads.
    public var pipeline: OCRPipeline? { slot.pipeline }
    let slot: OCRPipelineSlot
    /// The route's limits and options.
    public let configuration: OCRRouteConfiguration
    let metrics: OCRMetrics
    let responses: ServingResponses

    /// Routes over a loaded pipeline.
    ///
    /// - Parameters:
    ///   - pipeline: the loaded pipeline (the caller shuts it down after the server stops).
    ///   - configuration: limits and options of the route.
    ///   - metrics: the registry the `paddle_ocr_*` collectors join (the server's, for `GET /metrics`).
    ///   - compressionThreshold: responses at least this large are compressed when the client accepts it.
    public init(
        pipeline: OCRPipeline, configuration: OCRRouteConfiguration = OCRRouteConfiguration(),
        metrics: ServingMetrics, compressionThreshold: Int = 1024
    ) {
        self.init(
            slot: OCRPipelineSlot(pipeline), configuration: configuration, metrics: metrics,
            compressionThreshold: compressionThreshold)
    }

    /// Routes over a pipeline that may still be loading.
    public init(
        slot: OCRPipelineSlot, configuration: OCRRouteConfiguration = OCRRouteConfiguration(),
        metrics: ServingMetrics, compressionThreshold: Int = 1024
    ) {
        self.slot = slot
        self.configuration = configuration
        self.metrics = OCRMetrics(registry: metrics.registry)
        self.responses = ServingResponses(compressionThreshold: compressionThreshold)
    }

    /// Adds the route to `router`.
    public func register(on router: Router<ServingContext>) {
        router.post(RouterPath(configuration.path)) { request, _ in try await recognize(request) }
    }

    func recognize(_ request: Request) async throws(ServingError) -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await answer(request, start: start)
            return response
        } catch {
            metrics.recordFailure(status: Int(error.status.code))
            throw error
        }
    }

    private func answer(_ request: Request, start: ContinuousClock.Instant) async throws(ServingError) -> Response {
        let input = try await OCRRequest.read(request, configuration: configuration)
        let filter = try input.filter.map { pattern throws(ServingError) in
            try TextFilter(pattern: pattern, maxLength: configuration.maxFilterLength)
        }
        guard !input.image.isEmpty else {
            throw .badRequest("the request has no image: send JPEG or PNG bytes as the body, or multipart/form-data")
        }
        let size = input.image.withUnsafeBytes { ImageDimensions($0) }
        if let size, size.pixels > configuration.maxImagePixels {
            throw ServingError(
                .contentTooLarge,
                "the image is \(size.width)x\(size.height) = \(size.pixels) pixels, more than the limit of \(configuration.maxImagePixels)")
        }
        let result: OCRResult
        guard let pipeline = slot.pipeline else { throw ServingError.unavailable("the OCR models are loading") }
        do {
            // The pipeline decodes on its detection thread, off Swift's cooperative threads. The decoder checks the
            // limit too: ImageDimensions gives up on bytes that libjpeg still decodes (for example garbage before
            // the frame header), so its check alone could be bypassed.
            result = try await pipeline.recognize(
                imageData: input.image, applyEXIFOrientation: configuration.applyEXIFOrientation,
                maxPixels: configuration.maxImagePixels)
        } catch {
            throw ServingError(error)
        }
        let (width, height, decodeSeconds) = (result.imageWidth, result.imageHeight, result.timings.decoding)
        let lines = filter.map { filter in result.results.filter { filter.matches($0.text) } } ?? result.results
        metrics.recordSuccess(
            timings: result.timings, decode: decodeSeconds, recognised: result.results.count, returned: lines.count,
            duration: ContinuousClock.now - start)
        let timings = result.timings
        return responses.json(request) { writer in
            writer.object { object in
                object.member("results") { array in
                    array.array(lines) { element, line in
                        element.object {
                            $0.member("box") { $0.array(line.box) { $0.array([$1.x, $1.y]) { $0.double($1) } } }
                            $0.member("text", string: line.text)
                            $0.member("score") { $0.double(line.score) }
                        }
                    }
                }
                object.member("timings") {
                    $0.object {
                        $0.member("decode") { $0.double(decodeSeconds) }
                        $0.member("det") { $0.double(timings.detection) }
                        $0.member("cls") { $0.double(timings.classification) }
                        $0.member("rec") { $0.double(timings.recognition) }
                        $0.member("total") { $0.double(timings.total) }
                    }
                }
                object.member("width", int: width)
                object.member("height", int: height)
                if let filter { object.member("filter", string: filter.pattern) }
            }
        }
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

extension InferenceServer {
    /// Serves `POST /v1/ocr` (see ``OCRRoutes``) with `pipeline`, its metrics joining the server's `/metrics`.
    ///
    /// ```swift
    /// var server = InferenceServer(repository: repository)
    /// server.addOCRRoutes(pipeline: try OCRPipeline())
    /// ```
    public mutating func addOCRRoutes(pipeline: OCRPipeline, configuration: OCRRouteConfiguration = OCRRouteConfiguration()) {
        let routes = OCRRoutes(
            pipeline: pipeline, configuration: configuration, metrics: repository.metrics,
            compressionThreshold: self.configuration.compressionThreshold)
        addRoutes { routes.register(on: $0) }
    }

    /// Serves `POST /v1/ocr` with a pipeline that `load` makes while the server starts: the port is bound at once,
    /// the route answers 503 until the pipeline is in `slot`, and readiness waits for it (`addStartupTask(_:)`).
    /// `load` returning `nil` (OCR off) or failing leaves the route answering 503; the failure is logged.
    public mutating func addOCRRoutes(
        slot: OCRPipelineSlot, configuration: OCRRouteConfiguration = OCRRouteConfiguration(),
        load: @escaping @Sendable () async throws -> OCRPipeline?
    ) {
        let routes = OCRRoutes(
            slot: slot, configuration: configuration, metrics: repository.metrics,
            compressionThreshold: self.configuration.compressionThreshold)
        addRoutes { routes.register(on: $0) }
        let logger = self.logger
        addStartupTask {
            do {
                if let pipeline = try await load() { slot.fill(pipeline) }
            } catch {
                logger.error("the OCR pipeline failed to load; POST /v1/ocr answers 503", metadata: ["error": "\(error)"])
            }
        }
    }
}
