import Foundation

/// Where the tests find the checkout, the installed runtime and models, and the generated fixtures.
///
/// Every test target reads these instead of working out paths of its own. The environment overrides them the
/// same way the tools do: `PADDLE_SWIFT_MODELS`, else `PADDLE_SWIFT_HOME/models`; `PADDLE_SWIFT_FIXTURES`.
public enum TestEnvironment {
    /// The checkout's root folder.
    public static let repository: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// `$PADDLE_SWIFT_HOME`, else `<checkout>/.paddle` (what `scripts/setup.sh` fills).
    public static var home: String {
        ProcessInfo.processInfo.environment["PADDLE_SWIFT_HOME"] ?? repository + "/.paddle"
    }

    /// The real models installed by `scripts/setup.sh`.
    public static var models: String {
        ProcessInfo.processInfo.environment["PADDLE_SWIFT_MODELS"] ?? home + "/models"
    }

    /// The fixtures made by `scripts/oracle/make_fixtures.py` (small models plus Python's outputs).
    public static var fixtures: String {
        ProcessInfo.processInfo.environment["PADDLE_SWIFT_FIXTURES"] ?? repository + "/.fixtures"
    }

    /// Whether the tests run in CI (`CI=true`), where a test that cannot run fails instead of being skipped.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// PP-OCRv4 detection, recognition and the v2 direction classifier; PP-OCRv5 mobile det/rec (PIR).
    public static var detV4: String { models + "/ppocrv4/ch_PP-OCRv4_det_infer" }
    public static var recV4: String { models + "/ppocrv4/ch_PP-OCRv4_rec_infer" }
    public static var clsV2: String { models + "/ppocrv4/ch_ppocr_mobile_v2_cls_infer" }
    public static var detV5: String { models + "/ppocrv5/PP-OCRv5_mobile_det" }
    public static var recV5: String { models + "/ppocrv5/PP-OCRv5_mobile_rec" }

    /// A fixture model folder by name (`<fixtures>/models/<name>`).
    public static func fixtureModel(_ name: String) -> String { fixtures + "/models/" + name }

    /// A new empty folder in the temporary directory, named after `label`.
    public static func temporaryFolder(_ label: String) throws -> String {
        let folder = NSTemporaryDirectory() + "paddle-swift-\(label)-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }
}
