import Foundation
import HTTPTypes
import KServeProtocol
import Logging
import PaddleInference
import Synchronization

/// The models a server knows, each version with its lifecycle state, and the loaded instances.
///
/// Two sources:
/// - a repository folder laid out as `<root>/<model>/<version>/` (see the README's "Model repository"), managed
///   by a ``ModelManager``: version policies, A/B routing, SHA-256 manifests, hot reload from a
///   ``RepositoryWatcher`` (``watch(options:)``), and names and links checked against the folder;
/// - explicit ``ModelSpec``s (as `serve --model PATH` makes), loaded as given.
///
/// Either way every version lives in a ``VersionedModel``: a request holds a ``ModelLease`` on the version it
/// runs on, a reload swaps in the new instance atomically, and an old instance is released only after its
/// in-flight requests finish. State is kept per ``ModelKey`` (name, version) and moves through ``ModelState``:
/// loading → ready or failed; unloading → unloaded.
///
/// Thread-safe: lookups take one lock; loads run the engine's blocking work on Dispatch threads, one at a time.
public final class ModelRepository: Sendable {
    /// A model the repository can load: its versions' folders and its configuration.
    public struct ModelSpec: Sendable {
        /// The served name.
        public var name: String
        /// Version number → folder (or file) of the model.
        public var versions: [Int: String]
        /// The serving options of every version.
        public var configuration: ModelConfiguration

        /// A model named `name` with these version folders and options.
        public init(name: String, versions: [Int: String], configuration: ModelConfiguration = ModelConfiguration()) {
            self.name = name
            self.versions = versions
            self.configuration = configuration
        }
    }

    /// The repository folder, if any.
    public let root: String?
    /// The Prometheus metrics of every model, in one registry.
    public let metrics: ServingMetrics
    let logger: Logger
    let loader: ModelLoader
    /// The folder's manager (`nil` for explicit specs, or when the folder does not exist).
    let manager: ModelManager?
    private let watcherBaseline: Mutex<RepositoryWatcher?>
    private let specs: [String: ModelSpec]
    private let fixed: [String: VersionedModel<ModelInstance>]
    private let fixedQueue = AsyncSerialQueue()
    private let loadingAll = Atomic<Bool>(false)

    /// A repository over the folder `root`; nothing is loaded until ``loadAll()``.
    ///
    /// - Parameters:
    ///   - root: The repository folder: one folder per model, one numbered folder per version.
    ///   - trustedRoots: Folders outside `root` that links inside it may lead to (by default none: a version folder
    ///     or model file linked from elsewhere is refused).
    ///   - options: The optimized-program cache, memory budget and load wait of every model.
    ///   - metrics: Where the repository's and its models' metrics are recorded.
    ///   - logger: The repository's logger.
    public init(
        root: String, trustedRoots: [String] = [], options: RepositoryOptions = RepositoryOptions(),
        metrics: ServingMetrics = ServingMetrics(), logger: Logger = Logger(label: "paddle.serving")
    ) {
        self.root = root
        self.metrics = metrics
        self.logger = logger
        let memoryMetrics = MemoryMetrics(registry: metrics.registry)
        let loader = ModelLoader(
            metrics: metrics, memoryMetrics: memoryMetrics, optimizationCache: options.optimizationCache,
            sharedWeights: options.sharesWeights ? SharedWeights() : nil, logger: logger)
        self.loader = loader
        manager = (try? RepositoryPaths(root: root, trustedRoots: trustedRoots)).map {
            ModelManager(
                paths: $0, loader: loader, options: options, metrics: ManagementMetrics(registry: metrics.registry),
                memoryMetrics: memoryMetrics, logger: logger)
        }
        watcherBaseline = Mutex(nil)
        specs = [:]
        fixed = [:]
    }

    /// A repository of explicit models, loaded as given by ``loadAll()``.
    ///
    /// - Parameters:
    ///   - models: The models and their versions' folders.
    ///   - options: The optimized-program cache of every model (the memory budget and on-demand loading apply to
    ///     repository folders only).
    ///   - metrics: Where the repository's and its models' metrics are recorded.
    ///   - logger: The repository's logger.
    public init(
        models: [ModelSpec], options: RepositoryOptions = RepositoryOptions(), metrics: ServingMetrics = ServingMetrics(),
        logger: Logger = Logger(label: "paddle.serving")
    ) {
        self.root = nil
        self.metrics = metrics
        self.logger = logger
        let loader = ModelLoader(
            metrics: metrics, memoryMetrics: MemoryMetrics(registry: metrics.registry),
            optimizationCache: options.optimizationCache,
            sharedWeights: options.sharesWeights ? SharedWeights() : nil, logger: logger)
        self.loader = loader
        manager = nil
        watcherBaseline = Mutex(nil)
        specs = Dictionary(models.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        fixed = specs.mapValues { spec in VersionedModel(name: spec.name) { await loader.release($0) } }
    }

    // MARK: Loading

    /// Loads every model. Failures are recorded as ``ModelState/failed(reason:)`` and logged.
    ///
    /// - Throws: `ServingError` when the repository folder cannot be read.
    public func loadAll() async throws(ServingError) {
        loadingAll.store(true, ordering: .releasing)
        defer { loadingAll.store(false, ordering: .releasing) }
        if let root {
            guard let manager else { throw .badRequest("cannot read the model repository \(root)") }
            // Changes from now on are news to the watcher, even those made while loading.
            let watcher = RepositoryWatcher(root: manager.paths.root)
            watcher.baseline()
            watcherBaseline.withLock { $0 = watcher }
            await manager.loadAll()
            return
        }
        for name in specs.keys.sorted() { try? await load(name: name) }
    }

    /// Loads (or reloads, swapping each version in once it has loaded and warmed up) the model `name`.
    ///
    /// - Throws: `ServingError` 400 for an invalid name or when no version could be loaded, 404 for an
    ///   unknown model.
    public func load(name: String) async throws(ServingError) {
        if root != nil {
            guard let manager else { throw .notFound("no model named '\(name)' in the repository") }
            try await manager.load(model: name)
            return
        }
        guard let spec = specs[name], let model = fixed[name] else {
            throw .notFound("no model named '\(name)' in the repository")
        }
        let loader = self.loader
        let logger = self.logger
        await fixedQueue.run {
            for (version, path) in spec.versions.sorted(by: { $0.key < $1.key }) {
                model.beginLoading(version: version)
                logger.info("loading model", metadata: ["model": "\(name)", "version": "\(version)", "path": "\(path)"])
                do {
                    let instance = try await loader.load(
                        key: ModelKey(name: name, version: version), path: path, configuration: spec.configuration)
                    await model.install(version: version, instance: instance)
                    logger.info("model ready", metadata: ["model": "\(name)", "version": "\(version)"])
                } catch {
                    let reason = ModelManager.reason(error)
                    model.fail(version: version, reason: reason)
                    logger.error(
                        "model failed to load", metadata: ["model": "\(name)", "version": "\(version)", "error": "\(reason)"])
                }
            }
        }
        if !model.isReady() {
            let reasons = model.status().map(\.reason).filter { !$0.isEmpty }
            throw .badRequest("failed to load model '\(name)': \(reasons.joined(separator: "; "))")
        }
    }

    /// Unloads every version of `name`: no new requests, in-flight requests finish, then the versions are released.
    ///
    /// - Throws: `ServingError` 404 for an unknown model.
    public func unload(name: String) async throws(ServingError) {
        if root != nil {
            guard let manager else { throw .notFound("no model named '\(name)' in the repository") }
            try await manager.unload(model: name)
            return
        }
        guard let model = fixed[name] else { throw .notFound("no model named '\(name)' in the repository") }
        await fixedQueue.run { await model.unloadAll() }
        logger.info("model unloaded", metadata: ["model": "\(name)"])
    }

    /// Unloads everything (at shutdown).
    public func shutdown() async {
        await manager?.shutdown()
        for model in fixed.values { await model.unloadAll() }
    }

    /// Watches the repository folder and applies settled changes (new, changed and removed versions, config
    /// edits) until the task is cancelled. Does nothing for explicit specs.
    public func watch(options: RepositoryWatcher.Options = .init()) async {
        guard let manager else { return }
        let watcher = RepositoryWatcher(root: manager.paths.root, options: options)
        if let baseline = watcherBaseline.withLock({ $0 }), baseline.options.marker == options.marker {
            watcher.adoptBaseline(of: baseline)
        } else {
            watcher.baseline()
        }
        await watcher.run { changes in await manager.apply(changes) }
    }

    // MARK: Lookup

    private func versioned(_ name: String) -> VersionedModel<ModelInstance>? {
        manager?.model(name) ?? fixed[name]
    }

    private var allModels: [VersionedModel<ModelInstance>] {
        Array((manager?.models ?? [:]).values) + Array(fixed.values)
    }

    /// Takes a lease on the version that serves one request: the pinned `version` (from the URL), else the
    /// `x-model-version` header, else the model's routing (weights, sticky header). Release it when the response
    /// is done.
    ///
    /// - Throws: `ServingError` 404 for an unknown model or version, 503 when it is not ready.
    public func lease(name: String, version: String?, headers: HTTPFields = [:]) throws(ServingError)
        -> ModelLease<ModelInstance>
    {
        if let manager { return try manager.lease(model: name, pathVersion: version, headers: headers) }
        guard let model = fixed[name] else { throw .notFound("unknown model '\(name)'") }
        let requested = version ?? headers[.modelVersion]
        return try model.lease(version: try RepositoryPaths.requestedVersion(requested, model: name), stickyKey: nil)
    }

    /// Whether a request on `name` must wait for an on-demand load (then take its lease with
    /// ``leaseLoading(name:version:headers:)``). Cheap: one lock.
    public func needsLoad(name: String, version: String?, headers: HTTPFields = [:]) -> Bool {
        manager?.needsLoad(model: name, version: version ?? headers[.modelVersion]) ?? false
    }

    /// ``lease(name:version:headers:)`` after the on-demand load of `name` that the request needs (started by it,
    /// or already running), waiting at most the model's load timeout.
    ///
    /// - Throws: `ServingError` 404 for an unknown model or version; 503 with `Retry-After` when the load does
    ///   not finish in time, when the memory budget has no room, or when the load failed.
    public func leaseLoading(name: String, version: String?, headers: HTTPFields = [:]) async throws(ServingError)
        -> ModelLease<ModelInstance>
    {
        guard let manager else { return try lease(name: name, version: version, headers: headers) }
        let stickyKey = manager.stickyHeader(model: name).flatMap { HTTPField.Name($0) }.flatMap { headers[$0] }
        return try await manager.leaseLoading(
            model: name, version: version ?? headers[.modelVersion], stickyKey: stickyKey)
    }

    /// The memory budget and what the loaded versions take (the folder's; `nil` for explicit models).
    public var memoryBudget: MemoryBudget? { manager?.budget }

    /// The ready instance of `name` at `version` (the highest ready version when `nil`), for metadata.
    ///
    /// - Throws: `ServingError` 404 for an unknown model or version, 503 when it is not ready.
    public func instance(name: String, version: String? = nil) throws(ServingError) -> ModelInstance {
        guard let model = versioned(name) else { throw .notFound("unknown model '\(name)'") }
        if let pinned = try RepositoryPaths.requestedVersion(version, model: name) {
            let lease = try model.lease(version: pinned, stickyKey: nil)
            defer { lease.release() }
            return lease.instance
        }
        guard let highest = model.readyVersions.last, let instance = model.peek(version: highest) else {
            if model.status().isEmpty { throw .notFound("unknown model '\(name)'") }
            throw .unavailable("model '\(name)' is not ready")
        }
        return instance
    }

    /// Whether `name` (at `version`, or any version) is ready.
    public func isReady(name: String, version: String? = nil) -> Bool {
        (try? instance(name: name, version: version)) != nil
    }

    /// The state of every known model version, sorted by name and version.
    public func index() -> [RepositoryIndexRow] {
        if let manager {
            return manager.index()
        }
        return fixed.sorted { $0.key < $1.key }.flatMap { name, model -> [RepositoryIndexRow] in
            let statuses = model.status()
            if statuses.isEmpty { return [RepositoryIndexRow(name: name, version: nil, state: .unloaded, reason: "")] }
            return statuses.map { RepositoryIndexRow(name: name, version: $0.version, state: $0.state, reason: $0.reason) }
        }
    }

    /// Every ready instance, sorted by name and version.
    public func readyInstances() -> [ModelInstance] {
        allModels.flatMap { model in model.readyVersions.compactMap { model.peek(version: $0) } }
            .sorted { ($0.key.name, $0.key.version) < ($1.key.name, $1.key.version) }
    }

    /// Every version of `name` that is ready.
    public func readyVersions(name: String) -> [Int] {
        versioned(name)?.readyVersions ?? []
    }

    /// Whether ``loadAll()`` is still running. Loads after that (hot reloads, the repository API) happen beside
    /// the serving versions, so they do not make the server unready.
    public var isLoading: Bool {
        loadingAll.load(ordering: .acquiring)
    }
}
