import KServeProtocol
import PaddleWaybill

extension WaybillError: ServingErrorConvertible {
    /// The waybill error as HTTP (asked by `ServingError.from(_:)`, the one place errors become statuses).
    public var servingError: ServingError { ServingError(self) }
}

extension ServingError {
    /// Maps a waybill error to HTTP: text that the asked character set cannot hold is 406 (the client may ask again
    /// in UTF-8), a divisions table that cannot be read is 503.
    public init(_ error: WaybillError) {
        if error == .notEncodable {
            self.init(.notAcceptable, "the answer cannot be encoded in the asked character set: \(error.message)")
        } else {
            self.init(.serviceUnavailable, "the waybill reader is not available: \(error.message)")
        }
    }
}
