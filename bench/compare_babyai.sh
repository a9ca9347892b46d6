#!/usr/bin/env bash
# BabyAI side by side, limbic (Rust) then Python MiniGrid 3.2.0, on this machine:
#   bench/compare_babyai.sh bot N [FILTER]      the BabyAI bot over seeds 0..N per level:
#                                               success rates and demos per second
#   bench/compare_babyai.sh env STEPS [FILTER]  env steps per second, random actions
# Environment: PYTHON (default /work/venvs/babyai/bin/python: gymnasium 1.4.0, minigrid 3.2.0).
# Other processes share the cores: the load average is printed; compare figures from quiet runs.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/work/venvs/babyai/bin/python}
MODE=${1:-bot}; N=${2:-100}; FILTER=${3:-}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo bench --quiet -p limbic-environments --bench babyai -- "$MODE" "$N" "$FILTER" > "$out/limbic.jsonl"
"$PYTHON" scripts/bench_babyai.py "$MODE" "$N" "$FILTER" 2>/dev/null > "$out/python.jsonl"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PYTHON" - "$MODE" "$out/limbic.jsonl" "$out/python.jsonl" <<'PY'
import json, sys
mode, rust_path, py_path = sys.argv[1:4]
# MiniGrid prints its rejections ("Sampling rejected: ...") to stdout: keep the JSON lines.
rows = lambda path: [json.loads(line) for line in open(path) if line.startswith("{")]
rust = {r["id"]: r for r in rows(rust_path)}
py = {r["id"]: r for r in rows(py_path)}
if mode == "env":
    print("| level | limbic step/s | limbic step_into/s | Python step/s | step ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for i, r in rust.items():
        p = py.get(i)
        ratio = f"{r['step_per_s'] / p['step_per_s']:.0f}x" if p else "-"
        print(f"| {i} | {r['step_per_s']:,} | {r['step_into_per_s']:,} | {p['step_per_s'] if p else '-':,} | {ratio} |")
else:
    print("| level | limbic success | Python success | limbic bot errors | Python bot errors | limbic demos/s | Python demos/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    tot = {"rust": [0, 0, 0.0], "py": [0, 0, 0.0]}
    for i, r in rust.items():
        p = py.get(i, {"success": 0, "errors": 0, "episodes": 0, "seconds": 0})
        pct = lambda x: f"{100 * x['success'] / x['episodes']:.1f}%" if x["episodes"] else "-"
        rate = lambda x: f"{x['episodes'] / x['seconds']:.0f}" if x["seconds"] else "-"
        print(f"| {i} | {pct(r)} | {pct(p)} | {r['errors']} | {p['errors']} | {rate(r)} | {rate(p)} |")
        for k, x in (("rust", r), ("py", p)):
            tot[k][0] += x["success"]; tot[k][1] += x["episodes"]; tot[k][2] += x["seconds"]
    for k, name in (("rust", "limbic"), ("py", "Python")):
        s, e, t = tot[k]
        print(f"{name}: {s}/{e} episodes solved, {e / t:.1f} demos/s overall" if t else f"{name}: no data")
PY
