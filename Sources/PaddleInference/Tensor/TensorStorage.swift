/// The bytes behind a ``Tensor``: either memory this library allocated, or caller memory adopted without a copy
/// (released by the caller's deallocator when the last tensor using it goes away).
///
/// `@unchecked Sendable`: the bytes are written only while the storage is being created, before it is shared;
/// afterwards they are only read.
final class TensorStorage: @unchecked Sendable {
    let base: UnsafeRawPointer
    let byteCount: Int
    private let release: (@Sendable (UnsafeMutableRawPointer) -> Void)?

    /// Allocates `byteCount` bytes (64-byte aligned) and lets `initialize` write them.
    init(byteCount: Int, initialize: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        do {
            try initialize(UnsafeMutableRawBufferPointer(start: pointer, count: byteCount))
        } catch {
            pointer.deallocate()
            throw error
        }
        base = UnsafeRawPointer(pointer)
        self.byteCount = byteCount
        release = { $0.deallocate() }
    }

    /// Adopts caller memory. `release` (if any) runs once when the storage is freed.
    init(adopting pointer: UnsafeRawPointer, byteCount: Int, release: (@Sendable (UnsafeMutableRawPointer) -> Void)?) {
        base = pointer
        self.byteCount = byteCount
        self.release = release
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: byteCount) }

    deinit {
        release?(UnsafeMutableRawPointer(mutating: base))
    }
}
