#!/usr/bin/env python3
"""Scores `paddle-swift waybill --json` output against the generator's ground truth, field by field.

    python3 bench/waybill/score.py WAYBILLS_DIR OUTPUT.jsonl [--timings TIMINGS.jsonl]

Prints per-field accuracy (the issue's targets beside them), accuracy by photo condition (turn, handwriting, blur,
JPEG quality), each failure, and with --timings (lines of `paddle-swift ocr --json --timings`) the share of the
direction-classification stage in the OCR time.
"""
import json
import sys
from collections import defaultdict
from pathlib import Path

TARGETS = {"waybill_number": 0.99, "phone": 0.98, "name": 0.95, "province": 0.97, "city": 0.97, "district": 0.97,
           "detail": 0.90}


def main():
    folder, output = Path(sys.argv[1]), Path(sys.argv[2])
    tally = defaultdict(lambda: [0, 0])
    by_condition = defaultdict(lambda: [0, 0])
    failures = []
    for line in output.read_text(encoding="utf-8").splitlines():
        w = json.loads(line)
        name = Path(w["image"]).name
        t = json.loads((folder / name.replace(".jpg", ".json")).read_text(encoding="utf-8"))
        m = t["meta"]

        def check(field, ok, what):
            tally[field][1] += 1
            tally[field][0] += ok
            if not ok:
                failures.append(f"{name} [{m['layout']}, turn {m['turn']}, {m['font']}{', hand' if m['handwriting'] else ''}, "
                                f"blur {m['blur']}, q{m['quality']}] {field}: {what}")
            return ok

        all_ok = True
        all_ok &= check("waybill_number", w["waybill_number"] == t["waybill_number"], f"{w['waybill_number']} vs {t['waybill_number']}")
        check("carrier", (w["carrier"] or {}).get("code") == t["carrier"]["code"], f"{w['carrier']} vs {t['carrier']['code']}")
        for role in ("receiver", "sender"):
            p = w[role] or {}
            a = p.get("address") or {}
            tp = t[role]
            all_ok &= check("phone", p.get("phone") == tp["phone"], f"{role} {p.get('phone')} vs {tp['phone']}")
            all_ok &= check("name", p.get("name") == tp["name"], f"{role} {p.get('name')} vs {tp['name']}")
            for k in ("province", "city", "district", "detail"):
                all_ok &= check(k, a.get(k) == tp["address"][k], f"{role} {a.get(k)} vs {tp['address'][k]} [{a.get('full')}]")
        check("weight_kg", w["weight_kg"] is not None and abs(w["weight_kg"] - t["weight_kg"]) < 1e-9, f"{w['weight_kg']} vs {t['weight_kg']}")
        check("pieces", w["pieces"] == t["pieces"], f"{w['pieces']} vs {t['pieces']}")
        check("date", w["date"] == t["date"], f"{w['date']} vs {t['date']}")
        for cond in (f"turn {m['turn']}", "handwriting" if m["handwriting"] else "print", f"blur {m['blur']}",
                     f"jpeg q{m['quality']}", f"layout {m['layout']}"):
            by_condition[cond][1] += 1
            by_condition[cond][0] += all_ok
    print("| field | correct | accuracy | target |")
    print("| --- | --- | --- | --- |")
    for field, (ok, n) in tally.items():
        target = TARGETS.get(field)
        mark = "" if target is None else (f"≥ {target * 100:.0f} % {'✓' if ok / n >= target else '✗'}")
        print(f"| {field} | {ok}/{n} | {ok / n * 100:.1f} % | {mark} |")
    print()
    print("| photo condition | images with every targeted field right |")
    print("| --- | --- |")
    for cond in sorted(by_condition):
        ok, n = by_condition[cond]
        print(f"| {cond} | {ok}/{n} |")
    print()
    print(f"{len(failures)} failures:")
    for f in failures:
        print("  " + f)
    if "--timings" in sys.argv:
        det = cls = rec = 0.0
        for line in Path(sys.argv[sys.argv.index("--timings") + 1]).read_text().splitlines():
            d = json.loads(line)
            if "timings" in d:
                det += d["timings"]["det_s"]
                cls += d["timings"]["cls_s"]
                rec += d["timings"]["rec_s"]
        total = det + cls + rec
        print(f"\nOCR stages over the set: det {det:.1f} s, cls {cls:.1f} s ({cls / total * 100:.1f} %), rec {rec:.1f} s")


if __name__ == "__main__":
    main()
