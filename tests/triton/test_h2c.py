"""h2c: the HTTP port also speaks HTTP/2 with prior knowledge (`curl --http2-prior-knowledge`), for every route,
and HTTP/1.1 keeps working on the same port. Debian's curl is built with nghttp2."""
import json
import shutil
import subprocess

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def _curl(args):
    """Runs curl and returns (HTTP version, status, body)."""
    done = subprocess.run(
        ["curl", "-sS", "--max-time", "60", "-o", "-", "-w", "\n%{http_version} %{http_code}"] + args,
        capture_output=True, check=True)
    body, _, tail = done.stdout.rpartition(b"\n")
    version, status = tail.decode().split()
    return version, int(status), body


def _infer_body():
    data = np.random.default_rng(3).random((1, 3, 48, 192), dtype=np.float32)
    return json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": list(data.shape),
                                   "data": data.ravel().tolist()}]}).encode()


@pytest.mark.parametrize("protocol", [["--http2-prior-knowledge"], ["--http1.1"]], ids=["h2c", "http1.1"])
def test_every_route_class_answers(server, tmp_path, protocol):
    expected_version = "2" if protocol == ["--http2-prior-knowledge"] else "1.1"
    for path, status in [("/v2/health/ready", 200), ("/v2", 200), ("/v2/models/cls", 200),
                         ("/v2/models/cls/config", 200), ("/v2/models/nope", 404)]:
        version, code, _ = _curl(protocol + [f"http://{server}{path}"])
        assert (version, code) == (expected_version, status), path
    version, code, body = _curl(protocol + [f"http://{server}/metrics"])
    assert (version, code) == (expected_version, 200)
    assert b"# TYPE process_resident_memory_bytes gauge" in body
    request = tmp_path / "infer.json"
    request.write_bytes(_infer_body())
    version, code, body = _curl(protocol + ["-H", "Content-Type: application/json", "--data-binary", f"@{request}",
                                            f"http://{server}/v2/models/cls/versions/1/infer"])
    assert (version, code) == (expected_version, 200), body
    reply = json.loads(body)
    probabilities = reply["outputs"][0]["data"]
    assert reply["model_name"] == "cls" and len(probabilities) == 2
    assert abs(sum(probabilities) - 1) < 1e-4
    version, code, body = _curl(protocol + ["--data-binary", "{", f"http://{server}/v2/models/cls/infer"])
    assert (version, code) == (expected_version, 400) and b"error" in body


def test_h2c_and_http1_give_the_same_binary_answer(server, tmp_path):
    data = np.random.default_rng(4).random((2, 3, 48, 192), dtype=np.float32)
    header = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": list(data.shape),
                                     "parameters": {"binary_data_size": data.nbytes}}],
                         "parameters": {"binary_data_output": True}}).encode()
    request = tmp_path / "infer.bin"
    request.write_bytes(header + data.tobytes())
    answers = []
    for protocol in (["--http2-prior-knowledge"], ["--http1.1"]):
        version, code, body = _curl(protocol + [
            "-H", f"Inference-Header-Content-Length: {len(header)}", "-H", "Content-Type: application/octet-stream",
            "--data-binary", f"@{request}", f"http://{server}/v2/models/cls/infer"])
        assert code == 200, body
        answers.append(body)
    assert answers[0] == answers[1]
    assert len(answers[0]) > 2 * 2 * 4


def _pipelined(server, chunks, count):
    """Sends `chunks` on one HTTP/1.1 connection, each in its own write, and reads `count` responses."""
    import socket
    host, port = server.rsplit(":", 1)
    replies = []
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        for chunk in chunks:
            sock.sendall(chunk)
        data = b""
        while len(replies) < count:
            head_end = data.find(b"\r\n\r\n")
            if head_end >= 0:
                head = data[:head_end].decode()
                length = 0
                for line in head.split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if len(data) >= head_end + 4 + length:
                    replies.append((int(head.split()[1]), data[head_end + 4:head_end + 4 + length]))
                    data = data[head_end + 4 + length:]
                    continue
            more = sock.recv(65536)
            assert more, "the server closed the connection with %d of %d responses" % (len(replies), count)
            data += more
    return replies


def _pipelined_requests():
    body = _infer_body()
    infer = (b"POST /v2/models/cls/infer HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
             b"Content-Length: %d\r\n\r\n" % len(body)) + body
    return (infer + b"GET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n"
            + b"POST /v2/models/nope/infer HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}" + infer)


@pytest.mark.parametrize("split", ["one write", "byte by byte", "first byte alone"])
def test_pipelined_http1_next_to_h2c_answers_in_order(server, split):
    """The h2c detector reads a connection's first bytes before choosing HTTP/1.1; pipelined requests that arrive
    with them, or while it decides, all reach the HTTP/1.1 codec in order."""
    payload = _pipelined_requests()
    if split == "one write":
        chunks = [payload]
    elif split == "byte by byte":
        head = payload[:64]
        chunks = [head[i:i + 1] for i in range(len(head))] + [payload[64:]]
    else:
        chunks = [payload[:1], payload[1:]]
    replies = _pipelined(server, chunks, 4)
    assert [status for status, _ in replies] == [200, 200, 404, 200]
    assert json.loads(replies[0][1])["model_name"] == "cls"
    assert replies[0][1] == replies[3][1]
