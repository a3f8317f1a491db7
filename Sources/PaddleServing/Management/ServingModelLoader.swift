import Dispatch
import Logging
import PaddleInference

/// Loads model versions for the server as ``ModelInstance``s: predictor pool, overrides, batching and limits from
/// the model's `config.yaml`, verified by a warm-up run before they take traffic.
struct ServingModelLoader: ModelLoading {
    let metrics: ServingMetrics
    let logger: Logger

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
        let instance = try await ModelManager<ServingModelLoader>.offload {
            try ModelInstance(key: key, path: path, configuration: configuration, metrics: metrics)
        }
        guard configuration.warmup ?? true else { return instance }
        do {
            try await WarmUp.run(pool: instance.pool, inputs: instance.inputs)
        } catch {
            await instance.pool.shutdown()
            throw ServingError.badRequest("model '\(key.name)' version \(key.version) failed its warm-up run: \(error)")
        }
        return instance
    }

    func release(_ instance: ModelInstance) async {
        await instance.pool.shutdown()
    }

    func configurationChanged(model: String, modelFolder: String, instances: [ModelInstance]) throws -> ConfigurationChange {
        let new = try ModelConfiguration.load(directory: modelFolder)
        if instances.contains(where: { $0.configuration.needsReload(for: new) }) { return .reload }
        for instance in instances { instance.applyInPlace(new) }
        return .inPlace
    }
}
