import Foundation
import Hummingbird
import KServeProtocol
import NIOCore
import PaddleModelRepository
import PaddleOCR
import PaddleServing
import PaddleWaybill

/// `POST /v1/waybill`: the fields of an express-waybill photo over HTTP.
///
/// Request: the same forms and limits as `POST /v1/ocr` (raw image body, `multipart/form-data`, JSON with a base64
/// image; see ``OCRRoutes``); the optional `filter` keeps only the matching `lines` in the answer (the fields are read
/// from every line). `?charset=gbk` answers in GBK (`Content-Type: application/json; charset=GBK`); `utf-8` (the
/// default) in UTF-8; any other charset is 400.
///
/// Response (200): what `paddle-swift waybill --json` prints for the photo (`image` is the multipart file name, or
/// `null`), plus `timings`:
///
/// ```json
/// {"carrier": {"code": "SF", "name": "顺丰速运"}, "confidence": {...}, "date": "2024-03-05", "image": null,
///  "lines": [{"box": [[x,y],...], "score": 0.99, "text": "..."}], "pieces": 1, "receiver": {...}, "sender": {...},
///  "timings": {"cls": 0.02, "decode": 0.01, "det": 0.2, "read": 0.001, "rec": 0.3, "total": 0.52, "upright": 0},
///  "waybill_number": "SF1234567890123", "weight_kg": 1.5}
/// ```
///
/// Errors: as `/v1/ocr` (400 bad image or filter, 413 limits, 503 while the models load), 400 for an unknown
/// charset, 406 when the text has a character GBK lacks; every error is `{"error": "..."}` and the server keeps
/// serving.
///
/// Thread-safety: shares the OCR routes' pipeline (through their ``OCRPipelineSlot``) and one immutable reader.
public struct WaybillRoutes: Sendable {
    /// The route path.
    public let path: String
    /// The image limits and options, the same as `/v1/ocr`'s.
    public let configuration: OCRRouteConfiguration
    let slot: OCRPipelineSlot
    let reader: WaybillReader
    let metrics: WaybillMetrics
    let responses: ServingResponses

    /// Routes over `slot`'s pipeline (503 while it is empty).
    ///
    /// - Parameters:
    ///   - slot: the OCR pipeline, shared with `/v1/ocr`.
    ///   - reader: the waybill reader (its divisions table loaded).
    ///   - configuration: limits and options of the request (its `path` is `/v1/ocr`'s and is not used here).
    ///   - path: the route path.
    ///   - metrics: the registry the `paddle_waybill_*` collectors join (the server's, for `GET /metrics`).
    ///   - compressionThreshold: responses at least this large are compressed when the client accepts it.
    public init(
        slot: OCRPipelineSlot, reader: WaybillReader, configuration: OCRRouteConfiguration = OCRRouteConfiguration(),
        path: String = "/v1/waybill", metrics: ServingMetrics, compressionThreshold: Int = 1024
    ) {
        self.path = path
        self.configuration = configuration
        self.slot = slot
        self.reader = reader
        self.metrics = WaybillMetrics(registry: metrics.registry)
        self.responses = ServingResponses(compressionThreshold: compressionThreshold)
    }

    /// Adds the route to `router`.
    public func register(on router: Router<ServingContext>) {
        router.post(RouterPath(path)) { request, _ in try await read(request) }
    }

    /// The character sets an answer can be written in.
    enum Charset {
        case utf8, gbk

        init(query: String?) throws(ServingError) {
            switch query?.lowercased() {
            case nil, "", "utf-8", "utf8": self = .utf8
            case "gbk": self = .gbk
            case let other?: throw .badRequest("charset '\(other)' is not supported: use utf-8 (the default) or gbk")
            }
        }
    }

    func read(_ request: Request) async throws(ServingError) -> Response {
        let start = ContinuousClock.now
        do {
            return try await answer(request, start: start)
        } catch {
            metrics.recordFailure(status: Int(error.status.code))
            throw error
        }
    }

    private func answer(_ request: Request, start: ContinuousClock.Instant) async throws(ServingError) -> Response {
        let charset = try Charset(query: request.uri.queryParameters.get("charset"))
        let input = try await OCRRequest.read(request, configuration: configuration)
        let filter = try input.filter.map { pattern throws(ServingError) in
            try TextFilter(pattern: pattern, maxLength: configuration.maxFilterLength)
        }
        let (image, decodeSeconds) = try await input.decodedImage(configuration: configuration)
        guard let pipeline = slot.pipeline else { throw ServingError.unavailable("the OCR models are loading") }
        let reading: WaybillReader.Reading
        do {
            reading = try await reader.read(decoded: image, pipeline: pipeline, image: input.filename)
        } catch {
            throw ServingError(error)
        }
        var waybill = reading.waybill
        if let filter { waybill.lines = waybill.lines.filter { filter.matches($0.text) } }
        let t = reading.timings
        let readSeconds = Self.seconds(ContinuousClock.now - start) - decodeSeconds - t.total - reading.uprightSeconds
        let timings = [
            "decode": decodeSeconds, "det": t.detection, "cls": t.classification, "rec": t.recognition,
            "total": t.total, "upright": reading.uprightSeconds, "read": max(0, readSeconds),
        ]
        let body: Data
        do {
            let json = try WaybillAnswer(waybill: waybill, timings: timings).encoded()
            body = charset == .gbk ? try WaybillJSON.gbk(String(decoding: json, as: UTF8.self)) : json
        } catch let error as WaybillError {
            throw ServingError(error)
        } catch {
            throw ServingError(.internalServerError, "the waybill could not be encoded")
        }
        metrics.recordSuccess(timings: timings, passes: reading.passes, duration: ContinuousClock.now - start)
        return responses.body(
            request, ByteBuffer(data: body),
            contentType: charset == .gbk ? "application/json; charset=GBK" : "application/json")
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

extension InferenceServer {
    /// Serves `POST /v1/waybill` (see ``WaybillRoutes``) with the pipeline in `slot`, shared with `POST /v1/ocr`
    /// (``addOCRRoutes(slot:configuration:load:)`` fills it); its metrics join the server's `/metrics`.
    ///
    /// ```swift
    /// let slot = OCRPipelineSlot()
    /// server.addOCRRoutes(slot: slot) { try await OCRPipeline.forServing(enabled: true, options: options, logger: logger) }
    /// server.addWaybillRoutes(slot: slot, reader: try WaybillReader())
    /// ```
    public mutating func addWaybillRoutes(
        slot: OCRPipelineSlot, reader: WaybillReader, configuration: OCRRouteConfiguration = OCRRouteConfiguration()
    ) {
        let routes = WaybillRoutes(
            slot: slot, reader: reader, configuration: configuration, metrics: repository.metrics,
            compressionThreshold: self.configuration.compressionThreshold)
        addRoutes { routes.register(on: $0) }
    }
}
