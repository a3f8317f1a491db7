import Foundation
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository

/// Unknown keys and wrong kinds in `config.yaml` are errors that name the key, its line and the keys known.
@Suite struct ConfigurationSchemaTests {
    func message(_ yaml: String) -> String? {
        do {
            _ = try ModelConfiguration.parse(yaml: yaml, source: "models/cls/config.yaml")
            return nil
        } catch {
            return error.message
        }
    }

    @Test func parse_tritonInstanceGroup_throwsNamingKeyLineAndKnownKeys() throws {
        let text = try #require(message("pool_size: 2\n# a comment\ninstance_group: {count: 2}\n"))
        #expect(text.contains("models/cls/config.yaml"), "\(text)")
        #expect(text.contains("unknown key 'instance_group' at line 3"), "\(text)")
        #expect(text.contains("known keys: dynamic_batching, inputs, load, load_timeout_ms, max_batch_size"), "\(text)")
        #expect(text.contains("version_policy"), "\(text)")
    }

    @Test func parse_unknownNestedKey_namesItsPath() throws {
        let text = try #require(message("rate_limit:\n  requests_per_second: 5\n  bursts: 2\n"))
        #expect(text.contains("unknown key 'rate_limit.bursts' at line 3"), "\(text)")
        #expect(text.contains("known keys of 'rate_limit': burst, requests_per_second"), "\(text)")
    }

    @Test(arguments: [
        ("pool_size: two", "'pool_size' at line 1 must be an integer, not 'two'"),
        ("warmup: maybe", "'warmup' at line 1 must be true or false, not 'maybe'"),
        ("onednn: [1]", "'onednn' at line 1 must be true or false, not a list"),
        ("threads: 1\ninputs:\n  - name: x\n    dims: [1, a]", "'inputs[0].dims[1]' at line 4 must be an integer, not 'a'"),
        ("routing:\n  weights: {two: 70}", "'routing.weights' at line 2 has a key that is not a version number: 'two'"),
        ("version_policy: {newest: 2}", "unknown key 'version_policy.newest' at line 1"),
        ("version_policy: sometimes", "'version_policy' at line 1 must be all, latest or a mapping, not 'sometimes'"),
    ])
    func parse_wrongKind_throwsNamingKeyAndLine(yaml: String, expected: String) throws {
        let text = try #require(message(yaml))
        #expect(text.contains(expected), "\(text)")
    }

    @Test(arguments: [
        "version_policy: all", "version_policy: {latest: 2}", "version_policy: {latest: {num_versions: 2}}",
        "version_policy: {specific: [1, 3]}", "version_policy: {specific: {versions: [1]}}", "version_policy: {all: {}}",
        "routing:\n  weights: {2: 70, 3: 30}\n  sticky_header: x-user-id", "dynamic_batching:\nmax_batch_size: 4",
        "name: cls\nrate_limit: {requests_per_second: 2.5, burst: 3}",
    ])
    func parse_everyDocumentedForm_isAccepted(yaml: String) throws {
        _ = try ModelConfiguration.parse(yaml: yaml)
        _ = try ManagementSettings.parse(yaml: yaml)
    }

    @Test func repository_modelWithUnknownKey_doesNotLoadAndIndexSaysWhy() async throws {
        let repo = try ManagementFixtures.makeFolder("schema")
        try ManagementFixtures.publish(repo, version: 1)
        try ManagementFixtures.writeConfig(repo, "pool_size: 2\ninstance_group: {count: 2}\n")
        let repository = ModelRepository(root: repo, logger: ManagementFixtures.logger)
        try? await repository.loadAll()
        #expect(repository.readyInstances().isEmpty)
        let row = try #require(repository.index().first { $0.name == "mlp" })
        #expect(row.reason.contains("unknown key 'instance_group' at line 2"), "\(row)")
        #expect(row.state != .ready)
        await repository.shutdown()
    }

    @Test func managementSettings_rejectUnknownKeysToo() {
        #expect(throws: ServingError.self) { try ManagementSettings.parse(yaml: "instance_group: {count: 2}") }
    }
}
