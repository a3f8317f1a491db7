import Foundation
import Logging
import PaddleInference
@testable import PaddleServing

/// Temporary model repositories of real models for the model-management tests.
enum ManagementFixtures {
    /// A tiny MLP: input `x` FP32 [1, 16].
    static let mlp = TestModels.root + "/.fixtures/models/mlp_tiny_pdmodel"

    /// A new empty folder in the temporary directory.
    static func makeFolder(_ label: String = "repo") throws -> String {
        let folder = NSTemporaryDirectory() + "paddle-management-\(label)-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return RepositoryPaths.realPath(folder) ?? folder
    }

    /// Publishes `source`'s files as `<repo>/<model>/<version>/`: copied into a hidden folder, then renamed.
    static func publish(_ repo: String, model: String = "mlp", version: Int, from source: String = mlp) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: repo + "/" + model, withIntermediateDirectories: true)
        let staging = repo + "/" + model + "/.staging-\(version)-" + UUID().uuidString
        try fm.copyItem(atPath: source, toPath: staging)
        let target = repo + "/" + model + "/" + String(version)
        if fm.fileExists(atPath: target) { try fm.removeItem(atPath: target) }
        try fm.moveItem(atPath: staging, toPath: target)
    }

    /// Writes `<repo>/<model>/config.yaml` atomically.
    static func writeConfig(_ repo: String, model: String = "mlp", _ text: String) throws {
        try FileManager.default.createDirectory(atPath: repo + "/" + model, withIntermediateDirectories: true)
        try text.write(toFile: repo + "/" + model + "/config.yaml", atomically: true, encoding: .utf8)
    }

    static var logger: Logger {
        var logger = Logger(label: "paddle.management.tests")
        logger.logLevel = .critical
        return logger
    }

    /// A 1×16 input for the MLP.
    static func mlpInput(seed: Int = 1) throws -> [String: Tensor] {
        ["x": try Tensor(shape: [1, 16], scalars: (0..<16).map { Float(($0 * 31 + seed * 17) % 11) / 10 - 0.5 })]
    }
}

/// A deterministic random source (SplitMix64) for reproducible weighted choices.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
