import GRPCCore
import HTTPTypes
import KServeProtocol
import PaddleModelRepository
import PaddleServing

extension ServingError {
    /// The gRPC status of this error: the one place where serving errors become gRPC status codes, as
    /// `ServingError/init(_:)` is the one place where engine errors become HTTP statuses. The message is the
    /// same sentence HTTP sends, so internal text never reaches a client.
    ///
    /// | HTTP | gRPC |
    /// |------|------|
    /// | 400 | `INVALID_ARGUMENT` |
    /// | 401 | `UNAUTHENTICATED` |
    /// | 403 | `PERMISSION_DENIED` |
    /// | 404 | `NOT_FOUND` |
    /// | 413, 429 | `RESOURCE_EXHAUSTED` |
    /// | 503 | `UNAVAILABLE`, or `DEADLINE_EXCEEDED` when the request's deadline passed |
    /// | 500 and anything else | `INTERNAL` |
    package var rpcError: RPCError {
        RPCError(code: rpcCode, message: message)
    }

    package var rpcCode: RPCError.Code {
        if isDeadlineExceeded { return .deadlineExceeded }
        switch status.code {
        case 400: return .invalidArgument
        case 401: return .unauthenticated
        case 403: return .permissionDenied
        case 404: return .notFound
        case 413, 429: return .resourceExhausted
        case 503: return .unavailable
        case 400..<500: return .invalidArgument
        default: return .internalError
        }
    }
}
