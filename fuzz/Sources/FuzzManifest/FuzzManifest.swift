import CFuzzerDriver
@testable import PaddleModelRepository

/// libFuzzer entry point: a version folder's `SHA256SUMS` through ``ModelManifest/parse(_:source:)``, decoded as
/// ``ModelManifest/load(folder:)`` decodes it. Any input must give a manifest or a `PaddleError`; no accepted name
/// may leave the version folder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let manifest = try? ModelManifest.parse(text, source: "fuzz") else { return 0 }
    for (name, digest) in manifest.digests {
        precondition(!name.isEmpty && !name.hasPrefix("/"))
        precondition(!name.split(separator: "/").contains { $0 == ".." })
        precondition(digest.utf8.count == 64)
    }
    return 0
}

/// The process entry point (SwiftPM renames `main` to `FuzzManifest_main`): runs libFuzzer on ``fuzzManifest(_:_:)``.
@_cdecl("FuzzManifest_main")
public func fuzzManifestMain(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzManifest(data, size) }
}
