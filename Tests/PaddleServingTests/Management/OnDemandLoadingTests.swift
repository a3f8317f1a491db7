import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaddleInference
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository
@testable import PaddleServing

/// Many-model serving end to end, on the real engine and the tiny MLP fixture, through the server's router: the
/// optimized-program cache on every load, on-demand loads, the memory budget and its evictions.
///
/// The budget tests account each version by the size of its files (``RepositoryOptions/measuresResidentSet``
/// off): the tests of this process run in parallel and load models at the same time, so RSS deltas would depend on
/// them. Each model folder holds the MLP plus a 10 MiB padding file, so a budget of 25 MiB holds two models and
/// not three. `bench/many-models` checks the RSS-based accounting against the real RSS.
///
/// No test waits on timing: loads are awaited through requests, and the one load timeout in play (the default
/// 30 s) is a bound, never reached by a passing run.
@Suite struct OnDemandLoadingTests {
    static let padding = 10 << 20

    /// A repository folder with models `names` (version 1 each, the MLP plus a padding file) and `config` in each.
    static func makeRepository(_ names: [String], config: (String) -> String = { _ in "load: on_demand\n" }) throws -> String {
        let repo = try ManagementFixtures.makeFolder("ondemand")
        for name in names {
            try ManagementFixtures.publish(repo, model: name, version: 1)
            _ = FileManager.default.createFile(atPath: "\(repo)/\(name)/1/padding.bin", contents: Data(count: padding))
            try ManagementFixtures.writeConfig(repo, model: name, config(name))
        }
        return repo
    }

    /// A loaded server over `repo`. Weight sharing is off unless `sharing`: the test models are byte-identical
    /// copies of one MLP, which would otherwise share one family and take no memory of their own.
    static func makeServer(
        _ repo: String, budgetMiB: Int? = nil, cache: String? = nil, sharing: Bool = false, byResidentSet: Bool = false
    ) async throws -> InferenceServer {
        var options = options(budgetMiB: budgetMiB)
        options.measuresResidentSet = byResidentSet
        options.sharesWeights = sharing
        options.optimizationCache = cache.map { URL(fileURLWithPath: $0) }
        return try await start(ModelRepository(root: repo, options: options, logger: ManagementFixtures.logger))
    }

    /// Options accounting by file size, with a budget of `budgetMiB` MiB if given, and no weight sharing.
    ///
    /// The load wait is 10 minutes, not the default 30 s: these tests check what requests get once a load is
    /// done, and in the full parallel suite on a slow CPU a load can wait that long for the process-wide
    /// predictor-creation lock behind other suites' loads (seen: every first request 503 after 30 s). A bound,
    /// never reached by a passing run.
    static func options(budgetMiB: Int?) -> RepositoryOptions {
        var options = RepositoryOptions(
            memoryBudgetBytes: budgetMiB.map { $0 << 20 }, loadTimeout: .seconds(600))
        options.measuresResidentSet = false
        options.sharesWeights = false
        return options
    }

    /// Loads `repository` and starts a server over it.
    static func start(_ repository: ModelRepository) async throws -> InferenceServer {
        try await repository.loadAll()
        let server = InferenceServer(
            repository: repository, configuration: ServingConfiguration(port: 0), logger: ManagementFixtures.logger)
        server.state.markStarted()
        return server
    }

    /// A loaded server over explicit models (as `serve --model` makes): version 1 of each of `names`, taken from
    /// the folders of `repo`, each with `configuration`.
    static func makeSpecServer(
        _ repo: String, _ names: [String], configuration: ModelConfiguration = ModelConfiguration(), budgetMiB: Int? = nil
    ) async throws -> InferenceServer {
        let specs = names.map {
            ModelRepository.ModelSpec(name: $0, versions: [1: "\(repo)/\($0)/1"], configuration: configuration)
        }
        return try await start(
            ModelRepository(models: specs, options: options(budgetMiB: budgetMiB), logger: ManagementFixtures.logger))
    }

    static let inferBody: ByteBuffer = {
        let values = (0..<16).map { String(Float($0) / 16 - 0.5) }.joined(separator: ",")
        return ByteBuffer(string: "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,16],\"data\":[\(values)]}]}")
    }()

    /// Posts one inference to `model`; returns the response.
    static func infer(_ client: some TestClientProtocol, _ model: String) async throws -> TestResponse {
        try await client.execute(uri: "/v2/models/\(model)/infer", method: .post, body: inferBody)
    }

    /// The index row of `model` version 1, else its version-less row.
    static func row(_ client: some TestClientProtocol, _ model: String) async throws -> JSONValue? {
        let rows = try await client.execute(uri: "/v2/repository/index", method: .post).body.json().arrayValue ?? []
        return rows.first { $0["name"]?.stringValue == model && $0["version"]?.stringValue == "1" }
            ?? rows.first { $0["name"]?.stringValue == model }
    }

    static func isLoaded(_ server: InferenceServer, _ model: String) -> Bool {
        server.repository.readyVersions(name: model) == [1]
    }

    static func metrics(_ client: some TestClientProtocol) async throws -> String {
        String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
    }

    // MARK: Optimized-program cache

    @Test func optimizationCache_secondLoadThroughServer_hitsAndAnswersIdentically() async throws {
        let repo = try Self.makeRepository(["mlp"]) { _ in "" }
        let cache = try ManagementFixtures.makeFolder("optcache")
        let server = try await Self.makeServer(repo, cache: cache)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            #expect(try server.repository.instance(name: "mlp").optimizationCacheOutcome == .stored)
            let first = try await Self.infer(client, "mlp")
            #expect(first.status == .ok)
            try await client.execute(uri: "/v2/repository/models/mlp/unload", method: .post) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/repository/models/mlp/load", method: .post) { #expect($0.status == .ok) }
            #expect(try server.repository.instance(name: "mlp").optimizationCacheOutcome == .hit)
            let second = try await Self.infer(client, "mlp")
            #expect(second.status == .ok)
            #expect(first.body.json()["outputs"] == second.body.json()["outputs"])
            #expect(first.body.json()["outputs"] != nil)
            let text = try await Self.metrics(client)
            #expect(text.contains("paddle_model_optimization_cache_total{result=\"hit\"} 1"), "\(text)")
            #expect(text.contains("paddle_model_optimization_cache_total{result=\"miss\"} 1"))
        }
        await server.repository.shutdown()
    }

    // MARK: Shared weights

    @Test func sharedWeights_identicalFiles_oneFamilyAndIdenticalAnswers() async throws {
        let repo = try Self.makeRepository(["a", "b"]) { _ in "" }
        let server = try await Self.makeServer(repo, sharing: true)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            let a = try server.repository.instance(name: "a")
            let b = try server.repository.instance(name: "b")
            // The second of the two loads joined the first one's family.
            #expect(a.sharesWeights != b.sharesWeights)
            let first = try await Self.infer(client, "a")
            let second = try await Self.infer(client, "b")
            #expect(first.status == .ok && second.status == .ok)
            #expect(first.body.json()["outputs"] == second.body.json()["outputs"])
            // The family outlives the member that made it.
            try await client.execute(uri: "/v2/repository/models/a/unload", method: .post) { #expect($0.status == .ok) }
            let after = try await Self.infer(client, "b")
            #expect(after.status == .ok)
            #expect(after.body.json()["outputs"] == first.body.json()["outputs"])
        }
        await server.repository.shutdown()
    }

    // MARK: On demand

    @Test func onDemand_listedNotLoaded_firstInferLoadsIt() async throws {
        let repo = try Self.makeRepository(["a"])
        let server = try await Self.makeServer(repo)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            #expect(!Self.isLoaded(server, "a"))
            let before = try await Self.row(client, "a")
            #expect(before?["state"] == .string("UNAVAILABLE"))
            #expect(before?["reason"] == .string("not loaded"))
            let response = try await Self.infer(client, "a")
            #expect(response.status == .ok)
            #expect(response.body.json()["model_version"] == .string("1"))
            let after = try await Self.row(client, "a")
            #expect(after?["state"] == .string("READY"))
            #expect((after?["memory_bytes"]?.intValue ?? 0) >= Self.padding)
            let text = try await Self.metrics(client)
            #expect(text.contains("paddle_model_loads_total{model=\"a\",version=\"1\",result=\"success\",reason=\"on_demand\"} 1"))
            #expect(text.contains("paddle_model_residency_total{result=\"miss\"} 1"))
            #expect(text.contains("paddle_model_memory_bytes{model=\"a\",version=\"1\"}"))
            // Loaded now: the next request is a hit.
            #expect(try await Self.infer(client, "a").status == .ok)
            #expect(try await Self.metrics(client).contains("paddle_model_residency_total{result=\"hit\"} 1"))
        }
        await server.repository.shutdown()
    }

    @Test func onDemand_concurrentFirstRequests_shareOneLoad() async throws {
        let repo = try Self.makeRepository(["a"])
        let server = try await Self.makeServer(repo)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<8 { group.addTask { try await Self.infer(client, "a").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: .ok, count: 8))
            let text = try await Self.metrics(client)
            #expect(text.contains("paddle_model_loads_total{model=\"a\",version=\"1\",result=\"success\",reason=\"on_demand\"} 1"), "\(text)")
        }
        await server.repository.shutdown()
    }

    @Test func explicitModels_onDemand_listedNotLoaded_firstInferLoadsIt() async throws {
        let repo = try Self.makeRepository(["a"]) { _ in "" }
        var configuration = ModelConfiguration()
        configuration.load = .onDemand
        let server = try await Self.makeSpecServer(repo, ["a"], configuration: configuration)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            #expect(!Self.isLoaded(server, "a"))
            #expect(try await Self.row(client, "a")?["reason"] == .string("not loaded"))
            let response = try await Self.infer(client, "a")
            #expect(response.status == .ok)
            #expect(response.body.json()["model_version"] == .string("1"))
            #expect(Self.isLoaded(server, "a"))
            let text = try await Self.metrics(client)
            #expect(text.contains("paddle_model_loads_total{model=\"a\",version=\"1\",result=\"success\",reason=\"on_demand\"} 1"), "\(text)")
            #expect(text.contains("paddle_model_memory_bytes{model=\"a\",version=\"1\"}"))
        }
        await server.repository.shutdown()
    }

    @Test func explicitModels_noBudget_loadEagerlyAndServeEveryVersion() async throws {
        let repo = try Self.makeRepository(["a", "b"]) { _ in "" }
        let server = try await Self.makeSpecServer(repo, ["a", "b"])
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            #expect(Self.isLoaded(server, "a") && Self.isLoaded(server, "b"))
            #expect(try await Self.infer(client, "b").status == .ok)
            try await client.execute(uri: "/v2/repository/models/a/unload", method: .post) { #expect($0.status == .ok) }
            #expect(!Self.isLoaded(server, "a"))
            #expect(try await Self.infer(client, "a").status == .serviceUnavailable)
            try await client.execute(uri: "/v2/repository/models/a/load", method: .post) { #expect($0.status == .ok) }
            #expect(try await Self.infer(client, "a").status == .ok)
            try await client.execute(uri: "/v2/repository/models/zzz/load", method: .post) {
                #expect($0.status == .notFound)
            }
        }
        await server.repository.shutdown()
    }

    // MARK: Budget and eviction

    @Test func budget_explicitModels_defaultOnDemandAndEvictsLeastRecentlyUsed() async throws {
        let repo = try Self.makeRepository(["a", "b", "c"]) { _ in "" }
        let server = try await Self.makeSpecServer(repo, ["a", "b", "c"], budgetMiB: 25)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            // Three models of about 10 MiB do not fit 25 MiB: none loads at start-up.
            #expect(!Self.isLoaded(server, "a") && !Self.isLoaded(server, "b") && !Self.isLoaded(server, "c"))
            for model in ["a", "b", "a", "c"] { #expect(try await Self.infer(client, model).status == .ok) }
            #expect(Self.isLoaded(server, "a") && Self.isLoaded(server, "c") && !Self.isLoaded(server, "b"))
            #expect(try await Self.metrics(client).contains("paddle_model_evictions_total 1"))
            #expect(server.repository.memoryBudget!.usedBytes <= 25 << 20)
        }
        await server.repository.shutdown()
    }

    @Test func budget_evictsLeastRecentlyUsedIdleModel() async throws {
        let repo = try Self.makeRepository(["a", "b", "c"])
        let server = try await Self.makeServer(repo, budgetMiB: 25)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            for model in ["a", "b", "a", "c"] { #expect(try await Self.infer(client, model).status == .ok) }
            // b was used less recently than a: b made room for c.
            #expect(Self.isLoaded(server, "a") && Self.isLoaded(server, "c") && !Self.isLoaded(server, "b"))
            #expect(try await Self.row(client, "b")?["reason"] == .string("not loaded"))
            // d is not there; b again: now a is the least recently used.
            #expect(try await Self.infer(client, "b").status == .ok)
            #expect(!Self.isLoaded(server, "a") && Self.isLoaded(server, "b") && Self.isLoaded(server, "c"))
            #expect(try await Self.metrics(client).contains("paddle_model_evictions_total 2"))
            #expect(server.repository.memoryBudget!.usedBytes <= 25 << 20)
        }
        await server.repository.shutdown()
    }

    @Test func budget_neverEvictsModelWithRequestInFlight() async throws {
        let repo = try Self.makeRepository(["a", "b", "c"])
        let server = try await Self.makeServer(repo, budgetMiB: 25)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            // A request holds a (the least recently used once b has answered).
            let held = try await server.repository.leaseLoading(name: "a", version: nil)
            #expect(try await Self.infer(client, "b").status == .ok)
            #expect(try await Self.infer(client, "c").status == .ok)
            #expect(Self.isLoaded(server, "a") && !Self.isLoaded(server, "b") && Self.isLoaded(server, "c"))
            held.release()
        }
        await server.repository.shutdown()
    }

    @Test func budget_nothingEvictable_503WithRetryAfter() async throws {
        let repo = try Self.makeRepository(["a", "b"])
        let server = try await Self.makeServer(repo, budgetMiB: 15)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            let held = try await server.repository.leaseLoading(name: "a", version: nil)
            let response = try await Self.infer(client, "b")
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] == "1")
            #expect(response.body.json()["error"]?.stringValue?.contains("memory budget") == true)
            #expect(Self.isLoaded(server, "a") && !Self.isLoaded(server, "b"))
            held.release()
            // Idle now: a is evicted for b.
            #expect(try await Self.infer(client, "b").status == .ok)
            #expect(!Self.isLoaded(server, "a") && Self.isLoaded(server, "b"))
        }
        await server.repository.shutdown()
    }

    @Test func budget_eagerModelIsPinned() async throws {
        let repo = try Self.makeRepository(["a", "b", "c"]) { $0 == "a" ? "load: eager\n" : "load: on_demand\n" }
        let server = try await Self.makeServer(repo, budgetMiB: 25)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            #expect(Self.isLoaded(server, "a"))
            for model in ["b", "c"] { #expect(try await Self.infer(client, model).status == .ok) }
            // a is the least recently used, but eager: b goes.
            #expect(Self.isLoaded(server, "a") && !Self.isLoaded(server, "b") && Self.isLoaded(server, "c"))
        }
        await server.repository.shutdown()
    }

    @Test func budget_defaultsToOnDemandWhenModelsDoNotFit() async throws {
        let repo = try Self.makeRepository(["a", "b", "c"]) { _ in "" }
        let server = try await Self.makeServer(repo, budgetMiB: 25)
        #expect(!Self.isLoaded(server, "a") && !Self.isLoaded(server, "b") && !Self.isLoaded(server, "c"))
        await server.repository.shutdown()
        let fits = try await Self.makeServer(repo, budgetMiB: 40)
        #expect(Self.isLoaded(fits, "a") && Self.isLoaded(fits, "b") && Self.isLoaded(fits, "c"))
        await fits.repository.shutdown()
    }

    @Test func budget_randomTraffic_neverAboveBudgetPlusOneModel() async throws {
        let names = (0..<6).map { "m\($0)" }
        let repo = try Self.makeRepository(names)
        let server = try await Self.makeServer(repo, budgetMiB: 35)
        var generator = SeededGenerator(seed: 15)
        let sequence = (0..<40).map { _ in names.randomElement(using: &generator)! }
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            let budget = server.repository.memoryBudget!
            var largest = 0
            for model in sequence {
                #expect(try await Self.infer(client, model).status == .ok)
                largest = max(largest, budget.resident.values.max() ?? 0)
                #expect(budget.usedBytes <= (35 << 20) + largest)
            }
        }
        await server.repository.shutdown()
    }

    /// The RSS-based accounting against the real engine: the base (server with the runtime, no model) comes from the
    /// first load, each version is accounted at least at its calibrated estimate, the accounted total stays within
    /// the budget, and the RSS gate refuses a load once the RSS above the base leaves no room. Other tests of this
    /// process load models meanwhile, so only properties that their loads cannot break are checked (their memory
    /// can only make the gate evict earlier, and a load with nothing left to evict goes ahead on the accounting).
    @Test func budget_residentSet_baseFromFirstLoadAndEstimateFloor() async throws {
        let repo = try Self.makeRepository(["a", "b", "c"])
        let limit = 60 << 20
        let server = try await Self.makeServer(repo, budgetMiB: limit >> 20, byResidentSet: true)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            let budget = server.repository.memoryBudget!
            #expect(budget.baseBytes == nil)
            #expect(try await Self.infer(client, "a").status == .ok)
            let base = try #require(budget.baseBytes)
            let resident = try #require(MemoryBudget.residentBytes())
            #expect(base > 0 && base < resident + limit)
            for model in ["b", "c", "a"] {
                #expect(try await Self.infer(client, model).status == .ok)
                #expect(Self.isLoaded(server, model))
                #expect(budget.usedBytes <= limit)
                for (key, bytes) in budget.resident {
                    let files = MemoryBudget.fileBytes(folder: "\(repo)/\(key.name)/\(key.version)")
                    #expect(bytes >= MemoryBudget.estimatedBytes(fileBytes: files))
                }
            }
            // Three models of about 23 MiB each do not fit 60 MiB: one was evicted.
            #expect(budget.resident.count <= 2)
            // The gate: no room once the RSS above the base fills the budget; room at the base itself.
            #expect(!budget.admits(0, residentNow: base + limit + 1))
            #expect(budget.admits(0, residentNow: base) == (budget.loadPeakBytes <= limit))
            #expect(try await Self.metrics(client).contains("paddle_model_memory_base_bytes "))
        }
        await server.repository.shutdown()
    }
}
