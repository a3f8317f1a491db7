// The raw C++ baseline for bench/run.sh: Paddle Inference 3.3.1's C++ API called directly, with no binding.
//
// The wheel ships no headers, so like Sources/CPaddle this program declares the few entry points it needs as plain
// function pointers (Itanium ABI: `this` first; a non-trivial by-value return goes through a hidden pointer) and
// resolves them with dlsym after loading libpaddle_pystubs.so (RTLD_GLOBAL) and paddle/base/libpaddle.so.
//
// The loop is what a C++ user would write: input and output handles fetched once, then per run
// Reshape + CopyFromCpu, Run, shape + CopyToCpu of every output into a reused buffer.
//
//   raw_loop RUNTIME_DIR PROGRAM PARAMS --shape 1x3x48x320 [--threads 1] [--onednn 0|1] [--workers K]
//            [--warmup N] (--iterations N | --duration SECONDS)
//
// With K workers, K threads each own one predictor (the first plus K-1 clones) and run the loop at the same time.
// Prints one JSON object: throughput (runs/s over all workers) and per-run latency percentiles in ms.
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

struct ReturnedUniquePtr {  // stands in for std::unique_ptr<T> as a by-value return
    void *ptr = nullptr;
    ~ReturnedUniquePtr() {}
};

void *library = nullptr;

template <typename F>
F sym(const char *name) {
    void *p = dlsym(library, name);
    if (!p) {
        std::fprintf(stderr, "raw_loop: missing symbol %s\n", name);
        std::exit(2);
    }
    return reinterpret_cast<F>(p);
}

struct Api {
    void (*ConfigCtor)(void *);
    void (*SetModel)(void *, const std::string &, const std::string &);
    void (*SetThreads)(void *, int);
    void (*EnableOneDNN)(void *);
    void (*DisableOneDNN)(void *);
    void (*SwitchIrOptim)(void *, int);
    void (*EnableMemoryOptim)(void *, bool);
    void (*DisableGlogInfo)(void *);
    void (*DisableGpu)(void *);
    void (*PredictorCtor)(void *, const void *);
    ReturnedUniquePtr (*Clone)(void *, void *);
    std::vector<std::string> (*InputNames)(void *);
    std::vector<std::string> (*OutputNames)(void *);
    ReturnedUniquePtr (*InputHandle)(void *, const std::string &);
    ReturnedUniquePtr (*OutputHandle)(void *, const std::string &);
    bool (*Run)(void *);
    void (*Reshape)(void *, const std::vector<int> &);
    std::vector<int> (*Shape)(const void *);
    int (*Type)(const void *);
    void (*CopyFromCpuF)(void *, const float *);
    void (*CopyToCpuF)(const void *, float *);
    void (*CopyToCpuL)(const void *, int64_t *);
    void (*CopyToCpuI)(const void *, int32_t *);
};
Api api;

void load(const std::string &dir) {
    if (!dlopen((dir + "/libpaddle_pystubs.so").c_str(), RTLD_NOW | RTLD_GLOBAL)) {
        std::fprintf(stderr, "raw_loop: %s\n", dlerror());
        std::exit(2);
    }
    library = dlopen((dir + "/paddle/base/libpaddle.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        std::fprintf(stderr, "raw_loop: %s\n", dlerror());
        std::exit(2);
    }
    const char *str = "RKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE";
    api.ConfigCtor = sym<decltype(api.ConfigCtor)>("_ZN6paddle14AnalysisConfigC1Ev");
    api.SetModel = sym<decltype(api.SetModel)>(
        "_ZN6paddle14AnalysisConfig8SetModelERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEES8_");
    api.SetThreads = sym<decltype(api.SetThreads)>("_ZN6paddle14AnalysisConfig27SetCpuMathLibraryNumThreadsEi");
    api.EnableOneDNN = sym<decltype(api.EnableOneDNN)>("_ZN6paddle14AnalysisConfig12EnableONEDNNEv");
    api.DisableOneDNN = sym<decltype(api.DisableOneDNN)>("_ZN6paddle14AnalysisConfig13DisableONEDNNEv");
    api.SwitchIrOptim = sym<decltype(api.SwitchIrOptim)>("_ZN6paddle14AnalysisConfig13SwitchIrOptimEi");
    api.EnableMemoryOptim = sym<decltype(api.EnableMemoryOptim)>("_ZN6paddle14AnalysisConfig17EnableMemoryOptimEb");
    api.DisableGlogInfo = sym<decltype(api.DisableGlogInfo)>("_ZN6paddle14AnalysisConfig15DisableGlogInfoEv");
    api.DisableGpu = sym<decltype(api.DisableGpu)>("_ZN6paddle14AnalysisConfig10DisableGpuEv");
    api.PredictorCtor = sym<decltype(api.PredictorCtor)>("_ZN12paddle_infer9PredictorC1ERKN6paddle14AnalysisConfigE");
    api.Clone = sym<decltype(api.Clone)>("_ZN12paddle_infer9Predictor5CloneEPv");
    api.InputNames = sym<decltype(api.InputNames)>("_ZN12paddle_infer9Predictor13GetInputNamesB5cxx11Ev");
    api.OutputNames = sym<decltype(api.OutputNames)>("_ZN12paddle_infer9Predictor14GetOutputNamesB5cxx11Ev");
    api.InputHandle = sym<decltype(api.InputHandle)>(
        (std::string("_ZN12paddle_infer9Predictor14GetInputHandleE") + str).c_str());
    api.OutputHandle = sym<decltype(api.OutputHandle)>(
        (std::string("_ZN12paddle_infer9Predictor15GetOutputHandleE") + str).c_str());
    api.Run = sym<decltype(api.Run)>("_ZN12paddle_infer9Predictor3RunEv");
    api.Reshape = sym<decltype(api.Reshape)>("_ZN12paddle_infer6Tensor7ReshapeERKSt6vectorIiSaIiEE");
    api.Shape = sym<decltype(api.Shape)>("_ZNK12paddle_infer6Tensor5shapeEv");
    api.Type = sym<decltype(api.Type)>("_ZNK12paddle_infer6Tensor4typeEv");
    api.CopyFromCpuF = sym<decltype(api.CopyFromCpuF)>("_ZN12paddle_infer6Tensor11CopyFromCpuIfEEvPKT_");
    api.CopyToCpuF = sym<decltype(api.CopyToCpuF)>("_ZNK12paddle_infer6Tensor9CopyToCpuIfEEvPT_");
    api.CopyToCpuL = sym<decltype(api.CopyToCpuL)>("_ZNK12paddle_infer6Tensor9CopyToCpuIlEEvPT_");
    api.CopyToCpuI = sym<decltype(api.CopyToCpuI)>("_ZNK12paddle_infer6Tensor9CopyToCpuIiEEvPT_");
}

struct Options {
    std::string runtime, program, params;
    std::vector<int> shape;
    int threads = 1, onednn = 1, workers = 1, warmup = 10;
    long iterations = 0;
    double duration = 5;
};

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// One predictor's loop: handles fetched once, then copy in, run, copy every output out.
struct Worker {
    void *predictor = nullptr;
    std::vector<double> latencies;
    long runs = 0;

    void loop(const Options &o, const std::vector<float> &input, std::atomic<int> &ready, std::atomic<bool> &go,
              double &end_time) {
        std::string in_name = api.InputNames(predictor)[0];
        ReturnedUniquePtr in = api.InputHandle(predictor, in_name);
        std::vector<ReturnedUniquePtr> outs;
        for (const auto &name : api.OutputNames(predictor)) outs.push_back(api.OutputHandle(predictor, name));
        std::vector<char> out_buffer;
        auto one_run = [&] {
            api.Reshape(in.ptr, o.shape);
            api.CopyFromCpuF(in.ptr, input.data());
            if (!api.Run(predictor)) {
                std::fprintf(stderr, "raw_loop: Run failed\n");
                std::exit(3);
            }
            for (auto &out : outs) {
                size_t n = 1;
                for (int d : api.Shape(out.ptr)) n *= size_t(d);
                int type = api.Type(out.ptr);
                size_t bytes = n * (type == 1 ? 8 : 4);
                if (out_buffer.size() < bytes) out_buffer.resize(bytes);
                if (type == 1) api.CopyToCpuL(out.ptr, reinterpret_cast<int64_t *>(out_buffer.data()));
                else if (type == 2) api.CopyToCpuI(out.ptr, reinterpret_cast<int32_t *>(out_buffer.data()));
                else api.CopyToCpuF(out.ptr, reinterpret_cast<float *>(out_buffer.data()));
            }
        };
        for (int i = 0; i < o.warmup; ++i) one_run();
        ready.fetch_add(1);
        while (!go.load()) std::this_thread::yield();
        latencies.reserve(1 << 16);
        for (;;) {
            if (o.iterations > 0 ? runs >= o.iterations : now_seconds() >= end_time) break;
            double t0 = now_seconds();
            one_run();
            latencies.push_back(now_seconds() - t0);
            ++runs;
        }
    }
};

std::vector<int> parse_shape(const char *text) {
    std::vector<int> shape;
    for (const char *p = text; *p;) {
        shape.push_back(std::atoi(p));
        while (*p && *p != 'x') ++p;
        if (*p == 'x') ++p;
    }
    return shape;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: raw_loop RUNTIME_DIR PROGRAM PARAMS --shape AxBx.. [options]\n");
        return 1;
    }
    Options o;
    o.runtime = argv[1];
    o.program = argv[2];
    o.params = argv[3];
    for (int i = 4; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        const char *v = argv[i + 1];
        if (k == "--shape") o.shape = parse_shape(v);
        else if (k == "--threads") o.threads = std::atoi(v);
        else if (k == "--onednn") o.onednn = std::atoi(v);
        else if (k == "--workers") o.workers = std::atoi(v);
        else if (k == "--warmup") o.warmup = std::atoi(v);
        else if (k == "--iterations") o.iterations = std::atol(v);
        else if (k == "--duration") o.duration = std::atof(v);
        else { std::fprintf(stderr, "raw_loop: unknown option %s\n", k.c_str()); return 1; }
    }
    load(o.runtime);

    alignas(64) static unsigned char config[0x800];
    api.ConfigCtor(config);
    api.SetModel(config, o.program, o.params);
    api.DisableGpu(config);
    api.SetThreads(config, o.threads);
    if (o.onednn) api.EnableOneDNN(config); else api.DisableOneDNN(config);
    api.SwitchIrOptim(config, 1);
    api.EnableMemoryOptim(config, false);
    api.DisableGlogInfo(config);

    std::vector<Worker> workers(o.workers);
    alignas(16) static unsigned char first[8];
    api.PredictorCtor(first, config);
    workers[0].predictor = first;
    for (int k = 1; k < o.workers; ++k) workers[k].predictor = api.Clone(first, nullptr).ptr;

    size_t count = 1;
    for (int d : o.shape) count *= size_t(d);
    std::vector<float> input(count);
    uint64_t state = 0x9E3779B97F4A7C15ull;  // the same values as `paddle-swift bench`
    for (auto &v : input) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        v = float(state >> 40) / float(1 << 24);
    }

    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    double end_time = 0;
    std::vector<std::thread> threads;
    for (auto &w : workers)
        threads.emplace_back([&, wp = &w] { wp->loop(o, input, ready, go, end_time); });
    while (ready.load() < o.workers) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    double start = now_seconds();
    end_time = start + o.duration;
    go.store(true);
    for (auto &t : threads) t.join();
    double elapsed = now_seconds() - start;

    std::vector<double> all;
    long runs = 0;
    for (auto &w : workers) {
        all.insert(all.end(), w.latencies.begin(), w.latencies.end());
        runs += w.runs;
    }
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p / 100 * all.size()))] * 1e3; };
    double mean = 0;
    for (double v : all) mean += v;
    mean = all.empty() ? 0 : mean / all.size() * 1e3;
    std::printf(
        "{\"workers\": %d, \"threads\": %d, \"onednn\": %d, \"runs\": %ld, \"seconds\": %.4f, \"throughput\": %.3f, "
        "\"latencyMs\": {\"p50\": %.4f, \"p90\": %.4f, \"p99\": %.4f, \"max\": %.4f, \"mean\": %.4f}}\n",
        o.workers, o.threads, o.onednn, runs, elapsed, runs / elapsed, pct(50), pct(90), pct(99),
        all.empty() ? 0 : all.back() * 1e3, mean);
    std::fflush(stdout);
    std::_Exit(0);  // skip engine teardown: not what is measured
}
