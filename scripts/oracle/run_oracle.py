"""Runs any model with Paddle Inference 3.3.1 (Python bindings, CPU) and saves every output as .npy.

    run_oracle.py --program P [--params Q] | --dir D
                  [--onednn auto|on|off] [--threads N] [--ir-optim on|off] [--memory-optim on|off]
                  --input NAME=FILE.npy ... --output DIR
    run_oracle.py --program P [--params Q] | --dir D [...] --info

Writes DIR/<output>.npy per output (names made file-safe: '/' and other unusual characters become '_') and
DIR/outputs.json listing the outputs in engine order ({"name", "dtype", "shape", "file"}), and prints one line
per output. Inputs are matched by name; their dtype comes from the .npy file: '<f4' float32, '<f8' float64,
'<f2' float16, '<u2' bfloat16 bit patterns, '<i8' int64, '<i4' int32, '|u1' uint8, '|i1' int8, '|b1' bool.
bfloat16 outputs are written the same way (uint16 bit patterns).

--onednn auto (the default) disables oneDNN for PIR .json programs (3.3.1 bug, see docs/engine.md) and
keeps the engine default (on) otherwise. --dir D uses Config(D), which reads __model__ plus one file per
parameter; for a __model__ + __params__ folder pass --program D/__model__ --params D/__params__.
--info prints what a fresh predictor's GetInput/OutputTensorShape and GetInput/OutputTypes report, as JSON.

Run with the oracle venv: "${PADDLE_SWIFT_HOME:-.paddle}/venv-oracle/bin/python" scripts/oracle/run_oracle.py ...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import paddle_oracle as oracle


def on_off(value: str) -> bool:
    if value not in ("on", "off"):
        raise argparse.ArgumentTypeError("expected on or off")
    return value == "on"


def parse_input(value: str) -> tuple[str, Path]:
    name, sep, path = value.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=FILE.npy, got {value!r}")
    return name, Path(path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--program", help="program file (.pdmodel, .json or __model__)")
    parser.add_argument("--params", help="parameter file (.pdiparams or __params__)")
    parser.add_argument("--dir", help="model folder for Config(dir) (__model__ + one file per parameter)")
    parser.add_argument("--onednn", choices=("auto", "on", "off"), default="auto")
    parser.add_argument("--threads", type=int, default=1, help="CPU math library threads (default 1)")
    parser.add_argument("--ir-optim", type=on_off, default=True, metavar="on|off", help="default on")
    parser.add_argument("--memory-optim", type=on_off, default=False, metavar="on|off", help="default off")
    parser.add_argument("--input", action="append", type=parse_input, default=[], metavar="NAME=FILE.npy")
    parser.add_argument("--output", type=Path, help="folder for the output .npy files")
    parser.add_argument("--info", action="store_true", help="print the model's metadata and exit")
    args = parser.parse_args(argv)
    if (args.program is None) == (args.dir is None):
        parser.error("give either --program (with --params) or --dir")
    if args.dir is not None and args.params is not None:
        parser.error("--params goes with --program, not --dir")
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    if not args.info and args.output is None:
        parser.error("--output is required (or --info)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    model = oracle.ModelRef(program=args.program and str(Path(args.program).resolve()),
                            params=args.params and str(Path(args.params).resolve()),
                            dir=None if args.program else str(Path(args.dir).resolve()))
    onednn = None if args.onednn == "auto" else args.onednn == "on"
    settings = oracle.Settings(args.threads, onednn, args.ir_optim, args.memory_optim).resolved(model)
    try:
        if args.info:
            report = oracle.probe_io(model, settings)
        inputs = []
        for name, path in args.input:
            array, dtype = oracle.load_npy(path)
            inputs.append(oracle.Tensor(name, dtype, array))
        if not args.info:
            result = oracle.run(model, settings, inputs)
    except (oracle.OracleError, OSError, ValueError) as error:
        print(f"run_oracle: error: {error}", file=sys.stderr)
        return 1
    if args.info:
        print(json.dumps({"model": model.manifest(), "config": settings.manifest(), **report}, indent=1))
        return 0

    args.output.mkdir(parents=True, exist_ok=True)
    index = []
    for out, stem in zip(result.outputs, oracle.file_stems([o.name for o in result.outputs])):
        path = args.output / f"{stem}.npy"
        oracle.save_npy(path, out.array, out.dtype)
        index.append({"name": out.name, "dtype": out.dtype, "shape": list(out.array.shape), "file": path.name})
        print(f"{out.name}\t{out.dtype}\t{list(out.array.shape)}\t{path}")
    summary = {"model": model.manifest(), "config": settings.manifest(), "oracle_api": result.api,
               "outputs": index}
    (args.output / "outputs.json").write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
