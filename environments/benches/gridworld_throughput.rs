//! Steps per second of the MiniGrid envs, one env on one thread, on the fast path
//! (`step_into`, flat f32 rows) and on the dict path (`step`), with random actions and a reset
//! whenever an episode ends. Compare with `scripts/bench_minigrid.py` (Python MiniGrid, same
//! ids, same protocol), run on the same machine.
//!
//! `cargo bench -p limbic-environments --bench gridworld_throughput [-- steps]`

use limbic_environments::gridworld::{self, GridEnv};
use limbic_environments::rng::Generator;
use limbic_environments::{Env, Kwargs, Options, Value};
use std::time::Instant;

const IDS: [&str; 6] = [
    "MiniGrid-Empty-8x8-v0",
    "MiniGrid-DoorKey-8x8-v0",
    "MiniGrid-FourRooms-v0",
    "MiniGrid-KeyCorridorS3R3-v0",
    "MiniGrid-MultiRoom-N6-v0",
    "MiniGrid-ObstructedMaze-2Q-v1",
];

fn actions(env: &dyn GridEnv, n: usize) -> Vec<Value> {
    let space = env.action_space().clone();
    let mut rng = Generator::from_seed(7);
    (0..n).map(|_| space.sample(&mut rng)).collect()
}

/// Steps per second on the fast path.
fn fast(id: &str, steps: usize) -> f64 {
    let mut env = gridworld::make(id, &Kwargs::new()).expect("id");
    let acts = actions(env.as_ref(), steps);
    let mut row = vec![0.0f32; env.flat_space().flat_dim().expect("flat")];
    env.reset_into(Some(0), &mut row).expect("reset");
    let start = Instant::now();
    for a in &acts {
        if env.step_into(a, &mut row).expect("step").done() {
            env.reset_into(None, &mut row).expect("reset");
        }
    }
    std::hint::black_box(&row);
    steps as f64 / start.elapsed().as_secs_f64()
}

/// Steps per second through `step`, building MiniGrid's dict observation each step.
fn dict(id: &str, steps: usize) -> f64 {
    let mut env = gridworld::make(id, &Kwargs::new()).expect("id");
    let acts = actions(env.as_ref(), steps);
    env.reset(Some(0), &Options::new()).expect("reset");
    let start = Instant::now();
    for a in &acts {
        let step = env.step(a).expect("step");
        if step.terminated || step.truncated {
            env.reset(None, &Options::new()).expect("reset");
        }
        std::hint::black_box(&step);
    }
    steps as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let steps = std::env::args().filter_map(|a| a.parse().ok()).next().unwrap_or(1_000_000);
    println!("{:34} {:>16} {:>16}", "id", "step_into /s", "step (dict) /s");
    for id in IDS {
        println!("{id:34} {:>16.0} {:>16.0}", fast(id, steps), dict(id, steps));
    }
}
