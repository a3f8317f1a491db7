import Foundation
import KServeProtocol
import Logging
import PaddleInference

/// What a config file change means for the loaded versions of a model.
package enum ConfigurationChange: Sendable, Equatable {
    /// Nothing the loader cares about changed (or it was applied in place): keep the instances.
    case inPlace
    /// Something the instances were built from changed: load every serving version again and swap.
    case reload
}

/// Builds, checks and frees the ``ModelInstance``s of model versions: predictor pool, overrides, batching and
/// limits from the model's `config.yaml`, verified by a warm-up run before they take traffic (a load or warm-up
/// failure throws, so that a broken version never replaces a working one).
///
/// Every load goes through the server's optimized-program cache when it has one (``RepositoryOptions/optimizationCache``):
/// first loads store the engine's optimized program, reloads, on-demand loads and replicas sharing the folder read it.
struct ModelLoader: Sendable {
    let metrics: ServingMetrics
    let memoryMetrics: MemoryMetrics
    let optimizationCache: URL?
    /// Predictor families of byte-identical model files, or `nil` when weights are not shared.
    let sharedWeights: SharedWeights?
    let logger: Logger

    /// Loads version `version` of `model` from the resolved, checked version folder `path` (its `config.yaml` is in
    /// `modelFolder`), and verifies it with a warm-up run.
    func load(model: String, version: Int, path: String, modelFolder: String) async throws -> ModelInstance {
        let configuration = try ModelConfiguration.load(directory: modelFolder)
        if let name = configuration.name, name != model {
            throw ServingError.badRequest(
                "the configuration names the model '\(name)', but its folder is '\(model)' (they must match)")
        }
        return try await load(key: ModelKey(name: model, version: version), path: path, configuration: configuration)
    }

    /// Loads `path` with `configuration` and verifies it with a warm-up run (unless `warmup: false`).
    func load(key: ModelKey, path: String, configuration: ModelConfiguration) async throws -> ModelInstance {
        let metrics = self.metrics
        let cache = optimizationCache
        let shared = sharedWeights
        let instance = try await BlockingWork.offload {
            try ModelInstance(
                key: key, path: path, configuration: configuration, metrics: metrics, optimizationCache: cache,
                sharedWeights: shared)
        }
        if instance.sharesWeights {
            logger.info("model version shares the weights of identical files already loaded", metadata: ["model": "\(key)"])
        }
        if let outcome = instance.optimizationCacheOutcome {
            memoryMetrics.recordOptimizationCache(hit: outcome == .hit)
            switch outcome {
            case .notStored, .notApplicable:
                logger.warning(
                    "optimized program not cached",
                    metadata: ["model": "\(key.name)", "version": "\(key.version)", "outcome": "\(outcome)"])
            default:
                logger.debug(
                    "optimized-program cache", metadata: ["model": "\(key.name)", "outcome": "\(outcome)"])
            }
        }
        guard configuration.warmup ?? true else { return instance }
        do {
            try await WarmUp.run(pool: instance.pool, inputs: instance.inputs)
        } catch {
            await release(instance)
            throw ServingError.badRequest("model '\(key.name)' version \(key.version) failed its warm-up run: \(error)")
        }
        return instance
    }

    /// Frees an instance that no request uses any more (and leaves its weight family, once).
    func release(_ instance: ModelInstance) async {
        await instance.pool.shutdown()
        if let family = instance.weightsFamily { sharedWeights?.leave(family) }
    }

    /// The model's config file changed: applies to `instances` what can change in place (limits, timeouts) and
    /// says whether the rest needs a reload. Throws when the new config is invalid (the old one stays in force).
    func configurationChanged(model: String, modelFolder: String, instances: [ModelInstance]) throws -> ConfigurationChange {
        let new = try ModelConfiguration.load(directory: modelFolder)
        if instances.contains(where: { $0.configuration.needsReload(for: new) }) { return .reload }
        for instance in instances { instance.applyInPlace(new) }
        return .inPlace
    }
}
