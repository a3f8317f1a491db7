import Dispatch
import Foundation
import Logging
import PaddleInference
import Synchronization

/// The models a server knows, each version with its lifecycle state, and the loaded instances.
///
/// Two sources: a repository folder laid out as `<root>/<model>/<version>/` (model files inside, plus an
/// optional `<root>/<model>/config.yaml`, see ``ModelConfiguration``), or explicit ``ModelSpec``s (as
/// `serve --model PATH` makes). State is kept per ``ModelKey`` (name, version) and moves through
/// ``ModelState``: loading → ready or failed; unloading → unloaded.
///
/// Thread-safe: lookups take one lock; loading runs the engine's blocking load on a Dispatch queue.
public final class ModelRepository: Sendable {
    /// A model the repository can load: its versions' folders and its configuration.
    public struct ModelSpec: Sendable {
        public var name: String
        /// Version number → folder (or file) of the model.
        public var versions: [Int: String]
        public var configuration: ModelConfiguration

        public init(name: String, versions: [Int: String], configuration: ModelConfiguration = ModelConfiguration()) {
            self.name = name
            self.versions = versions
            self.configuration = configuration
        }
    }

    /// One row of `POST /v2/repository/index`.
    public struct IndexEntry: Sendable, Equatable {
        public var name: String
        public var version: Int?
        public var state: ModelState
    }

    private struct Entry {
        var state: ModelState
        var instance: ModelInstance?
    }

    private struct State {
        var specs: [String: ModelSpec] = [:]
        var versions: [ModelKey: Entry] = [:]
    }

    /// The repository folder, if any.
    public let root: String?
    public let metrics: ServingMetrics
    let logger: Logger
    private let state = Mutex(State())

    /// A repository over the folder `root`; nothing is loaded until ``loadAll()``.
    public init(root: String, metrics: ServingMetrics = ServingMetrics(), logger: Logger = Logger(label: "paddle.serving")) {
        self.root = root
        self.metrics = metrics
        self.logger = logger
    }

    /// A repository of explicit models.
    public init(
        models: [ModelSpec], metrics: ServingMetrics = ServingMetrics(), logger: Logger = Logger(label: "paddle.serving")
    ) {
        self.root = nil
        self.metrics = metrics
        self.logger = logger
        state.withLock { state in
            for spec in models { state.specs[spec.name] = spec }
        }
    }

    // MARK: Discovery

    /// The models in the repository folder (or the explicit specs).
    public func scan() throws(ServingError) -> [ModelSpec] {
        guard let root else { return state.withLock { Array($0.specs.values) }.sorted { $0.name < $1.name } }
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: root) else {
            throw .badRequest("cannot read the model repository \(root)")
        }
        var specs: [ModelSpec] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            if let spec = try Self.spec(name: name, folder: root + "/" + name) { specs.append(spec) }
        }
        return specs
    }

    /// The spec of the model folder `folder`, or `nil` when it is not a model (no numeric version folders).
    static func spec(name: String, folder: String) throws(ServingError) -> ModelSpec? {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        let children = (try? fm.contentsOfDirectory(atPath: folder)) ?? []
        var versions: [Int: String] = [:]
        for child in children {
            guard let version = Int(child), version >= 0 else { continue }
            var childIsDirectory: ObjCBool = false
            if fm.fileExists(atPath: folder + "/" + child, isDirectory: &childIsDirectory), childIsDirectory.boolValue {
                versions[version] = folder + "/" + child
            }
        }
        guard !versions.isEmpty else { return nil }
        var configuration = try ModelConfiguration.load(directory: folder)
        let served = configuration.name ?? name
        configuration.name = served
        return ModelSpec(name: served, versions: versions, configuration: configuration)
    }

    // MARK: Loading

    /// Loads every model found by ``scan()``. Failures are recorded as ``ModelState/failed(reason:)`` and logged.
    public func loadAll() async throws(ServingError) {
        let specs = try scan()
        for spec in specs {
            state.withLock { $0.specs[spec.name] = spec }
            await load(spec)
        }
    }

    /// Loads (or reloads) the model `name`.
    ///
    /// - Throws: ``ServingError`` 404 for an unknown model, 400 when no version could be loaded.
    public func load(name: String) async throws(ServingError) {
        var spec: ModelSpec?
        if let root {
            spec = try Self.spec(name: name, folder: root + "/" + name)
            if spec == nil, let known = try scan().first(where: { $0.name == name }) { spec = known }
        } else {
            spec = state.withLock { $0.specs[name] }
        }
        guard let spec else { throw .notFound("no model named '\(name)' in the repository") }
        state.withLock { $0.specs[spec.name] = spec }
        await load(spec)
        let failures = state.withLock { state in
            state.versions.filter { $0.key.name == name }.compactMap { entry -> String? in
                if case .failed(let reason) = entry.value.state { return reason }
                return nil
            }
        }
        if !failures.isEmpty && !isReady(name: name) {
            throw .badRequest("failed to load model '\(name)': \(failures.joined(separator: "; "))")
        }
    }

    private func load(_ spec: ModelSpec) async {
        // Versions no longer on disk go away.
        let stale = state.withLock { state in
            state.versions.keys.filter { $0.name == spec.name && spec.versions[$0.version] == nil }
        }
        for key in stale { await unload(key) }
        for (version, path) in spec.versions.sorted(by: { $0.key < $1.key }) {
            let key = ModelKey(name: spec.name, version: version)
            let previous = state.withLock { state -> ModelInstance? in
                let old = state.versions[key]?.instance
                state.versions[key] = Entry(state: .loading, instance: old)
                return old
            }
            logger.info("loading model", metadata: ["model": "\(spec.name)", "version": "\(version)", "path": "\(path)"])
            let metrics = self.metrics
            let result: Result<ModelInstance, ServingError> = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    do throws(ServingError) {
                        continuation.resume(
                            returning: .success(
                                try ModelInstance(key: key, path: path, configuration: spec.configuration, metrics: metrics)))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                }
            }
            switch result {
            case .success(let instance):
                if spec.configuration.warmup ?? true { await instance.warmUp(logger: logger) }
                state.withLock { $0.versions[key] = Entry(state: .ready, instance: instance) }
                if let previous { await previous.pool.shutdown() }
                logger.info("model ready", metadata: ["model": "\(spec.name)", "version": "\(version)"])
            case .failure(let error):
                state.withLock { $0.versions[key] = Entry(state: .failed(reason: error.message), instance: nil) }
                if let previous { await previous.pool.shutdown() }
                logger.error("model failed to load", metadata: ["model": "\(spec.name)", "version": "\(version)", "error": "\(error.message)"])
            }
        }
    }

    /// Unloads every version of `name`.
    ///
    /// - Throws: ``ServingError`` 404 for an unknown model.
    public func unload(name: String) async throws(ServingError) {
        let keys = state.withLock { state in state.versions.keys.filter { $0.name == name } }
        guard !keys.isEmpty || state.withLock({ $0.specs[name] != nil }) || (try? scan())?.contains(where: { $0.name == name }) == true
        else { throw .notFound("no model named '\(name)' in the repository") }
        for key in keys { await unload(key) }
    }

    private func unload(_ key: ModelKey) async {
        let instance = state.withLock { state -> ModelInstance? in
            guard let entry = state.versions[key] else { return nil }
            state.versions[key] = Entry(state: .unloading, instance: nil)
            return entry.instance
        }
        if let instance { await instance.pool.shutdown() }
        state.withLock { $0.versions[key] = Entry(state: .unloaded, instance: nil) }
        logger.info("model unloaded", metadata: ["model": "\(key.name)", "version": "\(key.version)"])
    }

    /// Unloads everything (at shutdown).
    public func shutdown() async {
        let keys = state.withLock { state in state.versions.filter { $0.value.instance != nil }.map(\.key) }
        for key in keys { await unload(key) }
    }

    // MARK: Lookup

    /// The ready instance of `name` at `version` (the highest ready version when `nil`).
    ///
    /// - Throws: ``ServingError`` 404 for an unknown model or version, 503 when it is not ready.
    public func instance(name: String, version: String? = nil) throws(ServingError) -> ModelInstance {
        let parsedVersion: Int?
        if let version {
            guard let number = Int(version), number >= 0 else {
                throw .notFound("model '\(name)' has no version '\(version)'")
            }
            parsedVersion = number
        } else {
            parsedVersion = nil
        }
        let lookup = state.withLock { state -> Result<ModelInstance, ServingError> in
            let entries = state.versions.filter { $0.key.name == name }
            guard !entries.isEmpty else {
                return .failure(.notFound("unknown model '\(name)'"))
            }
            if let parsedVersion {
                guard let entry = entries[ModelKey(name: name, version: parsedVersion)] else {
                    return .failure(.notFound("model '\(name)' has no version \(parsedVersion)"))
                }
                guard case .ready = entry.state, let instance = entry.instance else {
                    return .failure(.unavailable("model '\(name)' version \(parsedVersion) is not ready (\(entry.state.tritonName))"))
                }
                return .success(instance)
            }
            let ready = entries.filter { if case .ready = $0.value.state { return $0.value.instance != nil } else { return false } }
            guard let best = ready.max(by: { $0.key.version < $1.key.version })?.value.instance else {
                return .failure(.unavailable("model '\(name)' is not ready"))
            }
            return .success(best)
        }
        return try lookup.get()
    }

    /// Whether `name` (at `version`, or any version) is ready.
    public func isReady(name: String, version: String? = nil) -> Bool {
        (try? instance(name: name, version: version)) != nil
    }

    /// The state of every known model version, sorted by name and version.
    public func index() -> [IndexEntry] {
        state.withLock { state in
            var entries = state.versions.map { IndexEntry(name: $0.key.name, version: $0.key.version, state: $0.value.state) }
            for name in state.specs.keys where !state.versions.keys.contains(where: { $0.name == name }) {
                entries.append(IndexEntry(name: name, version: nil, state: .unloaded))
            }
            return entries.sorted { ($0.name, $0.version ?? -1) < ($1.name, $1.version ?? -1) }
        }
    }

    /// Every ready instance, sorted by name and version.
    public func readyInstances() -> [ModelInstance] {
        state.withLock { state in
            state.versions.compactMap { entry -> ModelInstance? in
                guard case .ready = entry.value.state else { return nil }
                return entry.value.instance
            }
        }.sorted { ($0.key.name, $0.key.version) < ($1.key.name, $1.key.version) }
    }

    /// Every version of `name` that is ready.
    public func readyVersions(name: String) -> [Int] {
        readyInstances().filter { $0.key.name == name }.map(\.key.version)
    }

    /// Whether any model is still loading.
    public var isLoading: Bool {
        state.withLock { state in state.versions.values.contains { $0.state == .loading } }
    }
}
