import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import PaddleServing

/// The protocol over real HTTP on a loopback port chosen by the system.
@Suite struct InferenceServerLiveTests {
    @Test func liveServer_everyEndpointClass_answersWithTheRightStatus() async throws {
        let server = try await TestModels.shared.value
        var configuration = ServingConfiguration(port: 0)
        configuration.maxBodyBytes = 1 << 20
        let live = InferenceServer(repository: server.repository, configuration: configuration)
        live.state.markStarted()
        let app = live.makeApplication()
        try await app.test(.live) { client in
            let cases: [(String, HTTPRequest.Method, ByteBuffer?, HTTPResponse.Status)] = [
                ("/v2/health/live", .get, nil, .ok),
                ("/v2/health/ready", .get, nil, .ok),
                ("/v2", .get, nil, .ok),
                ("/v2/models/cls", .get, nil, .ok),
                ("/v2/models/cls/versions/1/ready", .get, nil, .ok),
                ("/v2/models/cls/config", .get, nil, .ok),
                ("/v2/models/cls/stats", .get, nil, .ok),
                ("/v2/models/stats", .get, nil, .ok),
                ("/v2/repository/index", .post, nil, .ok),
                ("/metrics", .get, nil, .ok),
                ("/v2/models/cls/infer", .post, TestModels.jsonInferBody(), .ok),
                ("/v2/models/nope/infer", .post, TestModels.jsonInferBody(), .notFound),
                ("/v2/models/cls/infer", .post, ByteBuffer(string: "{"), .badRequest),
                ("/v2/models/cls/infer", .post, ByteBuffer(repeating: 0x20, count: 2 << 20), .contentTooLarge),
            ]
            for (uri, method, body, status) in cases {
                try await client.execute(uri: uri, method: method, body: body) { response in
                    #expect(response.status == status, "\(method) \(uri)")
                    #expect(response.headers[HTTPField.Name("X-Request-ID")!] != nil)
                }
            }
        }
    }
}
