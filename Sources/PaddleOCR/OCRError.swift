/// An error from the OCR library: a stable ``code`` to switch on, a human-readable ``message`` that says
/// what was expected and what was given, and the underlying cause when there is one.
///
/// New codes can be added without breaking callers (this is a struct, not an enum).
public struct OCRError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case invalidImage, unsupportedImage, imageTooLarge, encodingFailed
            case modelNotFound, invalidModel, dictionaryMismatch, inference, invalidOption
        }
        fileprivate let base: Base
        fileprivate init(_ base: Base) { self.base = base }

        /// The bytes are not a decodable JPEG or PNG (unknown format, corrupt or truncated data).
        public static let invalidImage = Code(.invalidImage)
        /// A valid image in a form this library does not handle (e.g. 12-bit JPEG).
        public static let unsupportedImage = Code(.unsupportedImage)
        /// The image is larger than the decoder accepts.
        public static let imageTooLarge = Code(.imageTooLarge)
        /// Writing an image (PNG) failed.
        public static let encodingFailed = Code(.encodingFailed)
        /// A model file or the character dictionary could not be found.
        public static let modelNotFound = Code(.modelNotFound)
        /// A model loaded but its inputs/outputs are not what the pipeline expects.
        public static let invalidModel = Code(.invalidModel)
        /// The recognition model's class count does not match the dictionary.
        public static let dictionaryMismatch = Code(.dictionaryMismatch)
        /// The inference engine failed while running a model.
        public static let inference = Code(.inference)
        /// An ``OCROptions`` value is out of range.
        public static let invalidOption = Code(.invalidOption)

        /// The code's name, for example `modelNotFound`.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong, with the expected and given values when relevant.
    public var message: String
    /// The error that caused this one, if any (for example a `PaddleError`).
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: What went wrong, with the expected and given values when relevant.
    ///   - underlying: The error that caused this one, if any.
    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The code and message, then the underlying error in parentheses.
    public var description: String {
        if let underlying { return "\(code): \(message) (\(underlying))" }
        return "\(code): \(message)"
    }
}
