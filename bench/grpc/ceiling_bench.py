"""The ceiling of any ModelInfer fast path on the gRPC port (issue 16's QPS target).

bench/grpc/ceiling.patch (apply to an experimental checkout, never to main) adds a stream-channel handler ahead of
grpc-swift's, through grpc-swift-nio-transport's `onAcceptHTTP2Stream` hook, that answers every ModelInfer stream at
once with an empty message and grpc-status 0: no decoding, no engine, no encoding. What remains is the HTTP/2
stream (NIO's child channel per stream, HPACK, three frames out) and grpc-swift's per-stream task. This script
serves the tiny model with such a build and loads, interleaved, the HTTP/1.1 binary infer point of grpc_bench.py and
ModelInfer (32 connections, h2load, 6 s, 3 rounds), printing QPS and the server's CPU time per request (h2load's
count plus its 1 s warm-up, so approximate).

    git apply bench/grpc/ceiling.patch && bash bench/build-swift.sh && git apply -R bench/grpc/ceiling.patch
    .venv-client-tests/bin/python bench/grpc/ceiling_bench.py .build-release/x86_64-unknown-linux-gnu/release/paddle-swift
"""
import sys, os, tempfile, signal, statistics
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grpc_bench as gb
import numpy as np
binary = sys.argv[1]
work = tempfile.mkdtemp()
proc, http_port, grpc_port = gb.start(binary, work)
try:
    import json, urllib.request
    meta = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v2/models/tiny").read())
    gb.OUTPUT = meta["outputs"][0]["name"]
    data = np.random.default_rng(0).random((1, 16), dtype=np.float32)
    http_body, header_length, grpc_body = gb.bodies(work, data)
    kinds = {
        "http": ["--h1", "-c32", "-m1", "-d", http_body, "-H", f"Inference-Header-Content-Length: {header_length}",
                 "-H", "Content-Type: application/octet-stream", f"http://127.0.0.1:{http_port}/v2/models/tiny/infer"],
        "grpc-ceiling": ["-c32", "-m1", "-d", grpc_body, "-H", "content-type: application/grpc", "-H", "te: trailers",
                         f"http://127.0.0.1:{grpc_port}/inference.GRPCInferenceService/ModelInfer"],
    }
    for k in kinds.values(): gb.h2load(["-D1", *k])
    res = {k: [] for k in kinds}
    for r in range(3):
        for name, k in kinds.items():
            c0 = gb.cpu_seconds(proc.pid)
            x = gb.h2load(["-D6", *k])
            cpu = (gb.cpu_seconds(proc.pid) - c0) / (x["requests"] * 7 / 6) * 1e6
            res[name].append((x["qps"], cpu))
            print(f"round {r+1} {name}: {x['qps']:.0f} req/s, ~{cpu:.0f} us CPU/request", flush=True)
    for name, v in res.items():
        print(name, "median qps", statistics.median(q for q, _ in v), "cpu", statistics.median(c for _, c in v))
finally:
    proc.send_signal(signal.SIGTERM); proc.wait()
