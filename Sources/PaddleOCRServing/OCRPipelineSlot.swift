import KServeProtocol
import PaddleModelRepository
import PaddleOCR
import PaddleServing
import Synchronization

/// The OCR pipeline behind `POST /v1/ocr` once it has loaded: the route answers 503 until then, so the server can
/// bind its port (and answer `/v2/health/live`) while the OCR models load alongside the repository's.
///
/// Thread-safe.
public final class OCRPipelineSlot: Sendable {
    private let value = Mutex<OCRPipeline?>(nil)

    /// A slot holding `pipeline`, or empty until ``fill(_:)``.
    public init(_ pipeline: OCRPipeline? = nil) {
        value.withLock { $0 = pipeline }
    }

    /// The pipeline, or `nil` while it loads (or if loading failed).
    public var pipeline: OCRPipeline? { value.withLock { $0 } }

    /// Installs the loaded pipeline.
    public func fill(_ pipeline: OCRPipeline) {
        value.withLock { $0 = pipeline }
    }
}
