//! The option-critic FourRooms transfer experiment (Bacon, Harb & Precup 2017, Fig. 3): steps
//! per episode against episodes, the goal moved after `--switch` episodes.
//!
//! ```text
//! cargo bench --bench fourrooms_transfer -- [--agents ppo,option-critic:4,option-critic:8]
//!     [--seeds 10] [--episodes 2000] [--switch 1000] [--csv FILE]
//! ```
//!
//! Each agent trains on `Fourrooms-v0` with its embedded preset (`presets/ALGO/Fourrooms-v0.json`,
//! the same PPO settings for every agent), `option-critic:K` with K options. Episodes are counted
//! over all sub-envs together; from episode `--switch` on, every sub-env resets with the goal at
//! `NEXT_GOALS[seed % 21]` (the paper draws one of those lower-right cells). The CSV has one row
//! per (agent, seed, episode): the episode's length. `bench/fourrooms_transfer.py` draws the
//! mean and 95% CI bands over seeds from it.

use clap::Parser;
use limbic_agents::core::algorithm::{build, AlgorithmSpec};
use limbic_agents::policies::FEED_FORWARD;
use limbic_environments::fourrooms::{FourRooms, DEFAULT_GOAL, NEXT_GOALS};
use limbic_environments::wrappers::TimeLimit;
use limbic_environments::{Env, Info, Options, Space, Step, Transition, Value, VecEnv};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "FourRooms transfer: option-critic against flat PPO, the goal moved mid-training")]
struct Args {
    /// Agents: `ppo` or `option-critic:K`.
    #[arg(long, value_delimiter = ',', default_values_t = vec!["ppo".to_string(), "option-critic:4".into(), "option-critic:8".into()])]
    agents: Vec<String>,
    /// Seeds 0..N.
    #[arg(long, default_value_t = 10)]
    seeds: u64,
    /// Episodes per run.
    #[arg(long, default_value_t = 2000)]
    episodes: usize,
    /// Episodes before the goal moves.
    #[arg(long, default_value_t = 1000)]
    switch: usize,
    /// Where the per-episode lengths go.
    #[arg(long, default_value = "fourrooms_transfer.csv")]
    csv: String,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// FourRooms whose goal moves to `next` once `episodes` (shared by the sub-envs) reaches
/// `switch`.
struct Moving {
    env: FourRooms,
    episodes: Arc<AtomicUsize>,
    switch: usize,
    next: usize,
}

impl Moving {
    fn begin(&mut self) -> limbic_environments::Result<()> {
        if self.episodes.fetch_add(1, Ordering::Relaxed) >= self.switch && self.env.goal() != self.next {
            self.env.set_goal(self.next)?;
        }
        Ok(())
    }
}

impl Env for Moving {
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> limbic_environments::Result<(Value, Info)> {
        self.begin()?;
        self.env.reset(seed, options)
    }
    fn step(&mut self, action: &Value) -> limbic_environments::Result<Step> {
        self.env.step(action)
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> limbic_environments::Result<()> {
        self.begin()?;
        self.env.reset_into(seed, obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> limbic_environments::Result<Transition> {
        self.env.step_into(action, obs)
    }
}

/// The preset of `algo` on Fourrooms-v0: (num_envs, params).
fn preset(algo: &str) -> (usize, serde_json::Value) {
    let text = match algo {
        "ppo" => include_str!("../presets/ppo/Fourrooms-v0.json"),
        _ => include_str!("../presets/option-critic/Fourrooms-v0.json"),
    };
    let preset: serde_json::Value = serde_json::from_str(text).expect("an embedded preset is JSON");
    (preset["num_envs"].as_u64().unwrap_or(1) as usize, preset["params"].clone())
}

/// One run: the length of each of its first `episodes` episodes.
fn run(agent: &str, seed: u64, args: &Args) -> anyhow::Result<Vec<u64>> {
    let (algo, options) = match agent.split_once(':') {
        Some((algo, k)) => (algo, Some(k.parse::<u64>()?)),
        None => (agent, None),
    };
    let (num_envs, mut params) = preset(algo);
    if let Some(k) = options {
        params["options"] = k.into();
    }
    let episodes = Arc::new(AtomicUsize::new(0));
    let next = NEXT_GOALS[seed as usize % NEXT_GOALS.len()];
    let envs: Vec<Box<dyn Env>> = (0..num_envs)
        .map(|_| {
            let env =
                Moving { env: FourRooms::new(DEFAULT_GOAL)?, episodes: episodes.clone(), switch: args.switch, next };
            Ok(Box::new(TimeLimit::new(env, 1000)) as Box<dyn Env>)
        })
        .collect::<anyhow::Result<_>>()?;
    let mut envs = VecEnv::new(envs)?;
    let spec = AlgorithmSpec {
        algo,
        params: &params,
        policy: &FEED_FORWARD,
        observation_space: &envs.observation_space().clone(),
        action_space: &envs.action_space().clone(),
        num_envs,
        // Schedules (none in the presets) would span a generous budget.
        total_steps: 2_000_000,
        seed,
    };
    let mut agent = build(&spec)?;
    envs.reset(Some(seed))?;
    let mut lengths = Vec::new();
    while lengths.len() < args.episodes {
        agent.update(&mut envs)?;
        lengths.extend(envs.take_episodes().iter().map(|e| e.length));
    }
    lengths.truncate(args.episodes);
    Ok(lengths)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut csv = std::fs::File::create(&args.csv)?;
    writeln!(csv, "agent,seed,episode,length")?;
    for agent in &args.agents {
        for seed in 0..args.seeds {
            let start = Instant::now();
            let lengths = run(agent, seed, &args)?;
            for (episode, length) in lengths.iter().enumerate() {
                writeln!(csv, "{agent},{seed},{episode},{length}")?;
            }
            let mean = |r: std::ops::Range<usize>| {
                let part = &lengths[r.start.min(lengths.len())..r.end.min(lengths.len())];
                part.iter().sum::<u64>() as f64 / part.len().max(1) as f64
            };
            let (s, e) = (args.switch, args.episodes);
            println!(
                "{agent} seed {seed}: {} steps, mean length: episodes {}..{} {:.1}, {}..{} {:.1}, {}..{} {:.1}, {}..{} {:.1} ({:.0} s)",
                lengths.iter().sum::<u64>(),
                s.saturating_sub(100), s, mean(s.saturating_sub(100)..s),
                s, s + 50, mean(s..s + 50),
                s + 50, s + 200, mean(s + 50..s + 200),
                e.saturating_sub(100), e, mean(e.saturating_sub(100)..e),
                start.elapsed().as_secs_f64()
            );
            csv.flush()?;
        }
    }
    Ok(())
}
