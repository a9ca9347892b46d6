//! Trains DQN or SAC on a classic-control env and prints throughput and evaluation returns.
//!
//! ```text
//! cargo run --release -p limbic-agents --example offpolicy_benchmark -- dqn CartPole-v1 100000 '{"learning_rate": 2.3e-3}'
//! cargo run --release -p limbic-agents --example offpolicy_benchmark -- sac Pendulum-v1 30000 '{"learning_rate": 1e-3}'
//! ```
//! Arguments: algorithm, env id, total env steps, params as JSON (default: rl-zoo's tuned
//! hyperparameters for CartPole-v1 / Pendulum-v1; `-` for those), seed (default 0), evaluations
//! (default 10).

use limbic_agents::core::algorithm::build;
use limbic_agents::policies::FEED_FORWARD;
use limbic_agents::runner::mean_return;
use limbic_agents::AlgorithmSpec;
use limbic_environments::vector::VecEnv;
use limbic_environments::Kwargs;
use std::time::Instant;

/// rl-baselines3-zoo's `dqn.yml` CartPole-v1 and `sac.yml` Pendulum-v1 entries.
fn zoo_params(algo: &str) -> serde_json::Value {
    match algo {
        "dqn" => serde_json::json!({
            "learning_rate": 2.3e-3, "batch_size": 64, "buffer_size": 100000, "learning_starts": 1000,
            "gamma": 0.99, "target_update_interval": 10, "train_freq": 256, "gradient_steps": 128,
            "exploration_fraction": 0.16, "exploration_final_eps": 0.04, "net_arch": [256, 256]
        }),
        _ => serde_json::json!({ "learning_rate": 1e-3 }),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let algo = args.first().map_or("dqn", String::as_str).to_string();
    let default_id = if algo == "dqn" { "CartPole-v1" } else { "Pendulum-v1" };
    let id = args.get(1).map_or(default_id, String::as_str).to_string();
    let total: u64 = args.get(2).map_or(50_000, |s| s.parse().unwrap());
    let params =
        args.get(3).filter(|s| *s != "-").map_or_else(|| zoo_params(&algo), |s| serde_json::from_str(s).unwrap());
    let seed: u64 = args.get(4).map_or(0, |s| s.parse().unwrap());
    let evaluations: u64 = args.get(5).map_or(10, |s| s.parse().unwrap());

    let mut envs = VecEnv::make(&id, 1, &Kwargs::new()).unwrap();
    envs.reset(Some(seed)).unwrap();
    let spec = AlgorithmSpec {
        algo: &algo,
        params: &params,
        policy: &FEED_FORWARD,
        observation_space: envs.observation_space(),
        action_space: envs.action_space(),
        num_envs: 1,
        seed,
        total_steps: total,
    };
    let mut learner = build(&spec).unwrap();
    println!("{algo} on {id}, {total} steps, seed {seed}, params {params}");
    let (mut steps, mut train_time) = (0u64, 0.0f64);
    let mut next_eval = total / evaluations;
    let mut recent: Vec<f64> = Vec::new();
    while steps < total {
        let start = Instant::now();
        let update = learner.update(&mut envs).unwrap();
        train_time += start.elapsed().as_secs_f64();
        steps += update.env_steps;
        recent.extend(envs.take_episodes().iter().map(|e| e.episode_return));
        if steps >= next_eval || steps >= total {
            next_eval += total / evaluations;
            let tail = &recent[recent.len().saturating_sub(10)..];
            let train_return = tail.iter().sum::<f64>() / tail.len().max(1) as f64;
            let eval = mean_return(learner.policy().unwrap(), &id, 10, 1000 + seed).unwrap();
            let metrics: Vec<String> = update.metrics.iter().map(|(k, v)| format!("{k}={v:.4}")).collect();
            println!(
                "steps {steps:>7}  {:>7.1} steps/s  train return (last 10) {train_return:>8.1}  eval return (10 ep) {eval:>8.1}  {}",
                steps as f64 / train_time,
                metrics.join(" ")
            );
        }
    }
    println!("total training time {train_time:.1} s, {:.1} steps/s", steps as f64 / train_time);
}
