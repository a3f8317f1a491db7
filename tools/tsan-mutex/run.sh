#!/usr/bin/env bash
# Builds tools/tsan-mutex with ThreadSanitizer and runs it 3 times with each lock; prints the number of TSan
# reports per run. The program is race-free, so every report is a false positive of that lock under TSan.
# About a minute. Used for docs/fuzzing.md ("Sanitizers").
set -euo pipefail
cd "$(dirname "$0")"
swift build -c debug --sanitize=thread --scratch-path "${TMPDIR:-/tmp}/tsan-mutex-build" >/dev/null
binary="${TMPDIR:-/tmp}/tsan-mutex-build/debug/TSanMutex"
for mode in mutex nslock; do
    for run in 1 2 3; do
        reports=$(TSAN_OPTIONS=halt_on_error=0 "$binary" "$mode" 2>&1 | grep -c 'WARNING: ThreadSanitizer' || true)
        echo "$mode run $run: $reports ThreadSanitizer report(s)"
    done
done
