import CImageCodecs
import Foundation

/// Decodes JPEG and PNG bytes into BGR ``OCRImage``s through libjpeg-turbo and libpng.
///
/// Colour handling (differences from RapidOCR, which uses Pillow + numpy, are deliberate):
/// - grey → B=G=R (same as the reference);
/// - RGB → BGR (same);
/// - palette → the palette's real colours (the reference treats palette *indices* as grey);
/// - any alpha channel (RGBA, grey+alpha, palette or grey/RGB with tRNS) → composited over white,
///   `c·a/255 + 255·(1 − a/255)` rounded (the reference inverts opaque RGBA images and only whitens
///   the transparent ones);
/// - CMYK JPEG → RGB (Adobe inverted CMYK handled);
/// - EXIF orientation (JPEG APP1) applied when asked (the reference ignores it).
enum ImageDecoder {
    enum Format: String, Sendable { case jpeg = "JPEG", png = "PNG" }

    static func sniff(_ data: Data) -> Format? {
        if data.count >= 3, data[data.startIndex] == 0xFF, data[data.startIndex + 1] == 0xD8,
            data[data.startIndex + 2] == 0xFF
        {
            return .jpeg
        }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if data.count >= 8, data.prefix(8).elementsEqual(png) { return .png }
        return nil
    }

    static func decode(_ data: Data, applyEXIFOrientation: Bool, maxPixels: Int? = nil) throws(OCRError) -> OCRImage {
        guard let format = sniff(data) else {
            throw OCRError(.invalidImage, "unrecognised image format: expected JPEG or PNG data (\(data.count) bytes given)")
        }
        var image = cic_image()
        var message = [CChar](repeating: 0, count: 256)
        let limit = size_t(max(maxPixels ?? 0, 0))
        let status: Int32 = data.withUnsafeBytes { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            return message.withUnsafeMutableBufferPointer { msg in
                switch format {
                case .jpeg: cic_jpeg_decode(base, raw.count, limit, &image, msg.baseAddress!, msg.count)
                case .png: cic_png_decode(base, raw.count, limit, &image, msg.baseAddress!, msg.count)
                }
            }
        }
        defer { cic_image_free(&image) }
        guard status == Int32(CIC_OK), let src = image.pixels else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let code: OCRError.Code =
                switch status {
                case Int32(CIC_ERR_UNSUPPORTED): .unsupportedImage
                case Int32(CIC_ERR_TOO_LARGE): .imageTooLarge
                default: .invalidImage
                }
            throw OCRError(code, "cannot decode \(format.rawValue) data (\(data.count) bytes): \(text)")
        }
        let decoded = toBGR(src, width: Int(image.width), height: Int(image.height), channels: Int(image.channels))
        guard applyEXIFOrientation, format == .jpeg, let orientation = EXIFOrientation(jpeg: data) else {
            return decoded
        }
        return orientation.apply(to: decoded)
    }

    /// Converts 1–4 channel 8-bit pixels (grey, grey+alpha, RGB, RGBA) to BGR; alpha is composited over white.
    static func toBGR(_ src: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int) -> OCRImage {
        let n = width * height
        return OCRImage.make(width: width, height: height) { dst in
            switch channels {
            case 1:
                for p in 0..<n {
                    let v = src[p]
                    dst[3 * p] = v; dst[3 * p + 1] = v; dst[3 * p + 2] = v
                }
            case 2:
                for p in 0..<n {
                    let v = overWhite(src[2 * p], alpha: src[2 * p + 1])
                    dst[3 * p] = v; dst[3 * p + 1] = v; dst[3 * p + 2] = v
                }
            case 3:
                for p in 0..<n {
                    dst[3 * p] = src[3 * p + 2]; dst[3 * p + 1] = src[3 * p + 1]; dst[3 * p + 2] = src[3 * p]
                }
            default:
                for p in 0..<n {
                    let a = src[4 * p + 3]
                    dst[3 * p] = overWhite(src[4 * p + 2], alpha: a)
                    dst[3 * p + 1] = overWhite(src[4 * p + 1], alpha: a)
                    dst[3 * p + 2] = overWhite(src[4 * p], alpha: a)
                }
            }
        }
    }

    @inline(__always)
    static func overWhite(_ c: UInt8, alpha a: UInt8) -> UInt8 {
        let v = Int(c) * Int(a) + 255 * (255 - Int(a))
        return UInt8((v + 127) / 255)
    }
}

extension OCRImage {
    /// Decodes JPEG or PNG bytes (format detected from the signature).
    ///
    /// - Parameters:
    ///   - data: the encoded image.
    ///   - applyEXIFOrientation: rotate/flip according to the JPEG EXIF orientation tag (default `true`).
    ///     With `false` the stored pixels are used as they are, like RapidOCR.
    ///   - maxPixels: The most pixels accepted, checked against the size the decoder reads from the header before
    ///     it allocates anything image-sized (`nil`: 2^28). For untrusted bytes: a small file can declare a huge image.
    /// - Throws: ``OCRError`` with code ``OCRError/Code/invalidImage`` for unknown, corrupt or truncated data,
    ///   ``OCRError/Code/imageTooLarge`` beyond `maxPixels`.
    public init(decoding data: Data, applyEXIFOrientation: Bool = true, maxPixels: Int? = nil) throws(OCRError) {
        self = try ImageDecoder.decode(data, applyEXIFOrientation: applyEXIFOrientation, maxPixels: maxPixels)
    }

    /// Reads and decodes an image file. See ``init(decoding:applyEXIFOrientation:maxPixels:)``.
    public init(contentsOfFile path: String, applyEXIFOrientation: Bool = true) throws(OCRError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw OCRError(.invalidImage, "cannot read image file \(path): \(error.localizedDescription)")
        }
        self = try ImageDecoder.decode(data, applyEXIFOrientation: applyEXIFOrientation)
    }
}
