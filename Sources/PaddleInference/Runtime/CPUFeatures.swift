import CPaddle
import Foundation

/// The CPU features Paddle's kernels can use on this machine, and the instruction set oneDNN actually uses.
///
/// Machines differ: the same binary may run on a CPU with AVX2 only, with AVX-512, or with AVX-512 BF16 and AMX.
/// oneDNN picks its kernels from what the CPU offers, limited by `ONEDNN_MAX_CPU_ISA` (for example
/// `ONEDNN_MAX_CPU_ISA=AVX2` makes a newer CPU behave like an AVX2-only one; the bundled oneDNN 3.6.2 honours it).
///
/// ```swift
/// let cpu = CPUFeatures.current
/// print(cpu.summary)                 // avx2 avx512 avx512_vnni avx512_bf16; oneDNN: avx512_core_bf16
/// if !cpu.supportsBFloat16 { ... }   // bfloat16 models cannot run here
/// ```
public struct CPUFeatures: Sendable, Hashable, CustomStringConvertible {
    /// AVX2 (with the operating system saving the AVX registers).
    public var avx2: Bool
    /// AVX-512 Foundation.
    public var avx512: Bool
    /// AVX-512 F, BW, VL and DQ together (oneDNN's `avx512_core`).
    public var avx512Core: Bool
    /// AVX-512 VNNI (int8 dot products).
    public var avx512VNNI: Bool
    /// AVX-512 BF16 (bfloat16 dot products).
    public var avx512BF16: Bool
    /// AMX tiles (with the operating system saving the tile state).
    public var amxTile: Bool
    /// AMX int8 tile multiplication.
    public var amxInt8: Bool
    /// AMX bfloat16 tile multiplication.
    public var amxBF16: Bool
    /// oneDNN's effective instruction set as a `dnnl_cpu_isa_t` mask, after any `ONEDNN_MAX_CPU_ISA` limit; `nil`
    /// when the runtime is not loaded.
    public var oneDNNISA: UInt32?

    /// The features of this machine. Loads the runtime if it can (to ask its oneDNN); without a runtime,
    /// ``oneDNNISA`` is `nil`.
    public static var current: CPUFeatures {
        try? PaddleRuntime.load()
        return read()
    }

    static func read() -> CPUFeatures {
        var info = pds_cpu_info()
        pds_cpu_info_read(&info)
        return CPUFeatures(
            avx2: info.avx2, avx512: info.avx512f, avx512Core: info.avx512_core, avx512VNNI: info.avx512_vnni,
            avx512BF16: info.avx512_bf16, amxTile: info.amx_tile, amxInt8: info.amx_int8, amxBF16: info.amx_bf16,
            oneDNNISA: info.onednn_isa == 0 ? nil : info.onednn_isa)
    }

    // oneDNN 3.6's dnnl_cpu_isa_t masks (each includes the bits of the sets below it).
    private static let isaNames: [(mask: UInt32, name: String)] = [
        (0x1fef, "avx10_1_512_amx_fp16"), (0xfef, "avx10_1_512_amx"), (0x1ef, "avx10_1_512"),
        (0xe7, "avx512_core_bf16"), (0x67, "avx512_core_vnni"), (0x27, "avx512_core"), (0x1f, "avx2_vnni_2"),
        (0xf, "avx2_vnni"), (0x7, "avx2"), (0x3, "avx"), (0x1, "sse41"),
    ]
    private static let avx512CoreMask: UInt32 = 0x27

    /// oneDNN's name for ``oneDNNISA`` (`avx2`, `avx512_core_bf16`, ...), or `nil` when unknown.
    public var oneDNNISAName: String? {
        guard let isa = oneDNNISA else { return nil }
        return Self.isaNames.first { isa & $0.mask == $0.mask }?.name
    }

    /// Whether Paddle can run bfloat16 programs here: its kernels need oneDNN's `avx512_core` or better (checked on
    /// 3.3.1: with `ONEDNN_MAX_CPU_ISA=AVX2` every bfloat16 run fails, with oneDNN on or off; with `AVX512_CORE`
    /// and above they all pass). Without a runtime, judged from the CPU alone.
    public var supportsBFloat16: Bool {
        guard let isa = oneDNNISA else { return avx512Core }
        return isa & Self.avx512CoreMask == Self.avx512CoreMask
    }

    /// The features present, by their usual names, e.g. `avx2 avx512 avx512_vnni avx512_bf16`.
    public var featureNames: [String] {
        [
            (avx2, "avx2"), (avx512, "avx512"), (avx512VNNI, "avx512_vnni"), (avx512BF16, "avx512_bf16"),
            (amxTile, "amx_tile"), (amxInt8, "amx_int8"), (amxBF16, "amx_bf16"),
        ].filter(\.0).map(\.1)
    }

    /// One line: the features, then oneDNN's instruction set and any `ONEDNN_MAX_CPU_ISA` limit.
    public var description: String {
        var text = featureNames.isEmpty ? "no AVX2" : featureNames.joined(separator: " ")
        text += "; oneDNN: \(oneDNNISAName ?? "runtime not loaded")"
        if let limit = ProcessInfo.processInfo.environment["ONEDNN_MAX_CPU_ISA"], !limit.isEmpty {
            text += " (ONEDNN_MAX_CPU_ISA=\(limit))"
        }
        return text
    }
}
