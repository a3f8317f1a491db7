import Foundation

/// The EXIF orientation tag (0x0112) of a JPEG, read from its APP1 "Exif" segment.
///
/// Values follow the TIFF spec: 1 = as stored, 2 = mirrored, 3 = rotated 180°, 4 = flipped,
/// 5 = transposed, 6 = needs 90° clockwise rotation, 7 = transversed, 8 = needs 90° counter-clockwise rotation.
public struct EXIFOrientation: RawRepresentable, Sendable, Hashable {
    /// The tag's value, 1 to 8.
    public let rawValue: Int
    /// The orientation with this tag value; `nil` outside 1...8.
    public init?(rawValue: Int) {
        guard (1...8).contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// Parses the orientation of a JPEG; `nil` when there is no (valid) tag.
    public init?(jpeg data: Data) {
        let bytes = [UInt8](data.prefix(1 << 20))  // APP segments come first
        guard let value = Self.parse(bytes) else { return nil }
        self.init(rawValue: value)
    }

    /// Returns the upright image (like Pillow's `ImageOps.exif_transpose`).
    public func apply(to image: OCRImage) -> OCRImage {
        switch rawValue {
        case 2: image.flippedHorizontally()
        case 3: image.rotated180()
        case 4: image.flippedVertically()
        case 5: image.transposed()
        case 6: image.rotated90Clockwise()
        case 7: image.transversed()
        case 8: image.rotated90CounterClockwise()
        default: image
        }
    }

    static func parse(_ b: [UInt8]) -> Int? {
        guard b.count > 4, b[0] == 0xFF, b[1] == 0xD8 else { return nil }
        var i = 2
        while i + 4 <= b.count {
            guard b[i] == 0xFF else { return nil }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { i += 2; continue }
            if marker == 0xDA || marker == 0xD9 { return nil }  // start of scan: no more metadata
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 2, i + 2 + length <= b.count else { return nil }
            let start = i + 4, end = i + 2 + length
            if marker == 0xE1, end - start >= 14, b[start..<(start + 6)].elementsEqual([0x45, 0x78, 0x69, 0x66, 0, 0]) {
                if let value = parseTIFF(b, from: start + 6, to: end) { return value }
            }
            i = end
        }
        return nil
    }

    private static func parseTIFF(_ b: [UInt8], from t: Int, to end: Int) -> Int? {
        guard t + 8 <= end else { return nil }
        let little: Bool
        switch (b[t], b[t + 1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= t, o + 2 <= end else { return nil }
            return little ? Int(b[o]) | Int(b[o + 1]) << 8 : Int(b[o]) << 8 | Int(b[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let lo = u16(little ? o : o + 2), let hi = u16(little ? o + 2 : o) else { return nil }
            return hi << 16 | lo
        }
        guard u16(t + 2) == 42, let ifd = u32(t + 4), let count = u16(t + ifd) else { return nil }
        for k in 0..<count {
            let entry = t + ifd + 2 + 12 * k
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112 {
                guard let type = u16(entry + 2), type == 3, let value = u16(entry + 8) else { return nil }
                return value
            }
        }
        return nil
    }
}
