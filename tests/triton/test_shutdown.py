"""Graceful shutdown: on SIGTERM readiness goes false at once, in-flight requests finish, the process exits 0."""
import os
import signal
import time

import gevent
import numpy as np
import tritonclient.http as httpclient

from conftest import ROOT
from paddle_server import PaddleServer

DETECTOR = os.path.join(ROOT, ".paddle", "models", "ppocrv4", "ch_PP-OCRv4_det_infer")


def test_sigterm_drains_in_flight_requests(tmp_path):
    server = PaddleServer(["--model", DETECTOR, "--model-name", "det", "--drain-timeout", "60"],
                          str(tmp_path / "server.log"), ready_timeout=120)
    proc, url = server.proc, server.url
    client = httpclient.InferenceServerClient(url, network_timeout=120)
    try:
        data = np.random.default_rng(0).random((1, 3, 1280, 1280), dtype=np.float32)
        tensor = httpclient.InferInput("x", list(data.shape), "FP32")
        tensor.set_data_from_numpy(data)
        output = client.get_model_metadata("det")["outputs"][0]["name"]
        pending = client.async_infer("det", [tensor])
        gevent.sleep(0.3)  # the request is being uploaded or running
        proc.send_signal(signal.SIGTERM)
        # Readiness must drop at once (a refused connection also means not ready).
        probe = httpclient.InferenceServerClient(url, network_timeout=5)
        deadline = time.monotonic() + 2
        ready = True
        while time.monotonic() < deadline:
            try:
                ready = probe.is_server_ready()
            except Exception:
                ready = False
            if not ready:
                break
            gevent.sleep(0.05)
        assert not ready
        result = pending.get_result(timeout=120)
        assert result.as_numpy(output).shape[0] == 1
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        server.log.close()
