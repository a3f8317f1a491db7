/// Border following on a binary map, reproducing OpenCV's `cv2.findContours(mask, RETR_LIST,
/// CHAIN_APPROX_SIMPLE)` (Suzuki–Abe, 8-connected foreground): every outer border and every hole border,
/// with only the points where the chain direction changes, in the order OpenCV returns them (reverse
/// order of discovery in a raster scan).
enum ContourFinder {
    /// - Parameters:
    ///   - mask: `width * height` bytes, non-zero = foreground.
    /// - Returns: contours in OpenCV's order, points in image coordinates.
    static func findContours(mask: UnsafeBufferPointer<UInt8>, width: Int, height: Int) -> [[PointI]] {
        let step = width + 2
        let paddedHeight = height + 2
        var img = [Int8](repeating: 0, count: step * paddedHeight)
        for y in 0..<height {
            let row = (y + 1) * step + 1
            for x in 0..<width where mask[y * width + x] != 0 { img[row + x] = 1 }
        }
        var contours: [[PointI]] = []
        img.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            let deltas = [1, -step + 1, -step, -step - 1, -1, step - 1, step, step + 1]
            let codeDX = [1, 1, 0, -1, -1, -1, 0, 1]
            let codeDY = [0, -1, -1, -1, 0, 1, 1, 1]
            for y in 1..<(paddedHeight - 1) {
                var prev: Int8 = 0
                var x = 1
                while x < step {
                    let p = base[y * step + x]
                    if p != prev {
                        var start = false
                        var isHole = false
                        if prev == 0 && p == 1 {
                            start = true
                        } else if p == 0 && prev >= 1 {
                            start = true
                            isHole = true
                        }
                        if start {
                            let ox = x - (isHole ? 1 : 0)
                            let points = fetch(
                                base, origin: y * step + ox, point: PointI(ox - 1, y - 1), isHole: isHole,
                                deltas: deltas, codeDX: codeDX, codeDY: codeDY)
                            contours.append(points)
                            prev = base[y * step + x]
                            x += 1
                            continue
                        }
                    }
                    prev = p
                    x += 1
                }
            }
        }
        return contours.reversed()
    }

    /// OpenCV's `icvFetchContour` with CHAIN_APPROX_SIMPLE; marks visited border pixels with 2 or -126.
    private static func fetch(
        _ img: UnsafeMutablePointer<Int8>, origin i0: Int, point start: PointI, isHole: Bool,
        deltas: [Int], codeDX: [Int], codeDY: [Int]
    ) -> [PointI] {
        let nbd: Int8 = 2
        let rightMarked: Int8 = -126  // nbd | -128
        var points: [PointI] = []
        var pt = start
        var s = isHole ? 0 : 4
        let sEnd0 = s
        var i1 = 0
        repeat {
            s = (s - 1) & 7
            i1 = i0 + deltas[s]
        } while img[i1] == 0 && s != sEnd0
        if s == sEnd0 && img[i1] == 0 {
            img[i0] = rightMarked
            points.append(pt)
            return points
        }
        var i3 = i0
        var prevS = s ^ 4
        while true {
            let sEnd = s
            var i4 = i3
            while s < 15 {
                s += 1
                i4 = i3 + deltas[s & 7]
                if img[i4] != 0 { break }
            }
            s &= 7
            if UInt(bitPattern: s - 1) < UInt(bitPattern: sEnd) {
                img[i3] = rightMarked
            } else if img[i3] == 1 {
                img[i3] = nbd
            }
            if s != prevS {
                points.append(pt)
                prevS = s
            }
            pt.x += codeDX[s]
            pt.y += codeDY[s]
            if i4 == i0 && i3 == i1 { break }
            i3 = i4
            s = (s + 4) & 7
        }
        return points
    }
}
