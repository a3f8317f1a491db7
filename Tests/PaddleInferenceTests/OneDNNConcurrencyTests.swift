import Foundation
import Testing

@testable import PaddleInference

/// Concurrent oneDNN runs with changing input shapes, on the real engine.
///
/// Paddle 3.3.1 walks its process-wide oneDNN cache without a lock after every run (cache-clearing mode, the
/// engine's default), while a run with new input shapes changes that cache: two predictors running different
/// batch sizes at once crashed the process. ``OneDNNShapeCache`` decides which runs may overlap.
@Suite(.serialized) struct OneDNNConcurrencyTests {
    static let mlp = PaddleRuntime.packageRoot + "/.fixtures/models/mlp_tiny_pdmodel"

    /// A deterministic `[batch, 16]` input.
    static func input(batch: Int, seed: Int) throws -> [String: Tensor] {
        let values = (0..<(batch * 16)).map { Float(($0 * 7 + seed * 13) % 101) / 101 - 0.5 }
        return ["x": try Tensor(shape: [batch, 16], scalars: values)]
    }

    /// Many callers on a pool of 2 clones, batch sizes 1...24 in turn (more sets of shapes than the engine's default
    /// capacity of 10, so its cache evicts all the time), every result equal to a single predictor's.
    @Test(arguments: [nil, 64, 0] as [Int?])
    func pool_changingBatchSizes_neverCrashAndMatchSinglePredictor(capacity: Int?) async throws {
        var config = try Config(model: Self.mlp)
        config.cpuThreads = 1
        config.oneDNN = true
        config.oneDNNCacheCapacity = capacity
        let sizes = Array(1...24)
        let inputs = try sizes.map { try Self.input(batch: $0, seed: $0) }
        let single = try Predictor(config: config)
        let expected = try inputs.map { try single.run($0) }
        single.destroy()

        // Enough runs that an unguarded engine crashed here within a few seconds.
        let runsPerCaller = capacity == nil ? 2_000 : 300
        let pool = try PredictorPool(config: config, options: .init(size: 2, queueCapacity: 64))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<16 {
                group.addTask {
                    for step in 0..<runsPerCaller {
                        let index = (caller * 5 + step) % sizes.count
                        let outputs = try await pool.run(inputs[index])
                        #expect(outputs == expected[index], "batch \(sizes[index]) gave a different result")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(pool.statistics.completed == 16 * runsPerCaller)
        await pool.shutdown()
    }

    /// The gap between deciding that a run may overlap others and taking the shared lock: an exclusive run of
    /// another predictor could evict the decided shapes in between, and the "shared" run would then change oneDNN's
    /// cache beside other runs. The decision is now made under the shared lock. Here hot shapes (that may overlap)
    /// and cold ones (that keep evicting, capacity 4) run side by side on a pool of 3; every result must equal a
    /// single predictor's and the process must not crash.
    @Test func pool_hotSharedShapesBesideEvictingOnes_neverCrashAndMatchSinglePredictor() async throws {
        var config = try Config(model: Self.mlp)
        config.cpuThreads = 1
        config.oneDNN = true
        config.oneDNNCacheCapacity = 4
        let sizes = Array(1...24)
        let inputs = try sizes.map { try Self.input(batch: $0, seed: $0 + 100) }
        let single = try Predictor(config: config)
        let expected = try inputs.map { try single.run($0) }
        single.destroy()
        let pool = try PredictorPool(config: config, options: .init(size: 3, queueCapacity: 64))
        let runsPerCaller = 600
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<12 {
                group.addTask {
                    for step in 0..<runsPerCaller {
                        // Even callers: batch 1-3 (hot); odd callers: batch 5-24 (cold, always evicting).
                        let index = caller % 2 == 0 ? step % 3 : 4 + (caller * 7 + step) % 20
                        let outputs = try await pool.run(inputs[index])
                        #expect(outputs == expected[index], "batch \(sizes[index]) gave a different result")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(pool.statistics.completed == 12 * runsPerCaller)
        await pool.shutdown()
    }

    @Test func shapeCache_sharesOnlyShapesAPredictorRanAlone() {
        let cache = OneDNNShapeCache()
        #expect(!cache.mayShare(predictor: 1, shapes: "1-16-"))
        cache.recordExclusiveRun(predictor: 1, shapes: "1-16-", capacity: 3)
        #expect(cache.mayShare(predictor: 1, shapes: "1-16-"))
        #expect(!cache.mayShare(predictor: 2, shapes: "1-16-"), "another predictor's first run goes alone")
        #expect(!cache.mayShare(predictor: 1, shapes: "2-16-"))
    }

    @Test func shapeCache_newShapeInAFullCache_forgetsEverythingElse() {
        let cache = OneDNNShapeCache()
        for batch in 1...3 { cache.recordExclusiveRun(predictor: 1, shapes: "\(batch)-16-", capacity: 3) }
        for batch in 1...3 { #expect(cache.mayShare(predictor: 1, shapes: "\(batch)-16-")) }
        // A shape the cache holds does not evict: a second predictor learns it without losing anything.
        cache.recordExclusiveRun(predictor: 2, shapes: "2-16-", capacity: 3)
        #expect(cache.mayShare(predictor: 1, shapes: "1-16-") && cache.mayShare(predictor: 2, shapes: "2-16-"))
        // A fourth shape may evict any of the three: only the run just made is known afterwards.
        cache.recordExclusiveRun(predictor: 1, shapes: "4-16-", capacity: 3)
        #expect(cache.mayShare(predictor: 1, shapes: "4-16-"))
        for batch in 1...3 { #expect(!cache.mayShare(predictor: 1, shapes: "\(batch)-16-")) }
        #expect(!cache.mayShare(predictor: 2, shapes: "2-16-"))
    }

    @Test func shapeCache_forgetsDestroyedPredictors() {
        let cache = OneDNNShapeCache()
        cache.recordExclusiveRun(predictor: 7, shapes: "1-16-", capacity: 10)
        cache.forget(predictor: 7)
        #expect(!cache.mayShare(predictor: 7, shapes: "1-16-"))
    }

    @Test func shapeKey_matchesTheEngineFormat() {
        #expect(OneDNNShapeCache.key([[1, 3, 48, 320]]) == "1-3-48-320-")
        #expect(OneDNNShapeCache.key([[2, 16], [2]]) == "2-16-2-")
    }
}
