//! RecordEpisodeStatistics: episode returns, lengths and times.

use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;
use serde_json::json;
use std::collections::VecDeque;
use std::time::Instant;

/// The statistics of one finished episode (Gymnasium's `info["episode"]`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpisodeStatistics {
    /// The sum of the rewards (`"r"`).
    pub r: f64,
    /// The number of steps (`"l"`).
    pub l: usize,
    /// Seconds from `reset` to the last step, rounded to 6 decimals as Gymnasium does (`"t"`).
    pub t: f64,
}

/// Gymnasium's `RecordEpisodeStatistics(buffer_length=100, stats_key="episode")`: at the step
/// that ends an episode (terminated or truncated), `info[stats_key] = {"r", "l", "t"}`, and the
/// last `buffer_length` returns, lengths and times are kept in queues.
///
/// The fast path (`step_into`) has no `info`: there the statistics go to the queues and to
/// [`RecordEpisodeStatistics::last_episode`] only.
pub struct RecordEpisodeStatistics<E> {
    env: E,
    stats_key: String,
    buffer_length: usize,
    episode_count: usize,
    episode_start: Instant,
    episode_return: f64,
    episode_length: usize,
    last_episode: Option<EpisodeStatistics>,
    return_queue: VecDeque<f64>,
    length_queue: VecDeque<usize>,
    time_queue: VecDeque<f64>,
}

impl<E: Env> RecordEpisodeStatistics<E> {
    /// With Gymnasium's defaults: `buffer_length = 100`, `stats_key = "episode"`.
    pub fn new(env: E) -> Self {
        Self::with_options(env, 100, "episode")
    }

    pub fn with_options(env: E, buffer_length: usize, stats_key: &str) -> Self {
        RecordEpisodeStatistics {
            env,
            stats_key: stats_key.to_string(),
            buffer_length,
            episode_count: 0,
            episode_start: Instant::now(),
            episode_return: 0.0,
            episode_length: 0,
            last_episode: None,
            return_queue: VecDeque::with_capacity(buffer_length),
            length_queue: VecDeque::with_capacity(buffer_length),
            time_queue: VecDeque::with_capacity(buffer_length),
        }
    }

    /// Returns of the last `buffer_length` episodes, oldest first.
    pub fn return_queue(&self) -> &VecDeque<f64> {
        &self.return_queue
    }

    pub fn length_queue(&self) -> &VecDeque<usize> {
        &self.length_queue
    }

    /// Durations in seconds, rounded to 6 decimals.
    pub fn time_queue(&self) -> &VecDeque<f64> {
        &self.time_queue
    }

    /// Episodes finished since the wrapper was made.
    pub fn episode_count(&self) -> usize {
        self.episode_count
    }

    /// The statistics of the last finished episode.
    pub fn last_episode(&self) -> Option<EpisodeStatistics> {
        self.last_episode
    }

    /// The return and length of the running episode so far.
    pub fn episode_so_far(&self) -> (f64, usize) {
        (self.episode_return, self.episode_length)
    }

    pub fn inner(&self) -> &E {
        &self.env
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    fn start(&mut self) {
        self.episode_start = Instant::now();
        self.episode_return = 0.0;
        self.episode_length = 0;
    }

    /// Counts a step; at an episode's end, records and returns its statistics.
    fn record(&mut self, reward: f64, done: bool) -> Option<EpisodeStatistics> {
        self.episode_return += reward;
        self.episode_length += 1;
        if !done {
            return None;
        }
        let stats = EpisodeStatistics {
            r: self.episode_return,
            l: self.episode_length,
            t: round6(self.episode_start.elapsed().as_secs_f64()),
        };
        push_bounded(&mut self.time_queue, stats.t, self.buffer_length);
        push_bounded(&mut self.return_queue, stats.r, self.buffer_length);
        push_bounded(&mut self.length_queue, stats.l, self.buffer_length);
        self.episode_count += 1;
        self.last_episode = Some(stats);
        self.episode_start = Instant::now();
        Some(stats)
    }
}

/// Python's `round(x, 6)`: decimal rounding of the exact binary value, ties to even.
fn round6(x: f64) -> f64 {
    format!("{x:.6}").parse().unwrap_or(x)
}

/// A `deque(maxlen=n)` append.
fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, maxlen: usize) {
    if maxlen == 0 {
        return;
    }
    if queue.len() == maxlen {
        queue.pop_front();
    }
    queue.push_back(item);
}

impl<E: Env> Env for RecordEpisodeStatistics<E> {
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn flat_space(&self) -> &Space {
        self.env.flat_space()
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let out = self.env.reset(seed, options)?;
        self.start();
        Ok(out)
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let mut step = self.env.step(action)?;
        let done = step.terminated || step.truncated;
        if done && step.info.contains_key(&self.stats_key) {
            return Err(EnvError::Unsupported(format!(
                "RecordEpisodeStatistics: info already has the key `{}` (is the wrapper applied twice?)",
                self.stats_key
            )));
        }
        if let Some(s) = self.record(step.reward, done) {
            step.info.insert(self.stats_key.clone(), json!({"r": s.r, "l": s.l, "t": s.t}));
        }
        Ok(step)
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.env.reset_into(seed, obs)?;
        self.start();
        Ok(())
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        let t = self.env.step_into(action, obs)?;
        self.record(t.reward, t.done());
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round6_is_pythons_round() {
        // Python: round(x, 6) for each x (ties of the exact binary value go to even).
        let cases =
            [(0.0078125, 0.007812), (1.0000005, 1.000001), (2.5e-7, 0.0), (3.0000025, 3.000002), (0.1234565, 0.123456)];
        for (x, want) in cases {
            assert_eq!(round6(x), want, "round({x}, 6)");
        }
    }

    #[test]
    fn queues_keep_the_last_buffer_length_items() {
        let mut q = VecDeque::new();
        for i in 0..5 {
            push_bounded(&mut q, i, 3);
        }
        assert_eq!(q, [2, 3, 4]);
        let mut none = VecDeque::new();
        push_bounded(&mut none, 1, 0);
        assert!(none.is_empty());
    }
}
