#!/usr/bin/env bash
# Builds the DocC documentation of every library target with swift-docc-plugin, into
# .build/docs/<Target>.doccarchive, and fails on any DocC warning (a broken ``symbol`` link, a missing article)
# and on any public declaration without a `///` summary (DocC's documentation coverage).
#
#   scripts/docs.sh                               # every library product's targets
#   DOCS_TARGETS="PaddleOCR" scripts/docs.sh      # only these
#
# The targets are built in debug first (the usual .build, so after `swift build` only the docs are made).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out="$repo/.build/docs"
mkdir -p "$out"

if [[ -n "${DOCS_TARGETS:-}" ]]; then
    targets=$DOCS_TARGETS
else
    # Every target of a library product, from the manifest (so new library targets are documented too).
    targets=$(swift package describe --type json | python3 -c '
import json, sys
package = json.load(sys.stdin)
names = []
for product in package["products"]:
    if "library" in product["type"]:
        names += [t for t in product["targets"] if t not in names]
print(" ".join(names))')
fi

failed=()
for target in $targets; do
    echo "docs: $target" >&2
    archive="$out/$target.doccarchive"
    rm -rf "$archive"
    if ! swift package --allow-writing-to-directory "$out" generate-documentation --target "$target" \
        --disable-indexing --output-path "$archive" --warnings-as-errors --experimental-skip-synthesized-symbols \
        --experimental-documentation-coverage --coverage-summary-level brief; then
        failed+=("$target (DocC warnings or errors above)")
        continue
    fi
    # Public symbols with no documentation at all: DocC's coverage lists each with its abstract's presence.
    if ! python3 - "$archive/documentation-coverage.json" "$target" <<'PY'
import json, sys
path, target = sys.argv[1], sys.argv[2]
entries = json.load(open(path))
# Protocol requirements the compiler synthesises (Equatable, Hashable, Codable, RawRepresentable, Error) have no
# comment to write, nor have the pages of types extended from other modules; every other symbol needs a summary.
# (Default implementations inherited from protocols are left out by --experimental-skip-synthesized-symbols.)
synthesised = {"!=(_:_:)", "==(_:_:)", "hash(into:)", "hashValue", "init(from:)", "encode(to:)", "init(rawValue:)",
               "rawValue", "localizedDescription", "allCases"}
missing = sorted({e["referencePath"].split("/documentation/", 1)[-1] for e in entries
                  if e.get("kind", {}).get("isSymbol") and not e.get("hasAbstract", True)
                  and not e["kind"]["id"].startswith("org.swift.docc.kind.extended")
                  and e.get("title") not in synthesised})
print(f"docs: {target}: {len(entries)} symbols, {len(missing)} without a summary", file=sys.stderr)
for name in missing:
    print(f"  {name}", file=sys.stderr)
sys.exit(1 if missing else 0)
PY
    then
        failed+=("$target (public declarations without ///)")
    fi
done

if ((${#failed[@]})); then
    printf 'docs: failed: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "docs: every target documented; archives in $out" >&2
