//! Helpers shared by the run tests: small configs for the random baseline, and an algorithm
//! that fails on a chosen update (a crash, or divergence).
#![allow(dead_code)]

use limbic::config::RunConfig;
use limbic::random_agent::RandomAgent;
use limbic::runner::Options;
use limbic_agents::AlgorithmSpec;
use limbic_agents::{AgentError, Algorithm, Update};
use limbic_environments::vector::VecEnv;
use serde_json::{json, Map, Value as Json};
use std::path::Path;

/// CartPole with the random baseline: 3 sub-envs × 50 steps = 150 env steps per update,
/// 20 updates; evaluations every 4 updates, checkpoints every 6, the last 2 kept.
pub fn small_config() -> RunConfig {
    RunConfig {
        env: "CartPole-v1".into(),
        algo: "random".into(),
        seed: 7,
        total_steps: 3000,
        num_envs: 3,
        eval_episodes: 3,
        eval_every: 600,
        checkpoint_every: 900,
        keep_checkpoints: 2,
        params: json!({"n_steps": 50}),
        ..RunConfig::default()
    }
}

pub fn quiet() -> Options {
    Options { quiet: true, gif: false }
}

/// A fresh temporary folder (removed when the guard drops).
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

pub fn read_lines(dir: &Path) -> Vec<Map<String, Json>> {
    let text = std::fs::read_to_string(dir.join("metrics.jsonl")).expect("metrics.jsonl exists");
    text.lines().map(|l| serde_json::from_str(l).expect("each line is a JSON object")).collect()
}

/// The lines without their wall-clock fields.
pub fn without_wall_clock(lines: Vec<Map<String, Json>>) -> Vec<Map<String, Json>> {
    lines
        .into_iter()
        .map(|mut l| {
            for key in limbic::metrics::WALL_CLOCK_FIELDS {
                l.remove(key);
            }
            l
        })
        .collect()
}

/// How [`Failing`] fails.
#[derive(Clone, Copy, Debug)]
pub enum Failure {
    /// Returns an I/O error, as a crash would stop the run.
    Crash,
    /// Reports that a loss became NaN (the algorithm's own diagnostic).
    Diverge,
    /// Returns a NaN metric (the runner's check must catch it).
    NanMetric,
}

/// The random baseline, failing at update `at` (1-based).
pub struct Failing {
    inner: RandomAgent,
    updates: u64,
    at: u64,
    failure: Failure,
}

pub fn failing(at: u64, failure: Failure) -> impl Fn(&AlgorithmSpec) -> limbic_agents::Result<Box<dyn Algorithm>> {
    move |spec| Ok(Box::new(Failing { inner: RandomAgent::new(spec)?, updates: 0, at, failure }))
}

impl Algorithm for Failing {
    fn name(&self) -> &'static str {
        "random"
    }

    fn update(&mut self, envs: &mut VecEnv) -> limbic_agents::Result<Update> {
        self.updates += 1;
        let mut update = self.inner.update(envs)?;
        if self.updates == self.at {
            match self.failure {
                Failure::Crash => return Err(AgentError::Io("simulated crash".into())),
                Failure::Diverge => {
                    return Err(AgentError::NonFinite {
                        update: self.updates,
                        quantity: "loss/value".into(),
                        value: f64::NAN,
                    })
                }
                Failure::NanMetric => {
                    update.metrics.insert("loss/policy".into(), f64::NAN);
                }
            }
        }
        Ok(update)
    }

    fn policy(&self) -> limbic_agents::Result<Box<dyn limbic_agents::policies::Acting>> {
        self.inner.policy()
    }

    fn save(&self, dir: &Path) -> limbic_agents::Result<()> {
        self.inner.save(dir)
    }

    fn load(&mut self, dir: &Path) -> limbic_agents::Result<()> {
        self.inner.load(dir)
    }
}
