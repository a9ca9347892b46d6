//! BabyAI parity with MiniGrid 3.2.0: every `BabyAI-*` id and MiniGrid-Playground-v0 give the
//! same layouts, missions and step limits from the same seed (rejection sampling included), the
//! same observations, rewards and flags along recorded trajectories (the verifier at work), and
//! the BabyAI bot makes the same decisions as MiniGrid's `BabyAIBot` from the same state.
//!
//! Fixtures: tests/fixtures/babyai/{layouts,trajectories,bot}.json, written by
//! scripts/record_babyai_fixtures.py.

mod common;

use common::{fixture_in, fnv1a64};
use limbic_environments::experts::ExpertEnv;
use limbic_environments::gridworld::{self, GridEnv};
use limbic_environments::{Env, EnvError, Kwargs, Options, Value};

fn layout_hash(env: &dyn GridEnv) -> String {
    let w = env.world();
    let mut bytes = w.grid.encode();
    bytes.extend([w.agent_pos.0 as u8, w.agent_pos.1 as u8, w.agent_dir as u8]);
    if let Some(obj) = w.carrying {
        bytes.extend(obj.encode());
    }
    bytes.extend(w.max_steps.to_le_bytes());
    bytes.extend(w.mission.as_bytes());
    fnv1a64(&bytes)
}

#[test]
fn every_layout_matches_minigrid() {
    let data = fixture_in("babyai", "layouts.json");
    let envs = data["envs"].as_array().expect("envs");
    let mut failures = Vec::new();
    for rec in envs {
        let id = rec["id"].as_str().expect("id");
        let seeds = rec["seeds"].as_u64().expect("seeds");
        let hashes = rec["hashes"].as_str().expect("hashes");
        let mut env = gridworld::make(id, &Kwargs::new()).unwrap_or_else(|e| panic!("{id}: {e}"));
        let mut wrong = 0;
        for seed in 0..seeds {
            env.reset(Some(seed), &Options::new()).unwrap_or_else(|e| panic!("{id} seed {seed}: {e}"));
            let want = &hashes[seed as usize * 16..seed as usize * 16 + 16];
            if layout_hash(env.as_ref()) != want {
                wrong += 1;
            }
        }
        env.reset(Some(0), &Options::new()).unwrap();
        let (mission, text) = (env.world().mission.clone(), env.to_text());
        if wrong > 0 || mission != rec["mission_seed0"].as_str().unwrap() || text != rec["text_seed0"].as_str().unwrap()
        {
            failures.push(format!(
                "{id}: {wrong}/{seeds} layouts differ; seed 0: {mission:?} vs {:?}\n{text}\nvs\n{}",
                rec["mission_seed0"],
                rec["text_seed0"].as_str().unwrap()
            ));
        }
    }
    assert!(failures.is_empty(), "{} ids differ:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(envs.len(), 97, "96 BabyAI ids and the Playground");
}

#[test]
fn trajectories_match_minigrid() {
    let data = fixture_in("babyai", "trajectories.json");
    let records = data["records"].as_array().unwrap();
    let steps: usize = records.iter().map(common::replay).sum();
    assert!(records.len() >= 97 * 4 && steps >= 50_000, "{} records, {steps} steps", records.len());
}

/// The bot's error as MiniGrid's bot raises it.
fn python_error(e: &EnvError) -> &'static str {
    let text = e.to_string();
    if text.contains("box was opened") {
        "DisappearedBoxError"
    } else if text.contains("without choosing") {
        "Stuck"
    } else {
        "AssertionError"
    }
}

#[test]
fn bot_decides_as_minigrid_bot() {
    let data = fixture_in("babyai", "bot.json");
    let levels = data["levels"].as_array().unwrap();
    let (mut decisions, mut failures) = (0, Vec::new());
    for level in levels {
        let id = level["id"].as_str().unwrap();
        let mut env = ExpertEnv::make(id, &Kwargs::new()).unwrap();
        for ep in level["episodes"].as_array().unwrap() {
            let seed = ep["seed"].as_u64().unwrap();
            let taken = ep["taken"].as_str().unwrap().as_bytes();
            let suggested = ep["suggested"].as_str().unwrap().as_bytes();
            let error = ep["error"].as_str().unwrap();
            env.reset(Some(seed), &Options::new()).unwrap();
            let label = format!("{id} seed {seed}");
            let mut outcome = Ok(());
            for (i, (&want, &take)) in suggested.iter().zip(taken).enumerate() {
                match env.expert_action() {
                    Ok(a) if a == Value::Int((want - b'0') as i64) => {}
                    other => {
                        outcome = Err(format!("{label} step {i}: bot says {other:?}, MiniGrid's {}", want - b'0'));
                        break;
                    }
                }
                decisions += 1;
                env.step(&Value::Int((take - b'0') as i64)).unwrap();
            }
            if outcome.is_ok() && !error.is_empty() {
                match env.expert_action() {
                    Err(e) if python_error(&e) == error => {}
                    other => outcome = Err(format!("{label}: MiniGrid's bot raised {error}, this one says {other:?}")),
                }
            }
            if let Err(why) = outcome {
                failures.push(why);
            }
        }
    }
    assert!(failures.is_empty(), "{} episodes differ:\n{}", failures.len(), failures.join("\n"));
    assert!(levels.len() == 96 && decisions > 40_000, "{} levels, {decisions} decisions", levels.len());
}

#[test]
fn bad_input_is_a_clear_error() {
    let kw = |j: serde_json::Value| j.as_object().unwrap().clone();
    let msg = |r: Result<Box<dyn Env>, EnvError>| r.err().map(|e| e.to_string()).unwrap_or_default();
    // An unknown level suggests the nearest; the WFC ids say why they are missing.
    let err = msg(limbic_environments::make("BabyAI-GoToRedBal-v0", &Kwargs::new()));
    assert!(err.contains("unknown environment id") && err.contains("BabyAI-GoToRedBall-v0"), "{err}");
    let err = msg(limbic_environments::make("MiniGrid-WFC-MazeSimple-v0", &Kwargs::new()));
    assert!(err.contains("pattern images") && !err.contains("unknown"), "{err}");
    // An instruction outside the Baby Language.
    let err = msg(limbic_environments::make("BabyAI-GoToLocal-v0", &kw(serde_json::json!({"instr": "go to the red"}))));
    assert!(err.contains("`instr`") && err.contains("expected an object"), "{err}");
    // A level that cannot place its objects: an error after the retry budget, not a hang.
    let crowded = kw(serde_json::json!({"room_size": 4, "num_dists": 30}));
    let mut env = limbic_environments::make("BabyAI-GoToLocal-v0", &crowded).unwrap();
    let err = env.reset(Some(0), &Options::new()).err().unwrap().to_string();
    assert!(err.contains("10000 layouts") && err.contains("no free cell"), "{err}");
    // A given instruction replaces the generated one, in layouts where its objects exist.
    let given = kw(serde_json::json!({"instr": "pick up a ball, then go to the grey key"}));
    let mut env = limbic_environments::make("BabyAI-GoToLocal-v0", &given).unwrap();
    for seed in 0..5 {
        let (obs, _) = env.reset(Some(seed), &Options::new()).unwrap();
        let Some(Value::Text(mission)) = obs.get("mission") else { panic!("no mission") };
        assert!(mission.starts_with("pick up ") && mission.ends_with(", then go to the grey key"), "{mission}");
    }
}

#[test]
fn the_bot_solves_the_levels_it_is_meant_for() {
    // MiniGrid's bot solves every level but the Carrying ones and KeyInBox (its docstring).
    for (id, seeds) in [("BabyAI-GoToLocal-v0", 20), ("BabyAI-PutNextLocal-v0", 10), ("BabyAI-BossLevel-v0", 10)] {
        let mut env = ExpertEnv::make(id, &Kwargs::new()).unwrap();
        for seed in 0..seeds {
            env.reset(Some(seed), &Options::new()).unwrap();
            let last = loop {
                let action = env.expert_action().unwrap();
                let step = env.step(&action).unwrap();
                if step.terminated || step.truncated {
                    break step;
                }
            };
            assert!(last.terminated && last.reward > 0.0, "{id} seed {seed}");
        }
    }
    let mut env = ExpertEnv::make("BabyAI-KeyInBox-v0", &Kwargs::new()).unwrap();
    env.reset(Some(0), &Options::new()).unwrap();
    let mut err = None;
    for _ in 0..200 {
        match env.expert_action() {
            Ok(a) => drop(env.step(&a).unwrap()),
            Err(e) => {
                err = Some(e.to_string());
                break;
            }
        }
    }
    assert!(err.as_deref().is_some_and(|e| e.contains("BabyAI bot")), "{err:?}");
}
