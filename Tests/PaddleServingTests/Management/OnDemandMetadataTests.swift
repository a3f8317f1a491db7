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

/// Metadata of on-demand models that are listed but not loaded: answered from the program files
/// (``ModelRepository/metadata(name:version:)``), equal to the answer once loaded, and without loading them. Real
/// engine, real fixture models (ProgramDesc and PIR), through the server's router.
@Suite struct OnDemandMetadataTests {
    /// A repository with model `name`: versions `versions` of the fixture `fixture`, and `config`.
    static func makeRepository(
        _ name: String = "a", fixture: String = "mlp_tiny_pdmodel", versions: [Int] = [1], config: String = "load: on_demand\n"
    ) throws -> String {
        let repo = try ManagementFixtures.makeFolder("ondemand-metadata")
        try add(repo, name, fixture: fixture, versions: versions, config: config)
        return repo
    }

    static func add(_ repo: String, _ name: String, fixture: String, versions: [Int], config: String) throws {
        for version in versions {
            try ManagementFixtures.publish(repo, model: name, version: version, from: TestEnvironment.fixtureModel(fixture))
        }
        try ManagementFixtures.writeConfig(repo, model: name, config)
    }

    static func get(_ client: some TestClientProtocol, _ uri: String) async throws -> (HTTPResponse.Status, JSONValue) {
        let response = try await client.execute(uri: uri, method: .get)
        return (response.status, response.body.json())
    }

    /// `[name, datatype, shape]` of each tensor of a metadata answer's `inputs` or `outputs`.
    static func tensors(_ metadata: JSONValue, _ key: String) -> [[String]] {
        (metadata[key]?.arrayValue ?? []).map { tensor in
            [
                tensor["name"]?.stringValue ?? "?", tensor["datatype"]?.stringValue ?? "?",
                "\((tensor["shape"]?.arrayValue ?? []).map { $0.intValue ?? 0 })",
            ]
        }
    }

    static func versions(_ metadata: JSONValue) -> [String] {
        (metadata["versions"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// Still listed as not loaded: no ready version, index `UNAVAILABLE` / `not loaded`, no load counted.
    static func expectNotLoaded(
        _ server: InferenceServer, _ client: some TestClientProtocol, _ name: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(server.repository.readyVersions(name: name).isEmpty, sourceLocation: sourceLocation)
        let row = try await OnDemandLoadingTests.row(client, name)
        #expect(row?["state"] == .string("UNAVAILABLE"), sourceLocation: sourceLocation)
        #expect(row?["reason"] == .string("not loaded"), sourceLocation: sourceLocation)
        let metrics = try await OnDemandLoadingTests.metrics(client)
        #expect(!metrics.contains("paddle_model_loads_total{model=\"\(name)\""), sourceLocation: sourceLocation)
    }

    @Test(arguments: ["mlp_tiny_pdmodel", "mlp_tiny_json"])
    func metadata_notLoaded_fromFilesWithoutLoading_equalsMetadataAfterLoad(_ fixture: String) async throws {
        let repo = try Self.makeRepository(fixture: fixture, versions: [1, 2])
        let server = try await OnDemandLoadingTests.makeServer(repo)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            let (status, before) = try await Self.get(client, "/v2/models/a")
            #expect(status == .ok, "\(before)")
            let (pinnedStatus, pinnedBefore) = try await Self.get(client, "/v2/models/a/versions/1")
            #expect(pinnedStatus == .ok)
            #expect(try await Self.get(client, "/v2/models/a/versions/3").0 == .notFound)
            #expect(try await server.repository.metadata(name: "a").source == .files)
            try await Self.expectNotLoaded(server, client, "a")
            // What the files say: the MLP's x [-1, 16] → [-1, 4], every version the policy selects.
            #expect(before["name"] == .string("a"))
            #expect(before["platform"] == .string("paddle_inference"))
            #expect(Self.versions(before) == ["1", "2"])
            #expect(Self.versions(pinnedBefore) == ["1"])
            #expect(Self.tensors(before, "inputs") == [["x", "FP32", "[-1, 16]"]])
            #expect(Self.tensors(before, "outputs").map { Array($0.dropFirst()) } == [["FP32", "[-1, 4]"]])

            #expect(try await OnDemandLoadingTests.infer(client, "a").status == .ok)
            #expect(server.repository.readyVersions(name: "a") == [1, 2])
            #expect(try await server.repository.metadata(name: "a").source == .loaded)
            let (afterStatus, after) = try await Self.get(client, "/v2/models/a")
            #expect(afterStatus == .ok)
            #expect(after == before)
            #expect(try await Self.get(client, "/v2/models/a/versions/1").1 == pinnedBefore)
            #expect(try await Self.get(client, "/v2/models/a/versions/3").0 == .notFound)
        }
        await server.repository.shutdown()
    }

    @Test func metadata_notLoaded_versionPolicyAndOverridesAsALoadServesThem() async throws {
        let config = """
            load: on_demand
            version_policy: { latest: 1 }
            inputs:
              - name: x
                dims: [4, 16]
            """
        let repo = try Self.makeRepository(versions: [1, 2], config: config)
        let server = try await OnDemandLoadingTests.makeServer(repo)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            let (status, before) = try await Self.get(client, "/v2/models/a")
            #expect(status == .ok)
            #expect(Self.versions(before) == ["2"])
            #expect(Self.tensors(before, "inputs") == [["x", "FP32", "[4, 16]"]])
            // Version 1 is not selected: not served before the load, nor after.
            #expect(try await Self.get(client, "/v2/models/a/versions/1").0 == .notFound)
            try await Self.expectNotLoaded(server, client, "a")

            try await client.execute(uri: "/v2/repository/models/a/load", method: .post) { #expect($0.status == .ok) }
            #expect(server.repository.readyVersions(name: "a") == [2])
            #expect(try await Self.get(client, "/v2/models/a").1 == before)
            #expect(try await Self.get(client, "/v2/models/a/versions/1").0 == .notFound)
        }
        await server.repository.shutdown()
    }

    @Test func metadata_notLoaded_brokenModels_typedErrorsAndNothingLoads() async throws {
        let repo = try Self.makeRepository("good")
        // A program that is not a program (the engine would crash on it; the reader refuses it).
        try Self.add(repo, "garbage", fixture: "mlp_tiny_pdmodel", versions: [1], config: "load: on_demand\n")
        #expect(
            FileManager.default.createFile(
                atPath: repo + "/garbage/1/inference.pdmodel", contents: Data((0..<512).map { UInt8($0 % 7 + 0xF0) })))
        // A truncated PIR program.
        try Self.add(repo, "cut", fixture: "mlp_tiny_json", versions: [1], config: "load: on_demand\n")
        let json = try #require(FileManager.default.contents(atPath: repo + "/cut/1/inference.json"))
        #expect(FileManager.default.createFile(atPath: repo + "/cut/1/inference.json", contents: json.prefix(json.count / 2)))
        // An override of an input the program does not have.
        try Self.add(
            repo, "misnamed", fixture: "mlp_tiny_pdmodel", versions: [1],
            config: "load: on_demand\ninputs:\n  - name: nope\n    dims: [1]\n")
        let server = try await OnDemandLoadingTests.makeServer(repo)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            for name in ["garbage", "cut"] {
                let response = try await client.execute(uri: "/v2/models/\(name)", method: .get)
                #expect(response.status == .serviceUnavailable, "\(name)")
                #expect(response.body.json()["error"]?.stringValue?.isEmpty == false, "\(name)")
                try await Self.expectNotLoaded(server, client, name)
            }
            let misnamed = try await client.execute(uri: "/v2/models/misnamed", method: .get)
            #expect(misnamed.status == .badRequest)
            #expect(misnamed.body.json()["error"]?.stringValue?.contains("nope") == true)
            try await Self.expectNotLoaded(server, client, "misnamed")
            #expect(try await Self.get(client, "/v2/models/nothere").0 == .notFound)
            // The server still answers, from the files of a sound model.
            #expect(try await Self.get(client, "/v2/models/good").0 == .ok)
        }
        await server.repository.shutdown()
    }

    @Test func metadata_evictedModel_fromFilesWithoutLoadingOrEvicting() async throws {
        let repo = try OnDemandLoadingTests.makeRepository(["a", "b", "c"])
        let server = try await OnDemandLoadingTests.makeServer(repo, budgetMiB: 25)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            #expect(try await OnDemandLoadingTests.infer(client, "a").status == .ok)
            let (status, loaded) = try await Self.get(client, "/v2/models/a")
            #expect(status == .ok)
            for model in ["b", "c"] { #expect(try await OnDemandLoadingTests.infer(client, model).status == .ok) }
            // The budget holds two: a, the least recently used, made room for c.
            #expect(server.repository.readyVersions(name: "a").isEmpty)
            #expect(try await server.repository.metadata(name: "a").source == .files)
            let (evictedStatus, evicted) = try await Self.get(client, "/v2/models/a")
            #expect(evictedStatus == .ok)
            #expect(evicted == loaded)
            // Neither loaded a nor evicted b or c.
            #expect(server.repository.readyVersions(name: "a").isEmpty)
            #expect(server.repository.readyVersions(name: "b") == [1] && server.repository.readyVersions(name: "c") == [1])
            #expect(try await OnDemandLoadingTests.row(client, "a")?["reason"] == .string("not loaded"))
            #expect(try await OnDemandLoadingTests.metrics(client).contains("paddle_model_evictions_total 1"))
            // Unloaded through the repository API, a model is no longer on demand (until loaded again): its metadata
            // is 503 like any model that is not ready.
            try await client.execute(uri: "/v2/repository/models/c/unload", method: .post) { #expect($0.status == .ok) }
            #expect(try await Self.get(client, "/v2/models/c").0 == .serviceUnavailable)
        }
        await server.repository.shutdown()
    }

    @Test func metadata_explicitOnDemandModel_fromFilesWithoutLoading_equalsMetadataAfterLoad() async throws {
        let repo = try Self.makeRepository(fixture: "mlp_tiny_json", config: "")
        var configuration = ModelConfiguration()
        configuration.load = .onDemand
        let server = try await OnDemandLoadingTests.makeSpecServer(repo, ["a"], configuration: configuration)
        try await Application(router: server.makeRouter()).test(.router) { (client) async throws in
            let (status, before) = try await Self.get(client, "/v2/models/a")
            #expect(status == .ok)
            #expect(Self.tensors(before, "outputs") == [["fetch_name_0", "FP32", "[-1, 4]"]])
            #expect(server.repository.readyVersions(name: "a").isEmpty)
            #expect(try await OnDemandLoadingTests.row(client, "a")?["reason"] == .string("not loaded"))
            #expect(try await OnDemandLoadingTests.infer(client, "a").status == .ok)
            #expect(server.repository.readyVersions(name: "a") == [1])
            #expect(try await Self.get(client, "/v2/models/a").1 == before)
        }
        await server.repository.shutdown()
    }
}
