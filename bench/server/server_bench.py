#!/usr/bin/env python3
"""The server benchmark of bench/server/run.sh (standard library only): `paddle-swift serve` against the Python
server a user would write (bench/server/py_server.py: FastAPI + uvicorn, `paddle.inference`), same cores, same pool
size, same load generator (wrk with bench/server/infer.lua posting one fixed binary-tensor request).

    server_bench.py PADDLE_SWIFT_BINARY SERVER_PYTHON

Measures, and writes to bench/out/server.json:
  - cold start: process start to the first 200 from /v2/health/ready (polled every 10 ms), serving the three PP-OCRv4
    models (det, rec, cls), for both servers with the same pool size; RSS once ready;
  - load: QPS and latency percentiles at concurrency 1, 2, 4, 8, 16, 32 (wrk connections) on the tiny model and
    PP-OCRv4 rec, both servers up at once and measured interleaved; RSS (sum over the process tree) after the load;
  - dynamic batching on/off on the tiny model at concurrency 32 (Swift);
  - the same request as a JSON body at concurrency 32 on the tiny model (what the binary encoding saves).
Environment: BENCH_QUICK=1 (short points, 1 cold-start repeat), BENCH_SERVER_SECONDS, BENCH_SERVER_POOL,
BENCH_SERVER_REPEATS (cold starts, 0 to skip), BENCH_SERVER_MODELS (default "tiny,rec_v4"), BENCH_SERVER_BATCHING (JSON of the dynamic_batching settings to try).
"""
import datetime
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = ROOT / "bench" / "out"
WORK = OUT / "server"
QUICK = os.environ.get("BENCH_QUICK") == "1"
SECONDS = float(os.environ.get("BENCH_SERVER_SECONDS", "2" if QUICK else "6"))
POOL = int(os.environ.get("BENCH_SERVER_POOL", "2"))
COLD_REPEATS = int(os.environ.get("BENCH_SERVER_REPEATS", "1" if QUICK else "3"))
CONCURRENCY = [1, 2, 4, 8, 16, 32]
BATCHING = json.loads(os.environ.get(
    "BENCH_SERVER_BATCHING", '{"max_batch_size": 32, "preferred_batch_sizes": [16], "max_queue_delay_us": 500}'))
ENV = dict(os.environ, GLOG_minloglevel="2", PADDLE_INFERENCE_DIR=str(ROOT / ".paddle/runtime"), OMP_NUM_THREADS="1")

OCR = ROOT / ".paddle/models/ppocrv4"
MODELS = {
    "tiny": {"name": "tiny", "dir": ROOT / ".fixtures/models/mlp_tiny_pdmodel", "shape": [1, 16],
             "label": "tiny MLP 16-32-4, input [1, 16]"},
    "rec_v4": {"name": "rec", "dir": OCR / "ch_PP-OCRv4_rec_infer", "shape": [1, 3, 48, 320],
               "label": "PP-OCRv4 rec, input [1, 3, 48, 320]", "raw": True},
}
# The three PP-OCR models of `paddle-swift serve` and the shapes the Swift server warms them up with (its rule:
# dynamic dims become 1 for the batch and 32 otherwise; the Python server is told the same shapes).
OCR_MODELS = {
    "ch_PP-OCRv4_det_infer": [1, 3, 32, 32],
    "ch_PP-OCRv4_rec_infer": [1, 3, 48, 32],
    "ch_ppocr_mobile_v2_cls_infer": [1, 3, 32, 32],
}


def log(message):
    print(f"[server-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# MARK: - Requests


def synthetic(count):
    """The suite's pseudo-random floats in [0, 1) (same LCG as bench/py_loop.py and `paddle-swift bench`)."""
    out, state, mask = [], 0x9E3779B97F4A7C15, (1 << 64) - 1
    for _ in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) & mask
        out.append((state >> 40) / float(1 << 24))
    return out


def write_bodies(key):
    m = MODELS[key]
    count = 1
    for d in m["shape"]:
        count *= d
    values = synthetic(count)
    data = struct.pack(f"<{count}f", *values)
    header = json.dumps({"inputs": [{"name": "x", "shape": m["shape"], "datatype": "FP32",
                                     "parameters": {"binary_data_size": len(data)}}],
                         "parameters": {"binary_data_output": True}}, separators=(",", ":")).encode()
    binary = WORK / f"{key}.bin"
    binary.write_bytes(header + data)
    as_json = WORK / f"{key}.json"
    as_json.write_text(json.dumps({"inputs": [{"name": "x", "shape": m["shape"], "datatype": "FP32",
                                               "data": [struct.unpack("<f", struct.pack("<f", v))[0] for v in values]}]},
                                  separators=(",", ":")))
    return {"binary": (binary, len(header)), "json": (as_json, None)}


def post(port, path, body, header_length=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/octet-stream" if header_length else "application/json"}
    if header_length:
        headers["Inference-Header-Content-Length"] = str(header_length)
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    length = response.getheader("Inference-Header-Content-Length")
    conn.close()
    return response.status, data, (int(length) if length else None)


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def decode_outputs(data, header_length):
    """{name: (shape, [floats])} from a binary-tensor response."""
    header = json.loads(data[:header_length] if header_length else data)
    offset, result = header_length or 0, {}
    for output in header["outputs"]:
        size = (output.get("parameters") or {}).get("binary_data_size")
        if size is not None:
            values = struct.unpack(f"<{size // 4}f", data[offset:offset + size])
            offset += size
        else:
            values = output["data"]
        result[output["name"]] = (output["shape"], values)
    return result


# MARK: - Processes


def tree(pid):
    """pid and all its descendants."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError):
                pass
    result, todo = [], [pid]
    while todo:
        p = todo.pop()
        result.append(p)
        todo += children.get(p, [])
    return result


def memory(pid):
    """Sums of VmRSS and PSS over the process tree of pid, in bytes, and the process count."""
    def field(path, name):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(name + ":"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0
    pids = [p for p in tree(pid) if field(f"/proc/{p}/status", "VmRSS") > 0]
    return {"rssBytes": sum(field(f"/proc/{p}/status", "VmRSS") for p in pids),
            "pssBytes": sum(field(f"/proc/{p}/smaps_rollup", "Pss") for p in pids), "processes": len(pids)}


class Server:
    def __init__(self, kind, cmd, port, label, log_name):
        self.kind, self.port, self.label = kind, port, label
        self.log = open(WORK / f"{log_name}.log", "w")
        self.started = time.monotonic()
        self.proc = subprocess.Popen([str(c) for c in cmd], env=ENV, cwd=ROOT, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def ready(self, timeout=180):
        """Seconds from process start to the first 200 from /v2/health/ready."""
        while time.monotonic() - self.started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.label} exited with {self.proc.returncode}; see {self.log.name}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/v2/health/ready")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return time.monotonic() - self.started
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"{self.label} not ready after {timeout} s; see {self.log.name}")

    def memory(self):
        return memory(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        self.log.close()


def swift_repository(name, models, batching=None):
    """A model repository <name>/<model>/1/ holding the model's files (hard links: the server refuses symlinks that
    lead outside its repository), config.yaml with the pool settings."""
    repo = WORK / name
    if repo.exists():
        shutil.rmtree(repo)
    for model, folder in models.items():
        version = repo / model / "1"
        version.mkdir(parents=True)
        for f in Path(folder).iterdir():
            if f.is_file():
                try:
                    os.link(f, version / f.name)
                except OSError:
                    shutil.copy2(f, version / f.name)
        config = [f"pool_size: {POOL}", "threads: 1"]
        if batching:
            config.append(f"max_batch_size: {batching['max_batch_size']}")
            config.append("dynamic_batching:")
            config.append(f"  preferred_batch_sizes: {json.dumps(batching['preferred_batch_sizes'])}")
            config.append(f"  max_queue_delay_us: {batching['max_queue_delay_us']}")
        (repo / model / "config.yaml").write_text("\n".join(config) + "\n")
    return repo


_SERVE_HELP = {}


def serve_has(binary, flag):
    if binary not in _SERVE_HELP:
        _SERVE_HELP[binary] = subprocess.run([str(binary), "serve", "--help"], env=ENV, capture_output=True,
                                             text=True).stdout
    return flag in _SERVE_HELP[binary]


def start_swift(binary, repo, label, log_name, extra=None):
    port = free_port()
    cmd = [binary, "serve", "--port", port, "--drain-timeout", 2, "--log-level", "warning"]
    if repo is not None:
        cmd += ["--model-repository", repo]
    # Only the KServe models: no PP-OCR pipeline behind /v1/ocr (which loads three more models at start-up).
    cmd += ["--no-ocr"] if extra is None and serve_has(binary, "--no-ocr") else (extra or [])
    # HTTP only: two builds side by side (ab.py) would both claim gRPC's default port 8001.
    if serve_has(binary, "--grpc-port") and "--grpc-port" not in cmd:
        cmd += ["--grpc-port", 0]
    return Server("swift", cmd, port, label, log_name)


def start_python(python, models, workers, label, log_name):
    port = free_port()
    cmd = [python, HERE / "py_server.py", "--workers", workers, "--port", port, "--threads", 1]
    for name, (folder, shape) in models.items():
        cmd += ["--model", f"{name}={folder}@{'x'.join(map(str, shape))}"]
    return Server("python", cmd, port, label, log_name)


# MARK: - Load


def cpu_seconds(pid):
    """User + system CPU time of the process tree of pid so far."""
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        except (OSError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def wrk(server, model, body, connections, seconds):
    path, header_length = body
    env = dict(os.environ, BODY_FILE=str(path), HEADER_LENGTH=str(header_length or ""))
    url = f"http://127.0.0.1:{server.port}/v2/models/{model}/infer"
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "20s", "-s", str(HERE / "infer.lua"), url]
    server_cpu = cpu_seconds(server.proc.pid)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = Path("/proc/stat").read_text().splitlines()[0].split()[1:8]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60)
    load_after = Path("/proc/stat").read_text().splitlines()[0].split()[1:8]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = cpu_seconds(server.proc.pid) - server_cpu
    wrk_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    # Machine-wide busy share of the 2 cores during the point (includes other work on the machine).
    busy = [int(b) - int(a) for a, b in zip(load, load_after)]
    machine_busy = 1 - (busy[3] + busy[4]) / max(sum(busy), 1)
    line = next((l for l in result.stdout.splitlines() if l.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stdout[-1500:]} {result.stderr[-1500:]}")
    r = json.loads(line[len("WRKJSON "):])
    r["connections"] = connections
    r["qps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["errors"] = sum(r[k] for k in r if k.startswith("errors_"))
    r["latencyMs"] = {q: r[f"{q}_us"] / 1e3 for q in ["mean", "p50", "p90", "p99", "max"]}
    r["serverCpuUsPerRequest"] = server_cpu / max(r["requests"], 1) * 1e6
    r["wrkCpuUsPerRequest"] = wrk_cpu / max(r["requests"], 1) * 1e6
    r["serverCores"] = server_cpu / (r["duration_us"] / 1e6)
    r["wrkCores"] = wrk_cpu / (r["duration_us"] / 1e6)
    r["machineBusy"] = machine_busy
    return r


def check_same_outputs(servers, model, body):
    path, header_length = body
    data = path.read_bytes()
    outputs = {}
    for s in servers:
        status, reply, length = post(s.port, f"/v2/models/{model}/infer", data, header_length)
        if status != 200:
            raise RuntimeError(f"{s.label}: HTTP {status}: {reply[:300]!r}")
        outputs[s.label] = decode_outputs(reply, length)
    first, rest = outputs[servers[0].label], [outputs[s.label] for s in servers[1:]]
    worst = 0.0
    for other in rest:
        for name, (shape, values) in first.items():
            if name not in other or other[name][0] != shape:
                raise RuntimeError(f"outputs differ in names or shapes: {first.keys()} vs {other.keys()}")
            worst = max(worst, max(abs(a - b) for a, b in zip(values, other[name][1])))
    return {"outputs": {n: v[0] for n, v in first.items()}, "maxAbsDiff": worst}


def measure_raw(m):
    """The raw C++ loop (bench/out/raw_loop) on the same model: POOL threads, each owning one predictor with 1 math
    thread and oneDNN on, running back to back for SECONDS. Its throughput is the engine's ceiling on these cores."""
    program = m["dir"] / "inference.pdmodel"
    cmd = [OUT / "raw_loop", ROOT / ".paddle/runtime", program, m["dir"] / "inference.pdiparams",
           "--shape", "x".join(map(str, m["shape"])), "--threads", "1", "--onednn", "1", "--workers", str(POOL),
           "--warmup", "10", "--duration", str(SECONDS)]
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=ENV, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_model(binary, python, key, results):
    m = MODELS[key]
    bodies = write_bodies(key)
    raw_runs = []
    if m.get("raw"):  # the engine's own throughput, before the servers start and after they stop
        raw_runs.append(measure_raw(m))
        log(f"{key} raw C++ loop, {POOL} threads: {raw_runs[-1]['throughput']:8.1f} runs/s")
    swift = start_swift(binary, swift_repository(f"repo-{key}", {m["name"]: m["dir"]}), "swift", f"swift-{key}")
    py = start_python(python, {m["name"]: (m["dir"], m["shape"])}, POOL, "python", f"python-{key}")
    servers = {"swift": swift, "python": py}
    row = {"label": m["label"], "swift": {}, "python": {}}
    try:
        for s in servers.values():
            s.ready()
        row["memoryReady"] = {k: s.memory() for k, s in servers.items()}
        row["check"] = check_same_outputs([swift, py], m["name"], bodies["binary"])
        log(f"{key}: outputs of both servers agree (max |diff| {row['check']['maxAbsDiff']:.2e})")
        for s in servers.values():  # warm-up: every predictor of the pool, connections open
            wrk(s, m["name"], bodies["binary"], POOL * 2, 1)
        peak = {k: s.memory() for k, s in servers.items()}
        for i, c in enumerate(CONCURRENCY):
            order = ["swift", "python"] if i % 2 == 0 else ["python", "swift"]
            for k in order:
                r = wrk(servers[k], m["name"], bodies["binary"], c, SECONDS)
                row[k][str(c)] = r
                log(f"{key} {k:6} c={c:2}: {r['qps']:8.1f} req/s  p50 {r['latencyMs']['p50']:7.2f} ms  "
                    f"p99 {r['latencyMs']['p99']:7.2f} ms  errors {r['errors']}")
                now = servers[k].memory()
                if now["rssBytes"] > peak[k]["rssBytes"]:
                    peak[k] = now
        row["memoryAfterLoad"] = peak
        if key == "tiny":
            # The same request as a JSON body (no binary extension), at the highest concurrency.
            row["jsonBody"] = {}
            for k in ["swift", "python"]:
                r = wrk(servers[k], m["name"], bodies["json"], CONCURRENCY[-1], SECONDS)
                row["jsonBody"][k] = r
                log(f"{key} {k:6} JSON body c={CONCURRENCY[-1]}: {r['qps']:8.1f} req/s  "
                    f"p99 {r['latencyMs']['p99']:7.2f} ms")
            py.stop()
            servers.pop("python")
            row["batching"] = measure_batching(binary, swift, m, bodies)
    finally:
        for s in servers.values():
            s.stop()
    if raw_runs:
        raw_runs.append(measure_raw(m))
        log(f"{key} raw C++ loop, {POOL} threads: {raw_runs[-1]['throughput']:8.1f} runs/s")
        # The higher of the two runs: the server is held to the engine's best.
        row["rawEngine"] = {"workers": POOL, "runs": raw_runs, "throughput": max(r["throughput"] for r in raw_runs)}
    results["load"][key] = row


def measure_batching(binary, plain, m, bodies):
    c = CONCURRENCY[-1]
    batched = start_swift(binary, swift_repository("repo-tiny-batching", {m["name"]: m["dir"]}, BATCHING),
                          "swift+batching", "swift-tiny-batching")
    result = {"config": BATCHING, "connections": c, "on": [], "off": []}
    try:
        batched.ready()
        wrk(batched, m["name"], bodies["binary"], c, 1)
        for r in range(1 if QUICK else 3):
            for name, server in [("on", batched), ("off", plain)] if r % 2 == 0 else [("off", plain), ("on", batched)]:
                x = wrk(server, m["name"], bodies["binary"], c, SECONDS)
                result[name].append(x)
                log(f"tiny batching {name:3} c={c}: {x['qps']:8.1f} req/s  p99 {x['latencyMs']['p99']:7.2f} ms")
        status, data = get(batched.port, f"/v2/models/{m['name']}/stats")
        if status == 200:
            stats = json.loads(data)["model_stats"][0]
            result["inferenceCount"] = stats["inference_count"]
            result["executionCount"] = stats["execution_count"]
        result["memory"] = batched.memory()
    finally:
        batched.stop()
    return result


# MARK: - Cold start


def measure_cold_start(binary, python, results):
    folders = {name: OCR / name for name in OCR_MODELS}
    repo = swift_repository("repo-ppocr", folders)
    variants = {
        f"swift_pool{POOL}": lambda: start_swift(binary, repo, f"swift pool {POOL}", "cold-swift"),
        "swift_default": lambda: start_swift(binary, None, "swift default (`paddle-swift serve`)", "cold-swift-default",
                                             extra=[]),
        f"python_{POOL}workers": lambda: start_python(
            python, {n: (folders[n], s) for n, s in OCR_MODELS.items()}, POOL, f"python {POOL} workers", "cold-python"),
        "python_1worker": lambda: start_python(
            python, {n: (folders[n], s) for n, s in OCR_MODELS.items()}, 1, "python 1 worker", "cold-python-1"),
    }
    cold = {k: {"seconds": []} for k in variants}
    for r in range(COLD_REPEATS):
        names = list(variants) if r % 2 == 0 else list(reversed(variants))
        for name in names:
            server = variants[name]()
            try:
                seconds = server.ready()
                cold[name]["seconds"].append(seconds)
                cold[name]["memory"] = server.memory()
                # Each model answers (the ready endpoint is not the whole story).
                status, _, _ = post(server.port, "/v2/models/ch_PP-OCRv4_rec_infer/infer",
                                    json.dumps({"inputs": [{"name": "x", "shape": [1, 3, 48, 32], "datatype": "FP32",
                                                            "data": [0.5] * (3 * 48 * 32)}]}).encode())
                cold[name]["firstInferStatus"] = status
            finally:
                server.stop()
            log(f"cold start {name}: {seconds:.3f} s to ready (RSS {cold[name]['memory']['rssBytes'] / 2**20:.0f} MiB)")
            time.sleep(0.3)
    for v in cold.values():
        v["median"] = statistics.median(v["seconds"])
    results["coldStart"] = cold


def main():
    binary, python = sys.argv[1], sys.argv[2]
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results = {"ocrRouteInDefault": serve_has(binary, "--no-ocr"), "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "quick": QUICK, "secondsPerPoint": SECONDS, "poolSize": POOL, "threadsPerPredictor": 1,
               "concurrency": CONCURRENCY, "coldRepeats": COLD_REPEATS,
               "loadGenerator": subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(
                   "Copyright")[0].strip() + ", 1 thread, keep-alive connections = concurrency",
               "loadBefore": Path("/proc/loadavg").read_text().split()[:3], "load": {}}
    if COLD_REPEATS > 0:
        measure_cold_start(binary, python, results)
    for key in os.environ.get("BENCH_SERVER_MODELS", "tiny,rec_v4").split(","):
        measure_model(binary, python, key, results)
    results["loadAfter"] = Path("/proc/loadavg").read_text().split()[:3]
    results["elapsedSeconds"] = round(time.monotonic() - started, 1)
    (OUT / "server.json").write_text(json.dumps(results, indent=1, default=str))
    log(f"wrote {OUT / 'server.json'} in {results['elapsedSeconds']} s")


if __name__ == "__main__":
    main()
