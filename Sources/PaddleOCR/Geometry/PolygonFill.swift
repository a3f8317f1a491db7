/// Polygon rasterisation reproducing `cv2.fillPoly(mask, [pts], 1)` (LINE_8, shift 0) closely enough for
/// DB's "fast" box score: the polygon's outline drawn with 8-connected Bresenham lines plus OpenCV's scanline
/// fill with 16-bit fixed-point edges.
enum PolygonFill {
    /// Rasterises `polygon` (integer vertices) into a `width` x `height` row-major mask.
    static func fill(_ polygon: [PointI], width: Int, height: Int) -> [Bool] {
        var mask = [Bool](repeating: false, count: width * height)
        let shift = 16
        let half = Int64(1) << (shift - 1)
        struct Edge { var y0: Int; var y1: Int; var x: Int64; var dx: Int64 }
        var edges: [Edge] = []
        let count = polygon.count
        guard count > 0 else { return mask }
        var p0 = polygon[count - 1]
        for i in 0..<count {
            let p1 = polygon[i]
            drawLine(p0, p1, into: &mask, width: width, height: height)
            if p0.y != p1.y {
                var a = p0, b = p1
                if a.y > b.y { swap(&a, &b) }
                let ax = (Int64(a.x) << shift) + half
                let bx = (Int64(b.x) << shift) + half
                edges.append(Edge(y0: a.y, y1: b.y, x: ax, dx: (bx - ax) / Int64(b.y - a.y)))
            }
            p0 = p1
        }
        guard edges.count >= 2 else { return mask }
        let yMin = max(edges.map(\.y0).min()!, 0)
        let yMax = min(edges.map(\.y1).max()!, height)
        guard yMin < yMax else { return mask }
        var xs: [Int64] = []
        for y in yMin..<yMax {
            xs.removeAll(keepingCapacity: true)
            for e in edges where e.y0 <= y && y < e.y1 { xs.append(e.x + Int64(y - e.y0) * e.dx) }
            xs.sort()
            var k = 0
            while k + 1 < xs.count {
                var x1 = Int(xs[k] >> shift), x2 = Int(xs[k + 1] >> shift)
                if x1 < width && x2 >= 0 {
                    x1 = max(x1, 0)
                    x2 = min(x2, width - 1)
                    if x1 <= x2 { for x in x1...x2 { mask[y * width + x] = true } }
                }
                k += 2
            }
        }
        return mask
    }

    /// OpenCV's 8-connected `LineIterator` (left to right), clipped to the mask.
    private static func drawLine(_ a: PointI, _ b: PointI, into mask: inout [Bool], width: Int, height: Int) {
        var p = a, q = b
        if q.x < p.x { swap(&p, &q) }
        var dx = q.x - p.x
        var dy = q.y - p.y
        let sy = dy < 0 ? -1 : 1
        dy = abs(dy)
        let steep = dy > dx
        if steep { swap(&dx, &dy) }
        var err = dx - 2 * dy
        let plusDelta = 2 * dx, minusDelta = -2 * dy
        var x = p.x, y = p.y
        for _ in 0...dx {
            if x >= 0 && x < width && y >= 0 && y < height { mask[y * width + x] = true }
            let minor = err < 0
            err += minusDelta + (minor ? plusDelta : 0)
            if steep {
                y += sy
                if minor { x += 1 }
            } else {
                x += 1
                if minor { y += sy }
            }
        }
    }
}
