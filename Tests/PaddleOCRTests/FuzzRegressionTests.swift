import Foundation
import Testing

@testable import PaddleOCR

/// Inputs that the `FuzzImage` fuzz target (fuzz/) found or that were written to close what it found; each is kept in
/// `fuzz/corpus/FuzzImage/regressions/`, which every fuzz run replays too.
@Suite struct FuzzRegressionTests {
    /// A file of `fuzz/corpus/FuzzImage/regressions/`.
    static func regression(_ name: String) throws -> Data {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try Data(contentsOf: root.appendingPathComponent("fuzz/corpus/FuzzImage/regressions/\(name)"))
    }

    /// 361 bytes that declare 16000 x 16000 pixels behind a garbage byte before the frame header: libjpeg skips the
    /// garbage (a warning) and decoded 256 M pixels (over 1 GB, more than 10 s under the fuzzer) before the limit
    /// was checked by the decoder itself.
    @Test func decode_jpegDeclaringHugeSizeAfterGarbage_throwsImageTooLargeBeforeDecoding() throws {
        let data = try Self.regression("jpeg_garbage_before_sof_16000x16000.jpg")
        let start = ContinuousClock.now
        #expect { try OCRImage(decoding: data, maxPixels: 40_000_000) } throws: {
            ($0 as? OCRError)?.code == .imageTooLarge
        }
        // Refused from the header, before anything image-sized is allocated or decoded.
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test func decode_pngOverMaxPixels_throwsImageTooLarge() throws {
        let image = try OCRImage(width: 30, height: 20, bgr: [UInt8](repeating: 7, count: 30 * 20 * 3))
        let png = try image.pngData()
        #expect { try OCRImage(decoding: png, maxPixels: 599) } throws: { ($0 as? OCRError)?.code == .imageTooLarge }
        #expect(try OCRImage(decoding: png, maxPixels: 600).width == 30)
    }

    @Test func decode_pngDeclaringOverflowingSize_throwsWithoutTrapping() throws {
        let data = try Self.regression("png_ihdr_pixels_overflow.png")
        #expect(throws: OCRError.self) { try OCRImage(decoding: data) }
    }
}
