"""Writes the paddle-swift correctness fixtures: test models, inputs, oracle outputs and manifest.json.

Run with the oracle venv (scripts/setup-oracle.sh), after scripts/setup.sh has fetched the real models:

    .paddle/venv-oracle/bin/python scripts/oracle/make_fixtures.py [--out DIR] [--models DIR]

The fixture folder (default <repo>/.fixtures, git-ignored) is rewritten on every run; only its models/, cases/,
logs/ and manifest.json are touched. Layout:

    models/<model>/...                    generated models (build_models.py), in every format the tests need
    cases/<case>/inputs/<input>.npy       deterministic inputs
    cases/<case>/outputs/<output>.npy     what paddle.inference 3.3.1 returned for them (engine order)
    manifest.json                         everything above, described (see README.md in this folder)

Everything is deterministic: weights and inputs come from fixed seeds, so a re-run writes the same bytes on the
same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np

import paddle_oracle as oracle

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DTYPES = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "uint8", "int8", "bool")
FLOAT_TOLERANCE = 1e-5  # max |swift - oracle| on float outputs; integer and bool outputs must match exactly

# Real models fetched by scripts/setup.sh, relative to $PADDLE_SWIFT_HOME/models.
REAL_MODELS = {
    "ppocrv4_det": "ppocrv4/ch_PP-OCRv4_det_infer/inference.pdmodel",
    "ppocrv4_rec": "ppocrv4/ch_PP-OCRv4_rec_infer/inference.pdmodel",
    "ppocrv2_cls": "ppocrv4/ch_ppocr_mobile_v2_cls_infer/inference.pdmodel",
    "ppocrv5_det": "ppocrv5/PP-OCRv5_mobile_det/inference.json",
    "ppocrv5_rec": "ppocrv5/PP-OCRv5_mobile_rec/inference.json",
}


# ---- inputs ------------------------------------------------------------------------------------------------


def case_rng(key: str) -> np.random.Generator:
    """A generator for a case's inputs. Cases of one model in several formats share the key, so they get the
    same inputs and their outputs can be compared across formats."""
    return np.random.default_rng(zlib.crc32(key.encode()))


def random_input(rng: np.random.Generator, dtype: str, shape: list[int]) -> np.ndarray:
    """Random values of `dtype` in its storage form, in ranges the test models cannot overflow."""
    if dtype in ("float32", "float64", "float16"):
        return rng.standard_normal(shape).astype(dtype)
    if dtype == "bfloat16":
        return oracle.float32_to_bfloat16_bits(rng.standard_normal(shape).astype(np.float32))
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(np.bool_)
    low, high = {"int64": (-1000, 1000), "int32": (-1000, 1000), "int8": (-100, 100), "uint8": (0, 200)}[dtype]
    return rng.integers(low, high, shape).astype(oracle.storage_dtype(dtype))


def render_text(width: int, height: int, lines: list[str], size: int) -> np.ndarray:
    """Dark text on a white background, HxWx3 uint8 (Pillow's built-in font, so no font files are needed)."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the fixed bitmap font
        font = ImageFont.load_default()
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    y = max(1, (height - len(lines) * (size + 4)) // 2)
    for i, line in enumerate(lines):
        draw.text((6 + 4 * i, y), line, fill=(10 + 30 * i, 10, 40 * i), font=font)
        y += size + 4
    return np.asarray(image, dtype=np.uint8)


def det_input(height: int, width: int) -> np.ndarray:
    """A text image normalised like PaddleOCR's detector ((x/255 - mean) / std, ImageNet), 1x3xHxW float32."""
    pixels = render_text(width, height, ["Paddle 3.3.1", "OCR 2024"], height // 4).astype(np.float32) / 255.0
    mean = np.array([0.485, 0.456, 0.406], np.float32)
    std = np.array([0.229, 0.224, 0.225], np.float32)
    return ((pixels - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)


def line_input(height: int, width: int, text: str) -> np.ndarray:
    """A text line normalised like PaddleOCR's recogniser and classifier ((x/255 - 0.5) / 0.5), 3xHxW float32."""
    pixels = render_text(width, height, [text], int(height * 0.6)).astype(np.float32) / 255.0
    return ((pixels - 0.5) / 0.5).transpose(2, 0, 1).astype(np.float32)


# ---- fixture writing ---------------------------------------------------------------------------------------


class Fixtures:
    def __init__(self, root: Path):
        self.root = root
        self.cases: list[dict] = []
        self.models: dict[str, dict] = {}  # name -> {"ref", "inputs" (declared), "generated", "notes", ...}
        self.output_dtypes: dict[str, list[str]] = {}  # model name -> output dtypes seen at run time

    def add_model(self, name: str, ref: oracle.ModelRef, inputs: list[dict], generated: bool, notes: str):
        self.models[name] = {"ref": ref, "inputs": inputs, "generated": generated, "notes": notes}

    def add_case(self, name: str, model: str, inputs: dict[str, np.ndarray], description: str,
                 settings: oracle.Settings = oracle.Settings(), expect_onednn_error: str | None = None):
        ref: oracle.ModelRef = self.models[model]["ref"]
        declared = {i["name"]: i["dtype"] for i in self.models[model]["inputs"]}
        tensors = [oracle.Tensor(n, declared[n], a) for n, a in inputs.items()]
        settings = settings.resolved(ref)
        bfloat16 = "bfloat16" in declared.values()
        if bfloat16 and not oracle.supports_bfloat16():
            self._add_cpu_unsupported_case(name, model, ref, settings, tensors, description)
            return
        try:
            result = oracle.run(ref, settings, tensors)
        except oracle.OracleError as error:
            raise oracle.OracleError(f"case {name}: {error}") from error

        folder = self.root / "cases" / name
        case = {"name": name, "model_name": model, "description": description, "model": ref.manifest(),
                "config": settings.manifest(), "oracle_api": result.api, "inputs": [], "outputs": []}
        tensors.sort(key=lambda t: result.input_names.index(t.name))
        for tensor, stem in zip(tensors, oracle.file_stems([t.name for t in tensors])):
            path = folder / "inputs" / f"{stem}.npy"
            oracle.save_npy(path, tensor.array, tensor.dtype)
            case["inputs"].append({"name": tensor.name, "dtype": tensor.dtype, "shape": list(tensor.array.shape),
                                   "file": str(path.relative_to(self.root))})
        for out, stem in zip(result.outputs, oracle.file_stems([o.name for o in result.outputs])):
            path = folder / "outputs" / f"{stem}.npy"
            oracle.save_npy(path, out.array, out.dtype)
            values = oracle.as_float64(out.array, out.dtype)
            case["outputs"].append({"name": out.name, "dtype": out.dtype, "shape": list(out.array.shape),
                                    "file": str(path.relative_to(self.root)),
                                    "max_abs": float(np.abs(values).max()) if values.size else 0.0})
        floats = any(o.dtype in oracle.FLOAT_DTYPES for o in result.outputs)
        case["tolerance"] = FLOAT_TOLERANCE if floats else 0.0
        if expect_onednn_error is not None:
            case["onednn_on_error"] = self._check_onednn_failure(ref, settings, tensors, expect_onednn_error)
        self.output_dtypes.setdefault(model, [o.dtype for o in result.outputs])
        self.cases.append(case)

    def _add_cpu_unsupported_case(self, name, model, ref, settings, tensors, description) -> None:
        """A bfloat16 case on a CPU whose oneDNN is below avx512_core: the oracle must fail (else the rule that the
        binding applies is wrong), and the case records that the binding must refuse the model with a typed error."""
        try:
            oracle.run(ref, settings, tensors)
        except oracle.OracleError as error:
            engine_error = str(error)
        else:
            raise oracle.OracleError(
                f"case {name}: bfloat16 ran with oneDNN ISA {oracle.onednn_isa():#x}, below avx512_core: the rule "
                "'bfloat16 needs avx512_core' (paddle_oracle.ONEDNN_AVX512_CORE, Swift CPUFeatures) is wrong")
        folder = self.root / "cases" / name
        case = {"name": name, "model_name": model, "description": description, "model": ref.manifest(),
                "config": settings.manifest(), "oracle_api": None, "inputs": [], "outputs": [], "tolerance": 0.0,
                "cpu_unsupported": {"onednn_isa": oracle.onednn_isa(), "oracle_error": engine_error}}
        for tensor, stem in zip(tensors, oracle.file_stems([t.name for t in tensors])):
            path = folder / "inputs" / f"{stem}.npy"
            oracle.save_npy(path, tensor.array, tensor.dtype)
            case["inputs"].append({"name": tensor.name, "dtype": tensor.dtype, "shape": list(tensor.array.shape),
                                   "file": str(path.relative_to(self.root))})
        self.cases.append(case)

    @staticmethod
    def _check_onednn_failure(ref, settings, tensors, expected: str) -> str | None:
        """Confirms that the case fails with oneDNN on (the 3.3.1 PIR bug); returns the expected message part,
        or None (with a warning) if the engine no longer fails."""
        on = oracle.Settings(settings.threads, True, settings.ir_optim, settings.memory_optim)
        try:
            oracle.run(ref, on, tensors)
        except oracle.OracleError as error:
            if expected not in str(error):
                raise oracle.OracleError(f"oneDNN run failed differently than expected: {error}") from error
            return expected
        print(f"warning: {ref.program} now runs with oneDNN on; the PIR oneDNN bug seems fixed", file=sys.stderr)
        return None

    def model_metadata(self, name: str) -> dict:
        """The models-section entry: declared inputs, run-time output dtypes and what the C++ API reports."""
        model = self.models[name]
        ref: oracle.ModelRef = model["ref"]
        settings = oracle.Settings().resolved(ref)
        try:
            probe = oracle.probe_io(ref, settings)
        except oracle.OracleError as error:
            raise oracle.OracleError(f"model {name}: {error}") from error
        declared = model["inputs"]
        engine_inputs = [(e["name"], e["shape"]) for e in probe["inputs"]]
        if [i["name"] for i in declared] != [n for n, _ in engine_inputs]:
            raise oracle.OracleError(f"{name}: engine inputs {engine_inputs} differ from the declared {declared}")
        if model["generated"]:
            for spec, (_, shape) in zip(declared, engine_inputs):
                if spec["shape"] != shape:
                    raise oracle.OracleError(f"{name}: engine reports input shape {shape}, declared {spec}")
        out_dtypes = self.output_dtypes.get(name)
        if out_dtypes is None or len(out_dtypes) != len(probe["outputs"]):
            raise oracle.OracleError(f"{name}: no case ran the model, or its outputs changed")
        return {
            **ref.manifest(),
            "generated": model["generated"],
            "notes": model["notes"],
            "config": settings.manifest(),
            "inputs": [{"name": d["name"], "dtype": d["dtype"], "shape": e["shape"]}
                       for d, e in zip(declared, probe["inputs"])],
            "outputs": [{"name": e["name"], "dtype": dtype, "shape": e["shape"]}
                        for e, dtype in zip(probe["outputs"], out_dtypes)],
            "engine_types": {
                "inputs": {e["name"]: e["type"] for e in probe["inputs"]},
                "outputs": {e["name"]: e["type"] for e in probe["outputs"]},
                "input_types_error": probe["input_types_error"],
                "output_types_error": probe["output_types_error"],
            },
        }

    def _cpu_unsupported_models(self) -> set[str]:
        return {c["model_name"] for c in self.cases if "cpu_unsupported" in c}

    def write_manifest(self) -> Path:
        manifest = {
            "paddle_version": paddle_version(),
            "engine_version": oracle.engine_version().strip(),
            "conventions": {
                "dtypes": "float32 float64 float16 bfloat16 int64 int32 uint8 int8 bool; .npy storage <f4 <f8 <f2 "
                          "<u2 (bfloat16 bit patterns) <i8 <i4 |u1 |i1 |b1",
                "tolerance": "max absolute difference allowed on float outputs (float16/bfloat16 widened to "
                             "float32); integer and bool outputs must be equal",
                "model": "program set: Config(program, params); program null: Config(dir)",
                "engine_types": "what GetInputTypes/GetOutputTypes return on a fresh predictor (before any "
                                "input is set); null where the call throws (message in *_types_error)",
            },
            "cases": self.cases,
            # Models that no case could run on this CPU (bfloat16 below avx512_core) have no entry here.
            "models": {name: self.model_metadata(name) for name in self.models
                       if name in self.output_dtypes or name not in self._cpu_unsupported_models()},
            "onednn_isa": oracle.onednn_isa(),
        }
        path = self.root / "manifest.json"
        path.write_text(json.dumps(manifest, indent=1) + "\n")
        return path


def paddle_version() -> str:
    import paddle

    if paddle.__version__ != oracle.PADDLE_VERSION:
        raise oracle.OracleError(f"the oracle venv has paddle {paddle.__version__}, expected {oracle.PADDLE_VERSION}")
    return paddle.__version__


# ---- steps -------------------------------------------------------------------------------------------------


def build_generated_models(root: Path) -> list[dict]:
    """Runs build_models.py once per program representation (in parallel) and returns the models it built."""
    logs = root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    jobs = []
    for ir, flag in (("legacy", "0"), ("pir", "1")):
        spec = logs / f"models-{ir}.json"
        log = open(logs / f"build-{ir}.log", "w")
        env = {**os.environ, "FLAGS_enable_pir_api": flag}
        cmd = [sys.executable, str(HERE / "build_models.py"), "--ir", ir, "--out", str(root / "models"),
               "--spec", str(spec)]
        jobs.append((ir, spec, log, subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)))
    models = []
    for ir, spec, log, process in jobs:
        code = process.wait()
        log.close()
        if code != 0:
            tail = Path(log.name).read_text().splitlines()[-30:]
            raise oracle.OracleError(f"building the {ir} models failed ({log.name}):\n" + "\n".join(tail))
        models.extend(json.loads(spec.read_text()))
    return models


def add_generated_cases(fx: Fixtures) -> None:
    for fmt in ("pdmodel", "json"):
        for dtype in DTYPES:
            model = f"dtype_{dtype}_{fmt}"
            name = f"dtype_{dtype}_{fmt}"
            fx.add_case(name, model, {"x": random_input(case_rng(f"dtype_{dtype}"), dtype, [3, 4])},
                        f"{dtype} in and out, {fmt} program")

    multi_io = [("multi_io_pdmodel", (2, 8, 5)), ("multi_io_pdmodel", (3, 8, 1)), ("multi_io_json", (2, 8, 5)),
                ("multi_io_json", (3, 8, 1)), ("multi_io_model_dir", (2, 8, 5)),
                ("multi_io_model_dir_separate", (2, 8, 5))]
    for model, (m, k, n) in multi_io:
        name = f"{model}_{m}x{k}x{n}"
        rng = case_rng(f"multi_io_{m}x{k}x{n}")
        inputs = {"a": random_input(rng, "float32", [m, k]), "b": random_input(rng, "float32", [k, n])}
        layout = {"multi_io_model_dir": "__model__ + __params__ folder (loaded as Config(__model__, __params__))",
                  "multi_io_model_dir_separate": "__model__ + one file per parameter (loaded as Config(dir))"}
        fx.add_case(name, model, inputs, f"2 inputs, 3 outputs (float32, float32, int64), dynamic dims a[{m},{k}] "
                                         f"b[{k},{n}]; {layout.get(model, model.rsplit('_', 1)[1] + ' program')}")

    for fmt in ("pdmodel", "json"):
        name = f"mlp_tiny_{fmt}"
        fx.add_case(name, name, {"x": random_input(case_rng("mlp_tiny"), "float32", [1, 16])},
                    f"benchmark MLP 16-32-4 on a [1,16] input, {fmt} program")

    name = "interpolate_nearest_json"
    fx.add_case(name, name, {"x": random_input(case_rng(name), "float32", [1, 2, 5, 7])},
                "PIR nearest x2 upsampling: passes with oneDNN off, Run() throws with oneDNN on (3.3.1 bug)",
                expect_onednn_error="ConvertPirAttribute2RuntimeAttribute not support")


def add_real_cases(fx: Fixtures, models_dir: Path) -> None:
    for name, relative in REAL_MODELS.items():
        program = models_dir / relative
        params = program.with_suffix(".pdiparams")
        if not program.exists() or not params.exists():
            raise oracle.OracleError(f"real model missing: {program} (run scripts/setup.sh first)")
        fx.add_model(name, oracle.ModelRef(str(program), str(params)), [{"name": "x", "dtype": "float32",
                     "shape": None}], generated=False, notes=relative)

    rng = case_rng("ppocr noise")
    noise = rng.uniform(-1, 1, (3, 48, 200)).astype(np.float32)
    line = line_input(48, 192, "Paddle Swift")
    fx.add_case("ppocrv4_det_1x3x96x160", "ppocrv4_det", {"x": det_input(96, 160)},
                "PP-OCRv4 detector on a rendered two-line text image")
    fx.add_case("ppocrv4_rec_1x3x48x320", "ppocrv4_rec", {"x": line_input(48, 320, "Hello Paddle 2024")[None]},
                "PP-OCRv4 recogniser on a rendered text line")
    fx.add_case("ppocrv4_rec_2x3x48x200", "ppocrv4_rec",
                {"x": np.stack([line_input(48, 200, "OCR 3.3.1"), noise])},
                "PP-OCRv4 recogniser, batch of 2: a text line and uniform noise in [-1, 1]")
    fx.add_case("ppocrv2_cls_2x3x48x192", "ppocrv2_cls", {"x": np.stack([line, line[:, ::-1, ::-1]])},
                "mobile v2 angle classifier: a text line upright and rotated by 180 degrees")
    fx.add_case("ppocrv5_det_1x3x64x96", "ppocrv5_det", {"x": det_input(64, 96)},
                "PP-OCRv5 mobile detector (PIR, oneDNN off) on a rendered text image")
    fx.add_case("ppocrv5_rec_1x3x48x320", "ppocrv5_rec", {"x": line_input(48, 320, "Hello Paddle 2024")[None]},
                "PP-OCRv5 mobile recogniser (PIR, oneDNN off) on a rendered text line")


def reset(root: Path) -> None:
    for part in ("models", "cases", "logs"):
        shutil.rmtree(root / part, ignore_errors=True)
    (root / "manifest.json").unlink(missing_ok=True)
    root.mkdir(parents=True, exist_ok=True)


def main() -> int:
    home = Path(os.environ.get("PADDLE_SWIFT_HOME", REPO / ".paddle"))
    parser = argparse.ArgumentParser(description="Writes the paddle-swift oracle fixtures.")
    parser.add_argument("--out", type=Path, default=REPO / ".fixtures", help="fixture folder (default: %(default)s)")
    parser.add_argument("--models", type=Path, default=home / "models",
                        help="real models fetched by scripts/setup.sh (default: %(default)s)")
    args = parser.parse_args()

    started = time.monotonic()
    root = args.out.resolve()
    try:
        reset(root)
        fx = Fixtures(root)
        for spec in build_generated_models(root):
            ref = oracle.ModelRef(spec["program"], spec["params"], spec["dir"])
            fx.add_model(spec["name"], ref, spec["inputs"], generated=True, notes=spec["notes"])
        add_generated_cases(fx)
        add_real_cases(fx, args.models.resolve())
        manifest = fx.write_manifest()
    except oracle.OracleError as error:
        print(f"make_fixtures: error: {error}", file=sys.stderr)
        return 1
    outputs = sum(len(c["outputs"]) for c in fx.cases)
    print(f"make_fixtures: {len(fx.cases)} cases, {len(fx.models)} models, {outputs} oracle outputs -> {manifest} "
          f"({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
