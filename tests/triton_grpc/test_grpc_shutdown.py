"""Graceful shutdown over gRPC: on SIGTERM readiness goes false, an in-flight ModelInfer finishes, the process exits 0."""
import os
import queue
import tempfile
import time

import numpy as np
import tritonclient.grpc as grpcclient

from grpc_support import CLASSIFIER, Server

DETECTOR = os.path.join(os.path.dirname(CLASSIFIER), "ch_PP-OCRv4_det_infer")


def test_sigterm_drains_in_flight_grpc_requests():
    repo = tempfile.mkdtemp(prefix="paddle-grpc-drain-")
    os.makedirs(os.path.join(repo, "det"))
    os.symlink(DETECTOR, os.path.join(repo, "det", "1"))
    server = Server(repo, args=["--drain-timeout", "60"])
    try:
        client = grpcclient.InferenceServerClient(server.url)
        data = np.random.default_rng(0).random((1, 3, 1280, 1280), dtype=np.float32)
        tensor = grpcclient.InferInput("x", list(data.shape), "FP32")
        tensor.set_data_from_numpy(data)
        output = client.get_model_metadata("det").outputs[0].name
        done = queue.Queue()
        client.async_infer("det", [tensor], lambda result, error: done.put((result, error)))
        time.sleep(0.3)  # the request is being uploaded or running
        server.proc.send_signal(15)
        # Readiness must drop at once (a refused call also means not ready).
        probe = grpcclient.InferenceServerClient(server.url)
        deadline = time.monotonic() + 2
        ready = True
        while time.monotonic() < deadline:
            try:
                ready = probe.is_server_ready()
            except Exception:
                ready = False
            if not ready:
                break
            time.sleep(0.05)
        assert not ready
        result, error = done.get(timeout=120)
        assert error is None, error
        assert result.as_numpy(output).shape[0] == 1
        assert server.proc.wait(timeout=60) == 0
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
        server.log.close()
