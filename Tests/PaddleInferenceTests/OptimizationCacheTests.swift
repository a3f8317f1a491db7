import Foundation
import PaddleInference
import Testing

/// ``Config/optimizationCache``: the first load stores the engine's optimized program, later loads read it with the
/// IR passes off, and outputs stay byte-identical to a normal load (and equal to the oracle's).
@Suite("Optimization cache")
struct OptimizationCacheTests {
    /// Every generated model, plus a real ProgramDesc model with oneDNN (PP-OCRv4 rec) and a real PIR one
    /// (PP-OCRv5 det).
    static let cases: [Manifest.Case] = ((try? Fixtures.manifest().cases) ?? []).filter {
        !$0.name.hasPrefix("ppocr") || $0.name == "ppocrv4_rec_1x3x48x320" || $0.name == "ppocrv5_det_1x3x64x96"
    }

    /// The tiny ProgramDesc MLP's oracle case, the model most tests here use.
    static func tinyCase() throws -> Manifest.Case {
        try #require(try Fixtures.manifest().cases.first { $0.name == "mlp_tiny_pdmodel" })
    }

    static func cachedConfig(_ testCase: Manifest.Case, cache: String) throws -> Config {
        var config = try testCase.config()
        config.optimizationCache = URL(fileURLWithPath: cache, isDirectory: true)
        return config
    }

    /// Entry folders in `cache` (staging and stale folders excluded).
    static func entries(_ cache: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cache)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func cases_coverBothFormatsAndARealModel() {
        let names = Set(Self.cases.map(\.name))
        #expect(names.contains("mlp_tiny_pdmodel") && names.contains("mlp_tiny_json"))
        #expect(names.contains("ppocrv4_rec_1x3x48x320"))
        #expect(names.contains("multi_io_model_dir_separate_2x8x5"))
    }

    @Test(arguments: cases)
    func load_storesThenHits_outputsIdenticalToNormalLoad(_ testCase: Manifest.Case) throws {
        guard testCase.runsOnThisCPU() else {
            return expectBFloat16Refusal { _ = try Predictor(config: testCase.config()) }
        }
        let cache = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let inputs = try testCase.inputTensors()
        let normal = try Predictor(config: testCase.config())
        #expect(normal.optimizationCacheOutcome == nil)
        let expected = try normal.run(inputs)

        let first = try Predictor(config: Self.cachedConfig(testCase, cache: cache))
        #expect(first.optimizationCacheOutcome == .stored)
        #expect(try first.run(inputs) == expected)
        #expect(Self.entries(cache).count == 1)

        let second = try Predictor(config: Self.cachedConfig(testCase, cache: cache))
        #expect(second.optimizationCacheOutcome == .hit)
        #expect(second.inputs == normal.inputs)
        #expect(second.outputs == normal.outputs)
        let outputs = try second.run(inputs)
        #expect(outputs == expected, "\(testCase.name): a cached load's outputs differ from a normal load's")
        for output in testCase.outputs {
            let oracle = try Tensor(npyFile: Fixtures.root + "/" + output.file, as: output.dtype)
            let actual = try #require(outputs[output.name])
            #expect(try maxAbsDifference(actual, oracle) <= testCase.tolerance, "\(testCase.name) \(output.name)")
        }
    }

    /// With memory optimisation on (ProgramDesc models only), a hit takes another engine path: the cached program
    /// loads as a plain model with the IR passes off, so that the engine still plans buffer reuse.
    @Test(arguments: cases.filter { $0.model.format != "json" })
    func memoryOptimOn_storesThenHits_outputsIdenticalToNormalLoad(_ testCase: Manifest.Case) throws {
        guard testCase.runsOnThisCPU() else {
            return expectBFloat16Refusal { _ = try Predictor(config: testCase.config()) }
        }
        let cache = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let inputs = try testCase.inputTensors()
        var plain = try testCase.config()
        plain.memoryOptim = true
        let expected = try Predictor(config: plain).run(inputs)
        var cached = plain
        cached.optimizationCache = URL(fileURLWithPath: cache, isDirectory: true)
        let first = try Predictor(config: cached)
        #expect(first.optimizationCacheOutcome == .stored)
        #expect(try first.run(inputs) == expected)
        let second = try Predictor(config: cached)
        #expect(second.optimizationCacheOutcome == .hit)
        #expect(try second.run(inputs) == expected, "\(testCase.name): a cached load's outputs differ from a normal load's")
    }

    /// Ways an entry can go bad: each must fall back to a normal load and replace the entry.
    enum Corruption: String, CaseIterable, Sendable {
        case flippedWeightBytes, truncatedProgram, missingManifest, garbageProgram
        /// Garbage program bytes with a manifest that matches them: only the engine can tell.
        case garbageProgramWithMatchingManifest
    }

    @Test(arguments: Corruption.allCases)
    func corruptEntry_fallsBackToNormalLoad_andIsReplaced(_ corruption: Corruption) throws {
        let testCase = try Self.tinyCase()
        let cache = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let inputs = try testCase.inputTensors()
        let expected = try Predictor(config: testCase.config()).run(inputs)
        let config = try Self.cachedConfig(testCase, cache: cache)
        #expect(try Predictor(config: config).optimizationCacheOutcome == .stored)
        let entry = cache + "/" + (try #require(Self.entries(cache).first))

        switch corruption {
        case .flippedWeightBytes:
            // Same size, different weights: only the digests can tell.
            let path = entry + "/_optimized.pdiparams"
            var bytes = try #require(FileManager.default.contents(atPath: path))
            for i in stride(from: bytes.count / 2, to: min(bytes.count, bytes.count / 2 + 64), by: 1) { bytes[i] ^= 0x5a }
            try bytes.write(to: URL(fileURLWithPath: path))
        case .truncatedProgram:
            let path = entry + "/_optimized.pdmodel"
            let bytes = try #require(FileManager.default.contents(atPath: path))
            try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: path))
        case .missingManifest:
            try FileManager.default.removeItem(atPath: entry + "/manifest.json")
        case .garbageProgram:
            let path = entry + "/_optimized.pdmodel"
            let size = try #require(FileManager.default.contents(atPath: path)).count
            try Data(repeating: 0x7f, count: size).write(to: URL(fileURLWithPath: path))
        case .garbageProgramWithMatchingManifest:
            let path = entry + "/_optimized.pdmodel"
            try Data(repeating: 0x7f, count: 4096).write(to: URL(fileURLWithPath: path))
            let manifestURL = URL(fileURLWithPath: entry + "/manifest.json")
            var manifest = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL)) as? [String: Any])
            var files = try #require(manifest["files"] as? [String: Any])
            files["_optimized.pdmodel"] = ["size": 4096, "sha256": try Config.sha256(ofFile: path)]
            manifest["files"] = files
            try JSONSerialization.data(withJSONObject: manifest).write(to: manifestURL)
        }

        let reloaded = try Predictor(config: config)
        #expect(reloaded.optimizationCacheOutcome == .replaced)
        #expect(try reloaded.run(inputs) == expected)
        #expect(Self.entries(cache).count == 1)
        let again = try Predictor(config: config)
        #expect(again.optimizationCacheOutcome == .hit)
        #expect(try again.run(inputs) == expected)
    }

    @Test func concurrentFirstLoads_leaveOneValidEntry() async throws {
        let testCase = try Self.tinyCase()
        let cache = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let config = try Self.cachedConfig(testCase, cache: cache)
        let inputs = try testCase.inputTensors()
        let expected = try Predictor(config: testCase.config()).run(inputs)
        // Loads block their thread: run them on Dispatch threads, not the cooperative pool.
        let outcomes = await withTaskGroup(of: Result<[String: Tensor], PaddleError>.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    await withCheckedContinuation { continuation in
                        DispatchQueue.global().async {
                            continuation.resume(returning: Result { () throws(PaddleError) in
                                let predictor = try Predictor(config: config)
                                guard predictor.optimizationCacheOutcome == .stored
                                    || predictor.optimizationCacheOutcome == .hit
                                else {
                                    throw PaddleError(.invalidState, "outcome \(String(describing: predictor.optimizationCacheOutcome))")
                                }
                                return try predictor.run(inputs)
                            })
                        }
                    }
                }
            }
            var all: [Result<[String: Tensor], PaddleError>] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.count == 6)
        for outcome in outcomes { #expect(try outcome.get() == expected) }
        #expect(Self.entries(cache).count == 1)
        let staging = ((try? FileManager.default.contentsOfDirectory(atPath: cache)) ?? []).filter { $0.hasPrefix(".") }
        #expect(staging.isEmpty, "left behind: \(staging)")
        #expect(try Predictor(config: config).optimizationCacheOutcome == .hit)
    }

    @Test func pool_reportsItsFirstLoadsOutcome_andClonesAnswerAlike() async throws {
        let testCase = try Self.tinyCase()
        let cache = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let config = try Self.cachedConfig(testCase, cache: cache)
        let inputs = try testCase.inputTensors()
        let expected = try Predictor(config: testCase.config()).run(inputs)
        let first = try PredictorPool(config: config, options: .init(size: 2))
        #expect(first.optimizationCacheOutcome == .stored)
        let second = try PredictorPool(config: config, options: .init(size: 2))
        #expect(second.optimizationCacheOutcome == .hit)
        for _ in 0..<4 { #expect(try await second.run(inputs) == expected) }
        await first.shutdown()
        await second.shutdown()
    }

    @Test func optionsThatChangeTheProgram_getTheirOwnEntries() throws {
        let testCase = try Self.tinyCase()
        let cache = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        var withOneDNN = try Self.cachedConfig(testCase, cache: cache)
        withOneDNN.oneDNN = true
        var withoutOneDNN = withOneDNN
        withoutOneDNN.oneDNN = false
        #expect(try Predictor(config: withOneDNN).optimizationCacheOutcome == .stored)
        #expect(try Predictor(config: withoutOneDNN).optimizationCacheOutcome == .stored)
        #expect(Self.entries(cache).count == 2)
        // Threads do not change the program.
        var threads = withOneDNN
        threads.cpuThreads = 2
        #expect(try Predictor(config: threads).optimizationCacheOutcome == .hit)
    }

    @Test func abandonedStagingFolders_areRemovedByTheNextWriter() throws {
        let testCase = try Self.tinyCase()
        let cache = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let fm = FileManager.default
        let old = cache + "/.staging-0123456789abcdef-1-crashed"
        let recent = cache + "/.staging-0123456789abcdef-2-writing"
        for folder in [old, recent] {
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data("partial".utf8).write(to: URL(fileURLWithPath: folder + "/_optimized.pdiparams"))
        }
        try fm.setAttributes([.modificationDate: Date().addingTimeInterval(-2 * 3600)], ofItemAtPath: old)
        #expect(try Predictor(config: Self.cachedConfig(testCase, cache: cache)).optimizationCacheOutcome == .stored)
        #expect(!fm.fileExists(atPath: old), "an abandoned staging folder was kept")
        #expect(fm.fileExists(atPath: recent), "a staging folder that may still be in use was deleted")
    }

    @Test func expectedDigests_stillHit() throws {
        let testCase = try Self.tinyCase()
        let cache = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        var config = try Self.cachedConfig(testCase, cache: cache)
        let params = try #require(testCase.model.params)
        config.expectedSHA256 = ["inference.pdiparams": try Config.sha256(ofFile: params)]
        #expect(try Predictor(config: config).optimizationCacheOutcome == .stored)
        #expect(try Predictor(config: config).optimizationCacheOutcome == .hit)
        config.expectedSHA256 = ["inference.pdiparams": String(repeating: "0", count: 64)]
        #expect(throws: PaddleError.self) { try Predictor(config: config) }
    }

    @Test func configsWithoutIROptimOrFiles_bypassTheCache() throws {
        let testCase = try Self.tinyCase()
        let cache = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        var noIR = try Self.cachedConfig(testCase, cache: cache)
        noIR.irOptim = false
        guard case .notApplicable = try Predictor(config: noIR).optimizationCacheOutcome else {
            Issue.record("irOptim off should bypass the cache")
            return
        }
        let programPath = try #require(testCase.model.program)
        let paramsPath = try #require(testCase.model.params)
        let program = try #require(FileManager.default.contents(atPath: programPath))
        let params = try #require(FileManager.default.contents(atPath: paramsPath))
        var memory = try Config(program: [UInt8](program), params: [UInt8](params))
        memory.optimizationCache = URL(fileURLWithPath: cache)
        guard case .notApplicable = try Predictor(config: memory).optimizationCacheOutcome else {
            Issue.record("a model in memory should bypass the cache")
            return
        }
        #expect(Self.entries(cache).isEmpty)
    }

    @Test func unwritableCacheFolder_stillLoads_notStored() throws {
        let testCase = try Self.tinyCase()
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A regular file where the cache folder's parent should be: nothing can be created below it (even as root).
        let blocker = dir + "/not-a-folder"
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        let config = try Self.cachedConfig(testCase, cache: blocker + "/cache")
        let predictor = try Predictor(config: config)
        guard case .notStored = predictor.optimizationCacheOutcome else {
            Issue.record("expected notStored, got \(String(describing: predictor.optimizationCacheOutcome))")
            return
        }
        let expected = try Predictor(config: testCase.config()).run(try testCase.inputTensors())
        #expect(try predictor.run(try testCase.inputTensors()) == expected)
    }
}
