import Foundation
import KServeProtocol
import PaddleOCR
import PaddleTestSupport
import Testing

@testable import PaddleOCRServing

/// Inputs that the fuzz targets (fuzz/) found; each is kept in `fuzz/corpus/<target>/regressions/`, which every fuzz
/// run replays too.
@Suite struct FuzzRegressionTests {
    /// A file of `fuzz/corpus/<target>/regressions/`.
    static func regression(_ target: String, _ name: String) throws -> Data {
        let root = URL(fileURLWithPath: TestEnvironment.repository)
        return try Data(contentsOf: root.appendingPathComponent("fuzz/corpus/\(target)/regressions/\(name)"))
    }

    /// A PNG whose IHDR declares 0xC5C5C5C5 x 0xC5C5C5C5: `width * height` overflowed `Int` and trapped the server in
    /// the OCR route's size check (FuzzImage, within 5 s).
    @Test func imageDimensions_pngDeclaringOverflowingSize_pixelsSaturate() throws {
        let data = try Self.regression("FuzzImage", "png_ihdr_pixels_overflow.png")
        let size = try #require(data.withUnsafeBytes { ImageDimensions($0) })
        #expect(size.width == 0xC5C5_C5C5 && size.height == 0xC5C5_C5C5)
        #expect(size.pixels == .max)
        #expect(size.pixels > OCRRouteConfiguration().maxImagePixels)
    }

    /// Inputs on which multipart-kit 4.7.1's parser traps (a byte over 0x7F where it reads a part header name):
    /// our parser answers them with a part list or a 400, never a trap (FuzzMultipart).
    @Test(arguments: ["multipartkit_header_name_byte_over_127.bin", "multipartkit_header_name_after_bare_lf.bin"])
    func multipart_inputsThatTrapMultipartKit_areParsedOrRefused(_ name: String) throws {
        let data = [UInt8](try Self.regression("FuzzMultipart", name))
        let newline = try #require(data.firstIndex(of: 0x0A))
        let contentType = String(decoding: data[..<newline], as: UTF8.self)
        let boundary = try #require(try MultipartFormData.boundary(contentType: contentType))
        if let form = try? MultipartFormData(bytes: Array(data[(newline + 1)...]), boundary: boundary) {
            #expect(form.parts.count <= MultipartFormData.maxParts)
        }
    }
}
