//! MiniGrid's wrappers against MiniGrid 3.2.0: the same observation spaces, and for the same
//! seeds and actions the same observations (hashed every step, in full every 20 steps),
//! rewards (exploration bonuses, death costs) and flags. Each case also runs a twin on the fast
//! path, whose rows must be the observations flattened by `flat_space`.
//!
//! Fixtures: tests/fixtures/gridworld_wrappers/cases.json
//! (scripts/record_gridworld_wrapper_fixtures.py).

mod common;

use common::fnv1a64;
use limbic_environments::gridworld::wrappers::{
    ActionBonus, DictObservationSpace, DirectionObs, DirectionType, FlatObs, FullyObs, ImgObs, NoDeath,
    OneHotPartialObs, PositionBonus, Reseed, SymbolicObs, ViewSize,
};
use limbic_environments::gridworld::{self, GridEnv};
use limbic_environments::{Env, EnvError, Kwargs, Options, Result, Space, Value};
use serde_json::Value as Json;
use std::path::PathBuf;

fn cases() -> Vec<Json> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/gridworld_wrappers/cases.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Json = serde_json::from_str(&text).unwrap();
    json["cases"].as_array().unwrap().clone()
}

/// Wraps `env` in the wrapper a fixture names, with its MiniGrid arguments.
fn wrap(env: Box<dyn GridEnv>, name: &str, args: &Json) -> Result<Box<dyn GridEnv>> {
    let num = |key: &str| args[key].as_f64().unwrap();
    Ok(match name {
        "ImgObs" => Box::new(ImgObs::new(env)?),
        "FullyObs" => Box::new(FullyObs::new(env)?),
        "ViewSize" => Box::new(ViewSize::new(env, args["agent_view_size"].as_u64().unwrap() as usize)?),
        "OneHotPartialObs" => Box::new(OneHotPartialObs::new(env)?),
        "FlatObs" => match args.get("max_str_len") {
            Some(n) => Box::new(FlatObs::with_max_str_len(env, n.as_u64().unwrap() as usize)?),
            None => Box::new(FlatObs::new(env)?),
        },
        "Reseed" => {
            let seeds = args["seeds"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap()).collect();
            Box::new(Reseed::new(env, seeds, args["seed_idx"].as_u64().unwrap() as usize)?)
        }
        "ActionBonus" => Box::new(ActionBonus::new(env)),
        "PositionBonus" => Box::new(PositionBonus::new(env, num("scale"))?),
        "NoDeath" => {
            let types: Vec<&str> =
                args["no_death_types"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
            Box::new(NoDeath::new(env, &types, num("death_cost"))?)
        }
        "DictObservationSpace" => Box::new(DictObservationSpace::new(env)?),
        "DirectionObs" => Box::new(DirectionObs::new(env, DirectionType::from_name(args["type"].as_str().unwrap())?)?),
        "SymbolicObs" => Box::new(SymbolicObs::new(env)?),
        other => panic!("unknown wrapper {other}"),
    })
}

fn build(case: &Json) -> Box<dyn GridEnv> {
    let kwargs: Kwargs = case["kwargs"].as_object().cloned().unwrap_or_default();
    let mut env = gridworld::make(case["id"].as_str().unwrap(), &kwargs).unwrap();
    for w in case["wrappers"].as_array().unwrap() {
        env = wrap(env, w[0].as_str().unwrap(), &w[1]).unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
    }
    env
}

/// The canonical bytes the recorder hashes: `key=value;` per Dict key, arrays little-endian in
/// their dtype, ints as int64, text as UTF-8.
fn obs_bytes(obs: &Value, out: &mut Vec<u8>) {
    match obs {
        Value::Dict(items) => {
            for (key, value) in items {
                out.extend_from_slice(key.as_bytes());
                out.push(b'=');
                obs_bytes(value, out);
                out.push(b';');
            }
        }
        Value::Int(i) => out.extend_from_slice(&i.to_le_bytes()),
        Value::U8(v) => out.extend_from_slice(v),
        Value::I8(v) => out.extend(v.iter().map(|&x| x as u8)),
        Value::I64(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Value::F64(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Value::F32(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Value::Text(s) => out.extend_from_slice(s.as_bytes()),
        Value::Tuple(items) => items.iter().for_each(|v| obs_bytes(v, out)),
    }
}

fn obs_hash(obs: &Value) -> String {
    let mut bytes = Vec::new();
    obs_bytes(obs, &mut bytes);
    fnv1a64(&bytes)
}

/// Numbers written as Python reprs (one string for all elements, or a list).
fn reprs(json: &Json, len: usize) -> Vec<f64> {
    let parse = |j: &Json| j.as_str().unwrap().parse::<f64>().unwrap();
    match json.as_array() {
        Some(list) => list.iter().map(parse).collect(),
        None => vec![parse(json); len],
    }
}

/// Checks a space against the recorder's summary of MiniGrid's.
fn check_space(what: &str, space: &Space, json: &Json) {
    match space {
        Space::Dict(items) => {
            let keys: Vec<&String> = items.iter().map(|(k, _)| k).collect();
            let want: Vec<&String> = json.as_object().unwrap().keys().collect();
            assert_eq!(keys, want, "{what}: keys");
            for (key, sub) in items {
                check_space(&format!("{what}.{key}"), sub, &json[key]);
            }
        }
        Space::Box(b) => {
            let spec = &json["Box"];
            assert_eq!(spec[0], b.dtype.name(), "{what}: dtype");
            let shape: Vec<usize> = spec[1].as_array().unwrap().iter().map(|n| n.as_u64().unwrap() as usize).collect();
            assert_eq!(shape, b.shape, "{what}: shape");
            assert_eq!(reprs(&spec[2], b.low.len()), b.low, "{what}: low");
            assert_eq!(reprs(&spec[3], b.high.len()), b.high, "{what}: high");
        }
        Space::Discrete { n, start: 0 } => assert_eq!(json["Discrete"], *n, "{what}"),
        Space::MultiDiscrete { nvec, .. } => assert_eq!(json["MultiDiscrete"], serde_json::json!(nvec), "{what}"),
        Space::Text { .. } => assert_eq!(json, "Text", "{what}"),
        other => panic!("{what}: unexpected space {}", other.describe()),
    }
}

/// Checks an observation against the recorder's full JSON of MiniGrid's.
fn check_full(what: &str, space: &Space, obs: &Value, json: &Json) {
    match (space, obs) {
        (Space::Dict(items), Value::Dict(_)) => {
            assert_eq!(items.len(), json.as_object().unwrap().len(), "{what}: keys");
            for (key, sub) in items {
                check_full(&format!("{what}.{key}"), sub, obs.get(key).unwrap(), &json[key]);
            }
        }
        (Space::Box(b), value) => {
            assert_eq!(json["dtype"], b.dtype.name(), "{what}: dtype");
            assert_eq!(json["shape"], serde_json::json!(b.shape), "{what}: shape");
            let data = &json["data"];
            match value {
                Value::U8(v) => assert_eq!(data.as_str().unwrap(), hex(v), "{what}"),
                Value::I64(v) => assert_eq!(*data, serde_json::json!(v), "{what}"),
                Value::F64(v) => assert_eq!(reprs(data, v.len()), *v, "{what}"),
                other => panic!("{what}: unexpected {other}"),
            }
        }
        (Space::Discrete { .. }, Value::Int(i)) => assert_eq!(json, i, "{what}"),
        (Space::MultiDiscrete { .. }, Value::I64(v)) => assert_eq!(*json, serde_json::json!(v), "{what}"),
        (Space::Text { .. }, Value::Text(s)) => assert_eq!(json, s.as_str(), "{what}"),
        (s, v) => panic!("{what}: {v} for {}", s.describe()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The row the fast path must write: the observation flattened by `flat_space`.
fn flat(env: &dyn GridEnv, obs: &Value) -> Vec<f32> {
    let mut row = vec![f32::NAN; env.flat_space().flat_dim().unwrap()];
    env.flat_space().flatten_into(obs, &mut row).unwrap();
    row
}

/// Checks one observation: hash, full form where recorded, membership, the twin's row.
fn check_obs(what: &str, env: &dyn GridEnv, obs: &Value, hash: &Json, full: Option<&Json>, row: &[f32]) {
    if let Some(full) = full {
        check_full(what, env.observation_space(), obs, full);
    }
    assert_eq!(obs_hash(obs), hash.as_str().unwrap(), "{what}: observation hash");
    if let Err(e) = env.observation_space().check(obs) {
        panic!("{what}: the observation is outside its space: {e}");
    }
    assert_eq!(row, flat(env, obs), "{what}: fast path row");
}

fn replay(case: &Json) -> usize {
    let name = case["name"].as_str().unwrap();
    let mut env = build(case);
    let mut twin = build(case);
    check_space(name, env.observation_space(), &case["space"]);
    let mut row = vec![0.0f32; twin.flat_space().flat_dim().unwrap()];
    let mut steps = 0;
    for (k, ep) in case["episodes"].as_array().unwrap().iter().enumerate() {
        let seed = ep["reset_seed"].as_u64();
        let (obs, _) = env.reset(seed, &Options::new()).unwrap();
        twin.reset_into(seed, &mut row).unwrap();
        check_obs(&format!("{name} episode {k} reset"), env.as_ref(), &obs, &ep["reset"], ep.get("reset_obs"), &row);
        for (i, s) in ep["steps"].as_array().unwrap().iter().enumerate() {
            let what = format!("{name} episode {k} step {i}");
            let action = Value::Int(s[0].as_i64().unwrap());
            let step = env.step(&action).unwrap_or_else(|e| panic!("{what}: {e}"));
            let t = twin.step_into(&action, &mut row).unwrap_or_else(|e| panic!("{what} (fast): {e}"));
            let reward: f64 = s[1].as_str().unwrap().parse().unwrap();
            assert_eq!(step.reward, reward, "{what}: reward");
            assert_eq!((step.terminated, step.truncated), (s[2] == 1, s[3] == 1), "{what}: flags");
            assert_eq!(
                (t.reward, t.terminated, t.truncated),
                (reward, step.terminated, step.truncated),
                "{what}: fast"
            );
            check_obs(&what, env.as_ref(), &step.obs, &s[4], ep["full"].get(i.to_string()), &row);
            steps += 1;
        }
    }
    steps
}

/// Replays every case whose name starts with `prefix`; returns how many.
fn replay_group(prefix: &str) -> usize {
    let group: Vec<Json> = cases().into_iter().filter(|c| c["name"].as_str().unwrap().starts_with(prefix)).collect();
    assert!(!group.is_empty(), "no cases named {prefix}*");
    let steps: usize = group.iter().map(replay).sum();
    assert!(steps >= 100 * group.len(), "{prefix}: only {steps} steps");
    group.len()
}

#[test]
fn img_obs_matches_minigrid() {
    replay_group("img_");
}

#[test]
fn fully_obs_matches_minigrid() {
    replay_group("fully_");
}

#[test]
fn view_size_matches_minigrid() {
    assert_eq!(replay_group("view"), 6);
}

#[test]
fn one_hot_partial_obs_matches_minigrid() {
    replay_group("onehot_");
}

#[test]
fn flat_obs_matches_minigrid() {
    replay_group("flat_");
}

#[test]
fn reseed_matches_minigrid() {
    replay_group("reseed_");
}

#[test]
fn action_bonus_matches_minigrid() {
    replay_group("action_bonus_");
}

#[test]
fn position_bonus_matches_minigrid() {
    replay_group("position_bonus_");
}

#[test]
fn no_death_matches_minigrid() {
    replay_group("nodeath_");
}

#[test]
fn dict_observation_space_matches_minigrid() {
    replay_group("dict_");
}

#[test]
fn direction_obs_matches_minigrid() {
    replay_group("dir_");
}

#[test]
fn symbolic_obs_matches_minigrid() {
    replay_group("symbolic_");
}

#[test]
fn stacks_match_minigrid() {
    replay_group("stack_");
}

// ----- Bad input: clear errors, no panics. -----

fn doorkey() -> Box<dyn GridEnv> {
    gridworld::make("MiniGrid-DoorKey-5x5-v0", &Kwargs::new()).unwrap()
}

fn bad_kwarg<T>(result: Result<T>, key: &str) -> String {
    match result {
        Err(e @ EnvError::BadKwarg { .. }) if e.to_string().contains(key) => e.to_string(),
        Err(e) => panic!("expected a BadKwarg for {key}, got {e}"),
        Ok(_) => panic!("expected a BadKwarg for {key}, got Ok"),
    }
}

#[test]
fn view_size_must_be_odd_and_at_least_3() {
    for n in [0, 1, 2, 4, 8, 65] {
        let msg = bad_kwarg(ViewSize::new(doorkey(), n), "agent_view_size");
        assert!(msg.contains(&n.to_string()), "{msg}");
    }
    assert!(ViewSize::new(doorkey(), 3).is_ok() && ViewSize::new(doorkey(), 63).is_ok());
}

#[test]
fn reseed_needs_seeds() {
    bad_kwarg(Reseed::new(doorkey(), vec![], 0), "seeds");
    bad_kwarg(Reseed::new(doorkey(), vec![1, 2], 2), "seed_idx");
    let mut env = Reseed::new(doorkey(), vec![4, 9], 1).unwrap();
    let mut plain = doorkey();
    for seed in [9, 4, 9] {
        assert_eq!(env.reset(Some(123), &Options::new()).unwrap(), plain.reset(Some(seed), &Options::new()).unwrap());
    }
}

#[test]
fn no_death_refuses_goal_and_unknown_types() {
    let msg = bad_kwarg(NoDeath::new(doorkey(), &["goal"], -1.0), "no_death_types");
    assert!(msg.contains("goal"), "{msg}");
    let msg = bad_kwarg(NoDeath::new(doorkey(), &["lava", "lavaa"], -1.0), "no_death_types");
    assert!(msg.contains("lavaa") && msg.contains("ball"), "{msg}");
    bad_kwarg(NoDeath::new(doorkey(), &["lava"], f64::NAN), "death_cost");
    bad_kwarg(PositionBonus::new(doorkey(), f64::INFINITY), "scale");
    bad_kwarg(DirectionType::from_name("bearing"), "type");
}

#[test]
fn flat_obs_refuses_missions_it_cannot_encode() {
    bad_kwarg(FlatObs::with_max_str_len(doorkey(), 0), "max_str_len");
    // "use the key to open the door and then get to the goal" has 53 characters.
    let mut env = FlatObs::with_max_str_len(doorkey(), 52).unwrap();
    let msg = env.reset(Some(0), &Options::new()).unwrap_err().to_string();
    assert!(msg.contains("53 characters") && msg.contains("52"), "{msg}");
    let mut row = vec![0.0; env.flat_space().flat_dim().unwrap()];
    assert!(env.reset_into(Some(0), &mut row).is_err());
    let mut env = FlatObs::with_max_str_len(doorkey(), 53).unwrap();
    assert!(env.reset(Some(0), &Options::new()).is_ok());
    // MiniGrid's docstring: LavaCrossingS11N5 flattens to 7 * 7 * 3 + 96 * 28 numbers.
    let lava = gridworld::make("MiniGrid-LavaCrossingS11N5-v0", &Kwargs::new()).unwrap();
    assert_eq!(FlatObs::new(lava).unwrap().observation_space().flat_dim().unwrap(), 2835);
}

#[test]
fn wrappers_needing_a_dict_image_refuse_other_observations() {
    let img = || ImgObs::new(doorkey()).unwrap();
    for result in [
        ImgObs::new(img()).map(|_| ()),
        OneHotPartialObs::new(img()).map(|_| ()),
        ViewSize::new(img(), 5).map(|_| ()),
        FullyObs::new(img()).map(|_| ()),
        FlatObs::new(img()).map(|_| ()),
        DictObservationSpace::new(img()).map(|_| ()),
    ] {
        let err = result.unwrap_err();
        assert!(matches!(err, EnvError::BadSpace(_)) && err.to_string().contains("image"), "{err}");
    }
}

#[test]
fn observations_outside_a_wrapper_s_tables_are_errors_not_panics() {
    // FullyObs writes the agent as [10, 0, direction]: state 3 (facing up) has no one-hot bit.
    let env = gridworld::make("MiniGrid-Empty-5x5-v0", &Kwargs::new()).unwrap();
    let mut env = OneHotPartialObs::new(FullyObs::new(env).unwrap()).unwrap();
    env.reset(Some(0), &Options::new()).unwrap();
    let mut errors = 0;
    for _ in 0..4 {
        errors += env.step(&Value::Int(0)).is_err() as usize;
    }
    assert_eq!(errors, 1, "exactly one of the four directions has no state bit");
    // A vocabulary without "goal".
    let words: Vec<&str> = ["get", "to", "the", "green", "square"].to_vec();
    let env = gridworld::make("MiniGrid-Empty-5x5-v0", &Kwargs::new()).unwrap();
    let mut env = DictObservationSpace::with_vocabulary(env, 50, &words).unwrap();
    let msg = env.reset(Some(0), &Options::new()).unwrap_err().to_string();
    assert!(msg.contains("\"goal\""), "{msg}");
    // A layout without a goal.
    let env = gridworld::make("MiniGrid-KeyCorridorS3R1-v0", &Kwargs::new()).unwrap();
    let mut env = DirectionObs::new(env, DirectionType::Slope).unwrap();
    assert!(env.reset(Some(0), &Options::new()).unwrap_err().to_string().contains("Goal"));
}

#[test]
fn bonuses_count_across_episodes() {
    let env = gridworld::make("MiniGrid-Empty-5x5-v0", &Kwargs::new()).unwrap();
    let mut env = ActionBonus::new(env);
    let mut rewards = Vec::new();
    for _ in 0..2 {
        env.reset(Some(0), &Options::new()).unwrap();
        rewards.push(env.step(&Value::Int(1)).unwrap().reward);
    }
    assert_eq!(rewards, [1.0, 1.0 / 2f64.sqrt()]);
    let w = env.world();
    assert_eq!(env.count(w.agent_pos, w.agent_dir, 1), 2);
}
