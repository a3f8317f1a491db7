/// What a predictor's load did with ``Config/optimizationCache``.
///
/// ```swift
/// let predictor = try Predictor(config: config)
/// if predictor.optimizationCacheOutcome == .hit { ... }   // loaded from the cache, IR passes skipped
/// ```
public enum OptimizationCacheOutcome: Sendable, Equatable, CustomStringConvertible {
    /// The optimized program was read from the cache, with the IR passes off.
    case hit
    /// The cache had no entry: the model loaded normally and its optimized program was saved.
    case stored
    /// The cache's entry was corrupt, incomplete or could not be loaded: the model loaded normally and the entry
    /// was replaced.
    case replaced
    /// The model loaded normally, but its optimized program could not be saved (for example a read-only folder).
    case notStored(reason: String)
    /// The cache does not apply to this config (a model in memory, or ``Config/irOptim`` off).
    case notApplicable(reason: String)

    /// A short sentence naming the outcome (and the reason, where there is one), for logs.
    public var description: String {
        switch self {
        case .hit: "hit"
        case .stored: "stored"
        case .replaced: "replaced"
        case .notStored(let reason): "not stored (\(reason))"
        case .notApplicable(let reason): "not applicable (\(reason))"
        }
    }
}
