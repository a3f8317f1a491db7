"""ModelMetadata of an on-demand model that is listed but not loaded: answered from its program files, the same as
HTTP's and as after its load, and without loading it (issue 15)."""
import json
import os
import urllib.request

import numpy as np
import pytest
import tritonclient.grpc as grpcclient

from grpc_support import CLASSIFIER, INPUT, OUTPUT, Server

LAZY = "lazy"


@pytest.fixture(scope="module")
def lazy_server(tmp_path_factory):
    repo = str(tmp_path_factory.mktemp("paddle-grpc-on-demand"))
    os.makedirs(os.path.join(repo, LAZY))
    os.symlink(CLASSIFIER, os.path.join(repo, LAZY, "1"))
    with open(os.path.join(repo, LAZY, "config.yaml"), "w") as f:
        f.write("load: on_demand\n")
    running = Server(repo)
    yield running
    code = running.stop()
    assert code == 0, f"server exited with {code} after SIGTERM; see {running.log_path}"


def tensors(metadata):
    return [(t.name, t.datatype, list(t.shape)) for t in metadata]


def test_metadata_before_load_from_files_equals_http_and_after_load(lazy_server):
    client = grpcclient.InferenceServerClient(lazy_server.url)
    try:
        before = client.get_model_metadata(LAZY)
        assert not client.is_model_ready(LAZY)
        rows = {(m.name, m.state, m.reason) for m in client.get_model_repository_index().models}
        assert rows == {(LAZY, "UNAVAILABLE", "not loaded")}
        assert before.name == LAZY and list(before.versions) == ["1"] and before.platform == "paddle_inference"
        assert tensors(before.inputs) == [(INPUT, "FP32", [-1, 3, -1, -1])]
        assert tensors(before.outputs) == [(OUTPUT, "FP32", [-1, 2])]
        assert client.get_model_metadata(LAZY, model_version="1") == before

        with urllib.request.urlopen(f"http://{lazy_server.http_url}/v2/models/{LAZY}", timeout=30) as response:
            http = json.load(response)
        assert http["versions"] == list(before.versions)
        assert [(t["name"], t["datatype"], t["shape"]) for t in http["inputs"]] == tensors(before.inputs)
        assert [(t["name"], t["datatype"], t["shape"]) for t in http["outputs"]] == tensors(before.outputs)
        assert not client.is_model_ready(LAZY)

        data = np.zeros((1, 3, 48, 192), dtype=np.float32)
        tensor = grpcclient.InferInput(INPUT, list(data.shape), "FP32")
        tensor.set_data_from_numpy(data)
        assert client.infer(LAZY, [tensor]).as_numpy(OUTPUT).shape == (1, 2)
        assert client.is_model_ready(LAZY)
        assert client.get_model_metadata(LAZY) == before
    finally:
        client.close()
