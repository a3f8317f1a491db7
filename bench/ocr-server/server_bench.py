#!/usr/bin/env python3
"""OCR servers under load: `paddle-swift serve` (`POST /v1/ocr`, or `--path /v1/waybill`) against the OCR servers a
user would stand up, on the same cores, in the same run.

Every server is started once (all on 127.0.0.1, each pinned to the same CPUs with `taskset`), warmed up with
every image, then measured in ROUNDS interleaved rounds (the server order rotates each round): for each number of
connections C in --connections, C client threads with one keep-alive connection each send the images of
/work/shared/ocr/images in turn (each thread starts at a different image) until REQUESTS requests have been
answered; images/s is requests / wall time, and p50/p99 come from the per-request latencies. Per server and C the
report keeps the median over rounds. Every answer must be 200 with at least one recognised line.

    server_bench.py --venv PYTHON --swift NAME=BINARY [--swift NAME=BINARY ...] [--path /v1/ocr]
                    [--rounds 3] [--connections 1,4,8] [--out bench/out/ocr-server.json]
"""
import argparse
import datetime
import http.client
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
HERE = Path(__file__).resolve().parent
SHARED = ROOT.parent / "shared" / "ocr"


def log(message):
    print(f"[ocr-server-bench {datetime.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


class Server:
    """One server process: how to start it, where to send images and how (raw body or multipart)."""

    def __init__(self, name, command, port, path, multipart=None, env=None, describe=""):
        self.name, self.command, self.port, self.path = name, command, port, path
        self.multipart, self.env, self.describe = multipart, env or {}, describe
        self.process = None

    def start(self, cpus):
        log(f"starting {self.name}: {' '.join(self.command)}")
        env = dict(os.environ, **self.env)
        self.log_file = open(ROOT / "bench" / "out" / f"ocr-server-{self.name}.log", "w")
        self.process = subprocess.Popen(["taskset", "-c", cpus, *self.command], env=env, stdout=self.log_file,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()

    def request(self, connection, image, name):
        if self.multipart:
            boundary = "ocrbenchboundary7MA4YWxkTrZu0gW"
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{self.multipart}\"; filename=\"{name}\"\r\n"
                    f"Content-Type: image/jpeg\r\n\r\n").encode() + image + f"\r\n--{boundary}--\r\n".encode()
            headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        else:
            body, headers = image, {"Content-Type": "image/jpeg"}
        connection.request("POST", self.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, data

    def lines(self, data):
        """How many lines an answer holds (each server has its own JSON)."""
        answer = json.loads(data)
        if isinstance(answer, dict) and "results" in answer:
            return len(answer["results"])
        if isinstance(answer, dict) and "lines" in answer:  # /v1/waybill
            return len(answer["lines"])
        return len(answer)  # rapidocr-api: {"0": {...}, "1": {...}}

    def wait_ready(self, image, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see bench/out/ocr-server-{self.name}.log")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                status, _ = self.request(connection, image, "ready.jpg")
                connection.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(1)
        raise RuntimeError(f"{self.name} not ready after {timeout} s")


def load(server, images, connections, requests):
    """`requests` requests over `connections` keep-alive connections; returns images/s and latencies (s)."""
    latencies, failures, lock = [], [], threading.Lock()
    counter = iter(range(requests))
    names = list(images)

    def worker(index):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
        position = index
        while True:
            with lock:
                if next(counter, None) is None:
                    break
            name = names[position % len(names)]
            position += 1
            start = time.perf_counter()
            try:
                status, data = server.request(connection, images[name], name)
                ok = status == 200 and server.lines(data) > 0
            except (OSError, http.client.HTTPException, ValueError) as error:
                status, ok = str(error), False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if not ok:
                    failures.append(f"{name}: {status}")
        connection.close()

    threads = [threading.Thread(target=worker, args=(i * len(names) // connections,)) for i in range(connections)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return {"images_per_s": len(latencies) / wall, "wall_s": wall, "requests": len(latencies),
            "p50_s": percentile(latencies, 50), "p99_s": percentile(latencies, 99), "failures": failures}


def percentile(values, p):
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def cpu_flags():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = line.split(":", 1)[1].split()
                return [f for f in flags if f.startswith(("avx", "fma", "sse4", "amx", "f16c"))]
    except OSError:
        pass
    return []


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--venv", required=True, help="python of the peers' venv")
    parser.add_argument("--swift", action="append", default=[], help="NAME=BINARY of a paddle-swift build")
    parser.add_argument("--path", default="/v1/ocr", help="the paddle-swift route: /v1/ocr or /v1/waybill")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", default="1,4,8")
    parser.add_argument("--requests", type=int, default=0, help="requests per level (default: max(24, 6 x C))")
    parser.add_argument("--images", default="", help="a fixed comma-separated subset of the shared images")
    parser.add_argument("--cpus", default="0-%d" % (os.cpu_count() - 1))
    parser.add_argument("--peers", default="rapidocr-api,fastapi-paddle,fastapi-onnxruntime")
    parser.add_argument("--out", default=str(ROOT / "bench/out/ocr-server.json"))
    args = parser.parse_args()
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    images_dir = SHARED / "images"
    names = [n for n in args.images.split(",") if n] or sorted(
        n for n in os.listdir(images_dir) if n.lower().endswith((".jpg", ".png")))
    images = {n: (images_dir / n).read_bytes() for n in names}
    # A SIGTERM (say from `timeout`) still stops the servers: they run in their own sessions.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    levels = [int(c) for c in args.connections.split(",")]
    home = os.environ.get("PADDLE_SWIFT_HOME", str(ROOT / ".paddle"))
    venv_bin = Path(args.venv).parent
    onnx_models = Path(subprocess.run([args.venv, "-c", "import rapidocr_onnxruntime, os; "
                                       "print(os.path.dirname(rapidocr_onnxruntime.__file__))"],
                                      capture_output=True, text=True, check=True).stdout.strip()) / "models"
    servers, port = [], 9201
    for spec in args.swift:
        name, value = spec.split("=", 1)
        binary, *extra = value.split("+")
        # Builds from before `serve --grpc-port` have no gRPC service to turn off.
        grpc = ["--grpc-port", "0"] if "--grpc-port" in subprocess.run(
            [binary, "serve", "--help"], capture_output=True, text=True).stdout else []
        servers.append(Server(name, [binary, "serve", "--host", "127.0.0.1", "--port", str(port), *grpc,
                                     "--model-repository", str(ROOT / "bench/out/ocr-server-empty-repository"),
                                     *extra],
                              port, args.path, env={"PADDLE_SWIFT_HOME": home, "GLOG_minloglevel": "2"},
                              describe=f"paddle-swift serve ({binary}{' ' + ' '.join(extra) if extra else ''}), {args.path}, "
                                       "raw image body"))
        port += 1
    (ROOT / "bench/out/ocr-server-empty-repository").mkdir(exist_ok=True)
    peers = [p for p in args.peers.split(",") if p]
    uvicorn = str(venv_bin / "uvicorn")
    if "rapidocr-api" in peers:
        # rapidocr-api 0.2.0 as its README starts it, 2 workers (one per core); rapidocr 3.x would download its
        # models, so it gets the same PP-OCRv4 ONNX models rapidocr-onnxruntime 1.4.4 ships.
        servers.append(Server("rapidocr-api", [str(venv_bin / "rapidocr_api"), "-ip", "127.0.0.1", "-p", str(port),
                                               "-workers", "2"], port, "/ocr", multipart="image_file",
                              env={"det_model_path": str(onnx_models / "ch_PP-OCRv4_det_infer.onnx"),
                                   "cls_model_path": str(onnx_models / "ch_ppocr_mobile_v2.0_cls_infer.onnx"),
                                   "rec_model_path": str(onnx_models / "ch_PP-OCRv4_rec_infer.onnx")},
                              describe="rapidocr-api 0.2.0 (rapidocr 3.10.0, onnxruntime 1.31.1), uvicorn 2 workers, "
                                       "ONNX Runtime's default threads, multipart upload"))
        port += 1
    for engine in ("paddle", "onnxruntime"):
        if f"fastapi-{engine}" in peers:
            servers.append(Server(f"fastapi-{engine}", [uvicorn, "peer_app:app", "--app-dir", str(HERE), "--host",
                                                        "127.0.0.1", "--port", str(port), "--workers", "2",
                                                        "--log-level", "warning"],
                                  port, "/ocr", env={"PEER_ENGINE": engine, "PEER_THREADS": "1", "GLOG_minloglevel": "2"},
                                  describe=f"rapidocr-{engine} behind FastAPI 0.163.2 / uvicorn 0.54.0, 2 workers x 1 "
                                           "thread, raw image body"))
            port += 1
    load_before = os.getloadavg()
    first = next(iter(images.values()))
    rounds = {s.name: {str(c): [] for c in levels} for s in servers}
    try:
        for s in servers:
            s.start(args.cpus)
        for s in servers:
            s.wait_ready(first)
            log(f"{s.name} ready; warming up")
            load(s, images, 2, 2 * len(images))  # 2 connections: every uvicorn worker gets images
        for r in range(args.rounds):
            order = servers[r % len(servers):] + servers[: r % len(servers)]
            for s in order:
                for c in levels:
                    n = args.requests or max(24, 6 * c)
                    m = load(s, images, c, n)
                    rounds[s.name][str(c)].append(m)
                    log(f"round {r + 1} {s.name} C={c}: {m['images_per_s']:.2f} images/s, p50 {m['p50_s']:.3f} s, "
                        f"p99 {m['p99_s']:.3f} s, failures {len(m['failures'])}, load {os.getloadavg()[0]:.2f}")
    finally:
        for s in servers:
            s.stop()
    summary = {}
    for s in servers:
        summary[s.name] = {}
        for c in levels:
            runs = rounds[s.name][str(c)]
            summary[s.name][str(c)] = {k: statistics.median(m[k] for m in runs) for k in ("images_per_s", "p50_s", "p99_s")}
            summary[s.name][str(c)]["failures"] = sum(len(m["failures"]) for m in runs)
    versions = subprocess.run([args.venv, "-m", "pip", "list", "--format", "freeze"], capture_output=True, text=True).stdout
    result = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "path": args.path,
              "rounds": args.rounds, "connections": levels, "images": list(images), "cpus": args.cpus,
              "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "flags": cpu_flags()},
              "loadBefore": [round(x, 2) for x in load_before], "loadAfter": [round(x, 2) for x in os.getloadavg()],
              "servers": {s.name: s.describe for s in servers},
              "ours": [spec.split("=", 1)[0] for spec in args.swift],
              "peerVersions": [l for l in versions.splitlines() if l.lower().startswith(
                  ("rapidocr", "onnxruntime", "paddlepaddle", "fastapi", "uvicorn", "opencv"))],
              "summary": summary, "raw": rounds}
    Path(args.out).write_text(json.dumps(result, indent=1))
    log(f"wrote {args.out}")
    for s in servers:
        log(f"{s.name}: " + ", ".join(f"C={c} {summary[s.name][str(c)]['images_per_s']:.2f}/s "
                                       f"p99 {summary[s.name][str(c)]['p99_s']:.2f}" for c in levels))


if __name__ == "__main__":
    main()
