#!/usr/bin/env bash
# PEBBLE's relabelling on and off: SAC on Pendulum-v1 (or any off-policy run) learning from a
# synthetic teacher's preferences, the final true return per seed.
#   bench/feedback_pebble.sh ENV ALGO STEPS LABELS INTERVAL "1 2 3" [TEACHER]
# e.g. bench/feedback_pebble.sh Pendulum-v1 sac 8000 100 1000 "1 2 3"
# Prints one JSON line per run ({env, algo, relabel, labels, seed, mean_return, relabelled,
# seconds, load}); `relabelled` sums `feedback/preferences/relabelled` over the run. Runs go to
# $RUNS (default a temporary folder). Other processes share the cores: the load is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
LIMBIC=${LIMBIC:-${CARGO_TARGET_DIR:-target}/release/limbic}
ENV=$1; ALGO=$2; STEPS=$3; LABELS=$4; INTERVAL=$5; SEEDS=$6; TEACHER=${7:-oracle}
RUNS=${RUNS:-$(mktemp -d)}
for seed in $SEEDS; do
    for relabel in true false; do
        out="$RUNS/$ENV-$ALGO-relabel-$relabel-seed$seed"
        rewards="[{\"name\":\"preferences\",\"params\":{\"interval\":$INTERVAL,\"relabel\":$relabel}},{\"name\":\"extrinsic\",\"weight\":0}]"
        start=$(date +%s.%N)
        "$LIMBIC" train --env "$ENV" --algo "$ALGO" --steps "$STEPS" --seed "$seed" --teacher "$TEACHER" \
            --labels "$LABELS" --set "rewards=$rewards" --out "$out" --force -q > /dev/null
        end=$(date +%s.%N)
        python3 - "$out" "$ENV" "$ALGO" "$relabel" "$LABELS" "$seed" "$(echo "$end - $start" | bc)" <<'PY'
import json, sys
out, env, algo, relabel, labels, seed, seconds = sys.argv[1:]
evaluation = json.load(open(f"{out}/eval.json"))
lines = [json.loads(l) for l in open(f"{out}/metrics.jsonl")]
relabelled = sum(l.get("feedback/preferences/relabelled", 0) for l in lines)
print(json.dumps({"env": env, "algo": algo, "relabel": relabel == "true", "labels": int(labels), "seed": int(seed),
                  "mean_return": evaluation["mean_return"], "relabelled": relabelled,
                  "seconds": round(float(seconds), 1), "load": open("/proc/loadavg").read().split()[0]}))
PY
    done
done
