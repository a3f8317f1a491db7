/*
 * CPaddle: a plain-C ABI over the Paddle Inference 3.3.1 C++ API.
 *
 * The engine (libpaddle.so from the paddlepaddle wheel) is not linked at build time: pds_runtime_load() finds it
 * with dlopen and resolves every C++ entry point with dlsym. Every function here catches every C++ exception
 * and reports it as a status code plus an owned message, so no exception ever crosses into the caller.
 *
 * Conventions
 * - Functions that can fail return a pds_status (PDS_OK = 0). On failure, if `error` is not NULL, *error receives
 *   a message allocated with malloc that the caller owns and frees with pds_string_free().
 * - "given": the caller keeps ownership; "taken": ownership passes to the callee; "owned": the caller receives
 *   ownership and must release it with the named function; "borrowed": valid until the stated event.
 * - Handles are not thread-safe unless stated; one predictor must be used by one thread at a time.
 */
#ifndef CPADDLE_H
#define CPADDLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if !defined(__has_feature) || !__has_feature(nullability)
#define _Nonnull
#define _Nullable
#endif

typedef int32_t pds_status;
enum {
    PDS_OK = 0,
    /** The runtime library could not be loaded, a symbol is missing, or its version is not supported. */
    PDS_ERR_RUNTIME = 1,
    /** Paddle threw a C++ exception (its message is passed on). */
    PDS_ERR_ENGINE = 2,
    /** An argument was invalid (null pointer, unknown dtype, size mismatch). */
    PDS_ERR_INVALID_ARGUMENT = 3,
    /** pds_runtime_load() has not succeeded yet. */
    PDS_ERR_NOT_LOADED = 4,
    /** The runtime does not support the request (for example a GPU on a CPU-only build). */
    PDS_ERR_UNSUPPORTED = 5,
    /** The predictor failed to initialise from its model. */
    PDS_ERR_MODEL = 6,
};

/** Element types, numbered as paddle_infer::DataType. */
enum {
    PDS_FLOAT32 = 0, PDS_INT64 = 1, PDS_INT32 = 2, PDS_UINT8 = 3, PDS_INT8 = 4,
    PDS_FLOAT16 = 5, PDS_BOOL = 6, PDS_FLOAT64 = 7, PDS_BFLOAT16 = 8,
};

typedef struct pds_config pds_config;
typedef struct pds_predictor pds_predictor;

/** Frees a message or string returned by this library. Accepts NULL. */
void pds_string_free(char *_Nullable s);

/* ---- Runtime ----------------------------------------------------------------------------------------------- */

/**
 * Loads the runtime from `runtime_dir` (given), which holds `libpaddle_pystubs.so` and `paddle/base/libpaddle.so`.
 * Resolves every symbol and checks that the engine's version is 3.3.1. Thread-safe; after the first success,
 * later calls return PDS_OK at once (whatever the directory). A failure may be retried.
 */
pds_status pds_runtime_load(const char *_Nonnull runtime_dir, char *_Nullable *_Nullable error);
/**
 * Checks the runtime in `runtime_dir` exactly as pds_runtime_load would (files, version, symbols) without making
 * it the active runtime. Meant for diagnostics and tests, on a folder other than the one in use.
 */
pds_status pds_runtime_check(const char *_Nonnull runtime_dir, char *_Nullable *_Nullable error);
/** Whether pds_runtime_load has succeeded. Thread-safe. */
bool pds_runtime_is_loaded(void);
/** The engine's version text (e.g. "3.3.1"), borrowed for the process lifetime; NULL before loading. */
const char *_Nullable pds_runtime_version(void);

/* ---- CPU ------------------------------------------------------------------------------------------------- */

/** What this CPU (and the operating system) offers the engine's kernels. */
typedef struct pds_cpu_info {
    bool avx2;
    bool avx512f;
    /** AVX-512 F + BW + VL + DQ: oneDNN's `avx512_core`, the least it needs for bfloat16 kernels. */
    bool avx512_core;
    bool avx512_vnni;
    bool avx512_bf16;
    bool amx_tile;
    bool amx_int8;
    bool amx_bf16;
    /**
     * oneDNN's effective instruction set (a `dnnl_cpu_isa_t` bit mask: avx2 0x7, avx512_core 0x27,
     * avx512_core_vnni 0x67, avx512_core_bf16 0xe7, ...), after any `ONEDNN_MAX_CPU_ISA` limit; 0 before
     * pds_runtime_load() has succeeded or when the runtime's oneDNN does not say.
     */
    uint32_t onednn_isa;
} pds_cpu_info;

/** Fills `out` (given) from CPUID/XGETBV and, once the runtime is loaded, from its oneDNN. Thread-safe. */
void pds_cpu_info_read(pds_cpu_info *_Nonnull out);

/* ---- Config ---------------------------------------------------------------------------------------------- */

/** Creates an engine config with GPU off. Release with pds_config_destroy. */
pds_status pds_config_create(pds_config *_Nullable *_Nonnull out, char *_Nullable *_Nullable error);
void pds_config_destroy(pds_config *_Nullable config);
/** Program and params files (given). */
pds_status pds_config_set_model(pds_config *_Nonnull config, const char *_Nonnull program_file,
                                const char *_Nonnull params_file, char *_Nullable *_Nullable error);
/** A directory holding `__model__` (and separate parameter files or `__params__`). */
pds_status pds_config_set_model_dir(pds_config *_Nonnull config, const char *_Nonnull dir,
                                    char *_Nullable *_Nullable error);
/** Program and params bytes (given; the engine copies them). Legacy ProgramDesc programs only. */
pds_status pds_config_set_model_buffer(pds_config *_Nonnull config, const void *_Nonnull program, size_t program_size,
                                       const void *_Nonnull params, size_t params_size,
                                       char *_Nullable *_Nullable error);
pds_status pds_config_set_cpu_threads(pds_config *_Nonnull config, int32_t threads, char *_Nullable *_Nullable error);
pds_status pds_config_set_onednn(pds_config *_Nonnull config, bool enabled, char *_Nullable *_Nullable error);
/** Bounds oneDNN's per-thread cache to `capacity` input shapes (0 = unbounded, the engine's default). */
pds_status pds_config_set_onednn_cache_capacity(pds_config *_Nonnull config, int32_t capacity,
                                                char *_Nullable *_Nullable error);
pds_status pds_config_set_ir_optim(pds_config *_Nonnull config, bool enabled, char *_Nullable *_Nullable error);
pds_status pds_config_set_memory_optim(pds_config *_Nonnull config, bool enabled, char *_Nullable *_Nullable error);
pds_status pds_config_disable_glog_info(pds_config *_Nonnull config, char *_Nullable *_Nullable error);
pds_status pds_config_delete_pass(pds_config *_Nonnull config, const char *_Nonnull pass,
                                  char *_Nullable *_Nullable error);
/**
 * The engine's own optimized-program files in `folder` (given): `_optimized.pdmodel` or `_optimized.json`, plus
 * `_optimized.pdiparams`. save: the predictor writes its program there after the IR passes (the engine creates the
 * folder). use: the predictor reads them instead of the model and skips the IR passes; the files must exist
 * (otherwise Paddle 3.3.1 silently falls back to the model and saves into `folder`). Not both at once.
 */
pds_status pds_config_set_optimized_program(pds_config *_Nonnull config, const char *_Nonnull folder, bool save,
                                            bool use, char *_Nullable *_Nullable error);
/** Asks for GPU `device_id`; fails with PDS_ERR_UNSUPPORTED when the runtime has no GPU support. */
pds_status pds_config_enable_gpu(pds_config *_Nonnull config, uint64_t memory_pool_mb, int32_t device_id,
                                 char *_Nullable *_Nullable error);
/** The engine's summary table; *out is owned (pds_string_free). */
pds_status pds_config_summary(pds_config *_Nonnull config, char *_Nullable *_Nonnull out,
                              char *_Nullable *_Nullable error);

/* ---- Predictor -------------------------------------------------------------------------------------------- */

/** Creates a predictor from a copy of `config` (given; still usable afterwards). Release with pds_predictor_destroy. */
pds_status pds_predictor_create(const pds_config *_Nonnull config, pds_predictor *_Nullable *_Nonnull out,
                                char *_Nullable *_Nullable error);
/** Clones `predictor`: shares weights for ProgramDesc models. Thread-safe with respect to `predictor`. */
pds_status pds_predictor_clone(pds_predictor *_Nonnull predictor, pds_predictor *_Nullable *_Nonnull out,
                               char *_Nullable *_Nullable error);
void pds_predictor_destroy(pds_predictor *_Nullable predictor);

/** One input or output: name, shape (-1 = dynamic) and element type (-1 when the engine cannot tell). */
typedef struct pds_io_info {
    char *_Nonnull name;
    int64_t *_Nullable shape;
    size_t rank;
    int32_t dtype;
} pds_io_info;

/** The inputs (is_output false) or outputs, in the engine's order. *out is owned: pds_io_info_free(*out, *count). */
pds_status pds_predictor_io_info(pds_predictor *_Nonnull predictor, bool is_output,
                                 pds_io_info *_Nullable *_Nonnull out, size_t *_Nonnull count,
                                 char *_Nullable *_Nullable error);
void pds_io_info_free(pds_io_info *_Nullable info, size_t count);

/**
 * Sets input `name` to `shape` (given, `rank` entries) with elements of `dtype` at `data`.
 * share == false: the bytes are copied now. share == true: the engine reads `data` in place (zero copy); it is
 * borrowed until the next pds_predictor_run on this predictor returns, and must stay valid and unchanged until then.
 */
pds_status pds_predictor_set_input(pds_predictor *_Nonnull predictor, const char *_Nonnull name, int32_t dtype,
                                   const int32_t *_Nonnull shape, size_t rank, const void *_Nonnull data, bool share,
                                   char *_Nullable *_Nullable error);
/** Runs the model on the inputs set. */
pds_status pds_predictor_run(pds_predictor *_Nonnull predictor, char *_Nullable *_Nullable error);
/** Shape (written to `shape`, capacity `*rank` in, actual rank out) and element type of output `name`. */
pds_status pds_predictor_output_shape(pds_predictor *_Nonnull predictor, const char *_Nonnull name,
                                      int64_t *_Nonnull shape, size_t *_Nonnull rank, int32_t *_Nonnull dtype,
                                      char *_Nullable *_Nullable error);
/**
 * Shape, element type and zero-copy bytes of output `name`, from one handle: `shape` (capacity `*rank` in,
 * actual rank out), `*dtype`, `*data` (borrowed until the next run, set_input or destroy on this predictor) and
 * `*count` elements.
 */
pds_status pds_predictor_output_view(pds_predictor *_Nonnull predictor, const char *_Nonnull name,
                                     int64_t *_Nonnull shape, size_t *_Nonnull rank, int32_t *_Nonnull dtype,
                                     const void *_Nullable *_Nonnull data, size_t *_Nonnull count,
                                     char *_Nullable *_Nullable error);
pds_status pds_predictor_clear_intermediate(pds_predictor *_Nonnull predictor, char *_Nullable *_Nullable error);
pds_status pds_predictor_try_shrink_memory(pds_predictor *_Nonnull predictor, uint64_t *_Nullable released,
                                           char *_Nullable *_Nullable error);

#ifdef __cplusplus
}
#endif
#endif
