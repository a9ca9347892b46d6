//! BabyAI benchmarks, one JSON line per level (compare with `scripts/bench_babyai.py`, the same
//! protocol on Python MiniGrid; `bench/compare_babyai.sh` runs both and prints a table):
//!
//! - `bot N [FILTER]`: the BabyAI bot drives every level (ids containing FILTER) from reset seeds
//!   0..N; success (terminated with a positive reward), the bot's failures, steps, and demos
//!   (episodes) per second, bot and env together;
//! - `env STEPS [FILTER]`: env steps per second with uniformly random actions (numpy's
//!   generator, seed 7), a reset whenever an episode ends, through `step` (MiniGrid's dict
//!   observation, as Python returns it) and through `step_into` (flat f32 rows).
//!
//! `cargo bench -p limbic-environments --bench babyai -- bot 1000 [FILTER]`

use limbic_environments::experts::ExpertEnv;
use limbic_environments::gridworld;
use limbic_environments::rng::Generator;
use limbic_environments::{Env, Kwargs, Options, Value};
use std::time::Instant;

fn levels(filter: &str) -> Vec<&'static str> {
    gridworld::ids().into_iter().filter(|id| id.starts_with("BabyAI-") && id.contains(filter)).collect()
}

fn bot(id: &str, seeds: u64) {
    let mut env = ExpertEnv::make(id, &Kwargs::new()).expect("a BabyAI id");
    let (mut successes, mut errors, mut steps) = (0u64, 0u64, 0u64);
    let start = Instant::now();
    for seed in 0..seeds {
        env.reset(Some(seed), &Options::new()).expect("reset");
        loop {
            let Ok(action) = env.expert_action() else {
                errors += 1;
                break;
            };
            let step = env.step(&action).expect("step");
            steps += 1;
            if step.terminated || step.truncated {
                successes += u64::from(step.terminated && step.reward > 0.0);
                break;
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        r#"{{"id": "{id}", "episodes": {seeds}, "success": {successes}, "errors": {errors}, "steps": {steps}, "seconds": {seconds:.4}}}"#
    );
}

fn env_throughput(id: &str, steps: usize) {
    let mut env = gridworld::make(id, &Kwargs::new()).expect("a BabyAI id");
    let mut rng = Generator::from_seed(7);
    let actions: Vec<Value> = (0..steps).map(|_| Value::Int(rng.integers(0, 7))).collect();
    env.reset(Some(0), &Options::new()).expect("reset");
    let start = Instant::now();
    for a in &actions {
        let step = env.step(a).expect("step");
        if step.terminated || step.truncated {
            env.reset(None, &Options::new()).expect("reset");
        }
        std::hint::black_box(&step);
    }
    let dict = steps as f64 / start.elapsed().as_secs_f64();
    let mut row = vec![0.0f32; env.flat_space().flat_dim().expect("flat")];
    env.reset_into(Some(0), &mut row).expect("reset");
    let start = Instant::now();
    for a in &actions {
        if env.step_into(a, &mut row).expect("step").done() {
            env.reset_into(None, &mut row).expect("reset");
        }
    }
    std::hint::black_box(&row);
    let fast = steps as f64 / start.elapsed().as_secs_f64();
    println!(r#"{{"id": "{id}", "steps": {steps}, "step_per_s": {dict:.0}, "step_into_per_s": {fast:.0}}}"#);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let mode = args.first().map(String::as_str).unwrap_or("bot");
    let n: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(if mode == "env" { 20_000 } else { 100 });
    let filter = args.get(2).cloned().unwrap_or_default();
    for id in levels(&filter) {
        match mode {
            "env" => env_throughput(id, n as usize),
            _ => bot(id, n),
        }
    }
}
