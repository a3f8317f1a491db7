import Foundation
import PaddleInference
import Testing

/// The `paddle-swift info` and `run` commands, driven as a user would, on the built executable.
@Suite("paddle-swift info and run")
struct CommandLineTests {
    /// The executable sits beside the test bundle in the build folder.
    static var executable: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if dir.path.hasSuffix(".xctest/Contents/MacOS") {
            dir = dir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        }
        return dir.appendingPathComponent("paddle-swift").path
    }

    struct Outcome {
        let status: Int32
        let output: String
        let error: String
    }

    func paddleSwift(_ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
            error: String(decoding: error, as: UTF8.self))
    }

    @Test func info_printsFormatInputsAndOutputs() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "build paddle-swift first")
        let result = try paddleSwift(["info", Fixtures.detV5])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("PIR (.json + .pdiparams)"))
        #expect(result.output.contains("x: float32 [?, 3, ?, ?]"))
        #expect(result.output.contains("fetch_name_0: float32 [?, 1, ?, ?]"))
        let cpu = CPUFeatures.current
        #expect(result.output.contains("cpu:     \(cpu)"), "\(result.output)")
        #expect(result.output.contains("bfloat16: \(cpu.supportsBFloat16 ? "yes" : "no")"))
        #expect(result.output.contains("threads: 1 math thread per predictor"))
    }

    @Test func info_withoutModel_printsEngineAndCPU() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "build paddle-swift first")
        let result = try paddleSwift(["info", "--threads", "3"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("engine:  Paddle Inference 3.3.1"))
        #expect(result.output.contains("oneDNN: \(CPUFeatures.current.oneDNNISAName ?? "?")"), "\(result.output)")
        #expect(result.output.contains("threads: 3 math threads per predictor"))
        #expect(!result.output.contains("inputs:"))
    }

    @Test func version_printsToolAndEngineVersions() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "build paddle-swift first")
        let result = try paddleSwift(["--version"])
        #expect(result.status == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "paddle-swift \(PaddleSwiftVersion.current)", "\(result.output)")
        #expect(lines.count == 2 && lines[1].hasPrefix("Paddle Inference 3.3.1 ("), "\(result.output)")
    }

    /// `ocr --version` stays the model generation: a bad generation is refused, a good one runs the command.
    @Test func ocr_versionOption_isTheModelGeneration() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "build paddle-swift first")
        let missing = try Fixtures.temporaryDirectory() + "/missing.png"
        let bad = try paddleSwift(["ocr", "--version", "v9", missing])
        #expect(bad.status != 0)
        #expect(bad.error.contains("v9"), "\(bad.error)")
        #expect(!bad.output.contains("paddle-swift \(PaddleSwiftVersion.current)"))
        // Parsed as the generation, the command runs: it fails on the missing image, or on the v5 models where
        // they are not installed, never on its arguments.
        let good = try paddleSwift(["ocr", "--version", "v5", missing])
        #expect(good.status != 0)
        #expect(good.error.contains("missing.png") || good.error.contains("ppocrv5"), "\(good.error)")
        #expect(!good.error.contains("--version <version>"), "\(good.error)")
        #expect(!good.output.contains("paddle-swift \(PaddleSwiftVersion.current)"), "\(good.output)")
    }

    /// `run` on every dtype case of the oracle fixtures writes outputs equal to Python's.
    @Test func run_everyDTypeCase_writesOracleOutputs() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "build paddle-swift first")
        let manifest = try Fixtures.manifest()
        let cases = manifest.cases.filter { $0.name.hasPrefix("dtype_") || $0.name.hasPrefix("multi_io_model_dir_2") }
        #expect(cases.count >= 18)
        for testCase in cases {
            let out = try Fixtures.temporaryDirectory()
            var arguments = ["run", testCase.model.program ?? testCase.model.dir!, "--output", out]
            if let params = testCase.model.params { arguments += ["--params", params] }
            arguments += ["--onednn", testCase.engine.onednn ? "on" : "off"]
            for input in testCase.inputs { arguments += ["--input", "\(input.name)=\(Fixtures.root)/\(input.file)"] }
            let result = try paddleSwift(arguments)
            guard testCase.runsOnThisCPU() else {
                #expect(result.status != 0, "\(testCase.name)")
                #expect(result.error.contains("bfloat16") && result.error.contains("AVX-512"), "\(result.error)")
                continue
            }
            #expect(result.status == 0, "\(testCase.name): \(result.error)")
            for expected in testCase.outputs {
                let file = out + "/" + expected.name.replacingOccurrences(of: "/", with: "_") + ".npy"
                let actual = try Tensor(npyFile: file, as: expected.dtype == .bfloat16 ? .bfloat16 : nil)
                let oracle = try Tensor(npyFile: Fixtures.root + "/" + expected.file, as: expected.dtype == .bfloat16 ? .bfloat16 : nil)
                #expect(try maxAbsDifference(actual, oracle) <= testCase.tolerance, "\(testCase.name) \(expected.name)")
            }
        }
    }

    @Test func errors_printOneLineAndExitNonZero() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "build paddle-swift first")
        for arguments in [["info", "/nonexistent"], ["run", Fixtures.recV4, "--input", "nope=/nonexistent.npy", "--output", "/tmp/x"]] {
            let result = try paddleSwift(arguments)
            #expect(result.status != 0)
            let lines = result.error.split(separator: "\n")
            #expect(lines.count == 1, "\(result.error)")
            #expect(!result.error.contains("terminate called"))
        }
    }
}

