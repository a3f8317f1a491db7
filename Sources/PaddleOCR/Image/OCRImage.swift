import Foundation

/// An 8-bit, 3-channel image in **BGR** order (the order every PP-OCR stage works in), rows stored
/// contiguously without padding.
///
/// Create one by decoding JPEG/PNG bytes with ``init(decoding:applyEXIFOrientation:maxPixels:)`` or from raw
/// pixels with ``init(width:height:bgr:)``. Values are immutable and `Sendable`.
public struct OCRImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height * 3` bytes, B,G,R per pixel, row-major.
    public let pixels: [UInt8]

    /// Wraps raw BGR pixels.
    /// - Throws: ``OCRError/Code/invalidImage`` if `bgr.count != width * height * 3` or a side is not positive.
    public init(width: Int, height: Int, bgr: [UInt8]) throws(OCRError) {
        guard width > 0, height > 0 else {
            throw OCRError(.invalidImage, "image size must be positive, got \(width)x\(height)")
        }
        guard bgr.count == width * height * 3 else {
            throw OCRError(.invalidImage, "expected \(width * height * 3) BGR bytes for \(width)x\(height), got \(bgr.count)")
        }
        self.init(uncheckedWidth: width, height: height, pixels: bgr)
    }

    init(uncheckedWidth width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Builds an image by filling a freshly allocated BGR buffer.
    static func make(width: Int, height: Int, _ fill: (UnsafeMutableBufferPointer<UInt8>) -> Void) -> OCRImage {
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
            fill(buffer)
            count = width * height * 3
        }
        return OCRImage(uncheckedWidth: width, height: height, pixels: pixels)
    }

    /// The B,G,R values at (x, y).
    public subscript(x: Int, y: Int) -> (b: UInt8, g: UInt8, r: UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }
}
