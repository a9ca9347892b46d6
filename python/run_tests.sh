#!/usr/bin/env bash
# The Python package's tests: builds `limbic` into a venv kept between runs and runs pytest.
#   LIMBIC_VENV      the venv (default ~/.cache/limbic-venv; created on first use)
#   CARGO_TARGET_DIR shared with `cargo test --release`, so the extension reuses its builds
# PyPI is needed the first time and when requirements-test.txt changes (maturin, numpy, pytest,
# gymnasium, minigrid, minari with pyarrow and pillow: about 10 s more from wheels); later runs
# install nothing.
set -euo pipefail
cd "$(dirname "$0")"
venv="${LIMBIC_VENV:-$HOME/.cache/limbic-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! cmp -s requirements-test.txt "$venv/limbic-requirements.txt"; then
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -r requirements-test.txt
    cp requirements-test.txt "$venv/limbic-requirements.txt"
fi
# `maturin develop` builds the extension in place with cargo's release profile (the same one
# as `cargo test --release`) into the venv; `pip install .` would set up a fresh build environment
# (a maturin download) every run.
VIRTUAL_ENV="$venv" "$venv/bin/maturin" develop --release --quiet
cd tests
"$venv/bin/python" -m pytest -q "$@"
