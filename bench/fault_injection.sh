#!/usr/bin/env bash
# The randomized fault-injection run whose figures RELIABILITY.md records: tests/faults.rs with
# ROUNDS random byte flips and truncations per file of a run (every checkpoint) and of a
# dataset, and ROUNDS random kill -9 points, besides the fixed faults `cargo test` injects.
#
#   bench/fault_injection.sh [ROUNDS] [SEED]      (defaults: 20, 1)
#
# Prints the summary lines and the wall time; runs the tests one at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
seed=${2:-1}
echo "fault injection: $rounds random rounds, seed $seed, $(date -u +%F), load $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)
LIMBIC_FAULT_ROUNDS=$rounds LIMBIC_FAULT_SEED=$seed \
  cargo test --release --test faults -- --nocapture --test-threads 1 2>&1 | grep -E "faults injected|test result|LOST|unclear"
echo "wall time $(( $(date +%s) - start )) s, load $(cut -d' ' -f1-3 /proc/loadavg)"
