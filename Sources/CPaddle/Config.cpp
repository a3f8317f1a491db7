// pds_config_*: an engine AnalysisConfig in storage the shim owns, built and torn down with exported members.
#include "CPaddle.h"
#include "PaddleABI.hpp"
#include "Handles.hpp"
#include "Status.hpp"

#include <new>
#include <string>


using namespace pds;

namespace {

/// Runs `body(symbols, engine config)` after checking the runtime and the handle.
template <typename Body>
pds_status with_config(pds_config *config, char **error, Body &&body) {
    return guard(error, [&]() -> pds_status {
        const Symbols *s = symbols();
        if (!s) return fail(error, PDS_ERR_NOT_LOADED, "the Paddle Inference runtime is not loaded");
        if (!config) return fail(error, PDS_ERR_INVALID_ARGUMENT, "config is null");
        return body(*s, config->engine());
    });
}

}  // namespace

extern "C" pds_status pds_config_create(pds_config **out, char **error) {
    return guard(error, [&]() -> pds_status {
        if (!out) return fail(error, PDS_ERR_INVALID_ARGUMENT, "out is null");
        *out = nullptr;
        const Symbols *s = symbols();
        if (!s) return fail(error, PDS_ERR_NOT_LOADED, "the Paddle Inference runtime is not loaded");
        auto *config = new pds_config;
        try {
            s->ConfigCtor(config->engine());
        } catch (...) {
            delete config;
            throw;
        }
        try {
            s->ConfigDisableGpu(config->engine());
        } catch (...) {
            s->ConfigDtor(config->engine());
            delete config;
            throw;
        }
        *out = config;
        return PDS_OK;
    });
}

extern "C" void pds_config_destroy(pds_config *config) {
    if (!config) return;
    const Symbols *s = symbols();
    try {
        if (s) s->ConfigDtor(config->engine());
    } catch (...) {
        // A destructor that throws has nowhere to report to; the storage is still released.
    }
    delete config;
}

extern "C" pds_status pds_config_set_model(pds_config *config, const char *program_file, const char *params_file,
                                           char **error) {
    return with_config(config, error, [&](const Symbols &s, void *c) -> pds_status {
        if (!program_file || !params_file) return fail(error, PDS_ERR_INVALID_ARGUMENT, "model path is null");
        s.ConfigSetModel2(c, program_file, params_file);
        return PDS_OK;
    });
}

extern "C" pds_status pds_config_set_model_dir(pds_config *config, const char *dir, char **error) {
    return with_config(config, error, [&](const Symbols &s, void *c) -> pds_status {
        if (!dir) return fail(error, PDS_ERR_INVALID_ARGUMENT, "model directory is null");
        s.ConfigSetModelDir(c, dir);
        return PDS_OK;
    });
}

extern "C" pds_status pds_config_set_model_buffer(pds_config *config, const void *program, size_t program_size,
                                                  const void *params, size_t params_size, char **error) {
    return with_config(config, error, [&](const Symbols &s, void *c) -> pds_status {
        if (!program || !params) return fail(error, PDS_ERR_INVALID_ARGUMENT, "model buffer is null");
        s.ConfigSetModelBuffer(c, static_cast<const char *>(program), program_size,
                               static_cast<const char *>(params), params_size);
        return PDS_OK;
    });
}

extern "C" pds_status pds_config_set_cpu_threads(pds_config *config, int32_t threads, char **error) {
    return with_config(config, error, [&](const Symbols &s, void *c) -> pds_status {
        if (threads < 1) return fail(error, PDS_ERR_INVALID_ARGUMENT, "CPU threads must be at least 1");
        s.ConfigSetCpuThreads(c, threads);
        return PDS_OK;
    });
}

extern "C" pds_status pds_config_set_onednn(pds_config *config, bool enabled, char **error) {
    return with_config(config, error, [&](const Symbols &s, void *c) -> pds_status {
        if (enabled) s.ConfigEnableMKLDNN(c); else s.ConfigDisableMKLDNN(c);
        return PDS_OK;
    });
}

extern "C" pds_status pds_config_set_onednn_cache_capacity(pds_config *config, int32_t capacity, char **error) {
    return with_config(config, error, [&](const Symbols &s, void *c) -> pds_status {
        if (capacity < 0) return fail(error, PDS_ERR_INVALID_ARGUMENT, "the oneDNN cache capacity must be >= 0");
        s.ConfigSetOnednnCacheCapacity(c, capacity);
        return PDS_OK;
    });
}

extern "C" pds_status pds_config_set_ir_optim(pds_config *config, bool enabled, char **error) {
    return with_config(config, error, [&](const Symbols &s, void *c) -> pds_status {
        s.ConfigSwitchIrOptim(c, enabled ? 1 : 0);
        return PDS_OK;
    });
}

extern "C" pds_status pds_config_set_memory_optim(pds_config *config, bool enabled, char **error) {
    return with_config(config, error, [&](const Symbols &s, void *c) -> pds_status {
        s.ConfigEnableMemoryOptim(c, enabled);
        return PDS_OK;
    });
}

extern "C" pds_status pds_config_disable_glog_info(pds_config *config, char **error) {
    return with_config(config, error, [&](const Symbols &s, void *c) -> pds_status {
        s.ConfigDisableGlogInfo(c);
        return PDS_OK;
    });
}

extern "C" pds_status pds_config_delete_pass(pds_config *config, const char *pass, char **error) {
    return with_config(config, error, [&](const Symbols &s, void *c) -> pds_status {
        if (!pass) return fail(error, PDS_ERR_INVALID_ARGUMENT, "pass name is null");
        s.ConfigDeletePass(c, pass);
        return PDS_OK;
    });
}

extern "C" pds_status pds_config_set_optimized_program(pds_config *config, const char *folder, bool save, bool use,
                                                       char **error) {
    return with_config(config, error, [&](const Symbols &s, void *c) -> pds_status {
        if (!folder) return fail(error, PDS_ERR_INVALID_ARGUMENT, "optimized-program folder is null");
        if (save && use) {
            return fail(error, PDS_ERR_INVALID_ARGUMENT, "an optimized program is either saved or used, not both");
        }
        s.ConfigSetOptimCacheDir(c, folder);
        s.ConfigEnableSaveOptimModel(c, save);
        s.ConfigUseOptimizedModel(c, use);
        return PDS_OK;
    });
}

extern "C" pds_status pds_config_enable_gpu(pds_config *config, uint64_t memory_pool_mb, int32_t device_id,
                                            char **error) {
    return with_config(config, error, [&](const Symbols &s, void *c) -> pds_status {
        s.ConfigEnableUseGpu(c, memory_pool_mb, device_id, 0 /* kFloat32 */);
        if (!s.ConfigUseGpu(c)) {
            return fail(error, PDS_ERR_UNSUPPORTED,
                        "this Paddle Inference runtime was built without GPU support (CPU-only wheel)");
        }
        return PDS_OK;
    });
}

extern "C" pds_status pds_config_summary(pds_config *config, char **out, char **error) {
    return with_config(config, error, [&](const Symbols &s, void *c) -> pds_status {
        if (!out) return fail(error, PDS_ERR_INVALID_ARGUMENT, "out is null");
        *out = owned_cstring(s.ConfigSummary(c));
        return PDS_OK;
    });
}
