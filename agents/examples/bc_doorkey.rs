//! Behavioural cloning on MiniGrid DoorKey from the BFS expert, in memory.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p limbic-agents --example bc_doorkey -- [--size 5] [--demos 10,100] [--seeds 1] [--episodes 50]
//! ```
//!
//! For each number of demonstrations N and seed s: records N episodes of the planning expert
//! on `MiniGrid-DoorKey-{size}x{size}-v0` (reset seeds `1000 s ..`), trains BC (defaults,
//! except `learning_rate` 3e-3; `--params '{"patience": 0}'` overrides any of them),
//! evaluates the deterministic policy on `--episodes` episodes (reset seeds from 1,000,000)
//! and prints the success rate, the mean return and the training wall time.

use limbic_agents::imitation::{Bc, Demonstrations};
use limbic_agents::policies::{ActionKind, Actor, FEED_FORWARD};
use limbic_agents::runner::first_episodes;
use limbic_agents::{Algorithm, AlgorithmSpec};
use limbic_environments::gridworld::{self, experts};
use limbic_environments::VecEnv;
use limbic_environments::{Env, Kwargs, Value};
use std::time::Instant;

fn list(args: &[String], flag: &str, default: &str) -> Result<Vec<usize>, Box<dyn std::error::Error>> {
    let value = args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).map_or(default, |v| v.as_str());
    Ok(value.split(',').map(str::parse).collect::<Result<_, _>>()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size = list(&args, "--size", "5")?[0];
    let demos_counts = list(&args, "--demos", "10,100")?;
    let seeds = list(&args, "--seeds", "1")?[0];
    let episodes = list(&args, "--episodes", "50")?[0];
    let id = format!("MiniGrid-DoorKey-{size}x{size}-v0");
    let mut env = gridworld::make(&id, &Kwargs::new())?;
    let mut expert = experts::expert_for(&id)?;
    let (obs_space, act_space) = (env.flat_space().clone(), env.action_space().clone());
    let d = obs_space.flat_dim()?;
    println!("env\tN\tseed\ttransitions\tepochs\tsuccess\tmean_return\ttrain_s");
    for &n in &demos_counts {
        for seed in 0..seeds as u64 {
            let mut demos = Demonstrations::empty(d, ActionKind::for_space(&act_space)?)?;
            let mut obs = vec![0.0; d];
            for episode in 0..n as u64 {
                env.reset_into(Some(1000 * seed + episode), &mut obs)?;
                expert.reset();
                let mut first = true;
                loop {
                    let action = Value::Int(expert.act(env.world()) as i64);
                    let before = obs.clone();
                    let t = env.step_into(&action, &mut obs)?;
                    demos.push(first, &before, &action, t.reward, &obs, t.terminated, t.truncated)?;
                    first = false;
                    if t.done() {
                        break;
                    }
                }
            }
            let mut params = serde_json::json!({"learning_rate": 3e-3});
            if let Some(extra) = args.iter().position(|a| a == "--params").and_then(|i| args.get(i + 1)) {
                let extra: serde_json::Map<String, serde_json::Value> = serde_json::from_str(extra)?;
                params.as_object_mut().ok_or("params")?.extend(extra);
            }
            let spec = AlgorithmSpec {
                algo: "bc",
                params: &params,
                policy: &FEED_FORWARD,
                observation_space: &obs_space,
                action_space: &act_space,
                num_envs: 1,
                total_steps: 0,
                seed,
            };
            let start = Instant::now();
            let mut bc: Bc = Bc::with_demonstrations(&spec, &demos)?;
            let history = bc.fit()?;
            let train_s = start.elapsed().as_secs_f64();
            let mut eval_envs = VecEnv::make(&id, episodes, &Kwargs::new())?;
            eval_envs.reset(Some(1_000_000))?;
            let mut actor = Actor::new(bc.policy()?, episodes, 0).deterministic(true);
            let outcomes = first_episodes(&mut eval_envs, &mut actor, 1_000_000)?;
            let successes = outcomes.iter().filter(|o| o.terminated && o.final_reward > 0.0).count();
            let total: f64 = outcomes.iter().map(|o| o.episode_return).sum();
            let success = successes as f64 / episodes as f64;
            let mean = total / episodes as f64;
            println!("{id}\t{n}\t{seed}\t{}\t{}\t{success:.2}\t{mean:.3}\t{train_s:.1}", demos.len(), history.len());
        }
    }
    Ok(())
}
