import Foundation
import PaddleInference
import Testing

/// ``ProgramSignature`` (the program files' inputs and outputs) equals what the engine reports after a real load,
/// on every model of the oracle manifest: the generated models of every dtype and format and the PP-OCR models.
@Suite struct ProgramSignatureTests {
    /// One model of the manifest.
    struct Model: Sendable, CustomTestStringConvertible {
        let name: String
        let declared: Manifest.Declared
        var testDescription: String { name }

        /// The model's config, as the oracle gave it (program and params, or the folder).
        func config() throws -> Config {
            if let program = declared.program { return try Config(model: program, params: declared.params) }
            return try Config(model: try #require(declared.dir))
        }
    }

    static let models: [Model] = ((try? Fixtures.manifest().models) ?? [:])
        .map { Model(name: $0.key, declared: $0.value) }.sorted { $0.name < $1.name }

    @Test func models_coverEveryFormatAndThePPOCRModels() throws {
        // The parametrised test below runs once per model: an empty list would pass it without checking anything.
        let manifest = try Fixtures.manifest()
        #expect(Self.models.count == manifest.models.count)
        let formats = Set(Self.models.map(\.declared.format))
        #expect(formats.isSuperset(of: ["pdmodel", "json", "model_dir"]), "\(formats)")
        let names = Set(Self.models.map(\.name))
        for required in ["ppocrv4_det", "ppocrv4_rec", "ppocrv2_cls", "ppocrv5_det", "ppocrv5_rec", "multi_io_model_dir"] {
            #expect(names.contains(required), "no model \(required)")
        }
    }

    @Test(arguments: models)
    func read_equalsLoadedPredictor(_ model: Model) throws {
        let config = try model.config()
        let signature = try ProgramSignature(reading: config.source)
        #expect(!signature.inputs.isEmpty && !signature.outputs.isEmpty)
        // The Python oracle's view of the same model (a second, independent source).
        #expect(signature.inputs.map(\.name) == model.declared.inputs.map(\.name))
        #expect(signature.inputs.map(\.dataType) == model.declared.inputs.map(\.dtype))
        #expect(signature.inputs.map(\.shape) == model.declared.inputs.map(\.shape))
        #expect(signature.outputs.map(\.name) == model.declared.outputs.map(\.name))
        #expect(signature.outputs.map(\.dataType) == model.declared.outputs.map(\.dtype))
        #expect(signature.outputs.map(\.shape) == model.declared.outputs.map(\.shape))

        let usesBFloat16 = (signature.inputs + signature.outputs).contains { $0.dataType == .bfloat16 }
        guard !usesBFloat16 || CPUFeatures.current.supportsBFloat16 else {
            // The engine cannot load it on this CPU; the files still answer (checked against the oracle above).
            return expectBFloat16Refusal { _ = try Predictor(config: config) }
        }
        let predictor = try Predictor(config: config)
        #expect(signature.inputs == predictor.inputs, "engine: \(predictor.inputs)")
        #expect(signature.outputs == predictor.outputs, "engine: \(predictor.outputs)")
    }

    @Test func read_modelPath_findsTheProgramLikeConfig() throws {
        let byPath = try ProgramSignature(model: Fixtures.recV4)
        let bySource = try ProgramSignature(reading: try Config(model: Fixtures.recV4).source)
        #expect(byPath == bySource)
        #expect(byPath.inputs == [TensorInfo(name: "x", shape: [-1, 3, 48, -1], dataType: .float32)])
    }

    @Test func read_programInMemory_equalsTheFile() throws {
        let folder = Fixtures.model("multi_io_pdmodel")
        let program = try #require(FileManager.default.contents(atPath: folder + "/inference.pdmodel"))
        let fromMemory = try ProgramSignature(reading: .memory(program: [UInt8](program), params: [0]))
        #expect(fromMemory == (try ProgramSignature(model: folder)))
        #expect(fromMemory.outputs.count == 3)
    }

    // MARK: Malformed files

    @Test func read_missingModel_throwsModelFile() throws {
        let folder = try Fixtures.temporaryDirectory()
        let error = #expect(throws: PaddleError.self) { try ProgramSignature(model: folder + "/none") }
        #expect(error?.code == .modelFile)
        let missing = #expect(throws: PaddleError.self) {
            try ProgramSignature(reading: .files(program: folder + "/gone.pdmodel", params: folder + "/gone.pdiparams"))
        }
        #expect(missing?.code == .modelFile)
        #expect(missing?.message.contains("gone.pdmodel") == true)
    }

    @Test(arguments: [
        ("random.pdmodel", Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) })),
        ("empty.pdmodel", Data()),
        ("text.json", Data("not json".utf8)),
        ("other.json", Data(#"{"base_code": {"magic": "pir"}}"#.utf8)),
        ("nameless.json", Data(##"{"program": {"regions": [{"blocks": [{"ops": [{"#": "1.data", "A": []}]}]}]}}"##.utf8)),
    ])
    func read_malformedProgram_throwsModelFile(_ file: String, _ contents: Data) throws {
        let folder = try Fixtures.temporaryDirectory()
        let program = folder + "/" + file
        #expect(FileManager.default.createFile(atPath: program, contents: contents))
        let error = #expect(throws: PaddleError.self) {
            try ProgramSignature(reading: .files(program: program, params: folder + "/unused.pdiparams"))
        }
        #expect(error?.code == .modelFile)
        #expect(error?.message.contains(file) == true, "\(error?.message ?? "")")
    }

    @Test(arguments: ["mlp_tiny_pdmodel", "mlp_tiny_json"])
    func read_truncatedProgram_throwsModelFile(_ name: String) throws {
        let source = try Config(model: Fixtures.model(name)).source
        guard case .files(let program, _) = source else { throw FixtureLayout(name: name) }
        let bytes = try #require(FileManager.default.contents(atPath: program))
        let folder = try Fixtures.temporaryDirectory()
        let truncated = folder + "/" + (program as NSString).lastPathComponent
        #expect(FileManager.default.createFile(atPath: truncated, contents: bytes.prefix(bytes.count / 2)))
        let error = #expect(throws: PaddleError.self) {
            try ProgramSignature(reading: .files(program: truncated, params: folder + "/unused.pdiparams"))
        }
        #expect(error?.code == .modelFile)
    }

    struct FixtureLayout: Error { let name: String }
}
