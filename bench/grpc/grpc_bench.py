#!/usr/bin/env python3
"""gRPC vs HTTP binary on the tiny model at 32 concurrent requests, one `paddle-swift serve`, one load generator.

Both protocols are loaded by h2load (nghttp2-client, Debian), 1 thread, for the same number of seconds per point,
interleaved over several rounds; medians and ratios are reported:

- http: HTTP/1.1 (`h2load --h1`), 32 keep-alive connections, one fixed request with the input as a binary tensor
  (`Inference-Header-Content-Length`, outputs asked as binary), as in section 5;
- http2: the same HTTP request over HTTP/2 with prior knowledge (h2c, 32 connections with one stream each): HTTP/2
  framing without grpc-swift;
- grpc: `inference.GRPCInferenceService/ModelInfer`, 32 HTTP/2 connections with one stream each, the same input in
  `raw_input_contents` (a gRPC frame built with tritonclient's own protobuf classes);
- grpc-mux: the same call over 1 connection with 32 concurrent streams (how a gRPC channel usually multiplexes);
- grpc-live and http-live: `ServerLive` (an empty message) and `GET /v2/health/live` the same way, no engine and
  almost no work of ours: the ceilings of grpc-swift's and Hummingbird's per-call paths on this machine.

For every point but http-live the server's CPU time per answered request is measured too (`/proc/PID/stat` utime
+ stime over the point, divided by the growth of `paddle_inference_success_total`, or for grpc-live of the
ServerLive calls counted ok): on a 2-core machine the load
generator shares the CPU, so what the server spends per request is the figure that does not depend on the client.

h2load sees HTTP status only, and a gRPC error still has status 200, so the run checks the gRPC answers another way:
before the load, the gRPC and HTTP outputs of the request must be equal; after it, the server's
`paddle_protocol_requests_total{protocol="grpc",method="ModelInfer",code="ok"}` must have grown by exactly the
number of requests h2load completed.

    .venv-client-tests/bin/python bench/grpc/grpc_bench.py BINARY [--seconds 6] [--rounds 3]
"""
import argparse
import datetime
import json
import os
import platform
import re
import signal
import socket
import statistics
import struct
import subprocess
import tempfile
import time
import urllib.request

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.environ.get("PADDLE_SWIFT_FIXTURES", os.path.join(ROOT, ".fixtures"))
TINY = os.path.join(FIXTURES, "models", "mlp_tiny_pdmodel")
CONCURRENCY = 32


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, work):
    repo = os.path.join(work, "repo")
    os.makedirs(os.path.join(repo, "tiny"))
    os.symlink(TINY, os.path.join(repo, "tiny", "1"))
    with open(os.path.join(repo, "tiny", "config.yaml"), "w") as f:
        f.write("pool_size: 2\n")
    http_port, grpc_port = free_port(), free_port()
    log = open(os.path.join(work, "server.log"), "w")
    proc = subprocess.Popen([binary, "serve", "--model-repository", repo, "--port", str(http_port),
                             "--grpc-port", str(grpc_port), "--log-level", "warning",
                             "--trusted-root", os.path.dirname(TINY)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, f"server exited; see {log.name}"
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v2/health/ready").status == 200:
                break
        except Exception:
            pass
        assert time.monotonic() < deadline, "server not ready after 120 s"
        time.sleep(0.2)
    return proc, http_port, grpc_port


def bodies(work, data):
    header = json.dumps({"inputs": [{"name": "x", "shape": list(data.shape), "datatype": "FP32",
                                     "parameters": {"binary_data_size": data.nbytes}}],
                         "outputs": [{"name": OUTPUT, "parameters": {"binary_data": True}}]}).encode()
    http_body = os.path.join(work, "http.bin")
    with open(http_body, "wb") as f:
        f.write(header + data.tobytes())
    from tritonclient.grpc import service_pb2
    request = service_pb2.ModelInferRequest(model_name="tiny")
    request.inputs.add(name="x", datatype="FP32", shape=list(data.shape))
    request.outputs.add(name=OUTPUT)
    request.raw_input_contents.append(data.tobytes())
    message = request.SerializeToString()
    grpc_body = os.path.join(work, "grpc.bin")
    with open(grpc_body, "wb") as f:
        f.write(b"\x00" + struct.pack(">I", len(message)) + message)
    return http_body, len(header), grpc_body


def h2load(args):
    cmd = ["h2load", "-t1", "--warm-up-time=1", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"h2load failed: {out.stdout[-2000:]} {out.stderr[-2000:]}")
    text = out.stdout
    done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored",
                     text)
    status = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    rps = re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", text)
    lat = re.search(r"time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)", text)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    succeeded, failed = int(done.group(2)), int(done.group(3)) + int(done.group(4))
    assert failed == 0 and int(status.group(1)) == succeeded, text
    return {"qps": float(rps.group(1)), "requests": succeeded,
            "meanMs": float(lat.group(5)) * scale[lat.group(6)]}


def grpc_ok_count(http_port, method="ModelInfer"):
    text = urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics").read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith("paddle_protocol_requests_total") and f'method="{method}"' in line and 'code="ok"' in line:
            total += float(line.split()[-1])
    return int(total)


def inference_count(http_port):
    """Inference requests answered successfully, every protocol (`paddle_inference_success_total`)."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics").read().decode()
    return int(sum(float(line.split()[-1]) for line in text.splitlines()
                   if line.startswith("paddle_inference_success_total")))


def cpu_seconds(pid):
    """The process's user + system CPU time."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


OUTPUT = None


def main():
    global OUTPUT
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "grpc.json"))
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="paddle-grpc-bench-")
    proc, http_port, grpc_port = start(args.binary, work)
    try:
        import tritonclient.grpc as grpcclient
        import tritonclient.http as httpclient
        gclient = grpcclient.InferenceServerClient(f"127.0.0.1:{grpc_port}")
        meta = gclient.get_model_metadata("tiny")
        OUTPUT = meta.outputs[0].name
        data = np.random.default_rng(0).random((1, 16), dtype=np.float32)  # the tiny MLP takes [1, 16]
        g_in = grpcclient.InferInput("x", list(data.shape), "FP32")
        g_in.set_data_from_numpy(data)
        got_grpc = gclient.infer("tiny", [g_in]).as_numpy(OUTPUT)
        hclient = httpclient.InferenceServerClient(f"127.0.0.1:{http_port}")
        h_in = httpclient.InferInput("x", list(data.shape), "FP32")
        h_in.set_data_from_numpy(data, binary_data=True)
        got_http = hclient.infer("tiny", [h_in]).as_numpy(OUTPUT)
        assert np.array_equal(got_grpc, got_http), (got_grpc, got_http)
        http_body, header_length, grpc_body = bodies(work, data)
        duration = [f"-D{args.seconds:g}"]
        kinds = {
            "http": ["--h1", f"-c{CONCURRENCY}", "-m1", "-d", http_body,
                     "-H", f"Inference-Header-Content-Length: {header_length}",
                     "-H", "Content-Type: application/octet-stream",
                     f"http://127.0.0.1:{http_port}/v2/models/tiny/infer"],
            "http2": [f"-c{CONCURRENCY}", "-m1", "-d", http_body,
                      "-H", f"Inference-Header-Content-Length: {header_length}",
                      "-H", "Content-Type: application/octet-stream",
                      f"http://127.0.0.1:{http_port}/v2/models/tiny/infer"],
            "grpc": [f"-c{CONCURRENCY}", "-m1", "-d", grpc_body, "-H", "content-type: application/grpc",
                     "-H", "te: trailers", f"http://127.0.0.1:{grpc_port}/inference.GRPCInferenceService/ModelInfer"],
            "grpc-mux": ["-c1", f"-m{CONCURRENCY}", "-d", grpc_body, "-H", "content-type: application/grpc",
                         "-H", "te: trailers",
                         f"http://127.0.0.1:{grpc_port}/inference.GRPCInferenceService/ModelInfer"],
        }
        live_frame = os.path.join(work, "empty.bin")
        with open(live_frame, "wb") as f:
            f.write(b"\x00\x00\x00\x00\x00")  # a gRPC frame with an empty ServerLiveRequest
        kinds["grpc-live"] = [f"-c{CONCURRENCY}", "-m1", "-d", live_frame, "-H", "content-type: application/grpc",
                              "-H", "te: trailers",
                              f"http://127.0.0.1:{grpc_port}/inference.GRPCInferenceService/ServerLive"]
        kinds["http-live"] = ["--h1", f"-c{CONCURRENCY}", "-m1", f"http://127.0.0.1:{http_port}/v2/health/live"]
        for name, kind in kinds.items():  # warm-up
            h2load(["-D1", *kind])
        runs = {name: [] for name in kinds}
        load_before = os.getloadavg()
        for round_index in range(args.rounds):
            for name, kind in kinds.items():
                before = grpc_ok_count(http_port) if name.startswith("grpc") and "live" not in name else None
                # Answers the server counted (h2load's own count leaves its warm-up out; the CPU time does not).
                counter = {"grpc-live": lambda: grpc_ok_count(http_port, "ServerLive"),
                           "http-live": None}.get(name, lambda: inference_count(http_port))
                count_before, cpu_before = counter() if counter else 0, cpu_seconds(proc.pid)
                r = h2load([*duration, *kind])
                if counter:
                    r["serverCpuUsPerRequest"] = (cpu_seconds(proc.pid) - cpu_before) / (counter() - count_before) * 1e6
                if before is not None:
                    # h2load's warm-up requests are not in its count: the server's must be at least as many.
                    grown = grpc_ok_count(http_port) - before
                    assert grown >= r["requests"], f"{name}: {grown} OK gRPC answers for {r['requests']} requests"
                runs[name].append(r)
                cpu = f"  server CPU {r['serverCpuUsPerRequest']:.0f} us/request" if "serverCpuUsPerRequest" in r else ""
                print(f"round {round_index + 1} {name:9}: {r['qps']:9.1f} req/s  mean {r['meanMs']:.3f} ms{cpu}",
                      flush=True)
        load_after = os.getloadavg()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    assert code == 0, f"server exited with {code}"
    medians = {name: statistics.median(r["qps"] for r in rs) for name, rs in runs.items()}
    flags = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("flags"):
            flags = " ".join(f for f in line.split(":")[1].split() if f.startswith(("avx", "sse4", "fma", "amx")))
            break
    model = next((l.split(":")[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "cpuFlags": flags, "loadGenerator": subprocess.run(["h2load", "--version"], capture_output=True,
                                                           text=True).stdout.strip(),
        "concurrency": CONCURRENCY, "seconds": args.seconds, "rounds": args.rounds,
        "loadBefore": load_before, "loadAfter": load_after,
        "runs": runs, "medianQps": medians,
        "ratioGrpcToHttp": medians["grpc"] / medians["http"],
        "ratioGrpcMuxToHttp": medians["grpc-mux"] / medians["http"],
        "ratioGrpcLiveToHttp": medians["grpc-live"] / medians["http"],
        "medianServerCpuUsPerRequest": {name: statistics.median(r["serverCpuUsPerRequest"] for r in rs)
                                        for name, rs in runs.items() if "serverCpuUsPerRequest" in rs[0]},
        "ratioHttp2ToHttp": medians["http2"] / medians["http"],
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: result[k] for k in ("date", "medianQps", "ratioGrpcToHttp", "ratioGrpcMuxToHttp",
                                          "ratioGrpcLiveToHttp", "ratioHttp2ToHttp",
                                          "medianServerCpuUsPerRequest")}, indent=1))


if __name__ == "__main__":
    main()
