/// Perspective warp reproducing OpenCV 4.x `cv2.getPerspectiveTransform` + `cv2.warpPerspective(...,
/// flags=INTER_CUBIC, borderMode=BORDER_REPLICATE)` for BGR `UInt8` images: double-precision LU solve,
/// 3x3 inverse by cofactors, per-pixel coordinates rounded to 1/32 pixel, the 32x32 fixed-point
/// (15-bit) bicubic table with OpenCV's sum correction, and replicated borders.
enum PerspectiveWarp {
    /// The 3x3 matrix (row-major) mapping the 4 `src` points onto the 4 `dst` points.
    static func transform(from src: [PointF], to dst: [PointF]) -> [Double]? {
        precondition(src.count == 4 && dst.count == 4)
        var a = [Double](repeating: 0, count: 64)
        var b = [Double](repeating: 0, count: 8)
        for i in 0..<4 {
            a[i * 8 + 0] = Double(src[i].x); a[(i + 4) * 8 + 3] = Double(src[i].x)
            a[i * 8 + 1] = Double(src[i].y); a[(i + 4) * 8 + 4] = Double(src[i].y)
            a[i * 8 + 2] = 1; a[(i + 4) * 8 + 5] = 1
            a[i * 8 + 6] = Double(-src[i].x * dst[i].x)
            a[i * 8 + 7] = Double(-src[i].y * dst[i].x)
            a[(i + 4) * 8 + 6] = Double(-src[i].x * dst[i].y)
            a[(i + 4) * 8 + 7] = Double(-src[i].y * dst[i].y)
            b[i] = Double(dst[i].x)
            b[i + 4] = Double(dst[i].y)
        }
        guard solveLU(&a, &b, n: 8) else { return nil }
        return b + [1]
    }

    /// Gaussian elimination with partial pivoting, as OpenCV's `LUImpl` (result in `b`).
    private static func solveLU(_ a: inout [Double], _ b: inout [Double], n m: Int) -> Bool {
        let eps = Double.ulpOfOne * 10
        for i in 0..<m {
            var k = i
            for j in (i + 1)..<m where abs(a[j * m + i]) > abs(a[k * m + i]) { k = j }
            if abs(a[k * m + i]) < eps { return false }
            if k != i {
                for j in i..<m { a.swapAt(i * m + j, k * m + j) }
                b.swapAt(i, k)
            }
            let d = -1 / a[i * m + i]
            for j in (i + 1)..<m {
                let alpha = a[j * m + i] * d
                for c in (i + 1)..<m { a[j * m + c] += alpha * a[i * m + c] }
                b[j] += alpha * b[i]
            }
            a[i * m + i] = -d
        }
        for i in stride(from: m - 1, through: 0, by: -1) {
            var s = b[i]
            for k in (i + 1)..<m { s -= a[i * m + k] * b[k] }
            b[i] = s * a[i * m + i]
        }
        return true
    }

    /// Inverse of a 3x3 matrix (OpenCV's `invert` for 3x3 doubles).
    static func invert(_ s: [Double]) -> [Double]? {
        func m(_ r: Int, _ c: Int) -> Double { s[r * 3 + c] }
        let det = m(0, 0) * (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)) - m(0, 1) * (m(1, 0) * m(2, 2) - m(1, 2) * m(2, 0))
            + m(0, 2) * (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0))
        guard det != 0 else { return nil }
        let d = 1 / det
        return [
            (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)) * d, (m(0, 2) * m(2, 1) - m(0, 1) * m(2, 2)) * d,
            (m(0, 1) * m(1, 2) - m(0, 2) * m(1, 1)) * d,
            (m(1, 2) * m(2, 0) - m(1, 0) * m(2, 2)) * d, (m(0, 0) * m(2, 2) - m(0, 2) * m(2, 0)) * d,
            (m(0, 2) * m(1, 0) - m(0, 0) * m(1, 2)) * d,
            (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0)) * d, (m(0, 1) * m(2, 0) - m(0, 0) * m(2, 1)) * d,
            (m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0)) * d,
        ]
    }

    /// 32x32 sub-pixel positions x 16 fixed-point bicubic weights (sum 32768 each).
    static let cubicTable: [Int32] = {
        let a: Float = -0.75
        var tab1 = [Float](repeating: 0, count: 32 * 4)
        for i in 0..<32 {
            let x = Float(i) * (1 / Float(32))
            let c0 = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a
            let c1 = ((a + 2) * x - (a + 3)) * x * x + 1
            let c2 = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1
            tab1[i * 4] = c0; tab1[i * 4 + 1] = c1; tab1[i * 4 + 2] = c2; tab1[i * 4 + 3] = 1 - c0 - c1 - c2
        }
        var table = [Int32](repeating: 0, count: 32 * 32 * 16)
        for i in 0..<32 {
            for j in 0..<32 {
                let base = (i * 32 + j) * 16
                for k1 in 0..<4 {
                    let vy = tab1[i * 4 + k1]
                    for k2 in 0..<4 {
                        let v = vy * tab1[j * 4 + k2]
                        let iv = Int32(min(max((v * 32768).rounded(.toNearestOrEven), -32768), 32767))
                        table[base + k1 * 4 + k2] = iv
                    }
                }
            }
        }
        return fixSums(table, tab1: tab1)
    }()

    /// OpenCV's correction: the sum defect goes to the largest (negative defect) or smallest weight among
    /// the 4 central taps (k1, k2 in 2..<4 — indices ksize/2 ..< ksize/2+2 for ksize = 4).
    private static func fixSums(_ input: [Int32], tab1: [Float]) -> [Int32] {
        var table = input
        for t in 0..<(32 * 32) {
            let base = t * 16
            var isum: Int32 = 0
            for k in 0..<16 { isum += table[base + k] }
            guard isum != 32768 else { continue }
            let diff = isum - 32768
            var mk1 = 2, mk2 = 2, bigK1 = 2, bigK2 = 2
            for k1 in 2..<4 {
                for k2 in 2..<4 {
                    if table[base + k1 * 4 + k2] < table[base + mk1 * 4 + mk2] {
                        mk1 = k1; mk2 = k2
                    } else if table[base + k1 * 4 + k2] > table[base + bigK1 * 4 + bigK2] {
                        bigK1 = k1; bigK2 = k2
                    }
                }
            }
            if diff < 0 {
                table[base + bigK1 * 4 + bigK2] -= diff
            } else {
                table[base + mk1 * 4 + mk2] -= diff
            }
        }
        return table
    }

    /// `cv2.warpPerspective(src, M, (width, height), flags=INTER_CUBIC, borderMode=BORDER_REPLICATE)`.
    /// - Parameter matrix: the forward matrix (source → destination), as from ``transform(from:to:)``.
    static func warpCubic(_ src: OCRImage, matrix: [Double], width dw: Int, height dh: Int) -> OCRImage? {
        guard dw > 0, dh > 0, let m = invert(matrix) else { return nil }
        let sw = src.width, sh = src.height
        let blockH0 = min(16, dh)
        let blockW0 = min(1024 / blockH0, dw)
        return src.pixels.withUnsafeBufferPointer { s in
            cubicTable.withUnsafeBufferPointer { table in
                OCRImage.make(width: dw, height: dh) { d in
                    let sBase = s.baseAddress!
                    let width1 = max(sw - 3, 0), height1 = max(sh - 3, 0)
                    for y in 0..<dh {
                        var x = 0
                        while x < dw {
                            let bw = min(blockW0, dw - x)
                            let yd = Double(y)
                            let x0 = m[0] * Double(x) + m[1] * yd + m[2]
                            let y0 = m[3] * Double(x) + m[4] * yd + m[5]
                            let w0 = m[6] * Double(x) + m[7] * yd + m[8]
                            for x1 in 0..<bw {
                                var w = w0 + m[6] * Double(x1)
                                w = w != 0 ? 32 / w : 0
                                let fx = max(Double(Int32.min), min(Double(Int32.max), (x0 + m[0] * Double(x1)) * w))
                                let fy = max(Double(Int32.min), min(Double(Int32.max), (y0 + m[3] * Double(x1)) * w))
                                let ix = Int(fx.rounded(.toNearestOrEven)), iy = Int(fy.rounded(.toNearestOrEven))
                                let sx = min(max(ix >> 5, -32768), 32767) - 1
                                let sy = min(max(iy >> 5, -32768), 32767) - 1
                                let wt = table.baseAddress! + ((iy & 31) * 32 + (ix & 31)) * 16
                                let out = d.baseAddress! + (y * dw + x + x1) * 3
                                if UInt(bitPattern: sx) < UInt(width1), UInt(bitPattern: sy) < UInt(height1) {
                                    let p = sBase + (sy * sw + sx) * 3
                                    for c in 0..<3 {
                                        var sum: Int32 = 0
                                        for r in 0..<4 {
                                            let row = p + r * sw * 3 + c
                                            sum &+= Int32(row[0]) &* wt[r * 4] &+ Int32(row[3]) &* wt[r * 4 + 1]
                                                &+ Int32(row[6]) &* wt[r * 4 + 2] &+ Int32(row[9]) &* wt[r * 4 + 3]
                                        }
                                        out[c] = UInt8(clamping: (sum &+ (1 << 14)) >> 15)
                                    }
                                } else {
                                    var xs = (0, 0, 0, 0), ys = (0, 0, 0, 0)
                                    xs.0 = min(max(sx, 0), sw - 1); xs.1 = min(max(sx + 1, 0), sw - 1)
                                    xs.2 = min(max(sx + 2, 0), sw - 1); xs.3 = min(max(sx + 3, 0), sw - 1)
                                    ys.0 = min(max(sy, 0), sh - 1); ys.1 = min(max(sy + 1, 0), sh - 1)
                                    ys.2 = min(max(sy + 2, 0), sh - 1); ys.3 = min(max(sy + 3, 0), sh - 1)
                                    let xa = [xs.0, xs.1, xs.2, xs.3], ya = [ys.0, ys.1, ys.2, ys.3]
                                    for c in 0..<3 {
                                        var sum: Int32 = 0
                                        for r in 0..<4 {
                                            let row = sBase + ya[r] * sw * 3 + c
                                            for k in 0..<4 { sum &+= Int32(row[xa[k] * 3]) &* wt[r * 4 + k] }
                                        }
                                        out[c] = UInt8(clamping: (sum &+ (1 << 14)) >> 15)
                                    }
                                }
                            }
                            x += bw
                        }
                    }
                }
            }
        }
    }
}
