"""Every engine dtype through tritonclient[grpc], raw and typed contents, against the fixture models' oracle outputs."""
import json
import os

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

from grpc_support import DTYPE_MODELS, FIXTURES

TRITON = {"float32": "FP32", "float64": "FP64", "float16": "FP16", "bfloat16": "BF16", "int64": "INT64",
          "int32": "INT32", "uint8": "UINT8", "int8": "INT8", "bool": "BOOL"}
# The InferTensorContents field of each datatype.
TYPED_FIELD = {"FP32": "fp32_contents", "FP64": "fp64_contents", "INT64": "int64_contents", "INT32": "int_contents",
               "INT8": "int_contents", "UINT8": "uint_contents", "BOOL": "bool_contents"}


def _cases():
    path = os.path.join(FIXTURES, "manifest.json")
    if not os.path.exists(path):
        return []
    return [c for c in json.load(open(path))["cases"] if c["name"] in DTYPE_MODELS]


def _load(entry):
    array = np.load(os.path.join(FIXTURES, entry["file"]))
    if entry["dtype"] == "bfloat16":  # stored as uint16 bit patterns; tritonclient takes ml_dtypes.bfloat16
        import ml_dtypes
        array = array.astype(np.uint16).view(ml_dtypes.bfloat16)
    return array


def test_fixture_models_present():
    if not _cases():
        if os.environ.get("CI") == "true":
            pytest.fail("no generated fixture models (.fixtures/); scripts/setup.sh makes them")
        pytest.skip("no generated fixture models (.fixtures/)")


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["name"])
@pytest.mark.parametrize("contents", ["raw", "typed"])
def test_dtype_round_trip(client, case, contents):
    if "cpu_unsupported" in case:
        assert not client.is_model_ready(case["name"])
        return
    entry, expected_entry = case["inputs"][0], case["outputs"][0]
    dtype = TRITON[entry["dtype"]]
    data, expected = _load(entry), _load(expected_entry)
    tensor = grpcclient.InferInput(entry["name"], list(data.shape), dtype)
    if contents == "raw":
        tensor.set_data_from_numpy(data)
    elif dtype in TYPED_FIELD:
        getattr(tensor._get_tensor().contents, TYPED_FIELD[dtype]).extend(data.flatten().tolist())
    else:
        # FP16 and BF16 have no typed field: they travel only as raw contents.
        tensor._get_tensor().contents.fp32_contents.extend(data.astype(np.float32).flatten().tolist())
        with pytest.raises(InferenceServerException) as info:
            client.infer(case["name"], [tensor])
        assert info.value.status() == "StatusCode.INVALID_ARGUMENT"
        return
    output = grpcclient.InferRequestedOutput(expected_entry["name"])
    got = client.infer(case["name"], [tensor], outputs=[output]).as_numpy(expected_entry["name"])
    assert got.shape == expected.shape
    if dtype in ("FP16", "BF16", "FP32", "FP64"):
        np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64),
                                   atol=1e-2 if dtype in ("FP16", "BF16") else 1e-5)
    else:
        np.testing.assert_array_equal(got, expected)
