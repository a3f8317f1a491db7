import Foundation
import PaddleInference
import Testing

/// Every native object is released although the engine exports neither ~Predictor nor ~Tensor.
@Suite("Native lifetimes", .serialized)
struct LifetimeTests {
    /// 200 create/clone/destroy cycles of the PP-OCRv4 rec predictor grow RSS by less than 20 MB.
    @Test func createCloneDestroy_200Cycles_doesNotLeak() throws {
        var config = try Config(model: Fixtures.recV4)
        // The engine's memory-optimisation pass keeps its results per predictor id in a process-wide table that
        // is never pruned (about 0.1 MB per predictor created); this test measures what the binding releases.
        config.memoryOptim = false
        let x = try Fixtures.randomFloats(shape: [1, 3, 48, 160], seed: 7)
        func cycle() throws {
            let predictor = try Predictor(config: config)
            let clone = try predictor.clone()
            _ = try clone.run(["x": x])
            predictor.destroy()
            clone.destroy()
        }
        // Warm-up: the engine's one-time allocations (kernels, caches, allocator pools).
        for _ in 0..<20 { try cycle() }
        let before = residentBytes()
        let start = ContinuousClock.now
        for _ in 0..<200 { try cycle() }
        let growth = residentBytes() - before
        print("LifetimeTests: 200 create/clone/run/destroy cycles of PP-OCRv4 rec: RSS \(before / 1_048_576) MB -> "
              + "\((before + growth) / 1_048_576) MB (growth \(growth / 1_048_576) MB) in \(ContinuousClock.now - start)")
        #expect(growth < 20 * 1_048_576, "RSS grew by \(growth / 1_048_576) MB")
    }

    /// Runs and output copies release their memory: 1,000 runs hold RSS steady.
    @Test func run_1000Times_doesNotLeak() throws {
        let predictor = try Predictor(config: Config(model: Fixtures.clsV2))
        let x = try Fixtures.randomFloats(shape: [2, 3, 48, 192], seed: 8)
        for _ in 0..<50 { _ = try predictor.run(["x": x]) }
        let before = residentBytes()
        for _ in 0..<1000 { _ = try predictor.run(["x": x]) }
        let growth = residentBytes() - before
        #expect(growth < 10 * 1_048_576, "RSS grew by \(growth / 1_048_576) MB")
    }
}
