// pds_predictor_*: paddle_infer::Predictor objects built in shim-owned storage and torn down through the
// engine's virtual destructor, since ~Predictor and ~Tensor are not exported by the wheel (docs/engine.md,
// "Releasing engine objects").
#include "CPaddle.h"
#include "PaddleABI.hpp"
#include "Handles.hpp"
#include "Status.hpp"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>


using namespace pds;

namespace {

/// Releases a paddle_infer::Predictor: the inner PaddlePredictor through its deleting destructor (vtable slot
/// 17), then the 8-byte wrapper, as the inline ~Predictor would.
void destroy_engine_predictor(void *predictor) {
    if (!predictor) return;
    void *inner = *static_cast<void **>(predictor);
    if (inner) {
        auto vtable = *static_cast<void ***>(inner);
        auto deleting_dtor = reinterpret_cast<void (*)(void *)>(vtable[kPaddlePredictorDeletingDtorSlot]);
        deleting_dtor(inner);
    }
    ::operator delete(predictor, kPredictorSize);
}

/// Owns one tensor handle returned by GetInputHandle/GetOutputHandle and releases it with the exported
/// unique_ptr<ZeroCopyTensor> destructor.
class TensorHandle {
public:
    TensorHandle(const Symbols &s, ReturnedUniquePtr &&returned) : s_(s), slot_(returned.ptr) {}
    ~TensorHandle() {
        if (slot_) s_.TensorUniquePtrDtor(&slot_);
    }
    TensorHandle(const TensorHandle &) = delete;
    TensorHandle &operator=(const TensorHandle &) = delete;
    void *get() const { return slot_; }

private:
    const Symbols &s_;
    void *slot_;
};

bool valid_dtype(int32_t dtype) { return dtype >= 0 && dtype <= 8; }

template <typename Body>
pds_status with_predictor(pds_predictor *predictor, char **error, Body &&body) {
    return guard(error, [&]() -> pds_status {
        const Symbols *s = symbols();
        if (!s) return fail(error, PDS_ERR_NOT_LOADED, "the Paddle Inference runtime is not loaded");
        if (!predictor || !predictor->engine) return fail(error, PDS_ERR_INVALID_ARGUMENT, "predictor is null");
        return body(*s, predictor->engine);
    });
}

}  // namespace

extern "C" pds_status pds_predictor_create(const pds_config *config, pds_predictor **out, char **error) {
    return guard(error, [&]() -> pds_status {
        if (!out) return fail(error, PDS_ERR_INVALID_ARGUMENT, "out is null");
        *out = nullptr;
        const Symbols *s = symbols();
        if (!s) return fail(error, PDS_ERR_NOT_LOADED, "the Paddle Inference runtime is not loaded");
        if (!config) return fail(error, PDS_ERR_INVALID_ARGUMENT, "config is null");

        // Each engine config can make only one predictor, so build from a copy and keep the caller's.
        pds_config copy_storage_holder;
        void *copy = copy_storage_holder.engine();
        s->ConfigCopyCtor(copy, config->engine());
        struct CopyGuard {
            const Symbols &s; void *c;
            ~CopyGuard() { try { s.ConfigDtor(c); } catch (...) {} }
        } copy_guard{*s, copy};

        void *engine = ::operator new(kPredictorSize);
        std::memset(engine, 0, kPredictorSize);
        try {
            s->PredictorCtor(engine, copy);
        } catch (...) {
            ::operator delete(engine, kPredictorSize);
            throw;
        }
        if (*static_cast<void **>(engine) == nullptr) {
            ::operator delete(engine, kPredictorSize);
            return fail(error, PDS_ERR_MODEL,
                        "the engine could not initialise a predictor from this model (unreadable or invalid model "
                        "files)");
        }
        *out = new pds_predictor{engine};
        return PDS_OK;
    });
}

extern "C" pds_status pds_predictor_clone(pds_predictor *predictor, pds_predictor **out, char **error) {
    return with_predictor(predictor, error, [&](const Symbols &s, void *engine) -> pds_status {
        if (!out) return fail(error, PDS_ERR_INVALID_ARGUMENT, "out is null");
        *out = nullptr;
        ReturnedUniquePtr cloned = s.PredictorClone(engine, nullptr);
        if (!cloned.ptr) return fail(error, PDS_ERR_ENGINE, "the engine returned no clone");
        if (*static_cast<void **>(cloned.ptr) == nullptr) {
            ::operator delete(cloned.ptr, kPredictorSize);
            return fail(error, PDS_ERR_ENGINE, "the engine could not initialise the clone");
        }
        *out = new pds_predictor{cloned.ptr};
        return PDS_OK;
    });
}

extern "C" void pds_predictor_destroy(pds_predictor *predictor) {
    if (!predictor) return;
    try {
        destroy_engine_predictor(predictor->engine);
    } catch (...) {
        // Nothing to report to from a destructor.
    }
    delete predictor;
}

extern "C" pds_status pds_predictor_io_info(pds_predictor *predictor, bool is_output, pds_io_info **out,
                                            size_t *count, char **error) {
    return with_predictor(predictor, error, [&](const Symbols &s, void *engine) -> pds_status {
        if (!out || !count) return fail(error, PDS_ERR_INVALID_ARGUMENT, "out is null");
        *out = nullptr;
        *count = 0;
        std::vector<std::string> names =
            is_output ? s.PredictorGetOutputNames(engine) : s.PredictorGetInputNames(engine);
        StringMapShapes shapes =
            is_output ? s.PredictorGetOutputTensorShape(engine) : s.PredictorGetInputTensorShape(engine);
        // The engine's type query throws for some element types (float64 and bool outputs of ProgramDesc
        // models in 3.3.1); report those as unknown (-1) rather than failing.
        StringMapTypes types;
        try {
            types = is_output ? s.PredictorGetOutputTypes(engine) : s.PredictorGetInputTypes(engine);
        } catch (...) {
            types.clear();
        }

        auto *infos = static_cast<pds_io_info *>(std::calloc(names.size() ? names.size() : 1, sizeof(pds_io_info)));
        if (!infos) throw std::bad_alloc();
        for (size_t i = 0; i < names.size(); ++i) {
            pds_io_info &info = infos[i];
            info.name = owned_cstring(names[i]);
            auto shape = shapes.find(names[i]);
            if (shape != shapes.end() && !shape->second.empty()) {
                info.rank = shape->second.size();
                info.shape = static_cast<int64_t *>(std::malloc(info.rank * sizeof(int64_t)));
                if (info.shape) std::memcpy(info.shape, shape->second.data(), info.rank * sizeof(int64_t));
            }
            auto type = types.find(names[i]);
            info.dtype = type != types.end() ? type->second : -1;
        }
        *out = infos;
        *count = names.size();
        return PDS_OK;
    });
}

extern "C" void pds_io_info_free(pds_io_info *info, size_t count) {
    if (!info) return;
    for (size_t i = 0; i < count; ++i) {
        std::free(info[i].name);
        std::free(info[i].shape);
    }
    std::free(info);
}

extern "C" pds_status pds_predictor_set_input(pds_predictor *predictor, const char *name, int32_t dtype,
                                              const int32_t *shape, size_t rank, const void *data, bool share,
                                              char **error) {
    return with_predictor(predictor, error, [&](const Symbols &s, void *engine) -> pds_status {
        if (!name || (!shape && rank) || !data) return fail(error, PDS_ERR_INVALID_ARGUMENT, "null argument");
        if (!valid_dtype(dtype)) return fail(error, PDS_ERR_INVALID_ARGUMENT, "unknown element type");
        std::vector<int> dims(shape, shape + rank);
        TensorHandle handle(s, s.PredictorGetInputHandle(engine, name));
        if (!handle.get()) return fail(error, PDS_ERR_ENGINE, std::string("no input handle for ") + name);
        if (share) {
            s.TensorShareExternalData[dtype](handle.get(), data, dims, 0 /* kCPU */, 2 /* kNCHW */);
        } else {
            s.TensorReshape(handle.get(), dims);
            s.TensorCopyFromCpu[dtype](handle.get(), data);
        }
        return PDS_OK;
    });
}

extern "C" pds_status pds_predictor_run(pds_predictor *predictor, char **error) {
    return with_predictor(predictor, error, [&](const Symbols &s, void *engine) -> pds_status {
        if (!s.PredictorRun(engine)) return fail(error, PDS_ERR_ENGINE, "the engine's Run() reported failure");
        return PDS_OK;
    });
}

extern "C" pds_status pds_predictor_output_shape(pds_predictor *predictor, const char *name, int64_t *shape,
                                                 size_t *rank, int32_t *dtype, char **error) {
    return with_predictor(predictor, error, [&](const Symbols &s, void *engine) -> pds_status {
        if (!name || !shape || !rank || !dtype) return fail(error, PDS_ERR_INVALID_ARGUMENT, "null argument");
        TensorHandle handle(s, s.PredictorGetOutputHandle(engine, name));
        if (!handle.get()) return fail(error, PDS_ERR_ENGINE, std::string("no output handle for ") + name);
        std::vector<int> dims = s.TensorShape(handle.get());
        const size_t capacity = *rank;
        *rank = dims.size();
        if (dims.size() > capacity) return fail(error, PDS_ERR_INVALID_ARGUMENT, "shape buffer too small");
        for (size_t i = 0; i < dims.size(); ++i) shape[i] = dims[i];
        *dtype = s.TensorType(handle.get());
        return PDS_OK;
    });
}

extern "C" pds_status pds_predictor_output_view(pds_predictor *predictor, const char *name, int64_t *shape,
                                                size_t *rank, int32_t *dtype, const void **data, size_t *count,
                                                char **error) {
    return with_predictor(predictor, error, [&](const Symbols &s, void *engine) -> pds_status {
        if (!name || !shape || !rank || !dtype || !data || !count) {
            return fail(error, PDS_ERR_INVALID_ARGUMENT, "null argument");
        }
        TensorHandle handle(s, s.PredictorGetOutputHandle(engine, name));
        if (!handle.get()) return fail(error, PDS_ERR_ENGINE, std::string("no output handle for ") + name);
        std::vector<int> dims = s.TensorShape(handle.get());
        const size_t capacity = *rank;
        *rank = dims.size();
        if (dims.size() > capacity) return fail(error, PDS_ERR_INVALID_ARGUMENT, "shape buffer too small");
        size_t elements = 1;
        for (size_t i = 0; i < dims.size(); ++i) {
            shape[i] = dims[i];
            elements *= static_cast<size_t>(dims[i] < 0 ? 0 : dims[i]);
        }
        const int type = s.TensorType(handle.get());
        if (!valid_dtype(type)) return fail(error, PDS_ERR_ENGINE, "output has an unknown element type");
        *dtype = type;
        *data = nullptr;
        *count = 0;
        if (elements == 0) return PDS_OK;
        int place = 0;
        int size = 0;
        *data = s.TensorData[type](handle.get(), &place, &size);
        *count = size < 0 ? 0 : static_cast<size_t>(size);
        if (*count != elements) {
            return fail(error, PDS_ERR_ENGINE, "output " + std::string(name) + " holds " + std::to_string(*count) +
                                                   " elements, its shape says " + std::to_string(elements));
        }
        return PDS_OK;
    });
}

extern "C" pds_status pds_predictor_clear_intermediate(pds_predictor *predictor, char **error) {
    return with_predictor(predictor, error, [&](const Symbols &s, void *engine) -> pds_status {
        s.PredictorClearIntermediateTensor(engine);
        return PDS_OK;
    });
}

extern "C" pds_status pds_predictor_try_shrink_memory(pds_predictor *predictor, uint64_t *released, char **error) {
    return with_predictor(predictor, error, [&](const Symbols &s, void *engine) -> pds_status {
        uint64_t n = s.PredictorTryShrinkMemory(engine);
        if (released) *released = n;
        return PDS_OK;
    });
}

extern "C" void pds_string_free(char *s) { std::free(s); }
