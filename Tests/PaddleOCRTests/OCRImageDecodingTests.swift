import Foundation
import Testing

@testable import PaddleOCR

/// Decoding of JPEG/PNG bytes into BGR images, colour conversions and typed errors.
@Suite struct OCRImageDecodingTests {
    /// A 2x1 PNG made with our own encoder.
    func png(_ pixels: [UInt8], width: Int = 2, height: Int = 1, channels: Int) throws -> Data {
        try PNGEncoder.encode(pixels: pixels, width: width, height: height, channels: channels)
    }

    @Test func decode_greyPNG_replicatesIntoBGR() throws {
        let image = try OCRImage(decoding: png([10, 200], channels: 1))
        #expect(image.width == 2 && image.height == 1)
        #expect(image.pixels == [10, 10, 10, 200, 200, 200])
    }

    @Test func decode_rgbPNG_swapsToBGR() throws {
        let image = try OCRImage(decoding: png([200, 100, 50, 1, 2, 3], channels: 3))
        #expect(image.pixels == [50, 100, 200, 3, 2, 1])
    }

    @Test func decode_rgbaPNG_compositesOverWhite() throws {
        // Opaque pixel keeps its colour (the reference would invert it); transparent pixel becomes white;
        // half-transparent black becomes mid grey.
        let image = try OCRImage(decoding: png([200, 100, 50, 255, 0, 0, 0, 0, 0, 0, 0, 128], width: 3, channels: 4))
        #expect(image.pixels == [50, 100, 200, 255, 255, 255, 127, 127, 127])
    }

    @Test func decode_greyAlphaPNG_compositesOverWhite() throws {
        let image = try OCRImage(decoding: png([0, 255, 0, 0], channels: 2))
        #expect(image.pixels == [0, 0, 0, 255, 255, 255])
    }

    @Test func decode_palettePNG_usesPaletteColours() throws {
        let data = PaletteDecodingFixture.pngWithPalette(colours: [(200, 100, 50), (0, 128, 255)], indices: [1, 0])
        let image = try OCRImage(decoding: data)
        // The reference would read the indices (1, 0) as grey levels; we use the real colours.
        #expect(image.pixels == [255, 128, 0, 50, 100, 200])
    }

    @Test func decode_paletteWithTransparency_compositesOverWhite() throws {
        let data = PaletteDecodingFixture.pngWithPalette(colours: [(200, 100, 50), (0, 0, 0)], indices: [0, 1], alphas: [255, 0])
        let image = try OCRImage(decoding: data)
        #expect(image.pixels == [50, 100, 200, 255, 255, 255])
    }

    @Test func pngRoundTrip_bgrImage_isLossless() throws {
        let image = try OCRImage(width: 3, height: 2, bgr: Array(0..<18).map { UInt8($0 * 13) })
        #expect(try OCRImage(decoding: image.pngData()) == image)
    }

    @Test func decode_garbage_throwsInvalidImage() {
        #expect { try OCRImage(decoding: Data("hello, not an image".utf8)) } throws: { error in
            (error as? OCRError)?.code == .invalidImage
        }
        #expect { try OCRImage(decoding: Data()) } throws: { error in
            (error as? OCRError)?.code == .invalidImage
        }
    }

    @Test func decode_truncatedPNG_throwsInvalidImage() throws {
        let data = try OCRImage(width: 40, height: 40, bgr: [UInt8](repeating: 7, count: 4800)).pngData()
        for cut in [8, 20, data.count / 2, data.count - 13] {
            #expect(throws: OCRError.self) { try OCRImage(decoding: data.prefix(cut)) }
        }
    }

    @Test func decode_corruptPNGChecksum_throwsInvalidImage() throws {
        var data = try OCRImage(width: 4, height: 4, bgr: [UInt8](repeating: 9, count: 48)).pngData()
        data[data.count - 20] ^= 0xFF  // inside IDAT
        #expect { try OCRImage(decoding: data) } throws: { ($0 as? OCRError)?.code == .invalidImage }
    }

    @Test func decode_truncatedJPEG_throwsInvalidImage() throws {
        try ReferenceData.require()
        let data = try ReferenceData.imageData("en.jpg")
        for cut in [3, 100, 700, data.count / 2, data.count - 10] {
            #expect { try OCRImage(decoding: data.prefix(cut)) } throws: { ($0 as? OCRError)?.code == .invalidImage }
        }
    }

    @Test func decode_jpegHeaderWithGarbage_throwsInvalidImage() {
        let data = Data([0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 0x41, count: 300))
        #expect { try OCRImage(decoding: data) } throws: { ($0 as? OCRError)?.code == .invalidImage }
    }

    @Test func decode_exifOrientation3_rotatesOnlyWhenAsked() throws {
        try ReferenceData.require()
        let data = try ReferenceData.imageData("img_exif_orientation.jpg")
        #expect(EXIFOrientation(jpeg: data)?.rawValue == 3)
        let stored = try OCRImage(decoding: data, applyEXIFOrientation: false)
        let upright = try OCRImage(decoding: data)
        #expect(stored.width == 752 && stored.height == 306)
        #expect(upright == stored.rotated180())
    }

    @Test func exifOrientation_allValues_matchPillowTransposes() throws {
        let image = try OCRImage(width: 3, height: 2, bgr: Array(0..<18).map { UInt8($0) })
        #expect(EXIFOrientation(rawValue: 1)!.apply(to: image) == image)
        #expect(EXIFOrientation(rawValue: 3)!.apply(to: image) == image.rotated180())
        let cw = EXIFOrientation(rawValue: 6)!.apply(to: image)
        #expect(cw.width == 2 && cw.height == 3 && cw[1, 0] == image[0, 0])
        let ccw = EXIFOrientation(rawValue: 8)!.apply(to: image)
        #expect(ccw.width == 2 && ccw.height == 3 && ccw[0, 2] == image[0, 0])
        #expect(EXIFOrientation(rawValue: 9) == nil)
    }

    @Test func exifOrientation_jpegWithoutEXIF_isNil() throws {
        try ReferenceData.require()
        #expect(EXIFOrientation(jpeg: try ReferenceData.imageData("00006737.jpg")) == nil)
        #expect(EXIFOrientation(jpeg: try ReferenceData.imageData("en.jpg"))?.rawValue == 1)
    }

    @Test func decode_allSharedImages_matchReferenceSizes() throws {
        try ReferenceData.require()
        for name in ReferenceData.imageNames {
            let ref = try ReferenceData.reference(name)
            let image = try OCRImage(decoding: ReferenceData.imageData(name), applyEXIFOrientation: false)
            #expect([image.height, image.width] == ref.stages.loaded_hw, "\(name)")
        }
    }
}

/// Builds palette PNGs by hand (chunks + zlib stored blocks), since our encoder writes only grey/RGB(A).
enum PaletteDecodingFixture {
    static func pngWithPalette(colours: [(UInt8, UInt8, UInt8)], indices: [UInt8], alphas: [UInt8]? = nil) -> Data {
        var out = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        func chunk(_ type: String, _ body: [UInt8]) {
            var be = UInt32(body.count).bigEndian
            out.append(Data(bytes: &be, count: 4))
            let typed = Array(type.utf8) + body
            out.append(contentsOf: typed)
            var crc = crc32(typed).bigEndian
            out.append(Data(bytes: &crc, count: 4))
        }
        let w = UInt32(indices.count)
        chunk("IHDR", bytes(w) + bytes(1) + [8, 3, 0, 0, 0])
        chunk("PLTE", colours.flatMap { [$0.0, $0.1, $0.2] })
        if let alphas { chunk("tRNS", alphas) }
        let raw: [UInt8] = [0] + indices  // filter type 0
        chunk("IDAT", zlibStored(raw))
        chunk("IEND", [])
        return out
    }

    static func bytes(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        let len = UInt16(data.count)
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return [0x78, 0x01, 1, UInt8(len & 0xFF), UInt8(len >> 8), UInt8(~len & 0xFF), UInt8(~len >> 8)] + data
            + bytes(b << 16 | a)
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
