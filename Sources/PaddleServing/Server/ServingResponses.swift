import CompressNIO
import HTTPTypes
import Hummingbird
import KServeProtocol
import NIOCore
import PaddleModelRepository

/// Builds responses: JSON bodies, and compression when the client accepts it.
package struct ServingResponses: Sendable {
    let compressionThreshold: Int

    package init(compressionThreshold: Int) {
        self.compressionThreshold = compressionThreshold
    }

    /// A JSON response from a writer.
    package func json(_ request: Request, status: HTTPResponse.Status = .ok, _ write: (inout JSONWriter) -> Void) -> Response {
        var writer = JSONWriter()
        write(&writer)
        return body(request, status: status, ByteBuffer(bytes: writer.bytes), contentType: "application/json")
    }

    /// A response whose body is `buffer`, compressed with gzip or deflate when the request's `Accept-Encoding`
    /// allows and the body is large enough.
    package func body(
        _ request: Request, status: HTTPResponse.Status = .ok, _ buffer: ByteBuffer, contentType: String,
        headers extra: HTTPFields = [:]
    ) -> Response {
        let (headers, body) = encoded(
            buffer, contentType: contentType, headers: extra, acceptEncoding: request.headers[.acceptEncoding])
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }

    /// A body and its headers (`Content-Type`, and `Content-Encoding` when compressed for `acceptEncoding`).
    package func encoded(_ buffer: ByteBuffer, contentType: String, headers extra: HTTPFields, acceptEncoding: String?)
        -> (HTTPFields, ByteBuffer)
    {
        var headers = extra
        headers[.contentType] = contentType
        var buffer = buffer
        if buffer.readableBytes >= compressionThreshold, let (name, algorithm) = Self.negotiate(acceptEncoding) {
            var input = buffer
            if let compressed = try? input.compress(with: algorithm) {
                buffer = compressed
                headers[.contentEncoding] = name
                headers[.vary] = "Accept-Encoding"
            }
        }
        return (headers, buffer)
    }

    /// The encoding to use for an `Accept-Encoding` value, if any.
    static func negotiate(_ acceptEncoding: String?) -> (String, CompressionAlgorithm)? {
        guard let accept = acceptEncoding?.lowercased() else { return nil }
        var best: (name: String, quality: Double)?
        for part in accept.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = pieces.first, name == "gzip" || name == "deflate" else { continue }
            var quality = 1.0
            for parameter in pieces.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            if quality > 0 && (best == nil || quality > best!.quality || (quality == best!.quality && name == "gzip")) {
                best = (name, quality)
            }
        }
        guard let best else { return nil }
        return best.name == "gzip" ? ("gzip", .gzip()) : ("deflate", .zlib())
    }
}

/// Turns every error into `{"error": "..."}` with its status, logs the unexpected ones, and echoes the request id.
struct ServingErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let serving = ServingError.from(error)
            if serving.status.code >= 500 && serving.status != .serviceUnavailable {
                context.logger.error(
                    "request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            } else {
                context.logger.debug("request rejected", metadata: ["error": "\(serving.message)"])
            }
            response = try serving.response(from: request, context: context)
        }
        response.headers[.requestID] = context.id
        return response
    }
}

extension HTTPField.Name {
    /// The request id echoed on every response (the one in the server's logs).
    static let requestID = HTTPField.Name("X-Request-ID")!
}
