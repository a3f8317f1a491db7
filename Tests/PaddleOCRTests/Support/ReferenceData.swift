import Foundation
import PaddleTestSupport
import Testing

@testable import PaddleOCR

/// The shared sample images and RapidOCR reference results (`<repo>/../shared/ocr`).
enum ReferenceData {
    static var folder: URL { SharedOCRData.folder }
    static var available: Bool { SharedOCRData.available }
    static var imageNames: [String] { SharedOCRData.imageNames }

    /// Returns when the shared folder is there (see ``SharedOCRData/require()``).
    static func require() throws { try SharedOCRData.require() }

    static func imageData(_ name: String) throws -> Data { try SharedOCRData.image(name) }

    static func reference(_ name: String) throws -> Reference {
        let data = try Data(contentsOf: folder.appendingPathComponent("reference/\(name).json"))
        return try JSONDecoder().decode(Reference.self, from: data)
    }

    struct Reference: Decodable {
        struct Line: Decodable {
            var box: [[Double]]
            var text: String
            var score: Double
        }
        struct Box: Decodable {
            var box_det_coords: [[Double]]
            var box: [[Double]]
            var crop_hw_after_rot90_rule: [Int]
            var cls: ClsValue
            var rec_text: String
            var rec_score: Double
            var kept: Bool
        }
        struct ClsValue: Decodable {
            var label: String
            var score: Double
            init(from decoder: any Decoder) throws {
                var c = try decoder.unkeyedContainer()
                label = try c.decode(String.self)
                score = try c.decode(Double.self)
            }
        }
        struct Stages: Decodable {
            var loaded_hw: [Int]
            var after_global_resize_hw: [Int]
            var global_resize_ratio_hw: [Double]
            var letterbox_top_bottom_px: Int
            var det_input_shape_nchw: [Int]
            var boxes: [Box]
        }
        var image: String
        var width: Int
        var height: Int
        var exif_orientation: Int?
        var results: [Line]
        var stages: Stages
    }

    /// IoU of two quadrilaterals (convex polygons) by polygon clipping.
    static func iou(_ a: [[Double]], _ b: [[Double]]) -> Double {
        let inter = abs(area(clip(a, by: b)))
        let union = abs(area(a)) + abs(area(b)) - inter
        return union > 0 ? inter / union : 0
    }

    static func area(_ p: [[Double]]) -> Double {
        guard p.count >= 3 else { return 0 }
        var s = 0.0
        for i in 0..<p.count {
            let q = p[(i + 1) % p.count]
            s += p[i][0] * q[1] - q[0] * p[i][1]
        }
        return s / 2
    }

    /// Sutherland–Hodgman clipping of `subject` by the convex polygon `clipper`.
    static func clip(_ subject: [[Double]], by clipper: [[Double]]) -> [[Double]] {
        var output = subject
        let orientation: Double = area(clipper) >= 0 ? 1 : -1
        for i in 0..<clipper.count {
            let a = clipper[i], b = clipper[(i + 1) % clipper.count]
            func inside(_ p: [Double]) -> Bool {
                orientation * ((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])) >= 0
            }
            func intersection(_ p: [Double], _ q: [Double]) -> [Double] {
                let a1 = b[1] - a[1], b1 = a[0] - b[0], c1 = a1 * a[0] + b1 * a[1]
                let a2 = q[1] - p[1], b2 = p[0] - q[0], c2 = a2 * p[0] + b2 * p[1]
                let det = a1 * b2 - a2 * b1
                if abs(det) < 1e-12 { return p }
                return [(b2 * c1 - b1 * c2) / det, (a1 * c2 - a2 * c1) / det]
            }
            let input = output
            output = []
            guard !input.isEmpty else { break }
            var s = input[input.count - 1]
            for e in input {
                if inside(e) {
                    if !inside(s) { output.append(intersection(s, e)) }
                    output.append(e)
                } else if inside(s) {
                    output.append(intersection(s, e))
                }
                s = e
            }
        }
        return output
    }
}

/// One pipeline shared by the suites (models load once per test process).
enum SharedPipeline {
    static let v4: Result<OCRPipeline, OCRError> = {
        do throws(OCRError) { return .success(try OCRPipeline(options: OCROptions())) } catch { return .failure(error) }
    }()
}
