import Foundation

/// The cls/rec line pre-processing shared by RapidOCR's classifier and recogniser: resize to a fixed height
/// keeping the aspect ratio (capped at the batch width), `x/255 - 0.5) / 0.5`, zero padding on the right.
enum LineTensor {
    /// `ceil(height * w / h)` capped at `maxWidth`.
    static func resizedWidth(of crop: OCRImage, height: Int, maxWidth: Int) -> Int {
        let ratio = Double(crop.width) / Double(crop.height)
        let w = (Double(height) * ratio).rounded(.up)
        return w > Double(maxWidth) ? maxWidth : max(Int(w), 1)
    }

    /// Builds a `[n, 3, height, width]` batch.
    static func batch(_ crops: [OCRImage], height: Int, width: Int) -> [Float] {
        let plane = height * width
        var values = [Float](repeating: 0, count: crops.count * 3 * plane)
        values.withUnsafeMutableBufferPointer { out in
            for (n, crop) in crops.enumerated() {
                let rw = resizedWidth(of: crop, height: height, maxWidth: width)
                let resized = LinearResize.resize(crop, width: rw, height: height)
                resized.pixels.withUnsafeBufferPointer { px in
                    for c in 0..<3 {
                        let base = out.baseAddress! + (n * 3 + c) * plane
                        for y in 0..<height {
                            let row = base + y * width
                            let src = y * rw * 3 + c
                            for x in 0..<rw { row[x] = (Float(px[src + x * 3]) / 255 - 0.5) / 0.5 }
                        }
                    }
                }
            }
        }
        return values
    }

    /// Indices sorted by aspect ratio w/h ascending (stable).
    static func orderByAspect(_ crops: [OCRImage]) -> [Int] {
        let ratios = crops.map { Double($0.width) / Double($0.height) }
        return stableSorted(Array(crops.indices)) { ratios[$0] < ratios[$1] }
    }
}
