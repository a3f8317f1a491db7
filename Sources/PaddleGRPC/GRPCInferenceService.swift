import GRPCCore
import HTTPTypes
import KServeProtocol
import Logging
import PaddleInference
import PaddleModelRepository
import PaddleServing

/// `inference.GRPCInferenceService`: the Open Inference Protocol over gRPC, with Triton's model configuration,
/// statistics, repository and streaming extensions, served from the same ``ModelRepository`` as HTTP.
///
/// Inference goes through the server's one `InferencePipeline`, like HTTP: it takes a lease on the version (the
/// request's `model_version`, else the `x-model-version` metadata, else the model's A/B routing with its sticky
/// header read from the metadata), decodes the protobuf message, then ``ModelInstance`` validates, applies the rate limit and the
/// deadline (the `timeout` parameter or the call's `grpc-timeout`), batches and runs the request on a pool thread,
/// and records the model's statistics and metrics. Errors become gRPC statuses in `ServingError/rpcError`.
/// The repository RPCs need the bearer token in the `authorization` metadata under HTTP's rule.
///
/// Thread-safe: a value shared by every call.
struct GRPCInferenceService: Inference_GRPCInferenceService.ServiceProtocol {
    /// The server's one inference path, shared with its HTTP adapters.
    let pipeline: InferencePipeline
    var repository: ModelRepository { pipeline.repository }
    let state: ServerState
    let configuration: ServingConfiguration
    let access: BearerTokenMiddleware<ServingContext>
    let metrics: GRPCMetrics
    let logger: Logger

    // MARK: Health and metadata

    func serverLive(
        request: ServerRequest<Inference_ServerLiveRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ServerLiveResponse> {
        try await observe("ServerLive") { () throws(ServingError) in .with { $0.live = true } }
    }

    func serverReady(
        request: ServerRequest<Inference_ServerReadyRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ServerReadyResponse> {
        try await observe("ServerReady") { () throws(ServingError) in
            .with { $0.ready = state.isReady && !repository.isLoading }
        }
    }

    func modelReady(
        request: ServerRequest<Inference_ModelReadyRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ModelReadyResponse> {
        let message = request.message
        return try await observe("ModelReady") { () throws(ServingError) in
            .with { $0.ready = repository.isReady(name: message.name, version: Self.version(message.version)) }
        }
    }

    func serverMetadata(
        request: ServerRequest<Inference_ServerMetadataRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ServerMetadataResponse> {
        try await observe("ServerMetadata") { () throws(ServingError) in
            .with {
                $0.name = configuration.serverName
                $0.version = configuration.serverVersion
                $0.extensions = ServingRoutes.extensions
            }
        }
    }

    func modelMetadata(
        request: ServerRequest<Inference_ModelMetadataRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ModelMetadataResponse> {
        let message = request.message
        return try await observeAsync("ModelMetadata") { () async throws(ServingError) in
            // The HTTP route's answer: loaded, or from the files of an on-demand model that is not loaded.
            let metadata = try await repository.metadata(name: message.name, version: Self.version(message.version))
            func tensors(_ infos: [TensorInfo]) -> [Inference_ModelMetadataResponse.TensorMetadata] {
                infos.map { info in
                    .with {
                        $0.name = info.name
                        $0.datatype = info.dataType.kserveName
                        $0.shape = info.shape.map(Int64.init)
                    }
                }
            }
            return .with {
                $0.name = metadata.name
                $0.versions = metadata.versions
                $0.platform = metadata.platform
                $0.inputs = tensors(metadata.inputs)
                $0.outputs = tensors(metadata.outputs)
            }
        }
    }

    func modelConfig(
        request: ServerRequest<Inference_ModelConfigRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ModelConfigResponse> {
        let message = request.message
        return try await observe("ModelConfig") { () throws(ServingError) in
            let instance = try repository.instance(name: message.name, version: Self.version(message.version))
            return .with { $0.config = GRPCModelConfig.make(name: message.name, instance: instance) }
        }
    }

    func modelStatistics(
        request: ServerRequest<Inference_ModelStatisticsRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ModelStatisticsResponse> {
        let message = request.message
        return try await observe("ModelStatistics") { () throws(ServingError) in
            let instances: [ModelInstance]
            if message.name.isEmpty {
                instances = repository.readyInstances()
            } else if let version = Self.version(message.version) {
                instances = [try repository.instance(name: message.name, version: version)]
            } else {
                _ = try repository.instance(name: message.name)
                instances = repository.readyInstances().filter { $0.key.name == message.name }
            }
            return .with { $0.modelStats = instances.map(GRPCModelStatistics.make) }
        }
    }

    // MARK: Repository

    func repositoryIndex(
        request: ServerRequest<Inference_RepositoryIndexRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_RepositoryIndexResponse> {
        let message = request.message
        let metadata = GRPCRequestMetadata(metadata: request.metadata)
        return try await observe("RepositoryIndex") { () throws(ServingError) in
            try metadata.authorizeRepositoryAccess(access)
            let entries = repository.index().filter { !message.ready || $0.state == .ready }
            return .with {
                $0.models = entries.map { entry in
                    .with {
                        $0.name = entry.name
                        $0.version = entry.version.map(String.init) ?? ""
                        $0.state = entry.state.tritonName
                        $0.reason = entry.reason
                    }
                }
            }
        }
    }

    func repositoryModelLoad(
        request: ServerRequest<Inference_RepositoryModelLoadRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_RepositoryModelLoadResponse> {
        let message = request.message
        let metadata = GRPCRequestMetadata(metadata: request.metadata)
        return try await observeAsync("RepositoryModelLoad") { () async throws(ServingError) in
            try metadata.authorizeRepositoryAccess(access)
            guard !message.modelName.isEmpty else { throw .badRequest("the request has no model_name") }
            if message.parameters["config"] != nil {
                throw .badRequest("loading a model with an inline 'config' parameter is not supported")
            }
            try await repository.load(name: message.modelName)
            return Inference_RepositoryModelLoadResponse()
        }
    }

    func repositoryModelUnload(
        request: ServerRequest<Inference_RepositoryModelUnloadRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_RepositoryModelUnloadResponse> {
        let message = request.message
        let metadata = GRPCRequestMetadata(metadata: request.metadata)
        return try await observeAsync("RepositoryModelUnload") { () async throws(ServingError) in
            try metadata.authorizeRepositoryAccess(access)
            guard !message.modelName.isEmpty else { throw .badRequest("the request has no model_name") }
            try await repository.unload(name: message.modelName)
            return Inference_RepositoryModelUnloadResponse()
        }
    }

    // MARK: Inference

    func modelInfer(
        request: ServerRequest<Inference_ModelInferRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ModelInferResponse> {
        let message = request.message
        let metadata = GRPCRequestMetadata(metadata: request.metadata)
        return try await observeAsync("ModelInfer") { () async throws(ServingError) in
            try await infer(message, metadata: metadata, callTimeout: metadata.timeout)
        }
    }

    /// Answers each request of the stream in turn, in order. A failed request answers with its `error_message`
    /// (and its `id` in `infer_response`), and the stream goes on, as in Triton.
    func modelStreamInfer(
        request: StreamingServerRequest<Inference_ModelInferRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<Inference_ModelStreamInferResponse> {
        let metadata = GRPCRequestMetadata(metadata: request.metadata)
        return StreamingServerResponse { writer in
            for try await message in request.messages {
                let start = ContinuousClock.now
                var reply = Inference_ModelStreamInferResponse()
                do throws(ServingError) {
                    reply.inferResponse = try await infer(message, metadata: metadata, callTimeout: nil)
                    metrics.record(method: "ModelStreamInfer", code: nil, since: start)
                } catch {
                    reply.errorMessage = error.message
                    reply.inferResponse.id = message.id
                    reply.inferResponse.modelName = message.modelName
                    metrics.record(method: "ModelStreamInfer", code: error.rpcCode, since: start)
                }
                try await writer.write(reply)
            }
            return [:]
        }
    }

    /// Runs one request through the server's inference pipeline (lease, decode, validate, limit, batch, run).
    private func infer(
        _ message: Inference_ModelInferRequest, metadata: GRPCRequestMetadata, callTimeout: Duration?
    ) async throws(ServingError) -> Inference_ModelInferResponse {
        let outcome = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<InferenceResponse, ServingError>, Never>) in
            pipeline.run(
                name: message.modelName, version: Self.version(message.modelVersion), headers: metadata.headerFields
            ) { limits throws(ServingError) in
                try InferenceRequest.decode(message, callTimeout: callTimeout, limits: limits)
            } completion: { continuation.resume(returning: $0) }
        }
        switch outcome {
        case .success(let response):
            return response.grpcMessage
        case .failure(let error):
            throw error  // logged by the pipeline if unexpected
        }
    }

    // MARK: Helpers

    /// `nil` for an empty version (the server's choice).
    private static func version(_ text: String) -> String? {
        text.isEmpty ? nil : text
    }

    /// Runs a unary RPC's work, records its metrics, and turns a `ServingError` into its gRPC status.
    private func observe<Message>(
        _ method: String, _ body: () throws(ServingError) -> Message
    ) async throws -> ServerResponse<Message> {
        let start = ContinuousClock.now
        do {
            let message = try body()
            metrics.record(method: method, code: nil, since: start)
            return ServerResponse(message: message)
        } catch {
            metrics.record(method: method, code: error.rpcCode, since: start)
            throw error.rpcError
        }
    }

    private func observeAsync<Message>(
        _ method: String, _ body: () async throws(ServingError) -> Message
    ) async throws -> ServerResponse<Message> {
        let start = ContinuousClock.now
        do {
            let message = try await body()
            metrics.record(method: method, code: nil, since: start)
            return ServerResponse(message: message)
        } catch {
            metrics.record(method: method, code: error.rpcCode, since: start)
            throw error.rpcError
        }
    }
}
