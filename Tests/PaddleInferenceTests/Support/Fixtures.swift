import Foundation
import PaddleInference
import PaddleTestSupport
import Testing

/// Paths of the repository, its models, and the oracle fixtures made by `scripts/test.sh`.
enum Fixtures {
    static var repo: String { TestEnvironment.repository }
    static var models: String { TestEnvironment.models }
    static var root: String { TestEnvironment.fixtures }
    static var recV4: String { TestEnvironment.recV4 }
    static var detV4: String { TestEnvironment.detV4 }
    static var clsV2: String { TestEnvironment.clsV2 }
    static var detV5: String { TestEnvironment.detV5 }
    static var recV5: String { TestEnvironment.recV5 }

    /// A generated model's folder.
    static func model(_ name: String) -> String { TestEnvironment.fixtureModel(name) }

    /// The oracle manifest. Fails (not skips) when it is missing: `scripts/test.sh` makes it.
    static func manifest() throws -> Manifest {
        let path = root + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FixtureMissing(path: path)
        }
        return try JSONDecoder().decode(Manifest.self, from: data)
    }

    struct FixtureMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is missing: run scripts/test.sh (it generates the oracle fixtures)" }
    }

    /// A fresh temporary folder.
    static func temporaryDirectory() throws -> String { try TestEnvironment.temporaryFolder("tests") }

    /// A deterministic float tensor in [-1, 1).
    static func randomFloats(shape: [Int], seed: UInt64) throws -> Tensor {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            values[i] = Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        return try Tensor(shape: shape, scalars: values)
    }
}

/// `.fixtures/manifest.json`, as written by scripts/oracle/make_fixtures.py.
struct Manifest: Decodable {
    struct TensorFile: Decodable {
        let name: String
        let dtype: DataType
        let shape: [Int]
        let file: String
    }
    struct Model: Decodable {
        let program: String?
        let params: String?
        let dir: String?
        let format: String
    }
    struct EngineConfig: Decodable {
        let threads: Int
        let onednn: Bool
        let ir_optim: Bool
        let memory_optim: Bool
    }
    struct Case: Decodable, CustomTestStringConvertible {
        let name: String
        let model: Model
        let engine: EngineConfig
        let inputs: [TensorFile]
        let outputs: [TensorFile]
        let tolerance: Double
        /// Set when the oracle could not run the case on this CPU (bfloat16 below oneDNN's avx512_core).
        let cpuUnsupported: CPUUnsupported?
        var testDescription: String { name }
        enum CodingKeys: String, CodingKey {
            case name, model, engine = "config", inputs, outputs, tolerance, cpuUnsupported = "cpu_unsupported"
        }
    }
    struct CPUUnsupported: Decodable {
        let onednn_isa: UInt32
        let oracle_error: String
    }
    struct Declared: Decodable {
        struct IO: Decodable {
            let name: String
            let dtype: DataType
            let shape: [Int]
        }
        let program: String?
        let params: String?
        let dir: String?
        let format: String
        let inputs: [IO]
        let outputs: [IO]
    }
    let paddle_version: String
    let cases: [Case]
    let models: [String: Declared]
}

extension Manifest.Case {
    /// The config the oracle used.
    func config() throws -> Config {
        var config: Config
        if let program = model.program {
            config = try Config(model: program, params: model.params)
        } else {
            config = try Config(model: model.dir!)
        }
        config.cpuThreads = engine.threads
        config.oneDNN = engine.onednn
        config.irOptim = engine.ir_optim
        config.memoryOptim = engine.memory_optim
        return config
    }

    func inputTensors() throws -> [String: Tensor] {
        var inputs: [String: Tensor] = [:]
        for input in self.inputs {
            inputs[input.name] = try Tensor(npyFile: Fixtures.root + "/" + input.file, as: input.dtype)
        }
        return inputs
    }
}

extension Manifest.Case {
    var usesBFloat16: Bool { inputs.contains { $0.dtype == .bfloat16 } || outputs.contains { $0.dtype == .bfloat16 } }

    /// Whether this CPU runs the case. Python's engine decided when the fixtures were made (same CPU, same
    /// `ONEDNN_MAX_CPU_ISA`); this checks that the binding's own rule (``CPUFeatures/supportsBFloat16``) agrees,
    /// so a test never does silently less than the CPU allows.
    func runsOnThisCPU() -> Bool {
        let cpu = CPUFeatures.current
        let refused = cpuUnsupported != nil
        #expect(
            refused == (usesBFloat16 && !cpu.supportsBFloat16),
            "\(name): the oracle \(refused ? "could not" : "could") run it; the binding's rule says bfloat16 is \(cpu.supportsBFloat16 ? "" : "not ")supported (\(cpu))")
        if let cpuUnsupported { #expect(cpuUnsupported.onednn_isa == cpu.oneDNNISA, "\(name): fixtures made on another CPU") }
        return !refused
    }
}

/// Expects `body` to fail with the binding's typed refusal of bfloat16 on this CPU.
func expectBFloat16Refusal(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
    let error = #expect(throws: PaddleError.self, sourceLocation: sourceLocation) { try body() }
    #expect(error?.code == .unsupported, sourceLocation: sourceLocation)
    #expect(error?.message.contains("bfloat16") == true, sourceLocation: sourceLocation)
    #expect(error?.message.contains("AVX-512") == true, sourceLocation: sourceLocation)
}

/// The largest absolute difference between two tensors of the same type and shape, as Double.
func maxAbsDifference(_ a: Tensor, _ b: Tensor) throws -> Double {
    #expect(a.shape == b.shape)
    #expect(a.dataType == b.dataType)
    let x = try doubles(a)
    let y = try doubles(b)
    guard x.count == y.count else { return .infinity }
    var worst = 0.0
    for (p, q) in zip(x, y) {
        if p.isNaN != q.isNaN { return .infinity }
        if !p.isNaN { worst = max(worst, abs(p - q)) }
    }
    return worst
}

/// The elements of any tensor widened to Double.
func doubles(_ t: Tensor) throws -> [Double] {
    switch t.dataType {
    case .float32: try t.scalars(as: Float.self).map(Double.init)
    case .float64: try t.scalars(as: Double.self)
    case .float16: try t.scalars(as: Float16.self).map { Double(Float($0)) }
    case .bfloat16: try t.scalars(as: BFloat16.self).map { Double($0.floatValue) }
    case .int64: try t.scalars(as: Int64.self).map(Double.init)
    case .int32: try t.scalars(as: Int32.self).map(Double.init)
    case .uint8: try t.scalars(as: UInt8.self).map(Double.init)
    case .int8: try t.scalars(as: Int8.self).map(Double.init)
    case .bool: try t.scalars(as: Bool.self).map { $0 ? 1 : 0 }
    }
}

/// glibc's `malloc_trim` (declared in `malloc.h`, which Swift's Glibc module does not import).
private let mallocTrim: (@convention(c) (Int) -> Int32)? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim")
    .map { unsafeBitCast($0, to: (@convention(c) (Int) -> Int32).self) }

/// Resident set size of this process, in bytes (Linux /proc), read after handing free heap pages back to the system.
///
/// Without the `malloc_trim`, RSS also counts memory glibc keeps cached after frees, which goes up and down by tens
/// of megabytes with the allocator's own bookkeeping; after it, RSS follows what is still allocated, which is what a
/// leak test compares.
func residentBytes() -> Int {
    mallocTrim?(0)
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
