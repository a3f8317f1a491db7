import Foundation

/// The one error type of the PaddleInference library.
///
/// An extensible struct rather than an enum: new codes can be added without breaking callers. Match on ``code``:
///
/// ```swift
/// do { _ = try predictor.run(inputs) }
/// catch let error as PaddleError where error.code == .shapeMismatch { ... }
/// ```
public struct PaddleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case runtimeLoad, modelFile, integrity, invalidArgument, unknownName, shapeMismatch, dtypeMismatch
            case engineFailure, unsupported, invalidState, overloaded, timedOut, cancelled, shutdown
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The Paddle runtime could not be found or loaded, a symbol is missing, or its version is not 3.3.1.
        public static let runtimeLoad = Code(.runtimeLoad)
        /// A model file is missing, unreadable or not a valid Paddle model.
        public static let modelFile = Code(.modelFile)
        /// A model file's SHA-256 differs from the expected digest.
        public static let integrity = Code(.integrity)
        /// An argument is invalid (for example a negative dimension or an unsupported option).
        public static let invalidArgument = Code(.invalidArgument)
        /// An input or output name that the model does not have.
        public static let unknownName = Code(.unknownName)
        /// A tensor's shape or element count does not fit.
        public static let shapeMismatch = Code(.shapeMismatch)
        /// A tensor's element type does not fit.
        public static let dtypeMismatch = Code(.dtypeMismatch)
        /// The engine reported a failure (its own message is in ``PaddleError/engineMessage``).
        public static let engineFailure = Code(.engineFailure)
        /// The request is not supported by this runtime (for example a GPU on the CPU-only build).
        public static let unsupported = Code(.unsupported)
        /// The object is in a state that does not allow the call (for example a destroyed predictor).
        public static let invalidState = Code(.invalidState)
        /// A bounded queue is full: retry later.
        public static let overloaded = Code(.overloaded)
        /// A deadline passed before the work could run.
        public static let timedOut = Code(.timedOut)
        /// The calling task was cancelled.
        public static let cancelled = Code(.cancelled)
        /// The component is shutting down and takes no new work.
        public static let shutdown = Code(.shutdown)

        /// The code's name, for example `shapeMismatch`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A sentence saying what went wrong, with what was expected and what was given where that applies.
    public var message: String
    /// The engine's own message, when the failure came from Paddle.
    public var engineMessage: String?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What kind of failure this is.
    ///   - message: What went wrong, with what was expected and what was given.
    ///   - engineMessage: Paddle's own message, when the failure came from the engine.
    public init(_ code: Code, _ message: String, engineMessage: String? = nil) {
        self.code = code
        self.message = message
        self.engineMessage = engineMessage
    }

    /// The code and message, then the engine's message without its C++ call stack.
    public var description: String {
        guard let engineMessage, !engineMessage.isEmpty else { return "\(code): \(message)" }
        return "\(code): \(message): \(Self.condense(engineMessage))"
    }

    /// Paddle's messages carry a C++ call stack and banner lines; keep the part a person needs.
    static func condense(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let useful = lines.filter { line in
            !line.isEmpty && !line.hasPrefix("---") && !line.hasPrefix("C++ Traceback")
                && !line.hasPrefix("Error Message Summary") && !(line.first?.isNumber == true && line.contains(" paddle::"))
        }
        return useful.joined(separator: " ")
    }
}

extension PaddleError {
    /// Runs `body`, which only throws PaddleErrors but through an untyped `rethrows` API, and keeps the type.
    static func typed<Result>(_ body: () throws -> Result) throws(PaddleError) -> Result {
        do {
            return try body()
        } catch let error as PaddleError {
            throw error
        } catch {
            throw PaddleError(.engineFailure, "unexpected error: \(error)")
        }
    }
}
