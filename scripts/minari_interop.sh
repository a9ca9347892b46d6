#!/usr/bin/env bash
# Proves that limbic's datasets and Python Minari's are one format, both ways:
#   1. limbic records datasets -> Python `minari.load_dataset` reads them and compares every
#      field with `limbic demos dump`;
#   2. Python Minari writes datasets -> `limbic demos info` / `dump` read them and the fields equal
#      what Python wrote.
# Both with Minari's arrow and hdf5 backends.
# Makes its own venv (pinned minari) under ${LIMBIC_CACHE:-~/.cache/limbic}; needs python3 and
# network access the first time. Usage: scripts/minari_interop.sh  (LIMBIC_BIN=path skips the build)
set -euo pipefail
cd "$(dirname "$0")/.."
MINARI_VERSION=0.5.4
CACHE="${LIMBIC_CACHE:-$HOME/.cache/limbic}"
VENV="$CACHE/minari-$MINARI_VERSION"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import minari, pyarrow, minigrid, popgym" 2>/dev/null; then
  echo "== creating $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "minari==$MINARI_VERSION" pyarrow pillow h5py "gymnasium==1.4.0" "minigrid==3.2.0" "popgym==1.0.7"
fi
PY="$VENV/bin/python"
echo "== python: $("$PY" -c 'import minari, pyarrow, gymnasium; print("minari", minari.__version__, "pyarrow", pyarrow.__version__, "gymnasium", gymnasium.__version__)')"
# LIMBIC_BIN: a limbic binary to use instead of building one.
if [ -n "${LIMBIC_BIN:-}" ]; then
  LIMBIC="$LIMBIC_BIN"
else
  cargo build --release --quiet
  LIMBIC="${CARGO_TARGET_DIR:-target}/release/limbic"
fi
ROOT="$(mktemp -d)"
trap 'rm -rf "$ROOT"' EXIT
export MINARI_DATASETS_PATH="$ROOT"

echo "== 1. limbic writes, Python Minari reads"
ARGS=()
record() {  # env policy episodes id [extra args]
  local env=$1 policy=$2 episodes=$3 id=$4; shift 4
  "$LIMBIC" demos record --env "$env" --policy "$policy" --episodes "$episodes" --seed 0 \
    --out "$ROOT/$id" --dataset-id "$id" --quiet "$@" > /dev/null
  "$LIMBIC" demos dump "$ROOT/$id" > "$ROOT/$(echo "$id" | tr / _).jsonl"
  ARGS+=("$id" "$ROOT/$(echo "$id" | tr / _).jsonl")
}
record CartPole-v1 scripted 3 limbic/cartpole/scripted-v0 --ref-scores
record Pendulum-v1 random 2 limbic/pendulum/random-v0
record MountainCarContinuous-v0 scripted 2 limbic/mountaincarcontinuous/scripted-v0
record MiniGrid-DoorKey-5x5-v0 scripted 3 limbic/doorkey-5x5/scripted-v0
record CartPole-v1 scripted 3 limbic/cartpole/scripted-hdf5-v0 --ref-scores --data-format hdf5
record Pendulum-v1 random 2 limbic/pendulum/random-hdf5-v0 --data-format hdf5
record MiniGrid-DoorKey-5x5-v0 scripted 3 limbic/doorkey-5x5/scripted-hdf5-v0 --data-format hdf5
record BabyAI-SynthSeq-v0 scripted 3 limbic/babyai-synthseq/bot-hdf5-v0 --data-format hdf5
record popgym-AutoencodeEasy-v0 random 2 limbic/popgym-autoencode/random-v0
record popgym-BattleshipEasy-v0 random 2 limbic/popgym-battleship/random-v0
"$PY" scripts/minari/check_limbic_datasets.py "${ARGS[@]}" 2> >(grep -v -i warn >&2)

echo "== 2. Python Minari writes, limbic reads"
"$PY" scripts/minari/write_datasets.py "$ROOT/py" arrow > /dev/null 2>&1
"$PY" scripts/minari/write_datasets.py "$ROOT/py" hdf5 > /dev/null 2>&1
for name in cartpole-v1-v0 minigrid-empty-5x5-v0 cartpole-v1-hdf5-v0 minigrid-empty-5x5-hdf5-v0 babyai-gotolocal-hdf5-v0 \
  popgym-autoencode-easy-v0 popgym-battleship-easy-v0 popgym-concentration-easy-v0; do
  "$LIMBIC" demos info "$ROOT/py/$name" | sed 's/^/  /'
  "$LIMBIC" demos dump "$ROOT/py/$name" > "$ROOT/$name.jsonl"
  "$PY" scripts/minari/compare_dump.py "$ROOT/py/$name/expected.json" "$ROOT/$name.jsonl"
done
echo "== interop OK"
