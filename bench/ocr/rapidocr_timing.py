"""Seconds per image of RapidOCR-paddle 1.4.5 (the baseline of bench section 6) or, with `--engine onnxruntime`,
of rapidocr-onnxruntime 1.4.4 (the same PP-OCRv4 models as ONNX, shipped in its wheel) on a folder of images.

Per image: one warm-up call, then REPEAT timed calls of `engine(path)` (file read and decode included, as in
`paddle-swift ocr --repeat`); prints one JSON object: {"threads", "repeat", "images": {name: {"median_s",
"runs", "lines"}}, "mean_s"} where mean_s is the mean of the per-image medians.

    python rapidocr_timing.py IMAGES_DIR [--engine paddle|onnxruntime] [--threads 2] [--repeat 5] [--images a.jpg,b.jpg]

Threads: paddle's `cpu_math_library_num_threads`; ONNX Runtime's intra-op threads (inter-op 1, sequential).
"""
import argparse
import json
import os
import statistics
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("images_dir")
    parser.add_argument("--engine", choices=["paddle", "onnxruntime"], default="paddle")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--images", default="", help="comma-separated subset (default: every .jpg/.png)")
    args = parser.parse_args()

    # Imported late: loading paddle takes seconds.
    if args.engine == "paddle":
        from rapidocr_paddle import RapidOCR

        engine = RapidOCR(cpu_math_library_num_threads=args.threads)
    else:
        from rapidocr_onnxruntime import RapidOCR

        engine = RapidOCR(intra_op_num_threads=args.threads, inter_op_num_threads=1)
    names = [n for n in args.images.split(",") if n] or sorted(
        n for n in os.listdir(args.images_dir) if n.lower().endswith((".jpg", ".jpeg", ".png")))
    out = {"engine": args.engine, "threads": args.threads, "repeat": args.repeat, "images": {}}
    for name in names:
        path = os.path.join(args.images_dir, name)
        result, _ = engine(path)  # warm-up
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result, _ = engine(path)
            runs.append(time.perf_counter() - start)
        out["images"][name] = {"median_s": statistics.median(runs), "runs": runs, "lines": len(result or [])}
        print(f"rapidocr-{args.engine} {name}: {statistics.median(runs):.3f} s", file=sys.stderr)
    out["mean_s"] = statistics.mean(v["median_s"] for v in out["images"].values())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
