// Finds and loads the Paddle Inference runtime at run time and resolves every entry point the shim needs.
#include "CPaddle.h"
#include "PaddleABI.hpp"
#include "Status.hpp"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace pds {
namespace {

std::mutex load_mutex;
Symbols loaded_symbols;
const Symbols *active_symbols = nullptr;  // written once under load_mutex, then only read
std::string loaded_version;
std::string loaded_dir;

// Mangled-name fragments for the 9 element types, indexed by PDS dtype (docs/engine.md, "Exported symbols").
const char *const kTypeCodes[9] = {
    "f",                       // float
    "l",                       // long (int64)
    "i",                       // int
    "h",                       // unsigned char
    "a",                       // signed char
    "N3phi5dtype7float16E",    // phi::dtype::float16
    "b",                       // bool
    "d",                       // double
    "N3phi5dtype8bfloat16E",   // phi::dtype::bfloat16
};

struct Resolver {
    void *library;
    std::string missing;

    template <typename F>
    void bind(F &target, const std::string &name) {
        void *p = dlsym(library, name.c_str());
        if (!p && missing.empty()) missing = name;
        target = reinterpret_cast<F>(p);
    }
};

bool resolve(void *library, Symbols &s, std::string &missing) {
    Resolver r{library, {}};

    r.bind(s.ConfigCtor, "_ZN6paddle14AnalysisConfigC1Ev");
    r.bind(s.ConfigCopyCtor, "_ZN6paddle14AnalysisConfigC1ERKS0_");
    r.bind(s.ConfigDtor, "_ZN6paddle14AnalysisConfigD1Ev");
    r.bind(s.ConfigSetModel2,
           "_ZN6paddle14AnalysisConfig8SetModelERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEES8_");
    r.bind(s.ConfigSetModelDir,
           "_ZN6paddle14AnalysisConfig8SetModelERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE");
    r.bind(s.ConfigSetModelBuffer, "_ZN6paddle14AnalysisConfig14SetModelBufferEPKcmS2_m");
    r.bind(s.ConfigSetCpuThreads, "_ZN6paddle14AnalysisConfig27SetCpuMathLibraryNumThreadsEi");
    r.bind(s.ConfigEnableMKLDNN, "_ZN6paddle14AnalysisConfig12EnableONEDNNEv");
    r.bind(s.ConfigDisableMKLDNN, "_ZN6paddle14AnalysisConfig13DisableONEDNNEv");
    r.bind(s.ConfigSetOnednnCacheCapacity, "_ZN6paddle14AnalysisConfig22SetOnednnCacheCapacityEi");
    r.bind(s.ConfigSwitchIrOptim, "_ZN6paddle14AnalysisConfig13SwitchIrOptimEi");
    r.bind(s.ConfigEnableMemoryOptim, "_ZN6paddle14AnalysisConfig17EnableMemoryOptimEb");
    r.bind(s.ConfigDisableGlogInfo, "_ZN6paddle14AnalysisConfig15DisableGlogInfoEv");
    r.bind(s.ConfigDeletePass,
           "_ZN6paddle14AnalysisConfig10DeletePassERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE");
    r.bind(s.ConfigDisableGpu, "_ZN6paddle14AnalysisConfig10DisableGpuEv");
    r.bind(s.ConfigSetOptimCacheDir,
           "_ZN6paddle14AnalysisConfig16SetOptimCacheDirERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE");
    r.bind(s.ConfigEnableSaveOptimModel, "_ZN6paddle14AnalysisConfig20EnableSaveOptimModelEb");
    r.bind(s.ConfigUseOptimizedModel, "_ZN6paddle14AnalysisConfig17UseOptimizedModelEb");
    r.bind(s.ConfigEnableUseGpu, "_ZN6paddle14AnalysisConfig12EnableUseGpuEmiNS0_9PrecisionE");
    r.bind(s.ConfigUseGpu, "_ZNK6paddle14AnalysisConfig7use_gpuEv");
    r.bind(s.ConfigSummary, "_ZN6paddle14AnalysisConfig7SummaryB5cxx11Ev");

    r.bind(s.PredictorCtor, "_ZN12paddle_infer9PredictorC1ERKN6paddle14AnalysisConfigE");
    r.bind(s.PredictorClone, "_ZN12paddle_infer9Predictor5CloneEPv");
    r.bind(s.PredictorGetInputNames, "_ZN12paddle_infer9Predictor13GetInputNamesB5cxx11Ev");
    r.bind(s.PredictorGetOutputNames, "_ZN12paddle_infer9Predictor14GetOutputNamesB5cxx11Ev");
    r.bind(s.PredictorGetInputTensorShape, "_ZN12paddle_infer9Predictor19GetInputTensorShapeB5cxx11Ev");
    r.bind(s.PredictorGetOutputTensorShape, "_ZN12paddle_infer9Predictor20GetOutputTensorShapeB5cxx11Ev");
    r.bind(s.PredictorGetInputTypes, "_ZN12paddle_infer9Predictor13GetInputTypesB5cxx11Ev");
    r.bind(s.PredictorGetOutputTypes, "_ZN12paddle_infer9Predictor14GetOutputTypesB5cxx11Ev");
    r.bind(s.PredictorGetInputHandle,
           "_ZN12paddle_infer9Predictor14GetInputHandleERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE");
    r.bind(s.PredictorGetOutputHandle,
           "_ZN12paddle_infer9Predictor15GetOutputHandleERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE");
    r.bind(s.PredictorRun, "_ZN12paddle_infer9Predictor3RunEv");
    r.bind(s.PredictorClearIntermediateTensor, "_ZN12paddle_infer9Predictor23ClearIntermediateTensorEv");
    r.bind(s.PredictorTryShrinkMemory, "_ZN12paddle_infer9Predictor15TryShrinkMemoryEv");

    r.bind(s.TensorUniquePtrDtor, "_ZNSt10unique_ptrIN6paddle14ZeroCopyTensorESt14default_deleteIS1_EED1Ev");
    r.bind(s.TensorReshape, "_ZN12paddle_infer6Tensor7ReshapeERKSt6vectorIiSaIiEE");
    r.bind(s.TensorShape, "_ZNK12paddle_infer6Tensor5shapeEv");
    r.bind(s.TensorType, "_ZNK12paddle_infer6Tensor4typeEv");
    for (int t = 0; t < 9; ++t) {
        const std::string code = kTypeCodes[t];
        r.bind(s.TensorCopyFromCpu[t], "_ZN12paddle_infer6Tensor11CopyFromCpuI" + code + "EEvPKT_");
        r.bind(s.TensorCopyToCpu[t], "_ZNK12paddle_infer6Tensor9CopyToCpuI" + code + "EEvPT_");
        r.bind(s.TensorData[t], "_ZNK12paddle_infer6Tensor4dataI" + code + "EEPT_PNS_9PlaceTypeEPi");
        r.bind(s.TensorShareExternalData[t],
               "_ZN12paddle_infer6Tensor17ShareExternalDataI" + code +
                   "EEvPKT_RKSt6vectorIiSaIiEENS_9PlaceTypeENS_10DataLayoutE");
    }
    missing = r.missing;
    return missing.empty();
}

/// "version: 3.3.1\ncommit: ...\n" -> "3.3.1".
std::string parse_version(const std::string &text) {
    const std::string key = "version:";
    auto at = text.find(key);
    if (at == std::string::npos) return text;
    auto begin = text.find_first_not_of(' ', at + key.size());
    auto end = text.find_first_of("\n\r ", begin);
    return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

}  // namespace

const Symbols *symbols() { return active_symbols; }

std::string loaded_runtime_dir() {
    std::lock_guard<std::mutex> lock(load_mutex);
    return loaded_dir;
}

}  // namespace pds

using namespace pds;

namespace {

/// Loads the runtime in `dir`, checks its version, then resolves every symbol into `out`.
pds_status open_runtime(const std::string &dir, bool activate, Symbols &out, std::string &version, char **error) {

        // 1. Python C-API stand-ins, global, so that libpaddle.so's Py* references resolve without libpython
        //    (docs/engine.md, "Loading").
        const std::string stubs = dir + "/libpaddle_pystubs.so";
        if (!dlopen(stubs.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
            const char *why = dlerror();
            return fail(error, PDS_ERR_RUNTIME,
                        "cannot load " + stubs + ": " + (why ? why : "unknown error"));
        }
        // 2. The engine itself, local: it is only reached through dlsym. Its dependencies in paddle/libs are
        //    found through its RUNPATH ($ORIGIN/../libs).
        const std::string engine = dir + "/paddle/base/libpaddle.so";
        void *library = dlopen(engine.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!library) {
            const char *why = dlerror();
            return fail(error, PDS_ERR_RUNTIME, "cannot load " + engine + ": " + (why ? why : "unknown error"));
        }
        // A library that is only being checked, or that failed a check, is closed again.
        auto reject = [&](pds_status code, const std::string &message) {
            if (!activate) dlclose(library);
            return fail(error, code, message);
        };
        // The version first, so that another release is reported as such rather than as a missing symbol.
        const char *version_symbol = "_ZN12paddle_infer10GetVersionB5cxx11Ev";
        auto get_version = reinterpret_cast<std::string (*)()>(dlsym(library, version_symbol));
        if (!get_version) {
            return reject(PDS_ERR_RUNTIME,
                        std::string("symbol ") + version_symbol + " is missing from " + engine +
                            " (not a Paddle Inference library)");
        }
        version = parse_version(get_version());
        if (version != "3.3.1") {
            return reject(PDS_ERR_RUNTIME,
                        "unsupported Paddle Inference version " + version + " at " + engine + " (need 3.3.1)");
        }
        out.GetVersion = get_version;
        std::string missing;
        if (!resolve(library, out, missing)) {
            return reject(PDS_ERR_RUNTIME, "symbol " + missing + " is missing from " + engine);
        }
        if (!activate) dlclose(library);
        return PDS_OK;
}

}  // namespace

extern "C" pds_status pds_runtime_load(const char *runtime_dir, char **error) {
    return guard(error, [&]() -> pds_status {
        std::lock_guard<std::mutex> lock(load_mutex);
        if (active_symbols) return PDS_OK;
        if (!runtime_dir) return fail(error, PDS_ERR_INVALID_ARGUMENT, "runtime directory is null");
        std::string version;
        pds_status status = open_runtime(runtime_dir, true, loaded_symbols, version, error);
        if (status != PDS_OK) return status;
        loaded_version = version;
        loaded_dir = runtime_dir;
        active_symbols = &loaded_symbols;
        return PDS_OK;
    });
}

extern "C" pds_status pds_runtime_check(const char *runtime_dir, char **error) {
    return guard(error, [&]() -> pds_status {
        if (!runtime_dir) return fail(error, PDS_ERR_INVALID_ARGUMENT, "runtime directory is null");
        Symbols scratch{};
        std::string version;
        return open_runtime(runtime_dir, false, scratch, version, error);
    });
}

extern "C" bool pds_runtime_is_loaded(void) {
    std::lock_guard<std::mutex> lock(load_mutex);
    return active_symbols != nullptr;
}

extern "C" const char *pds_runtime_version(void) {
    std::lock_guard<std::mutex> lock(load_mutex);
    return active_symbols ? loaded_version.c_str() : nullptr;
}
