import Foundation

/// Server-wide settings of a ``ModelRepository`` that apply to every model it loads (`serve` options).
///
/// ```swift
/// var options = RepositoryOptions()
/// options.optimizationCache = URL(fileURLWithPath: "/var/cache/paddle-swift")   // serve --optimization-cache
/// options.memoryBudgetBytes = 512 << 20                                      // serve --memory-budget-mb 512
/// let repository = ModelRepository(root: "models", options: options)
/// ```
public struct RepositoryOptions: Sendable, Equatable {
    /// The engine's optimized-program cache folder (`Config.optimizationCache` in PaddleInference) used by every
    /// load: first loads, reloads, on-demand loads, and other servers (replicas) given the same folder. `nil`: none.
    public var optimizationCache: URL?
    /// The most memory the loaded model versions may take together, in bytes (see ``MemoryBudget``); `nil` for no
    /// budget (every model loads at start-up unless its `config.yaml` says `load: on_demand`).
    public var memoryBudgetBytes: Int?
    /// How long a request waits for an on-demand load (its own or one already running) before it gets 503 with
    /// `Retry-After`, unless the model's `load_timeout_ms` says otherwise.
    public var loadTimeout: Duration
    /// Whether versions and models whose files are byte-identical (same SHA-256) and whose engine options match
    /// share one predictor family (clones of one loaded predictor), so their weights are loaded once. ProgramDesc
    /// models only (the engine copies a PIR model's weights into every clone). What is shared is the weights and
    /// the program; every pool still makes clones of its own (intermediate tensors, oneDNN kernels), and a family
    /// takes new pools until it has made 16 clones, then the next load with the same files starts a new family, so
    /// the clones that reloads release (kept until their family ends: the engine breaks a family when one is
    /// destroyed) stay bounded. Default `false` (`serve --share-weights` turns it on) until a full soak with it
    /// passes: before pools stopped taking over released clones, hot reloads of versions sharing one family ended
    /// with every new version failing its warm-up ("could not execute a primitive"; docs/soak.md).
    public var sharesWeights = false
    /// Whether a loaded version is measured by the growth of the process's RSS (the default), or by its files'
    /// size alone: the model-management tests account by file size, since other tests load models in the same
    /// process at the same time and would blur the RSS deltas (the benchmark checks the RSS).
    package var measuresResidentSet = true

    /// Options with these values; the defaults are no cache, no budget and a 30 s load wait.
    public init(optimizationCache: URL? = nil, memoryBudgetBytes: Int? = nil, loadTimeout: Duration = .seconds(30)) {
        self.optimizationCache = optimizationCache
        self.memoryBudgetBytes = memoryBudgetBytes
        self.loadTimeout = loadTimeout
    }
}
