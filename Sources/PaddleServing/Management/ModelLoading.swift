/// What a config file change means for the loaded versions of a model.
public enum ConfigurationChange: Sendable, Equatable {
    /// Nothing the loader cares about changed (or it was applied in place): keep the instances.
    case inPlace
    /// Something the instances were built from changed: load every serving version again and swap.
    case reload
}

/// How a ``ModelManager`` builds, checks and frees the instances of model versions.
///
/// The server's conformance builds a `ModelInstance` (predictor pool, batching, limits) and warms it up with
/// ``WarmUp/run(pool:inputs:dynamicSize:)``; a load or warm-up failure must throw, so that a broken version
/// never replaces a working one.
public protocol ModelLoading: Sendable {
    associatedtype Instance: Sendable

    /// Loads version `version` of `model` from the resolved, checked version folder `path`, and verifies it
    /// (warm-up). Blocking engine work must run off Swift's cooperative pool.
    ///
    /// - Parameter modelFolder: The model's folder (where its `config.yaml` is).
    func load(model: String, version: Int, path: String, modelFolder: String) async throws -> Instance

    /// Frees an instance that no request uses any more.
    func release(_ instance: Instance) async

    /// The model's config file changed: apply to `instances` what can change in place (limits, timeouts) and say
    /// whether the rest needs a reload. Throws when the new config is invalid (the old one stays in force).
    func configurationChanged(model: String, modelFolder: String, instances: [Instance]) throws -> ConfigurationChange
}
