/// The pixel size of a JPEG or PNG read from its header, so that oversized images are refused before any pixel
/// is decoded (a small file can declare a huge image).
public struct ImageDimensions: Equatable, Sendable {
    /// Columns.
    public var width: Int
    /// Rows.
    public var height: Int
    /// `width * height`, or `Int.max` when that overflows (a PNG may declare 2^32 - 1 by 2^32 - 1).
    public var pixels: Int {
        let (product, overflow) = width.multipliedReportingOverflow(by: height)
        return overflow ? .max : product
    }

    /// The size declared by the PNG `IHDR` chunk or the first JPEG start-of-frame marker; `nil` when the bytes are
    /// neither, or the header is cut short (the decoder then reports the error).
    public init?(_ bytes: UnsafeRawBufferPointer) {
        if let size = Self.png(bytes) ?? Self.jpeg(bytes) {
            self = size
        } else {
            return nil
        }
    }

    private init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    private static func be16(_ b: UnsafeRawBufferPointer, _ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }

    private static func png(_ b: UnsafeRawBufferPointer) -> ImageDimensions? {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard b.count >= 24, b.prefix(8).elementsEqual(signature), b[12] == 0x49, b[13] == 0x48, b[14] == 0x44,
            b[15] == 0x52
        else { return nil }
        let width = be16(b, 16) << 16 | be16(b, 18)
        let height = be16(b, 20) << 16 | be16(b, 22)
        return ImageDimensions(width: width, height: height)
    }

    private static func jpeg(_ b: UnsafeRawBufferPointer) -> ImageDimensions? {
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else { return nil }
        var i = 2
        while i + 1 < b.count {
            guard b[i] == 0xFF else { return nil }
            var marker = b[i + 1]
            i += 2
            while marker == 0xFF, i < b.count {  // fill bytes
                marker = b[i]
                i += 1
            }
            switch marker {
            case 0x01, 0xD0...0xD8: continue  // no length field
            case 0xD9, 0xDA: return nil  // end of image or start of scan before any frame header
            default: break
            }
            guard i + 1 < b.count else { return nil }
            let length = be16(b, i)
            guard length >= 2 else { return nil }
            let isFrame = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
            if isFrame {
                guard i + 6 < b.count else { return nil }
                return ImageDimensions(width: be16(b, i + 5), height: be16(b, i + 3))
            }
            i += length
        }
        return nil
    }
}
