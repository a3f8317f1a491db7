"""Builds the small generated test models of the paddle-swift oracle in one program format.

Run by make_fixtures.py, once per format, each time in a fresh interpreter, because Paddle 3.3.1 picks the
static-graph representation when it is imported:

    FLAGS_enable_pir_api=0 python build_models.py --ir legacy --out DIR --spec FILE  # ProgramDesc: .pdmodel, __model__
    FLAGS_enable_pir_api=1 python build_models.py --ir pir    --out DIR --spec FILE  # PIR: .json

Each model is built as a static program and saved with paddle.static.save_inference_model. Parameters come from
numpy (fixed seeds) through Assign initialisers, so both formats of a model hold identical weights and every run
writes identical models. Writes DIR/<model>/... and a JSON file (--spec) describing the models:
[{"name", "family", "program", "params", "dir", "inputs": [{"name", "dtype", "shape"}], "notes"}].

In Paddle 3.3.1 many Python ops (matmul, logical_*, argmax, ...) only build PIR programs; in legacy mode they
fail with "must be Value, but got Variable". The legacy builder therefore appends ProgramDesc operators
(matmul_v2, elementwise_add, reduce_sum, arg_max, relu, logical_xor) itself.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")
warnings.filterwarnings("ignore", message=".*ccache.*")

import paddle  # noqa: E402
import paddle.nn.functional as F  # noqa: E402
from paddle.base.layer_helper import LayerHelper  # noqa: E402

DTYPES = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "uint8", "int8", "bool")


def rng_for(name: str) -> np.random.Generator:
    """A generator seeded from the model family name, so every format of a model gets the same weights."""
    return np.random.default_rng(zlib.crc32(name.encode()))


class Graph:
    """The few ops the test models need, built the PIR way or the legacy ProgramDesc way."""

    def __init__(self, pir: bool):
        self.pir = pir

    # -- leaves
    @staticmethod
    def data(name: str, shape: list[int], dtype: str):
        return paddle.static.data(name, shape, dtype)

    @staticmethod
    def param(name: str, value: np.ndarray):
        return paddle.static.create_parameter(
            list(value.shape), str(value.dtype), name=name,
            default_initializer=paddle.nn.initializer.Assign(value))

    # -- ops that work the same in both representations
    @staticmethod
    def cast(x, dtype: str):
        return paddle.cast(x, dtype)

    @staticmethod
    def scale(x, scale: float, bias: float):
        return paddle.scale(x, scale=scale, bias=bias)

    # -- ops that need explicit ProgramDesc operators in legacy mode
    def _legacy(self, op_type: str, inputs: dict, attrs: dict, dtype: str):
        helper = LayerHelper(op_type)
        out = helper.create_variable_for_type_inference(dtype=dtype)
        helper.append_op(type=op_type, inputs=inputs, outputs={"Out": [out]}, attrs=attrs)
        return out

    def add(self, x, y):
        if self.pir:
            return paddle.add(x, y)
        return self._legacy("elementwise_add", {"X": [x], "Y": [y]}, {"axis": -1}, x.dtype)

    def matmul(self, x, y):
        if self.pir:
            return paddle.matmul(x, y)
        return self._legacy("matmul_v2", {"X": [x], "Y": [y]}, {"trans_x": False, "trans_y": False}, x.dtype)

    def relu(self, x):
        if self.pir:
            return F.relu(x)
        return self._legacy("relu", {"X": [x]}, {}, x.dtype)

    def reduce_sum(self, x, axis: int):
        if self.pir:
            return paddle.sum(x, axis=axis)
        return self._legacy("reduce_sum", {"X": [x]}, {"dim": [axis], "keep_dim": False, "reduce_all": False},
                            x.dtype)

    def argmax(self, x, axis: int):
        if self.pir:
            return paddle.argmax(x, axis=axis)
        int64 = int(paddle.base.core.VarDesc.VarType.INT64)
        return self._legacy("arg_max", {"X": [x]},
                            {"axis": axis, "keepdims": False, "flatten": False, "dtype": int64}, "int64")

    def logical_xor(self, x, y):
        if self.pir:
            return paddle.logical_xor(x, y)
        return self._legacy("logical_xor", {"X": [x], "Y": [y]}, {}, "bool")


# ---- model definitions: each returns (feed vars, fetch vars, declared inputs, notes) ---------------------------


def dtype_model(g: Graph, dtype: str):
    """x[-1, 4] of `dtype` -> y[-1, 4] of `dtype`, with a 4-element bias parameter (stored as float32)."""
    rng = rng_for(f"dtype_{dtype}")
    if dtype in ("float32", "float64", "float16", "bfloat16"):
        bias = rng.standard_normal(4).astype(np.float32)
    elif dtype == "uint8":
        bias = rng.integers(0, 4, 4).astype(np.float32)
    elif dtype == "bool":
        bias = np.array([0, 1, 1, 0], np.float32)
    else:
        bias = rng.integers(-3, 4, 4).astype(np.float32)
    x = g.data("x", [-1, 4], dtype)
    b = g.param("bias", bias)
    if dtype == "bool":
        y, note = g.logical_xor(x, g.cast(b, "bool")), "y = logical_xor(x, bias != 0)"
    elif dtype == "float32":
        y, note = g.add(g.scale(x, 2.0, 1.0), b), "y = 2x + 1 + bias"
    elif dtype == "float16":
        # PIR refuses add on float16 for CPU programs; compute in float32 between two casts.
        y = g.cast(g.add(g.scale(g.cast(x, "float32"), 2.0, 1.0), b), "float16")
        note = "y = float16(2 float32(x) + 1 + bias)"
    elif dtype in ("float64", "bfloat16"):
        y, note = g.add(g.scale(x, 2.0, 1.0), g.cast(b, dtype)), f"y = 2x + 1 + {dtype}(bias)"
    else:
        y, note = g.add(x, g.cast(b, dtype)), f"y = x + {dtype}(bias)"
    return [x], [y], [("x", dtype, [-1, 4])], note


def multi_io_model(g: Graph):
    """a[-1, 8], b[8, -1] -> h = a @ b + offset, rowsum = sum(h, 1), argmax = argmax(h, 1) (int64)."""
    rng = rng_for("multi_io")
    a = g.data("a", [-1, 8], "float32")
    b = g.data("b", [8, -1], "float32")
    offset = g.param("offset", rng.standard_normal(1).astype(np.float32))
    h = g.add(g.matmul(a, b), offset)
    rowsum = g.reduce_sum(h, 1)
    index = g.argmax(h, 1)
    return ([a, b], [h, rowsum, index], [("a", "float32", [-1, 8]), ("b", "float32", [8, -1])],
            "outputs: h = a @ b + offset [-1, -1], rowsum = sum(h, axis=1) [-1], argmax(h, axis=1) int64 [-1]")


def mlp_tiny_model(g: Graph):
    """x[-1, 16] -> relu(x W1 + b1) W2 + b2, [-1, 4]: runs in microseconds, for benchmarks."""
    rng = rng_for("mlp_tiny")
    x = g.data("x", [-1, 16], "float32")
    w1 = g.param("w1", (rng.standard_normal((16, 32)) / 4).astype(np.float32))
    b1 = g.param("b1", (rng.standard_normal(32) / 10).astype(np.float32))
    w2 = g.param("w2", (rng.standard_normal((32, 4)) / 6).astype(np.float32))
    b2 = g.param("b2", (rng.standard_normal(4) / 10).astype(np.float32))
    y = g.add(g.matmul(g.relu(g.add(g.matmul(x, w1), b1)), w2), b2)
    return [x], [y], [("x", "float32", [-1, 16])], "y = relu(x W1 + b1) W2 + b2"


def interpolate_model(g: Graph):
    """x[1, 2, -1, -1] -> nearest x2 upsampling + per-channel bias: fails under oneDNN in PIR (3.3.1 bug)."""
    rng = rng_for("interpolate_nearest")
    x = g.data("x", [1, 2, -1, -1], "float32")
    bias = g.param("bias", rng.standard_normal((2, 1, 1)).astype(np.float32))
    y = g.add(F.interpolate(x, scale_factor=2.0, mode="nearest"), bias)
    return [x], [y], [("x", "float32", [1, 2, -1, -1])], (
        "y = interpolate(x, scale_factor=2, mode='nearest') + bias; Run() throws 'ConvertPirAttribute2RuntimeAttribute"
        " not support' with oneDNN on (Paddle#77340)")


# ---- saving --------------------------------------------------------------------------------------------------


def build(fn, *args, pir: bool):
    main, startup = paddle.static.Program(), paddle.static.Program()
    with paddle.static.program_guard(main, startup):
        feeds, fetches, inputs, notes = fn(Graph(pir), *args)
    executor = paddle.static.Executor(paddle.CPUPlace())
    executor.run(startup)
    return main, executor, feeds, fetches, inputs, notes


def save(out: Path, name: str, family: str, built, layout: str) -> dict:
    """Saves a built model as `layout`: 'prefix' (inference.{pdmodel|json} + inference.pdiparams),
    'dir_combined' (__model__ + __params__) or 'dir_separate' (__model__ + one file per parameter)."""
    main, executor, feeds, fetches, inputs, notes = built
    folder = out / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    entry = {"name": name, "family": family, "program": None, "params": None, "dir": None,
             "inputs": [{"name": n, "dtype": d, "shape": s} for n, d, s in inputs], "notes": notes}
    if layout == "dir_separate":
        paddle.static.save_inference_model(str(folder / "inference"), feeds, fetches, executor, program=main,
                                           separate_parameters=True)
        entry["dir"] = str(folder)
        return entry
    paddle.static.save_inference_model(str(folder / "inference"), feeds, fetches, executor, program=main)
    program = folder / ("inference.json" if paddle.framework.use_pir_api() else "inference.pdmodel")
    params = folder / "inference.pdiparams"
    if layout == "dir_combined":
        program = program.rename(folder / "__model__")
        params = params.rename(folder / "__params__")
        entry["dir"] = str(folder)
    entry["program"], entry["params"] = str(program), str(params)
    return entry


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ir", choices=("legacy", "pir"), required=True)
    parser.add_argument("--out", required=True, type=Path, help="folder for the model folders")
    parser.add_argument("--spec", required=True, type=Path, help="JSON file listing the models built")
    args = parser.parse_args()

    pir = args.ir == "pir"
    if paddle.framework.use_pir_api() != pir:
        print(f"FLAGS_enable_pir_api must be {int(pir)} for --ir {args.ir}", file=sys.stderr)
        return 2
    paddle.enable_static()
    out = args.out.resolve()
    suffix = "json" if pir else "pdmodel"
    models = []
    for dtype in DTYPES:
        models.append(save(out, f"dtype_{dtype}_{suffix}", f"dtype_{dtype}", build(dtype_model, dtype, pir=pir),
                           "prefix"))
    multi_io = build(multi_io_model, pir=pir)
    models.append(save(out, f"multi_io_{suffix}", "multi_io", multi_io, "prefix"))
    models.append(save(out, f"mlp_tiny_{suffix}", "mlp_tiny", build(mlp_tiny_model, pir=pir), "prefix"))
    if pir:
        models.append(save(out, "interpolate_nearest_json", "interpolate_nearest", build(interpolate_model, pir=True),
                           "prefix"))
    else:
        models.append(save(out, "multi_io_model_dir", "multi_io", multi_io, "dir_combined"))
        models.append(save(out, "multi_io_model_dir_separate", "multi_io", multi_io, "dir_separate"))
    args.spec.write_text(json.dumps(models, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
