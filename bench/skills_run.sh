#!/usr/bin/env bash
# A manager over {a trained run's policy, scripted skills} against flat PPO on DoorKey-5x5.
#   bench/skills_run.sh "0 1 2"
# First trains the skill run: PPO (the MiniGrid preset) on $SKILL_ENV (default
# MiniGrid-Empty-Random-5x5-v0: random start, the goal in the corner, as in DoorKey-5x5) for
# $SKILL_STEPS steps, seed 0: a policy that walks to the goal square. Then per seed the manager
# (PPO + GRU, the same preset, over the library [the run (max 10 steps), pickup:key, unlock:door, drop],
# $MANAGER_STEPS choices) and flat PPO ($FLAT_STEPS frames), each evaluated on $EPISODES
# episodes of its final policy. Prints one JSON line per run ({agent, seed, steps, mean_return,
# success_rate, mean_length (choices for the manager, frames otherwise), seconds, load}).
# Runs go to $RUNS (default a temporary folder); FLAT=0 skips flat PPO.
set -euo pipefail
cd "$(dirname "$0")/.."
LIMBIC=${LIMBIC:-${CARGO_TARGET_DIR:-target}/release/limbic}
SEEDS=${1:-"0 1 2"}
RUNS=${RUNS:-$(mktemp -d)}
SKILL_STEPS=${SKILL_STEPS:-50000}
MANAGER_STEPS=${MANAGER_STEPS:-20000}
FLAT_STEPS=${FLAT_STEPS:-200000}
EPISODES=${EPISODES:-50}
SKILL_ENV=${SKILL_ENV:-MiniGrid-Empty-Random-5x5-v0}
FLAT=${FLAT:-1}
ENV=MiniGrid-DoorKey-5x5-v0
run() { # agent seed steps out env [train args...]
    local agent=$1 seed=$2 steps=$3 out=$4 env=$5 start end
    shift 5
    start=$(date +%s.%N)
    "$LIMBIC" train --env "$env" --algo ppo --seed "$seed" --steps "$steps" --out "$out" --force -q "$@" > /dev/null
    end=$(date +%s.%N)
    "$LIMBIC" eval --run "$out" --checkpoint latest --episodes "$EPISODES" --json > "$out/final-eval.json"
    python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print(json.dumps({"agent": sys.argv[2], "seed": int(sys.argv[3]), "steps": int(sys.argv[4]), "mean_return": round(e["mean_return"], 4), "success_rate": e["success_rate"], "mean_length": e["mean_length"], "seconds": round(float(sys.argv[5]), 1), "load": open("/proc/loadavg").read().split()[0]}))' \
        "$out/final-eval.json" "$agent" "$seed" "$steps" "$(echo "$end - $start" | bc)"
}
run "skill-run on $SKILL_ENV" 0 "$SKILL_STEPS" "$RUNS/skill" "$SKILL_ENV"
LIBRARY="[{\"kind\": \"skills\", \"skills\": [{\"run\": \"$RUNS/skill\", \"max_steps\": 10}, \"pickup:key\", \"unlock:door\", \"drop\"]}]"
for seed in $SEEDS; do
    run manager "$seed" "$MANAGER_STEPS" "$RUNS/manager-$seed" "$ENV" --set "env_wrappers=$LIBRARY" \
        --set 'policy.memory={"kind": "gru"}'
    if [ "$FLAT" = 1 ]; then run flat-ppo "$seed" "$FLAT_STEPS" "$RUNS/flat-$seed" "$ENV"; fi
done
