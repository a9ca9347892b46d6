#!/usr/bin/env bash
# limbic versus Stable-Baselines3 on this machine, one comparison after the other, with the
# protocol of bench/ppo_speed_vs_sb3.py (identical hyperparameters from limbic's presets, 5 seeds,
# training time without evaluations, medians):
#   1. PPO on CartPole-v1, 100k steps, single-threaded (RAYON_NUM_THREADS=1 / torch 1 thread);
#   2. the same with both libraries' default threads;
#   3. DQN on CartPole-v1 (rl-zoo's 50k steps, 3 seeds) and SAC on Pendulum-v1 (8k steps, solved
#      at -200, 2 seeds): short budgets, SB3's off-policy learners run 200-2000 steps/s here;
#      each skipped with a note while `limbic train --algo dqn|sac` does not work.
#
#   bench/ppo_speed_vs_sb3.sh [--quick]      (--quick: 2 seeds, for a check of the script)
#
# Environment: PYTHON (default /work/venv/sb3/bin/python: stable-baselines3, torch and
# gymnasium==1.4.0), SEEDS (default "0 1 2 3 4"; DQN and SAC: OFF_POLICY_SEEDS, default "0 1 2"
# and "0 1"), JSON_DIR (keep each comparison's figures).
# Other processes share the cores: the load average is printed with each comparison.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/work/venv/sb3/bin/python}
SEEDS=${SEEDS:-0 1 2 3 4}
[ "${1:-}" = "--quick" ] && SEEDS="0 1"
cargo build --release --quiet --bin limbic
LIMBIC=${CARGO_TARGET_DIR:-target}/release/limbic
JSON_DIR=${JSON_DIR:-$(mktemp -d)}
mkdir -p "$JSON_DIR"

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load:$(uptime | sed 's/.*load average://')"
"$PYTHON" -c 'import stable_baselines3, torch, gymnasium; print("stable-baselines3", stable_baselines3.__version__,
"torch", torch.__version__, "gymnasium", gymnasium.__version__)'

compare() { # algo env steps threshold threads [more options]
    local name="$1-$2-threads$5"
    [ $# -gt 5 ] && name="$name$(printf -- "-%s" "${@:6}" | tr -s -)"
    "$PYTHON" bench/ppo_speed_vs_sb3.py --limbic "$LIMBIC" --algo "$1" --env "$2" --steps "$3" --threshold "$4" \
        --threads "$5" --seeds $SEEDS --json "$JSON_DIR/$name.json" "${@:6}"
}

# Whether limbic can train `algo` at all yet (the learners land one by one).
available() { # algo env
    local out
    out=$(mktemp -d)
    if "$LIMBIC" train --algo "$1" --env "$2" --steps 1000 --out "$out/run" --quiet >/dev/null 2>"$out/err"; then
        rm -rf "$out"
        return 0
    fi
    echo "SKIPPED $1 on $2: \`limbic train --algo $1\` fails: $(tail -n 1 "$out/err")"
    rm -rf "$out"
    return 1
}

compare ppo CartPole-v1 100000 475 1
compare ppo CartPole-v1 100000 475 default
if available dqn CartPole-v1; then SEEDS=${OFF_POLICY_SEEDS:-0 1 2} compare dqn CartPole-v1 50000 475 1; fi
if available sac Pendulum-v1; then SEEDS=${OFF_POLICY_SEEDS:-0 1} compare sac Pendulum-v1 8000 -200 1 --eval-every 1000; fi
echo "figures of every run: $JSON_DIR"
