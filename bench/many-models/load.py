#!/usr/bin/env python3
"""Many-model load test (issue 15): Zipf traffic over a generated repository against `paddle-swift serve`.

Starts the server on the repository made by generate.py, sends Zipf-distributed requests (s = 1.1 over all models,
rank order a seeded shuffle) from N client processes (one keep-alive HTTP/1.1 connection each, standard library
only, so any python3 runs it), samples the server's RSS every 0.25 s, and reports:

  success rate; hit ratio and p50/p99 latency of hits and of misses (a miss is a request that waited for its
  model's on-demand load: the server marks its response `paddle-model-load: on-demand`); on-demand loads and
  evictions per second (from /metrics); peak RSS against budget + the server's RSS before any request + the
  largest model measured; and an SVG plot of RSS over time against those lines.

    python3 bench/many-models/load.py --repo REPO --budget-mb 512 --seconds 300 --out OUT
    python3 bench/many-models/load.py --repo REPO --budget-mb 0 --seconds 300 --out OUT     # every model eager

Exit status 1 when a request fails, or the peak RSS exceeds budget + base + the largest model (with a budget).

The base is the server's RSS after one request on the top model (its first load maps and initialises the Paddle
runtime, about 200 MiB of RSS) less that model's measured memory; the RSS before any request is reported too.
"""
from __future__ import annotations

import argparse
import bisect
import http.client
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_ready(port: int) -> bool:
    """Whether the server on `port` answers `/v2/health/ready` with 200 (False while it is not listening yet)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/v2/health/ready")
        return conn.getresponse().status == 200
    except OSError:
        return False


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def body_for(entry: dict) -> bytes:
    shape = [1] + [d for d in entry["input"]["shape"][1:]]
    count = 1
    for d in shape:
        count *= d
    data = ",".join("0.5" for _ in range(count))
    return ('{"inputs":[{"name":"%s","datatype":"FP32","shape":%s,"data":[%s]}]}'
            % (entry["input"]["name"], json.dumps(shape), data)).encode()


def worker(index: int, port: int, names: list, bodies: list, cdf: list, deadline: float, seed: int, out: str):
    rng = random.Random(seed * 1000 + index)
    rows = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while time.time() < deadline:
        k = bisect.bisect_left(cdf, rng.random())
        k = min(k, len(names) - 1)
        t0 = time.time()
        try:
            conn.request("POST", f"/v2/models/{names[k]}/infer", body=bodies[k],
                         headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            status = response.status
            miss = response.getheader("paddle-model-load") == "on-demand"
        except Exception:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            status, miss = 0, False
        rows.append((t0, time.time() - t0, k, status, miss))
    with open(out, "w") as f:
        for t0, latency, k, status, miss in rows:
            f.write(f"{t0:.6f} {latency:.6f} {k} {status} {int(miss)}\n")


def metrics(port: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    values = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, _, value = line.rpartition(" ")
        try:
            values[name] = float(value)
        except ValueError:
            pass
    return values


def total(values: dict, prefix: str, contains: str = "") -> float:
    return sum(v for k, v in values.items() if k.startswith(prefix) and contains in k)


def percentile(values: list, q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def svg(samples: list, lines: list, path: str, title: str):
    width, height, left, bottom = 720, 320, 60, 40
    t_end = max(t for t, _ in samples) or 1
    top_value = max([r for _, r in samples] + [v for v, _ in lines]) * 1.1
    def x(t): return left + (width - left - 10) * t / t_end
    def y(v): return height - bottom - (height - bottom - 20) * v / top_value
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
             f'<text x="{left}" y="14">{title}</text>',
             f'<line x1="{left}" y1="{height-bottom}" x2="{width-10}" y2="{height-bottom}" stroke="#000"/>',
             f'<line x1="{left}" y1="20" x2="{left}" y2="{height-bottom}" stroke="#000"/>']
    for i in range(6):
        v = top_value * i / 5
        parts.append(f'<text x="4" y="{y(v)+4:.1f}">{v/2**20:.0f} MiB</text>')
    for i in range(6):
        t = t_end * i / 5
        parts.append(f'<text x="{x(t)-8:.1f}" y="{height-bottom+16}">{t:.0f} s</text>')
    colors = ["#c00", "#888", "#06c"]
    for (value, label), color in zip(lines, colors):
        parts.append(f'<line x1="{left}" y1="{y(value):.1f}" x2="{width-10}" y2="{y(value):.1f}" stroke="{color}" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{left+6}" y="{y(value)-3:.1f}" fill="{color}">{label}</text>')
    points = " ".join(f"{x(t):.1f},{y(r):.1f}" for t, r in samples)
    parts.append(f'<polyline fill="none" stroke="#000" stroke-width="1.2" points="{points}"/>')
    parts.append(f'<text x="{width-150}" y="{height-6}">server RSS over time</text></svg>')
    with open(path, "w") as f:
        f.write("\n".join(parts))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", required=True)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "paddle-swift"))
    parser.add_argument("--budget-mb", type=int, default=512, help="0: no budget (every model eager)")
    parser.add_argument("--models", type=int, default=0, help="use the first N models (default: all)")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--zipf", type=float, default=1.1)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--cache", default="", help="--optimization-cache folder (default: a fresh temporary one)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    catalog = json.load(open(os.path.join(args.repo, "models.json")))
    entries = catalog["models"]
    if args.models:
        entries = entries[: args.models]
    # With fewer models than the repository holds, serve a repository of links to the first N (the server is given
    # the original folders as trusted roots).
    args.repo = repo = os.path.abspath(args.repo)  # the subset's links must not be relative to the cwd
    if args.models and args.models < len(catalog["models"]):
        repo = tempfile.mkdtemp(prefix="many-models-")
        for e in entries:
            os.symlink(os.path.join(args.repo, e["name"]), os.path.join(repo, e["name"]))
    names = [e["name"] for e in entries]
    bodies = [body_for(e) for e in entries]
    ranks = list(range(len(names)))
    random.Random(args.seed).shuffle(ranks)  # ranks[r] = the model index of rank r
    weights = [1 / (r + 1) ** args.zipf for r in range(len(names))]
    norm = sum(weights)
    by_model = [0.0] * len(names)
    for r, w in enumerate(weights):
        by_model[ranks[r]] = w / norm
    # Sample over ranks, then map to models.
    cdf, acc = [], 0.0
    for w in weights:
        acc += w / norm
        cdf.append(acc)
    order = ranks
    names_by_rank = [names[order[r]] for r in range(len(names))]
    bodies_by_rank = [bodies[order[r]] for r in range(len(names))]

    port = free_port()
    cache = args.cache or tempfile.mkdtemp(prefix="many-models-cache-")
    command = [args.binary, "serve", "--model-repository", repo, "--port", str(port), "--grpc-port", "0",
               "--no-ocr", "--poll-interval", "0", "--optimization-cache", cache]
    if repo != args.repo:
        command += ["--trusted-root", args.repo]
    if args.budget_mb:
        command += ["--memory-budget-mb", str(args.budget_mb)]
    log = open(os.path.join(args.out, "server.log"), "w")
    start = time.time()
    server = subprocess.Popen(command, stdout=log, stderr=log)
    samples = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                samples.append((time.time() - start, rss_bytes(server.pid)))
            except OSError:
                return
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    ready_deadline = time.time() + 1800
    while time.time() < ready_deadline:
        if server.poll() is not None:
            print(f"server exited with {server.returncode} before ready (see {args.out}/server.log)")
            stop.set()
            return 1
        if is_ready(port):
            break
        time.sleep(0.2)
    ready_at = time.time() - start
    time.sleep(1)
    before_any = rss_bytes(server.pid)
    # The base is the server with the runtime loaded and no model: the first load maps and initialises the Paddle
    # runtime (about 200 MiB of RSS), so take the RSS after one request on the top model, less that model's memory.
    first = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    first.request("POST", f"/v2/models/{names_by_rank[0]}/infer", body=bodies_by_rank[0],
                  headers={"Content-Type": "application/json"})
    first_status = first.getresponse()
    first_status.read()
    time.sleep(1)
    first_rss = rss_bytes(server.pid)
    first_conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    first_conn.request("POST", "/v2/repository/index")
    first_row = next((row for row in json.loads(first_conn.getresponse().read()) if row.get("name") == names_by_rank[0]), {})
    base = first_rss - first_row.get("memory_bytes", 0)
    before = metrics(port)

    traffic_start = time.time()
    deadline = traffic_start + args.seconds
    files = [os.path.join(args.out, f"worker-{i}.txt") for i in range(args.connections)]
    processes = [mp.Process(target=worker, args=(i, port, names_by_rank, bodies_by_rank, cdf, deadline, args.seed, files[i]))
                 for i in range(args.connections)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    elapsed = time.time() - traffic_start
    after = metrics(port)
    index_conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    index_conn.request("POST", "/v2/repository/index")
    index = json.loads(index_conn.getresponse().read())
    stop.set()
    sampler.join()
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=120)
    except subprocess.TimeoutExpired:
        server.kill()

    rows = []
    for path in files:
        with open(path) as f:
            for line in f:
                t0, latency, k, status, miss = line.split()
                rows.append((float(t0), float(latency), int(k), int(status), miss == "1"))
    ok = [r for r in rows if r[3] == 200]
    hits = [r[1] for r in ok if not r[4]]
    misses = [r[1] for r in ok if r[4]]
    failures = {}
    for r in rows:
        if r[3] != 200:
            failures[r[3]] = failures.get(r[3], 0) + 1
    loads = total(after, "paddle_model_loads_total", 'reason="on_demand"') - total(before, "paddle_model_loads_total", 'reason="on_demand"')
    evictions = total(after, "paddle_model_evictions_total") - total(before, "paddle_model_evictions_total")
    memory = [row.get("memory_bytes", 0) for row in index if row.get("memory_bytes")]
    largest = max(memory) if memory else 0
    peak = max(r for _, r in samples)
    peak_traffic = max((r for t, r in samples if t >= traffic_start - start), default=peak)
    budget = args.budget_mb << 20
    limit = budget + base + largest
    result = {
        "models": len(names), "budget_mb": args.budget_mb, "seconds": round(elapsed, 1),
        "connections": args.connections, "zipf": args.zipf, "requests": len(rows),
        "success_rate": len(ok) / max(len(rows), 1), "failures": failures,
        "hit_ratio": len(hits) / max(len(ok), 1),
        "hit_p50_ms": percentile(hits, 0.5) * 1000, "hit_p99_ms": percentile(hits, 0.99) * 1000,
        "miss_p50_ms": percentile(misses, 0.5) * 1000, "miss_p99_ms": percentile(misses, 0.99) * 1000,
        "misses": len(misses), "throughput_rps": len(ok) / elapsed,
        "loads_per_s": loads / elapsed, "evictions_per_s": evictions / elapsed,
        "ready_after_s": round(ready_at, 1), "rss_before_any_request_mb": before_any / 2**20,
        "first_request_status": first_status.status, "base_rss_mb": base / 2**20,
        "server_base_mb": after.get("paddle_model_memory_base_bytes", 0) / 2**20,
        "server_load_peak_mb": after.get("paddle_model_memory_load_peak_bytes", 0) / 2**20, "largest_model_mb": largest / 2**20,
        "loaded_at_end": sum(1 for row in index if row.get("state") == "READY"),
        "measured_at_end_mb": sum(memory) / 2**20,
        "peak_rss_mb": peak / 2**20, "peak_rss_during_traffic_mb": peak_traffic / 2**20,
        "limit_mb": limit / 2**20 if args.budget_mb else None,
    }
    with open(os.path.join(args.out, "result.json"), "w") as f:
        json.dump(result, f, indent=2)
    with open(os.path.join(args.out, "rss.csv"), "w") as f:
        f.writelines(f"{t:.2f},{r}\n" for t, r in samples)
    lines = [(base, f"base: server with the runtime, no model ({base/2**20:.0f} MiB)")]
    if args.budget_mb:
        lines = [(limit, f"budget + base + largest model ({limit/2**20:.0f} MiB)"),
                 lines[0], (budget, f"budget ({args.budget_mb} MiB)")]
    svg(samples, lines, os.path.join(args.out, "rss.svg"),
        f"{len(names)} models, " + (f"--memory-budget-mb {args.budget_mb}" if args.budget_mb else "all eager, no budget"))
    print(json.dumps(result, indent=2))
    bad = len(ok) != len(rows) or first_status.status != 200 or (args.budget_mb and peak_traffic > limit)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
