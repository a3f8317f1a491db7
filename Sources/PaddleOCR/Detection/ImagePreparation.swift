/// RapidOCR's global pre-step (`preprocess` + `maybe_add_letterbox`): caps the longest side, raises the shortest
/// side, and letterboxes very flat images. The prepared image is what the detector sees and what lines are
/// cropped from.
struct PreparedImage: Sendable {
    /// The image after resizing and padding.
    var image: OCRImage
    /// original height / resized height (1 when not resized).
    var ratioH: Double
    /// original width / resized width.
    var ratioW: Double
    /// Black rows added above (and below).
    var padTop: Int
    /// Size after the global resize, before the letterbox.
    var resizedHeight: Int
    var resizedWidth: Int

    init(_ original: OCRImage, options: OCROptions.Preprocessing) throws(OCRError) {
        var img = original
        var ratioH = 1.0, ratioW = 1.0
        if max(img.height, img.width) > options.maxSideLength {
            let h = img.height, w = img.width
            let ratio = Double(options.maxSideLength) / Double(h > w ? h : w)
            (img, ratioH, ratioW) = try Self.resize(img, ratio: ratio)
        }
        if min(img.height, img.width) < options.minSideLength {
            let h = img.height, w = img.width
            let ratio = Double(options.minSideLength) / Double(h < w ? h : w)
            (img, ratioH, ratioW) = try Self.resize(img, ratio: ratio)
        }
        resizedHeight = img.height
        resizedWidth = img.width
        // Letterbox.
        let h = img.height, w = img.width
        let ratioLimit = options.widthHeightRatio
        let useRatio = ratioLimit > 0 && Double(w) / Double(h) > ratioLimit
        var pad = 0
        if h <= options.minHeight || useRatio {
            let newH = max(ratioLimit > 0 ? Int(Double(w) / ratioLimit) : 0, options.minHeight) * 2
            pad = abs(newH - h) / 2
            img = img.paddedVertically(top: pad, bottom: pad)
        }
        self.image = img
        self.ratioH = ratioH
        self.ratioW = ratioW
        self.padTop = pad
    }

    /// `reduce_max_side` / `increase_min_side`: truncate, round to a multiple of 32 (half to even), resize.
    private static func resize(_ img: OCRImage, ratio: Double) throws(OCRError) -> (OCRImage, Double, Double) {
        let h = img.height, w = img.width
        let rh = roundToMultipleOf32(Int(Double(h) * ratio))
        let rw = roundToMultipleOf32(Int(Double(w) * ratio))
        guard rh > 0, rw > 0 else {
            throw OCRError(.invalidImage, "image \(w)x\(h) cannot be resized by \(ratio): a side would be 0")
        }
        return (LinearResize.resize(img, width: rw, height: rh), Double(h) / Double(rh), Double(w) / Double(rw))
    }

    /// Maps a box from prepared-image coordinates back to the original image (float32 like the reference).
    func originalPoints(_ box: [PointF], originalWidth: Int, originalHeight: Int) -> [PointF] {
        box.map { p in
            var x = p.x, y = p.y - Float(padTop)
            x *= Float(ratioW)
            y *= Float(ratioH)
            x = max(x, 0); y = max(y, 0)
            if x > Float(originalWidth) { x = Float(originalWidth) }
            if y > Float(originalHeight) { y = Float(originalHeight) }
            return PointF(x, y)
        }
    }
}

/// `int(round(x / 32) * 32)` with Python's half-to-even `round`.
func roundToMultipleOf32(_ x: Int) -> Int {
    Int((Double(x) / 32).rounded(.toNearestOrEven)) * 32
}
