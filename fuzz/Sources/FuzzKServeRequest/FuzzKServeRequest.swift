import CFuzzerDriver
import KServeProtocol
@testable import PaddleServing

/// libFuzzer entry point: a KServe v2 infer request as the server receives it.
///
/// Input layout: when the input starts with `H:`, the text up to the first newline is the
/// `Inference-Header-Content-Length` header value (Triton's binary-tensor extension) and the rest is the body;
/// otherwise the whole input is a JSON-only body. The header goes through the server's own parser
/// (``InferenceEndpoint/parseLength(_:)``), then the body through ``InferenceRequest/decode(body:headerLength:limits:)``
/// with the server's default limits: any input must give a request or a `ServingError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKServeRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    var body = input
    var headerLength: Int?
    if size >= 2, input[0] == UInt8(ascii: "H"), input[1] == UInt8(ascii: ":") {
        let newline = input[2...].firstIndex(of: 0x0A) ?? size
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: input[2..<newline]), as: UTF8.self)
        guard let length = InferencePipeline.parseLength(text) else { return 0 }
        headerLength = length
        body = UnsafeRawBufferPointer(rebasing: input[min(newline + 1, size)...])
    }
    guard let request = try? InferenceRequest.decode(body: body, headerLength: headerLength) else { return 0 }
    for input in request.inputs {
        precondition(input.tensor.byteCount == input.tensor.elementCount * input.tensor.dataType.byteSize)
    }
    return 0
}

/// The process entry point (SwiftPM renames `main` to `FuzzKServeRequest_main`): runs libFuzzer on ``fuzzKServeRequest(_:_:)``.
@_cdecl("FuzzKServeRequest_main")
public func fuzzKServeRequestMain(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzKServeRequest(data, size) }
}
