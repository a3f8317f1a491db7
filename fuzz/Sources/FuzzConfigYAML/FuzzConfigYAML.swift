import CFuzzerDriver
import PaddleModelRepository

/// libFuzzer entry point: a model folder's `config.yaml`, read the way the repository reads it: as
/// ``ModelConfiguration`` and as ``ManagementSettings`` (both run the schema check first). Any input must give a
/// configuration or a `ServingError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigYAML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? ModelConfiguration.parse(yaml: text, source: "fuzz")
    _ = try? ManagementSettings.parse(yaml: text, source: "fuzz")
    return 0
}

/// The process entry point (SwiftPM renames `main` to `FuzzConfigYAML_main`): runs libFuzzer on ``fuzzConfigYAML(_:_:)``.
@_cdecl("FuzzConfigYAML_main")
public func fuzzConfigYAMLMain(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzConfigYAML(data, size) }
}
