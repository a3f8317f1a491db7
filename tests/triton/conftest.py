"""Starts `paddle-swift serve` on a free loopback port for the tritonclient conformance suite.

Needs the binary built (`swift build --product paddle-swift`) and the models from scripts/setup.sh.
Set PADDLE_SWIFT_BIN to use another binary.
"""
import os
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from paddle_server import ROOT, PaddleServer, free_port  # noqa: E402

CLASSIFIER = os.path.join(ROOT, ".paddle", "models", "ppocrv4", "ch_ppocr_mobile_v2_cls_infer")


FIXTURES = os.environ.get("PADDLE_SWIFT_FIXTURES", os.path.join(ROOT, ".fixtures"))
# The generated one-op models of scripts/oracle/make_fixtures.py, one per engine dtype (when present).
DTYPE_MODELS = sorted(
    name for name in (os.listdir(os.path.join(FIXTURES, "models")) if os.path.isdir(os.path.join(FIXTURES, "models")) else [])
    if name.startswith("dtype_") and name.endswith("_pdmodel"))
_free_port = free_port


@pytest.fixture(scope="session")
def server():
    repo = tempfile.mkdtemp(prefix="paddle-triton-")
    os.makedirs(os.path.join(repo, "cls"))
    os.symlink(CLASSIFIER, os.path.join(repo, "cls", "1"))
    os.symlink(CLASSIFIER, os.path.join(repo, "cls", "2"))
    with open(os.path.join(repo, "cls", "config.yaml"), "w") as f:
        f.write("pool_size: 2\nmax_batch_size: 8\n")
    for name in DTYPE_MODELS:
        os.makedirs(os.path.join(repo, name))
        os.symlink(os.path.join(FIXTURES, "models", name), os.path.join(repo, name, "1"))
    # The versions are links to the installed models: trust those folders (other links are refused).
    running = PaddleServer(
        ["--model-repository", repo, "--drain-timeout", "10",
         "--trusted-root", os.path.dirname(CLASSIFIER), "--trusted-root", os.path.join(FIXTURES, "models")],
        os.path.join(repo, "server.log"), ready_timeout=120)
    yield running.url
    code = running.stop(timeout=30)
    assert code == 0, f"server exited with {code} after SIGTERM; see {running.log_path}"


@pytest.fixture()
def client(server):
    import tritonclient.http as httpclient
    c = httpclient.InferenceServerClient(server, concurrency=8)
    yield c
    c.close()
