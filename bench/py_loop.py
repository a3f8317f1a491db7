"""The Python baseline for bench/run.sh: a single-thread `paddle.inference` loop, as a user would write it.

    python py_loop.py PROGRAM PARAMS --shape 1x3x48x320 [--threads 1] [--onednn 0|1] [--warmup N]
                      [--duration S | --iterations N] [--repeats R]
    python py_loop.py PROGRAM PARAMS --shape ... --hold      # memory: load, run a few times, print READY, wait

Loop: input handle reshape + copy_from_cpu, run(), copy_to_cpu() of every output. Prints one JSON line per repeat.
Inputs: the same pseudo-random floats in [0, 1) as `paddle-swift bench` and bench/raw_loop.
"""
import argparse
import json
import sys
import time

import numpy as np
from paddle import inference


def synthetic(shape):
    count = int(np.prod(shape))
    out = np.empty(count, dtype=np.float32)
    state = 0x9E3779B97F4A7C15
    mask = (1 << 64) - 1
    for i in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) & mask
        out[i] = np.float32(state >> 40) / np.float32(1 << 24)
    return out.reshape(shape)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("program")
    p.add_argument("params")
    p.add_argument("--shape", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--onednn", type=int, default=1)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--duration", type=float, default=5)
    p.add_argument("--iterations", type=int, default=0)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--hold", action="store_true")
    p.add_argument("--memory-optim", type=int, default=0)
    a = p.parse_args()

    config = inference.Config(a.program, a.params)
    config.disable_gpu()
    config.set_cpu_math_library_num_threads(a.threads)
    if a.onednn:
        config.enable_mkldnn()
    else:
        config.disable_mkldnn()
    config.switch_ir_optim(True)
    config.enable_memory_optim(bool(a.memory_optim))
    config.disable_glog_info()
    predictor = inference.create_predictor(config)
    shape = [int(d) for d in a.shape.split("x")]
    data = synthetic(shape)
    handle = predictor.get_input_handle(predictor.get_input_names()[0])
    outputs = [predictor.get_output_handle(n) for n in predictor.get_output_names()]

    def once():
        handle.reshape(shape)
        handle.copy_from_cpu(data)
        predictor.run()
        for out in outputs:
            out.copy_to_cpu()

    for _ in range(a.warmup):
        once()
    if a.hold:
        print("READY", flush=True)
        sys.stdin.read()
        return
    for _ in range(a.repeats):
        latencies = []
        start = time.perf_counter()
        while (len(latencies) < a.iterations) if a.iterations else (time.perf_counter() - start < a.duration):
            t0 = time.perf_counter()
            once()
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
        latencies.sort()
        pct = lambda q: latencies[min(len(latencies) - 1, int(q / 100 * len(latencies)))] * 1e3
        print(json.dumps({"runs": len(latencies), "seconds": elapsed, "throughput": len(latencies) / elapsed,
                          "latencyMs": {"p50": pct(50), "p90": pct(90), "p99": pct(99), "max": latencies[-1] * 1e3,
                                        "mean": sum(latencies) / len(latencies) * 1e3}}), flush=True)


if __name__ == "__main__":
    main()
