import Foundation
import Testing

/// The synthetic waybill set that `tools/waybill-synth/run.sh` generates (scripts/test.sh runs it before the tests):
/// `<repo>/.waybills`, or `$PADDLE_WAYBILL_SET`. Only what the HTTP tests need: the image and its number and turn.
enum WaybillTestSet {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var folder: URL {
        if let env = ProcessInfo.processInfo.environment["PADDLE_WAYBILL_SET"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return repoRoot.appendingPathComponent(".waybills")
    }

    struct Truth: Decodable {
        struct Meta: Decodable { var turn: Int; var handwriting: Bool }
        var image: String
        var waybill_number: String
        var meta: Meta
    }

    /// The first image of the set that matches `accept`, with its ground truth. Without the set the test fails
    /// under CI=true and is skipped otherwise.
    static func first(where accept: (Truth) -> Bool) throws -> (data: Data, truth: Truth) {
        struct Manifest: Decodable {
            struct Entry: Decodable { var image: String }
            var images: [Entry]
        }
        let url = folder.appendingPathComponent("manifest.json")
        guard let data = try? Data(contentsOf: url) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: url.path])
            }
            try Test.cancel("no generated waybill set at \(folder.path): run tools/waybill-synth/run.sh (scripts/test.sh does)")
        }
        for entry in try JSONDecoder().decode(Manifest.self, from: data).images {
            let name = (entry.image as NSString).deletingPathExtension + ".json"
            let truth = try JSONDecoder().decode(Truth.self, from: Data(contentsOf: folder.appendingPathComponent(name)))
            if accept(truth) { return (try Data(contentsOf: folder.appendingPathComponent(entry.image)), truth) }
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: folder.path + " (no image fits)"])
    }
}
