"""What p99 at 8 connections an ideal OCR server could reach, from the engine's own time per image (issue 13).

bench/ocr-server's load at C connections is a closed loop: every connection sends the 12 images in turn (each
connection starting at its own offset) and sends the next as soon as an answer comes back, 6 x C requests in all.
This replays that load against an ideal server on 2 cores whose only cost is the engine's single-thread time per
image measured by bench/ocr/engine_share.py (bench/out/ocr-engine-share.json): no decoding, no HTTP, no lock,
perfect use of both cores. It tries the schedules a server could use (first come first served on 2 workers,
shortest or longest image first, processor sharing) and reports each one's images/s, mean and p99, with the
percentile computed exactly as bench/ocr-server does.

    python3 bench/ocr/p99_bound.py [--engine paddle] [--connections 8] [--peer-p99 9.61]

No engine runs here; it is arithmetic on measured times, so it takes well under a second.
"""
import argparse
import heapq
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench/ocr-server"))
from server_bench import percentile  # noqa: E402  (the benchmark's own percentile, so the figures compare)


def workers_schedule(work, names, connections, requests, cores, pick):
    """Non-preemptive: `cores` workers each run one whole request; `pick` chooses among the waiting ones."""
    positions = [i * len(names) // connections for i in range(connections)]
    issued = 0
    waiting = []  # (arrival, connection, name)
    now = 0.0
    free = cores
    running = []  # heap of (finish, connection, arrival)
    latencies = []
    for c in range(connections):
        if issued < requests:
            waiting.append((0.0, c, names[positions[c] % len(names)]))
            positions[c] += 1
            issued += 1
    while waiting or running:
        while free and waiting:
            job = pick(waiting, work)
            waiting.remove(job)
            heapq.heappush(running, (now + work[job[2]], job[1], job[0]))
            free -= 1
        finish, c, arrival = heapq.heappop(running)
        now = finish
        free += 1
        latencies.append(now - arrival)
        if issued < requests:
            waiting.append((now, c, names[positions[c] % len(names)]))
            positions[c] += 1
            issued += 1
    return latencies, now


def processor_sharing(work, names, connections, requests, cores):
    """Every request in the server gets an equal share of the cores (at most one core each)."""
    positions = [i * len(names) // connections for i in range(connections)]
    issued = 0
    active = {}  # connection -> [remaining, arrival]
    now = 0.0
    latencies = []
    for c in range(connections):
        if issued < requests:
            active[c] = [work[names[positions[c] % len(names)]], 0.0]
            positions[c] += 1
            issued += 1
    while active:
        rate = min(1.0, cores / len(active))
        c, (remaining, arrival) = min(active.items(), key=lambda item: item[1][0])
        step = remaining / rate
        now += step
        for job in active.values():
            job[0] -= step * rate
        del active[c]
        latencies.append(now - arrival)
        if issued < requests:
            active[c] = [work[names[positions[c] % len(names)]], now]
            positions[c] += 1
            issued += 1
    return latencies, now


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="paddle", choices=["paddle", "onnxruntime"])
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--peer-p99", type=float, help="the best peer server's measured p99 (s) to compare with")
    args = parser.parse_args()
    share = json.loads((ROOT / "bench/out/ocr-engine-share.json").read_text())
    work = share["engines"][args.engine]["engine_s"]
    names = sorted(work)
    requests = max(24, 6 * args.connections)
    schedules = {
        "first come, first served": lambda w, t: min(w, key=lambda j: (j[0], j[1])),
        "shortest image first": lambda w, t: min(w, key=lambda j: (t[j[2]], j[0])),
        "longest image first": lambda w, t: max(w, key=lambda j: (t[j[2]], -j[0])),
    }
    print(f"Ideal server: {args.cores} cores, engine time only ({args.engine}, one thread per image, "
          f"{len(names)} images, mean {sum(work.values()) / len(work):.3f} s, largest {max(work.values()):.3f} s); "
          f"{args.connections} connections, {requests} requests.\n")
    print("| schedule | images/s | mean s | p99 s |" + (" p99 / peer's |" if args.peer_p99 else ""))
    print("|---|---|---|---|" + ("---|" if args.peer_p99 else ""))
    best = None
    results = {}
    for label, pick in schedules.items():
        results[label] = workers_schedule(work, names, args.connections, requests, args.cores, pick)
    results["processor sharing"] = processor_sharing(work, names, args.connections, requests, args.cores)
    for label, (latencies, wall) in results.items():
        p99 = percentile(latencies, 99)
        best = p99 if best is None else min(best, p99)
        row = f"| {label} | {len(latencies) / wall:.2f} | {sum(latencies) / len(latencies):.2f} | {p99:.2f} |"
        print(row + (f" {p99 / args.peer_p99:.2f}x |" if args.peer_p99 else ""))
    if args.peer_p99:
        print(f"\nLowest p99 of these schedules: {best:.2f} s = {best / args.peer_p99:.2f}x the peer's {args.peer_p99} s "
              f"(target <= 0.5x = {0.5 * args.peer_p99:.2f} s).")


if __name__ == "__main__":
    main()
