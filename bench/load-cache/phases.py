#!/usr/bin/env python3
"""Where a model load's time goes inside Paddle Inference 3.3.1 (issue 15, "Measure first").

Runs the engine (Python paddle.inference, the same libpaddle.so as the Swift binding) in a child process with glog
INFO on, stamps every line the engine prints on stderr as it arrives, and splits loads after the process's first
(which pays one-time engine set-up) into phases, using the engine's own pass banners as boundaries:
  program parse + variables   create() start -> "ir_graph_build_pass"
  graph build + weight read   "ir_graph_build_pass" -> "ir_analysis_pass"
  IR passes                   "ir_analysis_pass" -> "ir_params_sync_among_devices_pass" (fusion, oneDNN placement)
  other analysis passes       -> "ir_graph_to_program_pass" (includes memory_optimize_pass)
  graph -> program, executor  -> create() end
  first run                   includes oneDNN primitive creation (the warm-up)
PIR (.json) models print PIR pass banners instead; their load is reported as one create() phase. It prints the
phases of the load whose total is the median of REPEATS loads (the child stamps its own marks; engine lines are
stamped when they arrive, so a busy machine blurs the boundaries between engine phases).

  [REPEATS=5] venv-oracle/bin/python bench/load-cache/phases.py PROGRAM PARAMS SHAPE [--optimized-cache DIR]

SHAPE is like 1x3x48x320. With --optimized-cache, the measured load reads the engine's optimized program from DIR
(saved there first if missing), with the IR passes off, as Config.optimizationCache does.
"""
import datetime
import os
import re
import subprocess
import sys
import time

REPEATS = int(os.environ.get("REPEATS", "5"))


def child(prog, params, shape, cache):
    import numpy as np
    import paddle.inference as pi

    pdmodel = prog.endswith(".pdmodel")

    def mark(text):
        # The child's own CLOCK_MONOTONIC stamp (the parent's clock too), exact whenever the parent reads it.
        print(f"MARK {time.monotonic():.6f} {text}", file=sys.stderr, flush=True)

    def config(quiet, mode):
        c = pi.Config(prog, params)
        c.disable_gpu()
        c.set_cpu_math_library_num_threads(1)
        if pdmodel:  # the binding's defaults: oneDNN and memory optimisation on for ProgramDesc, off for PIR
            c.enable_mkldnn()
            c.enable_memory_optim(True)
        else:
            c.disable_mkldnn()
        if quiet:
            c.disable_glog_info()
        if mode == "save":
            c.set_optim_cache_dir(cache)
            c.enable_save_optim_model(True)
        elif mode == "use":
            c.set_optim_cache_dir(cache)
            c.use_optimized_model(True)
            c.switch_ir_optim(False)
        return c

    def load(quiet, mode, marks):
        c = config(quiet, mode)
        if marks:
            mark("create begin")
        p = pi.create_predictor(c)
        if marks:
            mark("create end")
        h = p.get_input_handle(p.get_input_names()[0])
        x = np.random.RandomState(0).rand(*shape).astype("float32")
        h.reshape(shape)
        h.copy_from_cpu(x)
        p.run()
        if marks:
            mark("first run end")
        p.run()
        if marks:
            mark("second run end")

    if cache and not os.path.exists(os.path.join(cache, "_optimized.pdiparams")):
        load(True, "save", False)
    load(True, "none", False)  # one-time engine set-up
    for _ in range(REPEATS):
        load(False, "use" if cache else "none", True)


def parent(prog, params, shape, cache):
    cmd = [sys.executable, "-u", __file__, "--child", prog, params, "x".join(map(str, shape))]
    if cache:
        cmd += ["--optimized-cache", cache]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    rows, pending = [], b""
    while True:  # raw reads, stamped on arrival
        chunk = os.read(proc.stderr.fileno(), 1 << 16)
        if not chunk:
            break
        stamp = time.monotonic()
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            line = re.sub(r"\x1b\[[0-9;]*m", "", raw.decode(errors="replace").rstrip())
            mark = re.match(r"MARK ([\d.]+) ", line)
            if mark:
                rows.append((float(mark.group(1)), line))
            elif line.strip() and "warn" not in line.lower():
                rows.append((stamp, line))
    if proc.wait() != 0:
        sys.exit("\n".join(l for _, l in rows[-20:]))
    starts = [i for i, (_, l) in enumerate(rows) if " create begin" in l]
    segments = [rows[a:b] for a, b in zip(starts, starts[1:] + [len(rows)])]
    measured = [phases_of([(1e3 * (t - seg[0][0]), l) for t, l in seg]) for seg in segments]
    # The load whose total is the median, so that its phases add up.
    total = lambda m: dict(m)["total to first answer"]
    chosen = sorted(measured, key=total)[len(measured) // 2]
    print(f"{os.path.basename(os.path.dirname(prog))}/{os.path.basename(prog)}"
          f"{' from the optimized-program cache' if cache else ''} (the median of {len(measured)} loads; totals "
          f"{', '.join(f'{total(m):.1f}' for m in sorted(measured, key=total))} ms)")
    for name, ms in chosen:
        print(f"  {name:55s} {ms:9.1f} ms")


def phases_of(rows):
    def at(text):
        return next((t for t, l in rows if text in l), None)

    create_end, first, second = at(" create end"), at(" first run end"), at(" second run end")
    phases = []
    if at("ir_graph_build_pass") is not None:
        build, analysis = at("ir_graph_build_pass"), at("ir_analysis_pass")
        sync, to_program = at("ir_params_sync_among_devices_pass"), at("ir_graph_to_program_pass")
        phases += [
            ("program parse + variables", build),
            ("graph build + weight read", analysis - build),
            (f"IR passes ({sum('Running IR pass' in l for _, l in rows)} passes)", sync - analysis),
            ("other analysis passes (incl. memory_optimize_pass)", to_program - sync),
            ("graph -> program, executor set-up", create_end - to_program),
        ]
    else:
        pir = sum("PIR pass" in l for _, l in rows)
        phases.append((f"create: parse, weights, {pir} PIR passes, executor" if pir else "create (all of it)", create_end))
    phases += [
        ("first run (incl. oneDNN primitive creation)", first - create_end),
        ("total to first answer", first),
        ("(steady run, for comparison)", second - first),
    ]
    return phases


def main():
    args = sys.argv[1:]
    is_child = args and args[0] == "--child"
    if is_child:
        args = args[1:]
    cache = None
    if "--optimized-cache" in args:
        i = args.index("--optimized-cache")
        cache = args[i + 1]
        del args[i : i + 2]
    prog, params, shape = args[0], args[1], [int(d) for d in args[2].split("x")]
    (child if is_child else parent)(prog, params, shape, cache)


if __name__ == "__main__":
    main()
