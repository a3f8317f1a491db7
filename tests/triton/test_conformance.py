"""The server driven by the real tritonclient[http] package (KServe v2 + Triton extensions)."""
import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

MODEL = "cls"
INPUT = "x"
OUTPUT = "softmax_0.tmp_0"


def _input(batch=1, binary=True, seed=0):
    data = np.random.default_rng(seed).random((batch, 3, 48, 192), dtype=np.float32) - 0.5
    tensor = httpclient.InferInput(INPUT, list(data.shape), "FP32")
    tensor.set_data_from_numpy(data, binary_data=binary)
    return tensor, data


def _reference(client, data):
    tensor = httpclient.InferInput(INPUT, list(data.shape), "FP32")
    tensor.set_data_from_numpy(data, binary_data=True)
    return client.infer(MODEL, [tensor]).as_numpy(OUTPUT)


def test_health(client):
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready(MODEL)
    assert client.is_model_ready(MODEL, model_version="1")
    assert not client.is_model_ready("no_such_model")


def test_server_metadata(client):
    meta = client.get_server_metadata()
    assert meta["name"] == "paddle-swift"
    assert "binary_tensor_data" in meta["extensions"]


def test_model_metadata_and_config(client):
    meta = client.get_model_metadata(MODEL)
    assert meta["name"] == MODEL
    assert sorted(meta["versions"]) == ["1", "2"]
    assert meta["inputs"][0] == {"name": INPUT, "datatype": "FP32", "shape": [-1, 3, -1, -1]}
    assert meta["outputs"][0]["name"] == OUTPUT
    config = client.get_model_config(MODEL)
    assert config["max_batch_size"] == 8
    assert config["input"][0]["data_type"] == "TYPE_FP32"


@pytest.mark.parametrize("binary_in,binary_out", [(True, True), (False, False), (True, False), (False, True)])
def test_infer_modes(client, binary_in, binary_out):
    tensor, data = _input(batch=2, binary=binary_in, seed=1)
    outputs = [httpclient.InferRequestedOutput(OUTPUT, binary_data=binary_out)]
    result = client.infer(MODEL, [tensor], outputs=outputs, request_id="abc")
    probs = result.as_numpy(OUTPUT)
    assert probs.shape == (2, 2)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert result.get_response()["id"] == "abc"
    np.testing.assert_allclose(probs, _reference(client, data), atol=1e-5)


def test_infer_no_outputs_requested(client):
    tensor, _ = _input()
    result = client.infer(MODEL, [tensor])
    assert result.as_numpy(OUTPUT).shape == (1, 2)


def test_infer_versioned_url(client):
    tensor, _ = _input()
    result = client.infer(MODEL, [tensor], model_version="2")
    assert result.get_response()["model_version"] == "2"


def test_unknown_model_is_404(client):
    tensor, _ = _input()
    with pytest.raises(InferenceServerException) as info:
        client.infer("no_such_model", [tensor])
    assert info.value.status() == "404"


def test_bad_shape_is_400(client):
    data = np.zeros((1, 2, 48, 192), dtype=np.float32)
    tensor = httpclient.InferInput(INPUT, list(data.shape), "FP32")
    tensor.set_data_from_numpy(data)
    with pytest.raises(InferenceServerException) as info:
        client.infer(MODEL, [tensor])
    assert info.value.status() == "400"
    assert "expects shape" in info.value.message()


def test_wrong_dtype_is_400(client):
    data = np.zeros((1, 3, 48, 192), dtype=np.int32)
    tensor = httpclient.InferInput(INPUT, list(data.shape), "INT32")
    tensor.set_data_from_numpy(data)
    with pytest.raises(InferenceServerException) as info:
        client.infer(MODEL, [tensor])
    assert info.value.status() == "400"


def test_concurrent_async_infer(client):
    inputs = [_input(seed=i) for i in range(16)]
    pending = [client.async_infer(MODEL, [tensor]) for tensor, _ in inputs]
    for (tensor, data), request in zip(inputs, pending):
        result = request.get_result(timeout=60)
        assert result.as_numpy(OUTPUT).shape == (1, 2)


def test_statistics(client):
    tensor, _ = _input()
    client.infer(MODEL, [tensor], model_version="1")
    stats = client.get_inference_statistics(MODEL, model_version="1")
    entry = stats["model_stats"][0]
    assert entry["name"] == MODEL and entry["version"] == "1"
    assert int(entry["inference_stats"]["success"]["count"]) >= 1
    all_stats = client.get_inference_statistics()
    assert {(e["name"], e["version"]) for e in all_stats["model_stats"]} >= {(MODEL, "1"), (MODEL, "2")}


def test_repository_index(client):
    index = client.get_model_repository_index()
    assert {(e["name"], e["version"], e["state"]) for e in index} >= {(MODEL, "1", "READY"), (MODEL, "2", "READY")}


def test_compressed_request_and_response(client):
    tensor, _ = _input()
    result = client.infer(MODEL, [tensor], request_compression_algorithm="gzip", response_compression_algorithm="gzip")
    assert result.as_numpy(OUTPUT).shape == (1, 2)
    result = client.infer(MODEL, [tensor], request_compression_algorithm="deflate", response_compression_algorithm="deflate")
    assert result.as_numpy(OUTPUT).shape == (1, 2)
