#!/usr/bin/env python3
"""What `serve --share-weights` saves: the server's RSS with N byte-identical models, with and without sharing.

For each N in --counts and each setting (off, on), starts `paddle-swift serve` on a repository of N copies of
PP-OCRv4 recognition (a ProgramDesc model, 10.5 MB of weights; pool_size 1 each), waits until it is ready (every
model loaded and warmed up), sends each model one line 320 pixels wide, waits 2 s, and reads VmRSS from /proc.
The cost of one more copy is (RSS(N) - RSS(1)) / (N - 1).

    flock /tmp/paddle-bench.lock python3 bench/many-models/shared_weights_rss.py [--binary PATH] [--counts 1 8]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOME = os.environ.get("PADDLE_SWIFT_HOME", os.path.join(ROOT, ".paddle"))
REC = os.path.join(HOME, "models", "ppocrv4", "ch_PP-OCRv4_rec_infer")
sys.path.insert(0, os.path.join(ROOT, "bench", "soak"))
from soak import free_port, is_ready  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def infer(port: int, model: str) -> int:
    width = 320
    count = 3 * 48 * width
    header = json.dumps({"inputs": [{"name": "x", "shape": [1, 3, 48, width], "datatype": "FP32",
                                     "parameters": {"binary_data_size": count * 4}}],
                         "parameters": {"binary_data_output": True}}).encode()
    body = header + struct.pack(f"<{count}f", *([0.1] * count))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("POST", f"/v2/models/{model}/infer", body=body,
                 headers={"Inference-Header-Content-Length": str(len(header)), "Content-Type": "application/octet-stream"})
    status = conn.getresponse().status
    conn.close()
    return status


def measure(binary: str, count: int, share: bool) -> float:
    work = tempfile.mkdtemp(prefix="paddle-share-rss-")
    repo = os.path.join(work, "models")
    names = [f"rec{i}" for i in range(count)]
    for name in names:
        os.makedirs(os.path.join(repo, name))
        shutil.copytree(REC, os.path.join(repo, name, "1"))
        with open(os.path.join(repo, name, "config.yaml"), "w") as f:
            f.write("pool_size: 1\n")
    port = free_port()
    command = [binary, "serve", "--model-repository", repo, "--port", str(port), "--grpc-port", "0"]
    if share:
        command.append("--share-weights")
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        started = time.monotonic()
        while not is_ready(port):
            if server.poll() is not None or time.monotonic() - started > 900:
                raise SystemExit(f"the server did not become ready; see {log.name}")
            time.sleep(0.2)
        for name in names:
            status = infer(port, name)
            if status != 200:
                raise SystemExit(f"{name} answered {status}; see {log.name}")
        time.sleep(2)
        return rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=120)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "paddle-swift"))
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    results: dict[tuple[int, bool], float] = {}
    for count in args.counts:
        for share in (False, True):
            results[(count, share)] = measure(args.binary, count, share)
            print(f"{count} models, share-weights {'on ' if share else 'off'}: RSS {results[(count, share)]:.1f} MB",
                  flush=True)
    low, high = min(args.counts), max(args.counts)
    print("\n| models | RSS, sharing off | RSS, sharing on | saved |")
    print("|---|---|---|---|")
    for count in args.counts:
        off, on = results[(count, False)], results[(count, True)]
        print(f"| {count} | {off:.1f} MB | {on:.1f} MB | {off - on:.1f} MB |")
    if high > low:
        for share in (False, True):
            step = (results[(high, share)] - results[(low, share)]) / (high - low)
            print(f"one more copy, sharing {'on' if share else 'off'}: {step:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
