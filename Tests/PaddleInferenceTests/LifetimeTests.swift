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

    /// With the engine's bound on oneDNN's cache (the default), inputs of many sizes grow RSS far less than without
    /// it (capacity 0): oneDNN keeps kernels and buffers per input size. Alone, the default grew by about 12 MB and
    /// the unbounded cache by about 260 MB; the comparison is made in one process, one predictor after the other.
    @Test func manyInputSizes_withTheDefaultOneDNNBound_growFarLessThanUnbounded() throws {
        func growth(capacity: Int?) throws -> Int {
            var config = try Config(model: Fixtures.recV4)
            config.cpuThreads = 1
            config.oneDNN = true
            config.oneDNNCacheCapacity = capacity
            let predictor = try Predictor(config: config)
            defer { predictor.destroy() }
            func run(width: Int) throws {
                _ = try predictor.run(["x": try Fixtures.randomFloats(shape: [2, 3, 48, width], seed: UInt64(width))])
            }
            // The widest input first, so that later growth is not the activations getting larger.
            try run(width: 960)
            // 40 widths from 320 to 944, each met twice in a scrambled order.
            let widths = (0..<80).map { 320 + 16 * (($0 * 17) % 40) }
            for width in widths.prefix(20) { try run(width: width) }
            let before = residentBytes()
            for width in widths.dropFirst(20) { try run(width: width) }
            return residentBytes() - before
        }
        #expect(try Config(model: Fixtures.recV4).oneDNNCacheCapacity == nil)
        let bounded = try growth(capacity: nil)
        let unbounded = try growth(capacity: 0)
        print("LifetimeTests: 60 runs over 40 input widths: RSS growth \(bounded / 1_048_576) MB with oneDNN's default "
              + "cache bound, \(unbounded / 1_048_576) MB without a bound")
        #expect(unbounded > 100 * 1_048_576, "without a bound RSS grew by only \(unbounded / 1_048_576) MB")
        #expect(bounded * 2 < unbounded, "with the bound RSS grew by \(bounded / 1_048_576) MB")
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
