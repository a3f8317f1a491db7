import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository
@testable import PaddleServing

/// Who may use the repository API (`/v2/repository/...`) of a server, by the address it binds and its token.
///
/// The rule a container relies on: binding `0.0.0.0` without a token still serves inference and health, and keeps
/// the repository API off (403 with a clear error) instead of refusing to start.
@Suite struct RepositoryAccessTests {
    /// A server over the shared test repository, bound to `host`, with `token` ("" for none, whatever the
    /// environment says).
    private static func makeServer(host: String, token: String = "") async throws -> InferenceServer {
        let shared = try await TestModels.shared.value
        var configuration = ServingConfiguration(host: host, port: 0)
        configuration.repositoryToken = token
        let server = InferenceServer(repository: shared.repository, configuration: configuration, logger: shared.logger)
        server.state.markStarted()
        return server
    }

    @Test func middleware_nonLoopbackWithoutToken_isOff_loopbackOrTokenIsNot() {
        for host in ["0.0.0.0", "::", "10.1.2.3", "paddle.example.com"] {
            let middleware = BearerTokenMiddleware<BasicRequestContext>(host: host, token: nil)
            #expect(middleware.isOff, "\(host)")
            #expect(middleware.offReason?.contains(host) == true)
            #expect(BearerTokenMiddleware<BasicRequestContext>(host: host, token: "").isOff, "\(host) empty token")
            #expect(!BearerTokenMiddleware<BasicRequestContext>(host: host, token: "t").isOff, "\(host) with token")
        }
        for host in ["127.0.0.1", "localhost", "::1"] {
            let middleware = BearerTokenMiddleware<BasicRequestContext>(host: host, token: nil)
            #expect(!middleware.isOff && middleware.token == nil, "\(host)")
        }
    }

    @Test func anyAddressWithoutToken_servesInferenceAndHealth_repositoryAPIAnswers403() async throws {
        let server = try await Self.makeServer(host: "0.0.0.0")
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/v2/health/live", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/health/ready", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/models/cls/infer", method: .post, body: TestModels.jsonInferBody()) {
                #expect($0.status == .ok)
            }
            let auth: HTTPFields = [.authorization: "Bearer anything"]
            for uri in ["/v2/repository/index", "/v2/repository/models/cls/load", "/v2/repository/models/cls/unload"] {
                for headers in [HTTPFields(), auth] {
                    try await client.execute(uri: uri, method: .post, headers: headers) { response in
                        #expect(response.status == .forbidden, "\(uri)")
                        let message = response.body.json()["error"]?.stringValue ?? ""
                        #expect(message.contains("repository API is off"), "\(message)")
                        #expect(message.contains("PADDLE_SERVING_TOKEN"))
                    }
                }
            }
        }
        // Nothing was unloaded by the refused calls.
        #expect(server.repository.readyInstances().contains { $0.key.name == "cls" })
    }

    @Test func anyAddressWithToken_repositoryAPINeedsTheToken() async throws {
        let server = try await Self.makeServer(host: "0.0.0.0", token: "deploy-token")
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/v2/repository/index", method: .post) { #expect($0.status == .unauthorized) }
            try await client.execute(
                uri: "/v2/repository/index", method: .post, headers: [.authorization: "Bearer deploy-token"]
            ) { #expect($0.status == .ok) }
        }
    }

    @Test func loopbackWithoutToken_repositoryAPIIsOpen() async throws {
        let server = try await Self.makeServer(host: "127.0.0.1")
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/v2/repository/index", method: .post) { #expect($0.status == .ok) }
        }
    }

    /// Over real HTTP: a server bound to every address starts (it used to refuse) and answers.
    @Test func liveServerOnAnyAddressWithoutToken_startsAndServes() async throws {
        let server = try await Self.makeServer(host: "0.0.0.0")
        try await server.makeApplication().test(.live) { client in
            try await client.execute(uri: "/v2/health/ready", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/models/cls/infer", method: .post, body: TestModels.jsonInferBody()) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v2/repository/index", method: .post) { #expect($0.status == .forbidden) }
        }
    }
}
