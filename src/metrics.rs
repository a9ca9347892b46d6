//! The lines of `metrics.jsonl` and the counters behind them, which a checkpoint keeps so a
//! resumed run writes the lines the uninterrupted run would have.
//!
//! A line has `update` (1, 2, ...), `env_steps` (cumulative), `time_s` (wall-clock seconds of
//! training, across resumes), `sps` (env steps per second of this update), `episodes` (finished
//! since the previous line) with `return_mean/min/max` and `length_mean/min/max` over them
//! (when there are any), `return_mean_100`/`length_mean_100` over the last 100 episodes, every
//! metric the algorithm reported, and `eval/...` keys on lines where an evaluation ran.

use crate::evaluate::EvalSummary;
use anyhow::{bail, Result};
use limbic_agents::Update;
use limbic_environments::Episode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};
use std::collections::VecDeque;

/// Episodes in the rolling window (`return_mean_100`).
pub const WINDOW: usize = 100;
/// The fields that depend on wall-clock time (left out when comparing runs).
pub const WALL_CLOCK_FIELDS: [&str; 2] = ["time_s", "sps"];

/// A metric became NaN or infinite: the run diverged (resuming would repeat it).
#[derive(Debug)]
pub struct Diverged(pub String);

impl std::fmt::Display for Diverged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Diverged {}

/// The runner's progress (`trainer.json` in a checkpoint).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counters {
    /// Updates done (= lines in `metrics.jsonl`).
    pub updates: u64,
    pub env_steps: u64,
    /// Wall-clock seconds of training up to this point.
    pub time_s: f64,
    /// Returns and lengths of the last [`WINDOW`] finished episodes, oldest first.
    pub recent_returns: VecDeque<f64>,
    pub recent_lengths: VecDeque<u64>,
}

impl Counters {
    /// Counts one update and returns its line. `seconds` is the update's wall time, `time_s`
    /// the training time so far. Fails on a non-finite metric or an update without env steps.
    pub fn record(
        &mut self,
        update: &Update,
        episodes: &[Episode],
        seconds: f64,
        time_s: f64,
    ) -> Result<Map<String, Json>> {
        let index = self.updates + 1;
        if let Some((key, value)) = update.metrics.iter().find(|(_, v)| !v.is_finite()) {
            return Err(
                Diverged(format!("training diverged at update {index}: the algorithm's `{key}` is {value}")).into()
            );
        }
        if update.env_steps == 0 {
            bail!("update {index} took no env steps: the algorithm makes no progress");
        }
        self.updates = index;
        self.env_steps += update.env_steps;
        self.time_s = time_s;
        for e in episodes {
            self.recent_returns.push_back(e.episode_return);
            self.recent_lengths.push_back(e.length);
        }
        let excess = self.recent_returns.len().saturating_sub(WINDOW);
        self.recent_returns.drain(..excess);
        self.recent_lengths.drain(..excess);

        let mut line = Map::new();
        line.insert("update".into(), json!(index));
        line.insert("env_steps".into(), json!(self.env_steps));
        line.insert("time_s".into(), json!(time_s));
        line.insert("sps".into(), json!(update.env_steps as f64 / seconds.max(1e-9)));
        line.insert("episodes".into(), json!(episodes.len()));
        let returns: Vec<f64> = episodes.iter().map(|e| e.episode_return).collect();
        let lengths: Vec<f64> = episodes.iter().map(|e| e.length as f64).collect();
        insert_spread(&mut line, "return", &returns);
        insert_spread(&mut line, "length", &lengths);
        if !self.recent_returns.is_empty() {
            let n = self.recent_returns.len() as f64;
            line.insert("return_mean_100".into(), json!(self.recent_returns.iter().sum::<f64>() / n));
            line.insert("length_mean_100".into(), json!(self.recent_lengths.iter().sum::<u64>() as f64 / n));
        }
        for (key, value) in &update.metrics {
            if line.contains_key(key) {
                bail!("the algorithm's metric `{key}` has the name of a runner field");
            }
            line.insert(key.clone(), json!(value));
        }
        Ok(line)
    }

    /// Mean return of the last episodes, if any ended yet.
    pub fn recent_return(&self) -> Option<f64> {
        (!self.recent_returns.is_empty())
            .then(|| self.recent_returns.iter().sum::<f64>() / self.recent_returns.len() as f64)
    }
}

/// Adds an evaluation's figures to a line, under `eval/`.
pub fn insert_eval(line: &mut Map<String, Json>, eval: &EvalSummary) {
    line.insert("eval/mean_return".into(), json!(eval.mean_return));
    line.insert("eval/std_return".into(), json!(eval.std_return));
    if let Some([low, high]) = eval.ci95 {
        line.insert("eval/ci95_low".into(), json!(low));
        line.insert("eval/ci95_high".into(), json!(high));
    }
    line.insert("eval/mean_length".into(), json!(eval.mean_length));
    if let Some(rate) = eval.success_rate {
        line.insert("eval/success_rate".into(), json!(rate));
    }
}

/// `name_mean`, `name_min` and `name_max` of the values, when there are any.
fn insert_spread(line: &mut Map<String, Json>, name: &str, values: &[f64]) {
    if values.is_empty() {
        return;
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    line.insert(format!("{name}_mean"), json!(mean));
    line.insert(format!("{name}_min"), json!(min));
    line.insert(format!("{name}_max"), json!(max));
}
