#!/usr/bin/env bash
# Runs limbic's and Gymnasium's env-throughput benchmarks on this machine, one after the other,
# and prints them side by side with the ratio limbic / Gymnasium.
#
#   bench/compare_env_throughput.sh [ID ...]        (default: CartPole-v1)
#
# Environment: PYTHON (default /work/venv/py/bin/python, gymnasium 1.4.0), SIZES (default
# 1,8,64,256,1024), REPEATS (default 5). Other processes share the cores: the load average
# is printed with each run; compare figures from quiet runs.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/work/venv/py/bin/python}
SIZES=${SIZES:-1,8,64,256,1024}
REPEATS=${REPEATS:-5}
IDS=("$@")
[ ${#IDS[@]} -eq 0 ] && IDS=(CartPole-v1)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cargo bench --quiet --bench env_throughput -- "${IDS[@]}" --sizes "$SIZES" --repeats "$REPEATS" --json \
    >"$out/limbic.json"
"$PYTHON" bench/gymnasium_throughput.py --ids "${IDS[@]}" --sizes ${SIZES//,/ } --repeats "$REPEATS" --json \
    >"$out/gymnasium.json"

"$PYTHON" - "$out/limbic.json" "$out/gymnasium.json" <<'EOF'
import json
import sys

limbic, gym = (json.load(open(p)) for p in sys.argv[1:3])


def gym_row(env_id, mode, n):
    for r in gym["rows"]:
        if r["id"] == env_id and r["mode"] == mode and r["num_envs"] == n:
            return r
    return None


print(f"limbic (load before/after: {limbic['load_before']} / {limbic['load_after']}), {limbic['cores']} cores")
print(f"{gym['library']} (load before/after: {gym['load_before']} / {gym['load_after']})")
print("steps/s per wall-clock second; 'cpu' = per CPU-second of the process (robust to other load)")
print(f"{'id':<12} {'limbic':<36} {'N':>5} {'thr':>3} {'limbic/s':>13} {'gymnasium':<19} {'gym/s':>11} "
      f"{'ratio':>8} {'cpu ratio':>9}")
for r in limbic["rows"]:
    n = r["num_envs"]
    if r["mode"].startswith("single"):
        peers = [gym_row(r["id"], "single (gym.make)", 1)]
    else:
        peers = [gym_row(r["id"], m, n) for m in ("sync", "vector_entry_point")]
    for peer in filter(None, peers):
        ratio = r["steps_per_s"] / peer["steps_per_s"]
        cpu_ratio = r["steps_per_cpu_s"] / peer["steps_per_cpu_s"]
        print(f"{r['id']:<12} {r['mode']:<36} {n:>5} {r['threads']:>3} {r['steps_per_s']:>13,.0f} "
              f"{peer['mode']:<19} {peer['steps_per_s']:>11,.0f} {ratio:>7.1f}x {cpu_ratio:>8.1f}x")
EOF
