import Foundation
import Logging
import PaddleInference

/// Temporary model repositories of real models for the model-management tests.
public enum ManagementFixtures {
    /// A tiny MLP: input `x` FP32 [1, 16].
    public static let mlp = TestEnvironment.fixtureModel("mlp_tiny_pdmodel")

    /// A new empty folder in the temporary directory.
    public static func makeFolder(_ label: String = "repo") throws -> String {
        let folder = NSTemporaryDirectory() + "paddle-management-\(label)-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
    }

    /// Publishes `source`'s files as `<repo>/<model>/<version>/`: copied into a hidden folder, then renamed.
    public static func publish(_ repo: String, model: String = "mlp", version: Int, from source: String = mlp) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: repo + "/" + model, withIntermediateDirectories: true)
        let staging = repo + "/" + model + "/.staging-\(version)-" + UUID().uuidString
        try fm.copyItem(atPath: source, toPath: staging)
        let target = repo + "/" + model + "/" + String(version)
        if fm.fileExists(atPath: target) { try fm.removeItem(atPath: target) }
        try fm.moveItem(atPath: staging, toPath: target)
    }

    /// Writes `<repo>/<model>/config.yaml` atomically.
    public static func writeConfig(_ repo: String, model: String = "mlp", _ text: String) throws {
        try FileManager.default.createDirectory(atPath: repo + "/" + model, withIntermediateDirectories: true)
        try text.write(toFile: repo + "/" + model + "/config.yaml", atomically: true, encoding: .utf8)
    }

    public static var logger: Logger {
        var logger = Logger(label: "paddle.management.tests")
        logger.logLevel = .critical
        return logger
    }

    /// A 1×16 input for the MLP.
    public static func mlpInput(seed: Int = 1) throws -> [String: Tensor] {
        ["x": try Tensor(shape: [1, 16], scalars: (0..<16).map { Float(($0 * 31 + seed * 17) % 11) / 10 - 0.5 })]
    }
}
