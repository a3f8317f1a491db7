import Foundation
import KServeProtocol
import PaddleInference

extension ModelManager {
    /// The metadata of on-demand model `name`, read from the program files of its version without loading it.
    ///
    /// The version is the pinned one (`version`), else the highest one its version policy selects (the one
    /// ``ModelRepository/instance(name:version:)`` picks once the model is loaded). The inputs and outputs are the
    /// program's (`ProgramSignature`) with the `config.yaml`'s (or the spec's) overrides applied, as a load would
    /// serve them. The version's manifest is not verified (a load does that): metadata reads only the program file.
    /// The file work runs off the cooperative threads; the model stays unloaded.
    ///
    /// - Throws: `ServingError` 404 for an unknown model or version; 400 for an invalid configuration, or one whose
    ///   overrides do not fit the program; 503 when no version can serve or the program file is missing or
    ///   malformed (the cause is logged).
    func fileMetadata(model name: String, version: String?) async throws(ServingError) -> ModelMetadata {
        let pinned = try RepositoryPaths.requestedVersion(version, model: name)
        let source = self.source
        do {
            return try await BlockingWork.offload {
                try Self.readMetadata(model: name, pinned: pinned, requested: version, source: source)
            }
        } catch {
            let mapped = ServingError.from(error)
            if !(error is ServingError) {
                logger.warning(
                    "cannot read the metadata of a model that is not loaded from its files",
                    metadata: ["model": "\(name)", "version": "\(version ?? "-")", "error": "\(Self.reason(error))"])
            }
            throw mapped
        }
    }

    /// ``fileMetadata(model:version:)``'s blocking part.
    private static func readMetadata(
        model name: String, pinned: Int?, requested: String?, source: RepositorySource
    ) throws -> ModelMetadata {
        let location = try source.locate(name)
        let settings = try source.settings(location)
        let configuration = try source.loaderConfiguration(location)
        let selected = settings.resolvedPolicy.select(from: source.versions(location).map(\.version))
        let version: Int
        if let pinned {
            guard selected.contains(pinned) else { throw ServingError.notFound("model '\(name)' has no version \(pinned)") }
            version = pinned
        } else {
            guard let highest = selected.last else {
                throw ServingError.unavailable("model '\(name)' has no complete version folder that its version policy selects")
            }
            version = highest
        }
        let path = try source.versionPath(model: name, version: version, location: location, verify: false)
        let signature = try ProgramSignature(model: path)
        return ModelMetadata(
            name: name, versions: requested.map { [$0] } ?? selected.map(String.init),
            inputs: try ModelConfiguration.apply(configuration.inputs, to: signature.inputs, kind: "input"),
            outputs: try ModelConfiguration.apply(configuration.outputs, to: signature.outputs, kind: "output"),
            source: .files)
    }
}
