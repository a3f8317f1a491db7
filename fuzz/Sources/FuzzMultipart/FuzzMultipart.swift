import CFuzzerDriver
import NIOCore
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
    let body = ByteBuffer(bytes: input[min(newline + 1, size)...])
    guard let boundary = try? UploadForm.boundary(contentType: contentType),
        let form = try? UploadForm(body: body, boundary: boundary)
    else { return 0 }
    precondition(!form.parts.isEmpty && form.parts.count <= UploadForm.maxParts)
    var total = 0
    for part in form.parts {
        total += part.body.readableBytes
        _ = part.text
    }
    precondition(total <= body.readableBytes)
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
