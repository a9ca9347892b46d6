//! Dynamics parity with MiniGrid 3.2.0: the same seed and actions give the same observations,
//! rewards, flags, agent and carried object, step by step, across episodes (re-reset with no
//! seed, so the RNG carries over), for every implemented id and some non-default kwargs.
//!
//! Fixtures: tests/fixtures/gridworld/trajectories.json (scripts/record_gridworld_fixtures.py)
//! and the reference trajectories MiniGrid-{DoorKey-5x5,Empty-5x5,MemoryS7}-v0_seed{0,1}.json.

mod common;

use common::{direction, fixture, image, replay};
use limbic_environments::gridworld;
use limbic_environments::{Env, EnvError, Kwargs, Options, Value};
use serde_json::Value as Json;

#[test]
fn trajectories_match_minigrid() {
    let data = fixture("trajectories.json");
    let records = data["records"].as_array().unwrap();
    let steps: usize = records.iter().map(replay).sum();
    assert!(records.len() >= 300 && steps >= 40_000, "{} records, {steps} steps", records.len());
}

/// The reference trajectories recorded with the project's first fixtures (full images each step).
#[test]
fn reference_trajectories_match_minigrid() {
    for id in ["MiniGrid-DoorKey-5x5-v0", "MiniGrid-Empty-5x5-v0", "MiniGrid-MemoryS7-v0"] {
        for seed in 0..2 {
            let rec = fixture(&format!("{id}_seed{seed}.json"));
            let label = format!("{id} seed {seed}");
            let mut env = gridworld::make(id, &Kwargs::new()).unwrap();
            let (obs, _) = env.reset(Some(seed), &Options::new()).unwrap();
            let xy3 = |v: &Json| -> Vec<u8> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|col| col.as_array().unwrap().iter())
                    .flat_map(|c| c.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u8).collect::<Vec<_>>())
                    .collect()
            };
            assert_eq!(env.world().grid.encode(), xy3(&rec["init_grid_encoding_xy3"]), "{label}: grid");
            assert_eq!(image(&obs), &xy3(&rec["init_obs_image_xy3"])[..], "{label}: first image");
            assert_eq!(obs.get("mission"), Some(&Value::Text(rec["mission"].as_str().unwrap().into())));
            let w = env.world();
            assert_eq!(
                (w.agent_pos.0 as i64, w.agent_pos.1 as i64, w.agent_dir as i64),
                (
                    rec["init_agent_pos"][0].as_i64().unwrap(),
                    rec["init_agent_pos"][1].as_i64().unwrap(),
                    rec["init_agent_dir"].as_i64().unwrap()
                )
            );
            for s in rec["steps"].as_array().unwrap() {
                let what = format!("{label} t={}", s["t"]);
                let step = env.step(&Value::Int(s["action"].as_i64().unwrap())).unwrap();
                // serde_json may round a decimal float 1 ulp off; the exact check is in
                // trajectories_match_minigrid, which stores rewards as text.
                let want = s["reward"].as_f64().unwrap();
                assert!((step.reward - want).abs() <= 2.0 * f64::EPSILON, "{what}: reward {} vs {want}", step.reward);
                assert_eq!(step.terminated, s["terminated"].as_bool().unwrap(), "{what}");
                assert_eq!(step.truncated, s["truncated"].as_bool().unwrap(), "{what}");
                assert_eq!(image(&step.obs), &xy3(&s["obs_image_xy3"])[..], "{what}: image");
                assert_eq!(direction(&step.obs), s["direction_obs"].as_i64().unwrap(), "{what}");
                let w = env.world();
                assert_eq!(
                    [w.agent_pos.0 as i64, w.agent_pos.1 as i64],
                    [s["agent_pos"][0].as_i64().unwrap(), s["agent_pos"][1].as_i64().unwrap()],
                    "{what}"
                );
                let carrying = w.carrying.map(|o| o.kind.name());
                assert_eq!(carrying, s["carrying"].as_str(), "{what}: carrying");
            }
        }
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    let msg = |e: EnvError| e.to_string();
    // Unknown id or size: the nearest ids are suggested.
    let err = msg(limbic_environments::make("MiniGrid-DoorKey-7x7-v0", &Kwargs::new()).err().unwrap());
    assert!(err.contains("unknown environment id") && err.contains("MiniGrid-DoorKey-"), "{err}");
    assert!(matches!(gridworld::make("MiniGrid-Nope-v0", &Kwargs::new()), Err(EnvError::UnknownEnv { .. })));
    // Kwargs: unknown names, bad values, sizes MiniGrid cannot build.
    let kw = |j: Json| j.as_object().unwrap().clone();
    let err =
        msg(limbic_environments::make("MiniGrid-Empty-5x5-v0", &kw(serde_json::json!({"see_through_walls": false})))
            .err()
            .unwrap());
    assert!(err.contains("no keyword argument `see_through_walls`"), "{err}");
    for bad in [
        serde_json::json!({"size": 4}),
        serde_json::json!({"size": "big"}),
        serde_json::json!({"agent_view_size": 4}),
        serde_json::json!({"max_steps": 0}),
    ] {
        let err = gridworld::make("MiniGrid-DoorKey-8x8-v0", &kw(bad.clone())).err();
        assert!(matches!(err, Some(EnvError::BadKwarg { .. })), "{bad}: {err:?}");
    }
    assert!(gridworld::make("MiniGrid-MemoryS7-v0", &kw(serde_json::json!({"size": 8}))).is_err());
    // Actions outside the action space, or before reset.
    let mut env = limbic_environments::make("MiniGrid-Empty-5x5-v0", &Kwargs::new()).unwrap();
    assert!(matches!(env.step(&Value::Int(0)), Err(EnvError::NotReset)));
    env.reset(Some(0), &Options::new()).unwrap();
    for bad in [Value::Int(7), Value::Int(-1), Value::F32(vec![1.0])] {
        assert!(matches!(env.step(&bad), Err(EnvError::InvalidAction { .. })), "{bad}");
    }
    let mut dynamic = gridworld::make("MiniGrid-Dynamic-Obstacles-5x5-v0", &Kwargs::new()).unwrap();
    dynamic.reset(Some(0), &Options::new()).unwrap();
    assert!(matches!(dynamic.step(&Value::Int(3)), Err(EnvError::InvalidAction { .. })));
    // A wrong-sized buffer on the fast path.
    let mut row = vec![0.0; 10];
    assert!(matches!(env.reset_into(Some(0), &mut row), Err(EnvError::BadSpace(_))));
    // A layout that cannot be placed: an error, not a hang; the env then refuses to step.
    let mut crowded =
        gridworld::make("MiniGrid-Fetch-5x5-N2-v0", &kw(serde_json::json!({"size": 4, "numObjs": 5}))).unwrap();
    let err = crowded.reset(Some(0), &Options::new()).err();
    assert!(matches!(err, Some(EnvError::LayoutFailed(_))), "{err:?}");
    assert!(matches!(crowded.step(&Value::Int(2)), Err(EnvError::NotReset)));
    // Unknown reset options.
    let mut opts = Options::new();
    opts.insert("low".into(), Json::from(0.0));
    assert!(matches!(env.reset(Some(0), &opts), Err(EnvError::BadOption { .. })));
}

#[test]
fn registry_lists_every_id_with_minigrid_defaults() {
    let ids = gridworld::ids();
    let count = |prefix: &str| ids.iter().filter(|id| id.starts_with(prefix)).count();
    assert_eq!((count("MiniGrid-"), count("BabyAI-"), ids.len()), (76, 96, 172));
    let env = limbic_environments::make("MiniGrid-DoorKey-5x5-v0", &Kwargs::new()).unwrap();
    assert_eq!(env.flat_space().flat_dim().unwrap(), 4 + 7 * 7 * 3, "direction one-hot + image");
    assert!(env.observation_space().flat_dim().is_err(), "the mission has no flat encoding");
    for id in &ids {
        let spec = limbic_environments::registry::spec(id).unwrap();
        assert_eq!(spec.max_episode_steps, None, "{id}: MiniGrid truncates by itself");
    }
    let spec = limbic_environments::registry::spec("MiniGrid-DoorKey-6x6-v0").unwrap();
    let size = spec.kwargs.iter().find(|k| k.name == "size").unwrap();
    assert_eq!(size.default, serde_json::json!(6));
    let env = gridworld::make("MiniGrid-RedBlueDoors-6x6-v0", &Kwargs::new()).unwrap();
    let c = env.config();
    assert_eq!((c.width, c.height, c.max_steps, c.see_through_walls), (12, 6, 720, false));
}
