#!/usr/bin/env python3
"""The benchmark suite behind bench/run.sh (standard library only).

Runs side by side, on the same engine build, thread counts and inputs:
  1. binding overhead: `paddle-swift bench --direct` (and through a pool of 1) vs bench/raw_loop (C++);
  2. Python `paddle.inference` single-thread loop (bench/py_loop.py) on the same models;
  3. pool throughput at concurrency 1, 2, 4, 8 vs the raw C++ loop's best throughput on the same cores;
  4. memory: a pool of 4 clones vs 4 independent predictors vs 4 Python worker processes;
  5. (report only) the server benchmark of bench/server/run.sh, read from bench/out/server.json.
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
        # Memory optimisation: ProgramDesc models only (Paddle 3.3.1 cannot load PIR models with it).
        pir = str(MODELS[key]["program"]).endswith(".json")
        if not pir:
            row["swiftPool4MemOpt"] = swift(binary, key, "--pool-size", 4, "--concurrency", 4, "--memory-optim",
                                            "on", iterations=16, warmup=4)
        if python:
            row["python4"] = python_workers(python, key)
            if not pir:
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
             "Sections 1-6 are generated by `bench/run.sh` (do not edit them by hand; the notes at the end come from "
             "`bench/NOTES.md`). Later sections come from their own benchmark commands, named in each, and the suite "
             "keeps them as they stand when it rewrites this page.", "",
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

    lines += server_section(results)
    lines += ocr_section()
    lines += kept_sections()

    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        lines += [notes.read_text().strip(), ""]
    lines += ["## Reproduce", "", "```sh", "scripts/setup.sh          # runtime and models", "bench/run.sh",
              "bench/ocr-server/run.sh   # section 6, OCR servers under load (bench/out/ocr-server.json)", "```", "", "Raw results of this run: `bench/out/results.json` (not committed).", ""]
    return "\n".join(lines)


# Sections this script writes; every other "## " section of docs/benchmarks.md comes from its own benchmark command
# (bench/isolation, bench/json, bench/grpc, ...) and is kept as it stands when the suite rewrites the page.
GENERATED_SECTIONS = ("1-2.", "3.", "4.", "5.", "6.", "Notes on this run", "Reproduce")


def kept_sections():
    """The sections of the current docs/benchmarks.md that other benchmarks wrote, in their order."""
    path = ROOT / "docs" / "benchmarks.md"
    if not path.exists():
        return []
    kept, current = [], None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            current = None if line[3:].startswith(GENERATED_SECTIONS) else [line]
            if current is not None:
                kept.append(current)
        elif current is not None:
            current.append(line)
    lines = []
    for section in kept:
        while section and not section[-1].strip():
            section.pop()
        lines += section + [""]
    return lines


def server_section(results):
    """Section 5 from bench/out/server.json (bench/server/run.sh), against the raw C++ throughput of section 3."""
    path = OUT / "server.json"
    lines = ["## 5. Server", ""]
    if not path.exists():
        return lines + ["Not measured in this run (`bench/server/run.sh` writes `bench/out/server.json`).", ""]
    sv = json.loads(path.read_text())
    load, cold = sv["load"], sv.get("coldStart", {})
    pool = sv["poolSize"]
    cs = [str(c) for c in sv["concurrency"]]
    lines += [f"`paddle-swift serve` (KServe v2, Swift) against the Python server a user would write "
              f"(`bench/server/py_server.py`: FastAPI 0.165 + uvicorn 0.54 with uvloop/httptools, `paddle.inference`), "
              f"measured {sv['date']}{' (quick run)' if sv.get('quick') else ''}. Both serve the same model files with "
              f"the same engine settings (1 math thread per predictor, oneDNN and memory optimisation on, as "
              f"`paddle-swift serve` resolves them for `.pdmodel` programs) and the same pool size: Swift a "
              f"`PredictorPool` of {pool} in one process (`pool_size: {pool}`), Python {pool} uvicorn worker "
              f"processes with one predictor each. Load: {sv['loadGenerator']}, posting one fixed request with the "
              f"input as a binary tensor (`Inference-Header-Content-Length`, outputs asked as binary too) to "
              f"127.0.0.1; {sv['secondsPerPoint']:g} s per point, both servers up at once and measured interleaved. "
              f"wrk shares the 2 cores with the server it loads (the same for both); *server CPU µs/request* is "
              f"the user+system CPU time of the server's processes during the point divided by the requests served, "
              f"a figure that other load on the machine disturbs less than QPS. Latency is wrk's (request "
              f"written to response read, no coordinated-omission correction). Load average before/after: "
              f"{' '.join(sv['loadBefore'])} / {' '.join(sv['loadAfter'])}.", ""]

    def cpu(point):
        return fmt(point["serverCpuUsPerRequest"], 0) if "serverCpuUsPerRequest" in point else "-"

    def qps(row, side, c):
        return row[side][c]["qps"]

    def pct(row, side, c, q):
        return row[side][c]["latencyMs"][q]

    summary = []
    for key in ["tiny", "rec_v4"]:
        row = load.get(key)
        if not row:
            continue
        lines += [f"### {row['label']}", "",
                  "| concurrency | Swift QPS | Python QPS | Swift / Python | Swift p50 ms | Swift p99 ms | "
                  "Python p50 ms | Python p99 ms | p99 Swift / Python (<= 0.3x) | server CPU µs/request Swift / "
                  "Python |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        p99_met = 0
        for c in cs:
            ratio = qps(row, "swift", c) / qps(row, "python", c)
            p99r = pct(row, "swift", c, "p99") / pct(row, "python", c, "p99")
            p99_met += p99r <= 0.3
            errors = row["swift"][c]["errors"] + row["python"][c]["errors"]
            lines.append(f"| {c} | {fmt(qps(row, 'swift', c), 1)} | {fmt(qps(row, 'python', c), 1)} | "
                         f"{fmt(ratio)}x | {fmt(pct(row, 'swift', c, 'p50'), 3)} | {fmt(pct(row, 'swift', c, 'p99'), 3)} | "
                         f"{fmt(pct(row, 'python', c, 'p50'), 3)} | {fmt(pct(row, 'python', c, 'p99'), 3)} | "
                         f"{fmt(p99r, 3)}x {verdict(p99r <= 0.3)}{f' ({errors} errors)' if errors else ''} | "
                         f"{cpu(row['swift'][c])} / {cpu(row['python'][c])} |")
        check = row.get("check", {})
        lines += ["", f"Both servers returned the same outputs for the benchmark request before the load "
                  f"(max absolute difference {check.get('maxAbsDiff', float('nan')):.1e}).", ""]
        best_s = max(qps(row, "swift", c) for c in cs)
        best_p = max(qps(row, "python", c) for c in cs)
        summary.append((key, row, best_s, best_p, p99_met))

    # Targets
    lines += ["### Targets", "", "| target | measured | verdict |", "|---|---|---|"]
    for key, row, best_s, best_p, p99_met in summary:
        if key == "tiny":
            ratio = best_s / best_p
            lines.append(f"| tiny model: QPS >= 3x Python's (peak over concurrency 1-32) | {fmt(best_s, 0)} vs "
                         f"{fmt(best_p, 0)} req/s = {fmt(ratio)}x (at 32: "
                         f"{fmt(qps(row, 'swift', cs[-1]) / qps(row, 'python', cs[-1]))}x) | {verdict(ratio >= 3)} |")
        else:
            if "rawEngine" in row:  # measured by the server benchmark itself, around the load points
                raw = row["rawEngine"]["throughput"]
                runs = ", ".join(fmt(r["throughput"], 1) for r in row["rawEngine"]["runs"])
                source = f"{row['rawEngine']['workers']} threads, same run: best of {runs}"
            else:
                t = results.get("throughput", {}).get("cpp", {})
                raw = max((median([x["throughput"] for x in runs]) for runs in t.values()), default=float("nan"))
                source = f"{pool} threads, section 3"
            ratio = best_s / raw
            lines.append(f"| PP-OCRv4 rec: QPS >= 0.95x the raw engine's throughput (raw C++, {source}) | "
                         f"{fmt(best_s, 2)} req/s vs {fmt(raw, 2)} runs/s = {fmt(ratio, 3)}x | "
                         f"{verdict(ratio >= 0.95)} |")
    for key, row, best_s, best_p, p99_met in summary:
        lines.append(f"| {row['label'].split(',')[0]}: p99 <= 0.3x Python's at the same concurrency | met at "
                     f"{p99_met} of {len(cs)} concurrencies | {verdict(p99_met == len(cs))} |")
    batching = load.get("tiny", {}).get("batching")
    if batching:
        on = median([x["qps"] for x in batching["on"]])
        off = median([x["qps"] for x in batching["off"]])
        lines.append(f"| dynamic batching: >= 1.5x QPS on the tiny model at {batching['connections']} concurrent | "
                     f"{fmt(on, 0)} vs {fmt(off, 0)} req/s = {fmt(on / off)}x | {verdict(on / off >= 1.5)} |")
    swift_cold = cold.get(f"swift_pool{pool}")
    py_cold = cold.get(f"python_{pool}workers")
    if swift_cold:
        lines.append(f"| cold start to ready, three PP-OCR models, <= 1.5 s | {fmt(swift_cold['median'], 2)} s "
                     f"(Python: {fmt(py_cold['median'], 2) if py_cold else '-'} s) | "
                     f"{verdict(swift_cold['median'] <= 1.5)} |")

    if batching:
        on_runs, off_runs = batching["on"], batching["off"]
        cfg = batching["config"]
        lines += ["", "### Dynamic batching (tiny model, Swift)", "",
                  f"Concurrency {batching['connections']}; `max_batch_size: {cfg['max_batch_size']}`, "
                  f"`dynamic_batching: {{preferred_batch_sizes: {cfg['preferred_batch_sizes']}, "
                  f"max_queue_delay_us: {cfg['max_queue_delay_us']}}}`; median of {len(on_runs)} interleaved runs.",
                  "", "| batching | QPS | p50 ms | p99 ms | server CPU µs/request | runs (QPS) |",
                  "|---|---|---|---|---|---|"]
        for name, runs in [("off", off_runs), ("on", on_runs)]:
            lines.append(f"| {name} | {fmt(median([x['qps'] for x in runs]), 1)} | "
                         f"{fmt(median([x['latencyMs']['p50'] for x in runs]), 3)} | "
                         f"{fmt(median([x['latencyMs']['p99'] for x in runs]), 3)} | "
                         f"{fmt(median([x.get('serverCpuUsPerRequest', float('nan')) for x in runs]), 0)} | "
                         f"{', '.join(fmt(x['qps'], 0) for x in runs)} |")
        if batching.get("executionCount"):
            lines += ["", f"The batching server ran {batching['inferenceCount']} requests in "
                      f"{batching['executionCount']} engine runs (mean batch "
                      f"{batching['inferenceCount'] / batching['executionCount']:.1f})."]
    json_body = load.get("tiny", {}).get("jsonBody")
    if json_body:
        lines += ["", f"Same request as a JSON body (`data` array, JSON outputs), tiny model, concurrency {cs[-1]}: "
                  f"Swift {fmt(json_body['swift']['qps'], 1)} req/s (p99 {fmt(json_body['swift']['latencyMs']['p99'], 3)}"
                  f" ms), Python {fmt(json_body['python']['qps'], 1)} req/s (p99 "
                  f"{fmt(json_body['python']['latencyMs']['p99'], 3)} ms)."]

    lines += ["", "### Cold start", "",
              "Process start (`Popen`) to the first 200 from `GET /v2/health/ready`, polled every 10 ms, serving "
              "PP-OCRv4 det, rec and the v2 direction classifier; both servers warm every model up once before "
              "reporting ready (the Python server's workers each write a marker once loaded and warm; ready means "
              f"all of them are). Median of {sv['coldRepeats']} runs; RSS is the sum over the server's processes "
              "once ready.", "",
              "| server | seconds to ready | runs | RSS at ready | PSS at ready |", "|---|---|---|---|---|"]
    labels = {f"swift_pool{pool}": f"Swift, pool of {pool} per model", "swift_default":
              "Swift, `paddle-swift serve` with no options (pool of 1"
              + (", plus the `/v1/ocr` pipeline's own det/cls/rec predictors, one of 2 threads each)" if sv.get("ocrRouteInDefault") else ")"), f"python_{pool}workers":
              f"Python, {pool} workers", "python_1worker": "Python, 1 worker"}
    for name, v in cold.items():
        lines.append(f"| {labels.get(name, name)} | {fmt(v['median'], 3)} | "
                     f"{', '.join(fmt(x, 2) for x in v['seconds'])} | {mib(v['memory']['rssBytes'])} MiB | "
                     f"{mib(v['memory']['pssBytes'])} MiB |")

    lines += ["", "### Memory under load", "",
              "Sum over the server's processes (Swift: 1; Python: the uvicorn supervisor and its workers), once "
              "ready and at the highest RSS seen after a load point.", "",
              "| model | server | processes | RSS ready | RSS under load | PSS under load |", "|---|---|---|---|---|---|"]
    for key, row, *_ in summary:
        for side in ["swift", "python"]:
            ready, peak = row["memoryReady"][side], row["memoryAfterLoad"][side]
            lines.append(f"| {row['label'].split(',')[0]} | {side} | {peak['processes']} | {mib(ready['rssBytes'])} MiB"
                         f" | {mib(peak['rssBytes'])} MiB | {mib(peak['pssBytes'])} MiB |")
    return lines + [""]


def ocr_section():
    """Section 6 from bench/out/ocr.json (bench/ocr/ocr_bench.py): OCR seconds per image against RapidOCR-paddle."""
    path = OUT / "ocr.json"
    lines = ["## 6. OCR", ""]
    if not path.exists():
        return lines + ["Not measured in this run (it needs the shared images in `../shared/ocr`; "
                        "`bench/ocr/ocr_bench.py` writes `bench/out/ocr.json`).", ""]
    o = json.loads(path.read_text())
    py = o["python_mean_s"]
    lines += [f"Seconds per image of the whole PP-OCRv4 pipeline (file read, decode, detection, direction "
              f"classification, recognition) on the {len(o['images'])} shared images, measured {o['date']}: "
              f"`paddle-swift ocr --repeat {o['repeat']} --timings` (release) against RapidOCR-paddle 1.4.5 "
              f"(`bench/ocr/rapidocr_timing.py`, paddlepaddle 3.3.1, opencv-python 4.11.0.86, "
              f"`cpu_math_library_num_threads=2`). Same models, same engine, 2 CPU threads on both sides: Swift "
              f"*1x2* is 1 predictor per model with 2 math threads (RapidOCR's layout, and what `paddle-swift serve` "
              f"uses), with the engine's bound on the oneDNN cache; *2x1* is 2 predictors per "
              f"model with 1 thread each for classification and recognition, running two line batches of an image "
              f"at once, and 2 threads for detection, with no bound on the oneDNN cache so that runs can overlap "
              f"(`--pool-size 2 --threads 1 --det-threads 2 --onednn-cache 0`). Per image: one warm-up, then the median of {o['repeat']} runs; tools run in ABBA order over "
              f"{o['rounds']} round(s) and each image keeps its lower median. Load average before/after: "
              f"{' '.join(o['loadBefore'])} / {' '.join(o['loadAfter'])}.", "",
              "| image | RapidOCR s | Swift 1x2 s | 1x2 / RapidOCR | Swift 2x1 s | 2x1 / RapidOCR |",
              "|---|---|---|---|---|---|"]
    per = o["perImage"]
    onnx = "onnxruntime" in per
    if onnx:
        lines[-2] += " ONNX Runtime s | ORT / RapidOCR |"
        lines[-1] += "---|---|"
        lines[-4] += (" rapidocr-onnxruntime 1.4.4 (onnxruntime 1.31.1, the same PP-OCRv4 models as "
                                      "ONNX from its wheel, `intra_op_num_threads=2`) runs in the same rounds.")
    for n in o["images"]:
        p, a, b = per["python"][n], per["swift_1x2"][n], per["swift_2x1"][n]
        row = f"| {n} | {fmt(p, 3)} | {fmt(a, 3)} | {fmt(a / p)}x | {fmt(b, 3)} | {fmt(b / p)}x |"
        if onnx:
            row += f" {fmt(per['onnxruntime'][n], 3)} | {fmt(per['onnxruntime'][n] / p)}x |"
        lines.append(row)
    a, b = o["swift_1x2_mean_s"], o["swift_2x1_mean_s"]
    row = (f"| **mean** | **{fmt(py, 3)}** | **{fmt(a, 3)}** | **{fmt(a / py)}x** | **{fmt(b, 3)}** | "
           f"**{fmt(b / py)}x** |")
    if onnx:
        ort = o["onnxruntime_mean_s"]
        row += f" **{fmt(ort, 3)}** | **{fmt(ort / py)}x** |"
    lines.append(row)
    best = min(a, b) / py
    lines += ["", f"Target: at most 0.8x RapidOCR's seconds per image: {fmt(best)}x, {verdict(best <= 0.8)}.", ""]
    lines += ocr_server_section()
    return lines


def ocr_server_section():
    """Section 6's server part from bench/out/ocr-server.json (bench/ocr-server/run.sh)."""
    path = OUT / "ocr-server.json"
    lines = ["### OCR servers under load", ""]
    if not path.exists():
        return lines + ["Not measured in this run (`bench/ocr-server/run.sh` writes `bench/out/ocr-server.json`).", ""]
    o = json.loads(path.read_text())
    m = o["machine"]
    levels = [str(c) for c in o["connections"]]
    lines += [f"`bench/ocr-server/run.sh`, {o['date']}: every server on 127.0.0.1, pinned to CPUs {o['cpus']} "
              f"({m['cpu']}, {m['cores']} cores, flags {' '.join(m['flags'])}); the {len(o['images'])} shared images "
              f"sent in turn over C keep-alive connections (C client threads), {o['rounds']} interleaved rounds, "
              f"medians over rounds. paddle-swift serves `{o['path']}`. Load average before/after: "
              f"{' '.join(str(x) for x in o['loadBefore'])} / {' '.join(str(x) for x in o['loadAfter'])} (other "
              f"engineers were building on the same cores: compare within the table, not with other runs). Peer "
              f"versions: {', '.join(o['peerVersions'])}.", ""]
    for name, describe in o["servers"].items():
        lines.append(f"- *{name}*: {describe}")
    lines += ["", "| server | " + " | ".join(f"C={c} images/s | C={c} p50 s | C={c} p99 s" for c in levels) + " |",
              "|---|" + "---|---|---|" * len(levels)]
    summary = o["summary"]
    for name, row in summary.items():
        cells = [f"{fmt(row[c]['images_per_s'])} | {fmt(row[c]['p50_s'], 3)} | {fmt(row[c]['p99_s'], 3)}" for c in levels]
        failures = sum(row[c]["failures"] for c in levels)
        lines.append(f"| {name}{f' ({failures} failed)' if failures else ''} | " + " | ".join(cells) + " |")
    ours = [n for n in summary if n.startswith("swift")]
    ours = [n for n in summary if n in o.get("ours", ours)]
    # A peer that failed requests answered some of them early: its rates do not count.
    peers = [n for n in summary if n not in ours and not any(summary[n][c]["failures"] for c in levels)]
    if ours and peers:
        lines += ["", "Targets (against the best peer server at each C):", ""]
        for name in ours:
            for c in [c for c in levels if c in ("4", "8")]:
                best = max(peers, key=lambda p: summary[p][c]["images_per_s"])
                ratio = summary[name][c]["images_per_s"] / summary[best][c]["images_per_s"]
                lines.append(f"- {name}, C={c}: {fmt(ratio)}x the images/s of {best} (target >= 1.5x: "
                             f"{verdict(ratio >= 1.5)})")
            if "8" in levels:
                best = max(peers, key=lambda p: summary[p]["8"]["images_per_s"])
                ratio = summary[name]["8"]["p99_s"] / summary[best]["8"]["p99_s"]
                lines.append(f"- {name}, C=8: p99 {fmt(ratio)}x {best}'s (target <= 0.5x: {verdict(ratio <= 0.5)})")
    return lines + [""]


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
