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
# The cluster it starts is its own: a private --temp-dir, free ports, each `ray start` in a session
# of its own; on exit (success, failure or Ctrl-C) it stops those sessions' processes and nothing
# else, so a Ray cluster already running on the machine is left alone (no `ray stop`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${RAY_PYTHON:-python3}"
ray="$(dirname "$python")/ray"
limbic="${LIMBIC:-${CARGO_TARGET_DIR:-$here/../target}/release/limbic}"
tmp="$(mktemp -d)"
# Short: Ray's socket paths under it must stay within 107 bytes.
ray_tmp="$(mktemp -d /tmp/limbic-ray.XXXXXX)"
sweep_pid=

# The processes this script started, and only those: the sweep, and every process in the sessions
# of its `ray start`s (raylets, GCS, agents, workers); SIGTERM, then SIGKILL what is left after 10 s.
stop_ours() {
    [ -n "$sweep_pid" ] && kill "$sweep_pid" 2> /dev/null || true
    local sid sessions=( $(cat "$tmp"/node-*.sid 2> /dev/null) )
    for sid in "${sessions[@]}"; do pkill -TERM -s "$sid" || true; done
    for _ in $(seq 20); do
        alive=0
        for sid in "${sessions[@]}"; do pgrep -s "$sid" > /dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.5
    done
    for sid in "${sessions[@]}"; do pkill -KILL -s "$sid" || true; done
    rm -rf "$ray_tmp"
}
trap stop_ours EXIT
trap 'exit 130' INT TERM

# `ray start ARGS` in a session of its own (its id, the started command's pid, in $tmp/node-N.sid), on
# free ports. Started in the background and waited for, so Ctrl-C meanwhile runs the trap at once.
nodes=0
ports=( $("$python" -c 'import socket
socks = [socket.socket() for _ in range(21)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))') )
start_node() {
    local p=( "${ports[@]:$(( nodes * 6 )):6}" )
    setsid bash -c 'echo $$ > "$0"; exec "$@"' "$tmp/node-$nodes.sid" "$ray" start "$@" --temp-dir "$ray_tmp" \
        --node-manager-port "${p[0]}" --object-manager-port "${p[1]}" --dashboard-agent-listen-port "${p[2]}" \
        --dashboard-agent-grpc-port "${p[3]}" --metrics-export-port "${p[4]}" --runtime-env-agent-port "${p[5]}" \
        --min-worker-port 0 --max-worker-port 0 --disable-usage-stats > /dev/null &
    wait $!
    nodes=$(( nodes + 1 ))
}
port=${ports[18]}
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

start_node --head --node-ip-address 127.0.0.1 --port $port --ray-client-server-port "${ports[19]}" \
    --include-dashboard false --dashboard-port "${ports[20]}" --num-cpus 0
start_node --address 127.0.0.1:$port --num-cpus 1
start_node --address 127.0.0.1:$port --num-cpus 1
start=$(date +%s.%N)
"$limbic" sweep "$sweep" --out "$tmp/ray" --backend ray --address 127.0.0.1:$port --python "$python" --quiet > "$tmp/ray.log" 2>&1 &
sweep_pid=$!
sleep "${KILL_AFTER:-6}" &
wait $!
kill -0 $sweep_pid 2> /dev/null || { echo "FAIL: the sweep ended before the kill; lower KILL_AFTER"; cat "$tmp/ray.log"; exit 1; }
worker_raylet=$(pgrep -s "$(cat "$tmp/node-1.sid")" -x raylet)
echo "killing the first worker node's raylet ($worker_raylet)"
kill -9 "$worker_raylet"
wait $sweep_pid
sweep_pid=
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
