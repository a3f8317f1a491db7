import CImageCodecs
import Foundation

/// PNG encoding through libpng.
enum PNGEncoder {
    /// Encodes interleaved 8-bit pixels (`channels` 1 = grey, 2 = grey+alpha, 3 = RGB, 4 = RGBA).
    static func encode(pixels: [UInt8], width: Int, height: Int, channels: Int) throws(OCRError) -> Data {
        guard width > 0, height > 0, (1...4).contains(channels), pixels.count == width * height * channels else {
            throw OCRError(
                .encodingFailed,
                "expected \(width)x\(height)x\(channels) = \(width * height * channels) bytes, got \(pixels.count)")
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = pixels.withUnsafeBufferPointer { px in
            message.withUnsafeMutableBufferPointer { msg in
                cic_png_encode(
                    px.baseAddress!, Int32(width), Int32(height), Int32(channels), width * channels, &out, &size,
                    msg.baseAddress!, msg.count)
            }
        }
        defer { cic_buffer_free(out) }
        guard status == Int32(CIC_OK), let out else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw OCRError(.encodingFailed, "PNG encoding failed: \(text)")
        }
        return Data(bytes: out, count: size)
    }
}

extension OCRImage {
    /// Encodes the image as an RGB PNG.
    public func pngData() throws(OCRError) -> Data {
        var rgb = pixels
        var i = 0
        while i < rgb.count {
            rgb.swapAt(i, i + 2)
            i += 3
        }
        return try PNGEncoder.encode(pixels: rgb, width: width, height: height, channels: 3)
    }
}
