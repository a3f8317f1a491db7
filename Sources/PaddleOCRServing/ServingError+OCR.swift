import KServeProtocol
import PaddleInference
import PaddleModelRepository
import PaddleOCR
import PaddleServing

extension OCRError: ServingErrorConvertible {
    /// The OCR error as HTTP (asked by `ServingError.from(_:)`, the one place errors become statuses).
    public var servingError: ServingError { ServingError(self) }
}

extension ServingError {
    /// Maps an OCR error to HTTP (called from `ServingError.from(_:)`, the one place errors become statuses):
    /// bad or unsupported images are the client's (400), oversized ones 413, engine failures 500 with a generic
    /// message, unavailable models 503.
    public init(_ error: OCRError) {
        switch error.code {
        case .invalidImage, .unsupportedImage:
            self.init(.badRequest, "the image cannot be decoded: \(error.message)")
        case .imageTooLarge:
            self.init(.contentTooLarge, "the image is too large: \(error.message)")
        case .modelNotFound, .invalidModel, .dictionaryMismatch:
            self.init(.serviceUnavailable, "the OCR models are not available")
        case .inference where error.underlying is PaddleError:
            self.init(error.underlying as! PaddleError)  // overloaded, shutting down, ...: the engine's mapping
        default:
            self.init(.internalServerError, "OCR failed in the engine")
        }
    }
}
