#!/usr/bin/env bash
# DRLHP with synthetic teachers: the final true return of `limbic train --reward preferences`
# (PPO, the env's preset) against the label budget, and PPO on the true reward, per seed.
#   bench/feedback_drlhp.sh budgets ENV "50 100 200 500" "1 2 3" [TEACHER]
#   bench/feedback_drlhp.sh teachers ENV BUDGET "1 2" "oracle stochastic myopic skipping equal mistake"
# Prints one JSON line per run ({env, teacher, labels, seed, mean_return, seconds}); the
# budget 0 row is PPO on the env's reward. Runs go to $RUNS (default a temporary folder).
# Other processes share the cores: the load average is printed with each line.
set -euo pipefail
cd "$(dirname "$0")/.."
LIMBIC=${LIMBIC:-${CARGO_TARGET_DIR:-target}/release/limbic}
MODE=$1; ENV=$2
RUNS=${RUNS:-$(mktemp -d)}
run() { # teacher labels seed
    local out="$RUNS/$ENV-$1-$2-seed$3" start end
    start=$(date +%s.%N)
    if [ "$2" = 0 ]; then
        "$LIMBIC" train --env "$ENV" --seed "$3" --out "$out" --force -q > /dev/null
    else
        "$LIMBIC" train --env "$ENV" --seed "$3" --reward preferences --teacher "$1" --labels "$2" \
            --out "$out" --force -q > /dev/null
    fi
    end=$(date +%s.%N)
    python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print(json.dumps({"env": sys.argv[2], "teacher": sys.argv[3], "labels": int(sys.argv[4]), "seed": int(sys.argv[5]), "mean_return": e["mean_return"], "seconds": round(float(sys.argv[6]), 1), "load": open("/proc/loadavg").read().split()[0]}))' \
        "$out/eval.json" "$ENV" "$1" "$2" "$3" "$(echo "$end - $start" | bc)"
}
case "$MODE" in
    budgets)
        for seed in $4; do
            run true 0 "$seed"
            for labels in $3; do run "${5:-oracle}" "$labels" "$seed"; done
        done ;;
    teachers)
        for seed in $4; do
            for teacher in $5; do run "$teacher" "$3" "$seed"; done
        done ;;
    *) echo "usage: $0 budgets|teachers ..." >&2; exit 2 ;;
esac
