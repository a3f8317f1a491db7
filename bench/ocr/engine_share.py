"""How much of an OCR peer's time per image is the inference engine's, and what that bounds.

Runs RapidOCR-paddle 1.4.5 and rapidocr-onnxruntime 1.4.4 on the shared images with ONE engine thread (the layout of
the peer servers: 2 uvicorn workers x 1 thread on 2 cores), and times, per image, the whole call and the time spent
inside the engine sessions (RapidOCR's `*InferSession.__call__`: input copy, the engine's run, output copy). Same
warm-up and REPEAT-median rule as rapidocr_timing.py; the engines run in turn (paddle, onnxruntime, then reversed).

Why: `paddle-swift` runs the same PP-OCRv4 models in the same Paddle engine as RapidOCR-paddle, on the same input
tensors (its outputs are identical), so its engine seconds per image are at least RapidOCR-paddle's engine
seconds. A server that keeps both cores busy serves at most cores / (CPU seconds per image) images per second, so
the most paddle-swift can gain over a peer server with the same number of busy cores is

    peer seconds per image / paddle engine seconds per image

with everything outside the engine (decode, resize, contours, crops, CTC, HTTP) taken down to zero. The script
prints that bound for each peer.

    python engine_share.py IMAGES_DIR [--repeat 5] [--rounds 2] [--threads 1] [--out bench/out/ocr-engine-share.json]
"""
import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time


def child(args):
    """One engine in this process: per image the median whole-call and in-engine seconds."""
    spent = [0.0]
    package = "rapidocr_paddle" if args.engine == "paddle" else "rapidocr_onnxruntime"
    patched = []
    for module_name in (f"{package}.utils", f"{package}.utils.infer_engine", f"{package}.infer_engine"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in dir(module):
            cls = getattr(module, name)
            # A class re-exported by several modules is patched once (twice would count its time twice).
            if (isinstance(cls, type) and name.endswith("InferSession") and "__call__" in cls.__dict__
                    and not getattr(cls.__dict__["__call__"], "_engine_share_timed", False)):
                original = cls.__dict__["__call__"]

                def timed(self, *a, _original=original, **k):
                    start = time.perf_counter()
                    try:
                        return _original(self, *a, **k)
                    finally:
                        spent[0] += time.perf_counter() - start

                timed._engine_share_timed = True
                cls.__call__ = timed
                patched.append(f"{module_name}.{name}")
    if not patched:
        sys.exit(f"engine_share: found no *InferSession class in {package} to time")
    if args.engine == "paddle":
        from rapidocr_paddle import RapidOCR

        engine = RapidOCR(cpu_math_library_num_threads=args.threads)
    else:
        from rapidocr_onnxruntime import RapidOCR

        engine = RapidOCR(intra_op_num_threads=args.threads, inter_op_num_threads=1)
    names = sorted(n for n in os.listdir(args.images_dir) if n.lower().endswith((".jpg", ".jpeg", ".png")))
    out = {"engine": args.engine, "threads": args.threads, "timed": patched, "images": {}}
    for name in names:
        path = os.path.join(args.images_dir, name)
        engine(path)  # warm-up
        totals, inside = [], []
        for _ in range(args.repeat):
            spent[0] = 0.0
            start = time.perf_counter()
            engine(path)
            totals.append(time.perf_counter() - start)
            inside.append(spent[0])
        out["images"][name] = {"total_s": statistics.median(totals), "engine_s": statistics.median(inside)}
    print(json.dumps(out))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("images_dir")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--engine", choices=["paddle", "onnxruntime"], help=argparse.SUPPRESS)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "out", "ocr-engine-share.json"))
    args = parser.parse_args()
    if args.engine:
        return child(args)
    runs = {"paddle": [], "onnxruntime": []}
    for r in range(args.rounds):
        for engine in (["paddle", "onnxruntime"] if r % 2 == 0 else ["onnxruntime", "paddle"]):
            print(f"[engine-share] round {r + 1}: {engine}", file=sys.stderr, flush=True)
            text = subprocess.run([sys.executable, __file__, args.images_dir, "--engine", engine, "--repeat",
                                   str(args.repeat), "--threads", str(args.threads)],
                                  capture_output=True, text=True, check=True).stdout
            runs[engine].append(json.loads(text.strip().splitlines()[-1]))
    result = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "threads": args.threads,
              "repeat": args.repeat, "rounds": args.rounds, "engines": {}}
    for engine, rounds in runs.items():
        names = rounds[0]["images"].keys()
        # Each image keeps its lower median over the rounds (background load only adds time).
        total = {n: min(r["images"][n]["total_s"] for r in rounds) for n in names}
        inside = {n: min(r["images"][n]["engine_s"] for r in rounds) for n in names}
        result["engines"][engine] = {"timed": rounds[0]["timed"], "total_s": total, "engine_s": inside,
                                     "mean_total_s": statistics.mean(total.values()),
                                     "mean_engine_s": statistics.mean(inside.values())}
    paddle_engine = result["engines"]["paddle"]["mean_engine_s"]
    for engine, entry in result["engines"].items():
        entry["engine_share"] = entry["mean_engine_s"] / entry["mean_total_s"]
        entry["bound_vs_paddle_engine"] = entry["mean_total_s"] / paddle_engine
        print(f"[engine-share] {engine}: {entry['mean_total_s']:.3f} s/image, {entry['mean_engine_s']:.3f} s in the "
              f"engine ({entry['engine_share']:.0%}); most a Paddle-engine server can gain over it: "
              f"{entry['bound_vs_paddle_engine']:.2f}x", file=sys.stderr)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
