import Foundation
import PaddleInference
import Testing

@Suite("Predictor")
struct PredictorTests {
    @Test func config_detectsEveryFormat() throws {
        #expect(try Config(model: Fixtures.recV4).format == .pdmodel)
        #expect(try Config(model: Fixtures.recV4 + "/inference.pdmodel").format == .pdmodel)
        #expect(try Config(model: Fixtures.detV5).format == .pirJSON)
        #expect(try Config(model: Fixtures.detV5 + "/inference.json").format == .pirJSON)
        let combined = try Config(model: Fixtures.model("multi_io_model_dir"))
        #expect(combined.source == .files(
            program: Fixtures.model("multi_io_model_dir") + "/__model__", params: Fixtures.model("multi_io_model_dir") + "/__params__"))
        #expect(try Config(model: Fixtures.model("multi_io_model_dir") + "/__model__").format == .modelDirectory)
        #expect(try Config(model: Fixtures.model("multi_io_model_dir_separate")).source
            == .directory(Fixtures.model("multi_io_model_dir_separate")))
        #expect(try Config(model: Fixtures.detV5).resolvedOneDNN == false)
        #expect(try Config(model: Fixtures.recV4).resolvedOneDNN == true)
    }

    @Test func create_reportsLifecycleStates() throws {
        var seen: [Predictor.State] = []
        let predictor = try Predictor(config: Config(model: Fixtures.clsV2)) { seen.append($0) }
        #expect(seen == [.loading, .ready])
        #expect(predictor.state == .ready)
        seen = []
        #expect(throws: PaddleError.self) {
            _ = try Predictor(config: Config(source: .files(program: "/nonexistent.pdmodel", params: "/nonexistent.pdiparams"))) {
                seen.append($0)
            }
        }
        #expect(seen.count == 2)
        if case .failed(let error) = seen.last { #expect(error.code == .modelFile) } else { Issue.record("no failed state") }
        predictor.destroy()
        #expect(predictor.state == .destroyed)
    }

    @Test func create_withMatchingDigests_loads() throws {
        var config = try Config(model: Fixtures.clsV2)
        config.expectedSHA256 = [
            "inference.pdmodel": try Config.sha256(ofFile: Fixtures.clsV2 + "/inference.pdmodel"),
            "inference.pdiparams": try Config.sha256(ofFile: Fixtures.clsV2 + "/inference.pdiparams"),
        ]
        _ = try Predictor(config: config)
    }

    @Test func create_fromMemory_equalsFiles() throws {
        let program = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.clsV2 + "/inference.pdmodel")))
        let params = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.clsV2 + "/inference.pdiparams")))
        let fromMemory = try Predictor(config: Config(program: program, params: params))
        let fromFiles = try Predictor(config: Config(model: Fixtures.clsV2))
        let x = try Fixtures.randomFloats(shape: [2, 3, 48, 192], seed: 3)
        #expect(try fromMemory.run(["x": x]) == fromFiles.run(["x": x]))
        #expect(fromMemory.inputs == fromFiles.inputs)
    }

    @Test func run_sharedAndCopiedInputsAgree_andInputsStayUnchanged() throws {
        let predictor = try Predictor(config: Config(model: Fixtures.recV4))
        let x = try Fixtures.randomFloats(shape: [2, 3, 48, 200], seed: 4)
        let before = try x.scalars(as: Float.self)
        let shared = try predictor.run(["x": x], transfer: .shared)
        let copied = try predictor.run(["x": x], transfer: .copied)
        #expect(shared == copied)
        #expect(try x.scalars(as: Float.self) == before)
        // Caller memory wrapped without a copy.
        let pointer = UnsafeMutableBufferPointer<Float>.allocate(capacity: before.count)
        _ = pointer.initialize(from: before)
        let wrapped = try Tensor(
            shape: x.shape, dataType: .float32, unsafeNoCopy: UnsafeRawBufferPointer(pointer),
            deallocator: { $0.deallocate() })
        #expect(try predictor.run(["x": wrapped]) == shared)
    }

    @Test func run_outputViewsEqualCopies() throws {
        let predictor = try Predictor(config: Config(model: Fixtures.detV4))
        let x = try Fixtures.randomFloats(shape: [1, 3, 64, 96], seed: 5)
        let copy = try predictor.run(["x": x])["sigmoid_0.tmp_0"]!
        let viewed: [Float] = try predictor.run(["x": x]) { views in
            #expect(try views.info("sigmoid_0.tmp_0").shape == [1, 1, 64, 96])
            return try views.withUnsafeBufferPointer("sigmoid_0.tmp_0", as: Float.self) { Array($0) }
        }
        #expect(viewed == (try copy.scalars(as: Float.self)))
        #expect(throws: PaddleError.self) {
            try predictor.run(["x": x]) { views in
                try views.withUnsafeBufferPointer("sigmoid_0.tmp_0", as: Int32.self) { $0.count }
            }
        }
    }

    @Test func run_dynamicShapesAndSelectedOutputs() throws {
        let predictor = try Predictor(config: Config(model: Fixtures.model("multi_io_pdmodel")))
        for rows in [1, 3, 7] {
            let a = try Fixtures.randomFloats(shape: [rows, 8], seed: UInt64(rows))
            let b = try Fixtures.randomFloats(shape: [8, 5], seed: 9)
            let outputs = try predictor.run(["a": a, "b": b], outputs: ["arg_max_0.tmp_0"])
            #expect(outputs.keys.sorted() == ["arg_max_0.tmp_0"])
            #expect(outputs["arg_max_0.tmp_0"]?.shape == [rows])
            #expect(outputs["arg_max_0.tmp_0"]?.dataType == .int64)
        }
    }

    @Test(arguments: [Fixtures.recV4, Fixtures.detV5])
    func clone_givesIdenticalOutputs(_ model: String) throws {
        let predictor = try Predictor(config: Config(model: model))
        let clone = try predictor.clone()
        let shape = model == Fixtures.recV4 ? [1, 3, 48, 320] : [1, 3, 64, 96]
        let x = try Fixtures.randomFloats(shape: shape, seed: 6)
        #expect(try predictor.run(["x": x]) == clone.run(["x": x]))
        #expect(clone.inputs == predictor.inputs)
        predictor.destroy()
        // The clone outlives its parent.
        _ = try clone.run(["x": x])
    }

    @Test func twoThreadsOnTwoClones_getCorrectOutputs() async throws {
        let predictor = try Predictor(config: Config(model: Fixtures.recV4))
        let inputs = try (0..<2).map { try Fixtures.randomFloats(shape: [1, 3, 48, 160], seed: UInt64(10 + $0)) }
        let expected = try inputs.map { try predictor.run(["x": $0]) }
        let clones = try (0..<2).map { _ in try predictor.clone() }
        let results = ResultBox(count: 2)
        let threads = (0..<2).map { i in
            // Each clone is handed to exactly one thread and used only there.
            nonisolated(unsafe) let worker = clones[i]
            return Thread {
                var outcome: [[String: Tensor]] = []
                for _ in 0..<10 { outcome.append((try? worker.run(["x": inputs[i]])) ?? [:]) }
                results.set(i, outcome)
            }
        }
        threads.forEach { $0.start() }
        // Bounded, and generous so that no CPU is too slow for it: 20 runs of PP-OCRv4 rec on a [1,3,48,160] line
        // take well under a second on the slowest machine seen (an AVX2-only 2-core EPYC).
        let deadline = ContinuousClock.now + .seconds(600)
        while !results.isComplete {
            try #require(ContinuousClock.now < deadline, "the worker threads did not finish within 600 s")
            try await Task.sleep(for: .milliseconds(20))
        }
        for i in 0..<2 {
            for outcome in results.get(i) { #expect(outcome == expected[i]) }
        }
    }

    @Test func process_mapsNoPython() throws {
        _ = try Predictor(config: Config(model: Fixtures.clsV2))
        // /proc files report size 0: read to the end rather than by size.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/maps"))
        let maps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        #expect(maps.contains("libpaddle.so"))
        let python = maps.split(separator: "\n").filter { $0.contains("libpython") }
        #expect(python.isEmpty, "\(python)")
    }
}

/// Collects per-thread results. `@unchecked Sendable`: every access holds `lock`.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [[[String: Tensor]]?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: [[String: Tensor]]) { lock.withLock { slots[i] = value } }
    func get(_ i: Int) -> [[String: Tensor]] { lock.withLock { slots[i] ?? [] } }
    var isComplete: Bool { lock.withLock { slots.allSatisfy { $0 != nil } } }
}
