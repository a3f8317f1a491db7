"""The gRPC service driven by the real tritonclient[grpc] package: the checks of tests/triton over gRPC."""
import queue
import threading

import grpc
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

from grpc_support import INPUT, MODEL, OUTPUT


def _data(batch=1, seed=0):
    return np.random.default_rng(seed).random((batch, 3, 48, 192), dtype=np.float32) - 0.5


def _input(data, typed=False):
    tensor = grpcclient.InferInput(INPUT, list(data.shape), "FP32")
    if typed:
        tensor._get_tensor().contents.fp32_contents.extend(data.flatten().tolist())
    else:
        tensor.set_data_from_numpy(data)
    return tensor


def _status(info):
    return info.value.status()


def test_health(client):
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready(MODEL)
    assert client.is_model_ready(MODEL, model_version="1")
    assert not client.is_model_ready(MODEL, model_version="9")
    assert not client.is_model_ready("no_such_model")


def test_server_metadata(client):
    meta = client.get_server_metadata()
    assert meta.name == "paddle-swift"
    assert "model_repository" in meta.extensions


def test_model_metadata_and_config(client):
    meta = client.get_model_metadata(MODEL)
    assert meta.name == MODEL
    assert sorted(meta.versions) == ["1", "2"]
    assert (meta.inputs[0].name, meta.inputs[0].datatype, list(meta.inputs[0].shape)) == (INPUT, "FP32", [-1, 3, -1, -1])
    assert meta.outputs[0].name == OUTPUT
    assert client.get_model_metadata(MODEL, model_version="2").versions == ["2"]
    config = client.get_model_config(MODEL).config
    assert config.name == MODEL and config.max_batch_size == 8
    assert config.input[0].name == INPUT and config.input[0].data_type == 11  # TYPE_FP32
    # As Triton: without the batch dimension when max_batch_size > 0.
    assert list(config.input[0].dims) == [3, -1, -1]
    assert config.instance_group[0].count == 2


@pytest.mark.parametrize("typed", [False, True], ids=["raw", "typed"])
def test_infer_raw_and_typed_contents(client, typed):
    data = _data(batch=2, seed=1)
    result = client.infer(MODEL, [_input(data, typed)], outputs=[grpcclient.InferRequestedOutput(OUTPUT)],
                          request_id="abc")
    probs = result.as_numpy(OUTPUT)
    assert probs.shape == (2, 2)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    response = result.get_response()
    assert response.id == "abc" and response.model_name == MODEL
    assert len(response.raw_output_contents) == 1
    reference = client.infer(MODEL, [_input(data)]).as_numpy(OUTPUT)
    np.testing.assert_allclose(probs, reference, atol=1e-5)


def test_same_answer_as_http(server, client):
    import tritonclient.http as httpclient
    data = _data(seed=7)
    http = httpclient.InferenceServerClient(f"127.0.0.1:{server.http_port}")
    try:
        tensor = httpclient.InferInput(INPUT, list(data.shape), "FP32")
        tensor.set_data_from_numpy(data)
        expected = http.infer(MODEL, [tensor]).as_numpy(OUTPUT)
    finally:
        http.close()
    np.testing.assert_array_equal(client.infer(MODEL, [_input(data)]).as_numpy(OUTPUT), expected)


def test_infer_versions(client):
    data = _data()
    assert client.infer(MODEL, [_input(data)], model_version="1").get_response().model_version == "1"
    assert client.infer(MODEL, [_input(data)], model_version="2").get_response().model_version == "2"
    # Unpinned: the highest ready version; x-model-version metadata pins like the HTTP header.
    assert client.infer(MODEL, [_input(data)]).get_response().model_version == "2"
    pinned = client.infer(MODEL, [_input(data)], headers={"x-model-version": "1"})
    assert pinned.get_response().model_version == "1"


def test_ab_weights_and_sticky_key(client):
    data = _data()
    for _ in range(5):
        assert client.infer("ab", [_input(data)]).get_response().model_version == "1"
    assert client.infer("ab", [_input(data)], model_version="2").get_response().model_version == "2"
    chosen = {}
    for user in range(16):
        versions = {client.infer("sticky", [_input(data)], headers={"x-user-id": f"user-{user}"})
                    .get_response().model_version for _ in range(3)}
        assert len(versions) == 1, f"user-{user} reached versions {versions}"
        chosen[user] = versions.pop()
    assert set(chosen.values()) == {"1", "2"}, chosen


def test_unknown_model_and_version_are_not_found(client):
    with pytest.raises(InferenceServerException) as info:
        client.infer("no_such_model", [_input(_data())])
    assert _status(info) == "StatusCode.NOT_FOUND"
    with pytest.raises(InferenceServerException) as info:
        client.infer(MODEL, [_input(_data())], model_version="9")
    assert _status(info) == "StatusCode.NOT_FOUND"
    with pytest.raises(InferenceServerException) as info:
        client.get_model_metadata("no_such_model")
    assert _status(info) == "StatusCode.NOT_FOUND"


def test_bad_shape_is_invalid_argument(client):
    data = np.zeros((1, 2, 48, 192), dtype=np.float32)
    tensor = grpcclient.InferInput(INPUT, list(data.shape), "FP32")
    tensor.set_data_from_numpy(data)
    with pytest.raises(InferenceServerException) as info:
        client.infer(MODEL, [tensor])
    assert _status(info) == "StatusCode.INVALID_ARGUMENT"
    assert "expects shape" in info.value.message()


def test_wrong_dtype_is_invalid_argument(client):
    data = np.zeros((1, 3, 48, 192), dtype=np.int32)
    tensor = grpcclient.InferInput(INPUT, list(data.shape), "INT32")
    tensor.set_data_from_numpy(data)
    with pytest.raises(InferenceServerException) as info:
        client.infer(MODEL, [tensor])
    assert _status(info) == "StatusCode.INVALID_ARGUMENT"


def test_raw_size_mismatch_and_missing_data_are_invalid_argument(client):
    tensor = grpcclient.InferInput(INPUT, [1, 3, 48, 192], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 3, 48, 192), dtype=np.float32))
    tensor._raw_content = tensor._raw_content[:-4]
    with pytest.raises(InferenceServerException) as info:
        client.infer(MODEL, [tensor])
    assert _status(info) == "StatusCode.INVALID_ARGUMENT"
    assert "bytes of raw contents" in info.value.message()
    empty = grpcclient.InferInput(INPUT, [1, 3, 48, 192], "FP32")
    with pytest.raises(InferenceServerException) as info:
        client.infer(MODEL, [empty])
    assert _status(info) == "StatusCode.INVALID_ARGUMENT"


def test_rate_limit_is_resource_exhausted(client):
    # 1 request of burst, refilled at 0.001/s: the second request within the run is refused.
    client.infer("limited", [_input(_data())])
    with pytest.raises(InferenceServerException) as info:
        client.infer("limited", [_input(_data())])
    assert _status(info) == "StatusCode.RESOURCE_EXHAUSTED"
    assert "rate limit" in info.value.message()


def test_passed_deadline_is_deadline_exceeded(client):
    # A 1 µs `timeout` parameter has passed by the time a predictor could start the request.
    with pytest.raises(InferenceServerException) as info:
        client.infer(MODEL, [_input(_data())], timeout=1)
    assert _status(info) == "StatusCode.DEADLINE_EXCEEDED"
    # A generous call deadline (grpc-timeout) leaves the request alone.
    assert client.infer(MODEL, [_input(_data())], client_timeout=60).as_numpy(OUTPUT).shape == (1, 2)


def test_dynamic_batching_answers_each_request(client):
    datas = [_data(seed=i) for i in range(8)]
    expected = [client.infer(MODEL, [_input(d)]).as_numpy(OUTPUT) for d in datas]
    before = client.get_inference_statistics("batched").model_stats[0]
    done = queue.Queue()
    for index, data in enumerate(datas):
        client.async_infer("batched", [_input(data)], partial(done.put, index))
    results = {}
    for _ in datas:
        index, result, error = done.get(timeout=60)
        assert error is None, error
        results[index] = result.as_numpy(OUTPUT)
    for index in range(len(datas)):
        np.testing.assert_allclose(results[index], expected[index], atol=1e-5)
    after = client.get_inference_statistics("batched").model_stats[0]
    assert after.inference_count - before.inference_count == 8
    assert 1 <= after.execution_count - before.execution_count <= 8
    assert sum(b.compute_infer.count for b in after.batch_stats) == after.execution_count


def partial(put, index):
    return lambda result, error: put((index, result, error))


def test_statistics(client):
    client.infer(MODEL, [_input(_data())], model_version="1")
    stats = client.get_inference_statistics(MODEL, model_version="1").model_stats
    assert (stats[0].name, stats[0].version) == (MODEL, "1")
    assert stats[0].inference_stats.success.count >= 1
    assert stats[0].inference_stats.success.ns > 0
    every = client.get_inference_statistics().model_stats
    assert {(s.name, s.version) for s in every} >= {(MODEL, "1"), (MODEL, "2")}


def test_repository_index_on_loopback_without_token(client):
    index = client.get_model_repository_index().models
    assert {(m.name, m.version, m.state) for m in index} >= {(MODEL, "1", "READY"), (MODEL, "2", "READY")}


def test_stream_infer_in_order_with_errors(client):
    responses = queue.Queue()
    client.start_stream(callback=lambda result, error: responses.put((result, error)))
    try:
        data = _data(seed=3)
        client.async_stream_infer(MODEL, [_input(data)], request_id="first")
        client.async_stream_infer("no_such_model", [_input(data)], request_id="second")
        client.async_stream_infer(MODEL, [_input(data)], request_id="third", model_version="1")
        got = [responses.get(timeout=60) for _ in range(3)]
    finally:
        client.stop_stream()
    (first, error1), (_, error2), (third, error3) = got
    assert error1 is None and error3 is None
    assert first.get_response().id == "first" and third.get_response().model_version == "1"
    assert error2 is not None and "unknown model" in error2.message()
    np.testing.assert_allclose(first.as_numpy(OUTPUT), client.infer(MODEL, [_input(data)]).as_numpy(OUTPUT), atol=1e-5)


def test_metrics_count_grpc_calls(server, client):
    import urllib.request
    client.infer(MODEL, [_input(_data())])
    text = urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/metrics").read().decode()
    lines = [l for l in text.splitlines()
             if l.startswith("paddle_protocol_requests_total") and 'method="ModelInfer"' in l and 'code="ok"' in l]
    assert lines and float(lines[0].split()[-1]) >= 1, lines


def test_unimplemented_rpc(client):
    with pytest.raises(InferenceServerException) as info:
        client.get_system_shared_memory_status()
    assert _status(info) == "StatusCode.UNIMPLEMENTED"
