/// Bilinear resize of BGR `UInt8` images that reproduces OpenCV 4.x `cv2.resize(..., INTER_LINEAR)`:
/// pixel-centre mapping, 11-bit fixed-point coefficients, a horizontal pass into 32-bit rows and the
/// SIMD vertical pass (`VResizeLinearVec_32s8u`: `((s0>>4)·b0>>16) + ((s1>>4)·b1>>16) + 2 >> 2`, which
/// opencv-python 4.11 applies to whole rows, tails included), and the 2×2 area shortcut for exact halving.
enum LinearResize {
    static let coefBits = 11
    static let coefScale: Float = 2048

    /// Resizes `src` to `width` x `height`.
    static func resize(_ src: OCRImage, width dw: Int, height dh: Int) -> OCRImage {
        precondition(dw > 0 && dh > 0)
        let sw = src.width, sh = src.height
        if dw == sw && dh == sh { return src }
        let scaleX = Double(sw) / Double(dw), scaleY = Double(sh) / Double(dh)
        if scaleX == 2, scaleY == 2 { return halve(src, width: dw, height: dh) }
        let cn = 3
        let rowLength = dw * cn

        // Horizontal tables (per output element).
        var xofs = [Int](repeating: 0, count: rowLength)
        var alpha = [Int32](repeating: 0, count: dw * 2)
        var xmax = dw
        for dx in 0..<dw {
            var fx = Float((Double(dx) + 0.5) * scaleX - 0.5)
            var sx = Int(fx.rounded(.down))
            fx -= Float(sx)
            if sx < 0 { fx = 0; sx = 0 }
            if sx + 1 >= sw {
                xmax = min(xmax, dx)
                if sx >= sw - 1 { fx = 0; sx = sw - 1 }
            }
            for k in 0..<cn { xofs[dx * cn + k] = sx * cn + k }
            alpha[dx * 2] = Int32(((1 - fx) * coefScale).rounded(.toNearestOrEven))
            alpha[dx * 2 + 1] = Int32((fx * coefScale).rounded(.toNearestOrEven))
        }
        // Vertical tables.
        var yofs = [Int](repeating: 0, count: dh)
        var beta = [Int32](repeating: 0, count: dh * 2)
        for dy in 0..<dh {
            var fy = Float((Double(dy) + 0.5) * scaleY - 0.5)
            let sy = Int(fy.rounded(.down))
            fy -= Float(sy)
            yofs[dy] = sy
            beta[dy * 2] = Int32(((1 - fy) * coefScale).rounded(.toNearestOrEven))
            beta[dy * 2 + 1] = Int32((fy * coefScale).rounded(.toNearestOrEven))
        }
        let xmaxElements = xmax * cn

        return src.pixels.withUnsafeBufferPointer { srcPixels in
            OCRImage.make(width: dw, height: dh) { dst in
                let rows = UnsafeMutableBufferPointer<Int32>.allocate(capacity: rowLength * 2)
                defer { rows.deallocate() }
                var cached = (-1, -1)  // source row held in rows[0..], rows[rowLength..]
                xofs.withUnsafeBufferPointer { xofs in
                    alpha.withUnsafeBufferPointer { alpha in
                        func horizontal(_ sy: Int, into slot: Int) {
                            let s = srcPixels.baseAddress! + sy * sw * cn
                            let d = rows.baseAddress! + slot * rowLength
                            var e = 0
                            var dx = 0
                            while e < xmaxElements {
                                let a0 = alpha[dx * 2], a1 = alpha[dx * 2 + 1]
                                for _ in 0..<cn {
                                    let sx = xofs[e]
                                    d[e] = Int32(s[sx]) &* a0 &+ Int32(s[sx + cn]) &* a1
                                    e += 1
                                }
                                dx += 1
                            }
                            while e < rowLength {
                                d[e] = Int32(s[xofs[e]]) &* 2048
                                e += 1
                            }
                        }
                        for dy in 0..<dh {
                            let sy0 = min(max(yofs[dy], 0), sh - 1)
                            let sy1 = min(max(yofs[dy] + 1, 0), sh - 1)
                            // Fill the two slots, reusing rows already computed.
                            var slot0 = -1, slot1 = -1
                            if cached.0 == sy0 { slot0 = 0 } else if cached.1 == sy0 { slot0 = 1 }
                            if cached.0 == sy1 && slot0 != 0 { slot1 = 0 } else if cached.1 == sy1 && slot0 != 1 { slot1 = 1 }
                            if sy0 == sy1, slot0 >= 0 { slot1 = slot0 }
                            if slot0 < 0 {
                                slot0 = slot1 == 0 ? 1 : 0
                                horizontal(sy0, into: slot0)
                                if slot0 == 0 { cached.0 = sy0 } else { cached.1 = sy0 }
                                if sy1 == sy0 { slot1 = slot0 }
                            }
                            if slot1 < 0 {
                                slot1 = slot0 == 0 ? 1 : 0
                                horizontal(sy1, into: slot1)
                                if slot1 == 0 { cached.0 = sy1 } else { cached.1 = sy1 }
                            }
                            let r0 = rows.baseAddress! + slot0 * rowLength
                            let r1 = rows.baseAddress! + slot1 * rowLength
                            let b0 = beta[dy * 2], b1 = beta[dy * 2 + 1]
                            let out = dst.baseAddress! + dy * rowLength
                            for x in 0..<rowLength {
                                let t0 = (clamp16(r0[x] >> 4) &* b0) >> 16
                                let t1 = (clamp16(r1[x] >> 4) &* b1) >> 16
                                let sum = clamp16(t0 &+ t1)
                                let v = (sum + 2) >> 2
                                out[x] = UInt8(clamping: v)
                            }
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func clamp16(_ v: Int32) -> Int32 { min(max(v, -32768), 32767) }

    /// Exact 2x downscale: OpenCV switches INTER_LINEAR to its fast area path (2x2 mean, rounded).
    private static func halve(_ src: OCRImage, width dw: Int, height dh: Int) -> OCRImage {
        let sw = src.width
        return src.pixels.withUnsafeBufferPointer { s in
            OCRImage.make(width: dw, height: dh) { d in
                for y in 0..<dh {
                    let a = (2 * y) * sw * 3, b = (2 * y + 1) * sw * 3
                    for x in 0..<dw {
                        for c in 0..<3 {
                            let i = 6 * x + c
                            let sum = Int(s[a + i]) + Int(s[a + i + 3]) + Int(s[b + i]) + Int(s[b + i + 3])
                            d[(y * dw + x) * 3 + c] = UInt8((sum + 2) >> 2)
                        }
                    }
                }
            }
        }
    }
}
