// CPU features for diagnostics and for the bfloat16 check (docs/engine.md, "CPUs").
#include "CPaddle.h"

#include <cpuid.h>
#include <dlfcn.h>

#include <string>

namespace pds {
/// The runtime folder pds_runtime_load() succeeded with (Runtime.cpp); empty before.
std::string loaded_runtime_dir();
}  // namespace pds

namespace {

bool bit(unsigned value, int n) { return (value >> n) & 1u; }

/// XCR0: which register states the operating system saves (AVX-512 and AMX need its consent as well).
unsigned long long xcr0() {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !bit(ecx, 27)) return 0;  // OSXSAVE
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<unsigned long long>(hi) << 32) | lo;
}

/// oneDNN's `dnnl_get_effective_cpu_isa`, from the copy the engine loaded (never loads a second one).
uint32_t onednn_isa() {
    std::string dir = pds::loaded_runtime_dir();
    if (dir.empty()) return 0;
    void *library = dlopen((dir + "/paddle/libs/libdnnl.so.3").c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (!library) library = dlopen("libdnnl.so.3", RTLD_LAZY | RTLD_NOLOAD);
    if (!library) return 0;
    auto effective = reinterpret_cast<int (*)()>(dlsym(library, "dnnl_get_effective_cpu_isa"));
    uint32_t isa = effective ? static_cast<uint32_t>(effective()) : 0;
    dlclose(library);  // drops only the reference taken above
    return isa;
}

}  // namespace

extern "C" void pds_cpu_info_read(pds_cpu_info *out) {
    *out = pds_cpu_info{};
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return;
    const unsigned long long xcr = xcr0();
    const bool ymm = (xcr & 0x6) == 0x6;              // SSE + AVX state
    const bool zmm = ymm && (xcr & 0xe0) == 0xe0;     // + opmask, ZMM_Hi256, Hi16_ZMM
    const bool tiles = (xcr & 0x60000) == 0x60000;    // XTILECFG + XTILEDATA
    out->avx2 = ymm && bit(ebx, 5);
    out->avx512f = zmm && bit(ebx, 16);
    out->avx512_core = out->avx512f && bit(ebx, 17) && bit(ebx, 30) && bit(ebx, 31);  // DQ, BW, VL
    out->avx512_vnni = out->avx512f && bit(ecx, 11);
    out->amx_tile = tiles && bit(edx, 24);
    out->amx_int8 = out->amx_tile && bit(edx, 25);
    out->amx_bf16 = out->amx_tile && bit(edx, 22);
    unsigned eax1, ebx1, ecx1, edx1;
    if (eax >= 1 && __get_cpuid_count(7, 1, &eax1, &ebx1, &ecx1, &edx1)) {
        out->avx512_bf16 = out->avx512f && bit(eax1, 5);
    }
    out->onednn_isa = onednn_isa();
}
