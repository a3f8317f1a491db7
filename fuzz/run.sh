#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/Package.swift with -sanitize=fuzzer,address and runs each for N seconds,
# one after the other, on its committed seeds (fuzz/corpus/<target>/, regressions/ included).
#
#   fuzz/run.sh [--seconds N] [--target NAME]... [--keep-corpus]
#
# Each run is bounded: -max_total_time=N, -timeout=10 (a hang), -rss_limit_mb=2048 and -malloc_limit_mb=1024
# (an over-allocation). A crash, hang, over-allocation, leak or failed build fails the run; what libFuzzer saved
# is in fuzz/.fuzz-work/artifacts/<target>/ and its log in fuzz/.fuzz-work/<target>.log. New inputs go to
# fuzz/.fuzz-work/corpus/<target>/ (emptied first unless --keep-corpus), never into the committed seeds.
# Ends with "fuzz: N passed, M failed" and exits non-zero when M > 0.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
seconds=60
keep=0
targets=()
all_targets=(FuzzJSON FuzzKServeRequest FuzzMultipart FuzzImage FuzzNPY FuzzConfigYAML FuzzManifest)
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --seconds=*) seconds="${1#*=}"; shift ;;
        --target) targets+=("$2"); shift 2 ;;
        --target=*) targets+=("${1#*=}"); shift ;;
        --keep-corpus) keep=1; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "fuzz/run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case "$seconds" in ''|*[!0-9]*) echo "fuzz/run.sh: --seconds needs a whole number" >&2; exit 2 ;; esac
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

# The project's C targets link libjpeg-turbo and libpng (scripts/setup.sh installs them too).
missing=()
for package in libjpeg62-turbo-dev libpng-dev; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "fuzz: installing ${missing[*]}"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/dev/null \
        || { echo "fuzz: cannot install ${missing[*]}" >&2; echo "fuzz: 0 passed, ${#targets[@]} failed"; exit 1; }
fi

# libFuzzer's runtime ships with the Swift toolchain (clang's resource folder, lib/clang/*/lib/linux/).
toolchain="$(dirname "$(readlink -f "$(command -v swiftc)")")/.."
if ! ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
    echo "fuzz: the Swift toolchain at $toolchain has no libclang_rt.fuzzer-x86_64.a: -sanitize=fuzzer cannot link" >&2
    echo "fuzz: 0 passed, ${#targets[@]} failed"
    exit 1
fi

cd "$here"
work="$here/.fuzz-work"
mkdir -p "$work"
build_log="$work/build.log"
echo "fuzz: building ${#targets[@]} target(s) with -sanitize=fuzzer,address (log: $build_log)"
build_start=$SECONDS
if ! swift build --scratch-path "$here/.build-fuzz" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
    -Xcc -fsanitize=fuzzer-no-link,address >"$build_log" 2>&1; then
    grep -E "error:" "$build_log" | grep -v "Cannot export" | head -20 >&2
    echo "fuzz: the build failed"
    echo "fuzz: 0 passed, ${#targets[@]} failed"
    exit 1
fi
echo "fuzz: built in $((SECONDS - build_start)) s"
bin="$(swift build --scratch-path "$here/.build-fuzz" --show-bin-path \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xcc -fsanitize=fuzzer-no-link,address)"

passed=0
failed=0
printf '%-20s %8s %12s %10s %8s %8s  %s\n' target seconds execs exec/s corpus rss_mb result
for target in "${targets[@]}"; do
    corpus="$work/corpus/$target"
    artifacts="$work/artifacts/$target"
    log="$work/$target.log"
    [ $keep = 1 ] || rm -rf "$corpus"
    rm -rf "$artifacts"
    mkdir -p "$corpus" "$artifacts" "$here/corpus/$target"
    max_len=4096
    [ "$target" = FuzzImage ] && max_len=16384
    start=$SECONDS
    # Leaks count as failures too; the seeds (with regressions/, read recursively) are replayed first.
    SWIFT_BACKTRACE=enable=no LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0" \
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=1:allocator_may_return_null=0" \
        "$bin/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$artifacts/" \
        "$corpus" "$here/corpus/$target" >"$log" 2>&1
    status=$?
    elapsed=$((SECONDS - start))
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
    rate="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
    rss="$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
    units="$(find "$corpus" "$here/corpus/$target" -type f | wc -l)"
    if [ $status -eq 0 ] && [ -z "$(ls -A "$artifacts")" ]; then
        result=ok
        passed=$((passed + 1))
    else
        result="FAILED (exit $status; $(grep -m1 -oE 'ERROR: [A-Za-z]+: [^ ]+|Fatal error: .*|deadly signal|timeout after [0-9]+ seconds|out-of-memory \(.*\)|detected memory leaks' "$log" || echo 'see log'))"
        failed=$((failed + 1))
        ls "$artifacts" | sed "s|^|  artifact: fuzz/.fuzz-work/artifacts/$target/|"
    fi
    printf '%-20s %8s %12s %10s %8s %8s  %s\n' "$target" "$elapsed" "${execs:-?}" "${rate:-?}" "$units" "${rss:-?}" "$result"
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
