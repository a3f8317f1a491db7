import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PaddleInference
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository
@testable import PaddleServing

private let fixturesRoot = TestEnvironment.fixtures

/// Every engine dtype through the server, binary and JSON, against the oracle outputs of the generated
/// fixture models (`scripts/oracle/make_fixtures.py`; skipped when `.fixtures/` is absent).
@Suite(
    .enabled(
        if: FileManager.default.fileExists(atPath: fixturesRoot + "/manifest.json")
            || ProcessInfo.processInfo.environment["CI"] == "true",
        "no \(fixturesRoot)/manifest.json: scripts/test.sh makes it (required in CI)"))
struct DataTypeServingTests {
    static let fixtures = fixturesRoot
    static let types = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "uint8", "int8", "bool"]

    struct Case: Sendable {
        var model: String
        var input: Tensor
        var outputName: String
        var output: Tensor?
        var dataType: DataType
        /// The oracle could not run the model on this CPU (bfloat16 below oneDNN's avx512_core).
        var cpuUnsupported: Bool { output == nil }
    }

    static func loadCases() throws -> [Case] {
        let manifest = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: fixtures + "/manifest.json"))))
        var cases: [Case] = []
        for entry in manifest["cases"]?.arrayValue ?? [] {
            guard let name = entry["name"]?.stringValue, name.hasPrefix("dtype_"), name.hasSuffix("_pdmodel") else { continue }
            let input = try #require(entry["inputs"]?.arrayValue?.first, "\(name): no input")
            let type = try #require(DataType(rawValue: input["dtype"]?.stringValue ?? ""), "\(name): unknown dtype")
            let output = entry["outputs"]?.arrayValue?.first
            #expect((output == nil) == (entry["cpu_unsupported"] != nil), "\(name): outputs only where the oracle ran")
            cases.append(
                Case(
                    model: name, input: try Tensor(npyFile: fixtures + "/" + input["file"]!.stringValue!, as: type),
                    outputName: output?["name"]?.stringValue ?? "",
                    output: try output.map {
                        try Tensor(
                            npyFile: fixtures + "/" + $0["file"]!.stringValue!,
                            as: DataType(rawValue: $0["dtype"]?.stringValue ?? ""))
                    }, dataType: type))
        }
        return cases
    }

    static func makeServer(_ cases: [Case]) async throws -> InferenceServer {
        let folder = NSTemporaryDirectory() + "paddle-dtype-tests-" + UUID().uuidString
        for item in cases {
            try FileManager.default.createDirectory(atPath: folder + "/" + item.model, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                atPath: folder + "/\(item.model)/1", withDestinationPath: fixtures + "/models/" + item.model)
        }
        var logger = Logger(label: "paddle.serving.tests")
        logger.logLevel = .warning
        let repository = ModelRepository(root: folder, trustedRoots: [fixtures + "/models"], logger: logger)
        try await repository.loadAll()
        let server = InferenceServer(repository: repository, configuration: ServingConfiguration(port: 0), logger: logger)
        server.state.markStarted()
        return server
    }

    /// The elements of raw little-endian bytes of `type` as Doubles (for tolerant comparison).
    static func values(_ bytes: [UInt8], _ type: DataType) -> [Double] {
        bytes.withUnsafeBytes { raw in
            let count = raw.count / type.byteSize
            return (0..<count).map { i in
                switch type {
                case .float32: Double(raw.loadUnaligned(fromByteOffset: i * 4, as: Float.self))
                case .float64: raw.loadUnaligned(fromByteOffset: i * 8, as: Double.self)
                case .float16: Double(Float(raw.loadUnaligned(fromByteOffset: i * 2, as: Float16.self)))
                case .bfloat16: Double(BFloat16(bitPattern: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)).floatValue)
                case .int64: Double(raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
                case .int32: Double(raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
                case .uint8: Double(raw[i])
                case .int8: Double(Int8(bitPattern: raw[i]))
                case .bool: raw[i] == 0 ? 0 : 1
                }
            }
        }
    }

    static func jsonText(_ values: [Double], _ type: DataType) -> String {
        values.map { value in
            switch type {
            case .bool: value != 0 ? "true" : "false"
            case .float32, .float64: "\(value)"
            default: "\(Int64(value))"
            }
        }.joined(separator: ",")
    }

    @Test func everyDataType_binaryAndJSON_matchTheOracle() async throws {
        let cases = try Self.loadCases()
        #expect(Set(cases.map(\.dataType.rawValue)) == Set(Self.types))
        let server = try await Self.makeServer(cases)
        try await Application(router: server.makeRouter()).test(.router) { client in
            for item in cases {
                let type = item.dataType
                guard let output = item.output else {
                    // This CPU cannot run the model: it is not ready, and says why.
                    #expect(!CPUFeatures.current.supportsBFloat16 && type == .bfloat16, "\(item.model)")
                    try await client.execute(uri: "/v2/models/\(item.model)/ready", method: .get) { response in
                        #expect(response.status != .ok, "\(item.model)")
                    }
                    try await client.execute(uri: "/v2/repository/index", method: .post) { response in
                        let text = String(buffer: response.body)
                        #expect(text.contains("bfloat16") && text.contains("AVX-512"), "\(text)")
                    }
                    continue
                }
                let tolerance = (type == .float16 || type == .bfloat16) ? 1e-2 : 1e-4
                let expected = Self.values(output.bytes, type)
                // Binary in and out.
                let header =
                    #"{"inputs":[{"name":"x","datatype":"\#(type.kserveName)","shape":\#(item.input.shape),"#
                    + #""parameters":{"binary_data_size":\#(item.input.byteCount)}}],"parameters":{"binary_data_output":true}}"#
                var body = ByteBuffer(string: header)
                body.writeBytes(item.input.bytes)
                var headers = HTTPFields()
                headers[.inferenceHeaderContentLength] = String(header.utf8.count)
                try await client.execute(uri: "/v2/models/\(item.model)/infer", method: .post, headers: headers, body: body) {
                    response in
                    #expect(response.status == .ok, "\(item.model): \(String(buffer: response.body))")
                    guard let length = response.headers[.inferenceHeaderContentLength].flatMap({ Int($0) }) else {
                        Issue.record("\(item.model): no binary output")
                        return
                    }
                    let json = response.body.getSlice(at: 0, length: length)!.json()
                    #expect(json["outputs"]?.arrayValue?[0]["datatype"] == .string(type.kserveName))
                    let bytes = response.body.getBytes(at: length, length: response.body.readableBytes - length) ?? []
                    let got = Self.values(bytes, type)
                    #expect(got.count == expected.count, "\(item.model)")
                    for (a, b) in zip(got, expected) { #expect(abs(a - b) <= tolerance, "\(item.model): \(a) vs \(b)") }
                }
                // JSON in and out where JSON can carry the type; a clear 400 where it cannot.
                let inputValues = Self.values(item.input.bytes, type)
                let jsonBody =
                    #"{"inputs":[{"name":"x","datatype":"\#(type.kserveName)","shape":\#(item.input.shape),"#
                    + #""data":[\#(Self.jsonText(inputValues, type))]}]}"#
                try await client.execute(
                    uri: "/v2/models/\(item.model)/infer", method: .post, body: ByteBuffer(string: jsonBody)
                ) { response in
                    if type.isJSONRepresentable {
                        #expect(response.status == .ok, "\(item.model): \(String(buffer: response.body))")
                        let got = response.body.json()["outputs"]?.arrayValue?[0]["data"]?.arrayValue?.map { value -> Double in
                            if case .bool(let flag) = value { return flag ? 1 : 0 }
                            if case .number(let number) = value { return number.doubleValue }
                            return .nan
                        } ?? []
                        #expect(got.count == expected.count, "\(item.model)")
                        for (a, b) in zip(got, expected) { #expect(abs(a - b) <= tolerance, "\(item.model): \(a) vs \(b)") }
                    } else {
                        #expect(response.status == .badRequest)
                        #expect(response.body.json()["error"]?.stringValue?.contains("binary") == true)
                    }
                }
            }
        }
        await server.repository.shutdown()
    }
}

extension Tensor {
    /// The tensor's raw little-endian bytes.
    fileprivate var bytes: [UInt8] { withUnsafeBytes { [UInt8]($0) } }
}
