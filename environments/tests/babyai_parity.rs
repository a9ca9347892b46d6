//! BabyAI parity with MiniGrid 3.2.0: every `BabyAI-*` id and MiniGrid-Playground-v0 give the
//! same layouts, missions and step limits from the same seed (rejection sampling included), the
//! same observations, rewards and flags along recorded trajectories (the verifier at work), and
//! the BabyAI bot makes the same decisions as MiniGrid's `BabyAIBot` from the same state.
//!
//! Fixtures: tests/fixtures/babyai/{layouts,trajectories,bot}.json, written by
//! scripts/record_babyai_fixtures.py.

mod common;

use common::{fixture_in, fnv1a64};
use limbic_environments::gridworld::{self, GridEnv};
use limbic_environments::{Env, Kwargs, Options};

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
        if wrong > 0 || mission != rec["mission_seed0"].as_str().unwrap() || text != rec["text_seed0"].as_str().unwrap() {
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
