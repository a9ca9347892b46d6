#!/usr/bin/env bash
# BC on BabyAI levels at growing demonstration budgets (issue #17): `limbic imitate sweep` per
# level, the bot recording the demonstrations with the mission as word indices, BC reading it
# with a GRU instruction encoder beside the MiniGrid CNN. Results: OUT/<level>/table.md, .csv,
# sweep.png. Usage: bench/babyai_imitation.sh OUT "LEVELS" N_DEMOS SEEDS [extra --set args...]
#   e.g. bench/babyai_imitation.sh babyai-il "GoToRedBall GoToLocal" 10,100,1000 2
set -euo pipefail
out=${1:?OUT folder}
levels=${2:-"GoToRedBall GoToLocal PickupLoc PutNextLocal GoTo"}
n_demos=${3:-10,100,1000}
seeds=${4:-2}
shift $(( $# < 4 ? $# : 4 ))
limbic=${LIMBIC:-${CARGO_TARGET_DIR:-target}/release/limbic}
for level in $levels; do
  echo "== BabyAI-$level-v0: BC from $n_demos demonstrations, $seeds seeds ($(date -u +%H:%M), $(uptime | sed 's/.*load/load/'))"
  start=$(date +%s)
  "$limbic" imitate sweep --env "BabyAI-$level-v0" --kwargs '{"mission_words": true}' --algos bc \
    --n-demos "$n_demos" --seeds "$seeds" --episodes 100 --out "$out/$level" --quiet \
    --set policy.instruction.kind=gru --set policy.instruction.size=64 \
    --set batch_size=256 --set net_arch=[128] --set activation=relu --set max_epochs=100 --set patience=10 "$@"
  echo "   $(( $(date +%s) - start )) s"
done
