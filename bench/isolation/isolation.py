#!/usr/bin/env python3
"""Isolation: does OCR load slow the other models down? The tiny model's p99 at 8 connections, alone and beside
/v1/ocr under load at 4 connections, on the same release `paddle-swift serve`, interleaved over several rounds.

OCR's stages run on the OCR models' own pool threads (one per model in `serve`), so its load is bounded by those
threads and cannot take the cooperative threads or event loops that answer other routes. Target: the tiny model's
p99 with OCR load at most 2x its p99 without (median over rounds; ratios, since absolute times move between
machines). Loopback only; every load is bounded by wrk's duration.

    python3 bench/isolation/isolation.py [--rounds 3] [--seconds 15] [--out bench/out/isolation.json]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FIXTURES = os.environ.get("PADDLE_SWIFT_FIXTURES", os.path.join(ROOT, ".fixtures"))
SHARED_OCR = os.environ.get("PADDLE_SWIFT_SHARED_OCR", os.path.join(ROOT, "..", "shared", "ocr"))
INFER_LUA = os.path.join(ROOT, "bench", "server", "infer.lua")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ready(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/v2/health/ready")
        return conn.getresponse().status == 200
    except OSError:
        return False


def wrk(url: str, connections: int, seconds: float, script: str, body: str, header_length: str = "") -> subprocess.Popen:
    env = {**os.environ, "BODY_FILE": body, "HEADER_LENGTH": header_length}
    return subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "120s", "--latency", "-s",
                             script, url],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def summary(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate(timeout=600)
    match = re.search(r"WRKJSON (\{.*\})", out)
    if match:
        return json.loads(match.group(1))
    if "requests in" not in out:
        raise SystemExit(f"isolation: wrk printed no summary:\n{out[-2000:]}")
    requests = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests": int(requests.group(1)) if requests else 0, "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.environ.get("PADDLE_SWIFT_BIN",
                                                           os.path.join(ROOT, ".build", "release", "paddle-swift")))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "isolation.json"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    work = tempfile.mkdtemp(prefix="paddle-isolation-")
    os.makedirs(os.path.join(work, "models", "tiny", "1"))
    for name in os.listdir(os.path.join(FIXTURES, "models", "mlp_tiny_pdmodel")):
        shutil.copy(os.path.join(FIXTURES, "models", "mlp_tiny_pdmodel", name), os.path.join(work, "models", "tiny", "1"))
    with open(os.path.join(work, "models", "tiny", "config.yaml"), "w") as f:
        f.write("pool_size: 2\n")
    body = os.path.join(work, "tiny.json")
    with open(body, "w") as f:
        json.dump({"inputs": [{"name": "x", "shape": [1, 16], "datatype": "FP32", "data": [0.25] * 16}]}, f)
    image = os.path.join(SHARED_OCR, "images", "ch_en_num.jpg")
    port = free_port()
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([args.binary, "serve", "--model-repository", os.path.join(work, "models"),
                               "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 600
        while not ready(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"isolation: the server did not become ready ({log.name})")
            time.sleep(0.2)
        tiny_url = f"http://127.0.0.1:{port}/v2/models/tiny/infer"
        ocr_url = f"http://127.0.0.1:{port}/v1/ocr"
        summary(wrk(tiny_url, 8, 3, INFER_LUA, body))  # warm-up
        alone, beside, ocr = [], [], []
        for round_ in range(args.rounds):
            a = summary(wrk(tiny_url, 8, args.seconds, INFER_LUA, body))
            load = wrk(ocr_url, 4, args.seconds + 4, os.path.join(HERE, "ocr.lua"), image)
            time.sleep(2)  # OCR load running before the measurement starts
            b = summary(wrk(tiny_url, 8, args.seconds, INFER_LUA, body))
            o = summary(load)
            alone.append(a)
            beside.append(b)
            ocr.append(o)
            print(f"round {round_ + 1}: tiny p99 alone {a['p99_us'] / 1000:.2f} ms ({a['requests']} req), beside OCR "
                  f"{b['p99_us'] / 1000:.2f} ms ({b['requests']} req); OCR {o.get('requests', 0)} images", flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
        shutil.rmtree(work, ignore_errors=True)
    p99_alone = statistics.median(r["p99_us"] for r in alone) / 1000
    p99_beside = statistics.median(r["p99_us"] for r in beside) / 1000
    result = {"date": time.strftime("%Y-%m-%d"), "rounds": args.rounds, "seconds": args.seconds,
              "tiny_p99_ms_alone": round(p99_alone, 3), "tiny_p99_ms_beside_ocr": round(p99_beside, 3),
              "ratio": round(p99_beside / p99_alone, 2),
              "tiny_p50_ms_alone": round(statistics.median(r["p50_us"] for r in alone) / 1000, 3),
              "tiny_p50_ms_beside_ocr": round(statistics.median(r["p50_us"] for r in beside) / 1000, 3),
              "tiny_qps_alone": round(statistics.median(r["requests"] / args.seconds for r in alone)),
              "tiny_qps_beside_ocr": round(statistics.median(r["requests"] / args.seconds for r in beside)),
              "ocr_images_per_second": round(statistics.median(o.get("requests", 0) / (args.seconds + 4) for o in ocr), 2),
              "errors": sum(r.get("errors_status", 0) for r in alone + beside)}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))
    return 0 if result["ratio"] <= 2.0 and result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
