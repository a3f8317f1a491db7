import Foundation
import PaddleOCR

/// The page's orientation in the photo, from the OCR lines' geometry: where each line reads towards.
///
/// Each line's reading direction follows from its box and what the pipeline did to its crop: a wide box reads
/// along its top edge (corner 0 → 1), a tall one (height ≥ 1.5 × width) is turned 90° counter-clockwise before
/// recognition and so reads along its left edge (corner 0 → 3); when the direction classifier turned the crop by
/// 180° (`PaddleOCR/OCRLine/rotated180`), the line reads the other way. The page angle is the mean direction,
/// weighted by characters × score. Rotating every box by minus that angle puts the page upright and unskewed, so the
/// layout (rows, columns, "above", "left of") is read in the page's own frame: photos turned by 90°, 180° or 270°
/// and skewed by ±15° need no second OCR pass. Without the classifier (`rotated180 == nil`), a page turned by 180° is
/// not told from an upright one.
struct PageFrame: Sendable {
    /// Reading direction in image coordinates, radians (0: left to right; π/2: top to bottom, as y grows down).
    let angle: Double

    init(angle: Double) { self.angle = angle }

    init(lines: [OCRLine]) {
        var sx = 0.0, sy = 0.0
        for line in lines where line.box.count == 4 {
            let p = line.box
            func d(_ a: OCRPoint, _ b: OCRPoint) -> Double { hypot(a.x - b.x, a.y - b.y) }
            let w = max(d(p[0], p[1]), d(p[3], p[2])), h = max(d(p[0], p[3]), d(p[1], p[2]))
            guard w > 0, h > 0 else { continue }
            var vx: Double, vy: Double
            if h / w >= 1.5 {
                vx = (p[3].x - p[0].x) + (p[2].x - p[1].x)
                vy = (p[3].y - p[0].y) + (p[2].y - p[1].y)
            } else {
                vx = (p[1].x - p[0].x) + (p[2].x - p[3].x)
                vy = (p[1].y - p[0].y) + (p[2].y - p[3].y)
            }
            if line.rotated180 == true {
                vx = -vx
                vy = -vy
            }
            let n = hypot(vx, vy)
            guard n > 0 else { continue }
            let weight = Double(max(line.text.count, 1)) * line.score
            sx += vx / n * weight
            sy += vy / n * weight
        }
        angle = sx == 0 && sy == 0 ? 0 : atan2(sy, sx)
    }

    /// The page's turn in degrees clockwise, rounded to 0, 90, 180 or 270.
    var quarterTurn: Int {
        let deg = angle * 180 / .pi
        let q = Int((deg / 90).rounded())
        return ((q % 4) + 4) % 4 * 90
    }

    /// The box in the upright page frame: its bounds after rotating by minus the page angle.
    func bounds(_ box: [OCRPoint]) -> LayoutLine.Bounds {
        let c = cos(angle), s = sin(angle)
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for p in box {
            let x = p.x * c + p.y * s, y = -p.x * s + p.y * c
            minX = min(minX, x)
            maxX = max(maxX, x)
            minY = min(minY, y)
            maxY = max(maxY, y)
        }
        return LayoutLine.Bounds(minX: minX, maxX: maxX, minY: minY, maxY: maxY)
    }
}
