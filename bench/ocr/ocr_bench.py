#!/usr/bin/env python3
"""Section 6 of the benchmark suite: seconds per image of `paddle-swift ocr` against RapidOCR-paddle 1.4.5 and
rapidocr-onnxruntime 1.4.4 (when the venv has it: the same PP-OCRv4 models as ONNX, ONNX Runtime with 2 intra-op
threads).

Both read each of the shared images (../shared/ocr/images) from disk, decode it and run detection, direction
classification and recognition with the same PP-OCRv4 models and 2 CPU threads: RapidOCR with
`cpu_math_library_num_threads=2`; Swift once with the same 1 predictor x 2 threads per model, and once with its
default for 2 cores: 2 predictors x 1 thread for classification and recognition (line batches run two at
a time) and 2 threads for detection (one image at a time). Per image: one warm-up, then
REPEAT timed runs; the median counts. The tools run in the order Swift, paddle, ONNX Runtime, then reversed in
the next round (ABBA) so that background load hits them alike, and each image keeps the lower of its medians per
tool.

    bench/ocr/ocr_bench.py SWIFT_BINARY PYTHON [--repeat 5] [--rounds 2] [--out bench/out/ocr.json]
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SHARED = ROOT.parent / "shared" / "ocr"
ENV = dict(os.environ, GLOG_minloglevel="2",
           PADDLE_INFERENCE_DIR=os.environ.get("PADDLE_INFERENCE_DIR", str(ROOT / ".paddle" / "runtime")))
# (threads per predictor, predictors per model, detection threads, extra options). 2x1 runs without a bound on the
# oneDNN cache (with the default bound, two predictors' runs go one at a time once it is full).
SWIFT_VARIANTS = {"swift_1x2": (2, 1, 2, []), "swift_2x1": (1, 2, 2, ["--onednn-cache", "0"])}


def log(message):
    print(f"[ocr-bench {datetime.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def run_swift(binary, images, repeat, threads, pool, det_threads, extra):
    cmd = [binary, "ocr", "--no-exif", "--json", "--timings", "--repeat", str(repeat), "--threads", str(threads),
           "--pool-size", str(pool), "--det-threads", str(det_threads), *extra] + [str(p) for p in images]
    out = subprocess.run(cmd, env=ENV, capture_output=True, text=True, check=True).stdout
    per = {}
    for line in out.splitlines():
        if line.startswith('{"timings"'):
            t = json.loads(line)["timings"]
            per[Path(t["image"]).name] = {"median_s": t["median_s"], "runs": t["runs"],
                                          "stages_s": {"det": t["det_s"], "cls": t["cls_s"], "rec": t["rec_s"]}}
    return per


def run_python(python, images_dir, names, repeat, engine="paddle"):
    cmd = [python, str(ROOT / "bench/ocr/rapidocr_timing.py"), str(images_dir), "--engine", engine, "--threads", "2",
           "--repeat", str(repeat), "--images", ",".join(names)]
    out = subprocess.run(cmd, env=ENV, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["images"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("swift")
    parser.add_argument("python")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "bench/out/ocr.json"))
    args = parser.parse_args()
    images_dir = SHARED / "images"
    names = sorted(n for n in os.listdir(images_dir) if n.lower().endswith((".jpg", ".png")))
    images = [images_dir / n for n in names]
    load_before = os.getloadavg()
    has_onnx = subprocess.run([args.python, "-c", "import rapidocr_onnxruntime"], capture_output=True).returncode == 0
    tools = ["swift", "python", *(["onnxruntime"] if has_onnx else [])]
    rounds = {k: [] for k in [*tools[1:], *SWIFT_VARIANTS]}
    order = [t for r in range(args.rounds) for t in (tools if r % 2 == 0 else tools[::-1])]
    for side in order:
        if side == "python":
            log(f"RapidOCR, {len(names)} images x {args.repeat}")
            rounds["python"].append(run_python(args.python, images_dir, names, args.repeat))
        elif side == "onnxruntime":
            log(f"rapidocr-onnxruntime, {len(names)} images x {args.repeat}")
            rounds["onnxruntime"].append(run_python(args.python, images_dir, names, args.repeat, "onnxruntime"))
        else:
            for key, (threads, pool, det_threads, extra) in SWIFT_VARIANTS.items():
                log(f"paddle-swift ocr {key}, {len(names)} images x {args.repeat}")
                rounds[key].append(run_swift(args.swift, images, args.repeat, threads, pool, det_threads, extra))
    result = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "repeat": args.repeat,
              "rounds": args.rounds, "images": names, "loadBefore": [f"{x:.2f}" for x in load_before],
              "loadAfter": [f"{x:.2f}" for x in os.getloadavg()], "raw": rounds, "perImage": {}}
    for key, runs in rounds.items():
        result["perImage"][key] = {n: min(r[n]["median_s"] for r in runs) for n in names}
        result[key + "_mean_s"] = statistics.mean(result["perImage"][key].values())
    reference = {}
    for n in names:
        ref = SHARED / "reference" / f"{n}.json"
        if ref.exists():
            reference[n] = json.loads(ref.read_text()).get("timing", {}).get("median_s")
    result["referenceMedian_s"] = reference
    Path(args.out).write_text(json.dumps(result, indent=1))
    py = result["python_mean_s"]
    for key in [*SWIFT_VARIANTS, *(["onnxruntime"] if has_onnx else [])]:
        log(f"{key}: {result[key + '_mean_s']:.3f} s/image vs RapidOCR {py:.3f} -> {result[key + '_mean_s'] / py:.2f}x")


if __name__ == "__main__":
    main()
