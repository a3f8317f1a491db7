import Foundation
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository

@Suite struct RepositoryWatcherTests {
    private let fm = FileManager.default

    @Test func poll_halfCopiedVersion_isReportedOnlyWhenCompleteAndSettled() throws {
        let repo = try ManagementFixtures.makeFolder()
        let watcher = RepositoryWatcher(root: repo, options: .init(stablePolls: 2))
        let folder = repo + "/mlp/1"
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Only the program so far: incomplete, whatever the number of polls.
        try fm.copyItem(atPath: ManagementFixtures.mlp + "/inference.pdmodel", toPath: folder + "/inference.pdmodel")
        #expect(watcher.poll().isEmpty)
        #expect(watcher.poll().isEmpty)
        #expect(watcher.poll().isEmpty)
        // Params arrive: complete, but must be seen unchanged twice.
        try fm.copyItem(atPath: ManagementFixtures.mlp + "/inference.pdiparams", toPath: folder + "/inference.pdiparams")
        #expect(watcher.poll().isEmpty)
        #expect(watcher.poll() == [.versionAdded(model: "mlp", version: 1, path: folder)])
        #expect(watcher.poll().isEmpty)
    }

    @Test func poll_growingFile_waitsUntilItStopsChanging() throws {
        let repo = try ManagementFixtures.makeFolder()
        try ManagementFixtures.publish(repo, version: 1)
        let watcher = RepositoryWatcher(root: repo, options: .init(stablePolls: 2))
        watcher.baseline()
        let params = repo + "/mlp/1/inference.pdiparams"
        for round in 0..<3 {
            let handle = try #require(FileHandle(forWritingAtPath: params))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data([UInt8(round)]))
            try handle.close()
            #expect(watcher.poll().isEmpty, "round \(round)")
        }
        #expect(watcher.poll() == [.versionModified(model: "mlp", version: 1, path: repo + "/mlp/1")])
    }

    @Test func poll_marker_isRequired() throws {
        let repo = try ManagementFixtures.makeFolder()
        let watcher = RepositoryWatcher(root: repo, options: .init(stablePolls: 1, marker: "READY"))
        try ManagementFixtures.publish(repo, version: 3)
        #expect(watcher.poll().isEmpty)
        #expect(fm.createFile(atPath: repo + "/mlp/3/READY", contents: Data()))
        #expect(watcher.poll() == [.versionAdded(model: "mlp", version: 3, path: repo + "/mlp/3")])
    }

    @Test func poll_hiddenStagingFolders_areIgnored() throws {
        let repo = try ManagementFixtures.makeFolder()
        let watcher = RepositoryWatcher(root: repo, options: .init(stablePolls: 1))
        try fm.createDirectory(atPath: repo + "/mlp", withIntermediateDirectories: true)
        try fm.copyItem(atPath: ManagementFixtures.mlp, toPath: repo + "/mlp/.2.partial")
        try fm.copyItem(atPath: ManagementFixtures.mlp, toPath: repo + "/mlp/notaversion")
        #expect(watcher.poll().isEmpty)
        try fm.moveItem(atPath: repo + "/mlp/.2.partial", toPath: repo + "/mlp/2")
        #expect(watcher.poll() == [.versionAdded(model: "mlp", version: 2, path: repo + "/mlp/2")])
    }

    @Test func poll_removalAndConfigEdits_areReportedAfterSettling() throws {
        let repo = try ManagementFixtures.makeFolder()
        try ManagementFixtures.publish(repo, version: 1)
        try ManagementFixtures.publish(repo, version: 2)
        let watcher = RepositoryWatcher(root: repo, options: .init(stablePolls: 2))
        watcher.baseline()
        #expect(watcher.poll().isEmpty)
        try fm.removeItem(atPath: repo + "/mlp/1")
        try ManagementFixtures.writeConfig(repo, "routing: { weights: { 2: 100 } }")
        #expect(watcher.poll().isEmpty)
        #expect(Set(watcher.poll()) == [.versionRemoved(model: "mlp", version: 1), .configChanged(model: "mlp")])
        try fm.removeItem(atPath: repo + "/mlp/config.yaml")
        #expect(watcher.poll().isEmpty)
        #expect(watcher.poll() == [.configChanged(model: "mlp")])
    }

    @Test func poll_versionBeingReplacedInPlace_isNotRemoved() throws {
        let repo = try ManagementFixtures.makeFolder()
        try ManagementFixtures.publish(repo, version: 1)
        let watcher = RepositoryWatcher(root: repo, options: .init(stablePolls: 1))
        watcher.baseline()
        try fm.removeItem(atPath: repo + "/mlp/1/inference.pdiparams")
        #expect(watcher.poll().isEmpty)
        try fm.copyItem(
            atPath: ManagementFixtures.mlp + "/inference.pdiparams", toPath: repo + "/mlp/1/inference.pdiparams")
        #expect(watcher.poll() == [.versionModified(model: "mlp", version: 1, path: repo + "/mlp/1")])
    }

    @Test func run_reportsChangesUntilCancelled() async throws {
        let repo = try ManagementFixtures.makeFolder()
        let watcher = RepositoryWatcher(root: repo, options: .init(interval: .milliseconds(20), stablePolls: 2))
        let (stream, continuation) = AsyncStream<[RepositoryChange]>.makeStream()
        let task = Task { await watcher.run { continuation.yield($0) } }
        try ManagementFixtures.publish(repo, version: 5)
        var received: [RepositoryChange] = []
        for await changes in stream {
            received = changes
            break
        }
        task.cancel()
        await task.value
        #expect(received == [.versionAdded(model: "mlp", version: 5, path: repo + "/mlp/5")])
    }
}
