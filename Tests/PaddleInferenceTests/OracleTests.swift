import Foundation
import PaddleInference
import Testing

/// Outputs equal Python `paddle.inference` 3.3.1 on identical inputs and config (the fixtures of
/// scripts/oracle/make_fixtures.py): real PP-OCR models and generated models for every dtype and format.
@Suite("Oracle: outputs equal Python paddle.inference")
struct OracleTests {
    static let cases: [Manifest.Case] = (try? Fixtures.manifest().cases) ?? []

    @Test func manifest_isPresentAndCoversTheRequiredCases() throws {
        let manifest = try Fixtures.manifest()
        #expect(manifest.paddle_version == "3.3.1")
        let names = Set(manifest.cases.map(\.name))
        for required in ["ppocrv4_det", "ppocrv4_rec", "ppocrv2_cls", "ppocrv5_det", "multi_io_model_dir"] {
            #expect(names.contains { $0.hasPrefix(required) }, "no case for \(required)")
        }
        let dtypes = Set(manifest.cases.flatMap { $0.inputs.map(\.dtype) + $0.outputs.map(\.dtype) })
        #expect(dtypes == Set(DataType.allCases))
    }

    @Test(arguments: cases)
    func run_matchesOracle(_ testCase: Manifest.Case) throws {
        guard testCase.runsOnThisCPU() else {
            return expectBFloat16Refusal { _ = try Predictor(config: testCase.config()) }
        }
        let predictor = try Predictor(config: testCase.config())
        let outputs = try predictor.run(try testCase.inputTensors())
        #expect(predictor.outputs.map(\.name) == testCase.outputs.map(\.name))
        for expected in testCase.outputs {
            let oracle = try Tensor(npyFile: Fixtures.root + "/" + expected.file, as: expected.dtype)
            let actual = try #require(outputs[expected.name], "missing output \(expected.name)")
            #expect(actual.dataType == expected.dtype, "\(expected.name)")
            #expect(actual.shape == oracle.shape, "\(expected.name)")
            let diff = try maxAbsDifference(actual, oracle)
            #expect(diff <= testCase.tolerance, "\(testCase.name) \(expected.name): max abs diff \(diff)")
        }
    }

    @Test(arguments: cases.filter { !$0.name.hasPrefix("ppocr") })
    func metadata_matchesDeclaredModel(_ testCase: Manifest.Case) throws {
        guard testCase.runsOnThisCPU() else {
            return expectBFloat16Refusal { _ = try Predictor(config: testCase.config()) }
        }
        let manifest = try Fixtures.manifest()
        let modelName = testCase.name.replacingOccurrences(of: #"_\d+x\d+x\d+$"#, with: "", options: .regularExpression)
        let declared = try #require(manifest.models[modelName], "no model entry \(modelName)")
        let predictor = try Predictor(config: testCase.config())
        #expect(predictor.inputs.map(\.name) == declared.inputs.map(\.name))
        #expect(predictor.inputs.map(\.dataType) == declared.inputs.map(\.dtype))
        #expect(predictor.outputs.map(\.name) == declared.outputs.map(\.name))
        #expect(predictor.outputs.map(\.dataType) == declared.outputs.map(\.dtype))
        #expect(predictor.inputs.map(\.shape) == declared.inputs.map(\.shape))
    }
}

/// With the engine's memory optimisation on (ProgramDesc models; PIR ones cannot use it), outputs still equal the oracle's and the engine never writes into
/// input tensors that it reads in place.
@Suite("Oracle with memory optimisation")
struct MemoryOptimOracleTests {
    @Test(arguments: OracleTests.cases.filter { $0.model.format != "json" })
    func run_memoryOptim_matchesOracleAndKeepsInputs(_ testCase: Manifest.Case) throws {
        var config = try testCase.config()
        config.memoryOptim = true
        guard testCase.runsOnThisCPU() else { return expectBFloat16Refusal { _ = try Predictor(config: config) } }
        let predictor = try Predictor(config: config)
        let inputs = try testCase.inputTensors()
        let snapshot = try inputs.mapValues { try doubles($0) }
        for _ in 0..<2 {
            let outputs = try predictor.run(inputs)
            for expected in testCase.outputs {
                let oracle = try Tensor(npyFile: Fixtures.root + "/" + expected.file, as: expected.dtype)
                let actual = try #require(outputs[expected.name])
                #expect(try maxAbsDifference(actual, oracle) <= testCase.tolerance, "\(testCase.name) \(expected.name)")
            }
        }
        for (name, tensor) in inputs {
            #expect(try doubles(tensor) == snapshot[name]!, "input \(name) of \(testCase.name) changed")
        }
    }
}

extension MemoryOptimOracleTests {
    @Test func memoryOptim_onPIRModel_throwsUnsupported() throws {
        var config = try Config(model: Fixtures.detV5)
        #expect(config.resolvedMemoryOptim == false)
        config.memoryOptim = true
        #expect(throws: PaddleError.self) { _ = try Predictor(config: config) }
        #expect(try Config(model: Fixtures.recV4).resolvedMemoryOptim == true)
    }
}
