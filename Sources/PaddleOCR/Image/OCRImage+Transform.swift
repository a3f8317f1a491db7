/// Lossless geometric transforms (rotations, flips, padding, cropping).
extension OCRImage {
    /// Generic remap for lossless transforms: output (x, y) takes input `source(x, y)`.
    private func remapped(width ow: Int, height oh: Int, _ source: (Int, Int) -> (Int, Int)) -> OCRImage {
        let iw = width
        return pixels.withUnsafeBufferPointer { src in
            OCRImage.make(width: ow, height: oh) { dst in
                var o = 0
                for y in 0..<oh {
                    for x in 0..<ow {
                        let (sx, sy) = source(x, y)
                        let i = (sy * iw + sx) * 3
                        dst[o] = src[i]; dst[o + 1] = src[i + 1]; dst[o + 2] = src[i + 2]
                        o += 3
                    }
                }
            }
        }
    }

    /// Rotated by 180° (`cv2.rotate(img, ROTATE_180)`).
    public func rotated180() -> OCRImage {
        let w = width, h = height
        return pixels.withUnsafeBufferPointer { src in
            OCRImage.make(width: w, height: h) { dst in
                let n = w * h
                for p in 0..<n {
                    let q = (n - 1 - p) * 3
                    dst[p * 3] = src[q]; dst[p * 3 + 1] = src[q + 1]; dst[p * 3 + 2] = src[q + 2]
                }
            }
        }
    }

    /// Rotated 90° counter-clockwise (`np.rot90(img)`): out[i][j] = in[j][W-1-i].
    public func rotated90CounterClockwise() -> OCRImage {
        let w = width
        return remapped(width: height, height: width) { x, y in (w - 1 - y, x) }
    }

    /// Rotated 90° clockwise.
    public func rotated90Clockwise() -> OCRImage {
        let h = height
        return remapped(width: height, height: width) { x, y in (y, h - 1 - x) }
    }

    /// Mirrored left-right.
    public func flippedHorizontally() -> OCRImage {
        let w = width
        return remapped(width: width, height: height) { x, y in (w - 1 - x, y) }
    }

    /// Mirrored top-bottom.
    public func flippedVertically() -> OCRImage {
        let h = height
        return remapped(width: width, height: height) { x, y in (x, h - 1 - y) }
    }

    /// Transposed (mirror along the main diagonal).
    func transposed() -> OCRImage {
        remapped(width: height, height: width) { x, y in (y, x) }
    }

    /// Transversed (mirror along the anti-diagonal).
    func transversed() -> OCRImage {
        let w = width, h = height
        return remapped(width: height, height: width) { x, y in (w - 1 - y, h - 1 - x) }
    }

    /// Pads `top` rows above and `bottom` rows below with black (`cv2.copyMakeBorder`, BORDER_CONSTANT 0).
    func paddedVertically(top: Int, bottom: Int) -> OCRImage {
        guard top > 0 || bottom > 0 else { return self }
        var out = [UInt8](repeating: 0, count: width * (height + top + bottom) * 3)
        let start = top * width * 3
        out.replaceSubrange(start..<(start + pixels.count), with: pixels)
        return OCRImage(uncheckedWidth: width, height: height + top + bottom, pixels: out)
    }
}
