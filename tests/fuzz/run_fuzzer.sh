#!/usr/bin/env bash
# Runs one libFuzzer binary for $LE_FUZZ_SECONDS (default 60) from its seed corpus, for CTest.
# usage: run_fuzzer.sh FUZZER SEED_CORPUS WORK_DIR [DICT]
# The seed corpus in the source tree is only read; what the run discovers goes to WORK_DIR/found/NAME
# (and is reused by the next run), a crashing input to WORK_DIR/crashes/NAME-crash-<sha1>.
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 dict=${4:-}
name=$(basename "$fuzzer")
seconds=${LE_FUZZ_SECONDS:-60}
mkdir -p "$work/found/$name" "$work/crashes"
args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$work/crashes/$name-")
[ -n "$dict" ] && args+=(-dict="$dict")
echo "$name: fuzzing for $seconds s from $seeds"
exec "$fuzzer" "${args[@]}" "$work/found/$name" "$seeds"
