//! Parity with popgym 1.0.7: every trajectory recorded from the Python package (see
//! `scripts/record_popgym_fixtures.py`) is replayed and must match exactly: spaces (Minari's
//! JSON), observations (Gymnasium's JSON form), rewards, terminated and truncated, on seeds
//! that include 2^64 - 1 and a `reset(seed=None)` that continues the RNG.
//!
//! Each fixture is replayed twice in lockstep: through `make` (the general `reset`/`step` path,
//! values) and through a second env's `reset_into`/`step_into` (the flat f32 rows learners read),
//! whose rows must equal `gymnasium.spaces.flatten` where it was recorded.

use limbic_environments::json::{value_from_json, value_to_json};
use limbic_environments::wrappers::{Antialias, PreviousAction};
use limbic_environments::{make, Env, Kwargs, Options, Space};
use serde_json::Value as Json;
use std::path::PathBuf;

fn fixtures() -> Vec<(String, Json)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/popgym");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            (name, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        })
        .collect()
}

/// The env a fixture was recorded from: `make(id, kwargs)`, wrapped as its name says.
fn build(name: &str, fixture: &Json) -> Box<dyn Env> {
    let id = fixture["env_id"].as_str().unwrap();
    let kwargs: Kwargs = fixture["kwargs"].as_object().unwrap().clone();
    let env = make(id, &kwargs).unwrap_or_else(|e| panic!("{name}: {e}"));
    if name.starts_with("wrapped_Antialias_PreviousAction_") {
        Box::new(Antialias::new(PreviousAction::new(env).unwrap()).unwrap())
    } else if name.starts_with("wrapped_PreviousAction_") {
        Box::new(PreviousAction::new(env).unwrap())
    } else if name.starts_with("wrapped_Antialias_") {
        Box::new(Antialias::new(env).unwrap())
    } else {
        env
    }
}

/// A space as `minari.serialization.serialize_space` wrote it (text, with Python's `Infinity`).
fn space(json: &Json) -> Space {
    Space::from_json_str(json.as_str().unwrap()).unwrap()
}

fn flat_row(json: &Json) -> Vec<f32> {
    json.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

fn flagged(episode: &Json, key: &str, step: usize) -> bool {
    episode[key].as_array().unwrap().iter().any(|t| t.as_u64() == Some(step as u64))
}

#[test]
fn every_popgym_id_and_wrapper_matches_popgym() {
    let fixtures = fixtures();
    let ids: Vec<&str> = fixtures
        .iter()
        .filter(|(n, _)| n.starts_with("popgym-") && !n.ends_with("_kwargs"))
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(ids.len(), 42, "one fixture per id of popgym.envs.ALL");
    let mut steps = 0;
    for (name, fixture) in &fixtures {
        let mut env = build(name, fixture);
        let mut fast = build(name, fixture);
        assert_eq!(*env.observation_space(), space(&fixture["observation_space"]), "{name}: observation space");
        assert_eq!(*env.action_space(), space(&fixture["action_space"]), "{name}: action space");
        let obs_space = env.observation_space().clone();
        let mut row = vec![0.0f32; fast.flat_space().flat_dim().unwrap()];
        for (e, episode) in fixture["episodes"].as_array().unwrap().iter().enumerate() {
            let seed = episode["seed"].as_u64();
            let at = |step: usize| format!("{name} episode {e} (seed {seed:?}) step {step}");
            let (obs, _) = env.reset(seed, &Options::new()).unwrap();
            assert_eq!(value_to_json(&obs_space, &obs), episode["obs0"], "{}", at(0));
            fast.reset_into(seed, &mut row).unwrap();
            assert_eq!(row, flat_row(&episode["flat0"]), "{}: flat", at(0));
            let actions = episode["actions"].as_array().unwrap();
            for (i, action) in actions.iter().enumerate() {
                let action = value_from_json(env.action_space(), action).unwrap();
                let step = env.step(&action).unwrap_or_else(|err| panic!("{}: {err}", at(i + 1)));
                assert_eq!(value_to_json(&obs_space, &step.obs), episode["obs"][i], "{}", at(i + 1));
                assert_eq!(step.reward, episode["rewards"][i].as_f64().unwrap(), "{}: reward", at(i + 1));
                assert_eq!(step.terminated, flagged(episode, "terminated", i + 1), "{}: terminated", at(i + 1));
                assert_eq!(step.truncated, flagged(episode, "truncated", i + 1), "{}: truncated", at(i + 1));
                let t = fast.step_into(&action, &mut row).unwrap();
                assert_eq!((t.reward, t.terminated, t.truncated), (step.reward, step.terminated, step.truncated));
                let mut expected = vec![0.0f32; row.len()];
                obs_space.flatten_into(&step.obs, &mut expected).unwrap();
                assert_eq!(row, expected, "{}: flat row", at(i + 1));
                if let Some(flat) = episode["flat"].get(i) {
                    assert_eq!(row, flat_row(flat), "{}: gymnasium.spaces.flatten", at(i + 1));
                }
            }
            steps += actions.len();
        }
    }
    assert!(steps > 30_000, "{steps} steps replayed");
}
