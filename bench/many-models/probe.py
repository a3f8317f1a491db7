#!/usr/bin/env python3
"""Where a many-model server's memory goes (issue 15): one on-demand load at a time on an idle server, then loads at once.

Starts `paddle-swift serve` on a repository made by generate.py with a memory budget (so the models are on-demand),
samples the server's RSS every 2 ms and its peak (`VmHWM`, reset through /proc/PID/clear_refs before each step),
and prints, for each step, the RSS before, the peak during and the RSS 0.5 s after, with the server's thread count:

  1. the first request ever (its load maps and initialises the Paddle runtime);
  2. N more first requests, one at a time (a load and its first run on an idle server);
  3. the same N models again (hits: their runs alone);
  4. K first requests on K other models sent at once (on-demand loads of different models queue one behind the
     other on the server; their first runs overlap the next loads).

    python3 bench/many-models/probe.py --repo REPO --binary .build/debug/paddle-swift --budget-mb 512 --models 10
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import body_for, free_port, is_ready  # noqa: E402  (the load generator's request bodies and ports)


def status(pid: int) -> dict:
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024
            elif key == "Threads":
                values[key] = int(rest)
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", required=True)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "paddle-swift"))
    parser.add_argument("--budget-mb", type=int, default=512)
    parser.add_argument("--models", type=int, default=10, help="N: models loaded one at a time")
    parser.add_argument("--concurrent", type=int, default=8, help="K: first requests sent at once")
    parser.add_argument("--out", default="", help="write the steps as JSON here")
    args = parser.parse_args()

    entries = json.load(open(os.path.join(args.repo, "models.json")))["models"]
    port = free_port()
    cache = tempfile.mkdtemp(prefix="many-models-probe-cache-")
    log = open(os.path.join(tempfile.gettempdir(), f"many-models-probe-{port}.log"), "w")
    server = subprocess.Popen(
        [args.binary, "serve", "--model-repository", args.repo, "--port", str(port), "--grpc-port", "0", "--no-ocr",
         "--poll-interval", "0", "--optimization-cache", cache, "--memory-budget-mb", str(args.budget_mb)],
        stdout=log, stderr=log)
    pid = server.pid
    try:
        for _ in range(3000):
            if is_ready(port):
                break
            time.sleep(0.2)
        time.sleep(1)

        def infer(entry) -> int:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            conn.request("POST", f"/v2/models/{entry['name']}/infer", body=body_for(entry),
                         headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            return response.status

        def step(label, batch):
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
            before = status(pid)
            peak, stop = [before["VmRSS"]], threading.Event()

            def sample():
                while not stop.is_set():
                    peak[0] = max(peak[0], status(pid)["VmRSS"])
                    time.sleep(0.002)

            sampler = threading.Thread(target=sample)
            sampler.start()
            results = []
            threads = [threading.Thread(target=lambda e=e: results.append(infer(e))) for e in batch]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            time.sleep(0.5)
            stop.set()
            sampler.join()
            after = status(pid)
            row = {"step": label, "models": [e["name"] for e in batch],
                   "files_mb": sum(e["weight_bytes"] for e in batch) / 2**20, "status": results,
                   "before_mb": before["VmRSS"] / 2**20, "peak_mb": max(peak[0], after["VmHWM"]) / 2**20,
                   "after_mb": after["VmRSS"] / 2**20, "threads": after["Threads"]}
            print(json.dumps(row), flush=True)
            return row

        rows = [step("first request ever", [entries[0]])]
        for e in entries[1:1 + args.models]:
            rows.append(step("load + first run", [e]))
        for e in entries[1:1 + args.models]:
            rows.append(step("hit", [e]))
        start = 1 + args.models
        rows.append(step(f"{args.concurrent} first requests at once", entries[start:start + args.concurrent]))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
        for line in text.splitlines():
            if line.startswith("paddle_model_memory_base_bytes") or line.startswith("paddle_model_memory_load_peak") \
                    or line.startswith("paddle_model_memory_used_bytes"):
                print(line)
        if args.out:
            json.dump(rows, open(args.out, "w"), indent=1)
    finally:
        server.terminate()
        server.wait(timeout=60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
