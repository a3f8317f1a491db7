import KServeProtocol


/// Where one version of a model is in its life, as the repository index reports it.
public enum ModelState: Sendable, Equatable {
    /// Being loaded and warmed up (a version already serving keeps serving meanwhile).
    case loading
    /// Serving requests.
    case ready
    /// Its load failed, and why.
    case failed(reason: String)
    /// Draining its in-flight requests before it is released.
    case unloading
    /// Released (or, for an on-demand model, not loaded yet).
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

    /// The key of `name` version `version`.
    public init(name: String, version: Int) {
        self.name = name
        self.version = version
    }

    /// `name/version`.
    public var description: String { "\(name)/\(version)" }
}
