import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaddleInference
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository
@testable import PaddleServing

/// The protocol routes driven in-process against the real engine (the PP-OCR direction classifier).
@Suite struct InferenceServerRouterTests {
    private func withApp(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let server = try await TestModels.shared.value
        let app = Application(router: server.makeRouter())
        try await app.test(.router, body)
    }

    @Test func health_liveAndReady_return200() async throws {
        try await withApp { client in
            try await client.execute(uri: "/v2/health/live", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/health/ready", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func health_readyBeforeStart_returns503() async throws {
        let base = try await TestModels.shared.value
        let server = InferenceServer(repository: base.repository)
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/v2/health/ready", method: .get) { #expect($0.status == .serviceUnavailable) }
            server.state.markStarted()
            try await client.execute(uri: "/v2/health/ready", method: .get) { #expect($0.status == .ok) }
            server.state.markDraining()
            try await client.execute(uri: "/v2/health/ready", method: .get) { #expect($0.status == .serviceUnavailable) }
        }
    }

    @Test func serverMetadata_listsExtensions() async throws {
        try await withApp { client in
            try await client.execute(uri: "/v2", method: .get) { response in
                let json = response.body.json()
                #expect(json["name"] == .string("paddle-swift"))
                #expect(json["version"] == .string(PaddleSwiftVersion.current))
                #expect(json["extensions"]?.arrayValue?.contains(.string("binary_tensor_data")) == true)
            }
        }
    }

    @Test func modelMetadata_plainAndVersioned_describeTensors() async throws {
        try await withApp { client in
            try await client.execute(uri: "/v2/models/cls", method: .get) { response in
                #expect(response.status == .ok)
                let json = response.body.json()
                #expect(json["versions"] == .array([.string("1"), .string("2")]))
                #expect(json["inputs"]?.arrayValue?[0]["datatype"] == .string("FP32"))
                #expect(json["inputs"]?.arrayValue?[0]["shape"] == .array([-1, 3, -1, -1].map { .number(.int($0)) }))
            }
            try await client.execute(uri: "/v2/models/cls/versions/2", method: .get) { response in
                #expect(response.body.json()["versions"] == .array([.string("2")]))
            }
            try await client.execute(uri: "/v2/models/cls/ready", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/models/cls/versions/1/ready", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func unknownModelOrVersion_returns404WithErrorBody() async throws {
        try await withApp { client in
            for uri in ["/v2/models/nope", "/v2/models/nope/ready", "/v2/models/cls/versions/9", "/v2/models/cls/versions/x/ready"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .notFound, "\(uri)")
                    #expect(response.body.json()["error"]?.stringValue != nil)
                }
            }
            try await client.execute(uri: "/v2/models/nope/infer", method: .post, body: TestModels.jsonInferBody()) {
                #expect($0.status == .notFound)
            }
        }
    }

    @Test func infer_json_matchesThePredictor() async throws {
        let expected = try TestModels.referenceOutput(batch: 2)
        try await withApp { client in
            try await client.execute(uri: "/v2/models/cls/infer", method: .post, body: TestModels.jsonInferBody(batch: 2)) {
                response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let json = response.body.json()
                #expect(json["id"] == .string("r1"))
                #expect(json["model_version"] == .string("2"))
                let output = try #require(json["outputs"]?.arrayValue?.first)
                #expect(output["shape"] == .array([.number(.int(2)), .number(.int(2))]))
                let values = output["data"]?.floats ?? []
                #expect(values.count == 4)
                for (a, b) in zip(values, expected) { #expect(abs(a - b) < 1e-5) }
            }
        }
    }

    @Test func infer_binaryInAndOut_matchesThePredictor() async throws {
        let expected = try TestModels.referenceOutput()
        try await withApp { client in
            let (body, length) = TestModels.binaryInferBody()
            var headers = HTTPFields()
            headers[.inferenceHeaderContentLength] = String(length)
            try await client.execute(uri: "/v2/models/cls/versions/1/infer", method: .post, headers: headers, body: body) {
                response in
                #expect(response.status == .ok)
                let headerLength = try #require(response.headers[.inferenceHeaderContentLength].flatMap { Int($0) })
                let header = response.body.getSlice(at: 0, length: headerLength)!.json()
                #expect(header["outputs"]?.arrayValue?[0]["parameters"]?["binary_data_size"] == .number(.int(8)))
                let floats = response.body.getSlice(at: headerLength, length: 8)!.withUnsafeReadableBytes {
                    Array($0.bindMemory(to: Float.self))
                }
                for (a, b) in zip(floats, expected) { #expect(abs(a - b) < 1e-6) }
            }
        }
    }

    @Test func infer_mixedOutputRequest_honoursPerOutputChoice() async throws {
        try await withApp { client in
            let outputs = #"[{"name":"softmax_0.tmp_0","parameters":{"binary_data":false}}]"#
            try await client.execute(
                uri: "/v2/models/cls/infer", method: .post, body: TestModels.jsonInferBody(outputs: outputs)
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.inferenceHeaderContentLength] == nil)
                #expect(response.body.json()["outputs"]?.arrayValue?[0]["data"]?.floats.count == 2)
            }
            let unknown = #"[{"name":"nope"}]"#
            try await client.execute(
                uri: "/v2/models/cls/infer", method: .post, body: TestModels.jsonInferBody(outputs: unknown)
            ) { #expect($0.status == .badRequest) }
        }
    }

    @Test func infer_badShapeOrType_returns400() async throws {
        try await withApp { client in
            let bodies = [
                #"{"inputs":[{"name":"x","datatype":"FP32","shape":[1,1,1,1],"data":[0]}]}"#,
                #"{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,48],"data":[\#(Array(repeating: "0", count: 144).joined(separator: ","))]}]}"#,
                #"{"inputs":[{"name":"x","datatype":"INT32","shape":[1,1],"data":[1]}]}"#,
                #"{"inputs":[{"name":"y","datatype":"FP32","shape":[1],"data":[1]}]}"#,
                #"{"inputs":[{"name":"x","datatype":"BYTES","shape":[1],"data":["a"]}]}"#,
                #"{"inputs":[{"name":"x","datatype":"FP32","shape":[0,3,48,192],"data":[]}]}"#,
                "{not json",
            ]
            for body in bodies {
                try await client.execute(uri: "/v2/models/cls/infer", method: .post, body: ByteBuffer(string: body)) {
                    response in
                    #expect(response.status == .badRequest, "\(body.prefix(80))")
                    #expect(response.body.json()["error"]?.stringValue?.isEmpty == false)
                }
            }
        }
    }

    @Test func infer_bodyOverLimit_returns413() async throws {
        var configuration = ServingConfiguration(port: 0)
        configuration.maxBodyBytes = 4096
        let base = try await TestModels.shared.value
        let server = InferenceServer(repository: base.repository, configuration: configuration)
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/v2/models/cls/infer", method: .post, body: TestModels.jsonInferBody()) {
                #expect($0.status == .contentTooLarge)
            }
        }
    }

    @Test func infer_gzipRequestAndAcceptEncoding_roundTrip() async throws {
        try await withApp { client in
            var plain = TestModels.jsonInferBody()
            let compressed = try plain.compress(with: .gzip())
            var check = compressed
            let back = try check.decompress(with: .gzip())
            #expect(back.readableBytes == TestModels.jsonInferBody().readableBytes)
            var headers = HTTPFields()
            headers[.contentEncoding] = "gzip"
            headers[.acceptEncoding] = "gzip"
            try await client.execute(uri: "/v2/models/cls/infer", method: .post, headers: headers, body: compressed) {
                response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                if response.headers[.contentEncoding] == "gzip" {
                    var body = response.body
                    let inflated = try body.decompress(with: .gzip())
                    #expect(inflated.json()["outputs"] != nil)
                } else {
                    #expect(response.body.json()["outputs"] != nil)
                }
            }
            headers[.contentEncoding] = "deflate"
            try await client.execute(
                uri: "/v2/models/cls/infer", method: .post, headers: headers, body: ByteBuffer(string: "garbage")
            ) { #expect($0.status == .badRequest) }
        }
    }

    @Test func statsConfigAndMetrics_areTritonShaped() async throws {
        try await withApp { client in
            try await client.execute(uri: "/v2/models/cls/versions/1/infer", method: .post, body: TestModels.jsonInferBody()) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v2/models/cls/versions/1/stats", method: .get) { response in
                let stats = try #require(response.body.json()["model_stats"]?.arrayValue?.first)
                #expect(stats["name"] == .string("cls"))
                #expect((stats["inference_stats"]?["success"]?["count"]?.intValue ?? 0) >= 1)
                #expect((stats["inference_stats"]?["compute_infer"]?["ns"]?.intValue ?? 0) > 0)
            }
            try await client.execute(uri: "/v2/models/stats", method: .get) { response in
                #expect(response.body.json()["model_stats"]?.arrayValue?.count == 2)
            }
            try await client.execute(uri: "/v2/models/cls/config", method: .get) { response in
                let json = response.body.json()
                #expect(json["input"]?.arrayValue?[0]["data_type"] == .string("TYPE_FP32"))
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("paddle_inference_success_total{model=\"cls\",version=\"1\"}"))
                #expect(text.contains("paddle_inference_request_duration_seconds_bucket"))
                #expect(text.contains("paddle_pool_size_predictors"))
            }
        }
    }

    @Test func repository_indexLoadUnload() async throws {
        let server = try await TestModels.makeServer()
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/v2/repository/index", method: .post) { response in
                #expect(response.status == .ok)
                let entries = response.body.json().arrayValue ?? []
                #expect(entries.first?["state"] == .string("READY"))
            }
            try await client.execute(uri: "/v2/repository/models/cls/unload", method: .post) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/models/cls/ready", method: .get) { #expect($0.status == .serviceUnavailable) }
            try await client.execute(uri: "/v2/repository/index", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.body.json().arrayValue?.first?["state"] == .string("UNAVAILABLE"))
            }
            try await client.execute(uri: "/v2/repository/models/cls/load", method: .post) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/models/cls/ready", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/repository/models/nope/load", method: .post) { #expect($0.status == .notFound) }
        }
        await server.repository.shutdown()
    }

    @Test func rateLimit_beyondBurst_returns429WithRetryAfter() async throws {
        let server = try await TestModels.makeServer(config: "rate_limit:\n  requests_per_second: 0.001\n  burst: 1\nwarmup: false\n")
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/v2/models/cls/infer", method: .post, body: TestModels.jsonInferBody()) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v2/models/cls/infer", method: .post, body: TestModels.jsonInferBody()) {
                #expect($0.status == .tooManyRequests)
                #expect($0.headers[.retryAfter] != nil)
            }
        }
        await server.repository.shutdown()
    }

    @Test func dynamicBatching_concurrentRequests_mergeAndSplit() async throws {
        let server = try await TestModels.makeServer(
            config: "max_batch_size: 8\ndynamic_batching:\n  preferred_batch_sizes: [4]\n  max_queue_delay_us: 200000\n")
        let expected = try TestModels.referenceOutput()
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await withThrowingTaskGroup(of: [Float].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await client.execute(
                            uri: "/v2/models/cls/infer", method: .post, body: TestModels.jsonInferBody()
                        ) { response in
                            #expect(response.status == .ok)
                            return response.body.json()["outputs"]?.arrayValue?[0]["data"]?.floats ?? []
                        }
                    }
                }
                for try await values in group {
                    #expect(values.count == 2)
                    for (a, b) in zip(values, expected) { #expect(abs(a - b) < 1e-5) }
                }
            }
        }
        let batches = try server.repository.instance(name: "cls").statistics.snapshot.batches
        #expect(batches.keys.contains { $0 > 1 }, "batch sizes seen: \(batches.keys.sorted())")
        await server.repository.shutdown()
    }
}
