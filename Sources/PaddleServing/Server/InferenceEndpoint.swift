import HTTPTypes
import Logging
import NIOCore

/// The work of `POST /v2/models/{m}[/versions/{v}]/infer` once the body is in memory: choose the version, decode
/// the request, run it, encode the response. Shared by the Hummingbird route and ``FastInferHandler`` (which
/// serves the same requests on the event loop), so both answer alike.
struct InferenceEndpoint: Sendable {
    let repository: ModelRepository
    let configuration: ServingConfiguration
    let responses: ServingResponses
    let logger: Logger

    /// A finished HTTP answer.
    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer
    }

    /// Runs the request and calls `completion` once with the reply: the response, or `{"error": "..."}` with the
    /// error's status. `completion` runs on a pool thread, or on the calling thread when the request fails early.
    ///
    /// - Parameters:
    ///   - name: The model name from the path.
    ///   - version: The version from the path, if any.
    ///   - headers: The request's header fields.
    ///   - body: The whole (decompressed) request body.
    func handle(
        name: String, version: String?, headers: HTTPFields, body: ByteBuffer,
        completion: @escaping @Sendable (Reply) -> Void
    ) {
        let acceptEncoding = headers.firstValue(.acceptEncoding)
        let lease: ModelLease<ModelInstance>
        let request: InferenceRequest
        let decodeTime: Duration
        do throws(ServingError) {
            // The lease keeps the chosen version's instance alive until the response is done, across reloads.
            lease = try repository.lease(name: name, version: version, headers: headers)
            let decodeStart = ContinuousClock.now
            var headerLength: Int?
            if let text = headers.firstValue(.inferenceHeaderContentLength) {
                guard let value = Self.parseLength(text) else {
                    throw .badRequest("Inference-Header-Content-Length must be a non-negative integer, '\(text)' given")
                }
                headerLength = value
            }
            let limits = configuration.decodingLimits
            let decoded: Result<InferenceRequest, ServingError> = body.withUnsafeReadableBytes { bytes in
                do throws(ServingError) {
                    return .success(try InferenceRequest.decode(body: bytes, headerLength: headerLength, limits: limits))
                } catch {
                    return .failure(error)
                }
            }
            do {
                request = try decoded.get()
            } catch {
                lease.release()
                throw error
            }
            decodeTime = ContinuousClock.now - decodeStart
        } catch {
            completion(errorReply(error, path: name))
            return
        }
        if logger.logLevel <= .debug {
            logger.debug(
                "inference routed",
                metadata: ["model": "\(name)", "version": "\(lease.version)", "route": "\(lease.reason.rawValue)"])
        }
        lease.instance.infer(request, decodeTime: decodeTime) { outcome in
            defer { lease.release() }
            switch outcome {
            case .success(let response):
                let (buffer, jsonLength) = response.encode()
                var extra = HTTPFields()
                if let jsonLength { extra[.inferenceHeaderContentLength] = String(jsonLength) }
                let (headers, body) = responses.encoded(
                    buffer, contentType: jsonLength == nil ? "application/json" : "application/octet-stream",
                    headers: extra, acceptEncoding: acceptEncoding)
                completion(Reply(status: .ok, headers: headers, body: body))
            case .failure(let error):
                completion(errorReply(error, path: name))
            }
        }
    }

    /// `{"error": "..."}` with the error's status and headers; unexpected (5xx other than 503) errors are logged.
    func errorReply(_ error: ServingError, path model: String) -> Reply {
        if error.status.code >= 500 && error.status != .serviceUnavailable {
            logger.error("inference failed", metadata: ["model": "\(model)", "error": "\(error.message)"])
        }
        let (headers, body) = error.jsonReply()
        return Reply(status: error.status, headers: headers, body: body)
    }

    /// A header's non-negative decimal integer, with optional spaces or tabs around it; `nil` otherwise.
    static func parseLength(_ text: String) -> Int? {
        var value = 0
        var digits = 0
        var trailing = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                if digits > 0 { trailing = true }
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard !trailing else { return nil }
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
                guard !overflow1, !overflow2 else { return nil }
                value = sum
                digits += 1
            default:
                return nil
            }
        }
        return digits > 0 ? value : nil
    }
}
