import Foundation
import HTTPTypes
import Hummingbird
import KServeProtocol
import NIOCore
import PaddleInference
import PaddleModelRepository

/// The KServe v2 / Open Inference Protocol routes and Triton's extensions, over one model repository.
package struct ServingRoutes: Sendable {
    let pipeline: InferencePipeline
    var repository: ModelRepository { pipeline.repository }
    let state: ServerState
    let configuration: ServingConfiguration
    let responses: ServingResponses

    package static let extensions = [
        "binary_tensor_data", "model_repository", "model_repository(unload_dependents)", "statistics",
        "model_configuration",
    ]

    func register(on router: Router<ServingContext>) {
        router.get("/v2/health/live") { _, _ in Response(status: .ok) }
        router.get("/v2/health/ready") { _, _ in
            Response(status: state.isReady && !repository.isLoading ? .ok : .serviceUnavailable)
        }
        router.get("/v2") { request, _ in serverMetadata(request) }
        registerMetrics(on: router)

        router.get("/v2/models/stats") { request, _ in try statistics(request, name: nil, version: nil) }
        router.post("/v2/repository/index") { request, _ in try await repositoryIndex(request) }
        router.post("/v2/repository/models/:model/load") { request, context in
            try await repositoryLoad(request, context: context, load: true)
        }
        router.post("/v2/repository/models/:model/unload") { request, context in
            try await repositoryLoad(request, context: context, load: false)
        }

        for prefix in ["/v2/models/:model", "/v2/models/:model/versions/:version"] {
            router.get(RouterPath(prefix)) { request, context in
                let (name, version) = try names(context)
                return try await modelMetadata(request, name: name, version: version)
            }
            router.get(RouterPath(prefix + "/ready")) { _, context in
                let (name, version) = try names(context)
                _ = try repository.instance(name: name, version: version)
                return Response(status: .ok)
            }
            router.get(RouterPath(prefix + "/config")) { request, context in
                let (name, version) = try names(context)
                return try modelConfig(request, name: name, version: version)
            }
            router.get(RouterPath(prefix + "/stats")) { request, context in
                let (name, version) = try names(context)
                return try statistics(request, name: name, version: version)
            }
            router.post(RouterPath(prefix + "/infer")) { request, context in
                let (name, version) = try names(context)
                return try await infer(request, context: context, name: name, version: version)
            }
        }
    }

    /// `GET /metrics` alone (the metrics port's router has nothing else).
    func registerMetrics(on router: Router<ServingContext>) {
        router.get("/metrics") { request, _ in metricsResponse(request) }
    }

    private func names(_ context: ServingContext) throws(ServingError) -> (String, String?) {
        guard let name = context.parameters.get("model") else { throw .badRequest("no model name in the path") }
        return (name, context.parameters.get("version"))
    }

    // MARK: Server

    private func serverMetadata(_ request: Request) -> Response {
        responses.json(request) { writer in
            writer.object {
                $0.member("name", string: configuration.serverName)
                $0.member("version", string: configuration.serverVersion)
                $0.member("extensions", strings: Self.extensions)
            }
        }
    }

    private func metricsResponse(_ request: Request) -> Response {
        for instance in repository.readyInstances() { instance.refreshGauges() }
        return responses.body(
            request, ByteBuffer(bytes: repository.metrics.render()), contentType: "text/plain; version=0.0.4")
    }

    // MARK: Models

    /// The model's metadata: loaded, or read from the files of an on-demand model that is not loaded
    /// (``ModelRepository/metadata(name:version:)``, which gRPC's `ModelMetadata` answers too).
    private func modelMetadata(_ request: Request, name: String, version: String?) async throws(ServingError)
        -> Response
    {
        let metadata = try await repository.metadata(name: name, version: version)
        return responses.json(request) { writer in
            writer.object { object in
                object.member("name", string: metadata.name)
                object.member("versions", strings: metadata.versions)
                object.member("platform", string: metadata.platform)
                object.member("inputs") { Self.writeTensorMetadata(metadata.inputs, into: &$0) }
                object.member("outputs") { Self.writeTensorMetadata(metadata.outputs, into: &$0) }
            }
        }
    }

    private static func writeTensorMetadata(_ infos: [TensorInfo], into writer: inout JSONWriter) {
        writer.array(infos) { element, info in
            element.object {
                $0.member("name", string: info.name)
                $0.member("datatype", string: info.dataType.kserveName)
                $0.member("shape", ints: info.shape)
            }
        }
    }

    private func modelConfig(_ request: Request, name: String, version: String?) throws(ServingError) -> Response {
        let instance = try repository.instance(name: name, version: version)
        let config = instance.configuration
        return responses.json(request) { writer in
            writer.object { object in
                object.member("name", string: name)
                object.member("platform", string: "paddle_inference")
                object.member("backend", string: "paddle")
                object.member("max_batch_size", int: config.maxBatchSize ?? 0)
                for (key, infos) in [("input", instance.inputs), ("output", instance.outputs)] {
                    object.member(key) { array in
                        array.array(infos) { element, info in
                            element.object {
                                $0.member("name", string: info.name)
                                $0.member("data_type", string: info.dataType.tritonConfigName)
                                $0.member("dims", ints: info.shape)
                            }
                        }
                    }
                }
                object.member("instance_group") { array in
                    array.array([instance.pool.size]) { element, count in
                        element.object {
                            $0.member("name", string: name)
                            $0.member("kind", string: "KIND_CPU")
                            $0.member("count", int: count)
                        }
                    }
                }
                if let batching = config.dynamicBatching {
                    object.member("dynamic_batching") {
                        $0.object {
                            $0.member("preferred_batch_size", ints: batching.preferredBatchSizes ?? [])
                            $0.member("max_queue_delay_microseconds", int: batching.maxQueueDelayUs ?? 1000)
                        }
                    }
                }
                if let rateLimit = config.rateLimit {
                    object.member("rate_limit") {
                        $0.object {
                            $0.member("requests_per_second") { $0.double(rateLimit.requestsPerSecond) }
                            $0.member("burst", int: rateLimit.burst ?? max(Int(rateLimit.requestsPerSecond), 1))
                        }
                    }
                }
                object.member("parameters") {
                    $0.object {
                        $0.member("threads") { $0.object { $0.member("string_value", string: String(config.threads ?? 1)) } }
                        $0.member("onednn") {
                            $0.object { $0.member("string_value", string: String(instance.pool.config.resolvedOneDNN)) }
                        }
                    }
                }
            }
        }
    }

    private func statistics(_ request: Request, name: String?, version: String?) throws(ServingError) -> Response {
        let instances: [ModelInstance]
        if let name {
            if let version {
                instances = [try repository.instance(name: name, version: version)]
            } else {
                _ = try repository.instance(name: name)
                instances = repository.readyInstances().filter { $0.key.name == name }
            }
        } else {
            instances = repository.readyInstances()
        }
        return responses.json(request) { writer in
            writer.object { root in
                root.member("model_stats") { array in
                    array.array(instances) { element, instance in
                        Self.writeStatistics(instance, into: &element)
                    }
                }
            }
        }
    }

    private static func writeStatistics(_ instance: ModelInstance, into writer: inout JSONWriter) {
        let stats = instance.statistics.snapshot
        func tally(_ tally: ModelStatistics.Tally) -> (inout JSONWriter) -> Void {
            { $0.object { $0.member("count", int: tally.count); $0.member("ns") { $0.int(tally.nanoseconds) } } }
        }
        writer.object { object in
            object.member("name", string: instance.key.name)
            object.member("version", string: String(instance.key.version))
            object.member("last_inference") { $0.int(stats.lastInferenceMilliseconds) }
            object.member("inference_count", int: stats.inferenceCount)
            object.member("execution_count", int: stats.executionCount)
            object.member("inference_stats") {
                $0.object {
                    $0.member("success", tally(stats.success))
                    $0.member("fail", tally(stats.fail))
                    $0.member("queue", tally(stats.queue))
                    $0.member("compute_input", tally(stats.computeInput))
                    $0.member("compute_infer", tally(stats.computeInfer))
                    $0.member("compute_output", tally(stats.computeOutput))
                    $0.member("cache_hit", tally(.init()))
                    $0.member("cache_miss", tally(.init()))
                }
            }
            object.member("batch_stats") { array in
                array.array(stats.batches.sorted { $0.key < $1.key }) { element, batch in
                    element.object {
                        $0.member("batch_size", int: batch.key)
                        $0.member("compute_input", tally(batch.value.computeInput))
                        $0.member("compute_infer", tally(batch.value.computeInfer))
                        $0.member("compute_output", tally(batch.value.computeOutput))
                    }
                }
            }
        }
    }

    // MARK: Repository

    private func repositoryIndex(_ request: Request) async throws(ServingError) -> Response {
        let body = try await request.collectBody(limit: 1 << 20)
        var readyOnly = false
        if body.readableBytes > 0, let ready = try Self.parseObject(body)["ready"] {
            guard let flag = ready.boolValue else { throw .badRequest("'ready' must be a boolean") }
            readyOnly = flag
        }
        let entries = repository.index().filter { !readyOnly || $0.state == .ready }
        return responses.json(request) { writer in
            writer.array(entries) { element, entry in
                element.object {
                    $0.member("name", string: entry.name)
                    if let version = entry.version { $0.member("version", string: String(version)) }
                    $0.member("state", string: entry.state.tritonName)
                    $0.member("lifecycle", string: entry.state.lifecycleName)
                    $0.member("reason", string: entry.reason)
                    if let bytes = entry.memoryBytes { $0.member("memory_bytes", int: bytes) }
                }
            }
        }
    }

    private func repositoryLoad(_ request: Request, context: ServingContext, load: Bool) async throws(ServingError)
        -> Response
    {
        let (name, _) = try names(context)
        let body = try await request.collectBody(limit: 1 << 20)
        if body.readableBytes > 0 {
            let parsed = try Self.parseObject(body)
            if let parameters = parsed["parameters"], parameters.objectValue == nil {
                throw .badRequest("'parameters' must be an object")
            }
            if load, parsed["parameters"]?["config"] != nil {
                throw .badRequest("loading a model with an inline 'config' parameter is not supported")
            }
        }
        if load {
            try await repository.load(name: name)
        } else {
            try await repository.unload(name: name)
        }
        return Response(status: .ok)
    }

    private static func parseObject(_ body: ByteBuffer) throws(ServingError) -> JSONObject {
        let value: JSONValue
        do {
            value = try body.withUnsafeReadableBytes { try JSONParser.parse($0) }
        } catch {
            throw .badRequest("malformed JSON request: \(error)")
        }
        guard let object = value.objectValue else { throw .badRequest("the request must be a JSON object") }
        return object
    }

    // MARK: Inference

    private func infer(_ request: Request, context: ServingContext, name: String, version: String?)
        async throws(ServingError) -> Response
    {
        let body = try await request.collectBody(limit: configuration.maxBodyBytes)
        let reply = await withCheckedContinuation { (continuation: CheckedContinuation<InferencePipeline.Reply, Never>) in
            pipeline.handle(name: name, version: version, headers: request.headers, body: body) {
                continuation.resume(returning: $0)
            }
        }
        return Response(status: reply.status, headers: reply.headers, body: .init(byteBuffer: reply.body))
    }
}

extension HTTPField.Name {
    /// Triton's binary tensor extension: the length of the JSON part of a body.
    static let inferenceHeaderContentLength = HTTPField.Name("Inference-Header-Content-Length")!
}
