"""Starts `paddle-swift serve` with its gRPC port for the tritonclient[grpc] conformance suite.

Reuses the HTTP suite's layout (tests/triton/conftest.py: the classifier under two versions, the generated dtype
models) and adds the models that exercise A/B routing, rate limits and dynamic batching. Needs the binary built
(`swift build --product paddle-swift`) and the models from scripts/setup.sh; PADDLE_SWIFT_BIN picks another binary.
"""
import importlib.util
import os
import sys
import socket
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from paddle_server import PaddleServer  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "triton_http_conftest", os.path.join(os.path.dirname(__file__), "..", "triton", "conftest.py"))
http = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(http)

ROOT = http.ROOT
CLASSIFIER = http.CLASSIFIER
FIXTURES = http.FIXTURES
DTYPE_MODELS = http.DTYPE_MODELS

MODEL = "cls"
INPUT = "x"
OUTPUT = "softmax_0.tmp_0"
# The repository API token of the token server (conftest.token_server).
TOKEN = "grpc-suite-token"


def _link_versions(repo, name, versions, config=None):
    os.makedirs(os.path.join(repo, name))
    for version in versions:
        os.symlink(CLASSIFIER, os.path.join(repo, name, str(version)))
    if config:
        with open(os.path.join(repo, name, "config.yaml"), "w") as f:
            f.write(config)


def make_repository(extra=True):
    """A repository folder like tests/triton's, plus (with `extra`) the routing, rate-limit and batching models."""
    repo = tempfile.mkdtemp(prefix="paddle-triton-grpc-")
    _link_versions(repo, MODEL, [1, 2], "pool_size: 2\nmax_batch_size: 8\n")
    if extra:
        _link_versions(repo, "ab", [1, 2], "max_batch_size: 8\nrouting:\n  weights: { 1: 100 }\n")
        _link_versions(repo, "sticky", [1, 2],
                       "max_batch_size: 8\nrouting:\n  weights: { 1: 50, 2: 50 }\n  sticky_header: x-user-id\n")
        _link_versions(repo, "limited", [1], "max_batch_size: 8\nrate_limit:\n  requests_per_second: 0.001\n  burst: 1\n")
        _link_versions(repo, "batched", [1],
                       "max_batch_size: 8\ndynamic_batching:\n  preferred_batch_sizes: [8]\n  max_queue_delay_us: 100000\n")
        for name in DTYPE_MODELS:
            os.makedirs(os.path.join(repo, name))
            os.symlink(os.path.join(FIXTURES, "models", name), os.path.join(repo, name, "1"))
    return repo


class Server(PaddleServer):
    """A running `paddle-swift serve` with HTTP and gRPC ports over `repo`; `url` is the gRPC address."""

    def __init__(self, repo, args=()):
        self.repo = repo
        super().__init__(
            ["--model-repository", repo, "--drain-timeout", "10",
             "--trusted-root", os.path.dirname(CLASSIFIER), "--trusted-root", os.path.join(FIXTURES, "models"), *args],
            os.path.join(repo, "server.log"), grpc=True, ready_timeout=120)
        self.http_url = self.url
        self.url = self.grpc_url
        # Ready over HTTP; the gRPC port is bound at start-up, before the models load, but check it.
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.grpc_port), timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gRPC port {self.grpc_port} not accepting; see {self.log_path}")
                time.sleep(0.1)

    def stop(self):
        """SIGTERM, then the exit code (0 after a clean drain)."""
        return super().stop(timeout=30)
