import Foundation
import Testing

/// The shared sample images and RapidOCR's reference results (`<checkout>/../shared/ocr`), read in place and never
/// copied into the repository.
public enum SharedOCRData {
    /// The folder: `images/` and `reference/<image>.json`.
    public static let folder = URL(fileURLWithPath: TestEnvironment.repository)
        .deletingLastPathComponent().appendingPathComponent("shared/ocr")

    /// Whether the folder is there.
    public static var available: Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent("reference").path)
    }

    /// Returns when the shared folder is there. Without it the test fails, unless `PADDLE_SWIFT_SKIP_SHARED=1` asks
    /// to skip such tests (outside CI only): then the test is cancelled, which the runner reports as skipped with
    /// the reason.
    public static func require() throws {
        if available { return }
        if ProcessInfo.processInfo.environment["PADDLE_SWIFT_SKIP_SHARED"] == "1" && !TestEnvironment.isCI {
            try Test.cancel("PADDLE_SWIFT_SKIP_SHARED=1: shared OCR data not found at \(folder.path)")
        }
        throw Missing(path: folder.path)
    }

    /// The shared folder is missing and no skip was asked for.
    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public var description: String {
            "shared OCR data missing at \(path): it must sit beside the checkout (set PADDLE_SWIFT_SKIP_SHARED=1 to "
                + "skip, outside CI only)"
        }
    }

    /// Names of the images that have a reference result, sorted.
    public static var imageNames: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("reference").path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The bytes of image `name`.
    public static func image(_ name: String) throws -> Data {
        try Data(contentsOf: folder.appendingPathComponent("images/\(name)"))
    }

    /// The reference JSON of image `name`, decoded as `T` (each test target declares the fields it reads).
    public static func reference<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        let data = try Data(contentsOf: folder.appendingPathComponent("reference/\(name).json"))
        return try JSONDecoder().decode(T.self, from: data)
    }
}
