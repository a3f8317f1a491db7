import Foundation
import PaddleInference
import PaddleTestSupport
import Testing

/// Bad models and bad inputs give a typed PaddleError, never a crash.
@Suite("Predictor errors")
struct PredictorErrorTests {
    /// Copies the PP-OCRv4 rec model into a temporary folder, letting `damage` change the copy.
    func damagedRec(_ damage: (String, String) throws -> Void) throws -> String {
        let dir = try Fixtures.temporaryDirectory()
        let program = dir + "/inference.pdmodel"
        let params = dir + "/inference.pdiparams"
        try FileManager.default.copyItem(atPath: Fixtures.recV4 + "/inference.pdmodel", toPath: program)
        try FileManager.default.copyItem(atPath: Fixtures.recV4 + "/inference.pdiparams", toPath: params)
        try damage(program, params)
        return dir
    }

    func expectCode(_ code: PaddleError.Code, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected a \(code) error, got none")
        } catch let error as PaddleError {
            #expect(error.code == code, "\(error)")
            #expect(!error.message.isEmpty)
        } catch {
            Issue.record("expected a PaddleError, got \(error)")
        }
    }

    @Test func create_missingFile_throwsModelFile() {
        expectCode(.modelFile) { _ = try Predictor(config: Config(model: "/nonexistent/inference.pdmodel")) }
        expectCode(.modelFile) {
            _ = try Predictor(config: Config(source: .files(program: "/nonexistent/a.pdmodel", params: "/nonexistent/a.pdiparams")))
        }
    }

    @Test func create_missingParams_throwsModelFile() throws {
        let dir = try damagedRec { _, params in try FileManager.default.removeItem(atPath: params) }
        expectCode(.modelFile) { _ = try Predictor(config: Config(model: dir + "/inference.pdmodel")) }
    }

    @Test func create_truncatedParams_throwsModelFile() throws {
        let dir = try damagedRec { _, params in
            let data = try Data(contentsOf: URL(fileURLWithPath: params))
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: params))
        }
        expectCode(.modelFile) { _ = try Predictor(config: Config(model: dir)) }
    }

    @Test func create_randomBytesProgram_throwsModelFile() throws {
        for seed in 0..<5 {
            let dir = try damagedRec { program, _ in
                var generator = SeededGenerator(seed: UInt64(seed))
                let bytes = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
                try Data(bytes).write(to: URL(fileURLWithPath: program))
            }
            expectCode(.modelFile) { _ = try Predictor(config: Config(model: dir)) }
        }
    }

    @Test func create_truncatedProgram_throwsModelFile() throws {
        let dir = try damagedRec { program, _ in
            let data = try Data(contentsOf: URL(fileURLWithPath: program))
            try data.prefix(data.count / 3).write(to: URL(fileURLWithPath: program))
        }
        expectCode(.modelFile) { _ = try Predictor(config: Config(model: dir)) }
    }

    @Test func create_emptyProgram_throwsModelFile() throws {
        let dir = try damagedRec { program, _ in try Data().write(to: URL(fileURLWithPath: program)) }
        expectCode(.modelFile) { _ = try Predictor(config: Config(model: dir)) }
    }

    @Test func create_garbageJSONProgram_throwsModelFile() throws {
        let dir = try Fixtures.temporaryDirectory()
        try FileManager.default.copyItem(atPath: Fixtures.detV5 + "/inference.pdiparams", toPath: dir + "/inference.pdiparams")
        try Data("{\"program\": [1, 2".utf8).write(to: URL(fileURLWithPath: dir + "/inference.json"))
        expectCode(.modelFile) { _ = try Predictor(config: Config(model: dir)) }
    }

    @Test func create_gpuOnCPURuntime_throwsUnsupported() throws {
        var config = try Config(model: Fixtures.recV4)
        config.device = .gpu(id: 0)
        expectCode(.unsupported) { _ = try Predictor(config: config) }
    }

    @Test func create_pirFromMemory_throwsUnsupported() throws {
        let program = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.detV5 + "/inference.json")))
        let params = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.detV5 + "/inference.pdiparams")))
        expectCode(.unsupported) { _ = try Config(program: program, params: params) }
    }

    @Test func create_wrongDigest_throwsIntegrity() throws {
        var config = try Config(model: Fixtures.recV4)
        config.expectedSHA256 = ["inference.pdiparams": String(repeating: "0", count: 64)]
        expectCode(.integrity) { _ = try Predictor(config: config) }
    }

    @Test func create_zeroThreads_throwsInvalidArgument() throws {
        var config = try Config(model: Fixtures.recV4)
        config.cpuThreads = 0
        expectCode(.invalidArgument) { _ = try Predictor(config: config) }
    }

    @Test func run_badInputs_throwTypedErrors() throws {
        let predictor = try Predictor(config: Config(model: Fixtures.recV4))
        let good = try Fixtures.randomFloats(shape: [1, 3, 48, 320], seed: 1)
        expectCode(.unknownName) { _ = try predictor.run(["x": good, "nope": good]) }
        expectCode(.invalidArgument) { _ = try predictor.run([:]) }
        expectCode(.shapeMismatch) { _ = try predictor.run(["x": try Fixtures.randomFloats(shape: [3, 48, 320], seed: 1)]) }
        expectCode(.shapeMismatch) { _ = try predictor.run(["x": try Fixtures.randomFloats(shape: [1, 4, 48, 320], seed: 1)]) }
        expectCode(.shapeMismatch) { _ = try predictor.run(["x": try Fixtures.randomFloats(shape: [1, 3, 32, 320], seed: 1)]) }
        expectCode(.dtypeMismatch) {
            _ = try predictor.run(["x": try Tensor(shape: [1, 3, 48, 320], scalars: [Double](repeating: 0, count: 3 * 48 * 320))])
        }
        expectCode(.shapeMismatch) { _ = try Tensor(shape: [1, 3, 48, 320], scalars: [Float](repeating: 0, count: 10)) }
        expectCode(.invalidArgument) { _ = try Tensor(shape: [1, -3], scalars: [Float]()) }
        expectCode(.unknownName) { _ = try predictor.run(["x": good], outputs: ["nope"]) }
        // The predictor still works after every refusal.
        let outputs = try predictor.run(["x": good])
        #expect(outputs["softmax_11.tmp_0"]?.shape == [1, 40, 6625])
    }

    @Test func run_engineRejectsShape_throwsEngineFailureAndRecovers() throws {
        // The det model needs H and W to be multiples of 32; 40x40 fails inside the engine.
        let predictor = try Predictor(config: Config(model: Fixtures.detV4))
        expectCode(.engineFailure) { _ = try predictor.run(["x": try Fixtures.randomFloats(shape: [1, 3, 40, 40], seed: 2)]) }
        let outputs = try predictor.run(["x": try Fixtures.randomFloats(shape: [1, 3, 64, 64], seed: 2)])
        #expect(outputs["sigmoid_0.tmp_0"]?.shape == [1, 1, 64, 64])
    }

    @Test func run_destroyed_throwsInvalidState() throws {
        let predictor = try Predictor(config: Config(model: Fixtures.recV4))
        predictor.destroy()
        #expect(predictor.state == .destroyed)
        expectCode(.invalidState) { _ = try predictor.run(["x": try Fixtures.randomFloats(shape: [1, 3, 48, 320], seed: 1)]) }
        expectCode(.invalidState) { _ = try predictor.clone() }
    }

    @Test func runtime_missingFolder_throwsRuntimeLoad() {
        expectCode(.runtimeLoad) { try PaddleRuntime.check(folder: "/nonexistent/paddle-runtime") }
        do {
            try PaddleRuntime.check(folder: "/nonexistent/paddle-runtime")
        } catch {
            #expect(error.description.contains("/nonexistent/paddle-runtime"))
            #expect(error.description.contains("scripts/setup.sh"))
        }
    }

    /// A runtime folder whose libpaddle.so reports another version: built here from a few lines of C++.
    @Test func runtime_wrongVersion_throwsRuntimeLoad() throws {
        let dir = try Fixtures.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/paddle/base", withIntermediateDirectories: true)
        let source = dir + "/fake.cpp"
        try """
            #include <string>
            namespace paddle_infer { std::string GetVersion() { return "version: 2.6.2\\ncommit: 0\\n"; } }
            """.write(toFile: source, atomically: true, encoding: .utf8)
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compiler.arguments = ["c++", "-shared", "-fPIC", "-o", dir + "/paddle/base/libpaddle.so", source]
        try compiler.run()
        compiler.waitUntilExit()
        try #require(compiler.terminationStatus == 0, "c++ failed")
        let stubs = try #require(PaddleRuntime.searchPath.map { $0 + "/libpaddle_pystubs.so" }
            .first { FileManager.default.fileExists(atPath: $0) })
        try FileManager.default.copyItem(atPath: stubs, toPath: dir + "/libpaddle_pystubs.so")
        do {
            try PaddleRuntime.check(folder: dir)
            Issue.record("a 2.6.2 runtime was accepted")
        } catch {
            #expect(error.code == .runtimeLoad)
            #expect(error.description.contains("2.6.2"), "\(error)")
        }
    }

    @Test func runtime_activeRuntimeChecks() throws {
        try PaddleRuntime.load()
        #expect(PaddleRuntime.version == "3.3.1")
        let folder = try #require(PaddleRuntime.directory)
        try PaddleRuntime.check(folder: folder)
    }
}
