//! Helpers shared by the gridworld and BabyAI parity tests: fixture loading, the fixture
//! encodings, and replaying a recorded trajectory.

#![allow(dead_code)]

use limbic_environments::gridworld::{self, GridEnv};
use limbic_environments::{Env, Kwargs, Options, Value};
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

// ----- Replaying a trajectory of scripts/record_gridworld_fixtures.py. -----

pub fn image(obs: &Value) -> &[u8] {
    match obs.get("image") {
        Some(Value::U8(v)) => v,
        other => panic!("no image in {other:?}"),
    }
}

pub fn direction(obs: &Value) -> i64 {
    obs.get("direction").and_then(Value::as_int).expect("direction")
}

fn carried(env: &dyn GridEnv) -> String {
    env.world()
        .carrying
        .map(|o| o.encode().iter().map(|v| char::from_digit(*v as u32, 36).unwrap()).collect())
        .unwrap_or_default()
}

/// The flat row the fast path must write for `obs`: direction one-hot, then the image.
fn flat(obs: &Value) -> Vec<f32> {
    let mut row = vec![0.0; 4];
    row[direction(obs) as usize] = 1.0;
    row.extend(image(obs).iter().map(|&v| v as f32));
    row
}

/// Checks an episode's start against its record.
fn check_init(what: &str, env: &dyn GridEnv, obs: &Value, init: &Json) {
    let w = env.world();
    assert_eq!(w.grid.encode(), digits(init["grid"].as_str().unwrap()), "{what}: grid");
    let agent: Vec<i64> = init["agent"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!([w.agent_pos.0 as i64, w.agent_pos.1 as i64, w.agent_dir as i64], agent[..], "{what}: agent");
    assert_eq!(obs.get("mission"), Some(&Value::Text(init["mission"].as_str().unwrap().into())), "{what}: mission");
    assert_eq!(direction(obs), init["direction"].as_i64().unwrap(), "{what}: direction");
    assert_eq!(image(obs), &digits(init["image"].as_str().unwrap())[..], "{what}: image");
    if let Some(max_steps) = init.get("max_steps") {
        assert_eq!(w.max_steps as u64, max_steps.as_u64().unwrap(), "{what}: max_steps");
    }
    if let Some(carrying) = init.get("carrying") {
        assert_eq!(carried(env), carrying.as_str().unwrap(), "{what}: carrying");
    }
    assert!(env.observation_space().contains(obs), "{what}: the observation is outside its space");
}

pub fn replay(rec: &Json) -> usize {
    let id = rec["id"].as_str().unwrap();
    let seed = rec["seed"].as_u64().unwrap();
    let kwargs: Kwargs = rec["kwargs"].as_object().cloned().unwrap_or_default();
    let label = format!("{id} {} seed {seed}", rec["kwargs"]);
    let mut env = gridworld::make(id, &kwargs).unwrap_or_else(|e| panic!("{label}: {e}"));
    // A twin on the fast path, built by the crate's `make` (wrappers included), must write the
    // same numbers.
    let mut fast = limbic_environments::make(id, &kwargs).unwrap();
    let mut row = vec![0.0f32; fast.flat_space().flat_dim().unwrap()];
    let mut steps = 0;
    for (k, ep) in rec["episodes"].as_array().unwrap().iter().enumerate() {
        let reset_seed = if k == 0 { Some(seed) } else { None };
        let (obs, _) = env.reset(reset_seed, &Options::new()).unwrap();
        fast.reset_into(reset_seed, &mut row).unwrap();
        check_init(&format!("{label} episode {k}"), env.as_ref(), &obs, &ep["init"]);
        assert_eq!(row, flat(&obs), "{label} episode {k}: fast reset");
        for (i, s) in ep["steps"].as_array().unwrap().iter().enumerate() {
            let what = format!("{label} episode {k} step {i}");
            let s = s.as_array().unwrap();
            let action = Value::Int(s[0].as_i64().unwrap());
            let step = env.step(&action).unwrap_or_else(|e| panic!("{what}: {e}"));
            let t = fast.step_into(&action, &mut row).unwrap();
            let reward: f64 = s[1].as_str().unwrap().parse().unwrap();
            assert_eq!(step.reward, reward, "{what}: reward");
            assert_eq!((step.terminated, step.truncated), (s[2] == 1, s[3] == 1), "{what}: flags");
            let w = env.world();
            let agent = [w.agent_pos.0 as i64, w.agent_pos.1 as i64, w.agent_dir as i64];
            assert_eq!(
                agent,
                [s[4].as_i64().unwrap(), s[5].as_i64().unwrap(), s[6].as_i64().unwrap()],
                "{what}: agent"
            );
            assert_eq!(direction(&step.obs), agent[2], "{what}: direction");
            assert_eq!(carried(env.as_ref()), s[7].as_str().unwrap(), "{what}: carrying");
            assert_eq!(fnv1a64(image(&step.obs)), s[8].as_str().unwrap(), "{what}: image hash");
            if let Some(full) = ep["images"].get(i.to_string()) {
                assert_eq!(image(&step.obs), &digits(full.as_str().unwrap())[..], "{what}: image");
            }
            assert_eq!((t.reward, t.terminated, t.truncated), (step.reward, step.terminated, step.truncated), "{what}");
            assert_eq!(row, flat(&step.obs), "{what}: fast step");
            steps += 1;
        }
    }
    steps
}
