//! PPO on CartPole-v1 with rl-zoo's tuned hyperparameters: training speed and time to solve.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p limbic-agents --example ppo_cartpole -- [SEEDS...] [--steps N]
//! ```
//!
//! For each seed: trains for `--steps` env steps (default 100k; 8 envs, n_steps 32, batch 256,
//! 20 epochs, gamma 0.98, lambda 0.8, lr 1e-3 and clip 0.2 both linearly annealed, ent 0) and
//! prints the training speed (env steps per second of `update` calls alone, by wall time and by
//! the process's CPU time) and the first point where a deterministic evaluation (10 episodes,
//! one per eval env) averages >= 475: its env steps and the training time up to it
//! (evaluations excluded). Evaluations run after every update once the recent training
//! episodes average 200 or more.
//!
//! glibc's allocator returns freed memory to the OS eagerly and faults it back in on every
//! tensor of the next minibatch; `MALLOC_TRIM_THRESHOLD_=268435456 MALLOC_MMAP_THRESHOLD_=268435456
//! MALLOC_TOP_PAD_=67108864` keeps it and was ~25% faster here.

use limbic_agents::core::algorithm::build;
use limbic_agents::policies::FEED_FORWARD;
use limbic_agents::runner::mean_return;
use limbic_agents::AlgorithmSpec;
use limbic_environments::{Kwargs, VecEnv};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut seeds = Vec::new();
    let mut total: u64 = 100_000;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--steps" => {
                total = args.get(i + 1).ok_or("--steps needs a number")?.parse()?;
                i += 1;
            }
            "--bench" => {}
            seed => seeds.push(seed.parse::<u64>()?),
        }
        i += 1;
    }
    if seeds.is_empty() {
        seeds = vec![0];
    }
    let params = serde_json::json!({
        "n_steps": 32, "batch_size": 256, "n_epochs": 20, "gamma": 0.98, "gae_lambda": 0.8,
        "learning_rate": 1e-3, "anneal_lr": true, "clip_range": 0.2, "anneal_clip": true,
        "ent_coef": 0.0,
    });
    for seed in seeds {
        let mut envs = VecEnv::make("CartPole-v1", 8, &Kwargs::new())?;
        envs.reset(Some(seed))?;
        let spec = AlgorithmSpec {
            algo: "ppo",
            params: &params,
            policy: &FEED_FORWARD,
            observation_space: envs.observation_space(),
            action_space: envs.action_space(),
            num_envs: 8,
            total_steps: total,
            seed,
        };
        let mut ppo = build(&spec)?;
        let (mut steps, mut training, mut cpu) = (0u64, Duration::ZERO, 0.0);
        let mut recent = Vec::new();
        let mut solved: Option<(u64, f64, f64)> = None;
        let mut last_eval = 0.0;
        while steps < total {
            let (start, cpu_start) = (Instant::now(), cpu_seconds());
            steps += ppo.update(&mut envs)?.env_steps;
            training += start.elapsed();
            cpu += cpu_seconds() - cpu_start;
            recent.extend(envs.take_episodes().iter().map(|e| e.episode_return));
            let tail = &recent[recent.len().saturating_sub(10)..];
            let recent_mean = tail.iter().sum::<f64>() / tail.len().max(1) as f64;
            if solved.is_none() && recent_mean >= 200.0 {
                last_eval = mean_return(ppo.policy()?, "CartPole-v1", 10, 1000 + seed)?;
                if last_eval >= 475.0 {
                    solved = Some((steps, training.as_secs_f64(), cpu));
                }
            }
        }
        let final_eval = mean_return(ppo.policy()?, "CartPole-v1", 10, 2000 + seed)?;
        let wall = training.as_secs_f64();
        let solved = match solved {
            Some((s, t, c)) => format!("eval >= 475 at {s} steps after {t:.2} s of training ({c:.2} s CPU)"),
            None => format!("not solved (last eval {last_eval:.1})"),
        };
        println!(
            "seed {seed}: {steps} steps in {wall:.2} s = {:.0} steps/s (CPU {cpu:.2} s = {:.0} steps/s); {solved}; \
             final eval {final_eval:.1}",
            steps as f64 / wall,
            steps as f64 / cpu,
        );
    }
    Ok(())
}

/// CPU time of every thread of this process so far (Linux `schedstat`; 0 elsewhere): on a
/// shared machine it measures the work, where wall time also counts waiting for a core.
fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0.0 };
    let nanos: u64 = tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok())
        .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    nanos as f64 * 1e-9
}
