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
    Options { quiet: true, gif: false, ..Options::default() }
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

/// Runs the `limbic` binary.
pub fn limbic(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_limbic")).args(args).output().expect("the limbic binary runs")
}

/// Runs the `limbic` binary, which must succeed.
pub fn limbic_ok(args: &[&str]) -> std::process::Output {
    let out = limbic(args);
    assert!(out.status.success(), "limbic {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The command failed with exit status 1 and a message holding every needle, without a panic.
pub fn assert_fails_with(out: &std::process::Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "expected exit status 1: {err}");
    for needle in needles {
        assert!(err.contains(needle), "stderr {err:?} should mention {needle:?}");
    }
    assert!(!err.contains("panicked"), "must not panic: {err}");
}

/// A PPO run small enough for tests (CartPole, 2 sub-envs x 16 steps per update, a net of 8
/// units; evaluations every 64 steps, checkpoints every 64, the last 2 kept).
pub fn tiny_ppo(total_steps: u64) -> RunConfig {
    RunConfig {
        env: "CartPole-v1".into(),
        algo: "ppo".into(),
        seed: 3,
        total_steps,
        num_envs: 2,
        eval_episodes: 2,
        eval_every: 64,
        checkpoint_every: 64,
        keep_checkpoints: 2,
        params: json!({"n_steps": 16, "batch_size": 16, "n_epochs": 2, "net_arch": [8]}),
        ..RunConfig::default()
    }
}

/// `config` as `limbic train` arguments (its file written beside `out`: `out.config.json`).
pub fn train_args(config: &RunConfig, out: &Path) -> Vec<String> {
    let file = out.with_extension("config.json");
    std::fs::write(&file, serde_json::to_string(config).unwrap()).unwrap();
    ["train", file.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"].map(String::from).to_vec()
}

/// Every file under `dir` with its bytes, by path relative to `dir`.
pub fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut found = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                found.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    found
}
