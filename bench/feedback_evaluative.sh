#!/usr/bin/env bash
# Evaluative feedback (TAMER, COACH) taught by the `expert` teacher (+1 where the action
# shortened the scripted expert's plan, -1 where not) against PPO on the env's reward: env
# steps, episodes and labels until 0.9 success, per seed. One training at a time.
#   bench/feedback_evaluative.sh ENV "1 2 3" ppo tamer:32:1000 coach:8:3000:0.99
# A setting MODE:EVERY:BUDGET[:GAMMA] is `--set rewards=[evaluative {mode, every, budget, credit
# [0, 0], teacher expert} on a stream of its own with GAMMA (default 0: TAMER's and COACH's
# myopic setting), extrinsic weighted 0]`; `ppo` is the
# preset alone. STEPS (default the preset's) and EVAL_EVERY (default 5000) apply to all;
# OBS_NORM (default true) standardizes the rows TAMER's model reads.
# Prints one JSON line per run (bench/feedback_to_success.py); runs go to $RUNS.
set -euo pipefail
cd "$(dirname "$0")/.."
LIMBIC=${LIMBIC:-${CARGO_TARGET_DIR:-target}/release/limbic}
ENV=$1; SEEDS=$2; shift 2
RUNS=${RUNS:-$(mktemp -d)}
for seed in $SEEDS; do
    for setting in "$@"; do
        out="$RUNS/$ENV-${setting//:/-}-seed$seed"
        flags=(--env "$ENV" --seed "$seed" --out "$out" --force -q --set "eval_every=${EVAL_EVERY:-5000}")
        [ -n "${STEPS:-}" ] && flags+=(--steps "$STEPS")
        if [ "$setting" != ppo ]; then
            IFS=: read -r mode every budget gamma <<< "$setting"
            params="{\"mode\":\"$mode\",\"every\":$every,\"budget\":$budget,\"credit\":[0,0],\"teacher\":\"expert\"}"
            flags+=(--set "rewards=[{\"name\":\"evaluative\",\"stream\":\"own\",\"gamma\":${gamma:-0},\"obs_norm\":${OBS_NORM:-true},\"params\":$params},{\"name\":\"extrinsic\",\"weight\":0}]")
        fi
        start=$(date +%s.%N)
        RAYON_NUM_THREADS=1 nice -n 5 "$LIMBIC" train "${flags[@]}" > /dev/null
        end=$(date +%s.%N)
        python3 bench/feedback_to_success.py "$out" "$ENV" "$setting" "$seed" "$(echo "$end - $start" | bc)"
    done
done
