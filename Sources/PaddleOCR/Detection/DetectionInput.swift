/// Detection pre-processing (RapidOCR `DetPreProcess`): resize to multiples of 32 and normalise into NCHW float32.
struct DetectionInput: Sendable {
    /// Detector input size (multiples of 32).
    var width: Int
    var height: Int
    /// `[1, 3, height, width]` float32 values, B,G,R planes.
    var values: [Float]

    /// The resize target for an image of `width` x `height`, or `nil` when a side would be 0.
    static func targetSize(width w: Int, height h: Int, options: OCROptions.Detection) -> (width: Int, height: Int)? {
        let limit = Double(options.limitSideLength)
        var ratio = 1.0
        switch options.limitType {
        case .max:
            if max(h, w) > options.limitSideLength { ratio = limit / Double(h > w ? h : w) }
        case .min:
            if min(h, w) < options.limitSideLength { ratio = limit / Double(h < w ? h : w) }
        }
        let rh = roundToMultipleOf32(Int(Double(h) * ratio))
        let rw = roundToMultipleOf32(Int(Double(w) * ratio))
        guard rh > 0, rw > 0 else { return nil }
        return (rw, rh)
    }

    init?(image: OCRImage, options: OCROptions.Detection) {
        guard let size = Self.targetSize(width: image.width, height: image.height, options: options) else { return nil }
        let resized = LinearResize.resize(image, width: size.width, height: size.height)
        width = size.width
        height = size.height
        let plane = width * height
        let scale = Float(1.0 / 255.0)
        let mean = options.mean, std = options.std
        values = [Float](unsafeUninitializedCapacity: 3 * plane) { out, count in
            resized.pixels.withUnsafeBufferPointer { px in
                for c in 0..<3 {
                    let m = mean[c], s = std[c]
                    let o = out.baseAddress! + c * plane
                    for i in 0..<plane { o[i] = (Float(px[i * 3 + c]) * scale - m) / s }
                }
            }
            count = 3 * plane
        }
    }
}
