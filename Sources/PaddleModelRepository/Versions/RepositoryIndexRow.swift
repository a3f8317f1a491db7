import KServeProtocol

/// One row of the repository index (`POST /v2/repository/index`): a model version, or a model with no version
/// loaded or tried, and its state.
public struct RepositoryIndexRow: Sendable, Equatable {
    /// The model's name.
    public var name: String
    /// `nil` for a model with no version loaded or tried.
    public var version: Int?
    /// Where the version is in its lifecycle.
    public var state: ModelState
    /// Why the version is not ready, or why its last reload or config change failed while it keeps serving.
    public var reason: String
    /// The version's memory measured at load (see ``MemoryBudget``), when it is loaded.
    public var memoryBytes: Int?

    /// A row with these values.
    public init(name: String, version: Int?, state: ModelState, reason: String, memoryBytes: Int? = nil) {
        self.name = name
        self.version = version
        self.state = state
        self.reason = reason
        self.memoryBytes = memoryBytes
    }
}
