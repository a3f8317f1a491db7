import Foundation
import PaddleInference
import Testing

/// What the binding reports about the CPU agrees with the kernel's view and with the engine's oneDNN.
@Suite struct CPUFeaturesTests {
    /// The kernel's feature flags (`/proc/cpuinfo`), which also reflect what the operating system enables.
    static let flags: Set<Substring> = {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
        return Set(line.split(separator: " "))
    }()

    @Test func current_matchesTheKernelsFlags() throws {
        try #require(!Self.flags.isEmpty, "/proc/cpuinfo has no flags line")
        let cpu = CPUFeatures.current
        #expect(cpu.avx2 == Self.flags.contains("avx2"))
        #expect(cpu.avx512 == Self.flags.contains("avx512f"))
        #expect(cpu.avx512Core == ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy { Self.flags.contains($0) })
        #expect(cpu.avx512VNNI == Self.flags.contains("avx512_vnni"))
        #expect(cpu.avx512BF16 == Self.flags.contains("avx512_bf16"))
        #expect(cpu.amxTile == Self.flags.contains("amx_tile"))
        #expect(cpu.amxBF16 == Self.flags.contains("amx_bf16"))
        #expect(cpu.amxInt8 == Self.flags.contains("amx_int8"))
    }

    /// oneDNN's instruction set follows the CPU, or `ONEDNN_MAX_CPU_ISA` where that limits it (the suite runs a
    /// second time with `ONEDNN_MAX_CPU_ISA=AVX2`, see scripts/test.sh).
    @Test func oneDNNISA_followsTheCPUOrItsLimit() throws {
        let cpu = CPUFeatures.current
        let name = try #require(cpu.oneDNNISAName, "the runtime's oneDNN reported no instruction set")
        switch ProcessInfo.processInfo.environment["ONEDNN_MAX_CPU_ISA"]?.uppercased() {
        case "AVX2"?:
            #expect(name == "avx2")
            #expect(!cpu.supportsBFloat16)
            #expect(cpu.description.contains("ONEDNN_MAX_CPU_ISA=AVX2"))
        case nil, ""?:
            #expect(cpu.supportsBFloat16 == cpu.avx512Core, "\(cpu)")
            if cpu.avx512BF16 { #expect(name.hasPrefix("avx512_core_bf16") || name.hasPrefix("avx10")) }
            if !cpu.avx512Core && cpu.avx2 { #expect(name.hasPrefix("avx2")) }
        case let limit?:
            Issue.record("no expectation written for ONEDNN_MAX_CPU_ISA=\(limit)")
        }
    }
}
