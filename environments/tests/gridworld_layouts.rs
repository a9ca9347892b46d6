//! Seed parity of every MiniGrid layout: for hundreds of seeds per id, the initial grid, agent
//! and mission hash to what MiniGrid 3.2.0 gives (tests/fixtures/gridworld/layouts.json, written
//! by scripts/record_gridworld_fixtures.py); `to_text` matches `pprint_grid()`.

mod common;

use common::{fixture, fnv1a64};
use limbic_environments::gridworld::{self, GridEnv};
use limbic_environments::{Env, Kwargs, Options};

fn layout_hash(env: &dyn GridEnv) -> String {
    let w = env.world();
    let mut bytes = w.grid.encode();
    bytes.extend([w.agent_pos.0 as u8, w.agent_pos.1 as u8, w.agent_dir as u8]);
    bytes.extend(w.mission.as_bytes());
    fnv1a64(&bytes)
}

#[test]
fn every_layout_matches_minigrid() {
    let data = fixture("layouts.json");
    let envs = data["envs"].as_array().expect("envs");
    let mut failures = Vec::new();
    for rec in envs {
        let id = rec["id"].as_str().expect("id");
        let seeds = rec["seeds"].as_u64().expect("seeds");
        let hashes = rec["hashes"].as_str().expect("hashes");
        let mut env = gridworld::make(id, &Kwargs::new()).unwrap_or_else(|e| panic!("{id}: {e}"));
        for seed in 0..seeds {
            env.reset(Some(seed), &Options::new()).unwrap_or_else(|e| panic!("{id} seed {seed}: {e}"));
            let want = &hashes[seed as usize * 16..seed as usize * 16 + 16];
            if layout_hash(env.as_ref()) != want {
                failures.push(format!("{id} seed {seed}"));
            }
        }
        env.reset(Some(0), &Options::new()).unwrap();
        assert_eq!(env.to_text(), rec["text_seed0"].as_str().unwrap(), "{id}: pprint_grid of seed 0");
    }
    assert!(failures.is_empty(), "{} layouts differ: {:?}", failures.len(), &failures[..failures.len().min(20)]);
    assert!(envs.len() >= 70, "the fixture covers {} ids", envs.len());
}

#[test]
fn every_implemented_id_has_layout_fixtures() {
    let mut covered: Vec<String> = Vec::new();
    for data in [fixture("layouts.json"), common::fixture_in("babyai", "layouts.json")] {
        covered.extend(data["envs"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()));
    }
    for id in gridworld::ids() {
        assert!(covered.iter().any(|c| c == id), "{id} has no layout fixture");
    }
}
