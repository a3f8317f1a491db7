import Foundation
import PaddleOCR
import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleOCRServing

@Suite struct MultipartFormDataTests {
    @Test func boundary_quotedAndPlain_areRead() throws {
        #expect(try MultipartFormData.boundary(contentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(try MultipartFormData.boundary(contentType: "Multipart/Form-Data; charset=utf-8; boundary=\"a b;c\"") == "a b;c")
        #expect(try MultipartFormData.boundary(contentType: "image/png") == nil)
        #expect(throws: ServingError.self) { try MultipartFormData.boundary(contentType: "multipart/form-data") }
    }

    @Test func parse_fieldsAndFile_giveNamesFilenamesAndBodies() throws {
        let body = Array(
            ("--xyz\r\nContent-Disposition: form-data; name=\"filter\"\r\n\r\n^[0-9]+$\r\n"
                + "--xyz\r\ncontent-disposition: form-data; name=\"image\"; filename=\"a\\\"b.png\"\r\nContent-Type: Image/PNG\r\n\r\n"
                + "\r\n--xy not the end\r\n--xyz--\r\nepilogue").utf8)
        let form = try MultipartFormData(bytes: body, boundary: "xyz")
        #expect(form.parts.count == 2)
        #expect(form.part(named: "filter").map(form.text) == "^[0-9]+$")
        let image = try #require(form.part(named: "image"))
        #expect(image.filename == "a\"b.png")
        #expect(image.contentType == "image/png")
        #expect(form.text(image) == "\r\n--xy not the end")
    }

    @Test func parse_truncatedOrMissingDelimiters_throws400() {
        for text in ["no delimiter at all", "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunfinished",
            "--xyz\r\nContent-Disposition: form-data; name=\"a\"", "--xyzgarbage"]
        {
            #expect(throws: ServingError.self, "\(text)") { try MultipartFormData(bytes: Array(text.utf8), boundary: "xyz") }
        }
    }

    @Test func imageDimensions_pngAndJPEGHeaders_areRead() throws {
        let png = try OCRTestSupport.generatedPNG(width: 123, height: 45)
        #expect(png.withUnsafeBytes { ImageDimensions($0) } == ImageDimensionsProbe.size(123, 45))
        // SOI, APP0 (length 4), SOF0 with height 300 and width 500.
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0x2C, 0x01, 0xF4]
        let size = try #require(jpeg.withUnsafeBytes { ImageDimensions($0) })
        #expect(size.width == 500 && size.height == 300)
        #expect([UInt8]([0xFF, 0xD8, 0xFF]).withUnsafeBytes { ImageDimensions($0) } == nil)
    }
}

enum ImageDimensionsProbe {
    static func size(_ width: Int, _ height: Int) -> ImageDimensions? {
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]
        png += [0, 0, UInt8(width >> 8), UInt8(width & 0xFF), 0, 0, UInt8(height >> 8), UInt8(height & 0xFF)]
        return png.withUnsafeBytes { ImageDimensions($0) }
    }
}
