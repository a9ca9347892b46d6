//! The learners' side of intrinsic rewards: what a learner hands to a [`RewardShaper`] and
//! what it gets back. The shaper itself (signals, normalization, schedules, combinators) lives
//! in the `rewards` crate; learners only know this hook, so agents never depend on rewards.
//!
//! Reward streams: stream 0 is the environment's reward (as a signal like any other, so a
//! schedule can switch it off for reward-free pretraining); each further stream has its own
//! discount and value head. A learner with one value head (DQN, SAC) uses the weighted sum of
//! the streams.

use crate::error::Result;
use crate::world_model::SharedWorldModel;
use std::collections::BTreeMap;
use std::path::Path;

/// Transitions as intrinsic signals see them, `[T, N]` (a single vector step is `T = 1`).
///
/// Observation rows are the vector env's raw flat rows (never the learner's normalized ones).
/// Slot `t * N + i` is sub-env `i` at step `t`. `next_obs` of a step that ended its episode is
/// the episode's true final observation. Slots with `valid[s] == false` are not transitions
/// (the NEXT_STEP reset slot after an episode ended): their contents are meaningless and
/// signals must neither score nor learn from them.
#[derive(Clone, Copy, Debug)]
pub struct Transitions<'a> {
    pub steps: usize,
    pub envs: usize,
    pub obs_dim: usize,
    /// Numbers per action: 1 for a discrete action (its index, from 0) or the Box dimension.
    pub action_dim: usize,
    /// `[T, N, D]`.
    pub obs: &'a [f32],
    /// `[T, N, A]` the actions the env received (continuous ones clipped to the Box).
    pub actions: &'a [f32],
    /// `[T, N]` the env's reward (after the learner's own reward normalization, if any).
    pub rewards: &'a [f32],
    /// `[T, N, D]`.
    pub next_obs: &'a [f32],
    pub terminated: &'a [bool],
    pub truncated: &'a [bool],
    pub valid: &'a [bool],
    /// Numbers per goal row (0: the learner acts without goals).
    pub goal_dim: usize,
    /// `[T, N, G]` the goal each step was taken for, relative to where the step began (a
    /// hierarchical worker's goal).
    pub goals: &'a [f32],
    /// `[T, N, G]` the same goal relative to where the step ended (HIRO's goal transition
    /// `s + g - s'`): all zeros where the step reached it.
    pub next_goals: &'a [f32],
}

impl<'a> Transitions<'a> {
    pub fn slots(&self) -> usize {
        self.steps * self.envs
    }

    pub fn obs_row(&self, slot: usize) -> &'a [f32] {
        &self.obs[slot * self.obs_dim..(slot + 1) * self.obs_dim]
    }

    pub fn next_obs_row(&self, slot: usize) -> &'a [f32] {
        &self.next_obs[slot * self.obs_dim..(slot + 1) * self.obs_dim]
    }

    pub fn action_row(&self, slot: usize) -> &'a [f32] {
        &self.actions[slot * self.action_dim..(slot + 1) * self.action_dim]
    }

    /// The slot ended its sub-env's episode (terminated or truncated).
    pub fn done(&self, slot: usize) -> bool {
        self.terminated[slot] || self.truncated[slot]
    }

    /// The slot's goal before and after its step (empty rows without goals).
    pub fn goal_rows(&self, slot: usize) -> (&'a [f32], &'a [f32]) {
        let g = self.goal_dim;
        if g == 0 {
            return (&[], &[]);
        }
        (&self.goals[slot * g..(slot + 1) * g], &self.next_goals[slot * g..(slot + 1) * g])
    }
}

/// Where a learner's checkpoint keeps its reward shaper's state.
pub const SHAPER_DIR: &str = "rewards";

/// One reward stream a shaper produces.
#[derive(Clone, Debug, PartialEq)]
pub struct Stream {
    /// `extrinsic` for stream 0, otherwise the signal's (or combination's) name.
    pub name: String,
    /// The stream's own discount. Stream 0 (the env's reward) is discounted with the
    /// learner's own `gamma`; this field is what the shaper would use.
    pub gamma: f64,
    /// Weight of this stream's advantages in the policy loss (CleanRL's RND uses 2 for the
    /// extrinsic and 1 for the intrinsic stream).
    pub advantage_coef: f64,
    /// Whether a termination ends this stream's return (the env's reward: yes). An intrinsic
    /// stream is usually not episodic (RND): a bonus that stopped at the goal would pay the
    /// agent to avoid it, since every step survived earns more bonus.
    pub episodic: bool,
}

/// Turns transitions into rewards for every stream. Implemented by the `rewards` crate's
/// reward set; a learner built with one calls it as below and saves it with its checkpoint.
pub trait RewardShaper: Send {
    /// The streams, stream 0 first (`extrinsic`). An on-policy learner gives its critic one
    /// value head per stream.
    fn streams(&self) -> &[Stream];

    /// Called after every vector step with that step (`T = 1`), before the learner uses it.
    /// Episodic signals update their per-episode memory here and forget a sub-env's episode
    /// when it ends.
    fn observe(&mut self, step: &Transitions) -> Result<()>;

    /// Rewards of every stream for `batch` into `out` (`[T, N, K]`, K = `streams().len()`),
    /// then trains the signals' own models on it. `env_steps` is the learner's env-step
    /// counter (schedules are clocked by it). Returns diagnostics for `metrics.jsonl`
    /// (`reward/<name>/raw_mean`, `.../raw_std`, `.../mean`, `.../weight`, `.../loss`).
    fn rewards(&mut self, batch: &Transitions, env_steps: u64, out: &mut [f32]) -> Result<BTreeMap<String, f64>>;

    /// Writes the shaper's whole state (signal models, optimizers, normalizers, memories)
    /// into `dir`, atomically.
    fn save(&self, dir: &Path) -> Result<()>;

    /// Restores what [`RewardShaper::save`] wrote.
    fn load(&mut self, dir: &Path) -> Result<()>;

    /// Offers the run's world model (a world-model agent's) to the signals that would
    /// otherwise train one of their own; returns the names of those that read it from now on.
    fn share_world_model(&mut self, _model: &SharedWorldModel) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// The signals whose share of the reward an off-policy learner's replay keeps apart, to
    /// relabel it when their model changes (PEBBLE): rewards learned from a teacher's labels.
    /// Their order is that of [`RewardShaper::parts`]. None by default.
    fn relabelled(&self) -> Vec<String> {
        Vec::new()
    }

    /// Each relabelled signal's share of the last [`RewardShaper::rewards`] batch, weighted as
    /// it went into the streams: `[T, N, P]` with `P = relabelled().len()`.
    fn parts(&self) -> &[f32] {
        &[]
    }

    /// The relabelled signals (indices into [`RewardShaper::relabelled`]) whose model changed
    /// since the last call.
    fn changed(&mut self) -> Vec<usize> {
        Vec::new()
    }

    /// Relabelled signal `part`'s share `[T, N]` of stored transitions `batch` under its current
    /// model, with its current normalization statistics and its weight at `env_steps`; learns
    /// nothing and changes no running statistic.
    fn rescore(&mut self, part: usize, _batch: &Transitions, _env_steps: u64, _out: &mut [f32]) -> Result<()> {
        Err(crate::error::AgentError::Unsupported(format!("this reward shaper relabels nothing (part {part})")))
    }
}
