import KServeProtocol


/// Where one version of a model is in its life, as the repository index reports it.
public enum ModelState: Sendable, Equatable {
    case loading
    case ready
    case failed(reason: String)
    case unloading
    case unloaded

    /// Triton's name for the state (`LOADING`, `READY`, `UNAVAILABLE`, `UNLOADING`).
    public var tritonName: String {
        switch self {
        case .loading: "LOADING"
        case .ready: "READY"
        case .failed, .unloaded: "UNAVAILABLE"
        case .unloading: "UNLOADING"
        }
    }

    /// Why the model is not ready, if there is a reason.
    public var reason: String {
        switch self {
        case .failed(let reason): reason
        case .unloaded: "unloaded"
        default: ""
        }
    }
}

/// One model version's identity.
public struct ModelKey: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var version: Int

    public init(name: String, version: Int) {
        self.name = name
        self.version = version
    }

    public var description: String { "\(name)/\(version)" }
}
