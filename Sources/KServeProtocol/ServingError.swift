import HTTPTypes
import NIOCore
import PaddleInference

/// An error that becomes an HTTP response `{"error": "..."}` with a status code Triton would use (and, through
/// that status, a gRPC status code).
///
/// Every failure of the serving stack becomes one of these in exactly one place, ``ServingError/from(_:)``, so
/// internal text never reaches a client as a 500 body: engine-internal and unexpected errors are logged and
/// answered with a generic message. Error types of other layers (OCR, the HTTP framework) join that place by
/// conforming to ``ServingErrorConvertible``.
public struct ServingError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// The sentence sent to the client.
    public var message: String
    /// Extra response headers (for example `Retry-After`).
    public var headers: HTTPFields
    /// The request's deadline passed before it could run. HTTP answers 503 like any other overload; gRPC answers
    /// `DEADLINE_EXCEEDED`.
    public var isDeadlineExceeded = false

    /// An error with its status, client-facing message and extra headers.
    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    /// The status code and the message, for logs.
    public var description: String { "\(status.code) \(message)" }

    /// A malformed or unsatisfiable request (400).
    public static func badRequest(_ message: String) -> ServingError { ServingError(.badRequest, message) }
    /// An unknown model or version (404).
    public static func notFound(_ message: String) -> ServingError { ServingError(.notFound, message) }
    /// A model that exists but cannot serve now (503).
    public static func unavailable(_ message: String) -> ServingError { ServingError(.serviceUnavailable, message) }
    /// A request body over the limit (413).
    public static func tooLarge(limit: Int) -> ServingError {
        ServingError(.contentTooLarge, "request body is larger than the limit of \(limit) bytes")
    }
    /// A rate limit hit (429) with the seconds to wait.
    public static func rateLimited(model: String, retryAfter seconds: Int) -> ServingError {
        var headers = HTTPFields()
        headers[.retryAfter] = String(max(seconds, 1))
        return ServingError(.tooManyRequests, "rate limit exceeded for model '\(model)'", headers: headers)
    }
    /// An unexpected failure (500) whose details are logged, not sent.
    public static let internalError = ServingError(.internalServerError, "internal server error")

    /// Maps an engine error to HTTP: the one place this happens.
    public init(_ error: PaddleError) {
        switch error.code {
        case .unknownName, .shapeMismatch, .dtypeMismatch, .invalidArgument:
            self.init(.badRequest, error.message)
        case .overloaded:
            self.init(.serviceUnavailable, "the server is overloaded; retry later")
        case .timedOut:
            self.init(.serviceUnavailable, "the request timed out before it could run")
            isDeadlineExceeded = true
        case .shutdown, .cancelled:
            self.init(.serviceUnavailable, "the model is shutting down")
        case .runtimeLoad, .modelFile, .integrity, .unsupported:
            self.init(.serviceUnavailable, "the model is not available")
        case .invalidState:
            self.init(.serviceUnavailable, "the model is not available")
        default:
            self.init(.internalServerError, "inference failed in the engine")
        }
    }

    /// Maps any error to a ``ServingError``.
    public static func from(_ error: any Error) -> ServingError {
        switch error {
        case let error as ServingError: return error
        case let error as PaddleError: return ServingError(error)
        case let error as JSONParseError: return .badRequest("malformed JSON: \(error)")
        case let error as any ServingErrorConvertible: return error.servingError
        default: return .internalError
        }
    }
}

extension ServingError {
    /// The error's headers (with `Content-Type: application/json`) and its body, `{"error": "..."}`.
    package func jsonReply() -> (HTTPFields, ByteBuffer) {
        var writer = JSONWriter()
        writer.object { $0.member("error", string: message) }
        var headers = self.headers
        headers[.contentType] = "application/json"
        return (headers, ByteBuffer(bytes: writer.bytes))
    }
}

/// An error of another layer that knows its ``ServingError``: ``ServingError/from(_:)`` asks it.
public protocol ServingErrorConvertible: Error {
    /// The status and client-facing message this error becomes.
    var servingError: ServingError { get }
}
