#!/usr/bin/env bash
# POPGym's environments in limbic against popgym 1.0.7's Python, one after the other on this
# machine: env steps per second of every id under uniformly random actions, and the ratio.
#
#   bench/compare_popgym_throughput.sh [LEVEL|ID ...]     (default: every id of popgym.envs.ALL)
#
# LEVEL is Easy, Medium or Hard (the 14 ids of that level). Environment: PYTHON (default
# /work/venvs/popgym/bin/python, with popgym==1.0.7 and gymnasium==1.4.0), N (sub-envs of the
# vector env, default 64), REPEATS (default 5). Peer: `gym.make(id)` stepped one step at a time in
# Python (how popgym's own FPS figures and its RLlib baselines step). limbic: the same single
# env through `make` (`step`, which builds a Value per step, and `step_into`, the flat row), and a
# `VecEnv` of N sub-envs on one thread. The load average is printed with each side.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/work/venvs/popgym/bin/python}
N=${N:-64}
REPEATS=${REPEATS:-5}
FAMILIES=(Autoencode RepeatPrevious RepeatFirst CountRecall PositionOnlyCartPole VelocityOnlyCartpole
  NoisyPositionOnlyCartPole PositionOnlyPendulum NoisyPositionOnlyPendulum MultiarmedBandit HigherLower
  Battleship Concentration MineSweeper)
IDS=()
for arg in "${@:-Easy Medium Hard}"; do
  for word in $arg; do
    case "$word" in
      Easy|Medium|Hard) for f in "${FAMILIES[@]}"; do IDS+=("popgym-$f$word-v0"); done ;;
      *) IDS+=("$word") ;;
    esac
  done
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cargo bench --quiet --bench env_throughput -- "${IDS[@]}" --sizes "$N" --repeats "$REPEATS" \
  --modes single,vector --json >"$out/limbic.json"
"$PYTHON" -W ignore bench/gymnasium_throughput.py --import popgym --modes single --ids "${IDS[@]}" \
  --repeats "$REPEATS" --steps 100000 --json >"$out/popgym.json"

"$PYTHON" - "$out/limbic.json" "$out/popgym.json" <<'EOF'
import json
import re
import sys

limbic, peer = (json.load(open(p)) for p in sys.argv[1:3])
print(f"limbic: load before/after {limbic['load_before']} / {limbic['load_after']}; {limbic['cores']} cores")
print(f"popgym 1.0.7 ({peer['library']}, numpy {peer['numpy']}): load before/after "
      f"{peer['load_before']} / {peer['load_after']}")
print("env steps per CPU-second of each process (median of repeats; robust to other load), and per")
print("wall-clock second for the VecEnv; x = limbic / popgym (per CPU-second; wall for 'VecEnv wall')")
print(f"{'id':<42} {'popgym':>10} {'step':>12} {'x':>5} {'step_into':>12} {'x':>5} "
      f"{'VecEnv':>12} {'x':>5} {'VecEnv wall':>12} {'x':>5}")
python = {r["id"]: r for r in peer["rows"]}
ratios = {}
for env_id in dict.fromkeys(r["id"] for r in limbic["rows"]):
    rows = {r["mode"]: r for r in limbic["rows"] if r["id"] == env_id}
    vector = next(m for m in rows if m.startswith("vector"))
    single, fast = rows["single: make, step"]["steps_per_cpu_s"], rows["single: make, step_into"]["steps_per_cpu_s"]
    vec, vec_wall = rows[vector]["steps_per_cpu_s"], rows[vector]["steps_per_s"]
    base, base_wall = python[env_id]["steps_per_cpu_s"], python[env_id]["steps_per_s"]
    family = re.sub(r"(Easy|Medium|Hard)-v0$", "", env_id.removeprefix("popgym-"))
    ratios.setdefault(family, []).append((single / base, fast / base, vec / base, vec_wall / base_wall))
    print(f"{env_id:<42} {base:>10,.0f} {single:>12,.0f} {single / base:>5.0f} {fast:>12,.0f} {fast / base:>5.0f} "
          f"{vec:>12,.0f} {vec / base:>5.0f} {vec_wall:>12,.0f} {vec_wall / base_wall:>5.0f}")
print()
print("per family, the smallest ratio over its levels (step / step_into / VecEnv per CPU-s / VecEnv wall):")
for family, rs in ratios.items():
    lows = [min(r[i] for r in rs) for i in range(4)]
    print(f"  {family:<28} " + " ".join(f"{x:>6.0f}x" for x in lows))
EOF
