import Foundation
import HTTPTypes
import KServeProtocol
import Logging
import PaddleInference
import Synchronization

/// The models a server knows, each version with its lifecycle state, and the loaded instances.
///
/// Two sources, one ``ModelManager`` over either:
/// - a repository folder laid out as `<root>/<model>/<version>/` (see the README's "Model repository"): version
///   policies, A/B routing, SHA-256 manifests, hot reload from a ``RepositoryWatcher`` (``watch(options:)``), and
///   names and links checked against the folder;
/// - explicit ``ModelSpec``s (as `serve --model PATH` makes): every version of a spec is served with the spec's
///   configuration, and nothing is watched or reloaded from disk.
///
/// Either way the memory budget and the load modes (`load: on_demand|eager`, ``RepositoryOptions``) apply, and
/// every version lives in a ``VersionedModel``: a request holds a ``ModelLease`` on the version it runs on, a
/// reload swaps in the new instance atomically, and an old instance is released only after its in-flight requests
/// finish. State is kept per ``ModelKey`` (name, version) and moves through ``ModelState``: loading → ready or
/// failed; unloading → unloaded.
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
    /// The manager of the folder's or the specs' models.
    let manager: ModelManager
    private let watcherBaseline: Mutex<RepositoryWatcher?>
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
    public convenience init(
        root: String, trustedRoots: [String] = [], options: RepositoryOptions = RepositoryOptions(),
        metrics: ServingMetrics = ServingMetrics(), logger: Logger = Logger(label: "paddle.serving")
    ) {
        let paths = try? RepositoryPaths(root: root, trustedRoots: trustedRoots)
        self.init(
            root: root, source: .folder(root: root, paths: paths), options: options, metrics: metrics, logger: logger)
    }

    /// A repository of explicit models, loaded as given by ``loadAll()``.
    ///
    /// - Parameters:
    ///   - models: The models and their versions' folders.
    ///   - options: The optimized-program cache, memory budget and load wait of every model (as for a folder: a
    ///     model whose configuration says `load: on_demand`, or every model when they do not fit the budget, loads
    ///     on its first request).
    ///   - metrics: Where the repository's and its models' metrics are recorded.
    ///   - logger: The repository's logger.
    public convenience init(
        models: [ModelSpec], options: RepositoryOptions = RepositoryOptions(), metrics: ServingMetrics = ServingMetrics(),
        logger: Logger = Logger(label: "paddle.serving")
    ) {
        let specs = Dictionary(models.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.init(root: nil, source: .specs(specs), options: options, metrics: metrics, logger: logger)
    }

    private init(
        root: String?, source: RepositorySource, options: RepositoryOptions, metrics: ServingMetrics, logger: Logger
    ) {
        self.root = root
        self.metrics = metrics
        self.logger = logger
        let memoryMetrics = MemoryMetrics(registry: metrics.registry)
        let loader = ModelLoader(
            metrics: metrics, memoryMetrics: memoryMetrics, optimizationCache: options.optimizationCache,
            sharedWeights: options.sharesWeights ? SharedWeights() : nil, logger: logger)
        manager = ModelManager(
            source: source, loader: loader, options: options, metrics: ManagementMetrics(registry: metrics.registry),
            memoryMetrics: memoryMetrics, logger: logger)
        watcherBaseline = Mutex(nil)
    }

    // MARK: Loading

    /// Loads every model. Failures are recorded as ``ModelState/failed(reason:)`` and logged.
    ///
    /// - Throws: `ServingError` when the repository folder cannot be read.
    public func loadAll() async throws(ServingError) {
        loadingAll.store(true, ordering: .releasing)
        defer { loadingAll.store(false, ordering: .releasing) }
        try manager.source.checkReadable()
        if let paths = manager.source.paths {
            // Changes from now on are news to the watcher, even those made while loading.
            let watcher = RepositoryWatcher(root: paths.root)
            watcher.baseline()
            watcherBaseline.withLock { $0 = watcher }
        }
        await manager.loadAll()
    }

    /// Loads (or reloads, swapping each version in once it has loaded and warmed up) the model `name`.
    ///
    /// - Throws: `ServingError` 400 for an invalid name or when no version could be loaded, 404 for an
    ///   unknown model.
    public func load(name: String) async throws(ServingError) {
        try await manager.load(model: name)
    }

    /// Unloads every version of `name`: no new requests, in-flight requests finish, then the versions are released.
    ///
    /// - Throws: `ServingError` 404 for an unknown model.
    public func unload(name: String) async throws(ServingError) {
        try await manager.unload(model: name)
    }

    /// Unloads everything (at shutdown).
    public func shutdown() async {
        await manager.shutdown()
    }

    /// Watches the repository folder and applies settled changes (new, changed and removed versions, config
    /// edits) until the task is cancelled. Does nothing for explicit specs.
    public func watch(options: RepositoryWatcher.Options = .init()) async {
        guard let paths = manager.source.paths else { return }
        let watcher = RepositoryWatcher(root: paths.root, options: options)
        if let baseline = watcherBaseline.withLock({ $0 }), baseline.options.marker == options.marker {
            watcher.adoptBaseline(of: baseline)
        } else {
            watcher.baseline()
        }
        let manager = self.manager
        await watcher.run { changes in await manager.apply(changes) }
    }

    // MARK: Lookup

    private func versioned(_ name: String) -> VersionedModel<ModelInstance>? {
        manager.model(name)
    }

    /// Takes a lease on the version that serves one request: the pinned `version` (from the URL), else the
    /// `x-model-version` header, else the model's routing (weights, sticky header). Release it when the response
    /// is done.
    ///
    /// - Throws: `ServingError` 404 for an unknown model or version, 503 when it is not ready.
    public func lease(name: String, version: String?, headers: HTTPFields = [:]) throws(ServingError)
        -> ModelLease<ModelInstance>
    {
        try manager.lease(model: name, pathVersion: version, headers: headers)
    }

    /// Whether a request on `name` must wait for an on-demand load (then take its lease with
    /// ``leaseLoading(name:version:headers:)``). Cheap: one lock.
    public func needsLoad(name: String, version: String?, headers: HTTPFields = [:]) -> Bool {
        manager.needsLoad(model: name, version: version ?? headers[.modelVersion])
    }

    /// ``lease(name:version:headers:)`` after the on-demand load of `name` that the request needs (started by it,
    /// or already running), waiting at most the model's load timeout.
    ///
    /// - Throws: `ServingError` 404 for an unknown model or version; 503 with `Retry-After` when the load does
    ///   not finish in time, when the memory budget has no room, or when the load failed.
    public func leaseLoading(name: String, version: String?, headers: HTTPFields = [:]) async throws(ServingError)
        -> ModelLease<ModelInstance>
    {
        let stickyKey = manager.stickyHeader(model: name).flatMap { HTTPField.Name($0) }.flatMap { headers[$0] }
        return try await manager.leaseLoading(
            model: name, version: version ?? headers[.modelVersion], stickyKey: stickyKey)
    }

    /// The memory budget and what the loaded versions take (never `nil`: the folder's or the explicit models').
    public var memoryBudget: MemoryBudget? { manager.budget }

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

    /// The metadata of `name` (the pinned `version`, else the highest ready version), the one answer of HTTP's
    /// `GET /v2/models/{name}[/versions/{v}]` and gRPC's `ModelMetadata`.
    ///
    /// A loaded version answers from its instance. An on-demand model that is listed but not loaded (index state
    /// `UNAVAILABLE`, reason `not loaded`) answers from its program files, with the same fields a load would give
    /// (see ``ModelMetadata``), and is not loaded by it.
    ///
    /// - Throws: `ServingError` 404 for an unknown model or version; 503 when it is not ready (and not on demand),
    ///   or its program file is missing or malformed; 400 when its configuration is invalid.
    public func metadata(name: String, version: String? = nil) async throws(ServingError) -> ModelMetadata {
        func loaded() throws(ServingError) -> ModelMetadata {
            let instance = try instance(name: name, version: version)
            return ModelMetadata(
                name: name, versions: version.map { [$0] } ?? readyVersions(name: name).map(String.init),
                inputs: instance.inputs, outputs: instance.outputs, source: .loaded)
        }
        do throws(ServingError) {
            return try loaded()
        } catch {
            // Not ready: an on-demand model waiting for its first request answers from its files. (A load that
            // finished meanwhile answers from its instance.)
            guard manager.needsLoad(model: name, version: version) else {
                if error.status == .serviceUnavailable { return try loaded() }
                throw error
            }
            return try await manager.fileMetadata(model: name, version: version)
        }
    }

    /// Whether `name` (at `version`, or any version) is ready.
    public func isReady(name: String, version: String? = nil) -> Bool {
        (try? instance(name: name, version: version)) != nil
    }

    /// The state of every known model version, sorted by name and version.
    public func index() -> [RepositoryIndexRow] {
        manager.index()
    }

    /// Every ready instance, sorted by name and version.
    public func readyInstances() -> [ModelInstance] {
        manager.models.values.flatMap { model in model.readyVersions.compactMap { model.peek(version: $0) } }
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
