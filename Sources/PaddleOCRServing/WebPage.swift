import HTTPTypes
import Hummingbird
import NIOCore
import PaddleServing

/// `GET /`: a page for people to try the waybill reader in a browser.
///
/// Upload, drop or paste a photo; the page posts it to `POST /v1/waybill` and shows the photo with the detected boxes
/// drawn and numbered, the recognised lines with their scores, the waybill's fields, the timings, and a button that
/// copies the JSON. It works without internet: the HTML, CSS and JavaScript are one file (`Web/index.html`, about
/// 10 KB) that SwiftPM embeds in the binary (`.embedInCode`), so no resource bundle needs to be installed.
/// Its Content-Security-Policy allows nothing but this server.
///
/// `paddle-swift serve` adds it with the OCR routes; a server without OCR has no page (`/` is 404, like `/v1/ocr`).
public struct WebPage: Sendable {
    /// The page's path.
    public let path: String
    let responses: ServingResponses

    /// The page at `path`; responses at least `compressionThreshold` bytes long are compressed when the client
    /// accepts it.
    public init(path: String = "/", compressionThreshold: Int = 1024) {
        self.path = path
        self.responses = ServingResponses(compressionThreshold: compressionThreshold)
    }

    /// The page itself: UTF-8 HTML with its styles and script inline.
    public static let html = String(decoding: PackageResources.index_html, as: UTF8.self)

    private static let body = ByteBuffer(bytes: PackageResources.index_html)

    /// Adds the route to `router`.
    public func register(on router: Router<ServingContext>) {
        router.get(RouterPath(path)) { request, _ in page(request) }
    }

    func page(_ request: Request) -> Response {
        var headers = HTTPFields()
        headers[.cacheControl] = "no-cache"
        headers[.contentSecurityPolicy] =
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self'"
        headers[.xContentTypeOptions] = "nosniff"
        return responses.body(request, Self.body, contentType: "text/html; charset=utf-8", headers: headers)
    }
}

extension InferenceServer {
    /// Serves the waybill page (see ``WebPage``) at `path`; it calls `POST /v1/waybill`
    /// (``addWaybillRoutes(slot:reader:configuration:)``).
    public mutating func addWebPage(path: String = "/") {
        let page = WebPage(path: path, compressionThreshold: configuration.compressionThreshold)
        addRoutes { page.register(on: $0) }
    }
}
