import PaddleTestSupport
import Synchronization
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository

/// A stand-in for a loaded instance that records when it is released (the holder is generic; the tests with the
/// real engine are in `ModelManagerTests`).
private final class Tracked: Sendable {
    let label: String
    let released = Atomic<Int>(0)
    init(_ label: String) { self.label = label }
}

@Suite struct VersionedModelTests {
    private func makeModel(routing: VersionRouting = VersionRouting()) -> VersionedModel<Tracked> {
        VersionedModel(name: "m", routing: routing) { $0.released.add(1, ordering: .relaxed) }
    }

    @Test func install_replacement_releasesOldOnlyAfterItsLeasesEnd() async throws {
        let model = makeModel()
        let first = Tracked("first")
        await model.install(version: 1, instance: first)
        let lease = try model.lease()
        #expect(lease.instance === first && lease.version == 1)
        let second = Tracked("second")
        let swap = Task { await model.install(version: 1, instance: second) }
        // New requests see the new instance at once, while the old one waits for its lease.
        for _ in 0..<1000 where try model.lease().instance !== second { await Task.yield() }
        #expect(try model.lease().instance === second)
        #expect(first.released.load(ordering: .relaxed) == 0)
        #expect(model.draining == 1)
        lease.release()
        await swap.value
        #expect(first.released.load(ordering: .relaxed) == 1)
        #expect(second.released.load(ordering: .relaxed) == 0)
        #expect(model.draining == 0)
    }

    @Test func unload_drainsInFlight_thenRefusesNewRequests() async throws {
        let model = makeModel()
        let instance = Tracked("v1")
        await model.install(version: 1, instance: instance)
        let leases = try (0..<5).map { _ in try model.lease(version: 1, stickyKey: nil) }
        let unload = Task { await model.unload(version: 1) }
        for _ in 0..<1000 where model.status().first?.state != .unloading { await Task.yield() }
        #expect(model.status().first?.state == .unloading)
        #expect(model.status().first?.inFlight == 0)  // no longer serving: in flight are draining
        let refused = #expect(throws: ServingError.self) { try model.lease(version: 1, stickyKey: nil) }
        #expect(refused?.status == .serviceUnavailable)
        for lease in leases { lease.release() }
        await unload.value
        #expect(instance.released.load(ordering: .relaxed) == 1)
        #expect(model.status().first?.state == .unloaded)
    }

    @Test func fail_whileServing_keepsOldInstanceAndRecordsWhy() async throws {
        let model = makeModel()
        let instance = Tracked("v1")
        await model.install(version: 1, instance: instance)
        model.beginLoading(version: 1)
        #expect(model.status().first?.state == .ready)
        model.fail(version: 1, reason: "SHA-256 mismatch")
        #expect(try model.lease().instance === instance)
        let status = try #require(model.status().first)
        #expect(status.state == .ready)
        #expect(status.reason.contains("SHA-256 mismatch"))
        model.fail(version: 2, reason: "bad program")
        #expect(model.status().last?.state == .failed(reason: "bad program"))
        #expect(model.readyVersions == [1])
    }

    @Test func lease_unknownOrNotReady_throws404Or503() async throws {
        let model = makeModel()
        #expect((#expect(throws: ServingError.self) { try model.lease() })?.status == .notFound)
        model.beginLoading(version: 1)
        #expect((#expect(throws: ServingError.self) { try model.lease() })?.status == .serviceUnavailable)
        #expect((#expect(throws: ServingError.self) { try model.lease(version: 1, stickyKey: nil) })?.status == .serviceUnavailable)
        #expect((#expect(throws: ServingError.self) { try model.lease(version: 9, stickyKey: nil) })?.status == .notFound)
    }

    @Test func lease_weightsAndPins_chooseVersions_andRoutingUpdatesInPlace() async throws {
        let model = makeModel(routing: VersionRouting(weights: [1: 100]))
        await model.install(version: 1, instance: Tracked("v1"))
        await model.install(version: 2, instance: Tracked("v2"))
        #expect(try model.lease().version == 1)
        #expect(try model.lease(version: 2, stickyKey: nil).version == 2)
        #expect(try model.lease(version: 2, stickyKey: nil).reason == .pinned)
        model.updateRouting(VersionRouting(weights: [2: 100]))
        #expect(try model.lease().version == 2)
    }

    @Test func lease_droppedWithoutRelease_stillReleases() async throws {
        let model = makeModel()
        let old = Tracked("old")
        await model.install(version: 1, instance: old)
        do { _ = try model.lease() }
        await model.install(version: 1, instance: Tracked("new"))
        #expect(old.released.load(ordering: .relaxed) == 1)
    }
}
