"""Shared helpers of the paddle-swift correctness oracle (Paddle Inference 3.3.1, CPU only).

The oracle runs models with the Python bindings of the very engine the Swift SDK wraps (paddle.inference from the
paddlepaddle 3.3.1 wheel), so the Swift tests can compare their outputs with these.

Conventions, shared by make_fixtures.py, run_oracle.py and the Swift tests:

* Element types are named by the 9 engine dtypes: float32, float64, float16, bfloat16, int64, int32, uint8, int8,
  bool. In .npy files they are stored as '<f4', '<f8', '<f2', '<u2' (bfloat16 bit patterns), '<i8', '<i4', '|u1',
  '|i1' and '|b1'. uint16 is not an engine dtype, so a '<u2' array always means bfloat16.
* Settings: CPU (disable_gpu), cpu_math_library_num_threads, switch_ir_optim, enable_memory_optim and glog info
  off. oneDNN is disabled for PIR (.json) programs by default (they hit the oneDNN PIR bug of 3.3.1, see
  docs/engine.md, "PIR programs and oneDNN") and left at the engine default (on) for everything else.
* Run path: the zero-copy handle API (copy_from_cpu / run() / copy_to_cpu), which is what the Swift SDK calls.
  The Python bindings cannot copy bfloat16 in or out, so a model with a bfloat16 input or output is run through
  Predictor.run(list[paddle.Tensor]) instead (the engine's Run(vector<paddle::Tensor>) overload).

Import this module only from the oracle venv's Python (scripts/setup-oracle.sh).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

# Quieten the engine before it is loaded: glog INFO/WARNING lines and paddle's "No ccache found" warning.
os.environ.setdefault("GLOG_minloglevel", "2")
warnings.filterwarnings("ignore", message=".*ccache.*")

import paddle  # noqa: E402  (must follow the environment set-up above)
from paddle import inference as paddle_infer  # noqa: E402

PADDLE_VERSION = "3.3.1"

# Engine dtype name -> (numpy storage dtype, paddle_infer::DataType value).
DTYPES: dict[str, tuple[np.dtype, int]] = {
    "float32": (np.dtype("<f4"), 0),
    "int64": (np.dtype("<i8"), 1),
    "int32": (np.dtype("<i4"), 2),
    "uint8": (np.dtype("|u1"), 3),
    "int8": (np.dtype("|i1"), 4),
    "float16": (np.dtype("<f2"), 5),
    "bool": (np.dtype("|b1"), 6),
    "float64": (np.dtype("<f8"), 7),
    "bfloat16": (np.dtype("<u2"), 8),
}
DTYPE_BY_ENGINE_VALUE = {value: name for name, (_, value) in DTYPES.items()}
FLOAT_DTYPES = ("float32", "float64", "float16", "bfloat16")

# paddle.inference.DataType member name -> engine dtype name.
_PADDLE_INFER_DTYPE = {
    "FLOAT32": "float32", "INT64": "int64", "INT32": "int32", "UINT8": "uint8", "INT8": "int8",
    "FLOAT16": "float16", "BOOL": "bool", "FLOAT64": "float64", "BFLOAT16": "bfloat16",
}


class OracleError(RuntimeError):
    """A model could not be loaded or run, or its inputs do not fit it."""


# ---- dtypes and .npy files ---------------------------------------------------------------------------------


def storage_dtype(dtype: str) -> np.dtype:
    """The numpy dtype that stores elements of engine dtype `dtype` (bfloat16: uint16 bit patterns)."""
    try:
        return DTYPES[dtype][0]
    except KeyError:
        raise OracleError(f"unknown dtype {dtype!r}; expected one of {', '.join(DTYPES)}") from None


def dtype_of_array(array: np.ndarray) -> str:
    """The engine dtype an array stores (uint16 arrays hold bfloat16 bit patterns)."""
    for name, (np_dtype, _) in DTYPES.items():
        if array.dtype == np_dtype:
            return name
    raise OracleError(f"numpy dtype {array.dtype} is not one of the engine dtypes")


def float32_to_bfloat16_bits(values: np.ndarray) -> np.ndarray:
    """Rounds float32 values to bfloat16 (round to nearest, ties to even) and returns the uint16 bit patterns."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def bfloat16_bits_to_float32(bits: np.ndarray) -> np.ndarray:
    """Widens bfloat16 bit patterns (uint16) to float32 exactly."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def as_float64(array: np.ndarray, dtype: str) -> np.ndarray:
    """Values of an array of engine dtype `dtype` as float64 (for statistics and comparisons)."""
    if dtype == "bfloat16":
        return bfloat16_bits_to_float32(array).astype(np.float64)
    return np.asarray(array).astype(np.float64)


def save_npy(path: Path, array: np.ndarray, dtype: str) -> None:
    """Writes `array` (already in the storage dtype of `dtype`) with np.save."""
    if array.dtype != storage_dtype(dtype):
        raise OracleError(f"{path}: array dtype {array.dtype} does not store {dtype}")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


def load_npy(path: str | Path) -> tuple[np.ndarray, str]:
    """Reads an .npy file and returns (array, engine dtype name)."""
    array = np.load(path, allow_pickle=False)
    return array, dtype_of_array(array)


_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]")


def file_stems(names: Sequence[str]) -> list[str]:
    """Tensor names made safe and distinct as file names: characters other than letters, digits, '.', '_' and
    '-' (such as '/') become '_', and a name that then collides with an earlier one gets a suffix _2, _3, ..."""
    stems: list[str] = []
    for name in names:
        stem = _UNSAFE_FILE_CHARS.sub("_", name)
        if stem in ("", ".", ".."):
            stem = f"_{stem}"
        unique, n = stem, 2
        while unique in stems:
            unique, n = f"{stem}_{n}", n + 1
        stems.append(unique)
    return stems


# ---- models and settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRef:
    """Where a model lives. With `program` set the oracle uses Config(program, params), else Config(dir).

    A folder holding __model__ + __params__ sets all three: the engine's Config(dir) reads one file per
    parameter only, so such a folder is loaded from its two files; `dir` then just names the folder.
    """

    program: str | None = None
    params: str | None = None
    dir: str | None = None

    @property
    def format(self) -> str:
        """'json' (PIR program), 'pdmodel' (ProgramDesc) or 'model_dir' (a folder holding __model__)."""
        if self.dir is not None:
            return "model_dir"
        if self.program is None:
            raise OracleError("a model needs a program file or a directory")
        return "json" if self.program.endswith(".json") else "pdmodel"

    @property
    def is_pir(self) -> bool:
        return self.program is not None and self.program.endswith(".json")

    def manifest(self) -> dict:
        return {"program": self.program, "params": self.params, "dir": self.dir, "format": self.format}


@dataclass(frozen=True)
class Settings:
    """Predictor settings. onednn=None means: off for PIR .json programs, the engine default (on) otherwise."""

    threads: int = 1
    onednn: bool | None = None
    ir_optim: bool = True
    memory_optim: bool = False

    def resolved(self, model: ModelRef) -> "Settings":
        onednn = (not model.is_pir) if self.onednn is None else self.onednn
        return Settings(self.threads, onednn, self.ir_optim, self.memory_optim)

    def manifest(self) -> dict:
        return {"threads": self.threads, "onednn": self.onednn, "ir_optim": self.ir_optim,
                "memory_optim": self.memory_optim, "gpu": False, "glog_info": False}


def make_config(model: ModelRef, settings: Settings) -> paddle_infer.Config:
    """A paddle.inference.Config for `model` with `settings` (resolved: onednn must be True or False)."""
    if settings.onednn is None:
        raise OracleError("make_config needs resolved settings")
    for path in (model.program, model.params, model.dir):
        if path is not None and not os.path.exists(path):
            raise OracleError(f"model file not found: {path}")
    if model.program is not None:
        config = paddle_infer.Config(model.program, model.params or "")
    else:
        config = paddle_infer.Config(model.dir)
    config.disable_gpu()
    config.set_cpu_math_library_num_threads(settings.threads)
    config.switch_ir_optim(settings.ir_optim)
    config.enable_memory_optim(settings.memory_optim)
    config.disable_glog_info()
    if settings.onednn:
        if not config.mkldnn_enabled():  # the 3.3.1 wheel defaults to on; keep the record honest anyway
            config.enable_mkldnn()
    else:
        config.disable_mkldnn()
    return config


# ---- running -----------------------------------------------------------------------------------------------


@dataclass
class Tensor:
    name: str
    dtype: str
    array: np.ndarray  # in the storage dtype of `dtype`


@dataclass
class RunResult:
    input_names: list[str]
    outputs: list[Tensor]  # engine order
    api: str  # "zero_copy" or "tensor_run"


def _engine_dtype(paddle_infer_dtype) -> str:
    return _PADDLE_INFER_DTYPE[paddle_infer_dtype.name]


def _to_paddle_tensor(tensor: Tensor) -> paddle.Tensor:
    value = paddle.to_tensor(tensor.array, place=paddle.CPUPlace())
    # paddle maps numpy uint16 to bfloat16 itself; check it, since the bit patterns must not be converted.
    expected = paddle.bfloat16 if tensor.dtype == "bfloat16" else None
    if expected is not None and value.dtype != expected:
        raise OracleError(f"input {tensor.name}: could not make a bfloat16 paddle.Tensor")
    return value


def _from_paddle_tensor(name: str, value: paddle.Tensor) -> Tensor:
    dtype = str(value.dtype).removeprefix("paddle.")
    array = value.numpy()
    if dtype == "bfloat16":
        array = array.view(np.uint16) if array.dtype != np.uint16 else array
    return Tensor(name, dtype, np.ascontiguousarray(array, dtype=storage_dtype(dtype)))


def run(model: ModelRef, settings: Settings, inputs: Sequence[Tensor]) -> RunResult:
    """Creates a predictor for `model`, feeds `inputs` (matched by name) and returns every output in engine order."""
    settings = settings.resolved(model)
    try:
        predictor = paddle_infer.create_predictor(make_config(model, settings))
    except Exception as error:  # the bindings raise RuntimeError/ValueError/... with the engine message
        raise OracleError(f"could not create a predictor: {error}") from error
    input_names = list(predictor.get_input_names())
    output_names = list(predictor.get_output_names())
    by_name = {t.name: t for t in inputs}
    if sorted(by_name) != sorted(input_names):
        raise OracleError(f"inputs given {sorted(by_name)} but the model takes {input_names}")
    ordered = [by_name[n] for n in input_names]

    if any(t.dtype == "bfloat16" for t in ordered):
        outputs = _tensor_run(predictor, ordered, output_names)
        return RunResult(input_names, outputs, "tensor_run")

    for tensor in ordered:
        handle = predictor.get_input_handle(tensor.name)
        handle.reshape(list(tensor.array.shape))
        handle.copy_from_cpu(np.ascontiguousarray(tensor.array))
    try:
        predictor.run()
    except Exception as error:
        raise OracleError(f"run failed: {error}") from error
    handles = [predictor.get_output_handle(n) for n in output_names]
    if any(_engine_dtype(h.type()) == "bfloat16" for h in handles):
        # copy_to_cpu cannot return bfloat16 (it would hand back misread float32 data): run again through the
        # paddle.Tensor overload and check that the other outputs agree with the zero-copy run.
        zero_copy = {n: h.copy_to_cpu() for n, h in zip(output_names, handles)
                     if _engine_dtype(h.type()) != "bfloat16"}
        outputs = _tensor_run(predictor, ordered, output_names)
        for out in outputs:
            if out.name in zero_copy and not np.array_equal(zero_copy[out.name], out.array):
                raise OracleError(f"output {out.name}: zero-copy and tensor runs disagree")
        return RunResult(input_names, outputs, "tensor_run")

    outputs = []
    for name, handle in zip(output_names, handles):
        dtype = _engine_dtype(handle.type())
        array = handle.copy_to_cpu()
        outputs.append(Tensor(name, dtype, np.ascontiguousarray(array, dtype=storage_dtype(dtype))))
    return RunResult(input_names, outputs, "zero_copy")


def _tensor_run(predictor, ordered: Sequence[Tensor], output_names: list[str]) -> list[Tensor]:
    try:
        values = predictor.run([_to_paddle_tensor(t) for t in ordered])
    except Exception as error:
        raise OracleError(f"run failed: {error}") from error
    if len(values) != len(output_names):
        raise OracleError(f"Run returned {len(values)} outputs, the model declares {len(output_names)}")
    return [_from_paddle_tensor(n, v) for n, v in zip(output_names, values)]


# ---- metadata probe (C++ API) ------------------------------------------------------------------------------

_PROBE_SOURCE = Path(__file__).with_name("io_probe.cpp")
_probe_lib = None


def _libpaddle_dir() -> Path:
    return Path(paddle.__file__).resolve().parent / "base"


def _probe_library():
    """Builds io_probe.cpp (once per source version) next to the venv and loads it into this process."""
    global _probe_lib
    if _probe_lib is not None:
        return _probe_lib
    libdir = _libpaddle_dir()
    source = _PROBE_SOURCE.read_bytes()
    digest = hashlib.sha256(source + str(libdir).encode()).hexdigest()[:16]
    target = Path(sys.prefix) / "lib" / "paddle-oracle" / f"io_probe-{digest}.so"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        cxx = os.environ.get("CXX", "g++")
        cmd = [cxx, "-std=c++17", "-O1", "-shared", "-fPIC", "-w", str(_PROBE_SOURCE), "-o", str(tmp),
               f"-L{libdir}", "-l:libpaddle.so", f"-Wl,-rpath,{libdir}"]
        try:
            subprocess.run(cmd, check=True, capture_output=True, text=True)
        except FileNotFoundError:
            raise OracleError(f"{cxx} not found: the metadata probe needs a C++ compiler (Debian build-essential)")
        except subprocess.CalledProcessError as error:
            raise OracleError(f"building the metadata probe failed:\n{error.stderr}") from error
        os.replace(tmp, target)
        for stale in target.parent.glob("io_probe-*.so"):  # builds of older sources
            if stale != target:
                stale.unlink(missing_ok=True)
    lib = ctypes.CDLL(str(target))
    lib.io_probe.restype = ctypes.c_void_p
    lib.io_probe.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                             ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.io_probe_free.restype = None
    lib.io_probe_free.argtypes = [ctypes.c_void_p]
    _probe_lib = lib
    return lib


def probe_io(model: ModelRef, settings: Settings) -> dict:
    """What a fresh predictor's C++ metadata calls report for `model`.

    Returns {"inputs": [{"name", "shape", "type"}], "outputs": [...], "input_types_error", "output_types_error"}:
    names in engine order, shapes from GetInputTensorShape/GetOutputTensorShape (-1 = dynamic), types from
    GetInputTypes/GetOutputTypes as engine dtype names (None where that call threw; its message is then in
    *_types_error).
    """
    settings = settings.resolved(model)
    lib = _probe_library()

    def arg(value: str | None):
        return value.encode() if value is not None else None

    if model.program is not None:
        raw = lib.io_probe(arg(model.program), arg(model.params or ""), None,
                           int(settings.onednn), settings.threads, int(settings.ir_optim))
    else:
        raw = lib.io_probe(None, None, arg(model.dir), int(settings.onednn), settings.threads,
                           int(settings.ir_optim))
    try:
        report = json.loads(ctypes.string_at(raw).decode())
    finally:
        lib.io_probe_free(raw)
    if not report.get("ok"):
        raise OracleError(f"metadata probe failed: {report.get('error')}")
    for side in ("inputs", "outputs"):
        for entry in report[side]:
            value = entry["type"]
            entry["type"] = None if value is None else DTYPE_BY_ENGINE_VALUE.get(value, f"unknown({value})")
    del report["ok"]
    return report


# oneDNN 3.6's dnnl_cpu_isa_t mask for avx512_core, the least Paddle 3.3.1's bfloat16 kernels run on (with
# ONEDNN_MAX_CPU_ISA=AVX2 every bfloat16 run fails, with oneDNN on or off). The Swift binding applies the same rule
# (CPUFeatures.supportsBFloat16); make_fixtures checks that the two agree.
ONEDNN_AVX512_CORE = 0x27


def onednn_isa() -> int:
    """oneDNN's effective instruction set (dnnl_cpu_isa_t mask), after any ONEDNN_MAX_CPU_ISA limit."""
    lib = ctypes.CDLL(str(_libpaddle_dir().parent / "libs" / "libdnnl.so.3"))
    lib.dnnl_get_effective_cpu_isa.restype = ctypes.c_int
    return int(lib.dnnl_get_effective_cpu_isa())


def supports_bfloat16() -> bool:
    return onednn_isa() & ONEDNN_AVX512_CORE == ONEDNN_AVX512_CORE


def engine_version() -> str:
    """paddle_infer::GetVersion() (e.g. 'version: 3.3.1\\ncommit: ...')."""
    return paddle_infer.get_version()
