/// Drawing boxes for visual checks (`paddle-swift ocr --draw`).
extension OCRImage {
    /// Returns a copy with each polygon's outline drawn in `color` (B,G,R), `thickness` pixels wide.
    public func drawingPolygons(
        _ polygons: [[OCRPoint]], color: (b: UInt8, g: UInt8, r: UInt8) = (0, 0, 255), thickness: Int = 2
    ) -> OCRImage {
        var px = pixels
        let w = width, h = height
        let radius = max(thickness - 1, 0) / 2
        func plot(_ x: Int, _ y: Int) {
            for dy in -radius...(thickness - 1 - radius) {
                for dx in -radius...(thickness - 1 - radius) {
                    let xx = x + dx, yy = y + dy
                    guard xx >= 0, yy >= 0, xx < w, yy < h else { continue }
                    let i = (yy * w + xx) * 3
                    px[i] = color.b; px[i + 1] = color.g; px[i + 2] = color.r
                }
            }
        }
        for polygon in polygons where polygon.count >= 2 {
            for k in 0..<polygon.count {
                let a = polygon[k], b = polygon[(k + 1) % polygon.count]
                let steps = max(Int(max(abs(b.x - a.x), abs(b.y - a.y)).rounded(.up)), 1)
                for s in 0...steps {
                    let t = Double(s) / Double(steps)
                    plot(Int((a.x + (b.x - a.x) * t).rounded()), Int((a.y + (b.y - a.y) * t).rounded()))
                }
            }
        }
        return OCRImage(uncheckedWidth: w, height: h, pixels: px)
    }
}
