import KServeProtocol


/// Where one version of a model is in its life, as the repository index reports it.
public enum ModelState: Sendable, Equatable {
    /// Its files are being loaded (Triton: `LOADING`).
    case loading
    /// It serves requests (`READY`).
    case ready
    /// Its load failed, for `reason` (`UNAVAILABLE`).
    case failed(reason: String)
    /// It drains its requests before it is freed (`UNLOADING`).
    case unloading
    /// It was unloaded, or is not loaded (`UNAVAILABLE`).
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
    /// The model's name.
    public var name: String
    /// The version number.
    public var version: Int

    /// The key of version `version` of `name`.
    public init(name: String, version: Int) {
        self.name = name
        self.version = version
    }

    /// `name/version`.
    public var description: String { "\(name)/\(version)" }
}
