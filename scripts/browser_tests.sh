#!/usr/bin/env bash
# The teaching page in a real headless browser (tests/browser.rs): installs Debian's chromium
# and chromium-driver when missing, then runs the `browser` test target (behind the
# `browser-tests` feature, so plain `cargo test --release` never needs a browser).
# Screenshots land in bench/figures/teach_*.png.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium > /dev/null || ! command -v chromedriver > /dev/null; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends chromium chromium-driver
fi
# A first launch after installing builds chromium's caches (fonts, profile) and once took longer
# than the tests' 30 s waits: launch it once here, outside the tests' clocks.
timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom about:blank > /dev/null 2>&1 || true
cargo test --release --features browser-tests --test browser -- --nocapture "$@"
