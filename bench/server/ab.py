"""Two builds of `paddle-swift serve` side by side: the server figures of docs/benchmarks.md section 5 must not drop
by more than 3 % across a refactoring (issue 14). Both servers run at once on the same repository; wrk loads them
in turn, point by point, over several rounds (alternating which goes first), and the medians are compared. Server
CPU time per request is reported too: other load on the machine disturbs it less than QPS.

    python3 bench/server/ab.py BEFORE_BINARY AFTER_BINARY [--rounds 5] [--seconds 4]

Run it through bench/server/ab.sh (the benchmark lock, wrk installed). Writes bench/out/server-ab.json.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import server_bench as sb  # noqa: E402  (the same servers, bodies and wrk driver as section 5)

POINTS = [("tiny", "binary", 1), ("tiny", "binary", 8), ("tiny", "binary", 32), ("tiny", "json", 32),
          ("rec_v4", "binary", 2), ("rec_v4", "binary", 8)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4)
    args = parser.parse_args()
    sb.WORK.mkdir(parents=True, exist_ok=True)
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "rounds": args.rounds,
               "seconds": args.seconds, "points": {}}
    for key in ["tiny", "rec_v4"]:
        m = sb.MODELS[key]
        bodies = sb.write_bodies(key)
        repo = sb.swift_repository(f"ab-{key}", {m["name"]: m["dir"]})
        servers = {"before": sb.start_swift(args.before, repo, "before", f"ab-before-{key}"),
                   "after": sb.start_swift(args.after, repo, "after", f"ab-after-{key}")}
        try:
            for s in servers.values():
                s.ready()
            same = sb.check_same_outputs(list(servers.values()), m["name"], bodies["binary"])
            sb.log(f"{key}: both builds answer alike (max |diff| {same['maxAbsDiff']:.2e})")
            for s in servers.values():
                sb.wrk(s, m["name"], bodies["binary"], 4, 1)
            for round_index in range(args.rounds):
                for point in [p for p in POINTS if p[0] == key]:
                    _, body, connections = point
                    order = ["before", "after"] if round_index % 2 == 0 else ["after", "before"]
                    for side in order:
                        r = sb.wrk(servers[side], m["name"], bodies[body], connections, args.seconds)
                        if r["errors"]:
                            raise RuntimeError(f"{side} {point}: {r['errors']} errors")
                        entry = results["points"].setdefault(f"{key} {body} c={connections}", {"before": [], "after": []})
                        entry[side].append({"qps": r["qps"], "cpuUs": r["serverCpuUsPerRequest"],
                                            "p99Ms": r["latencyMs"]["p99"]})
                sb.log(f"{key}: round {round_index + 1} of {args.rounds} done")
        finally:
            for s in servers.values():
                s.stop()
    results["loadAverage"] = {"before": load_before, "after": Path("/proc/loadavg").read_text().split()[:3]}
    out = sb.ROOT / "bench/out/server-ab.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"Both builds at once, {args.rounds} interleaved rounds of {args.seconds:g} s per point, medians; "
          f"load average {' '.join(load_before)} / {' '.join(results['loadAverage']['after'])}.\n")
    print("| point | before QPS | after QPS | after / before | before CPU µs/req | after CPU µs/req | after / before |")
    print("|---|---|---|---|---|---|---|")
    for name, entry in results["points"].items():
        qb = statistics.median(x["qps"] for x in entry["before"])
        qa = statistics.median(x["qps"] for x in entry["after"])
        cb = statistics.median(x["cpuUs"] for x in entry["before"])
        ca = statistics.median(x["cpuUs"] for x in entry["after"])
        print(f"| {name} | {qb:.1f} | {qa:.1f} | {qa / qb:.3f}x | {cb:.0f} | {ca:.0f} | {ca / cb:.3f}x |")


if __name__ == "__main__":
    main()
