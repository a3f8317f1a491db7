import CFuzzerDriver
import Foundation
import PaddleOCR
@testable import PaddleOCRServing

/// The pixel limit, as the OCR route's `maxImagePixels` (default 40 M).
///
/// A tenth of the route's default: under the fuzzer's instrumentation (a debug build with AddressSanitizer and
/// coverage) decoding and rotating an image of 21 M pixels, which the default allows, took over 10 s, libFuzzer's
/// hang limit. The code that checks the limit is the same for any value.
private let maxImagePixels = OCRRouteConfiguration().maxImagePixels / 10

/// libFuzzer entry point: an uploaded image on the OCR route's path.
///
/// ``ImageDimensions`` reads the declared size and a pixel limit (see ``maxImagePixels``) refuses what is too large (as
/// `OCRRoutes` does), then the EXIF orientation is read and ``OCRImage/init(decoding:applyEXIFOrientation:maxPixels:)``
/// decodes the JPEG or PNG through libjpeg-turbo and libpng (`CImageCodecs`) under the same limit and applies it.
/// Any input must give an image or an `OCRError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    let dimensions = bytes.withUnsafeBytes { ImageDimensions($0) }
    if let dimensions, dimensions.pixels > maxImagePixels { return 0 }
    _ = EXIFOrientation(jpeg: bytes)
    guard let image = try? OCRImage(decoding: bytes, applyEXIFOrientation: true, maxPixels: maxImagePixels) else {
        return 0
    }
    precondition(image.width > 0 && image.height > 0 && image.width * image.height <= maxImagePixels)
    return 0
}

/// The process entry point (SwiftPM renames `main` to `FuzzImage_main`): runs libFuzzer on ``fuzzImage(_:_:)``.
@_cdecl("FuzzImage_main")
public func fuzzImageMain(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzImage(data, size) }
}
