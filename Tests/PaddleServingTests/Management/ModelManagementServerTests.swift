import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PaddleInference
import PaddleTestSupport
import Synchronization
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository
@testable import PaddleServing

/// Model management end to end: a repository of real models served by the real engine, driven through the
/// router, with the watcher running.
@Suite struct ModelManagementServerTests {
    // MARK: Support

    /// A server over `repo`, loaded; `watch` starts hot reload with quick polls.
    private static func makeServer(
        _ repo: String, token: String? = nil
    ) async throws -> InferenceServer {
        let repository = ModelRepository(root: repo, logger: ManagementFixtures.logger)
        try await repository.loadAll()
        var configuration = ServingConfiguration(port: 0)
        configuration.repositoryToken = token
        let server = InferenceServer(repository: repository, configuration: configuration, logger: ManagementFixtures.logger)
        server.state.markStarted()
        return server
    }

    /// Runs the watcher with quick polls while `body` runs.
    private static func watching<R: Sendable>(_ server: InferenceServer, _ body: () async throws -> R) async rethrows -> R {
        let task = Task { await server.repository.watch(options: .init(interval: .milliseconds(20), stablePolls: 2)) }
        defer { task.cancel() }
        return try await body()
    }

    /// Waits for `condition`, polling every 20 ms, for at most 120 s: a bound, not a speed expectation (a reload
    /// of the tiny model takes well under a second on an idle machine, and over 10 s were seen with the suite running
    /// beside other builds on 2 cores).
    private static func eventually(_ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    static let inferBody: ByteBuffer = {
        let values = (0..<16).map { String(Float($0) / 16 - 0.5) }.joined(separator: ",")
        return ByteBuffer(string: "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,16],\"data\":[\(values)]}]}")
    }()

    /// Posts one inference; returns the status and the `model_version` answered.
    private static func infer(
        _ client: some TestClientProtocol, uri: String = "/v2/models/mlp/infer", headers: HTTPFields = [:]
    ) async throws -> (HTTPResponse.Status, String?) {
        let response = try await client.execute(uri: uri, method: .post, headers: headers, body: inferBody)
        return (response.status, response.body.json()["model_version"]?.stringValue)
    }

    /// Counts of a load generator: requests answered 200, and everything else.
    private final class LoadCounts: Sendable {
        let ok = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let failures = Mutex<[String]>([])
        let versions = Mutex<Set<String>>([])
    }

    /// Runs `workers` request loops (at most `limit` requests each) until `counts.stop` is set.
    private static func generateLoad(
        _ client: some TestClientProtocol, counts: LoadCounts, workers: Int = 2, limit: Int = 100_000
    ) -> Task<Void, Never> {
        Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<workers {
                    group.addTask {
                        for _ in 0..<limit where !counts.stop.load(ordering: .relaxed) {
                            do {
                                let (status, version) = try await infer(client)
                                if status == .ok {
                                    counts.ok.add(1, ordering: .relaxed)
                                    counts.versions.withLock { _ = $0.insert(version ?? "?") }
                                } else {
                                    counts.failed.add(1, ordering: .relaxed)
                                    counts.failures.withLock { $0.append("\(status)") }
                                }
                            } catch {
                                counts.failed.add(1, ordering: .relaxed)
                                counts.failures.withLock { $0.append("\(error)") }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Responses per `model_version`.
    private final class VersionTally: Sendable {
        let versions = Mutex<[String: Int]>([:])
    }

    private static func index(_ client: some TestClientProtocol, token: String? = nil) async throws -> [JSONValue] {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        let response = try await client.execute(uri: "/v2/repository/index", method: .post, headers: headers)
        return response.body.json().arrayValue ?? []
    }

    private static func row(_ rows: [JSONValue], version: Int) -> JSONValue? {
        rows.first { $0["version"]?.stringValue == String(version) }
    }

    // MARK: Hot reload

    @Test func hotReload_tenReloadsUnderLoad_noRequestFails() async throws {
        let repo = try ManagementFixtures.makeFolder()
        try ManagementFixtures.writeConfig(repo, "version_policy: { latest: 1 }\n")
        try ManagementFixtures.publish(repo, version: 1)
        let server = try await Self.makeServer(repo)
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await Self.watching(server) {
                let counts = LoadCounts()
                let load = Self.generateLoad(client, counts: counts)
                // 5 new versions published while serving: each replaces the previous one (latest 1).
                for version in 2...6 {
                    try ManagementFixtures.publish(repo, version: version)
                    // Readiness never drops while a new version loads beside the serving one.
                    try await client.execute(uri: "/v2/health/ready", method: .get) { #expect($0.status == .ok) }
                    #expect(try await Self.eventually { server.repository.readyVersions(name: "mlp") == [version] })
                }
                // 5 reloads of the serving version through the repository API (load, verify, swap).
                for _ in 0..<5 {
                    try await client.execute(uri: "/v2/repository/models/mlp/load", method: .post) {
                        #expect($0.status == .ok)
                    }
                }
                counts.stop.store(true, ordering: .relaxed)
                await load.value
                #expect(counts.failed.load(ordering: .relaxed) == 0, "\(counts.failures.withLock { Array($0.prefix(5)) })")
                #expect(counts.ok.load(ordering: .relaxed) > 0)
                // The traffic really spanned the reloads: several versions answered it.
                #expect(counts.versions.withLock { $0.count } >= 3, "\(counts.versions.withLock { $0 })")
                let (status, version) = try await Self.infer(client)
                #expect(status == .ok && version == "6")
                let rows = try await Self.index(client)
                #expect(Self.row(rows, version: 6)?["state"] == .string("READY"))
                #expect(Self.row(rows, version: 1)?["state"] == .string("UNAVAILABLE"))
                #expect(Self.row(rows, version: 1)?["lifecycle"] == .string("unloaded"))
            }
        }
        await server.repository.shutdown()
    }

    @Test func corruptVersion_keepsOldServing_andIndexSaysWhy() async throws {
        let repo = try ManagementFixtures.makeFolder()
        try ManagementFixtures.writeConfig(repo, "version_policy: { latest: 1 }\n")
        try ManagementFixtures.publish(repo, version: 1)
        let server = try await Self.makeServer(repo)
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await Self.watching(server) {
                // Version 2 arrives with a manifest its params do not match.
                let staging = repo + "/.v2"
                try FileManager.default.copyItem(atPath: ManagementFixtures.mlp, toPath: staging)
                let wrong = String(repeating: "0", count: 64)
                let program = try Config.sha256(ofFile: staging + "/inference.pdmodel")
                try "\(program)  inference.pdmodel\n\(wrong)  inference.pdiparams\n".write(
                    toFile: staging + "/SHA256SUMS", atomically: true, encoding: .utf8)
                try FileManager.default.moveItem(atPath: staging, toPath: repo + "/mlp/2")
                #expect(try await Self.eventually { server.repository.index().contains { $0.version == 2 && $0.state != .loading && $0.state != .unloaded } })
                let rows = try await Self.index(client)
                #expect(Self.row(rows, version: 2)?["state"] == .string("UNAVAILABLE"))
                #expect(Self.row(rows, version: 2)?["lifecycle"] == .string("failed"))
                #expect(Self.row(rows, version: 2)?["reason"]?.stringValue?.contains("SHA-256") == true)
                #expect(Self.row(rows, version: 1)?["state"] == .string("READY"))
                let (status, version) = try await Self.infer(client)
                #expect(status == .ok && version == "1")
                try await client.execute(uri: "/v2/models/mlp/versions/2/ready", method: .get) {
                    #expect($0.status == .serviceUnavailable)
                }
                try await client.execute(uri: "/v2/models/mlp/ready", method: .get) { #expect($0.status == .ok) }

                // Version 2 withdrawn; then version 1 rewritten in place with a broken program: its reload fails,
                // and the previous load of version 1 keeps serving.
                try FileManager.default.removeItem(atPath: repo + "/mlp/2")
                #expect(try await Self.eventually { !server.repository.index().contains { $0.version == 2 } })
                try Data("not a model".utf8).write(to: URL(fileURLWithPath: repo + "/mlp/1/inference.pdmodel"))
                #expect(try await Self.eventually {
                    server.repository.index().first { $0.version == 1 }?.reason.contains("reload failed") == true
                })
                let after = try await Self.infer(client)
                #expect(after.0 == .ok && after.1 == "1")
                try await client.execute(uri: "/metrics", method: .get) { response in
                    let text = String(buffer: response.body)
                    #expect(text.contains("paddle_model_loads_total{model=\"mlp\",version=\"2\",result=\"failure\""))
                    #expect(text.contains("paddle_model_version_ready{model=\"mlp\",version=\"1\"} 1"))
                }
            }
        }
        await server.repository.shutdown()
    }

    // MARK: Routing

    @Test func abWeights70_30_over10000Requests_landWithin3Percent() async throws {
        let repo = try ManagementFixtures.makeFolder()
        try ManagementFixtures.writeConfig(repo, "routing:\n  weights: { 1: 70, 2: 30 }\n")
        try ManagementFixtures.publish(repo, version: 1)
        try ManagementFixtures.publish(repo, version: 2)
        let server = try await Self.makeServer(repo)
        let counts = VersionTally()
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<2_500 {
                            let (status, version) = try await Self.infer(client)
                            #expect(status == .ok)
                            counts.versions.withLock { $0[version ?? "?", default: 0] += 1 }
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("paddle_model_routed_total{model=\"mlp\",version=\"2\",reason=\"weighted\"}"))
                #expect(text.contains("paddle_inference_success_total{model=\"mlp\",version=\"2\"}"))
            }
        }
        let final = counts.versions.withLock { $0 }
        #expect(final.values.reduce(0, +) == 10_000)
        #expect(abs(Double(final["1"] ?? 0) / 10_000 - 0.7) <= 0.03, "\(final)")
        #expect(abs(Double(final["2"] ?? 0) / 10_000 - 0.3) <= 0.03, "\(final)")
        await server.repository.shutdown()
    }

    @Test func stickyKeys_stayOnOneVersion_andPinsWin() async throws {
        let repo = try ManagementFixtures.makeFolder()
        try ManagementFixtures.writeConfig(repo, "routing:\n  weights: { 1: 50, 2: 50 }\n  sticky_header: x-user\n")
        try ManagementFixtures.publish(repo, version: 1)
        try ManagementFixtures.publish(repo, version: 2)
        let server = try await Self.makeServer(repo)
        try await Application(router: server.makeRouter()).test(.router) { client in
            var seen: Set<String> = []
            for user in 0..<40 {
                var headers = HTTPFields()
                headers[HTTPField.Name("x-user")!] = "user-\(user)"
                let (_, first) = try await Self.infer(client, headers: headers)
                for _ in 0..<5 {
                    let (status, version) = try await Self.infer(client, headers: headers)
                    #expect(status == .ok && version == first, "user-\(user)")
                }
                seen.insert(first ?? "?")
            }
            #expect(seen == ["1", "2"])
            var pinned = HTTPFields()
            pinned[HTTPField.Name("x-model-version")!] = "1"
            pinned[HTTPField.Name("x-user")!] = "user-0"
            for _ in 0..<5 { #expect(try await Self.infer(client, headers: pinned).1 == "1") }
            for _ in 0..<5 { #expect(try await Self.infer(client, uri: "/v2/models/mlp/versions/2/infer").1 == "2") }
            pinned[HTTPField.Name("x-model-version")!] = "7"
            #expect(try await Self.infer(client, headers: pinned).0 == .notFound)
        }
        await server.repository.shutdown()
    }

    // MARK: Unload, config, security

    @Test func unloadUnderLoad_drainsInFlightRequests() async throws {
        let repo = try ManagementFixtures.makeFolder()
        try ManagementFixtures.publish(repo, version: 1)
        let server = try await Self.makeServer(repo)
        // A request in flight: it holds a lease on version 1.
        let lease = try server.repository.lease(name: "mlp", version: nil)
        try await Application(router: server.makeRouter()).test(.router) { client in
            let unload = Task {
                try await client.execute(uri: "/v2/repository/models/mlp/unload", method: .post) { $0.status }
            }
            #expect(try await Self.eventually { server.repository.index().first?.state == .unloading })
            // New requests are refused cleanly while the old version drains ...
            #expect(try await Self.infer(client).0 == .serviceUnavailable)
            // ... and the one in flight completes on it.
            let outputs = try await lease.instance.pool.run(ManagementFixtures.mlpInput())
            #expect(!outputs.isEmpty)
            #expect(!lease.instance.pool.isShutDown)
            lease.release()
            #expect(try await unload.value == .ok)
            #expect(lease.instance.pool.isShutDown)
            #expect(try await Self.index(client).first?["state"] == .string("UNAVAILABLE"))
        }
    }

    @Test func removedModelFolder_isDrainedAndUnloaded() async throws {
        let repo = try ManagementFixtures.makeFolder()
        try ManagementFixtures.publish(repo, version: 1)
        try ManagementFixtures.publish(repo, model: "other", version: 1)
        let server = try await Self.makeServer(repo)
        let instance = try server.repository.instance(name: "mlp")
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await Self.watching(server) {
                try FileManager.default.removeItem(atPath: repo + "/mlp")
                #expect(try await Self.eventually { !server.repository.isReady(name: "mlp") })
                #expect(try await Self.eventually { instance.pool.isShutDown })
                #expect(try await Self.infer(client).0 == .serviceUnavailable)
                #expect(try await Self.infer(client, uri: "/v2/models/other/infer").0 == .ok)
            }
        }
        await server.repository.shutdown()
    }

    @Test func configEdits_applyWithoutRestartOrReload() async throws {
        let repo = try ManagementFixtures.makeFolder()
        try ManagementFixtures.writeConfig(repo, "routing: { weights: { 1: 100 } }\n")
        try ManagementFixtures.publish(repo, version: 1)
        try ManagementFixtures.publish(repo, version: 2)
        let server = try await Self.makeServer(repo)
        let before = try server.repository.instance(name: "mlp", version: "2")
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await Self.watching(server) {
                #expect(try await Self.infer(client).1 == "1")
                try ManagementFixtures.writeConfig(
                    repo, "routing: { weights: { 2: 100 } }\nrate_limit: { requests_per_second: 0.001, burst: 1 }\n")
                #expect(try await Self.eventually { (try? server.repository.instance(name: "mlp", version: "2").configuration.rateLimit) != nil })
                #expect(try await Self.infer(client).1 == "2")
                #expect(try await Self.infer(client).0 == .tooManyRequests)
                // Same instances: nothing was reloaded.
                #expect(try server.repository.instance(name: "mlp", version: "2") === before)
                // A broken edit changes nothing and says so in the index.
                try ManagementFixtures.writeConfig(repo, "routing: { weights: { 2: -5 } }\n")
                #expect(try await Self.eventually {
                    server.repository.index().first?.reason.contains("configuration is invalid") == true
                })
                #expect(try server.repository.instance(name: "mlp", version: "2") === before)
                // An edit whose serving options are invalid does not apply its routing either.
                try ManagementFixtures.writeConfig(repo, "routing: { weights: { 1: 100 } }\npool_size: 0\n")
                #expect(try await Self.eventually {
                    server.repository.index().first?.reason.contains("pool_size") == true
                })
                #expect(try server.repository.lease(name: "mlp", version: nil).version == 2)
            }
        }
        await server.repository.shutdown()
    }

    @Test func repositoryAPI_traversalSymlinksAndToken_areEnforced() async throws {
        let repo = try ManagementFixtures.makeFolder()
        try ManagementFixtures.publish(repo, version: 1)
        let outside = try ManagementFixtures.makeFolder("outside")
        try ManagementFixtures.publish(outside, model: "evil", version: 1)
        // A model folder linked to outside, and a model whose version is linked to outside.
        try FileManager.default.createSymbolicLink(atPath: repo + "/evil", withDestinationPath: outside + "/evil")
        try FileManager.default.createDirectory(atPath: repo + "/sneaky", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: repo + "/sneaky/1", withDestinationPath: outside + "/evil/1")
        let token = "test-token-123"
        let server = try await Self.makeServer(repo, token: token)
        let auth: HTTPFields = [.authorization: "Bearer \(token)"]
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/v2/repository/models/mlp/load", method: .post) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v2/repository/index", method: .post) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v2/repository/models/mlp/load", method: .post, headers: auth) {
                #expect($0.status == .ok)
            }
            for name in ["..", "%2e%2e", "..%2f..%2fetc", ".hidden", "evil", "sneaky"] {
                try await client.execute(uri: "/v2/repository/models/\(name)/load", method: .post, headers: auth) {
                    #expect($0.status == .badRequest || $0.status == .notFound, "\(name): \($0.status)")
                }
            }
            let rows = try await Self.index(client, token: token)
            for name in ["evil", "sneaky"] {
                let row = rows.first { $0["name"]?.stringValue == name }
                #expect(row?["state"] == .string("UNAVAILABLE"), "\(name)")
                #expect(row?["reason"]?.stringValue?.contains("outside the model repository") == true, "\(name): \(String(describing: row))")
            }
            #expect(!server.repository.isReady(name: "evil") && !server.repository.isReady(name: "sneaky"))
            #expect(server.repository.isReady(name: "mlp"))
        }
        await server.repository.shutdown()
    }
}
