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
    /// `[T, N]` the env's [advice](limbic_environments::Env::advice) on each action, for
    /// synthetic teachers only (0 where none); empty where the envs are not advised.
    pub advice: &'a [f32],
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

    /// Vector steps `range` alone.
    pub fn step_range(&self, range: std::ops::Range<usize>) -> Transitions<'a> {
        let (from, to) = (range.start * self.envs, range.end * self.envs);
        let rows = |column: &'a [f32], width: usize| &column[from * width..to * width];
        Transitions {
            steps: range.len(),
            obs: rows(self.obs, self.obs_dim),
            actions: rows(self.actions, self.action_dim),
            rewards: rows(self.rewards, 1),
            next_obs: rows(self.next_obs, self.obs_dim),
            terminated: &self.terminated[from..to],
            truncated: &self.truncated[from..to],
            valid: &self.valid[from..to],
            goals: rows(self.goals, self.goal_dim),
            next_goals: rows(self.next_goals, self.goal_dim),
            advice: if self.advice.is_empty() { &[] } else { &self.advice[from..to] },
            ..*self
        }
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

/// Owned columns in [`Transitions`]' layout (without goals), lent out by [`Self::view`]: for
/// code that gathers transitions slot by slot (the replay's relabelling) and for fixtures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TransitionColumns {
    pub steps: usize,
    pub envs: usize,
    pub obs_dim: usize,
    pub action_dim: usize,
    pub obs: Vec<f32>,
    pub actions: Vec<f32>,
    pub rewards: Vec<f32>,
    pub next_obs: Vec<f32>,
    pub terminated: Vec<bool>,
    pub truncated: Vec<bool>,
    pub valid: Vec<bool>,
}

impl TransitionColumns {
    /// `steps x envs` zero transitions, every one valid and none ending its episode.
    pub fn zeros(steps: usize, envs: usize, obs_dim: usize, action_dim: usize) -> TransitionColumns {
        let slots = steps * envs;
        TransitionColumns {
            steps,
            envs,
            obs_dim,
            action_dim,
            obs: vec![0.0; slots * obs_dim],
            actions: vec![0.0; slots * action_dim],
            rewards: vec![0.0; slots],
            next_obs: vec![0.0; slots * obs_dim],
            terminated: vec![false; slots],
            truncated: vec![false; slots],
            valid: vec![true; slots],
        }
    }

    pub fn slots(&self) -> usize {
        self.rewards.len()
    }

    /// Drops every slot (keeping the widths and the allocations).
    pub fn clear(&mut self) {
        [&mut self.obs, &mut self.actions, &mut self.rewards, &mut self.next_obs].into_iter().for_each(Vec::clear);
        [&mut self.terminated, &mut self.truncated, &mut self.valid].into_iter().for_each(Vec::clear);
        (self.steps, self.envs) = (0, 0);
    }

    /// Appends one slot; `flags` are (terminated, truncated, valid). Give the slots their
    /// `[T, N]` shape with [`Self::view_as`].
    pub fn push(&mut self, obs: &[f32], action: &[f32], reward: f32, next_obs: &[f32], flags: (bool, bool, bool)) {
        self.obs.extend_from_slice(obs);
        self.actions.extend_from_slice(action);
        self.rewards.push(reward);
        self.next_obs.extend_from_slice(next_obs);
        self.terminated.push(flags.0);
        self.truncated.push(flags.1);
        self.valid.push(flags.2);
    }

    /// Every slot as `[steps, envs]`.
    pub fn view(&self) -> Transitions<'_> {
        self.view_as(self.steps, self.envs)
    }

    /// Every slot as `[steps, envs]` (their product must be the slot count).
    pub fn view_as(&self, steps: usize, envs: usize) -> Transitions<'_> {
        assert_eq!(steps * envs, self.slots(), "{steps} x {envs} is not the {} slots held", self.slots());
        Transitions {
            steps,
            envs,
            obs_dim: self.obs_dim,
            action_dim: self.action_dim,
            obs: &self.obs,
            actions: &self.actions,
            rewards: &self.rewards,
            next_obs: &self.next_obs,
            terminated: &self.terminated,
            truncated: &self.truncated,
            valid: &self.valid,
            goal_dim: 0,
            goals: &[],
            next_goals: &[],
            advice: &[],
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_ranges_cut_every_column_at_the_same_slots() {
        // 3 steps x 2 envs, obs width 2, action width 1: every number names its slot.
        let mut columns = TransitionColumns { obs_dim: 2, action_dim: 1, ..TransitionColumns::default() };
        for slot in 0..6 {
            let x = slot as f32;
            columns.push(&[x, x], &[x], x, &[-x, -x], (slot == 3, slot == 4, slot != 2));
        }
        let goals: Vec<f32> = (0..6).map(|s| s as f32 * 10.0).collect();
        let next_goals: Vec<f32> = goals.iter().map(|g| -g).collect();
        let all = Transitions { goal_dim: 1, goals: &goals, next_goals: &next_goals, ..columns.view_as(3, 2) };
        let middle = all.step_range(1..2);
        assert_eq!((middle.steps, middle.envs, middle.slots()), (1, 2, 2));
        assert_eq!(
            (middle.obs, middle.actions, middle.rewards),
            (&[2.0, 2.0, 3.0, 3.0][..], &[2.0, 3.0][..], &[2.0, 3.0][..])
        );
        assert_eq!(middle.next_obs, &[-2.0, -2.0, -3.0, -3.0]);
        assert_eq!(
            (middle.terminated, middle.truncated, middle.valid),
            (&[false, true][..], &[false, false][..], &[false, true][..])
        );
        assert_eq!(middle.goal_rows(1), (&[30.0][..], &[-30.0][..]));
        assert!(all.step_range(2..3).done(0));
        columns.clear();
        assert_eq!((columns.slots(), columns.obs.len(), columns.obs_dim), (0, 0, 2));
    }

    #[test]
    #[should_panic(expected = "is not the 6 slots held")]
    fn a_shape_that_does_not_cover_the_slots_is_refused() {
        let columns = TransitionColumns::zeros(3, 2, 1, 1);
        columns.view_as(2, 2);
    }
}
