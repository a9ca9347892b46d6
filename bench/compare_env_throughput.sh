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
print("env steps per wall-clock second; 'cpu-s': per CPU-second of the process, robust to other load.")
print("x: limbic / Gymnasium (wall; cpu-s in brackets). Peers: gym.make for single envs,")
print("SyncVectorEnv and the vector_entry_point env (CartPoleVectorEnv) with the same N for vector envs.")
print(f"{'id':<12} {'limbic':<36} {'N':>5} {'thr':>3} {'limbic/s':>12} {'cpu-s':>12} "
      f"{'gym/s':>14} {'x':>15} {'vector_entry/s':>14} {'x':>15}")


def versus(r, peer):
    if peer is None:
        return f"{'':>14} {'':>15}"
    wall = r["steps_per_s"] / peer["steps_per_s"]
    cpu = r["steps_per_cpu_s"] / peer["steps_per_cpu_s"]
    return f"{peer['steps_per_s']:>14,.0f} {f'{wall:.1f}x ({cpu:.1f}x)':>15}"


for r in limbic["rows"]:
    n = r["num_envs"]
    if r["mode"].startswith("single"):
        peers = [gym_row(r["id"], "single (gym.make)", 1), None]
    else:
        peers = [gym_row(r["id"], "sync", n), gym_row(r["id"], "vector_entry_point", n)]
    print(f"{r['id']:<12} {r['mode']:<36} {n:>5} {r['threads']:>3} {r['steps_per_s']:>12,.0f} "
          f"{r['steps_per_cpu_s']:>12,.0f} {versus(r, peers[0])} {versus(r, peers[1])}")
print()
print("Gymnasium alone:")
for g in gym["rows"]:
    print(f"{g['id']:<12} {g['mode']:<22} {g['num_envs']:>5} {g['steps_per_s']:>12,.0f} /s "
          f"{g['steps_per_cpu_s']:>12,.0f} /cpu-s")
EOF
