"""Starts `paddle-swift serve` on a free loopback port for the tritonclient conformance suite.

Needs the binary built (`swift build --product paddle-swift`) and the models from scripts/setup.sh.
Set PADDLE_SWIFT_BIN to use another binary.
"""
import os
import signal
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLASSIFIER = os.path.join(ROOT, ".paddle", "models", "ppocrv4", "ch_ppocr_mobile_v2_cls_infer")


FIXTURES = os.environ.get("PADDLE_SWIFT_FIXTURES", os.path.join(ROOT, ".fixtures"))
# The generated one-op models of scripts/oracle/make_fixtures.py, one per engine dtype (when present).
DTYPE_MODELS = sorted(
    name for name in (os.listdir(os.path.join(FIXTURES, "models")) if os.path.isdir(os.path.join(FIXTURES, "models")) else [])
    if name.startswith("dtype_") and name.endswith("_pdmodel"))


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    binary = os.environ.get("PADDLE_SWIFT_BIN", os.path.join(ROOT, ".build", "debug", "paddle-swift"))
    repo = tempfile.mkdtemp(prefix="paddle-triton-")
    os.makedirs(os.path.join(repo, "cls"))
    os.symlink(CLASSIFIER, os.path.join(repo, "cls", "1"))
    os.symlink(CLASSIFIER, os.path.join(repo, "cls", "2"))
    with open(os.path.join(repo, "cls", "config.yaml"), "w") as f:
        f.write("pool_size: 2\nmax_batch_size: 8\n")
    for name in DTYPE_MODELS:
        os.makedirs(os.path.join(repo, name))
        os.symlink(os.path.join(FIXTURES, "models", name), os.path.join(repo, name, "1"))
    port = _free_port()
    log = open(os.path.join(repo, "server.log"), "w")
    proc = subprocess.Popen(
        [binary, "serve", "--model-repository", repo, "--port", str(port), "--grpc-port", "0", "--drain-timeout", "10",
         # The versions are links to the installed models: trust those folders (other links are refused).
         "--trusted-root", os.path.dirname(CLASSIFIER), "--trusted-root", os.path.join(FIXTURES, "models")],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"127.0.0.1:{port}"
    import tritonclient.http as httpclient
    client = httpclient.InferenceServerClient(url)
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {log.name}")
        try:
            if client.is_server_ready():
                break
        except Exception:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"server not ready after 120 s; see {log.name}")
        time.sleep(0.2)
    client.close()
    yield url
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    log.close()
    assert code == 0, f"server exited with {code} after SIGTERM; see {log.name}"


@pytest.fixture()
def client(server):
    import tritonclient.http as httpclient
    c = httpclient.InferenceServerClient(server, concurrency=8)
    yield c
    c.close()
