"""Runs every `curl` line of README.md, as written, against a live `paddle-swift serve`.

The server is laid out as the README's worked A/B example (model `cls` with versions 2 and 3, 70/30 weights, a sticky
header, the token `s3cret`) and serves /v1/ocr. Each command runs in a folder that holds the files the README names:
`request.json` (a KServe request for `cls`) and `label.jpg` (a receipt from ../shared/ocr that has one 12-digit line).
A command must exit 0 and print exactly one JSON document without an "error" (curl's URL globbing, for one, turns
an unquoted `[0-9]{12}` into ten requests and ten documents).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from paddle_server import ROOT, PaddleServer  # noqa: E402

README = os.path.join(ROOT, "README.md")
SHARED_OCR = os.environ.get("PADDLE_SWIFT_SHARED_OCR", os.path.join(ROOT, "..", "shared", "ocr"))
CLASSIFIER = os.path.join(ROOT, ".paddle", "models", "ppocrv4", "ch_ppocr_mobile_v2_cls_infer")
LABEL = os.path.join(SHARED_OCR, "images", "00111002.jpg")


def readme_curl_commands():
    """Every curl command of README.md: lines of code blocks and inline code spans that start with `curl `."""
    commands, in_block = [], False
    for line in open(README, encoding="utf-8").read().splitlines():
        if line.startswith("```"):
            in_block = not in_block
            continue
        if in_block and line.lstrip().startswith("curl "):
            commands.append(line.strip())
        elif not in_block:
            commands += re.findall(r"`(curl [^`]+)`", line)
    return commands


def test_readme_has_curl_examples():
    commands = readme_curl_commands()
    assert len(commands) >= 4, commands
    assert any("/v1/ocr" in c for c in commands)


@pytest.fixture(scope="module")
def server():
    if not os.path.isfile(LABEL):
        if os.environ.get("PADDLE_SWIFT_SKIP_SHARED") == "1":
            pytest.skip(f"PADDLE_SWIFT_SKIP_SHARED=1 and {LABEL} is missing")
        pytest.fail(f"{LABEL} is missing: the shared OCR data must sit beside the checkout (../shared/ocr)")
    work = tempfile.mkdtemp(prefix="paddle-readme-")
    repo = os.path.join(work, "models")
    for version in ("2", "3"):
        os.makedirs(os.path.join(repo, "cls", version))
        for name in ("inference.pdmodel", "inference.pdiparams"):
            shutil.copy(os.path.join(CLASSIFIER, name), os.path.join(repo, "cls", version, name))
    with open(os.path.join(repo, "cls", "config.yaml"), "w") as f:
        f.write("routing:\n  weights: { 2: 70, 3: 30 }\n  sticky_header: x-user-id\n")
    with open(os.path.join(work, "request.json"), "w") as f:
        json.dump({"inputs": [{"name": "x", "shape": [1, 3, 48, 192], "datatype": "FP32",
                               "data": [0.5] * (3 * 48 * 192)}]}, f)
    os.symlink(LABEL, os.path.join(work, "label.jpg"))
    # Loading four models on a slow CPU: readiness is polled, so a fast machine waits less.
    running = PaddleServer(["--model-repository", repo], os.path.join(work, "server.log"),
                           env={"PADDLE_SERVING_TOKEN": "s3cret"}, ready_timeout=300)
    port = running.http_port
    yield work, port
    assert running.stop() == 0, f"server did not exit cleanly; see {running.log_path}"
    shutil.rmtree(work, ignore_errors=True)


@pytest.mark.parametrize("command", readme_curl_commands())
def test_readme_curl_line_works_as_written(server, command):
    work, port = server
    runnable = re.sub(r"localhost:\d+", f"localhost:{port}", command)
    done = subprocess.run(["bash", "-c", runnable], cwd=work, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command}\n{done.stderr}"
    try:
        body = json.loads(done.stdout)
    except json.JSONDecodeError as error:
        raise AssertionError(f"{command} printed something other than one JSON document: {error}\n"
                             f"{done.stdout[:500]}") from error
    assert not (isinstance(body, dict) and "error" in body), f"{command}: {body}"
    if "/v1/ocr" in command:
        texts = [line["text"] for line in body["results"]]
        pattern = re.search(r"filter=([^' ]+)", command)
        if pattern:
            assert texts, f"{command}: the filter kept no line"
            assert all(re.fullmatch(pattern.group(1).strip("^$"), t) for t in texts), texts
        assert "120214020408" in texts, texts
    if "/v1/waybill" in command:
        # label.jpg is a receipt, not a waybill: every key is there, the lines read, the fields may be null.
        assert {"waybill_number", "receiver", "sender", "lines", "timings"} <= body.keys(), body
        assert "120214020408" in [line["text"] for line in body["lines"]], body["lines"]
    if "/repository/index" in command:
        assert {(m["name"], m["version"]) for m in body} >= {("cls", "2"), ("cls", "3")}, body
    if "/v2/models/cls/infer" in command:
        assert body["model_version"] in ("2", "3"), body
        if "x-model-version: 2" in command:
            assert body["model_version"] == "2"
