import HTTPTypes
import Hummingbird
import KServeProtocol
import PaddleModelRepository

extension ServingError: HTTPResponseError {
    /// The HTTP response `{"error": "..."}` with the error's status and headers.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let (headers, body) = jsonReply()
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}

extension HTTPError: ServingErrorConvertible {
    /// Hummingbird's own errors (for example a body over the size limit) keep their status and text.
    public var servingError: ServingError {
        ServingError(status, body ?? status.reasonPhrase, headers: headers)
    }
}
