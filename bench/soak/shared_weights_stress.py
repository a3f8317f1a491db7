#!/usr/bin/env python3
"""Shared-weights stress: the soak's reload pattern for `serve --share-weights`, every second instead of every 20 s.

The server serves `tiny` (the 16-32-4 MLP; byte-identical versions published, the oldest deleted, its pool_size
changed, in turn), `twin` (a byte-identical copy of `tiny` under another name, so it joins the same weight family;
its pool_size changes too) and `rec` (PP-OCRv4 recognition, fed lines 96 to 640 pixels wide, so oneDNN's
process-wide shape cache keeps evicting). Requests flow to all three from 4 threads throughout, so members join
and leave a family while its template and clones are in use.

It fails (exit 1) when a request to `tiny` or `twin` fails while a version is ready, or when the server log shows
a failed warm-up or load. The soak that found the problem (docs/soak.md) needed 10.5 minutes at one change per 20 s.

    python3 bench/soak/shared_weights_stress.py [--seconds 120] [--share-weights on|off] [--binary PATH]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from soak import REC, ROOT, TINY, free_port, is_ready, publish, rec_request, write_config  # noqa: E402


def tiny_body(rng: random.Random) -> bytes:
    values = [round(rng.uniform(-1, 1), 3) for _ in range(16)]
    return json.dumps({"inputs": [{"name": "x", "shape": [1, 16], "datatype": "FP32", "data": values}]}).encode()


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Load:
    """Keep-alive clients sending requests until stopped; counts answers by route and status."""

    def __init__(self, port: int, rec: bool = True):
        self.port = port
        self.rec = rec
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts: dict[str, dict[int, int]] = {}
        self.errors: list[str] = []

    def record(self, route: str, status: int, text: str) -> None:
        with self.lock:
            bucket = self.counts.setdefault(route, {})
            bucket[status] = bucket.get(status, 0) + 1
            if status != 200 and len(self.errors) < 20:
                self.errors.append(f"{route} {status} {text[:300]}")

    def client(self, index: int) -> None:
        rng = random.Random(index)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while not self.stop.is_set():
            route = ("tiny", "twin", "rec", "tiny")[index % 4] if index < 4 else rng.choice(("tiny", "twin"))
            if route == "rec" and not self.rec:
                route = "tiny"
            if route == "rec":
                path, body, headers = rec_request(rng)
            else:
                path, body, headers = f"/v2/models/{route}/infer", tiny_body(rng), {"Content-Type": "application/json"}
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                text = response.read().decode(errors="replace")
                self.record(route, response.status, text)
            except (OSError, http.client.HTTPException) as error:
                self.record(route, -1, repr(error))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--period", type=float, default=1.0, help="seconds between repository changes")
    parser.add_argument("--share-weights", default="on", choices=("on", "off"))
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "paddle-swift"))
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--no-rec", action="store_true", help="send no requests to `rec` (no oneDNN cache evictions)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (repository and server log)")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="paddle-shared-stress-")
    repo = os.path.join(work, "models")
    tiny, twin, rec = (os.path.join(repo, name) for name in ("tiny", "twin", "rec"))
    for folder in (tiny, twin, rec):
        os.makedirs(folder)
    versions, next_version, pool = [1, 2], 3, {"tiny": 2, "twin": 2}
    for version in versions:
        publish(tiny, version, TINY)
    publish(twin, 1, TINY)
    publish(rec, 1, REC)
    write_config(tiny, pool["tiny"], {})
    write_config(twin, pool["twin"], {})
    with open(os.path.join(rec, "config.yaml"), "w") as f:
        f.write("pool_size: 2\n")

    port = free_port()
    log_path = os.path.join(work, "server.log")
    log = open(log_path, "w")
    command = [args.binary, "serve", "--model-repository", repo, "--port", str(port), "--grpc-port", "0",
               "--poll-interval", "0.2"]
    if args.share_weights == "on":
        command.append("--share-weights")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    started = time.monotonic()
    while not is_ready(port):
        if server.poll() is not None or time.monotonic() - started > 600:
            print(f"stress: the server did not become ready; see {log_path}")
            return 1
        time.sleep(0.2)
    print(f"stress: server ready after {time.monotonic() - started:.1f} s (share-weights {args.share_weights})", flush=True)

    rss = [rss_mb(server.pid)]
    load = Load(port, rec=not args.no_rec)
    clients = [threading.Thread(target=load.client, args=(i,), daemon=True) for i in range(args.clients)]
    for client in clients:
        client.start()
    actions = ("publish", "pool_size", "delete", "twin_pool_size")
    changes = 0
    end = time.monotonic() + args.seconds
    while time.monotonic() < end and server.poll() is None:
        time.sleep(args.period)
        action = actions[changes % len(actions)]
        changes += 1
        if action == "publish":
            publish(tiny, next_version, TINY)
            versions.append(next_version)
            next_version += 1
        elif action == "pool_size":
            pool["tiny"] = 1 if pool["tiny"] == 2 else 2
            write_config(tiny, pool["tiny"], {})
        elif action == "delete" and len(versions) > 2:
            shutil.rmtree(os.path.join(tiny, str(versions.pop(0))))
        elif action == "twin_pool_size":
            pool["twin"] = 1 if pool["twin"] == 2 else 2
            write_config(twin, pool["twin"], {})
        if changes % 20 == 0:
            with load.lock:
                summary = {route: dict(sorted(counts.items())) for route, counts in sorted(load.counts.items())}
            rss.append(rss_mb(server.pid))
            print(f"stress: {changes} changes, RSS {rss[-1]:.0f} MB, answers by status {summary}", flush=True)
    load.stop.set()
    for client in clients:
        client.join(timeout=120)
    crashed = server.poll() is not None
    if not crashed:
        rss.append(rss_mb(server.pid))
    if not crashed:
        server.terminate()
        server.wait(timeout=120)
    log.close()
    text = open(log_path, errors="replace").read()
    warmups = text.count("failed its warm-up run")
    load_failures = sum(1 for line in text.splitlines() if "failed to load" in line or "not applied" in line or "cannot load" in line)
    failed = {route: sum(n for status, n in counts.items() if status != 200) for route, counts in load.counts.items()}
    print(f"stress: {changes} changes in {args.seconds:.0f} s; answers by status "
          f"{ {route: dict(sorted(c.items())) for route, c in sorted(load.counts.items())} }")
    print(f"stress: RSS {rss[0]:.0f} MB when ready, {rss[len(rss) // 3]:.0f} MB at a third, {rss[-1]:.0f} MB at the end")
    print(f"stress: failed warm-ups in the log: {warmups}; failed loads: {load_failures}; server crashed: {crashed}")
    for error in load.errors[:5]:
        print(f"stress: e.g. {error}")
    ok = not crashed and warmups == 0 and load_failures == 0 and not any(failed.values())
    print("stress: PASS" if ok else f"stress: FAIL (log: {log_path})")
    if ok and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
