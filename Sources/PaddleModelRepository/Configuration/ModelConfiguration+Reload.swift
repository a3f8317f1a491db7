import Foundation
import KServeProtocol

extension ModelConfiguration {
    /// Whether moving from this configuration to `new` needs the model loaded again: anything but the limits
    /// (`rate_limit`, `timeout_ms`), `warmup`, `load`, `load_timeout_ms` and the name, which ``ModelInstance`` applies in place.
    public func needsReload(for new: ModelConfiguration) -> Bool {
        var old = self
        var new = new
        old.name = nil
        new.name = nil
        old.rateLimit = nil
        new.rateLimit = nil
        old.timeoutMs = nil
        new.timeoutMs = nil
        old.warmup = nil
        new.warmup = nil
        old.load = nil
        new.load = nil
        old.loadTimeoutMs = nil
        new.loadTimeoutMs = nil
        return old != new
    }
}

extension ModelState {
    /// The lifecycle state's own name (`loading`, `ready`, `failed`, `unloading`, `unloaded`), which the
    /// repository index reports beside Triton's coarser ``tritonName``.
    public var lifecycleName: String {
        switch self {
        case .loading: "loading"
        case .ready: "ready"
        case .failed: "failed"
        case .unloading: "unloading"
        case .unloaded: "unloaded"
        }
    }
}
