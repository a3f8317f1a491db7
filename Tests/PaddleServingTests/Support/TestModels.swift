import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PaddleInference
import PaddleTestSupport

@testable import KServeProtocol
@testable import PaddleModelRepository
@testable import PaddleServing

/// Paths of the real models the tests serve (installed by `scripts/setup.sh`).
enum TestModels {
    static var root: String { TestEnvironment.repository }

    /// The PP-OCR direction classifier: input `x` FP32 [-1, 3, 48, 192], output `softmax_0.tmp_0` FP32 [-1, 2].
    static var classifier: String { TestEnvironment.clsV2 }
    static let classifierInput = "x"
    static let classifierOutput = "softmax_0.tmp_0"
    static let classifierElements = 3 * 48 * 192

    /// A temporary model repository: `cls` (versions 1 and 2, linked to the classifier) with `config` as its
    /// config.yaml.
    static func makeRepositoryFolder(config: String = "", versions: [Int] = [1]) throws -> String {
        let folder = NSTemporaryDirectory() + "paddle-serving-tests-" + UUID().uuidString
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder + "/cls", withIntermediateDirectories: true)
        for version in versions {
            try fm.createSymbolicLink(atPath: folder + "/cls/\(version)", withDestinationPath: classifier)
        }
        try config.write(toFile: folder + "/cls/config.yaml", atomically: true, encoding: .utf8)
        return folder
    }

    /// A server over a fresh repository of `cls`, loaded and ready.
    static func makeServer(
        config: String = "", versions: [Int] = [1], configuration: ServingConfiguration = ServingConfiguration(port: 0),
        metrics: ServingMetrics = ServingMetrics()
    ) async throws -> InferenceServer {
        let folder = try makeRepositoryFolder(config: config, versions: versions)
        var logger = Logger(label: "paddle.serving.tests")
        logger.logLevel = .warning
        // The versions are links to the installed models: trust that folder (links elsewhere are refused).
        let repository = ModelRepository(
            root: folder, trustedRoots: [TestEnvironment.models], metrics: metrics, logger: logger)
        try await repository.loadAll()
        let server = InferenceServer(repository: repository, configuration: configuration, logger: logger)
        server.state.markStarted()
        return server
    }

    /// A shared server with default options (loaded once per test process).
    static let shared = Task { try await makeServer(versions: [1, 2]) }

    /// A random classifier input of batch `batch` as FP32 values.
    static func classifierValues(batch: Int = 1, seed: Int = 1) -> [Float] {
        (0..<(batch * classifierElements)).map { Float(($0 * 7919 + seed * 104_729) % 1000) / 1000 - 0.5 }
    }

    /// A JSON infer body for the classifier.
    static func jsonInferBody(batch: Int = 1, outputs: String? = nil, id: String? = "r1") -> ByteBuffer {
        let values = classifierValues(batch: batch).map { String($0) }.joined(separator: ",")
        var text = "{"
        if let id { text += "\"id\":\"\(id)\"," }
        text += "\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[\(batch),3,48,192],\"data\":[\(values)]}]"
        if let outputs { text += ",\"outputs\":\(outputs)" }
        text += "}"
        return ByteBuffer(string: text)
    }

    /// A binary infer body and its JSON header length.
    static func binaryInferBody(batch: Int = 1, binaryOutput: Bool = true) -> (ByteBuffer, Int) {
        let header =
            "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[\(batch),3,48,192],"
            + "\"parameters\":{\"binary_data_size\":\(batch * classifierElements * 4)}}],"
            + "\"parameters\":{\"binary_data_output\":\(binaryOutput)}}"
        var buffer = ByteBuffer(string: header)
        classifierValues(batch: batch).withUnsafeBytes { _ = buffer.writeBytes($0) }
        return (buffer, header.utf8.count)
    }

    /// The classifier's probabilities computed directly by a predictor (the reference).
    static func referenceOutput(batch: Int = 1) throws -> [Float] {
        let predictor = try Predictor(config: Config(model: classifier))
        let input = try Tensor(shape: [batch, 3, 48, 192], scalars: classifierValues(batch: batch))
        return try predictor.run(["x": input])[classifierOutput]!.scalars()
    }
}

extension ByteBuffer {
    /// The readable bytes parsed as JSON (`.null` when they are not JSON).
    func json() -> JSONValue {
        (try? withUnsafeReadableBytes { try JSONParser.parse($0) }) ?? .null
    }
}

extension JSONValue {
    /// The flat numbers of a JSON array (nested or not).
    var floats: [Float] {
        switch self {
        case .array(let elements): elements.flatMap(\.floats)
        case .number(let number): [Float(number.doubleValue)]
        default: []
        }
    }
}
