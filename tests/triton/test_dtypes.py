"""Every engine dtype through tritonclient, binary and JSON, against the oracle outputs of the fixture models."""
import json
import os

import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from conftest import DTYPE_MODELS, FIXTURES

TRITON = {"float32": "FP32", "float64": "FP64", "float16": "FP16", "bfloat16": "BF16", "int64": "INT64",
          "int32": "INT32", "uint8": "UINT8", "int8": "INT8", "bool": "BOOL"}


def _cases():
    path = os.path.join(FIXTURES, "manifest.json")
    if not os.path.exists(path):
        return []
    cases = json.load(open(path))["cases"]
    return [c for c in cases if c["name"] in DTYPE_MODELS]


def _load(case, entry):
    array = np.load(os.path.join(FIXTURES, entry["file"]))
    if entry["dtype"] == "bfloat16":  # stored as uint16 bit patterns; tritonclient takes ml_dtypes.bfloat16
        import ml_dtypes
        array = array.astype(np.uint16).view(ml_dtypes.bfloat16)
    return array


@pytest.mark.skipif(not _cases(), reason="no generated fixture models (.fixtures/)")
@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["name"])
@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_dtype_round_trip(client, case, binary):
    if "cpu_unsupported" in case:
        # The oracle could not run it on this CPU (bfloat16 below oneDNN's avx512_core): the server refuses the
        # model with a reason that names the missing CPU feature.
        assert not client.is_model_ready(case["name"])
        index = {m["name"]: m for m in client.get_model_repository_index()}
        reason = index[case["name"]].get("reason", "")
        assert "bfloat16" in reason and "AVX-512" in reason, reason
        return
    entry, expected_entry = case["inputs"][0], case["outputs"][0]
    dtype = TRITON[entry["dtype"]]
    data = _load(case, entry)
    expected = _load(case, expected_entry)
    tensor = httpclient.InferInput(entry["name"], list(data.shape), dtype)
    json_capable = dtype not in ("FP16", "BF16")
    if not binary and not json_capable:
        tensor.set_data_from_numpy(data, binary_data=True)
        tensor._parameters.pop("binary_data_size", None)
        tensor._raw_data = None
        tensor._data = [0] * data.size
        with pytest.raises(InferenceServerException) as info:
            client.infer(case["name"], [tensor])
        assert info.value.status() == "400"
        return
    tensor.set_data_from_numpy(data, binary_data=binary)
    output = httpclient.InferRequestedOutput(expected_entry["name"], binary_data=binary or not json_capable)
    got = client.infer(case["name"], [tensor], outputs=[output]).as_numpy(expected_entry["name"])
    assert got.shape == expected.shape
    if dtype in ("FP16", "BF16", "FP32", "FP64"):
        np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64), atol=1e-2 if dtype in ("FP16", "BF16") else 1e-5)
    else:
        np.testing.assert_array_equal(got, expected)
