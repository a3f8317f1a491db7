#!/usr/bin/env python3
"""The benchmark suite behind bench/run.sh (standard library only).

Runs side by side, on the same engine build, thread counts and inputs:
  1. binding overhead: `paddle-swift bench --direct` (and through a pool of 1) vs bench/raw_loop (C++);
  2. Python `paddle.inference` single-thread loop (bench/py_loop.py) on the same models;
  3. pool throughput at concurrency 1, 2, 4, 8 vs the raw C++ loop's best throughput on the same cores;
  4. memory: a pool of 4 clones vs 4 independent predictors vs 4 Python worker processes.
Every timed measurement is repeated; tables show the median of the repeats. Variants are interleaved within each
repeat so that background load hits them alike.

Writes docs/benchmarks.md, docs/benchmarks-throughput.svg and docs/benchmarks-memory.svg, and keeps every raw
result in bench/out/results.json.
"""
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RUNTIME = ROOT / ".paddle" / "runtime"
QUICK = os.environ.get("BENCH_QUICK") == "1"
REPEATS = int(os.environ.get("BENCH_REPEATS", "1" if QUICK else "3"))
SECONDS_ENGINE = float(os.environ.get("BENCH_SECONDS", "1" if QUICK else "4"))
SECONDS_TINY = max(1.0, SECONDS_ENGINE / 2)

MODELS = {
    "rec_v4": {
        "label": "PP-OCRv4 rec (.pdmodel)",
        "dir": ROOT / ".paddle/models/ppocrv4/ch_PP-OCRv4_rec_infer",
        "program": "inference.pdmodel",
        "shape": "1x3x48x320",
        "onednn": 1,
        "seconds": SECONDS_ENGINE,
        "warmup": 5,
    },
    "rec_v5": {
        "label": "PP-OCRv5 mobile rec (PIR .json)",
        "dir": ROOT / ".paddle/models/ppocrv5/PP-OCRv5_mobile_rec",
        "program": "inference.json",
        "shape": "1x3x48x320",
        "onednn": 0,
        "seconds": SECONDS_ENGINE,
        "warmup": 5,
    },
    "tiny": {
        "label": "tiny MLP 16-32-4 (.pdmodel)",
        "dir": ROOT / ".fixtures/models/mlp_tiny_pdmodel",
        "program": "inference.pdmodel",
        "shape": "1x16",
        "onednn": 1,
        "seconds": SECONDS_TINY,
        "warmup": 200,
    },
}

ENV = dict(os.environ, GLOG_minloglevel="2", PADDLE_INFERENCE_DIR=str(RUNTIME), OMP_NUM_THREADS="1")


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_json(cmd, lines=False):
    result = subprocess.run([str(c) for c in cmd], env=ENV, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    text = result.stdout.strip()
    if lines:
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return json.loads(text[text.index("{"):])


def model_files(key):
    m = MODELS[key]
    return m["dir"] / m["program"], m["dir"] / "inference.pdiparams"


def swift(binary, key, *extra, seconds=None, iterations=None, warmup=None):
    m = MODELS[key]
    cmd = [binary, "bench", m["dir"], "--json", "--no-progress", "--threads", 1,
           "--onednn", "on" if m["onednn"] else "off", "--shape", m["shape"],
           "--memory-optim", "off", "--warmup", m["warmup"] if warmup is None else warmup]
    cmd += ["--iterations", iterations] if iterations else ["--duration", seconds or m["seconds"]]
    return run_json(cmd + list(extra))


def cpp(raw, key, workers=1):
    m = MODELS[key]
    program, params = model_files(key)
    return run_json([raw, RUNTIME, program, params, "--shape", m["shape"], "--threads", 1, "--onednn", m["onednn"],
                     "--workers", workers, "--warmup", m["warmup"], "--duration", m["seconds"]])


def python_loop(python, key):
    m = MODELS[key]
    program, params = model_files(key)
    return run_json([python, ROOT / "bench/py_loop.py", program, params, "--shape", m["shape"], "--threads", 1,
                     "--onednn", m["onednn"], "--warmup", m["warmup"], "--duration", m["seconds"],
                     "--repeats", REPEATS], lines=True)


def per_run_ms(result):
    return result["seconds"] / result["runs"] * 1e3


def median(values):
    return statistics.median(values) if values else float("nan")


def proc_memory(pid):
    def field(path, name):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(name + ":"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0
    return field(f"/proc/{pid}/status", "VmRSS"), field(f"/proc/{pid}/smaps_rollup", "Pss")


def python_workers(python, key, count=4, memory_optim=False):
    """Starts `count` Python workers on `key`, waits until all are loaded and warm, and sums their memory."""
    m = MODELS[key]
    program, params = model_files(key)
    procs = [subprocess.Popen([python, str(ROOT / "bench/py_loop.py"), str(program), str(params), "--shape",
                               m["shape"], "--threads", "1", "--onednn", str(m["onednn"]), "--warmup", "8", "--hold",
                               "--memory-optim", "1" if memory_optim else "0"],
                              env=ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True) for _ in range(count)]
    try:
        for p in procs:
            line = p.stdout.readline()
            if "READY" not in line:
                raise RuntimeError(f"a Python worker for {key} did not start")
        sizes = [proc_memory(p.pid) for p in procs]
    finally:
        for p in procs:
            p.stdin.close()
            p.wait()
    return {"rssBytes": sum(s[0] for s in sizes), "pssBytes": sum(s[1] for s in sizes),
            "perProcessRSS": [s[0] for s in sizes]}


def machine():
    info = {"kernel": platform.release(), "python": platform.python_version()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        info["cores"] = os.cpu_count()
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memoryGiB"] = round(int(line.split()[1]) / 1048576, 1)
    except OSError:
        pass
    info["swift"] = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()[0] \
        if subprocess.run(["which", "swift"], capture_output=True).returncode == 0 else "?"
    info["cxx"] = subprocess.run(["g++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    info["commit"] = commit + (" (with uncommitted changes)" if dirty else "")
    info["date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return info


def loadavg():
    return Path("/proc/loadavg").read_text().split()[:3]


# MARK: - Measuring


def measure(binary, raw, python):
    results = {"machine": machine(), "repeats": REPEATS, "loadBefore": loadavg()}

    # 1. Binding overhead (single predictor, single caller, 1 math thread).
    overhead = {}
    for key in ["rec_v4", "tiny"]:
        rows = {"cpp": [], "swiftDirect": [], "swiftPool1": []}
        for r in range(REPEATS):
            log(f"overhead {key} repeat {r + 1}/{REPEATS}")
            rows["cpp"].append(cpp(raw, key))
            rows["swiftDirect"].append(swift(binary, key, "--direct"))
            rows["swiftPool1"].append(swift(binary, key, "--pool-size", 1, "--concurrency", 1))
        overhead[key] = rows
    results["overhead"] = overhead

    # 2. Python paddle.inference, same models and settings.
    results["python"] = {}
    if python:
        for key in ["rec_v4", "tiny"]:
            log(f"python loop {key}")
            results["python"][key] = python_loop(python, key)

    # 3. Pool throughput vs the best raw C++ throughput on the same cores.
    cores = os.cpu_count() or 1
    pool_size = int(os.environ.get("BENCH_POOL_SIZE", cores))
    through = {"poolSize": pool_size, "cpp": {}, "swift": {}}
    worker_counts = sorted({1, pool_size})
    for r in range(REPEATS):
        for w in worker_counts:
            log(f"throughput C++ {w} worker(s), repeat {r + 1}/{REPEATS}")
            through["cpp"].setdefault(str(w), []).append(cpp(raw, "rec_v4", workers=w))
        for c in [1, 2, 4, 8]:
            log(f"throughput pool of {pool_size}, concurrency {c}, repeat {r + 1}/{REPEATS}")
            through["swift"].setdefault(str(c), []).append(
                swift(binary, "rec_v4", "--pool-size", pool_size, "--concurrency", c))
    results["throughput"] = through

    # 4. Memory: one process with a pool of 4 (clones / independent), vs 4 Python worker processes.
    memory = {}
    for key in ["rec_v4", "rec_v5"]:
        log(f"memory {key}")
        row = {}
        row["swiftPool1"] = swift(binary, key, "--pool-size", 1, iterations=8, warmup=2)
        row["swiftPool4"] = swift(binary, key, "--pool-size", 4, "--concurrency", 4, iterations=16, warmup=4)
        row["swiftIndependent4"] = swift(binary, key, "--pool-size", 4, "--concurrency", 4, "--independent",
                                         iterations=16, warmup=4)
        row["swiftPool4MemOpt"] = swift(binary, key, "--pool-size", 4, "--concurrency", 4, "--memory-optim", "on",
                                        iterations=16, warmup=4)
        if python:
            row["python4"] = python_workers(python, key)
            row["python4MemOpt"] = python_workers(python, key, memory_optim=True)
        memory[key] = row
    results["memory"] = memory
    results["loadAfter"] = loadavg()
    return results


# MARK: - Report


def fmt(value, digits=2):
    return f"{value:.{digits}f}"


def mib(value):
    return f"{value / 1048576:.0f}"


def verdict(ok):
    return "**met**" if ok else "**missed**"


def svg_throughput(results, path):
    t = results["throughput"]
    bars = []
    for c in ["1", "2", "4", "8"]:
        bars.append((f"pool of {t['poolSize']}, concurrency {c}", median([x["throughput"] for x in t["swift"][c]]),
                     "#4C78A8"))
    for w, runs in sorted(t["cpp"].items(), key=lambda kv: int(kv[0])):
        bars.append((f"raw C++, {w} thread(s)", median([x["throughput"] for x in runs]), "#F58518"))
    write_bar_svg(path, "PP-OCRv4 rec [1,3,48,320] throughput (runs/s, median of repeats)", bars, "runs/s")


def svg_memory(results, path):
    bars = []
    for key in ["rec_v4", "rec_v5"]:
        row = results["memory"][key]
        name = MODELS[key]["label"].split(" (")[0]
        bars.append((f"{name}: Swift pool of 4 clones", row["swiftPool4"]["rssBytes"] / 1048576, "#4C78A8"))
        bars.append((f"{name}: Swift 4 independent", row["swiftIndependent4"]["rssBytes"] / 1048576, "#72B7B2"))
        if "python4" in row:
            bars.append((f"{name}: 4 Python workers (sum of RSS)", row["python4"]["rssBytes"] / 1048576, "#F58518"))
            bars.append((f"{name}: 4 Python workers (sum of PSS)", row["python4"]["pssBytes"] / 1048576, "#FFBF79"))
    write_bar_svg(path, "Resident memory with 4 predictors (MiB)", bars, "MiB")


def write_bar_svg(path, title, bars, unit):
    width, label_w, bar_h, gap, top = 900, 330, 22, 8, 40
    plot_w = width - label_w - 90
    top_value = max(v for _, v, _ in bars) or 1
    height = top + len(bars) * (bar_h + gap) + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="13">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="10" y="24" font-size="15" font-weight="bold">{title}</text>']
    for i, (label, value, color) in enumerate(bars):
        y = top + i * (bar_h + gap)
        w = plot_w * value / top_value
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 16}">{value:.1f} {unit}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")


def report(results):
    m = results["machine"]
    lines = ["# Benchmarks", "",
             "Generated by `bench/run.sh` (do not edit by hand; the notes at the end come from `bench/NOTES.md`).", "",
             f"- Date: {m['date']}; commit {m['commit']}",
             f"- Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memoryGiB', '?')} GiB RAM, "
             f"Linux {m['kernel']}",
             f"- Toolchains: {m['swift']}; {m['cxx']}; Python {m['python']} with paddlepaddle 3.3.1",
             "- Engine: Paddle Inference 3.3.1 (`libpaddle.so` from the paddlepaddle wheel), CPU, 1 math thread per "
             "predictor, IR optimisation on, memory optimisation off, oneDNN on for `.pdmodel` and off for PIR "
             "`.json` models (the same settings in Swift, C++ and Python)",
             f"- Each timed figure is the median of {results['repeats']} repeats ({SECONDS_ENGINE:g} s each for the "
             f"OCR model, {SECONDS_TINY:g} s for the tiny model), variants interleaved. Load average before/after: "
             f"{' '.join(results['loadBefore'])} / {' '.join(results['loadAfter'])}.",
             "- Inputs: the same pseudo-random floats in [0, 1) everywhere; OCR input `[1, 3, 48, 320]`, tiny input "
             "`[1, 16]`.", ""]

    # 1 + 2
    lines += ["## 1-2. Binding overhead and Python", "",
              "Time per run (mean over a timed loop, then the median over repeats) of one predictor called in a loop "
              "from one thread. *Swift direct* is `Predictor.run` on the calling thread; *Swift pool(1)* is "
              "`PredictorPool.run` with one predictor (adds the hop to the pool thread and back).", "",
              "| model | raw C++ ms | Swift direct ms | ratio | target | Swift pool(1) ms | ratio | "
              "Python ms | Python / C++ |",
              "|---|---|---|---|---|---|---|---|---|"]
    targets = {"rec_v4": 1.02, "tiny": 1.10}
    for key in ["rec_v4", "tiny"]:
        rows = results["overhead"][key]
        c = median([per_run_ms(x) for x in rows["cpp"]])
        d = median([per_run_ms(x) for x in rows["swiftDirect"]])
        p = median([per_run_ms(x) for x in rows["swiftPool1"]])
        py = results["python"].get(key)
        pym = median([per_run_ms(x) for x in py]) if py else float("nan")
        ok = d / c <= targets[key]
        lines.append(f"| {MODELS[key]['label']} | {fmt(c, 4)} | {fmt(d, 4)} | {fmt(d / c, 3)}x | "
                     f"<= {targets[key]:.2f}x {verdict(ok)} | {fmt(p, 4)} | {fmt(p / c, 3)}x | {fmt(pym, 4)} | "
                     f"{fmt(pym / c, 3)}x |")
        results.setdefault("summary", {})[f"overhead_{key}"] = d / c
    lines += ["", "Latency percentiles of the same runs (ms, median over repeats):", "",
              "| model | variant | p50 | p90 | p99 | max |", "|---|---|---|---|---|---|"]
    for key in ["rec_v4", "tiny"]:
        rows = dict(results["overhead"][key])
        if results["python"].get(key):
            rows["python"] = results["python"][key]
        for name, runs in rows.items():
            pcts = [median([x["latencyMs"][q] for x in runs]) for q in ["p50", "p90", "p99", "max"]]
            lines.append(f"| {MODELS[key]['label']} | {name} | " + " | ".join(fmt(v, 4) for v in pcts) + " |")

    # 3
    t = results["throughput"]
    best_w, best = max(((w, median([x["throughput"] for x in runs])) for w, runs in t["cpp"].items()),
                       key=lambda kv: kv[1])
    lines += ["", "## 3. Pool throughput", "",
              f"PP-OCRv4 rec, a pool of {t['poolSize']} predictors (one per core), callers at concurrency 1-8, "
              f"against the raw C++ loop with 1 and {t['poolSize']} threads each owning a predictor (the first plus "
              "clones). Target: >= 0.95x of the best C++ throughput.", "",
              "| variant | runs/s | vs best C++ | p50 ms | p99 ms |", "|---|---|---|---|---|"]
    for w, runs in sorted(t["cpp"].items(), key=lambda kv: int(kv[0])):
        v = median([x["throughput"] for x in runs])
        lines.append(f"| raw C++, {w} thread(s) | {fmt(v)} | {fmt(v / best, 3)}x | "
                     f"{fmt(median([x['latencyMs']['p50'] for x in runs]), 3)} | "
                     f"{fmt(median([x['latencyMs']['p99'] for x in runs]), 3)} |")
    for c in ["1", "2", "4", "8"]:
        runs = t["swift"][c]
        v = median([x["throughput"] for x in runs])
        note = "" if int(c) < t["poolSize"] else f" {verdict(v / best >= 0.95)}"
        lines.append(f"| Swift pool of {t['poolSize']}, concurrency {c} | {fmt(v)} | {fmt(v / best, 3)}x{note} | "
                     f"{fmt(median([x['latencyMs']['p50'] for x in runs]), 3)} | "
                     f"{fmt(median([x['latencyMs']['p99'] for x in runs]), 3)} |")
    lines += ["", f"Concurrency below the pool size leaves cores idle, so those rows are not held to the target. "
              f"Latency above concurrency {t['poolSize']} includes the time spent queued.", "",
              "![throughput](benchmarks-throughput.svg)", ""]

    # 4
    lines += ["## 4. Memory", "",
              "Resident memory once loaded and warm. Swift: one process (`paddle-swift bench`), RSS and PSS read "
              "from `/proc/self` after the runs. Python: 4 worker processes, each loading the model with "
              "`paddle.inference`, all alive at once; *RSS* is the sum of their RSS, which counts the shared engine "
              "libraries once per process, *PSS* divides shared pages among the processes that map them.", "",
              "| model | Swift pool of 1 | pool of 4 clones | 4 independent | per clone | 4 Python (sum RSS) | "
              "4 Python (sum PSS) | pool of 4 / Python RSS | target |",
              "|---|---|---|---|---|---|---|---|---|"]
    for key in ["rec_v4", "rec_v5"]:
        row = results["memory"][key]
        p1, p4, i4 = (row[k]["rssBytes"] for k in ["swiftPool1", "swiftPool4", "swiftIndependent4"])
        py = row.get("python4")
        ratio = p4 / py["rssBytes"] if py else float("nan")
        lines.append(f"| {MODELS[key]['label']} | {mib(p1)} MiB | {mib(p4)} MiB | {mib(i4)} MiB | "
                     f"{fmt((p4 - p1) / 3 / 1048576, 1)} MiB | "
                     f"{mib(py['rssBytes']) if py else '-'} MiB | {mib(py['pssBytes']) if py else '-'} MiB | "
                     f"{fmt(ratio, 3)}x | <= 0.35x {verdict(ratio <= 0.35)} |")
        if py:
            lines.append(f"|  | PSS {mib(row['swiftPool1']['pssBytes'])} | PSS {mib(row['swiftPool4']['pssBytes'])}"
                         f" | PSS {mib(row['swiftIndependent4']['pssBytes'])} | | | | "
                         f"PSS vs PSS: {fmt(row['swiftPool4']['pssBytes'] / py['pssBytes'], 3)}x | |")
    lines += ["", "*Per clone* is (pool of 4 - pool of 1) / 3: what each extra predictor costs.", "",
              "With the engine's memory optimisation on (`Config.memoryOptim`, `enable_memory_optim()`; RapidOCR "
              "turns it on) on both sides, which reuses intermediate buffers:", "",
              "| model | Swift pool of 4 clones | 4 Python (sum RSS) | 4 Python (sum PSS) | pool of 4 / Python RSS "
              "| target |", "|---|---|---|---|---|---|"]
    for key in ["rec_v4", "rec_v5"]:
        row = results["memory"][key]
        if "swiftPool4MemOpt" not in row:
            continue
        p4 = row["swiftPool4MemOpt"]["rssBytes"]
        py = row.get("python4MemOpt")
        ratio = p4 / py["rssBytes"] if py else float("nan")
        lines.append(f"| {MODELS[key]['label']} | {mib(p4)} MiB (PSS {mib(row['swiftPool4MemOpt']['pssBytes'])}) | "
                     f"{mib(py['rssBytes']) if py else '-'} MiB | {mib(py['pssBytes']) if py else '-'} MiB | "
                     f"{fmt(ratio, 3)}x | <= 0.35x {verdict(ratio <= 0.35)} |")
    lines += ["",
              "![memory](benchmarks-memory.svg)", ""]

    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        lines += [notes.read_text().strip(), ""]
    lines += ["## Reproduce", "", "```sh", "scripts/setup.sh          # runtime and models", "bench/run.sh",
              "```", "", "Raw results of this run: `bench/out/results.json` (not committed).", ""]
    return "\n".join(lines)


def main():
    binary, raw, python = sys.argv[1], sys.argv[2], (sys.argv[3] if len(sys.argv) > 3 else "")
    OUT.mkdir(parents=True, exist_ok=True)
    results_file = OUT / "results.json"
    if os.environ.get("BENCH_REPORT_ONLY") == "1":
        results = json.loads(results_file.read_text())
    else:
        results = measure(binary, raw, python)
        results_file.write_text(json.dumps(results, indent=1, default=str))
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    svg_throughput(results, docs / "benchmarks-throughput.svg")
    svg_memory(results, docs / "benchmarks-memory.svg")
    (docs / "benchmarks.md").write_text(report(results))
    log(f"wrote {docs / 'benchmarks.md'}")


if __name__ == "__main__":
    main()
