"""Fixtures of the tritonclient[grpc] conformance suite (see grpc_support.py)."""
import os
import tempfile

import pytest

from grpc_support import TOKEN, Server, make_repository


@pytest.fixture(scope="session")
def server():
    running = Server(make_repository())
    yield running
    code = running.stop()
    assert code == 0, f"server exited with {code} after SIGTERM; see {running.log_path}"


@pytest.fixture()
def client(server):
    import tritonclient.grpc as grpcclient
    c = grpcclient.InferenceServerClient(server.url)
    yield c
    c.close()


@pytest.fixture(scope="session")
def token_server():
    """A server whose repository RPCs need a bearer token (only the classifier, so loads are quick)."""
    token_file = os.path.join(tempfile.mkdtemp(prefix="paddle-grpc-token-"), "token")
    with open(token_file, "w") as f:
        f.write(TOKEN + "\n")
    running = Server(make_repository(extra=False), args=["--repository-token-file", token_file])
    yield running
    code = running.stop()
    assert code == 0, f"server exited with {code} after SIGTERM; see {running.log_path}"
