import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository
@testable import PaddleServing

@Suite struct BearerTokenMiddlewareTests {
    private func makeRouter(token: String?) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: BearerTokenMiddleware(token: token))
        router.post("/v2/repository/index") { _, _ in "index" }
        router.get("/v2/health/live") { _, _ in "live" }
        return router
    }

    @Test func repositoryRoutes_needTheToken_otherRoutesDoNot() async throws {
        let app = Application(router: makeRouter(token: "s3cret-token"))
        try await app.test(.router) { client in
            let cases: [(String, HTTPRequest.Method, String?, HTTPResponse.Status)] = [
                ("/v2/repository/index", .post, nil, .unauthorized),
                ("/v2/repository/index", .post, "Bearer wrong", .unauthorized),
                ("/v2/repository/index", .post, "Bearer s3cret-toke", .unauthorized),
                ("/v2/repository/index", .post, "Basic s3cret-token", .unauthorized),
                ("/v2/repository/index", .post, "Bearer s3cret-token", .ok),
                ("/v2/repository/index", .post, "bearer s3cret-token", .ok),
                ("/v2/health/live", .get, nil, .ok),
            ]
            for (uri, method, authorization, status) in cases {
                var headers = HTTPFields()
                if let authorization { headers[.authorization] = authorization }
                try await client.execute(uri: uri, method: method, headers: headers) { response in
                    #expect(response.status == status, "\(uri) \(authorization ?? "-")")
                    if status == .unauthorized { #expect(response.headers[.wwwAuthenticate] != nil) }
                }
            }
        }
    }

    @Test func noToken_letsEverythingThrough() async throws {
        let app = Application(router: makeRouter(token: nil))
        try await app.test(.router) { client in
            try await client.execute(uri: "/v2/repository/index", method: .post) { #expect($0.status == .ok) }
        }
    }

    @Test func requiredToken_nonLoopbackWithoutToken_throws() throws {
        for host in ["0.0.0.0", "::", "192.168.1.4", "example.com"] {
            #expect(throws: ServingError.self, "\(host)") {
                try BearerTokenMiddleware<BasicRequestContext>.requiredToken(host: host, token: nil)
            }
        }
        #expect(try BearerTokenMiddleware<BasicRequestContext>.requiredToken(host: "0.0.0.0", token: "t") == "t")
        for host in ["127.0.0.1", "127.3.4.5", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"] {
            #expect(try BearerTokenMiddleware<BasicRequestContext>.requiredToken(host: host, token: nil) == nil, "\(host)")
        }
    }
}
