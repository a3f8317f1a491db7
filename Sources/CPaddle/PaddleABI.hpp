// The parts of Paddle Inference 3.3.1's C++ ABI that the shim uses, resolved at run time with dlsym.
//
// The wheel ships no headers, so nothing here includes Paddle: member functions are called through plain
// function pointers whose first parameter is `this` (Itanium C++ ABI; a by-value class return that is not
// trivially copyable is passed as a hidden pointer before `this`, exactly as for a free function returning it).
// The facts used here (calling convention, exported symbols, object sizes, vtable slots, missing destructors) are
// in docs/engine.md, sections "Calling convention", "Exported symbols", "Object layouts" and "Vtable of
// PaddlePredictor".
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pds {

/// Stand-in for `std::unique_ptr<T>` as a by-value return: one pointer with a non-trivial destructor, so it is
/// returned through a hidden pointer just like the real unique_ptr. The shim takes ownership of `ptr`.
struct ReturnedUniquePtr {
    void *ptr = nullptr;
    ~ReturnedUniquePtr() {}
};

/// sizeof(paddle::AnalysisConfig) is 0x660; we allocate more, 64-byte aligned, to be safe (docs/engine.md,
/// "Object layouts").
constexpr size_t kConfigStorageSize = 0x800;
/// sizeof(paddle_infer::Predictor): one unique_ptr<PaddlePredictor>.
constexpr size_t kPredictorSize = 8;
/// Vtable slot of PaddlePredictor's deleting destructor (D0) (docs/engine.md, "Vtable of PaddlePredictor").
constexpr size_t kPaddlePredictorDeletingDtorSlot = 17;

using StringMapShapes = std::map<std::string, std::vector<int64_t>>;
using StringMapTypes = std::map<std::string, int>;

/// Every engine entry point the shim calls. Filled by Runtime::load.
struct Symbols {
    // Runtime
    std::string (*GetVersion)();
    // AnalysisConfig
    void (*ConfigCtor)(void *self);
    void (*ConfigCopyCtor)(void *self, const void *other);
    void (*ConfigDtor)(void *self);
    void (*ConfigSetModel2)(void *self, const std::string &prog, const std::string &params);
    void (*ConfigSetModelDir)(void *self, const std::string &dir);
    void (*ConfigSetModelBuffer)(void *self, const char *prog, size_t prog_size, const char *params,
                                 size_t params_size);
    void (*ConfigSetCpuThreads)(void *self, int n);
    void (*ConfigEnableMKLDNN)(void *self);
    void (*ConfigDisableMKLDNN)(void *self);
    void (*ConfigSetOnednnCacheCapacity)(void *self, int capacity);
    void (*ConfigSwitchIrOptim)(void *self, int on);
    void (*ConfigEnableMemoryOptim)(void *self, bool on);
    void (*ConfigDisableGlogInfo)(void *self);
    void (*ConfigDeletePass)(void *self, const std::string &pass);
    void (*ConfigDisableGpu)(void *self);
    void (*ConfigSetOptimCacheDir)(void *self, const std::string &dir);
    void (*ConfigEnableSaveOptimModel)(void *self, bool save);
    void (*ConfigUseOptimizedModel)(void *self, bool use);
    void (*ConfigEnableUseGpu)(void *self, uint64_t mb, int device, int precision);
    bool (*ConfigUseGpu)(const void *self);
    std::string (*ConfigSummary)(void *self);
    // Predictor
    void (*PredictorCtor)(void *self, const void *config);
    ReturnedUniquePtr (*PredictorClone)(void *self, void *stream);
    std::vector<std::string> (*PredictorGetInputNames)(void *self);
    std::vector<std::string> (*PredictorGetOutputNames)(void *self);
    StringMapShapes (*PredictorGetInputTensorShape)(void *self);
    StringMapShapes (*PredictorGetOutputTensorShape)(void *self);
    StringMapTypes (*PredictorGetInputTypes)(void *self);
    StringMapTypes (*PredictorGetOutputTypes)(void *self);
    ReturnedUniquePtr (*PredictorGetInputHandle)(void *self, const std::string &name);
    ReturnedUniquePtr (*PredictorGetOutputHandle)(void *self, const std::string &name);
    bool (*PredictorRun)(void *self);
    void (*PredictorClearIntermediateTensor)(void *self);
    uint64_t (*PredictorTryShrinkMemory)(void *self);
    // Tensor
    void (*TensorUniquePtrDtor)(void *slot);
    void (*TensorReshape)(void *self, const std::vector<int> &shape);
    std::vector<int> (*TensorShape)(const void *self);
    int (*TensorType)(const void *self);
    // Typed tensor entry points, indexed by PDS dtype (0...8).
    void (*TensorCopyFromCpu[9])(void *self, const void *data);
    void (*TensorCopyToCpu[9])(const void *self, void *data);
    const void *(*TensorData[9])(const void *self, int *place, int *size);
    void (*TensorShareExternalData[9])(void *self, const void *data, const std::vector<int> &shape, int place,
                                       int layout);
};

/// The loaded symbol table, or null before a successful pds_runtime_load.
const Symbols *symbols();

}  // namespace pds
