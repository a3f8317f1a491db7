import HTTPTypes
import KServeProtocol
import Logging
import NIOCore
import PaddleModelRepository

/// The one path of an inference request, whatever carries it: lease the model version, decode the request,
/// validate it once (``ModelInstance``), run it (pool or dynamic batcher), encode the response.
///
/// One value per server. Its adapters are thin: the Hummingbird route (`ServingRoutes`) and the event-loop fast
/// path (``FastInferHandler``) both call ``handle(name:version:headers:body:completion:)`` with the collected HTTP
/// body; other protocols (gRPC) decode their own messages and call ``run(name:version:headers:decode:completion:)``.
package struct InferencePipeline: Sendable {
    package let repository: ModelRepository
    package let configuration: ServingConfiguration
    let responses: ServingResponses
    let logger: Logger

    package init(repository: ModelRepository, configuration: ServingConfiguration, logger: Logger) {
        self.repository = repository
        self.configuration = configuration
        self.responses = ServingResponses(compressionThreshold: configuration.compressionThreshold)
        self.logger = logger
    }

    /// A finished HTTP answer.
    package struct Reply: Sendable {
        package var status: HTTPResponse.Status
        package var headers: HTTPFields
        package var body: ByteBuffer
    }

    /// Runs one request, protocol-neutral: leases the version (the pinned `version`, else the `x-model-version`
    /// header, else the model's routing with its sticky header), decodes the request with `decode` under the
    /// server's limits, runs it, and calls `completion` once, on a pool thread or on the calling thread when the
    /// request fails early. The lease is held until `completion` returns.
    ///
    /// - Parameters:
    ///   - name: The model name.
    ///   - version: The pinned version, if any.
    ///   - headers: The request's header fields (HTTP) or metadata (gRPC), for version routing.
    ///   - decode: Builds the request; its time is reported as `compute_input`.
    package func run(
        name: String, version: String?, headers: HTTPFields,
        decode: (DecodingLimits) throws(ServingError) -> InferenceRequest,
        completion reply: @escaping @Sendable (Result<InferenceResponse, ServingError>) -> Void
    ) {
        // Unexpected failures (5xx other than 503) are logged here, once for every protocol.
        let logger = self.logger
        let completion: @Sendable (Result<InferenceResponse, ServingError>) -> Void = { outcome in
            if case .failure(let error) = outcome, error.status.code >= 500, error.status != .serviceUnavailable {
                logger.error("inference failed", metadata: ["model": "\(name)", "error": "\(error.message)"])
            }
            reply(outcome)
        }
        run(
            name: name, version: version, headers: headers,
            needsLoad: repository.needsLoad(name: name, version: version, headers: headers), decode: decode,
            completion: completion)
    }

    /// ``run(name:version:headers:decode:completion:)`` knowing whether the model must be loaded on demand first.
    private func run(
        name: String, version: String?, headers: HTTPFields, needsLoad: Bool,
        decode: (DecodingLimits) throws(ServingError) -> InferenceRequest,
        completion: @escaping @Sendable (Result<InferenceResponse, ServingError>) -> Void
    ) {
        if needsLoad {
            runLoading(name: name, version: version, headers: headers, decode: decode, completion: completion)
            return
        }
        let lease: ModelLease<ModelInstance>
        let request: InferenceRequest
        let decodeTime: Duration
        do throws(ServingError) {
            // The lease keeps the chosen version's instance alive until the response is done, across reloads.
            lease = try repository.lease(name: name, version: version, headers: headers)
            let decodeStart = ContinuousClock.now
            do {
                request = try decode(configuration.decodingLimits)
            } catch {
                lease.release()
                throw error
            }
            decodeTime = ContinuousClock.now - decodeStart
        } catch {
            completion(.failure(error))
            return
        }
        if logger.logLevel <= .debug {
            logger.debug(
                "inference routed",
                metadata: ["model": "\(name)", "version": "\(lease.version)", "route": "\(lease.reason.rawValue)"])
        }
        lease.instance.infer(request, decodeTime: decodeTime) { outcome in
            defer { lease.release() }
            completion(outcome)
        }
    }

    /// ``run(name:version:headers:decode:completion:)`` for a model that must be loaded on demand first: decodes
    /// the request, then waits in a task (not on the calling thread or event loop) for the load and its lease.
    private func runLoading(
        name: String, version: String?, headers: HTTPFields,
        decode: (DecodingLimits) throws(ServingError) -> InferenceRequest,
        completion: @escaping @Sendable (Result<InferenceResponse, ServingError>) -> Void
    ) {
        let request: InferenceRequest
        let decodeStart = ContinuousClock.now
        do throws(ServingError) {
            request = try decode(configuration.decodingLimits)
        } catch {
            completion(.failure(error))
            return
        }
        let decodeTime = ContinuousClock.now - decodeStart
        let repository = self.repository
        Task {
            let lease: ModelLease<ModelInstance>
            do throws(ServingError) {
                lease = try await repository.leaseLoading(name: name, version: version, headers: headers)
            } catch {
                completion(.failure(error))
                return
            }
            lease.instance.infer(request, decodeTime: decodeTime) { outcome in
                defer { lease.release() }
                completion(outcome)
            }
        }
    }

    /// Runs `POST /v2/models/{m}[/versions/{v}]/infer` once its body is in memory, and calls `completion` once with
    /// the reply: the response (JSON, or JSON plus binary tensors), or `{"error": "..."}` with the error's status.
    ///
    /// - Parameters:
    ///   - name: The model name from the path.
    ///   - version: The version from the path, if any.
    ///   - headers: The request's header fields.
    ///   - body: The whole (decompressed) request body.
    package func handle(
        name: String, version: String?, headers: HTTPFields, body: ByteBuffer,
        completion: @escaping @Sendable (Reply) -> Void
    ) {
        let acceptEncoding = headers.firstValue(.acceptEncoding)
        let lengthText = headers.firstValue(.inferenceHeaderContentLength)
        let responses = self.responses
        // A request that waits for an on-demand load says so in its response (`paddle-model-load: on-demand`).
        let needsLoad = repository.needsLoad(name: name, version: version, headers: headers)
        run(name: name, version: version, headers: headers, needsLoad: needsLoad) { limits throws(ServingError) in
            var headerLength: Int?
            if let lengthText {
                guard let value = Self.parseLength(lengthText) else {
                    throw .badRequest("Inference-Header-Content-Length must be a non-negative integer, '\(lengthText)' given")
                }
                headerLength = value
            }
            let decoded: Result<InferenceRequest, ServingError> = body.withUnsafeReadableBytes { bytes in
                do throws(ServingError) {
                    return .success(try InferenceRequest.decode(body: bytes, headerLength: headerLength, limits: limits))
                } catch {
                    return .failure(error)
                }
            }
            return try decoded.get()
        } completion: { outcome in
            switch outcome {
            case .success(let response):
                let (buffer, jsonLength) = response.encode()
                var extra = HTTPFields()
                if let jsonLength { extra[.inferenceHeaderContentLength] = String(jsonLength) }
                if needsLoad { extra[Self.modelLoadHeader] = "on-demand" }
                let (headers, body) = responses.encoded(
                    buffer, contentType: jsonLength == nil ? "application/json" : "application/octet-stream",
                    headers: extra, acceptEncoding: acceptEncoding)
                completion(Reply(status: .ok, headers: headers, body: body))
            case .failure(let error):
                completion(errorReply(error))
            }
        }
    }

    /// The response header of a request that waited for its model's on-demand load (value `on-demand`).
    static let modelLoadHeader = HTTPField.Name("paddle-model-load")!

    /// `{"error": "..."}` with the error's status and headers (``run(name:version:headers:decode:completion:)``
    /// has logged it if it was unexpected).
    func errorReply(_ error: ServingError) -> Reply {
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
