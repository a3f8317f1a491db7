import Dispatch
import Foundation
import KServeProtocol
import Logging
import PaddleInference
import Synchronization

/// The models of a repository folder, each with its served versions: loads them by version policy, routes
/// requests over them, and reloads them on change without failing a request.
///
/// Layout: `<root>/<model>/<version>/` (a model in any format the engine reads, plus an optional
/// ``ModelManifest`` `SHA256SUMS`), and `<root>/<model>/config.yaml` with the loader's keys and
/// ``ManagementSettings`` (`version_policy`, `routing`).
///
/// - **Loading** a version resolves its folder through ``RepositoryPaths`` (no traversal, no link leaving the
///   repository), verifies the manifest if there is one, and has the `ModelLoader` build and warm it
///   up. Only then does it replace the version's previous instance (``VersionedModel/install(version:instance:)``),
///   which is released once its in-flight requests are done. A failure keeps the previous instance serving and
///   is recorded in the index, the logs and `paddle_model_loads_total{result="failure"}`.
/// - **Changes** come from a ``RepositoryWatcher`` (``apply(_:)``) or the repository API (``load(model:)``,
///   ``unload(model:)``). Routing weights and the version policy apply in place; the loader decides whether
///   other config changes need a reload (`ModelLoader/configurationChanged(model:modelFolder:instances:)`).
/// - **Requests** take a ``ModelLease`` with ``lease(model:version:stickyKey:)``.
///
/// Thread-safe. Loads and unloads run one at a time, in order; leases never wait for them.
public final class ModelManager: Sendable {
    /// What one loaded version is.
    public typealias Instance = ModelInstance

    /// The request header that pins a version, like `/versions/{v}` in the URL.
    public static var versionHeader: String { "x-model-version" }

    private struct Entry: Sendable {
        let model: VersionedModel<Instance>
        var settings: ManagementSettings
        var configError: String?
        /// Unloaded through the API: file changes do not load it again until ``load(model:)``.
        var unloadedByRequest = false
    }

    /// The repository folder and the rules for what it may contain.
    public let paths: RepositoryPaths
    let loader: ModelLoader
    /// The loading and routing metrics, if recorded.
    public let metrics: ManagementMetrics?
    let logger: Logger
    private let entries = Mutex<[String: Entry]>([:])
    /// Model folders refused before anything was loaded (for example a link leaving the repository), and why.
    private let refused = Mutex<[String: String]>([:])
    private let queue = AsyncSerialQueue()

    init(paths: RepositoryPaths, loader: ModelLoader, metrics: ManagementMetrics? = nil, logger: Logger) {
        self.paths = paths
        self.loader = loader
        self.metrics = metrics
        self.logger = logger
    }

    // MARK: Loading

    /// Loads every model folder of the repository (failures are recorded and logged, not thrown).
    public func loadAll() async {
        for name in modelNames() {
            do { try await load(model: name) } catch {
                logger.error("model failed to load", metadata: ["model": "\(name)", "error": "\(error.message)"])
            }
        }
    }

    /// Loads model `name`, or loads its versions again and swaps them in (the repository API's load).
    ///
    /// - Throws: `ServingError` 400 for an invalid name, a link leaving the repository, an invalid config or
    ///   no version able to serve; 404 when there is no such model folder.
    public func load(model name: String) async throws(ServingError) {
        try RepositoryPaths.validateModelName(name)
        let result = await queue.run { [self] in
            entries.withLock { $0[name]?.unloadedByRequest = false }
            return await reconcile(name, reload: [], reloadAll: true, configChanged: false)
        }
        try result.get()
    }

    /// Stops new requests to every version of `name`, waits for those in flight, and releases them.
    ///
    /// - Throws: `ServingError` 400 for an invalid name, 404 for an unknown model.
    public func unload(model name: String) async throws(ServingError) {
        try RepositoryPaths.validateModelName(name)
        guard let entry = entries.withLock({ $0[name] }) else { throw .notFound("unknown model '\(name)'") }
        await queue.run { [self] in
            entries.withLock { $0[name]?.unloadedByRequest = true }
            for version in entry.model.readyVersions {
                await entry.model.unload(version: version)
                metrics?.setReady(model: name, version: version, false)
            }
            logger.info("model unloaded", metadata: ["model": "\(name)"])
        }
    }

    /// Applies settled repository changes (from ``RepositoryWatcher``): loads new versions, reloads modified ones,
    /// unloads removed ones, and applies config changes in place or by reloading.
    public func apply(_ changes: [RepositoryChange]) async {
        let byModel = Dictionary(grouping: changes, by: \.model)
        for (name, changes) in byModel.sorted(by: { $0.key < $1.key }) {
            guard (try? RepositoryPaths.validateModelName(name)) != nil else {
                logger.warning("ignoring a folder with an invalid model name", metadata: ["folder": "\(RepositoryPaths.printable(name))"])
                continue
            }
            var modified: Set<Int> = []
            var configChanged = false
            for change in changes {
                switch change {
                case .versionModified(_, let version, _): modified.insert(version)
                case .configChanged: configChanged = true
                case .versionAdded, .versionRemoved: break
                }
            }
            logger.info("repository changed", metadata: ["model": "\(name)", "changes": "\(changes.map(\.description))"])
            let modifiedVersions = modified
            let configWasChanged = configChanged
            let result = await queue.run { [self] in
                if entries.withLock({ $0[name]?.unloadedByRequest == true }) { return Result<Void, ServingError>.success(()) }
                return await reconcile(name, reload: modifiedVersions, reloadAll: false, configChanged: configWasChanged)
            }
            if case .failure(let error) = result {
                logger.error("model change not applied", metadata: ["model": "\(name)", "error": "\(error.message)"])
            }
        }
    }

    /// Unloads everything (at shutdown).
    public func shutdown() async {
        let models = entries.withLock { $0.values.map(\.model) }
        await queue.run {
            for model in models { await model.unloadAll() }
        }
    }

    /// Brings model `name` in line with its folder. Runs on the serial queue.
    private func reconcile(
        _ name: String, reload: Set<Int>, reloadAll: Bool, configChanged: Bool
    ) async -> Result<Void, ServingError> {
        let folder: String
        do {
            folder = try paths.modelFolder(name)
            refused.withLock { $0[name] = nil }
        } catch {
            refused.withLock { $0[name] = error.status == .notFound ? nil : error.message }
            if error.status == .notFound, let entry = entries.withLock({ $0[name] }) {
                logger.info("model folder removed; unloading", metadata: ["model": "\(name)"])
                for version in entry.model.readyVersions {
                    await entry.model.unload(version: version)
                    metrics?.setReady(model: name, version: version, false)
                }
            }
            return .failure(error)
        }
        // Settings: a broken config leaves the previous one in force, routing and limits included.
        var configError: String?
        var loaded: ManagementSettings?
        do { loaded = try ManagementSettings.load(directory: folder) } catch { configError = error.message }
        var reload = reload
        if configChanged, !reloadAll, loaded != nil, let existing = entries.withLock({ $0[name]?.model }) {
            let instances = existing.readyVersions.compactMap { existing.peek(version: $0) }
            do {
                if try loader.configurationChanged(model: name, modelFolder: folder, instances: instances) == .reload {
                    reload.formUnion(existing.readyVersions)
                } else {
                    logger.info("model configuration applied in place", metadata: ["model": "\(name)"])
                }
            } catch {
                configError = (error as? ServingError)?.message ?? "\(error)"
                loaded = nil
            }
        }
        let loader = self.loader
        let settings = loaded
        let problem = configError
        let entry = entries.withLock { entries -> Entry? in
            if var entry = entries[name] {
                if let settings {
                    entry.settings = settings
                    entry.model.updateRouting(settings.routing ?? VersionRouting())
                }
                entry.configError = problem
                entries[name] = entry
                return entry
            }
            guard let settings else { return nil }
            let model = VersionedModel<Instance>(name: name, routing: settings.routing ?? VersionRouting()) {
                await loader.release($0)
            }
            let entry = Entry(model: model, settings: settings)
            entries[name] = entry
            return entry
        }
        guard let entry else {
            // A new model whose configuration is broken: nothing loads, and the index says why.
            let reason = configError ?? "cannot read the configuration of '\(name)'"
            refused.withLock { $0[name] = reason }
            return .failure(.badRequest(reason))
        }
        if let configError {
            logger.error(
                "invalid model configuration; the previous one stays in force",
                metadata: ["model": "\(name)", "error": "\(configError)"])
        }

        let available = Self.availableVersions(folder)
        let selected = entry.settings.resolvedPolicy.select(from: available)
        let servingBefore = Set(entry.model.readyVersions)
        for version in selected where reloadAll || reload.contains(version) || !servingBefore.contains(version) {
            // A version whose last load failed is tried again only when its files change or on request.
            if !reloadAll && !reload.contains(version),
                case .failed = entry.model.status().first(where: { $0.version == version })?.state
            {
                continue
            }
            await loadVersion(entry.model, name: name, version: version, modelFolder: folder)
        }
        // Versions whose folder is gone are unloaded; versions no longer selected once a selected one serves.
        let serving = Set(entry.model.readyVersions)
        let selectedServes = !serving.isDisjoint(with: selected)
        for version in serving.sorted() where !available.contains(version) || (selectedServes && !selected.contains(version)) {
            logger.info("unloading model version", metadata: ["model": "\(name)", "version": "\(version)"])
            await entry.model.unload(version: version)
            metrics?.setReady(model: name, version: version, false)
        }
        for status in entry.model.status() where !available.contains(status.version) && status.inFlight == 0 {
            if status.state != .ready && status.state != .loading { entry.model.forget(version: status.version) }
        }

        if let configError, reloadAll { return .failure(.badRequest(configError)) }
        guard !selected.isEmpty else {
            return .failure(.badRequest("model '\(name)' has no complete version folder that its version policy selects"))
        }
        guard entry.model.isReady() else {
            let reasons = entry.model.status().filter { !$0.reason.isEmpty }.map { "version \($0.version): \($0.reason)" }
            return .failure(.badRequest("failed to load model '\(name)': \(reasons.joined(separator: "; "))"))
        }
        return .success(())
    }

    /// Loads, verifies and installs one version; a failure keeps the previous instance serving.
    private func loadVersion(_ model: VersionedModel<Instance>, name: String, version: Int, modelFolder: String) async {
        model.beginLoading(version: version)
        let start = ContinuousClock.now
        logger.info("loading model version", metadata: ["model": "\(name)", "version": "\(version)"])
        do {
            let paths = self.paths
            let path = try await BlockingWork.offload { () throws -> String in
                let path = try paths.versionFolder(model: name, version: version)
                if let manifest = try ModelManifest.load(folder: path) { try manifest.verify(folder: path) }
                return path
            }
            let instance = try await loader.load(model: name, version: version, path: path, modelFolder: modelFolder)
            await model.install(version: version, instance: instance)
            metrics?.recordLoad(model: name, version: version, success: true)
            metrics?.setReady(model: name, version: version, true)
            logger.info(
                "model version ready",
                metadata: ["model": "\(name)", "version": "\(version)", "duration": "\(ContinuousClock.now - start)"])
        } catch {
            let reason = Self.reason(error)
            model.fail(version: version, reason: reason)
            metrics?.recordLoad(model: name, version: version, success: false)
            metrics?.setReady(model: name, version: version, model.isReady(version: version))
            logger.error(
                "model version failed to load",
                metadata: [
                    "model": "\(name)", "version": "\(version)", "error": "\(reason)",
                    "serving": "\(model.isReady(version: version) ? "previous load" : "nothing")",
                ])
        }
    }

    // MARK: Requests

    /// Takes a lease for one request on model `name`.
    ///
    /// - Parameters:
    ///   - name: The model's name.
    ///   - version: The version from the URL or the `x-model-version` header, or `nil` to route by weights.
    ///   - stickyKey: The value of the model's sticky header in the request (see ``stickyHeader(model:)``).
    /// - Throws: `ServingError` 404 for an unknown model or version, 503 when it is not ready.
    public func lease(model name: String, version: String? = nil, stickyKey: String? = nil) throws(ServingError)
        -> ModelLease<Instance>
    {
        let pinned = try RepositoryPaths.requestedVersion(version, model: name)
        guard let entry = entries.withLock({ $0[name] }) else { throw .notFound("unknown model '\(name)'") }
        let lease = try entry.model.lease(version: pinned, stickyKey: stickyKey)
        metrics?.recordRoute(model: name, version: lease.version, reason: lease.reason)
        return lease
    }

    /// The header whose value keeps a client on one version of `name`, if its routing has one (lower-case).
    public func stickyHeader(model name: String) -> String? {
        entries.withLock { $0[name]?.model }?.routing.stickyHeader
    }

    /// The versions of `name` at their managed state, or `nil` for an unknown model.
    public func model(_ name: String) -> VersionedModel<Instance>? {
        entries.withLock { $0[name]?.model }
    }

    /// Every model known so far, by name.
    public var models: [String: VersionedModel<Instance>] {
        entries.withLock { $0.mapValues(\.model) }
    }

    /// Whether `name` (at `version`, or any version) can take requests.
    public func isReady(model name: String, version: Int? = nil) -> Bool {
        model(name)?.isReady(version: version) ?? false
    }

    /// Whether any version is loading.
    public var isLoading: Bool {
        entries.withLock { $0.values.map(\.model) }.contains { $0.status().contains { $0.state == .loading } }
    }

    /// The repository index: every model folder and every version loaded or tried, sorted.
    public func index() -> [RepositoryIndexRow] {
        let known = entries.withLock { $0 }
        let refused = self.refused.withLock { $0 }
        var rows: [RepositoryIndexRow] = []
        for name in Set(known.keys).union(modelNames()).union(refused.keys).sorted() {
            if let reason = refused[name] {
                rows.append(RepositoryIndexRow(name: name, version: nil, state: .failed(reason: reason), reason: reason))
                continue
            }
            guard let entry = known[name] else {
                rows.append(RepositoryIndexRow(name: name, version: nil, state: .unloaded, reason: ""))
                continue
            }
            let statuses = entry.model.status()
            if statuses.isEmpty {
                let state: ModelState = entry.configError.map { .failed(reason: $0) } ?? .unloaded
                rows.append(RepositoryIndexRow(name: name, version: nil, state: state, reason: state.reason))
            }
            for status in statuses {
                var reason = status.reason
                if let configError = entry.configError {
                    reason += (reason.isEmpty ? "" : "; ") + "the configuration is invalid (\(configError)); the previous one stays in force"
                }
                rows.append(RepositoryIndexRow(name: name, version: status.version, state: status.state, reason: reason))
            }
        }
        return rows
    }

    // MARK: Helpers

    /// The valid model folder names of the repository.
    func modelNames() -> [String] {
        RepositoryPaths.modelFolders(in: paths.root).filter { (try? RepositoryPaths.validateModelName($0)) != nil }
    }

    /// The versions in `folder` whose folder holds a model layout.
    static func availableVersions(_ folder: String) -> [Int] {
        RepositoryPaths.versionFolders(in: folder).filter { (try? ModelSource.detect(path: $0.path)) != nil }.map(\.version)
    }

    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as ServingError: error.message
        case let error as PaddleError: error.description
        default: "\(error)"
        }
    }
}
