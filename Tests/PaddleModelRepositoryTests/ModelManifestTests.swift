import Foundation
import PaddleInference
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository

@Suite struct ModelManifestTests {
    /// A version folder with a manifest of its real files.
    private func versionWithManifest() throws -> String {
        let repo = try ManagementFixtures.makeFolder()
        try ManagementFixtures.publish(repo, version: 1)
        let folder = repo + "/mlp/1"
        let lines = try ["inference.pdmodel", "inference.pdiparams"].map { name in
            "\(try Config.sha256(ofFile: folder + "/" + name))  \(name)"
        }
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: folder + "/" + ModelManifest.fileName, atomically: true, encoding: .utf8)
        return folder
    }

    @Test func verify_matchingFiles_passes() throws {
        let folder = try versionWithManifest()
        let manifest = try #require(try ModelManifest.load(folder: folder))
        #expect(manifest.digests.count == 2)
        try manifest.verify(folder: folder)
    }

    @Test func verify_changedParams_throwsIntegrity() throws {
        let folder = try versionWithManifest()
        let handle = try #require(FileHandle(forWritingAtPath: folder + "/inference.pdiparams"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        let error = #expect(throws: PaddleError.self) { try ModelManifest.load(folder: folder)?.verify(folder: folder) }
        #expect(error?.code == .integrity)
    }

    @Test func verify_unlistedModelFile_throwsIntegrity() throws {
        let folder = try versionWithManifest()
        let digest = try Config.sha256(ofFile: folder + "/inference.pdmodel")
        let manifest = try ModelManifest.parse("\(digest) *./inference.pdmodel\n# params missing\n")
        let error = #expect(throws: PaddleError.self) { try manifest.verify(folder: folder) }
        #expect(error?.code == .integrity)
        #expect(error?.message.contains("inference.pdiparams") == true)
    }

    @Test func parse_malformedOrEscapingLines_throw() {
        let digest = String(repeating: "a", count: 64)
        for text in ["", "nonsense", "\(digest)", "abc  file", "\(digest)  ../x", "\(digest)  /etc/passwd"] {
            #expect(throws: PaddleError.self, "\(text)") { try ModelManifest.parse(text) }
        }
    }

    @Test func load_withoutManifest_isNil() throws {
        #expect(try ModelManifest.load(folder: ManagementFixtures.mlp) == nil)
    }
}
