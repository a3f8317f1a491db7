"""The repository RPCs over gRPC under HTTP's bearer-token rule (`authorization` metadata)."""
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

from grpc_support import INPUT, MODEL, OUTPUT, TOKEN

AUTH = {"authorization": f"Bearer {TOKEN}"}


@pytest.fixture()
def client(token_server):
    c = grpcclient.InferenceServerClient(token_server.url)
    yield c
    c.close()


@pytest.mark.parametrize("headers", [None, {"authorization": "Bearer wrong"}, {"authorization": TOKEN}],
                         ids=["none", "wrong", "no-scheme"])
def test_repository_rpcs_need_the_token(client, headers):
    for call in (lambda: client.get_model_repository_index(headers=headers),
                 lambda: client.load_model(MODEL, headers=headers),
                 lambda: client.unload_model(MODEL, headers=headers)):
        with pytest.raises(InferenceServerException) as info:
            call()
        assert info.value.status() == "StatusCode.UNAUTHENTICATED"
    assert client.is_model_ready(MODEL)


def test_inference_needs_no_token(client):
    data = np.zeros((1, 3, 48, 192), dtype=np.float32)
    tensor = grpcclient.InferInput(INPUT, list(data.shape), "FP32")
    tensor.set_data_from_numpy(data)
    assert client.infer(MODEL, [tensor]).as_numpy(OUTPUT).shape == (1, 2)


def test_unload_and_load_with_the_token(client):
    index = client.get_model_repository_index(headers=AUTH).models
    assert {(m.name, m.version, m.state) for m in index} == {(MODEL, "1", "READY"), (MODEL, "2", "READY")}
    client.unload_model(MODEL, headers=AUTH)
    assert not client.is_model_ready(MODEL)
    assert {m.state for m in client.get_model_repository_index(headers=AUTH).models} == {"UNAVAILABLE"}
    # The `ready` filter of RepositoryIndexRequest (tritonclient has no argument for it: its own stub is used).
    from tritonclient.grpc import service_pb2
    ready_only = client._client_stub.RepositoryIndex(
        service_pb2.RepositoryIndexRequest(ready=True), metadata=list(AUTH.items()))
    assert list(ready_only.models) == []
    client.load_model(MODEL, headers=AUTH)
    assert client.is_model_ready(MODEL, model_version="1") and client.is_model_ready(MODEL, model_version="2")


def test_load_errors(client):
    with pytest.raises(InferenceServerException) as info:
        client.load_model("no_such_model", headers=AUTH)
    assert info.value.status() == "StatusCode.NOT_FOUND"
    with pytest.raises(InferenceServerException) as info:
        client.load_model(MODEL, config='{"max_batch_size": 4}', headers=AUTH)
    assert info.value.status() == "StatusCode.INVALID_ARGUMENT"
