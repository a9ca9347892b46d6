//! Helpers shared by the gridworld parity tests: fixture loading and the fixture encodings.

#![allow(dead_code)]

use serde_json::Value as Json;
use std::path::PathBuf;

/// A file under the workspace's `tests/fixtures/gridworld/`.
pub fn fixture(name: &str) -> Json {
    fixture_in("gridworld", name)
}

/// A file under the workspace's `tests/fixtures/<dir>/`.
pub fn fixture_in(dir: &str, name: &str) -> Json {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(dir).join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// FNV-1a 64, as `scripts/record_gridworld_fixtures.py` computes it, in 16 hex digits.
pub fn fnv1a64(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Cell values written one base-36 character each.
pub fn digits(text: &str) -> Vec<u8> {
    text.chars().map(|c| c.to_digit(36).unwrap_or_else(|| panic!("bad digit {c:?}")) as u8).collect()
}
