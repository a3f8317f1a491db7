import Foundation
import Testing

/// The synthetic waybill set that `tools/waybill-synth/run.sh` generates (scripts/test.sh runs it before the tests):
/// `<repo>/.waybills`, or `$PADDLE_WAYBILL_SET`.
enum GeneratedSet {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var folder: URL {
        if let env = ProcessInfo.processInfo.environment["PADDLE_WAYBILL_SET"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return repoRoot.appendingPathComponent(".waybills")
    }
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    struct Manifest: Decodable {
        struct Entry: Decodable { var image: String }
        var seed: Int
        var count: Int
        var images: [Entry]
    }

    /// The ground truth of one image (the generator's JSON).
    struct Truth: Decodable {
        struct Address: Decodable { var province, city, district, detail, full: String }
        struct Party: Decodable { var name, phone: String; var address: Address }
        struct Carrier: Decodable { var name, code: String }
        struct Meta: Decodable {
            var layout: String
            var turn: Int
            var angle: Double
            var handwriting: Bool
            var font: String
            var blur: Double
            var quality: Int
        }
        var image: String
        var carrier: Carrier
        var waybill_number: String
        var receiver: Party
        var sender: Party
        var weight_kg: Double
        var pieces: Int
        var date: String
        var meta: Meta
    }

    /// The manifest, when the set is there. Without it the test fails under CI=true, and is skipped otherwise.
    static func require() throws -> Manifest {
        let url = folder.appendingPathComponent("manifest.json")
        guard let data = try? Data(contentsOf: url) else {
            if isCI { throw Missing(path: folder.path) }
            try Test.cancel("no generated waybill set at \(folder.path): run tools/waybill-synth/run.sh (scripts/test.sh does)")
        }
        return try JSONDecoder().decode(Manifest.self, from: data)
    }

    static func truth(_ image: String) throws -> Truth {
        let name = (image as NSString).deletingPathExtension + ".json"
        return try JSONDecoder().decode(Truth.self, from: Data(contentsOf: folder.appendingPathComponent(name)))
    }

    static func imageData(_ image: String) throws -> Data {
        try Data(contentsOf: folder.appendingPathComponent(image))
    }

    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String { "generated waybill set missing at \(path): scripts/test.sh runs tools/waybill-synth/run.sh" }
    }
}
