#!/usr/bin/env python3
"""Soak: `paddle-swift serve` at saturation for SOAK_MINUTES while the repository changes every 20 s as operators
change it, then SIGTERM under load. Writes per-second samples and a report (Markdown with an SVG plot).

The server serves a repository with `tiny` (the 16-32-4 MLP; versions published, A/B-weighted, deleted, its
pool_size changed, and a corrupt version published, in turn), `rec` (PP-OCRv4 recognition, fed lines of varying
widths, so the engine sees new input shapes all the time while other versions load and unload), and POST /v1/ocr.
Load comes from separate processes (2 x 4 keep-alive connections) on loopback; every loop is bounded in time.

Must hold (checked, exit 1 otherwise):
  - no failed request, other than those aimed at the corrupt version (a few pinned probes, which must fail);
  - no request dropped by the SIGTERM drain (clients stop starting new requests once readiness is false, as a
    load balancer would; the server runs with --shutdown-delay 2 for that) and exit status 0;
  - RSS over the last two thirds of the run grows by less than 2 % (first-third median vs last-tenth median),
    checked on runs of 10 minutes or more (a 3-minute run is mostly warm-up; its growth is printed, not judged);
  - no growth in threads or open files (last-tenth median vs first-third median, +4 allowed for loops that come and go).

    python3 bench/soak/soak.py --minutes 30 --out bench/out/soak [--report docs/soak.md]
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOME = os.environ.get("PADDLE_SWIFT_HOME", os.path.join(ROOT, ".paddle"))
FIXTURES = os.environ.get("PADDLE_SWIFT_FIXTURES", os.path.join(ROOT, ".fixtures"))
SHARED_OCR = os.environ.get("PADDLE_SWIFT_SHARED_OCR", os.path.join(ROOT, "..", "shared", "ocr"))
REC = os.path.join(HOME, "models", "ppocrv4", "ch_PP-OCRv4_rec_infer")
TINY = os.path.join(FIXTURES, "models", "mlp_tiny_pdmodel")
CHANGE_EVERY = 20.0
ROUTES = ("tiny", "rec", "ocr", "corrupt_probe")


# ---- load processes ------------------------------------------------------------------------------------------

def tiny_request(rng: random.Random) -> tuple[str, bytes, dict]:
    values = [round(rng.uniform(-1, 1), 3) for _ in range(16)]
    body = json.dumps({"inputs": [{"name": "x", "shape": [1, 16], "datatype": "FP32", "data": values}]}).encode()
    return "/v2/models/tiny/infer", body, {"Content-Type": "application/json",
                                            "x-user-id": f"user-{rng.randrange(1000)}"}


def rec_request(rng: random.Random) -> tuple[str, bytes, dict]:
    width = rng.choice(range(96, 641, 32))
    count = 3 * 48 * width
    header = json.dumps({"inputs": [{"name": "x", "shape": [1, 3, 48, width], "datatype": "FP32",
                                     "parameters": {"binary_data_size": count * 4}}],
                         "parameters": {"binary_data_output": True}}).encode()
    data = struct.pack(f"<{count}f", *([0.1] * count))
    return "/v2/models/rec/infer", header + data, {"Inference-Header-Content-Length": str(len(header)),
                                                     "Content-Type": "application/octet-stream"}


def load_process(port: int, worker: int, seconds: float, stop, results, ocr_images: list[bytes]) -> None:
    """4 connections; each second puts {route: [ok, failed, latencies]} on `results`."""
    lock = threading.Lock()
    bucket: dict[str, list] = {}
    deadline = time.monotonic() + seconds

    def record(route: str, ok: bool, latency: float) -> None:
        with lock:
            entry = bucket.setdefault(route, [0, 0, []])
            entry[0 if ok else 1] += 1
            entry[2].append(latency)

    def connection(index: int) -> None:
        rng = random.Random(worker * 100 + index)
        conn = None
        while time.monotonic() < deadline and not stop.is_set():
            kind = ("ocr" if index == 0 and worker == 0 and ocr_images else
                    "rec" if index % 2 == 1 else "tiny")
            if kind == "ocr":
                path, body, headers = "/v1/ocr", rng.choice(ocr_images), {"Content-Type": "image/jpeg"}
            elif kind == "rec":
                path, body, headers = rec_request(rng)
            else:
                path, body, headers = tiny_request(rng)
            started = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                ok = False
                conn = None
            record(kind, ok, time.monotonic() - started)
            if not ok:
                time.sleep(0.05)

    threads = [threading.Thread(target=connection, args=(i,), daemon=True) for i in range(4)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(1.0)
        with lock:
            snapshot, bucket = bucket, {}
        results.put((worker, time.time(), snapshot))
    with lock:
        results.put((worker, time.time(), bucket))
    results.put((worker, None, None))


# ---- the server and its repository ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_model(source: str, dest: str) -> None:
    os.makedirs(dest)
    for name in os.listdir(source):
        if name.startswith("inference."):
            shutil.copy(os.path.join(source, name), os.path.join(dest, name))


def publish(model_dir: str, version: int, source: str, corrupt: bool = False) -> None:
    hidden = os.path.join(model_dir, f".{version}.tmp")
    copy_model(source, hidden)
    if corrupt:
        params = os.path.join(hidden, "inference.pdiparams")
        with open(params, "r+b") as f:
            f.truncate(os.path.getsize(params) // 2)
    os.rename(hidden, os.path.join(model_dir, str(version)))


def write_config(model_dir: str, pool_size: int, weights: dict[int, int]) -> None:
    text = f"pool_size: {pool_size}\n"
    if weights:
        text += "routing:\n  weights: {" + ", ".join(f"{v}: {w}" for v, w in weights.items()) + "}\n"
        text += "  sticky_header: x-user-id\n"
    tmp = os.path.join(model_dir, ".config.yaml.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, os.path.join(model_dir, "config.yaml"))


class Operator:
    """Changes `tiny` every CHANGE_EVERY seconds: publish, shift weights, delete the oldest, change pool_size,
    publish a corrupt version (then remove it at the next change)."""

    ACTIONS = ("publish", "weights", "delete", "pool_size", "corrupt")

    def __init__(self, repo: str):
        self.dir = os.path.join(repo, "tiny")
        self.versions = [1, 2]
        self.next_version = 3
        self.pool_size = 2
        self.weights = {1: 50, 2: 50}
        self.corrupt: int | None = None
        self.step = 0
        self.log: list[dict] = []

    def setup(self) -> None:
        for v in self.versions:
            publish(self.dir, v, TINY)
        write_config(self.dir, self.pool_size, self.weights)

    def act(self, now: float) -> str:
        action = self.ACTIONS[self.step % len(self.ACTIONS)]
        self.step += 1
        if self.corrupt is not None:
            shutil.rmtree(os.path.join(self.dir, str(self.corrupt)), ignore_errors=True)
            self.corrupt = None
        if action == "publish":
            publish(self.dir, self.next_version, TINY)
            self.versions.append(self.next_version)
            self.next_version += 1
        elif action == "weights":
            a, b = self.versions[-2:]
            share = random.Random(self.step).choice((10, 30, 50, 70, 90))
            self.weights = {a: share, b: 100 - share}
            write_config(self.dir, self.pool_size, self.weights)
        elif action == "delete" and len(self.versions) > 2:
            old = self.versions.pop(0)
            self.weights = {v: w for v, w in self.weights.items() if v != old} or {}
            write_config(self.dir, self.pool_size, self.weights)
            time.sleep(0.5)  # the routing change lands before the folder goes
            shutil.rmtree(os.path.join(self.dir, str(old)))
        elif action == "pool_size":
            self.pool_size = 1 if self.pool_size == 2 else 2
            write_config(self.dir, self.pool_size, self.weights)
        elif action == "corrupt":
            self.corrupt = self.next_version
            self.next_version += 1
            publish(self.dir, self.corrupt, TINY, corrupt=True)
        self.log.append({"time": now, "action": action, "versions": list(self.versions), "weights": dict(self.weights),
                         "pool_size": self.pool_size, "corrupt": self.corrupt})
        return action


def proc_stats(pid: int) -> dict:
    status = open(f"/proc/{pid}/status").read()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024, "threads": int(fields["Threads"]),
            "fds": len(os.listdir(f"/proc/{pid}/fd"))}


def is_ready(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/v2/health/ready")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def probe_corrupt(port: int, version: int) -> bool:
    """A request pinned to the corrupt version: must fail (True when it did)."""
    rng = random.Random(version)
    path, body, headers = tiny_request(rng)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", f"/v2/models/tiny/versions/{version}/infer", body=body, headers=headers)
        return conn.getresponse().status != 200
    finally:
        conn.close()


# ---- the run ------------------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run(args) -> dict:
    binary = args.binary
    work = tempfile.mkdtemp(prefix="paddle-soak-")
    repo = os.path.join(work, "models")
    operator = Operator(repo)
    operator.setup()
    os.makedirs(os.path.join(repo, "rec"))
    publish(os.path.join(repo, "rec"), 1, REC)
    with open(os.path.join(repo, "rec", "config.yaml"), "w") as f:
        f.write(args.rec_config.replace("\\n", "\n").rstrip("\n") + "\n")
    port = free_port()
    log = open(os.path.join(args.out, "server.log"), "w")
    command = [binary, "serve", "--model-repository", repo, "--port", str(port), "--grpc-port", "0", "--poll-interval",
               "1", "--shutdown-delay", "2", "--drain-timeout", "60"] + (["--share-weights"] if args.share_weights else [])
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                              cwd=ROOT)
    started = time.monotonic()
    while not is_ready(port):
        if server.poll() is not None or time.monotonic() - started > 600:
            raise SystemExit(f"soak: the server did not become ready; see {log.name}")
        time.sleep(0.2)
    ocr_images = []
    images_dir = os.path.join(SHARED_OCR, "images")
    for name in ("ch_en_num.jpg", "en.jpg", "12.jpg"):
        with open(os.path.join(images_dir, name), "rb") as f:
            ocr_images.append(f.read())

    seconds = args.minutes * 60
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    results = ctx.Queue()
    workers = [ctx.Process(target=load_process, args=(port, w, seconds + 30, stop, results, ocr_images))
               for w in range(2)]
    for w in workers:
        w.start()
    samples, probes, actions = [], [], []
    probe_timers: list[threading.Timer] = []
    t0 = time.time()
    next_change = time.monotonic() + CHANGE_EVERY
    totals = {r: [0, 0] for r in ROUTES}
    pending: dict[int, list] = {}  # second -> [counts per route]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(1.0)
        now = time.time()
        sample = {"t": round(now - t0, 1), **proc_stats(server.pid), "routes": {}}
        while not results.empty():
            worker, stamp, bucket = results.get()
            if bucket:
                for route, (ok, failed, latencies) in bucket.items():
                    entry = sample["routes"].setdefault(route, {"ok": 0, "failed": 0, "lat": []})
                    entry["ok"] += ok
                    entry["failed"] += failed
                    entry["lat"] += latencies
                    totals[route][0] += ok
                    totals[route][1] += failed
        for route, entry in sample["routes"].items():
            lat = entry.pop("lat")
            entry["p50_ms"] = round(percentile(lat, 0.5) * 1000, 2)
            entry["p99_ms"] = round(percentile(lat, 0.99) * 1000, 2)
        samples.append(sample)
        if time.monotonic() >= next_change:
            next_change += CHANGE_EVERY
            action = operator.act(time.time() - t0)
            actions.append(action)
            if action == "corrupt":
                probe = threading.Timer(6.0, lambda v=operator.corrupt: probes.append(probe_corrupt(port, v)))
                probe_timers.append(probe)
                probe.start()
        print(f"[{sample['t']:7.1f}s] rss {sample['rss_mb']:.0f} MB threads {sample['threads']} fds {sample['fds']} "
              + " ".join(f"{r}:{e['ok']}/{e['failed']} p99 {e['p99_ms']}ms" for r, e in sample["routes"].items()),
              flush=True)
    # A corrupt-version probe still waiting would find the server gone after SIGTERM: cancel those, wait for running ones.
    for probe in probe_timers:
        probe.cancel()
        probe.join()
    # SIGTERM under load: clients stop starting requests once readiness is false (a load balancer's view).
    poll_stop = threading.Event()

    def watch_readiness():
        while not poll_stop.is_set():
            if not is_ready(port):
                stop.set()
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=watch_readiness, daemon=True)
    watcher.start()
    server.send_signal(signal.SIGTERM)
    try:
        status = server.wait(timeout=180)
    except subprocess.TimeoutExpired:
        server.kill()
        status = "hung"
    stop.set()
    poll_stop.set()
    drained = {r: [0, 0] for r in ROUTES}
    finished = 0
    deadline = time.monotonic() + 200
    while finished < len(workers) and time.monotonic() < deadline:
        try:
            worker, stamp, bucket = results.get(timeout=5)
        except Exception:
            continue
        if stamp is None:
            finished += 1
            continue
        for route, (ok, failed, _) in bucket.items():
            drained[route][0] += ok
            drained[route][1] += failed
    for w in workers:
        w.join(timeout=30)
    shutil.rmtree(work, ignore_errors=True)
    return {"samples": samples, "totals": totals, "drain": drained, "exit_status": status, "probes": probes,
            "operator": operator.log, "minutes": args.minutes, "port": port,
            "binary": "release" if "/release/" in binary else "debug"}


def evaluate(result: dict) -> dict:
    samples = result["samples"]
    n = len(samples)
    first_third = samples[: max(1, n // 3)]
    last_tenth = samples[-max(1, n // 10):]
    med = lambda key, part: statistics.median(s[key] for s in part)
    rss_start, rss_end = med("rss_mb", first_third[len(first_third) // 2:]), med("rss_mb", last_tenth)
    growth = (rss_end - rss_start) / rss_start * 100
    failed = {r: v[1] for r, v in result["totals"].items() if v[1]}
    checks = {
        "no failed requests": not failed,
        "corrupt version refused": bool(result["probes"]) and all(result["probes"]),
        "no request dropped at SIGTERM": sum(v[1] for v in result["drain"].values()) == 0,
        "exit status 0": result["exit_status"] == 0,
        # Enforced on runs of 10 minutes or more: a 3-minute run (CI's) is mostly warm-up.
        "RSS growth over the last two thirds < 2 %": growth < 2.0 or result["minutes"] < 10,
        "no thread growth": med("threads", last_tenth) <= med("threads", first_third) + 4,
        "no open-file growth": med("fds", last_tenth) <= med("fds", first_third) + 4,
    }
    return {"checks": checks, "rss_start_mb": round(rss_start, 1), "rss_end_mb": round(rss_end, 1),
            "rss_growth_percent": round(growth, 2), "failed": failed,
            "threads": [med("threads", first_third), med("threads", last_tenth)],
            "fds": [med("fds", first_third), med("fds", last_tenth)]}


def svg_plot(samples: list[dict]) -> str:
    """RSS (MB) and the tiny model's p99 (ms) over time, as an SVG line chart."""
    w, h, pad = 900, 320, 50
    ts = [s["t"] for s in samples]
    rss = [s["rss_mb"] for s in samples]
    p99 = [s["routes"].get("tiny", {}).get("p99_ms", float("nan")) for s in samples]
    p99 = [v if v == v else 0.0 for v in p99]
    tmax = max(ts) or 1
    def line(values, top, color):
        vmax = max(values) * 1.1 or 1
        points = " ".join(f"{pad + (t / tmax) * (w - 2 * pad):.1f},{h - pad - (v / vmax) * (h - 2 * pad):.1f}"
                          for t, v in zip(ts, values))
        return (f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{points}"/>'
                f'<text x="{w - pad + 4 if top else 4}" y="{pad - 8}" font-size="12" fill="{color}">'
                f'{"p99 ms" if top else "RSS MB"} (max {vmax / 1.1:.0f})</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif">'
            f'<rect width="{w}" height="{h}" fill="white"/>'
            f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#888"/>'
            f'<text x="{w / 2}" y="{h - 15}" font-size="12" text-anchor="middle">seconds (0 to {tmax:.0f})</text>'
            + line(rss, False, "#1f77b4") + line(p99, True, "#d62728") + "</svg>\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", 30)))
    release = os.path.join(ROOT, ".build", "release", "paddle-swift")
    parser.add_argument("--binary", default=os.environ.get("PADDLE_SWIFT_BIN", release if os.path.exists(release)
                                                           else os.path.join(ROOT, ".build", "debug", "paddle-swift")),
                        help="default: the release build, else the debug one")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "soak"))
    parser.add_argument("--share-weights", action="store_true",
                        help="serve with --share-weights (tiny's byte-identical versions then share one weight family)")
    parser.add_argument("--report", help="write the Markdown report (with its SVG beside it) here")
    parser.add_argument("--rec-config", default=os.environ.get("SOAK_REC_CONFIG", "pool_size: 2"),
                        help="rec's config.yaml ('\\n' between lines), e.g. 'pool_size: 2\\nonednn_cache_capacity: 32'")
    args = parser.parse_args()
    for path in (TINY, REC, os.path.join(SHARED_OCR, "images")):
        if not os.path.exists(path):
            print(f"soak: {path} is missing (scripts/test.sh makes the fixtures; setup.sh installs the models)",
                  file=sys.stderr)
            return 2
    os.makedirs(args.out, exist_ok=True)
    result = run(args)
    verdict = evaluate(result)
    result["verdict"] = verdict
    with open(os.path.join(args.out, "soak.json"), "w") as f:
        json.dump(result, f)
    print(json.dumps(verdict, indent=1))
    if args.report:
        write_report(args.report, result, verdict)
    passed = sum(verdict["checks"].values())
    failed = len(verdict["checks"]) - passed
    print(f"soak: {passed} passed, {failed} failed")
    return 1 if failed else 0


def write_report(path: str, result: dict, verdict: dict) -> None:
    svg = os.path.splitext(path)[0] + ".svg"
    with open(svg, "w") as f:
        f.write(svg_plot(result["samples"]))
    totals = result["totals"]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    flags = next((l for l in open("/proc/cpuinfo") if l.startswith("flags")), "")
    isa = " ".join(f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile") if f" {f}" in flags)
    lines = [
        "# Soak: hot reloads under saturation",
        "",
        f"Run of `bench/soak/run.sh` ({result['minutes']} minutes), {time.strftime('%Y-%m-%d')}, on {cpu} "
        f"({os.cpu_count()} cores; {isa}). The {result['binary']} build of `paddle-swift serve` served `tiny` (changed every 20 s: publish,"
        " A/B weights, delete the oldest, pool_size, a corrupt version), `rec` (PP-OCRv4 recognition, widths 96-640)"
        " and `/v1/ocr`, driven by 2 load processes x 4 keep-alive connections on loopback; then SIGTERM under load.",
        "",
        f"![RSS and the tiny model's p99 over time]({os.path.basename(svg)})",
        "",
        "| check | result |", "|---|---|",
    ] + [f"| {name} | {'yes' if ok else '**no**'} |" for name, ok in verdict["checks"].items()] + [
        "",
        "| figure | value |", "|---|---|",
        f"| requests answered 200 (tiny / rec / ocr) | {totals['tiny'][0]} / {totals['rec'][0]} / {totals['ocr'][0]} |",
        f"| requests failed (tiny / rec / ocr) | {totals['tiny'][1]} / {totals['rec'][1]} / {totals['ocr'][1]} |",
        f"| repository changes | {len(result['operator'])} |",
        f"| pinned probes of a corrupt version refused | {sum(result['probes'])} of {len(result['probes'])} |",
        f"| answered during the SIGTERM drain / dropped | {sum(v[0] for v in result['drain'].values())} / "
        f"{sum(v[1] for v in result['drain'].values())} |",
        f"| exit status | {result['exit_status']} |",
        f"| RSS, first third (median of its second half) -> last tenth | {verdict['rss_start_mb']} MB -> "
        f"{verdict['rss_end_mb']} MB ({verdict['rss_growth_percent']:+.2f} %) |",
        f"| threads / open files, first third -> last tenth | {verdict['threads'][0]} -> {verdict['threads'][1]} / "
        f"{verdict['fds'][0]} -> {verdict['fds'][1]} |",
        "",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
