#!/usr/bin/env bash
# The Ray backend of `limbic sweep`, end to end: a local Ray cluster (`ray start --head` on
# 127.0.0.1 plus two worker nodes, separate processes), a sweep on it with one worker node killed
# mid-sweep, then the same sweep on the local backend. Checks every run is present once and the
# rows equal the local backend's, and that an unreachable address fails naming it; prints the
# runs that resumed from a checkpoint of their lost first try.
# Usage: python/ray_sweep_test.sh [SWEEP_FILE]
#   SWEEP_FILE  default: an 8-run PPO sweep on CartPole (below); python/sweeps/gridworld-rewards.json
#               is the 40-run one (4 reward signals x 10 seeds on MiniGrid-Empty-5x5)
#   KILL_AFTER  seconds into the Ray sweep when the first worker node is killed (default 6; the
#               sweep must still be running then)
#   RAY_PYTHON  a Python with `ray` installed (default: python3); the driver needs only ray, so
#               python/limbic/ray.py is put on the path alone (no extension build)
#   LIMBIC      the limbic binary (default: $CARGO_TARGET_DIR/release/limbic, else target/release/limbic)
# Not part of `cargo test` or python/run_tests.sh (ray is a large optional install).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${RAY_PYTHON:-python3}"
ray="$(dirname "$python")/ray"
limbic="${LIMBIC:-${CARGO_TARGET_DIR:-$here/../target}/release/limbic}"
port=6399
tmp="$(mktemp -d)"
trap '"$ray" stop --force > /dev/null 2>&1 || true' EXIT
mkdir -p "$tmp/pkg/limbic"
touch "$tmp/pkg/limbic/__init__.py"
cp "$here/limbic/ray.py" "$tmp/pkg/limbic/"
export PYTHONPATH="$tmp/pkg"
sweep="${1:-$tmp/sweep.json}"
if [ $# -eq 0 ]; then
    cat > "$sweep" <<'JSON'
{"env": "CartPole-v1", "algo": "ppo", "steps": 4096,
 "set": {"eval_episodes": 3, "checkpoint_every": 1024, "num_envs": 4},
 "grid": {"params.learning_rate": [0.0003, 0.001]}, "seeds": 4}
JSON
fi
runs=$("$limbic" sweep "$sweep" --out "$tmp/count" --pending | wc -l)
echo "$runs runs; load: $(uptime | sed 's/.*load/load/')"

if "$limbic" sweep "$sweep" --out "$tmp/bad" --backend ray --address 127.0.0.1:1 --python "$python" 2> "$tmp/bad.err"; then
    echo "FAIL: an unreachable address succeeded"; exit 1
fi
grep -q "127.0.0.1:1" "$tmp/bad.err" || { echo "FAIL: the error does not name the address"; cat "$tmp/bad.err"; exit 1; }

"$ray" start --head --node-ip-address 127.0.0.1 --port $port --num-cpus 0 --include-dashboard false --disable-usage-stats > /dev/null
"$ray" start --address 127.0.0.1:$port --num-cpus 1 > /dev/null
"$ray" start --address 127.0.0.1:$port --num-cpus 1 > /dev/null
raylets=( $(pgrep -f "ray/raylet/raylet.*gcs-address=[^ ]*:$port" || true) )
start=$(date +%s.%N)
"$limbic" sweep "$sweep" --out "$tmp/ray" --backend ray --address 127.0.0.1:$port --python "$python" --quiet > "$tmp/ray.log" 2>&1 &
sweep_pid=$!
sleep "${KILL_AFTER:-6}"
kill -0 $sweep_pid 2> /dev/null || { echo "FAIL: the sweep ended before the kill; lower KILL_AFTER"; cat "$tmp/ray.log"; exit 1; }
# The raylets in start order: the head's, then the workers'; kill the first worker node.
echo "killing worker node raylet ${raylets[1]}"
kill -9 "${raylets[1]}"
wait $sweep_pid
echo "ray backend: $(echo "$(date +%s.%N) - $start" | bc) s"
start=$(date +%s.%N)
"$limbic" sweep "$sweep" --out "$tmp/local" --jobs 2 --quiet > "$tmp/local.log"
echo "local backend (--jobs 2): $(echo "$(date +%s.%N) - $start" | bc) s"
"$python" - "$tmp" "$runs" <<'PY'
import json, sys
tmp, expected = sys.argv[1], int(sys.argv[2])
rows = {d: [json.loads(l) for l in open(f"{tmp}/{d}/results.jsonl")] for d in ("ray", "local")}
runs = [r["run"] for r in rows["ray"]]
assert len(runs) == expected and len(set(runs)) == expected, f"every run once: {runs}"
assert {r["run"]: r for r in rows["ray"]} == {r["run"]: r for r in rows["local"]}, "ray rows differ from local"
print(f"{expected} runs, each once; rows identical to the local backend's")
PY
cat "$tmp/ray.log"
echo "load: $(uptime | sed 's/.*load/load/')"
