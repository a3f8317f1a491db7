import CFuzzerDriver
@testable import PaddleOCRServing

/// libFuzzer entry point: an OCR upload as `multipart/form-data`.
///
/// Input layout: the first line is the `Content-Type` header value (its `boundary` parameter goes through
/// ``MultipartFormData/boundary(contentType:)``), the rest is the body, split by ``MultipartFormData`` and read the
/// way `OCRRequest` reads it. Any input must give parts or a `ServingError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = UnsafeBufferPointer(start: data, count: size)
    let newline = input.firstIndex(of: 0x0A) ?? size
    let contentType = String(decoding: UnsafeBufferPointer(rebasing: input[0..<newline]), as: UTF8.self)
    let body = Array(input[min(newline + 1, size)...])
    guard let boundary = try? MultipartFormData.boundary(contentType: contentType),
        let form = try? MultipartFormData(bytes: body, boundary: boundary)
    else { return 0 }
    precondition(form.parts.count <= MultipartFormData.maxParts)
    for part in form.parts {
        precondition(part.range.lowerBound >= 0 && part.range.upperBound <= body.count)
        _ = form.data(part)
        _ = form.text(part)
    }
    _ = form.part(named: "image") ?? form.part(named: "file")
    return 0
}

/// The process entry point (SwiftPM renames `main` to `FuzzMultipart_main`): runs libFuzzer on ``fuzzMultipart(_:_:)``.
@_cdecl("FuzzMultipart_main")
public func fuzzMultipartMain(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzMultipart(data, size) }
}
