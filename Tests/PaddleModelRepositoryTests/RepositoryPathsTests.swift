import Foundation
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository

@Suite struct RepositoryPathsTests {
    @Test(arguments: ["cls", "ppocr_v4-det", "a", "model.v2", "A1"])
    func validateModelName_plainNames_areAccepted(name: String) throws {
        try RepositoryPaths.validateModelName(name)
    }

    @Test(arguments: [
        "", "..", ".", ".hidden", "../etc", "a/b", "a\\b", "%2e%2e", "a b", "a\0b", "-rf", "mod\u{e9}l",
        String(repeating: "a", count: 129),
    ])
    func validateModelName_traversalAndOddNames_areRefused(name: String) {
        #expect(throws: ServingError.self) { try RepositoryPaths.validateModelName(name) }
    }

    @Test func parseVersion_digitsOnly() throws {
        #expect(try RepositoryPaths.parseVersion("0") == 0)
        #expect(try RepositoryPaths.parseVersion("0012") == 12)
        for bad in ["", "-1", "+1", "1.0", "..", "1 ", "0x1", "99999999999999999999"] {
            #expect(throws: ServingError.self, "\(bad)") { try RepositoryPaths.parseVersion(bad) }
        }
    }

    @Test func modelFolder_traversal_isRefusedWith400() throws {
        let repo = try ManagementFixtures.makeFolder()
        let paths = try RepositoryPaths(root: repo)
        for name in ["..", "../" + (repo as NSString).lastPathComponent, "mlp/../.."] {
            #expect(throws: ServingError.self) { try paths.modelFolder(name) }
        }
        #expect(throws: ServingError.self) { try paths.resolve("mlp/../../etc") }
        #expect(throws: ServingError.self) { try paths.resolve("/etc") }
    }

    @Test func versionFolder_linkInsideRepository_resolves() throws {
        let repo = try ManagementFixtures.makeFolder()
        try ManagementFixtures.publish(repo, version: 1)
        try FileManager.default.createSymbolicLink(atPath: repo + "/mlp/2", withDestinationPath: repo + "/mlp/1")
        let paths = try RepositoryPaths(root: repo)
        #expect(try paths.versionFolder(model: "mlp", version: 2) == repo + "/mlp/1")
    }

    @Test func versionFolder_linkLeavingRepository_isRefused() throws {
        let repo = try ManagementFixtures.makeFolder()
        let outside = try ManagementFixtures.makeFolder("outside")
        try ManagementFixtures.publish(outside, model: "m", version: 1)
        try FileManager.default.createDirectory(atPath: repo + "/mlp", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: repo + "/mlp/1", withDestinationPath: outside + "/m/1")
        let paths = try RepositoryPaths(root: repo)
        let error = #expect(throws: ServingError.self) { try paths.versionFolder(model: "mlp", version: 1) }
        #expect(error?.status == .badRequest)
        #expect(error?.message.contains("outside the model repository") == true)
        // The same link is fine when its target is a trusted root.
        let trusting = try RepositoryPaths(root: repo, trustedRoots: [outside])
        #expect(try trusting.versionFolder(model: "mlp", version: 1) == outside + "/m/1")
    }

    @Test func versionFolder_fileLinkLeavingRepository_isRefused() throws {
        let repo = try ManagementFixtures.makeFolder()
        try ManagementFixtures.publish(repo, version: 1)
        let params = repo + "/mlp/1/inference.pdiparams"
        try FileManager.default.removeItem(atPath: params)
        try FileManager.default.createSymbolicLink(
            atPath: params, withDestinationPath: ManagementFixtures.mlp + "/inference.pdiparams")
        let paths = try RepositoryPaths(root: repo)
        let error = #expect(throws: ServingError.self) { try paths.versionFolder(model: "mlp", version: 1) }
        #expect(error?.message.contains("inference.pdiparams") == true)
    }

    @Test func modelFolder_missing_is404() throws {
        let paths = try RepositoryPaths(root: try ManagementFixtures.makeFolder())
        let error = #expect(throws: ServingError.self) { try paths.modelFolder("nope") }
        #expect(error?.status == .notFound)
    }
}
