import Foundation
import KServeProtocol
import PaddleInference

/// Where a ``ModelManager``'s model list, version folders and configurations come from.
///
/// - ``folder(root:paths:)``: a repository folder `<root>/<model>/<version>/` with a `config.yaml` per model,
///   scanned through ``RepositoryPaths`` (names and links checked, manifests verified), watched for changes;
/// - ``specs(_:)``: explicit ``ModelRepository/ModelSpec``s (as `serve --model PATH` makes), loaded as given: every
///   version of a spec is served, with the spec's configuration; never watched nor reloaded from disk.
///
/// Either way the manager applies the same load modes, memory budget, leases and repository API.
enum RepositorySource: Sendable {
    /// A repository folder; `paths` is `nil` when `root` is not a readable folder (then it lists no model).
    case folder(root: String, paths: RepositoryPaths?)
    /// Explicit models by name.
    case specs([String: ModelRepository.ModelSpec])

    /// One model of the source, found by ``locate(_:)``.
    enum Location: Sendable {
        /// The model's folder, links resolved and checked.
        case folder(String)
        /// The model's spec.
        case spec(ModelRepository.ModelSpec)
    }

    /// The checked repository folder, if the source is a readable one (what a ``RepositoryWatcher`` watches).
    var paths: RepositoryPaths? {
        if case .folder(_, let paths) = self { return paths }
        return nil
    }

    /// Throws when the source cannot be read at all (a repository folder that does not exist).
    func checkReadable() throws(ServingError) {
        if case .folder(let root, nil) = self { throw .badRequest("cannot read the model repository \(root)") }
    }

    /// Checks a model name given by a client before it reaches the file system (400 when invalid). Explicit models
    /// accept any name: an unknown one is a 404 from ``locate(_:)``.
    func validate(name: String) throws(ServingError) {
        if case .folder = self { try RepositoryPaths.validateModelName(name) }
    }

    /// The models the source lists (valid folder names, or the specs' names), sorted.
    func modelNames() -> [String] {
        switch self {
        case .folder(_, let paths):
            guard let paths else { return [] }
            return RepositoryPaths.modelFolders(in: paths.root).filter { (try? RepositoryPaths.validateModelName($0)) != nil }
        case .specs(let specs):
            return specs.keys.sorted()
        }
    }

    /// Finds model `name`.
    ///
    /// - Throws: `ServingError` 404 when the source has no such model; for a folder also 400 for an invalid name
    ///   or a link that leaves the repository.
    func locate(_ name: String) throws(ServingError) -> Location {
        switch self {
        case .folder(_, let paths):
            guard let paths else { throw .notFound("no model named '\(name)' in the repository") }
            return .folder(try paths.modelFolder(name))
        case .specs(let specs):
            guard let spec = specs[name] else { throw .notFound("no model named '\(name)' in the repository") }
            return .spec(spec)
        }
    }

    /// The model's management settings: its `config.yaml`'s, or for a spec every version with default routing.
    func settings(_ location: Location) throws(ServingError) -> ManagementSettings {
        switch location {
        case .folder(let folder): try ManagementSettings.load(directory: folder)
        case .spec: ManagementSettings()
        }
    }

    /// The model's loader configuration (`load`, `load_timeout_ms` and the rest), or `nil` when it cannot be read.
    func configuration(_ location: Location) -> ModelConfiguration? {
        try? loaderConfiguration(location)
    }

    /// The model's loader configuration: its `config.yaml`'s, or the spec's.
    ///
    /// - Throws: `ServingError` 400 when the `config.yaml` cannot be read or is invalid.
    func loaderConfiguration(_ location: Location) throws(ServingError) -> ModelConfiguration {
        switch location {
        case .folder(let folder): try ModelConfiguration.load(directory: folder)
        case .spec(let spec): spec.configuration
        }
    }

    /// The model's versions and their paths, sorted by version; for a folder with `detected`, only the version
    /// folders that hold a model layout.
    func versions(_ location: Location, detected: Bool = true) -> [(version: Int, path: String)] {
        switch location {
        case .folder(let folder):
            let all = RepositoryPaths.versionFolders(in: folder)
            return detected ? all.filter { (try? ModelSource.detect(path: $0.path)) != nil } : all
        case .spec(let spec):
            return spec.versions.sorted { $0.key < $1.key }.map { (version: $0.key, path: $0.value) }
        }
    }

    /// The path to load version `version` of `name` from: for a folder, resolved inside the repository and, with
    /// `verify`, its manifest (if any) verified. Blocking: reads the files.
    func versionPath(model name: String, version: Int, location: Location, verify: Bool = true) throws -> String {
        switch location {
        case .folder:
            guard let paths else { throw ServingError.notFound("no model named '\(name)' in the repository") }
            let path = try paths.versionFolder(model: name, version: version)
            if verify, let manifest = try ModelManifest.load(folder: path) { try manifest.verify(folder: path) }
            return path
        case .spec(let spec):
            guard let path = spec.versions[version] else {
                throw ServingError.notFound("model '\(name)' has no version \(version)")
            }
            return path
        }
    }

    /// Builds and warms up the instance of version `version` of `name` from `path`.
    func load(
        model name: String, version: Int, path: String, location: Location, loader: ModelLoader
    ) async throws -> ModelInstance {
        switch location {
        case .folder(let folder):
            try await loader.load(model: name, version: version, path: path, modelFolder: folder)
        case .spec(let spec):
            try await loader.load(key: ModelKey(name: name, version: version), path: path, configuration: spec.configuration)
        }
    }

    /// What a configuration change means for `instances` (see `ModelLoader.configurationChanged`); a spec's
    /// configuration never changes.
    func configurationChanged(
        model name: String, location: Location, instances: [ModelInstance], loader: ModelLoader
    ) throws -> ConfigurationChange {
        switch location {
        case .folder(let folder): try loader.configurationChanged(model: name, modelFolder: folder, instances: instances)
        case .spec: .inPlace
        }
    }

    /// The size of the files of the model at `path`: a folder's regular files, or a program file and its params.
    static func fileBytes(path: String) -> Int {
        if RepositoryPaths.isDirectory(path) { return MemoryBudget.fileBytes(folder: path) }
        let files: [String]
        switch try? ModelSource.detect(path: path) {
        case .files(let program, let params): files = [program, params]
        case .directory(let folder): return MemoryBudget.fileBytes(folder: folder)
        default: files = [path]
        }
        return files.reduce(0) { total, file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber
            return total + (size?.intValue ?? 0)
        }
    }
}
