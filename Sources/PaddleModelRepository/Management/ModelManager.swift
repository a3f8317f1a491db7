import Dispatch
import Foundation
import HTTPTypes
import KServeProtocol
import Logging
import PaddleInference
import Synchronization

/// The models of a repository folder or of explicit specs, each with its served versions: loads them by version
/// policy, routes requests over them, and reloads them on change without failing a request.
///
/// Layout of a folder: `<root>/<model>/<version>/` (a model in any format the engine reads, plus an optional
/// ``ModelManifest`` `SHA256SUMS`), and `<root>/<model>/config.yaml` with the loader's keys and
/// ``ManagementSettings`` (`version_policy`, `routing`). Explicit specs (`serve --model PATH`) give the versions'
/// paths and the configuration themselves: every version is served, and nothing is watched or reloaded from disk.
///
/// - **Loading** a version resolves its folder through ``RepositoryPaths`` (no traversal, no link leaving the
///   repository), verifies the manifest if there is one, and has the `ModelLoader` build and warm it
///   up. Only then does it replace the version's previous instance (``VersionedModel/install(version:instance:)``),
///   which is released once its in-flight requests are done. A failure keeps the previous instance serving and
///   is recorded in the index, the logs and `paddle_model_loads_total{result="failure"}`.
/// - **Changes** come from a ``RepositoryWatcher`` (``apply(_:)``) or the repository API (``load(model:)``,
///   ``unload(model:)``). Routing weights and the version policy apply in place; the loader decides whether
///   other config changes need a reload (`ModelLoader.configurationChanged(model:modelFolder:instances:)`).
/// - **Requests** take a ``ModelLease`` with ``lease(model:version:stickyKey:)``; a request on an on-demand model
///   that is not loaded (``needsLoad(model:version:)``) waits for its load with
///   ``leaseLoading(model:version:stickyKey:)``.
/// - **Memory** (``MemoryBudget``): a model with `load: on_demand` (the default when the repository's models do not
///   fit `serve --memory-budget-mb`) is listed but not loaded until its first request (its metadata is read from its
///   program files meanwhile, `fileMetadata(model:version:)`); concurrent first requests
///   share one load, and each waits up to `load_timeout_ms` (then 503 with `Retry-After`). Before a load that would
///   exceed the budget, idle on-demand models are unloaded, least recently used first. A model with requests in
///   flight or queued, one with requests waiting for its load, and an eager one are never evicted; when nothing
///   can be, the request gets 503 with the reason. An explicit ``load(model:)`` pins the model (as eager) until an
///   explicit ``unload(model:)``, which keeps it unloaded until the next explicit load.
///
/// Thread-safe. Loads and unloads run one at a time, in order; leases never wait for them.
public final class ModelManager: Sendable {
    /// The loaded version type.
    public typealias Instance = ModelInstance

    /// The request header that pins a version, like `/versions/{v}` in the URL.
    public static var versionHeader: String { "x-model-version" }

    private struct Entry: Sendable {
        let model: VersionedModel<Instance>
        var settings: ManagementSettings
        var configError: String?
        /// Unloaded through the API: file changes do not load it again until ``load(model:)``.
        var unloadedByRequest = false
        /// Loaded through the API: pinned like an eager model until ``unload(model:)``.
        var loadedByRequest = false
        /// `load` from `config.yaml`, if it says.
        var configuredMode: ModelConfiguration.LoadMode?
        /// `load_timeout_ms` from `config.yaml`, if it says.
        var loadTimeout: Duration?
        /// The on-demand load that requests are waiting for, if one is queued or running.
        var pendingLoad: SharedLoad?
        /// Requests waiting for an on-demand load of this model (it is not evicted meanwhile).
        var waiting = 0
    }

    /// Where the models, their versions and configurations come from.
    let source: RepositorySource
    let loader: ModelLoader
    /// Load, routing and readiness metrics, if any.
    public let metrics: ManagementMetrics?
    /// The memory the loaded versions take, and the budget they must fit.
    public let budget: MemoryBudget
    let memoryMetrics: MemoryMetrics?
    let options: RepositoryOptions
    /// The load mode of models whose `config.yaml` does not say: eager, or on-demand when the repository's models
    /// do not fit the budget (decided by ``loadAll()``).
    private let defaultMode = Mutex<ModelConfiguration.LoadMode>(.eager)
    let logger: Logger
    private let entries = Mutex<[String: Entry]>([:])
    /// Model folders refused before anything was loaded (for example a link leaving the repository), and why.
    private let refused = Mutex<[String: String]>([:])
    private let queue = AsyncSerialQueue()

    init(
        source: RepositorySource, loader: ModelLoader, options: RepositoryOptions = RepositoryOptions(),
        metrics: ManagementMetrics? = nil, memoryMetrics: MemoryMetrics? = nil, logger: Logger
    ) {
        self.source = source
        self.loader = loader
        self.options = options
        self.budget = MemoryBudget(limitBytes: options.memoryBudgetBytes, measuresResidentSet: options.measuresResidentSet)
        self.metrics = metrics
        self.memoryMetrics = memoryMetrics
        self.logger = logger
        if let limit = options.memoryBudgetBytes { memoryMetrics?.setBudget(limit) }
    }

    /// The mode `entry` loads in: pinned by an explicit load, else its `config.yaml`'s, else the default.
    private func mode(of entry: Entry) -> ModelConfiguration.LoadMode {
        if entry.loadedByRequest { return .eager }
        return entry.configuredMode ?? defaultMode.withLock { $0 }
    }

    // MARK: Loading

    /// Loads every eager model of the repository and lists the on-demand ones (failures are recorded and
    /// logged, not thrown).
    ///
    /// With a memory budget, models whose `config.yaml` gives no `load` mode are on-demand when the estimates
    /// (``MemoryBudget/estimatedBytes(fileBytes:versions:)``) of the models not marked `on_demand` add up to more
    /// than the budget, and eager otherwise.
    public func loadAll() async {
        let names = modelNames()
        if let limit = budget.limitBytes {
            var total = 0
            for name in names {
                guard let location = try? source.locate(name) else { continue }
                if source.configuration(location)?.load == .onDemand { continue }
                total += estimatedBytes(model: name, location: location)
            }
            let mode: ModelConfiguration.LoadMode = total > limit ? .onDemand : .eager
            defaultMode.withLock { $0 = mode }
            logger.info(
                "memory budget",
                metadata: [
                    "budget_mb": "\(limit >> 20)", "estimated_mb": "\(total >> 20)", "models": "\(names.count)",
                    "default_load": "\(mode.rawValue)",
                ])
        }
        for name in names {
            let result = await queue.run { [self] in
                await reconcile(name, reload: [], reloadAll: true, configChanged: false, force: false)
            }
            if case .failure(let error) = result {
                logger.error("model failed to load", metadata: ["model": "\(name)", "error": "\(error.message)"])
            }
        }
    }

    /// Loads model `name`, or loads its versions again and swaps them in (the repository API's load).
    ///
    /// - Throws: `ServingError` 400 for an invalid name, a link leaving the repository, an invalid config or
    ///   no version able to serve; 404 when there is no such model.
    public func load(model name: String) async throws(ServingError) {
        try source.validate(name: name)
        let result = await queue.run { [self] in
            entries.withLock {
                $0[name]?.unloadedByRequest = false
                $0[name]?.loadedByRequest = true
            }
            if let location = try? source.locate(name) {
                _ = await makeRoom(for: estimatedBytes(model: name, location: location), excluding: name)
            }
            let result = await reconcile(name, reload: [], reloadAll: true, configChanged: false, force: true)
            // A model new to the manager gets its entry in `reconcile`: pin it now.
            entries.withLock { $0[name]?.loadedByRequest = true }
            return result
        }
        try result.get()
    }

    /// Stops new requests to every version of `name`, waits for those in flight, and releases them.
    ///
    /// - Throws: `ServingError` 400 for an invalid name, 404 for an unknown model.
    public func unload(model name: String) async throws(ServingError) {
        try source.validate(name: name)
        guard let entry = entries.withLock({ $0[name] }) else { throw .notFound("unknown model '\(name)'") }
        await queue.run { [self] in
            entries.withLock {
                $0[name]?.unloadedByRequest = true
                $0[name]?.loadedByRequest = false
            }
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
                return await reconcile(
                    name, reload: modifiedVersions, reloadAll: false, configChanged: configWasChanged, force: false)
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

    /// Brings model `name` in line with its folder or spec. Runs on the serial queue.
    ///
    /// An on-demand model that is not loaded only has its settings updated, unless `force` (its first request, or
    /// the repository API) asks for the load.
    private func reconcile(
        _ name: String, reload: Set<Int>, reloadAll: Bool, configChanged: Bool, force: Bool,
        reason: LoadReason = .eager
    ) async -> Result<Void, ServingError> {
        let location: RepositorySource.Location
        do {
            location = try source.locate(name)
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
        do { loaded = try source.settings(location) } catch { configError = error.message }
        let loaderConfiguration = loaded == nil ? nil : source.configuration(location)
        var reload = reload
        if configChanged, !reloadAll, loaded != nil, let existing = entries.withLock({ $0[name]?.model }) {
            let instances = existing.readyVersions.compactMap { existing.peek(version: $0) }
            do {
                if try source.configurationChanged(model: name, location: location, instances: instances, loader: loader)
                    == .reload
                {
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
        let budget = self.budget
        let memoryMetrics = self.memoryMetrics
        let settings = loaded
        let problem = configError
        let entry = entries.withLock { entries -> Entry? in
            if var entry = entries[name] {
                if let settings {
                    entry.settings = settings
                    entry.model.updateRouting(settings.routing ?? VersionRouting())
                }
                if let loaderConfiguration {
                    entry.configuredMode = loaderConfiguration.load
                    entry.loadTimeout = loaderConfiguration.loadTimeoutMs.map { .milliseconds($0) }
                }
                entry.configError = problem
                entries[name] = entry
                return entry
            }
            guard let settings else { return nil }
            let model = VersionedModel<Instance>(name: name, routing: settings.routing ?? VersionRouting()) {
                await loader.release($0)
                budget.remove($0.key)
                memoryMetrics?.setMemory(model: $0.key.name, version: $0.key.version, bytes: 0, total: budget.usedBytes)
            }
            var entry = Entry(model: model, settings: settings)
            entry.configuredMode = loaderConfiguration?.load
            entry.loadTimeout = loaderConfiguration?.loadTimeoutMs.map { .milliseconds($0) }
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

        let available = source.versions(location).map(\.version)
        let selected = entry.settings.resolvedPolicy.select(from: available)
        let servingBefore = Set(entry.model.readyVersions)
        if !force, mode(of: entry) == .onDemand, servingBefore.isEmpty {
            // Listed, not loaded: its first request loads it.
            for status in entry.model.status() where !available.contains(status.version) { entry.model.forget(version: status.version) }
            if let configError, reloadAll { return .failure(.badRequest(configError)) }
            return .success(())
        }
        for version in selected where reloadAll || reload.contains(version) || !servingBefore.contains(version) {
            // A version whose last load failed is tried again only when its files change or on request.
            if !reloadAll && !reload.contains(version),
                case .failed = entry.model.status().first(where: { $0.version == version })?.state
            {
                continue
            }
            await loadVersion(
                entry.model, name: name, version: version, location: location,
                reason: servingBefore.contains(version) ? .reload : reason)
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

    /// Loads, verifies, measures (``MemoryBudget``) and installs one version; a failure keeps the previous instance
    /// serving.
    private func loadVersion(
        _ model: VersionedModel<Instance>, name: String, version: Int, location: RepositorySource.Location,
        reason: LoadReason
    ) async {
        model.beginLoading(version: version)
        let start = ContinuousClock.now
        logger.info("loading model version", metadata: ["model": "\(name)", "version": "\(version)"])
        do {
            let source = self.source
            let path = try await BlockingWork.offload { () throws -> String in
                try source.versionPath(model: name, version: version, location: location)
            }
            if budget.measuresResidentSet { MemoryBudget.resetPeakResident() }
            let before = MemoryBudget.residentBytes()
            let instance = try await source.load(
                model: name, version: version, path: path, location: location, loader: loader)
            let after = MemoryBudget.residentBytes()
            let peak = budget.measuresResidentSet ? MemoryBudget.peakResidentBytes() : nil
            let files = try await BlockingWork.offload { RepositorySource.fileBytes(path: path) }
            // A version sharing another's weights adds only what its clones take: no floor at the files' size.
            let bytes = budget.measured(
                fileBytes: instance.sharesWeights ? 0 : files, residentBefore: before, residentAfter: after)
            await model.install(version: version, instance: instance)
            budget.recordLoad(residentAfter: after, peakDuring: peak, accounted: bytes)
            budget.admit(ModelKey(name: name, version: version), bytes: bytes)
            memoryMetrics?.setBase(budget.baseBytes, loadPeak: budget.loadPeakBytes)
            memoryMetrics?.setMemory(model: name, version: version, bytes: bytes, total: budget.usedBytes)
            metrics?.recordLoad(model: name, version: version, success: true, reason: reason.rawValue)
            metrics?.setReady(model: name, version: version, true)
            logger.info(
                "model version ready",
                metadata: [
                    "model": "\(name)", "version": "\(version)", "duration": "\(ContinuousClock.now - start)",
                    "reason": "\(reason.rawValue)", "memory_mb": "\(Double(bytes) / 1_048_576)",
                    "optimization_cache": "\(instance.optimizationCacheOutcome.map { "\($0)" } ?? "off")",
                ])
        } catch {
            let why = Self.reason(error)
            model.fail(version: version, reason: why)
            metrics?.recordLoad(model: name, version: version, success: false, reason: reason.rawValue)
            metrics?.setReady(model: name, version: version, model.isReady(version: version))
            logger.error(
                "model version failed to load",
                metadata: [
                    "model": "\(name)", "version": "\(version)", "error": "\(why)",
                    "serving": "\(model.isReady(version: version) ? "previous load" : "nothing")",
                ])
        }
    }


    // MARK: On demand

    /// Why a version is loaded (the `reason` label of `paddle_model_loads_total`).
    enum LoadReason: String, Sendable {
        /// At start-up, through the repository API, or a new version of a serving model.
        case eager
        /// For the first request on an on-demand model.
        case onDemand = "on_demand"
        /// Files or configuration of a serving version changed.
        case reload
    }

    /// Whether a request on `name` (pinned to `version`, if given) must wait for an on-demand load: the model is
    /// on-demand, not unloaded through the API, and the version it needs is not loaded.
    public func needsLoad(model name: String, version: String? = nil) -> Bool {
        guard let entry = entries.withLock({ $0[name] }), !entry.unloadedByRequest, mode(of: entry) == .onDemand else {
            return false
        }
        if let version, let number = Int(version) { return !entry.model.isReady(version: number) }
        return !entry.model.isReady()
    }

    /// Takes a lease for one request, loading the model first if it is on-demand and not loaded: the first request
    /// starts the load, the next ones wait for the same load. Each waits at most the model's `load_timeout_ms`
    /// (default ``RepositoryOptions/loadTimeout``); the load goes on after a request stops waiting.
    ///
    /// - Throws: `ServingError` 404 for an unknown model or version; 503 with `Retry-After` when the load takes
    ///   longer than the wait, when the memory budget has no idle model to evict, or when the load failed.
    public func leaseLoading(model name: String, version: String? = nil, stickyKey: String? = nil) async throws(ServingError)
        -> ModelLease<Instance>
    {
        _ = try RepositoryPaths.requestedVersion(version, model: name)
        let defaultTimeout = options.loadTimeout
        let joined = entries.withLock { entries -> (SharedLoad, Duration, Bool)? in
            guard var entry = entries[name] else { return nil }
            entry.waiting += 1
            var started = false
            if entry.pendingLoad == nil {
                entry.pendingLoad = SharedLoad()
                started = true
            }
            entries[name] = entry
            return (entry.pendingLoad!, entry.loadTimeout ?? defaultTimeout, started)
        }
        guard let (shared, timeout, started) = joined else { throw .notFound("unknown model '\(name)'") }
        defer { entries.withLock { $0[name]?.waiting -= 1 } }
        memoryMetrics?.recordResidency(hit: false)
        if started {
            Task { [self] in
                let result = await queue.run { [self] in await loadOnDemand(name) }
                entries.withLock { entries in
                    if entries[name]?.pendingLoad === shared { entries[name]?.pendingLoad = nil }
                }
                shared.finish(result)
            }
        }
        guard let result = await shared.wait(timeout: timeout) else {
            throw Self.unavailable(
                "model '\(name)' is loading on demand and did not finish within its load timeout of \(timeout); "
                    + "the load goes on", retryAfter: 1)
        }
        try result.get()
        return try lease(model: name, version: version, stickyKey: stickyKey, afterLoad: true)
    }

    /// Loads on-demand model `name` for its waiting requests, evicting idle models first if the budget needs room.
    /// Runs on the serial queue.
    private func loadOnDemand(_ name: String) async -> Result<Void, ServingError> {
        guard let entry = entries.withLock({ $0[name] }) else { return .failure(.notFound("unknown model '\(name)'")) }
        if entry.unloadedByRequest { return .failure(.unavailable("model '\(name)' was unloaded through the repository API")) }
        if entry.model.isReady() { return .success(()) }
        guard let location = try? source.locate(name) else {
            return .failure(.notFound("no model folder for '\(name)' in the repository"))
        }
        let needed = estimatedBytes(model: name, location: location)
        if !(await makeRoom(for: needed, excluding: name)) {
            let limit = budget.limitBytes ?? 0
            return .failure(
                Self.unavailable(
                    "the memory budget (\(limit >> 20) MiB, \(budget.usedBytes >> 20) MiB in use) has no room for model "
                        + "'\(name)' (about \(needed >> 20) MiB) and no idle on-demand model to evict", retryAfter: 1))
        }
        let result = await reconcile(
            name, reload: [], reloadAll: false, configChanged: false, force: true, reason: .onDemand)
        if case .failure(let error) = result, error.status == .badRequest {
            return .failure(Self.unavailable(error.message, retryAfter: 1))
        }
        return result
    }

    /// Evicts idle on-demand models, least recently used first, until `bytes` more fit the budget, both in the
    /// accounting and in the process's RSS (``MemoryBudget/admits(_:residentNow:)``; the allocator's free memory is
    /// returned before each look at the RSS). Returns whether they fit the accounting: when the RSS alone stays
    /// above it with nothing left to evict (memory outside the models), the load goes ahead. Runs on the serial
    /// queue, so no other load runs meanwhile.
    private func makeRoom(for bytes: Int, excluding name: String) async -> Bool {
        let byResidentSet = budget.measuresResidentSet && budget.limitBytes != nil && budget.baseBytes != nil
        // Returning free memory walks the allocator's free lists (madvise per span): off the cooperative threads.
        if byResidentSet { try? await BlockingWork.offload { MemoryBudget.returnFreedMemory() } }
        while !budget.admits(bytes, residentNow: byResidentSet ? MemoryBudget.residentBytes() : nil) {
            let victim = budget.leastRecentlyUsed(excluding: name).first { isEvictable($0) }
            guard let victim, let model = self.model(victim) else { return budget.fits(bytes) }
            logger.info(
                "evicting model to make room",
                metadata: [
                    "model": "\(victim)", "for": "\(name)", "freed_mb": "\(budget.bytes(ofModel: victim) >> 20)",
                    "used_mb": "\(budget.usedBytes >> 20)",
                ])
            for version in model.readyVersions {
                await model.unload(version: version)
                metrics?.setReady(model: victim, version: version, false)
            }
            memoryMetrics?.recordEviction()
            try? await BlockingWork.offload { MemoryBudget.returnFreedMemory() }
        }
        return true
    }

    /// Whether `name` may be evicted now: on-demand, no request in flight, queued or waiting for its load, and no
    /// replaced instance still draining.
    private func isEvictable(_ name: String) -> Bool {
        guard let entry = entries.withLock({ $0[name] }) else { return false }
        guard mode(of: entry) == .onDemand, entry.waiting == 0, entry.pendingLoad == nil else { return false }
        return entry.model.draining == 0 && entry.model.status().allSatisfy { $0.inFlight == 0 }
    }

    /// The memory a load of `name` is expected to take (see ``MemoryBudget/expectedBytes(model:fileBytes:versions:)``).
    private func estimatedBytes(model name: String, location: RepositorySource.Location) -> Int {
        let settings = (try? source.settings(location)) ?? ManagementSettings()
        let available = source.versions(location, detected: false)
        let selected = Set(settings.resolvedPolicy.select(from: available.map(\.version)))
        let files = available.filter { selected.contains($0.version) }.map { RepositorySource.fileBytes(path: $0.path) }
        return budget.expectedBytes(model: name, fileBytes: files.reduce(0, +), versions: files.count)
    }

    /// 503 with `Retry-After: seconds`.
    static func unavailable(_ message: String, retryAfter seconds: Int) -> ServingError {
        var headers = HTTPFields()
        headers[.retryAfter] = String(max(seconds, 1))
        return ServingError(.serviceUnavailable, message, headers: headers)
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
        try lease(model: name, version: version, stickyKey: stickyKey, afterLoad: false)
    }

    /// ``lease(model:version:stickyKey:)``, counting a residency hit for an on-demand model unless the request
    /// has just waited for its load (a miss, already counted).
    private func lease(model name: String, version: String?, stickyKey: String?, afterLoad: Bool) throws(ServingError)
        -> ModelLease<Instance>
    {
        let pinned = try RepositoryPaths.requestedVersion(version, model: name)
        guard let entry = entries.withLock({ $0[name] }) else { throw .notFound("unknown model '\(name)'") }
        let lease = try entry.model.lease(version: pinned, stickyKey: stickyKey)
        budget.touch(model: name)
        if !afterLoad, mode(of: entry) == .onDemand { memoryMetrics?.recordResidency(hit: true) }
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

    /// The repository index: every model listed and every version loaded or tried, sorted.
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
            let onDemand = mode(of: entry) == .onDemand && !entry.unloadedByRequest
            if statuses.isEmpty {
                let state: ModelState = entry.configError.map { .failed(reason: $0) } ?? .unloaded
                let reason = onDemand && entry.configError == nil ? "not loaded" : state.reason
                rows.append(RepositoryIndexRow(name: name, version: nil, state: state, reason: reason))
            }
            let resident = budget.resident
            for status in statuses {
                var reason = onDemand && status.state == .unloaded ? "not loaded" : status.reason
                if let configError = entry.configError {
                    reason += (reason.isEmpty ? "" : "; ") + "the configuration is invalid (\(configError)); the previous one stays in force"
                }
                var row = RepositoryIndexRow(name: name, version: status.version, state: status.state, reason: reason)
                if status.state == .ready { row.memoryBytes = resident[ModelKey(name: name, version: status.version)] }
                rows.append(row)
            }
        }
        return rows
    }

    // MARK: Helpers

    /// The models the source lists: the repository's valid model folder names, or the specs' names.
    func modelNames() -> [String] {
        source.modelNames()
    }

    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as ServingError: error.message
        case let error as PaddleError: error.description
        default: "\(error)"
        }
    }
}
