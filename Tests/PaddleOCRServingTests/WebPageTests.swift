import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PaddleTestSupport
import Testing

@testable import PaddleModelRepository
@testable import PaddleOCRServing
@testable import PaddleServing

/// `GET /`: the page is served from the binary, self-contained, and only where it is added.
@Suite struct WebPageTests {
    static func server(withPage: Bool) -> InferenceServer {
        var logger = Logger(label: "paddle.serving.web-tests")
        logger.logLevel = .warning
        var server = InferenceServer(repository: ModelRepository(models: [], logger: logger), logger: logger)
        if withPage { server.addWebPage() }
        server.state.markStarted()
        return server
    }

    @Test func get_root_answersTheEmbeddedPageWithItsPolicy() async throws {
        try await Self.server(withPage: true).makeApplication().test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true)
                let html = String(buffer: response.body)
                #expect(html == WebPage.html)
                #expect(html.contains("fetch(\"v1/waybill\""))
                // Offline: nothing is loaded from another origin.
                #expect(!html.contains("http://") || html.contains("http://www.w3.org/2000/svg"))
                #expect(!html.contains("https://"))
                #expect(html.utf8.count < 30_000)
            }
        }
    }

    @Test func get_root_withoutThePage_is404() async throws {
        try await Self.server(withPage: false).makeApplication().test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
