//! Parity with the option-critic paper's FourRooms (`jeanharb/option_critic`'s
//! `fourrooms/fourrooms.py`): trajectories recorded from that class with numpy's Generator
//! (`scripts/record_fourrooms_fixtures.py`) are replayed through `make("Fourrooms-v0")` and must
//! match state by state: the start, every next state, reward and termination.

use limbic_environments::{make, Env, Kwargs, Options, Value};
use serde_json::{json, Value as Json};

#[test]
fn trajectories_match_the_papers_environment() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/fourrooms/trajectories.json");
    let cases: Vec<Json> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(cases.len(), 7);
    for case in &cases {
        let (goal, seed) = (case["goal"].as_u64().unwrap(), case["seed"].as_u64().unwrap());
        let kwargs: Kwargs = json!({"goal": goal}).as_object().unwrap().clone();
        let mut env = make("Fourrooms-v0", &kwargs).unwrap();
        let (start, _) = env.reset(Some(seed), &Options::new()).unwrap();
        assert_eq!(start, Value::Int(case["start"].as_i64().unwrap()), "goal {goal} seed {seed}: start");
        let actions = case["actions"].as_array().unwrap();
        for (t, action) in actions.iter().enumerate() {
            let step = env.step(&Value::Int(action.as_i64().unwrap())).unwrap();
            let at = format!("goal {goal} seed {seed} step {t}");
            assert_eq!(step.obs, Value::Int(case["states"][t].as_i64().unwrap()), "{at}");
            assert_eq!(step.reward, case["rewards"][t].as_f64().unwrap(), "{at}");
            assert_eq!(step.terminated, case["dones"][t].as_bool().unwrap(), "{at}");
            assert!(!step.truncated, "{at}");
        }
    }
}
