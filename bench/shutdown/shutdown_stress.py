#!/usr/bin/env python3
"""Start/stop cycles of `paddle-swift serve` with SIGTERM at random moments, and SIGINT cycles of `paddle-swift ocr`.

Every serve cycle starts the server on a fresh copy of a model repository (.pdmodel and PIR models, one or several,
one with dynamic batching) and sends SIGTERM in one of five phases, chosen in turn:
  loading   at a random moment before the server reports ready (models loading)
  warmup    just as readiness turns true (the last warm-ups and the OCR pipeline's start)
  idle      a random moment after ready, no traffic
  load      under traffic from 6 client threads (plain infer, dynamic batching, and /v1/ocr in some cycles)
  reload    right after a new version was published (hidden folder + rename), while it loads
Under load the server runs with --shutdown-delay 2 (elsewhere 0) and the clients behave like a load balancer: a poller reads
/v2/health/ready every 20 ms and, once it is false, the clients start no new request (2 s is a generous bound on
that reaction, not a speed expectation). Must hold: every exit status is 0, and every request a client started
got an HTTP answer (never a reset or a closed connection).
Each `ocr` cycle runs over the sample images and gets SIGINT at a random moment; it must end by that signal or with
status 0, never with a crash (SIGABRT, SIGSEGV, status 134).

Standard library only. Loopback traffic only; every loop is bounded in count and time.

    python3 bench/shutdown/shutdown_stress.py --cycles 300 --ocr-cycles 100 [--binary PATH] [--report FILE]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.environ.get("PADDLE_SWIFT_FIXTURES", os.path.join(ROOT, ".fixtures"))
SHARED_OCR = os.environ.get("PADDLE_SWIFT_SHARED_OCR", os.path.join(ROOT, "..", "shared", "ocr"))
PHASES = ("loading", "warmup", "idle", "load", "reload")
READY_TIMEOUT = 600  # seconds: a bound, not a speed expectation (a debug build on a slow CPU loads in far less)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_model(source: str, dest: str) -> None:
    os.makedirs(dest, exist_ok=True)
    for name in os.listdir(source):
        shutil.copy(os.path.join(source, name), os.path.join(dest, name))


def make_repository(work: str, rng: random.Random) -> tuple[str, list[str]]:
    """A repository of 1-3 models: the tiny MLP as .pdmodel, as PIR .json, and with dynamic batching."""
    repo = os.path.join(work, "models")
    choices = [("tiny", "mlp_tiny_pdmodel", ""), ("tiny_pir", "mlp_tiny_json", ""),
               ("batched", "mlp_tiny_pdmodel", "max_batch_size: 8\ndynamic_batching:\n  max_queue_delay_us: 500\n"
                                                 "pool_size: 2\n")]
    picked = rng.sample(choices, rng.randint(1, 3))
    for name, fixture, config in picked:
        copy_model(os.path.join(FIXTURES, "models", fixture), os.path.join(repo, name, "1"))
        if config:
            with open(os.path.join(repo, name, "config.yaml"), "w") as f:
                f.write(config)
    return repo, [p[0] for p in picked]


def request(port: int, method: str, path: str, body: bytes | None = None, timeout: float = 120,
            sent: list | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        if sent is not None:
            sent.append(time.monotonic())
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def is_ready(port: int) -> bool:
    try:
        return request(port, "GET", "/v2/health/ready", timeout=2) == 200
    except OSError:
        return False


TINY = json.dumps({"inputs": [{"name": "x", "shape": [1, 16], "datatype": "FP32", "data": [0.25] * 16}]}).encode()


class Traffic:
    """Client threads that send requests until stopped; counts answers and requests left without one."""

    def __init__(self, port: int, models: list[str], ocr_image: bytes | None):
        self.port, self.models, self.ocr_image = port, models, ocr_image
        self.stop = threading.Event()
        self.not_ready = threading.Event()  # the poller saw readiness false: start no new request
        self.sigterm_at: float | None = None
        self.lock = threading.Lock()
        self.answered = 0
        self.dropped: list[str] = []
        self.threads = [threading.Thread(target=self.loop, args=(i,), daemon=True) for i in range(6)]
        self.threads.append(threading.Thread(target=self.poll_readiness, daemon=True))

    def poll_readiness(self) -> None:
        deadline = time.monotonic() + 120
        while not self.stop.is_set() and time.monotonic() < deadline:
            if not is_ready(self.port):
                self.not_ready.set()
                return
            time.sleep(0.02)

    def loop(self, index: int) -> None:
        deadline = time.monotonic() + 120
        while not self.stop.is_set() and not self.not_ready.is_set() and time.monotonic() < deadline:
            if self.ocr_image is not None and index == 0:
                method, path, body = "POST", "/v1/ocr", self.ocr_image
            else:
                method, path, body = "POST", f"/v2/models/{self.models[index % len(self.models)]}/infer", TINY
            started = time.monotonic()
            sent: list[float] = []
            try:
                request(self.port, method, path, body, sent=sent)
                with self.lock:
                    self.answered += 1
            except (OSError, http.client.HTTPException) as error:
                with self.lock:
                    margin = f"{(self.sigterm_at - started) * 1000:.1f} ms" if self.sigterm_at else "no SIGTERM yet"
                    self.dropped.append(f"{path}: {type(error).__name__}: {error} (started {margin} before SIGTERM, "
                                        f"{'sent' if sent else 'not sent'})")
                return

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=150)


def serve_cycle(binary: str, cycle: int, phase: str, rng: random.Random, logs: str) -> dict:
    work = tempfile.mkdtemp(prefix="paddle-shutdown-")
    try:
        repo, models = make_repository(work, rng)
        with_ocr = phase in ("load", "warmup") and cycle % 3 == 0
        port = free_port()
        args = [binary, "serve", "--model-repository", repo, "--port", str(port), "--poll-interval", "0.2",
                "--drain-timeout", "30", "--shutdown-delay", "2" if phase == "load" else "0"]
        if not with_ocr:
            args.append("--no-ocr")
        log_path = os.path.join(logs, f"serve-{cycle:03d}-{phase}.log")
        with open(log_path, "w") as log:
            started = time.monotonic()
            proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
            traffic = None
            if phase == "loading":
                time.sleep(rng.uniform(0, 0.4))
            else:
                while not is_ready(port):
                    if proc.poll() is not None or time.monotonic() - started > READY_TIMEOUT:
                        break
                    time.sleep(0.02 if phase == "warmup" else 0.1)
                if phase == "idle":
                    time.sleep(rng.uniform(0, 1.0))
                elif phase == "load":
                    image = None
                    if with_ocr:
                        with open(os.path.join(SHARED_OCR, "images", "ch_en_num.jpg"), "rb") as f:
                            image = f.read()
                    traffic = Traffic(port, models, image)
                    traffic.start()
                    time.sleep(rng.uniform(0.3, 2.0))
                elif phase == "reload":
                    model = models[0]
                    source = os.path.join(repo, model, "1")
                    hidden = os.path.join(repo, model, ".2.tmp")
                    shutil.copytree(source, hidden)
                    os.rename(hidden, os.path.join(repo, model, "2"))
                    time.sleep(rng.uniform(0.1, 1.0))
            if traffic is not None:
                with traffic.lock:
                    traffic.sigterm_at = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = "hung"
            if traffic is not None:
                traffic.join()
        result = {"cycle": cycle, "phase": phase, "models": models, "ocr": with_ocr, "status": code,
                  "answered": traffic.answered if traffic else 0, "dropped": traffic.dropped if traffic else []}
        if code == 0 and not result["dropped"]:
            os.unlink(log_path)
        else:
            result["log"] = log_path
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ocr_cycle(binary: str, cycle: int, rng: random.Random, logs: str) -> dict:
    images = sorted(os.path.join(SHARED_OCR, "images", n) for n in os.listdir(os.path.join(SHARED_OCR, "images")))
    log_path = os.path.join(logs, f"ocr-{cycle:03d}.log")
    with open(log_path, "w") as log:
        # SIGINT's default action, whatever this driver inherited (a shell's background job ignores SIGINT).
        proc = subprocess.Popen([binary, "ocr", "--json"] + images, stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        time.sleep(rng.uniform(0.2, 4.0))
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = "hung"
    clean = code in (0, -signal.SIGINT)
    if clean:
        os.unlink(log_path)
    return {"cycle": cycle, "status": code, "clean": clean, **({} if clean else {"log": log_path})}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=300, help="serve start/stop cycles (default %(default)s)")
    parser.add_argument("--ocr-cycles", type=int, default=100, help="ocr SIGINT cycles (default %(default)s)")
    parser.add_argument("--binary", default=os.environ.get("PADDLE_SWIFT_BIN",
                                                           os.path.join(ROOT, ".build", "debug", "paddle-swift")))
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--phases", default=",".join(PHASES), help="phases to cycle through (default: all)")
    parser.add_argument("--report", help="write the results as JSON here")
    parser.add_argument("--logs", default=os.path.join(ROOT, "bench", "out", "shutdown"))
    args = parser.parse_args()
    if not os.path.isdir(os.path.join(FIXTURES, "models", "mlp_tiny_pdmodel")):
        print(f"shutdown: {FIXTURES}/models is missing: run scripts/test.sh (it makes the fixtures)", file=sys.stderr)
        return 2
    if args.ocr_cycles and not os.path.isdir(os.path.join(SHARED_OCR, "images")):
        print(f"shutdown: {SHARED_OCR}/images is missing (the shared OCR samples)", file=sys.stderr)
        return 2
    os.makedirs(args.logs, exist_ok=True)
    rng = random.Random(args.seed)
    started = time.monotonic()
    serve = []
    phases = [p for p in args.phases.split(",") if p]
    unknown = set(phases) - set(PHASES)
    if unknown or not phases:
        parser.error(f"unknown phases {sorted(unknown)} (known: {', '.join(PHASES)})")
    for cycle in range(args.cycles):
        result = serve_cycle(args.binary, cycle, phases[cycle % len(phases)], rng, args.logs)
        serve.append(result)
        bad = result["status"] != 0 or result["dropped"]
        print(f"serve {cycle + 1}/{args.cycles} {result['phase']:<7} models={','.join(result['models'])}"
              f"{' +ocr' if result['ocr'] else ''} status={result['status']} answered={result['answered']}"
              f"{' DROPPED ' + str(result['dropped'][:3]) if result['dropped'] else ''}"
              f"{' log ' + result['log'] if bad else ''}", flush=True)
    ocr = []
    for cycle in range(args.ocr_cycles):
        result = ocr_cycle(args.binary, cycle, rng, args.logs)
        ocr.append(result)
        print(f"ocr {cycle + 1}/{args.ocr_cycles} status={result['status']}"
              f"{'' if result['clean'] else ' NOT CLEAN, log ' + result['log']}", flush=True)
    by_phase = {p: {"cycles": 0, "exit_0": 0} for p in phases}
    for r in serve:
        by_phase[r["phase"]]["cycles"] += 1
        by_phase[r["phase"]]["exit_0"] += r["status"] == 0
    summary = {
        "serve_cycles": len(serve), "serve_exit_0": sum(r["status"] == 0 for r in serve), "by_phase": by_phase,
        "requests_answered": sum(r["answered"] for r in serve),
        "requests_dropped": sum(len(r["dropped"]) for r in serve),
        "ocr_cycles": len(ocr), "ocr_clean": sum(r["clean"] for r in ocr),
        "ocr_interrupted": sum(r["status"] == -signal.SIGINT for r in ocr),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(summary, indent=1))
    if args.report:
        with open(args.report, "w") as f:
            json.dump({"summary": summary, "serve": serve, "ocr": ocr}, f, indent=1)
    failed = (summary["serve_cycles"] - summary["serve_exit_0"]) + summary["requests_dropped"] \
        + (summary["ocr_cycles"] - summary["ocr_clean"])
    passed = summary["serve_exit_0"] + summary["ocr_clean"]
    print(f"shutdown: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
