import CFuzzerDriver
@testable import KServeProtocol

/// libFuzzer entry point: one JSON document (a KServe or OCR request body) through ``JSONParser``.
///
/// Any input must give a value or a `JSONParseError`, never a trap, a hang or a large allocation. A parsed value is
/// also written back with ``JSONWriter`` (the response encoder) and parsed again: that must succeed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    var writer = JSONWriter()
    writer.value(value)
    do {
        _ = try JSONParser.parse(writer.bytes)
    } catch {
        fatalError("JSONWriter wrote what JSONParser rejects: \(error)")
    }
    return 0
}

/// The process entry point (SwiftPM renames `main` to `FuzzJSON_main`): runs libFuzzer on ``fuzzJSON(_:_:)``.
@_cdecl("FuzzJSON_main")
public func fuzzJSONMain(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzJSON(data, size) }
}
