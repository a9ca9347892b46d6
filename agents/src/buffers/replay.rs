//! The replay buffer of the off-policy learners (DQN, SAC).
//!
//! Transitions live in plain `Vec<f32>` columns (observations, next observations, actions,
//! rewards, termination flags, return horizons) used as a ring: once `capacity` transitions are
//! stored, each new one overwrites the oldest. Sampling is uniform with replacement (SB3's
//! `ReplayBuffer.sample`), drawn from our own [`Generator`], and packs a whole batch into one
//! row-major block that is uploaded as a single tensor.
//!
//! **n-step returns.** With `n_step > 1` each sub-env's last steps wait in a small pending queue;
//! a transition enters the ring once its n-step return is known:
//! `(o_t, a_t, r_t + g r_{t+1} + ... + g^{k-1} r_{t+k-1}, o_{t+k}, terminated, k)` with `k = n`,
//! or, when the episode ends first, `k` = the steps left to its end. The learner bootstraps with
//! `g^k max Q(o_{t+k})` unless the episode *terminated* (the MDP ended: nothing to bootstrap);
//! after a *truncation* (time limit) `o_{t+k}` is the true last observation and bootstrapping
//! from it is right. With `n_step = 1` this is the usual one-step buffer.
//!
//! **Relabelling** (PEBBLE, Lee et al. 2021). With `parts > 0` each step's reward comes in
//! pieces: a fixed one (the env's reward and every signal that keeps its rewards) and one
//! share per relabelled signal (a reward learned from a teacher's labels). The buffer keeps each
//! transition's n-step sum of every piece, and what the signals saw of each of its `k` steps
//! (the observations between `o_t` and `o_{t+k}`, the actions the env received, the env's
//! rewards), so that [`ReplayBuffer::relabel`] can score every stored step again with a new
//! model and rebuild the sums. That costs `(n - 1) (D + A) + n (A + 1) + parts + 2` more numbers
//! per transition; nothing without parts.
//!
//! ```
//! use limbic_agents::buffers::replay::{ActionLayout, ReplayBuffer, ReplayConfig};
//! use limbic_environments::rng::Generator;
//! let config = ReplayConfig { capacity: 100, obs_dim: 2, action: ActionLayout::Discrete { n: 3 }, num_envs: 1, n_step: 1, gamma: 0.99, parts: 0 };
//! let mut buffer = ReplayBuffer::new(config).unwrap();
//! buffer.add(0, &[0.0, 1.0], &[2.0], 1.5, &[0.5, 1.0], false, false);
//! let mut rows = Vec::new();
//! let layout = buffer.sample(4, &mut Generator::from_seed(0), &mut rows);
//! assert_eq!(rows.len(), 4 * layout.width);
//! // obs | next obs | one-hot action | reward | discount
//! assert_eq!(rows[..layout.width], [0.0, 1.0, 0.5, 1.0, 0.0, 0.0, 1.0, 1.5, 0.99]);
//! ```

use crate::core::checkpoint::{self, checkpoint_error};
use crate::error::{AgentError, Result};
use crate::shaping::{TransitionColumns, Transitions};
use burn::prelude::*;
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How actions are stored, and how a sampled batch hands them to the learner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionLayout {
    /// An index in `0..n`, stored as one number and sampled as a one-hot row of `n` (DQN picks
    /// `Q(s, a)` with a product and a sum: no integer tensor to upload).
    Discrete { n: usize },
    /// `dim` numbers, stored and sampled as they are (SAC stores actions scaled to [-1, 1]).
    Continuous { dim: usize },
}

impl ActionLayout {
    /// Numbers stored per transition.
    pub fn stored_width(self) -> usize {
        match self {
            ActionLayout::Discrete { .. } => 1,
            ActionLayout::Continuous { dim } => dim,
        }
    }

    /// Numbers per sampled row.
    pub fn sampled_width(self) -> usize {
        match self {
            ActionLayout::Discrete { n } => n,
            ActionLayout::Continuous { dim } => dim,
        }
    }
}

/// The shape of a replay buffer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayConfig {
    /// Transitions kept; older ones are overwritten.
    pub capacity: usize,
    /// Length of an observation row.
    pub obs_dim: usize,
    pub action: ActionLayout,
    /// Sub-envs that feed the buffer (each has its own n-step queue).
    pub num_envs: usize,
    /// Steps summed into one return (1 = one-step TD).
    pub n_step: usize,
    /// Discount of the n-step sums and of the bootstrap.
    pub gamma: f64,
    /// Shares of the reward kept apart to be relabelled (0: none; see the module docs).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub parts: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl ReplayConfig {
    /// Numbers (f32) one stored transition takes: observation, next observation, stored action,
    /// reward, termination flag and horizon, and with parts its [`Relabelling`] columns.
    pub fn floats_per_transition(&self) -> usize {
        2 * self.obs_dim + self.action.stored_width() + 3 + self.relabelling_widths().iter().sum::<usize>()
    }

    /// Numbers per transition in each of [`Relabelling::columns`] (all 0 without parts).
    fn relabelling_widths(&self) -> [usize; 6] {
        let (d, a, p, n) = (self.obs_dim, self.action.stored_width(), self.parts, self.n_step);
        if p == 0 {
            return [0; 6];
        }
        [1, p, (n - 1) * d, n * a, n, 1]
    }
}

/// One env step as [`ReplayBuffer::push`] takes it.
#[derive(Clone, Copy, Debug)]
pub struct Step<'a> {
    pub obs: &'a [f32],
    /// The action as the learner stores it.
    pub action: &'a [f32],
    /// The reward no relabelling changes (the whole reward without parts).
    pub reward: f32,
    /// Each relabelled share of the reward (`parts` numbers).
    pub parts: &'a [f32],
    /// The action the env received, as reward signals see it (kept only with parts).
    pub env_action: &'a [f32],
    /// The env's own reward (kept only with parts).
    pub env_reward: f32,
    /// The observation the step produced (the true final one when the episode ended).
    pub next_obs: &'a [f32],
    pub terminated: bool,
    pub truncated: bool,
}

/// Where each field sits in a sampled row: `obs | next_obs | action | reward | discount`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchLayout {
    pub batch: usize,
    pub obs_dim: usize,
    pub action_dim: usize,
    /// Numbers per row.
    pub width: usize,
}

/// A sampled batch on the device, cut out of the one uploaded block (views, no copies).
#[derive(Clone, Debug)]
pub struct Batch {
    /// `[B, D]`
    pub obs: Tensor<2>,
    /// `[B, D]`: the observation the return bootstraps from.
    pub next_obs: Tensor<2>,
    /// `[B, A]`: one-hot for discrete actions.
    pub actions: Tensor<2>,
    /// `[B, 1]`: the (n-step) discounted reward sum.
    pub rewards: Tensor<2>,
    /// `[B, 1]`: `gamma^k`, or 0 where the episode terminated (no bootstrap).
    pub discounts: Tensor<2>,
}

impl BatchLayout {
    /// Uploads `rows` (as [`ReplayBuffer::sample`] wrote them) as one tensor and slices it.
    pub fn upload(&self, rows: &[f32], device: &Device) -> Batch {
        let block = Tensor::<2>::from_data(TensorData::new(rows.to_vec(), [self.batch, self.width]), device);
        let (d, a) = (self.obs_dim, self.action_dim);
        Batch {
            obs: block.clone().narrow(1, 0, d),
            next_obs: block.clone().narrow(1, d, d),
            actions: block.clone().narrow(1, 2 * d, a),
            rewards: block.clone().narrow(1, 2 * d + a, 1),
            discounts: block.narrow(1, 2 * d + a + 1, 1),
        }
    }
}

/// The last (< n) steps of one sub-env's running episode, waiting for their n-step return.
#[derive(Clone, Debug, Default, PartialEq)]
struct Pending {
    obs: Vec<f32>,
    actions: Vec<f32>,
    /// The fixed part of each step's reward (all of it without parts).
    rewards: Vec<f32>,
    /// The next observation of the newest pending step: where the episode continues from.
    tail_obs: Vec<f32>,
    /// `[steps, parts]` the relabelled shares (empty without parts).
    parts: Vec<f32>,
    /// `[steps, A]` the actions the env received (empty without parts).
    env_actions: Vec<f32>,
    /// The env's rewards (empty without parts).
    env_rewards: Vec<f32>,
}

/// What relabelling keeps of each ring transition (all empty without parts); see the module docs.
#[derive(Clone, Debug, Default, PartialEq)]
struct Relabelling {
    /// `[len]` the n-step sum of the fixed reward.
    fixed: Vec<f32>,
    /// `[len, parts]` the n-step sum of each relabelled share.
    sums: Vec<f32>,
    /// `[len, n - 1, D]` the observations of steps 1..k (zeros past the horizon).
    later_obs: Vec<f32>,
    /// `[len, n, A]` the actions the env received (zeros past the horizon).
    env_actions: Vec<f32>,
    /// `[len, n]` the env's rewards (zeros past the horizon).
    env_rewards: Vec<f32>,
    /// `[len]` 1 where the last step was truncated (or closed by a reset from outside).
    truncated: Vec<f32>,
}

impl Relabelling {
    fn columns(&self) -> [&Vec<f32>; 6] {
        [&self.fixed, &self.sums, &self.later_obs, &self.env_actions, &self.env_rewards, &self.truncated]
    }

    fn columns_mut(&mut self) -> [&mut Vec<f32>; 6] {
        [
            &mut self.fixed,
            &mut self.sums,
            &mut self.later_obs,
            &mut self.env_actions,
            &mut self.env_rewards,
            &mut self.truncated,
        ]
    }
}

/// A finished transition on its way into the ring.
struct Finished<'a> {
    obs: &'a [f32],
    action: &'a [f32],
    next_obs: &'a [f32],
    terminated: bool,
    truncated: bool,
    /// The discounted sums: the fixed reward's, then each part's.
    fixed: f64,
    parts: Vec<f64>,
    /// Steps summed.
    horizon: usize,
    /// With parts: the later observations, env actions and env rewards of its steps (unpadded).
    later_obs: &'a [f32],
    env_actions: &'a [f32],
    env_rewards: &'a [f32],
}

impl Pending {
    fn len(&self) -> usize {
        self.rewards.len()
    }
}

/// A ring of transitions with uniform sampling and optional n-step returns; see the
/// [module docs](self).
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayBuffer {
    config: ReplayConfig,
    obs: Vec<f32>,
    next_obs: Vec<f32>,
    actions: Vec<f32>,
    rewards: Vec<f32>,
    /// 1 where `next_obs` is terminal.
    terminated: Vec<f32>,
    /// Steps k the reward sums (1..=n): the bootstrap is discounted by `gamma^k`.
    horizons: Vec<f32>,
    /// Where the next transition goes (once the ring is full: the oldest one).
    pos: usize,
    pending: Vec<Pending>,
    relabelling: Relabelling,
}

impl ReplayBuffer {
    pub fn new(config: ReplayConfig) -> Result<Self> {
        let positive = [
            ("buffer_size", config.capacity),
            ("obs_dim", config.obs_dim),
            ("action width", config.action.sampled_width()),
            ("num_envs", config.num_envs),
            ("n_step", config.n_step),
        ];
        if let Some((field, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(AgentError::Config { field: field.to_string(), message: "must be at least 1".into() });
        }
        if !(0.0..=1.0).contains(&config.gamma) {
            return Err(AgentError::Config {
                field: "gamma".into(),
                message: format!("{} is not in [0, 1]", config.gamma),
            });
        }
        let pending = vec![Pending::default(); config.num_envs];
        Ok(ReplayBuffer {
            config,
            obs: Vec::new(),
            next_obs: Vec::new(),
            actions: Vec::new(),
            rewards: Vec::new(),
            terminated: Vec::new(),
            horizons: Vec::new(),
            pos: 0,
            pending,
            relabelling: Relabelling::default(),
        })
    }

    pub fn config(&self) -> &ReplayConfig {
        &self.config
    }

    /// Transitions stored (at most the capacity).
    pub fn len(&self) -> usize {
        self.rewards.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rewards.is_empty()
    }

    /// The stored (n-step) rewards, in storage order.
    pub fn rewards(&self) -> &[f32] {
        &self.rewards
    }

    /// Adds one env step of sub-env `env` to a buffer without parts: `obs`, the action taken, the
    /// reward, the observation the step produced (the true final one when the episode ended) and
    /// the step's flags. See [`ReplayBuffer::push`].
    ///
    /// # Panics
    /// If `env` or a slice length does not match the config, or the buffer has parts.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        env: usize,
        obs: &[f32],
        action: &[f32],
        reward: f32,
        next_obs: &[f32],
        terminated: bool,
        truncated: bool,
    ) {
        let env_action = action;
        let step =
            Step { obs, action, reward, parts: &[], env_action, env_reward: reward, next_obs, terminated, truncated };
        self.push(env, &step);
    }

    /// Adds one env step of sub-env `env`.
    ///
    /// A step whose `obs` is not where the sub-env's pending steps left off (the env was reset
    /// from outside, e.g. by a runner after loading a checkpoint) first closes those steps as
    /// truncated at their last observation.
    ///
    /// # Panics
    /// If `env` or a slice length does not match the config (a bug in the caller, not user input).
    pub fn push(&mut self, env: usize, step: &Step) {
        let (d, a, p) = (self.config.obs_dim, self.config.action.stored_width(), self.config.parts);
        let shaped = step.obs.len() == d && step.next_obs.len() == d && step.action.len() == a;
        assert!(shaped && step.parts.len() == p && (p == 0 || step.env_action.len() == a), "step of the wrong shape");
        let mut pending = std::mem::take(&mut self.pending[env]);
        if pending.len() > 0 && pending.tail_obs != step.obs {
            let (tail, count) = (std::mem::take(&mut pending.tail_obs), pending.len());
            self.flush(&mut pending, &tail, (false, true), count);
        }
        pending.obs.extend_from_slice(step.obs);
        pending.actions.extend_from_slice(step.action);
        pending.rewards.push(step.reward);
        if p > 0 {
            pending.parts.extend_from_slice(step.parts);
            pending.env_actions.extend_from_slice(step.env_action);
            pending.env_rewards.push(step.env_reward);
        }
        pending.tail_obs.clear();
        pending.tail_obs.extend_from_slice(step.next_obs);
        if step.terminated || step.truncated {
            let count = pending.len();
            self.flush(&mut pending, step.next_obs, (step.terminated, step.truncated), count);
        } else if pending.len() == self.config.n_step {
            self.flush(&mut pending, step.next_obs, (false, false), 1);
        }
        self.pending[env] = pending;
    }

    /// Moves the `count` oldest pending steps into the ring, each with the discounted sum of its
    /// own and all later pending rewards and `next_obs` as where its return continues; `ended`
    /// (terminated, truncated) is how the newest pending step ended.
    fn flush(&mut self, pending: &mut Pending, next_obs: &[f32], ended: (bool, bool), count: usize) {
        let (d, a, p) = (self.config.obs_dim, self.config.action.stored_width(), self.config.parts);
        let gamma = self.config.gamma;
        for i in 0..count {
            let later_parts = |q: usize| pending.parts[i * p + q..].iter().step_by(p).copied();
            let finished = Finished {
                obs: &pending.obs[i * d..(i + 1) * d],
                action: &pending.actions[i * a..(i + 1) * a],
                next_obs,
                terminated: ended.0,
                truncated: ended.1,
                fixed: discounted_sum(pending.rewards[i..].iter().copied(), gamma),
                parts: (0..p).map(|q| discounted_sum(later_parts(q), gamma)).collect(),
                horizon: pending.len() - i,
                later_obs: &pending.obs[(i + 1) * d..],
                env_actions: if p > 0 { &pending.env_actions[i * a..] } else { &[] },
                env_rewards: if p > 0 { &pending.env_rewards[i..] } else { &[] },
            };
            self.store(&finished);
        }
        pending.obs.drain(..count * d);
        pending.actions.drain(..count * a);
        pending.rewards.drain(..count);
        if p > 0 {
            pending.parts.drain(..count * p);
            pending.env_actions.drain(..count * a);
            pending.env_rewards.drain(..count);
        }
        if pending.len() == 0 {
            pending.tail_obs.clear();
        }
    }

    /// Writes one finished transition at the ring's position.
    fn store(&mut self, t: &Finished) {
        let (d, a, p, n) =
            (self.config.obs_dim, self.config.action.stored_width(), self.config.parts, self.config.n_step);
        let i = if self.len() < self.config.capacity { self.len() } else { self.pos };
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let total = t.fixed + t.parts.iter().sum::<f64>();
        put_row(&mut self.obs, i, d, t.obs);
        put_row(&mut self.next_obs, i, d, t.next_obs);
        put_row(&mut self.actions, i, a, t.action);
        put_row(&mut self.rewards, i, 1, &[total as f32]);
        put_row(&mut self.terminated, i, 1, &[flag(t.terminated)]);
        put_row(&mut self.horizons, i, 1, &[t.horizon as f32]);
        if p > 0 {
            let r = &mut self.relabelling;
            put_row(&mut r.fixed, i, 1, &[t.fixed as f32]);
            put_row(&mut r.sums, i, p, &t.parts.iter().map(|&x| x as f32).collect::<Vec<_>>());
            put_row(&mut r.later_obs, i, (n - 1) * d, t.later_obs);
            put_row(&mut r.env_actions, i, n * a, t.env_actions);
            put_row(&mut r.env_rewards, i, n, t.env_rewards);
            put_row(&mut r.truncated, i, 1, &[flag(t.truncated)]);
        }
        self.pos = (self.pos + 1) % self.config.capacity;
    }

    /// Scores relabelled share `part` of every stored step again, the ring's transitions and the
    /// steps still waiting for their n-step return, and rebuilds the sums and rewards from the
    /// new shares; returns the ring's transitions relabelled.
    ///
    /// `score` gets the steps as reward signals see them (the observations, the actions the env
    /// received, the env's rewards, flags): ring transitions `chunk` at a time as `[T, N]` with
    /// `T = n_step` (slot `t * N + i` is step `t` of transition `i`, invalid past its horizon),
    /// then the pending steps as `T = 1`; it writes each valid slot's new share into `out`.
    ///
    /// # Panics
    /// If `part` is not below the config's `parts`.
    pub fn relabel(
        &mut self,
        part: usize,
        chunk: usize,
        score: &mut dyn FnMut(&Transitions, &mut [f32]) -> Result<()>,
    ) -> Result<usize> {
        let (d, a, p, n) =
            (self.config.obs_dim, self.config.action.stored_width(), self.config.parts, self.config.n_step);
        assert!(part < p, "no relabelled part {part} of {p}");
        let (gamma, len) = (self.config.gamma, self.len());
        let mut rows = TransitionColumns { obs_dim: d, action_dim: a, ..TransitionColumns::default() };
        let mut out = Vec::new();
        for start in (0..len).step_by(chunk.max(1)) {
            let end = (start + chunk.max(1)).min(len);
            rows.clear();
            for t in 0..n {
                for i in start..end {
                    self.push_ring_step(&mut rows, i, t);
                }
            }
            let b = end - start;
            out.clear();
            out.resize(n * b, 0.0);
            score(&rows.view_as(n, b), &mut out)?;
            let r = &mut self.relabelling;
            for (j, i) in (start..end).enumerate() {
                let k = self.horizons[i] as usize;
                r.sums[i * p + part] = discounted_sum((0..k).map(|t| out[t * b + j]), gamma) as f32;
                let shares: f64 = r.sums[i * p..(i + 1) * p].iter().map(|&x| x as f64).sum();
                self.rewards[i] = (r.fixed[i] as f64 + shares) as f32;
            }
        }
        rows.clear();
        for pending in &self.pending {
            for j in 0..pending.len() {
                let next =
                    if j + 1 < pending.len() { &pending.obs[(j + 1) * d..(j + 2) * d] } else { &pending.tail_obs };
                let flags = (false, false, true);
                rows.push(
                    &pending.obs[j * d..(j + 1) * d],
                    &pending.env_actions[j * a..(j + 1) * a],
                    pending.env_rewards[j],
                    next,
                    flags,
                );
            }
        }
        let waiting = rows.slots();
        if waiting > 0 {
            out.clear();
            out.resize(waiting, 0.0);
            score(&rows.view_as(1, waiting), &mut out)?;
            let mut shares = out.iter();
            for pending in &mut self.pending {
                for j in 0..pending.len() {
                    pending.parts[j * p + part] = *shares.next().unwrap_or(&0.0);
                }
            }
        }
        Ok(len)
    }

    /// Step `t` of ring transition `i` as reward signals saw it (an invalid slot past its horizon).
    fn push_ring_step(&self, rows: &mut TransitionColumns, i: usize, t: usize) {
        let (d, a, n) = (self.config.obs_dim, self.config.action.stored_width(), self.config.n_step);
        let r = &self.relabelling;
        let k = self.horizons[i] as usize;
        let later = |s: usize| &r.later_obs[(i * (n - 1) + s) * d..(i * (n - 1) + s + 1) * d];
        let obs = if t == 0 { &self.obs[i * d..(i + 1) * d] } else { later(t - 1) };
        let next = if t + 1 < k { later(t) } else { &self.next_obs[i * d..(i + 1) * d] };
        let last = t + 1 == k;
        let flags = (last && self.terminated[i] == 1.0, last && r.truncated[i] == 1.0, t < k);
        let action = &r.env_actions[(i * n + t) * a..(i * n + t + 1) * a];
        rows.push(obs, action, r.env_rewards[i * n + t], next, flags);
    }

    /// Draws `batch` transitions uniformly with replacement and writes them into `rows`, one
    /// row each: `obs | next_obs | action | reward | discount` (see [`BatchLayout`]), with the
    /// discount `gamma^k`, or 0 after a termination.
    ///
    /// # Panics
    /// If the buffer is empty.
    pub fn sample(&self, batch: usize, rng: &mut Generator, rows: &mut Vec<f32>) -> BatchLayout {
        assert!(!self.is_empty(), "sampling an empty replay buffer");
        let (d, stored) = (self.config.obs_dim, self.config.action.stored_width());
        let action_dim = self.config.action.sampled_width();
        let width = 2 * d + action_dim + 2;
        rows.clear();
        rows.reserve(batch * width);
        for _ in 0..batch {
            let i = rng.integers(0, self.len() as i64) as usize;
            rows.extend_from_slice(&self.obs[i * d..(i + 1) * d]);
            rows.extend_from_slice(&self.next_obs[i * d..(i + 1) * d]);
            match self.config.action {
                ActionLayout::Discrete { n } => {
                    let index = self.actions[i] as usize;
                    rows.extend((0..n).map(|j| if j == index { 1.0 } else { 0.0 }));
                }
                ActionLayout::Continuous { .. } => rows.extend_from_slice(&self.actions[i * stored..(i + 1) * stored]),
            }
            rows.push(self.rewards[i]);
            let discount = self.config.gamma.powi(self.horizons[i] as i32) * (1.0 - self.terminated[i] as f64);
            rows.push(discount as f32);
        }
        BatchLayout { batch, obs_dim: d, action_dim, width }
    }

    /// The buffer as two files: a JSON header (shape, counts, byte length and checksum of the
    /// binary) and the binary (the columns, then the pending steps, as little-endian f32).
    pub fn encode(&self) -> Result<(Vec<u8>, Vec<u8>)> {
        let mut bytes = Vec::with_capacity(4 * self.float_count());
        let mut put = |values: &[f32]| values.iter().for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
        for column in [&self.obs, &self.next_obs, &self.actions, &self.rewards, &self.terminated, &self.horizons] {
            put(column);
        }
        self.relabelling.columns().into_iter().for_each(|column| put(column));
        for pending in &self.pending {
            for part in [&pending.obs, &pending.actions, &pending.rewards, &pending.tail_obs] {
                put(part);
            }
            [&pending.parts, &pending.env_actions, &pending.env_rewards].into_iter().for_each(|part| put(part));
        }
        let header = Header {
            format: FORMAT.into(),
            config: self.config.clone(),
            len: self.len(),
            pos: self.pos,
            pending: self.pending.iter().map(Pending::len).collect(),
            bytes: bytes.len(),
            checksum: checkpoint::checksum(&bytes),
        };
        let header = serde_json::to_vec_pretty(&header).map_err(|e| AgentError::Io(e.to_string()))?;
        Ok((header, bytes))
    }

    /// The buffer [`ReplayBuffer::encode`] wrote. `expected` is the shape the caller needs: a
    /// buffer of another shape, a truncated or corrupt file is an error naming the file (the
    /// paths only name the files in errors).
    pub fn decode(
        header: &[u8],
        header_path: &Path,
        bin: &[u8],
        bin_path: &Path,
        expected: &ReplayConfig,
    ) -> Result<ReplayBuffer> {
        let bad_header = |message: String| checkpoint_error(header_path, message);
        let header: Header =
            serde_json::from_slice(header).map_err(|e| bad_header(format!("corrupt or not a replay header: {e}")))?;
        if header.format != FORMAT {
            return Err(bad_header(format!("format `{}`, expected `{FORMAT}`", header.format)));
        }
        if &header.config != expected {
            return Err(bad_header(format!("buffer of shape {:?}, this learner needs {:?}", header.config, expected)));
        }
        let config = header.config;
        if header.len > config.capacity || header.pos >= config.capacity || header.pending.len() != config.num_envs {
            return Err(bad_header("inconsistent counts".into()));
        }
        if header.pending.iter().any(|&p| p >= config.n_step) {
            return Err(bad_header(format!("a pending queue is not shorter than n_step = {}", config.n_step)));
        }
        let mut buffer = ReplayBuffer::new(config)?;
        if buffer.float_count_for(header.len, &header.pending) * 4 != header.bytes {
            return Err(bad_header("byte count does not match the counts".into()));
        }
        if bin.len() != header.bytes {
            let message = format!("truncated or overlong: {} bytes, the header says {}", bin.len(), header.bytes);
            return Err(checkpoint_error(bin_path, message));
        }
        if checkpoint::checksum(bin) != header.checksum {
            return Err(checkpoint_error(bin_path, "corrupt: checksum does not match the header".into()));
        }
        let mut floats = bin.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let mut take = |count: usize| floats.by_ref().take(count).collect::<Vec<f32>>();
        let (d, a, len) = (buffer.config.obs_dim, buffer.config.action.stored_width(), header.len);
        buffer.obs = take(len * d);
        buffer.next_obs = take(len * d);
        buffer.actions = take(len * a);
        buffer.rewards = take(len);
        buffer.terminated = take(len);
        buffer.horizons = take(len);
        let widths = buffer.config.relabelling_widths();
        for (column, width) in buffer.relabelling.columns_mut().into_iter().zip(widths) {
            *column = take(len * width);
        }
        let p = buffer.config.parts;
        let with_parts = |width: usize| if p > 0 { width } else { 0 };
        for (pending, &count) in buffer.pending.iter_mut().zip(&header.pending) {
            pending.obs = take(count * d);
            pending.actions = take(count * a);
            pending.rewards = take(count);
            pending.tail_obs = take(if count > 0 { d } else { 0 });
            pending.parts = take(count * p);
            pending.env_actions = take(count * with_parts(a));
            pending.env_rewards = take(count * with_parts(1));
        }
        buffer.pos = header.pos;
        Ok(buffer)
    }

    /// Writes `{stem}.bin` and `{stem}.json` into `dir`, each atomically.
    pub fn save(&self, dir: &Path, stem: &str) -> Result<()> {
        let (header, bin) = self.encode()?;
        checkpoint::write_file(&dir.join(format!("{stem}.bin")), &bin)?;
        checkpoint::write_file(&dir.join(format!("{stem}.json")), &header)
    }

    /// Reads what [`ReplayBuffer::save`] wrote.
    pub fn load(dir: &Path, stem: &str, expected: &ReplayConfig) -> Result<ReplayBuffer> {
        let (header_path, bin_path) = (dir.join(format!("{stem}.json")), dir.join(format!("{stem}.bin")));
        let header = checkpoint::read_file(&header_path)?;
        let bin = checkpoint::read_file(&bin_path)?;
        ReplayBuffer::decode(&header, &header_path, &bin, &bin_path, expected)
    }

    fn float_count(&self) -> usize {
        self.float_count_for(self.len(), &self.pending.iter().map(Pending::len).collect::<Vec<_>>())
    }

    /// Numbers in the binary file of a buffer of `len` transitions and these pending counts.
    fn float_count_for(&self, len: usize, pending: &[usize]) -> usize {
        let (d, a, parts) = (self.config.obs_dim, self.config.action.stored_width(), self.config.parts);
        let kept = if parts > 0 { parts + a + 1 } else { 0 };
        let pending: usize = pending.iter().map(|&p| p * (d + a + 1 + kept) + if p > 0 { d } else { 0 }).sum();
        len * self.config.floats_per_transition() + pending
    }
}

const FORMAT: &str = "limbic-replay-v1";

/// `sum_t gamma^t values[t]`, summed from the last value back (as the n-step returns always were).
fn discounted_sum(values: impl DoubleEndedIterator<Item = f32>, gamma: f64) -> f64 {
    values.rev().fold(0.0f64, |acc, r| r as f64 + gamma * acc)
}

/// Writes `values`, zero-padded to `width`, as row `i` of `column` (appended when `i` is the
/// next row).
fn put_row(column: &mut Vec<f32>, i: usize, width: usize, values: &[f32]) {
    if column.len() == i * width {
        column.resize((i + 1) * width, 0.0);
    }
    let row = &mut column[i * width..(i + 1) * width];
    row[..values.len()].copy_from_slice(values);
    row[values.len()..].fill(0.0);
}

/// `{stem}.json`: what the binary file holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    config: ReplayConfig,
    len: usize,
    pos: usize,
    /// Pending steps per sub-env.
    pending: Vec<usize>,
    bytes: usize,
    checksum: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::checkpoint::tests::scratch_dir;

    fn config(capacity: usize, n_step: usize, num_envs: usize) -> ReplayConfig {
        ReplayConfig {
            capacity,
            obs_dim: 1,
            action: ActionLayout::Discrete { n: 2 },
            num_envs,
            n_step,
            gamma: 0.5,
            parts: 0,
        }
    }

    /// Rows of `buffer` in storage order: (obs, action, reward, next_obs, terminated, horizon).
    fn stored(buffer: &ReplayBuffer) -> Vec<(f32, f32, f32, f32, f32, f32)> {
        (0..buffer.len())
            .map(|i| {
                let b = buffer;
                (b.obs[i], b.actions[i], b.rewards[i], b.next_obs[i], b.terminated[i], b.horizons[i])
            })
            .collect()
    }

    #[test]
    fn ring_overwrites_the_oldest() {
        let mut buffer = ReplayBuffer::new(config(3, 1, 1)).unwrap();
        for t in 0..5 {
            buffer.add(0, &[t as f32], &[1.0], t as f32, &[t as f32 + 1.0], false, false);
        }
        assert_eq!(buffer.len(), 3);
        let obs: Vec<f32> = stored(&buffer).iter().map(|r| r.0).collect();
        // Slots 0 and 1 were overwritten by steps 3 and 4; slot 2 still holds step 2.
        assert_eq!(obs, [3.0, 4.0, 2.0]);
        assert_eq!(buffer.pos, 2);
    }

    #[test]
    fn sampling_is_uniform_and_rows_are_laid_out() {
        let mut buffer = ReplayBuffer::new(config(10, 1, 1)).unwrap();
        for t in 0..4 {
            buffer.add(0, &[t as f32], &[(t % 2) as f32], 10.0 + t as f32, &[t as f32 + 0.5], t == 3, false);
        }
        let mut rng = Generator::from_seed(0);
        let mut rows = Vec::new();
        let mut counts = [0usize; 4];
        let n = 40_000;
        let layout = buffer.sample(n, &mut rng, &mut rows);
        assert_eq!(layout, BatchLayout { batch: n, obs_dim: 1, action_dim: 2, width: 6 });
        for row in rows.chunks_exact(layout.width) {
            let t = row[0] as usize;
            counts[t] += 1;
            let one_hot = if t.is_multiple_of(2) { [1.0, 0.0] } else { [0.0, 1.0] };
            let discount = if t == 3 { 0.0 } else { 0.5 };
            assert_eq!(row, [t as f32, t as f32 + 0.5, one_hot[0], one_hot[1], 10.0 + t as f32, discount]);
        }
        let sd = (n as f64 * 0.25 * 0.75).sqrt();
        assert!(counts.iter().all(|&c| (c as f64 - n as f64 / 4.0).abs() < 5.0 * sd), "{counts:?}");
        // Same seed, same batch.
        let mut again = Vec::new();
        buffer.sample(n, &mut Generator::from_seed(0), &mut again);
        assert_eq!(rows, again);
    }

    #[test]
    fn batch_upload_slices_the_columns() {
        let mut buffer = ReplayBuffer::new(ReplayConfig {
            capacity: 4,
            obs_dim: 2,
            action: ActionLayout::Continuous { dim: 1 },
            num_envs: 1,
            n_step: 1,
            gamma: 0.9,
            parts: 0,
        })
        .unwrap();
        buffer.add(0, &[1.0, 2.0], &[-0.5], 3.0, &[4.0, 5.0], false, true);
        let mut rows = Vec::new();
        let layout = buffer.sample(2, &mut Generator::from_seed(1), &mut rows);
        let batch = layout.upload(&rows, &Device::flex());
        let vec = |t: Tensor<2>| crate::nets::download(t).unwrap();
        assert_eq!(vec(batch.obs), [1.0, 2.0, 1.0, 2.0]);
        assert_eq!(vec(batch.next_obs), [4.0, 5.0, 4.0, 5.0]);
        assert_eq!(vec(batch.actions), [-0.5, -0.5]);
        assert_eq!(vec(batch.rewards), [3.0, 3.0]);
        // Truncated, not terminated: the bootstrap stays.
        assert_eq!(vec(batch.discounts), [0.9, 0.9]);
    }

    #[test]
    fn n_step_returns_match_hand_computed_values() {
        // gamma = 0.5, n = 3. Episode: obs 0..=4 with rewards 1, 2, 4, 8, terminated after the
        // 4th step. Returns (hand-computed):
        //   t=0: 1 + 0.5*2 + 0.25*4 = 3,   next obs 3, k = 3, bootstrapped
        //   t=1: 2 + 0.5*4 + 0.25*8 = 6,   next obs 4, k = 3, terminal
        //   t=2: 4 + 0.5*8 = 8,            next obs 4, k = 2, terminal
        //   t=3: 8,                        next obs 4, k = 1, terminal
        let mut buffer = ReplayBuffer::new(config(10, 3, 1)).unwrap();
        let rewards = [1.0, 2.0, 4.0, 8.0];
        for (t, &r) in rewards.iter().enumerate() {
            buffer.add(0, &[t as f32], &[0.0], r, &[t as f32 + 1.0], t == 3, false);
            let expected_len = [0, 0, 1, 4][t];
            assert_eq!(buffer.len(), expected_len, "after step {t}");
        }
        assert_eq!(
            stored(&buffer),
            [
                (0.0, 0.0, 3.0, 3.0, 0.0, 3.0),
                (1.0, 0.0, 6.0, 4.0, 1.0, 3.0),
                (2.0, 0.0, 8.0, 4.0, 1.0, 2.0),
                (3.0, 0.0, 8.0, 4.0, 1.0, 1.0),
            ]
        );
        // Discounts: 0.5^3 for the bootstrapped one, 0 for the terminal ones.
        let mut rows = Vec::new();
        let layout = buffer.sample(200, &mut Generator::from_seed(2), &mut rows);
        for row in rows.chunks_exact(layout.width) {
            let expected = if row[0] == 0.0 { 0.125 } else { 0.0 };
            assert_eq!(row[layout.width - 1], expected);
        }
    }

    #[test]
    fn truncation_keeps_the_bootstrap_and_envs_do_not_mix() {
        // Two sub-envs interleaved, n = 2, gamma = 0.5. Env 0 is truncated after 2 steps,
        // env 1 runs on.
        let mut buffer = ReplayBuffer::new(config(10, 2, 2)).unwrap();
        buffer.add(0, &[0.0], &[1.0], 1.0, &[1.0], false, false);
        buffer.add(1, &[10.0], &[0.0], 5.0, &[11.0], false, false);
        buffer.add(0, &[1.0], &[0.0], 2.0, &[2.0], false, true);
        buffer.add(1, &[11.0], &[1.0], 6.0, &[12.0], false, false);
        assert_eq!(
            stored(&buffer),
            [
                // env 0, t=0: 1 + 0.5 * 2, bootstraps from obs 2 with 0.5^2 (not terminal)
                (0.0, 1.0, 2.0, 2.0, 0.0, 2.0),
                // env 0, t=1: the truncated last step, bootstraps from obs 2 with 0.5
                (1.0, 0.0, 2.0, 2.0, 0.0, 1.0),
                // env 1, t=0: 5 + 0.5 * 6
                (10.0, 0.0, 8.0, 12.0, 0.0, 2.0),
            ]
        );
        assert_eq!(buffer.pending[1].len(), 1);
        assert_eq!(buffer.pending[0].len(), 0);
    }

    #[test]
    fn a_reset_from_outside_closes_the_pending_steps_as_truncated() {
        let mut buffer = ReplayBuffer::new(config(10, 3, 1)).unwrap();
        buffer.add(0, &[0.0], &[1.0], 1.0, &[1.0], false, false);
        buffer.add(0, &[1.0], &[1.0], 2.0, &[2.0], false, false);
        // The env was reset elsewhere: the next step starts at obs 7, not 2.
        buffer.add(0, &[7.0], &[0.0], 4.0, &[8.0], false, false);
        assert_eq!(stored(&buffer), [(0.0, 1.0, 2.0, 2.0, 0.0, 2.0), (1.0, 1.0, 2.0, 2.0, 0.0, 1.0)]);
        assert_eq!(buffer.pending[0].obs, [7.0]);
    }

    #[test]
    fn save_load_round_trip_and_damage_is_reported() {
        let dir = scratch_dir("replay");
        let mut buffer = ReplayBuffer::new(config(5, 3, 2)).unwrap();
        for t in 0..9 {
            buffer.add(t % 2, &[t as f32], &[(t % 2) as f32], t as f32, &[t as f32 + 2.0], t == 6, false);
        }
        assert!(buffer.pending.iter().any(|p| p.len() > 0));
        buffer.save(&dir, "replay").unwrap();
        let loaded = ReplayBuffer::load(&dir, "replay", buffer.config()).unwrap();
        assert_eq!(loaded, buffer);

        let mut other = buffer.config().clone();
        other.obs_dim = 3;
        let error = ReplayBuffer::load(&dir, "replay", &other).unwrap_err().to_string();
        assert!(error.contains("replay.json") && error.contains("shape"), "{error}");

        let bin = dir.join("replay.bin");
        let bytes = std::fs::read(&bin).unwrap();
        std::fs::write(&bin, &bytes[..bytes.len() - 4]).unwrap();
        let error = ReplayBuffer::load(&dir, "replay", buffer.config()).unwrap_err().to_string();
        assert!(error.contains("replay.bin") && error.contains("truncated"), "{error}");

        let mut flipped = bytes.clone();
        flipped[5] ^= 0x10;
        std::fs::write(&bin, &flipped).unwrap();
        let error = ReplayBuffer::load(&dir, "replay", buffer.config()).unwrap_err().to_string();
        assert!(error.contains("replay.bin") && error.contains("corrupt"), "{error}");

        std::fs::write(dir.join("replay.json"), "{\"format\": ").unwrap();
        let error = ReplayBuffer::load(&dir, "replay", buffer.config()).unwrap_err();
        assert!(matches!(&error, AgentError::Checkpoint { path, .. } if path.ends_with("replay.json")), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A two-env stream of steps for the relabelling tests: episodes that terminate, are
    /// truncated and are reset from outside; `obs` counts up so every step is distinct.
    fn relabel_steps() -> Vec<(usize, f32, f32, f32, f32, bool, bool)> {
        // (env, obs, action, fixed reward, next obs, terminated, truncated)
        let mut steps = Vec::new();
        let mut obs = [0.0f32, 100.0];
        for t in 0..40 {
            let env = t % 2;
            let (terminated, truncated) = (t % 11 == 5, t % 13 == 8);
            let next = obs[env] + 1.0;
            steps.push((env, obs[env], (t % 2) as f32, 1.0 + (t % 3) as f32, next, terminated, truncated));
            obs[env] = if terminated || truncated || t == 21 { 50.0 * t as f32 } else { next };
        }
        steps
    }

    /// A relabelled share as a function of what the signal saw (the env action is the stored
    /// one plus 10, so a scorer reading the stored action would be caught).
    fn share(version: f32, obs: f32, env_action: f32, next_obs: f32) -> f32 {
        version * (obs + 0.25 * env_action) - 0.125 * next_obs
    }

    /// Pushes `steps[range]` into `buffer` with shares of model `version`.
    fn push_steps(buffer: &mut ReplayBuffer, steps: &[(usize, f32, f32, f32, f32, bool, bool)], version: f32) {
        for &(env, obs, action, fixed, next, terminated, truncated) in steps {
            let env_action = action + 10.0;
            let parts = [share(version, obs, env_action, next), -1.0];
            let step = Step {
                obs: &[obs],
                action: &[action],
                reward: fixed,
                parts: &parts,
                env_action: &[env_action],
                env_reward: fixed,
                next_obs: &[next],
                terminated,
                truncated,
            };
            buffer.push(env, &step);
        }
    }

    /// What a buffer without parts holds when every step's reward came from model `version`.
    fn reference(
        config: &ReplayConfig,
        steps: &[(usize, f32, f32, f32, f32, bool, bool)],
        version: f32,
    ) -> ReplayBuffer {
        let mut buffer = ReplayBuffer::new(ReplayConfig { parts: 0, ..config.clone() }).unwrap();
        for &(env, obs, action, fixed, next, terminated, truncated) in steps {
            let reward = fixed + share(version, obs, action + 10.0, next) - 1.0;
            buffer.add(env, &[obs], &[action], reward, &[next], terminated, truncated);
        }
        buffer
    }

    /// A stored row without its reward: (obs, action, next_obs, terminated, horizon).
    type Row = (f32, f32, f32, f32, f32);

    /// Storage rows without the rewards, and the rewards apart.
    fn split(buffer: &ReplayBuffer) -> (Vec<Row>, Vec<f32>) {
        stored(buffer).iter().map(|&(o, a, r, n, t, h)| ((o, a, n, t, h), r)).unzip()
    }

    fn assert_close(a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() < 1e-4, "transition {i}: {x} against {y}\n{a:?}\n{b:?}");
        }
    }

    #[test]
    fn relabelling_gives_every_stored_transition_the_new_models_reward() {
        let steps = relabel_steps();
        for n_step in [1, 3] {
            // 12 places for ~40 steps: the ring wraps around.
            let config = ReplayConfig { parts: 2, ..config(12, n_step, 2) };
            let mut buffer = ReplayBuffer::new(config.clone()).unwrap();
            push_steps(&mut buffer, &steps[..30], 1.0);
            let (rows, rewards) = split(&buffer);
            let (reference_rows, reference_rewards) = split(&reference(&config, &steps[..30], 1.0));
            assert_eq!(rows, reference_rows, "n = {n_step}");
            assert_close(&rewards, &reference_rewards);

            // Model 2 relabels share 0: the scorer sees each stored step as the signal saw it.
            let mut scored = 0;
            let mut score = |t: &Transitions, out: &mut [f32]| {
                for slot in (0..t.slots()).filter(|&s| t.valid[s]) {
                    out[slot] = share(2.0, t.obs_row(slot)[0], t.action_row(slot)[0], t.next_obs_row(slot)[0]);
                    scored += 1;
                }
                // Invalid slots must not count.
                (0..t.slots()).filter(|&s| !t.valid[s]).for_each(|s| out[s] = f32::NAN);
                Ok(())
            };
            assert_eq!(buffer.relabel(0, 5, &mut score).unwrap(), buffer.len());
            assert!(scored >= buffer.len(), "n = {n_step}");
            let (rows, rewards) = split(&buffer);
            assert_eq!(rows, reference_rows, "n = {n_step}: only rewards change");
            assert_close(&rewards, &split(&reference(&config, &steps[..30], 2.0)).1);

            // Steps that were pending during the relabelling enter the ring with the new shares.
            push_steps(&mut buffer, &steps[30..], 2.0);
            assert_close(buffer.rewards(), &split(&reference(&config, &steps, 2.0)).1);

            // Saved and loaded with everything relabelling needs.
            let dir = scratch_dir(&format!("replay-parts-{n_step}"));
            buffer.save(&dir, "replay").unwrap();
            let mut loaded = ReplayBuffer::load(&dir, "replay", &config).unwrap();
            assert_eq!(loaded, buffer);
            let mut identity = |t: &Transitions, out: &mut [f32]| {
                for slot in (0..t.slots()).filter(|&s| t.valid[s]) {
                    out[slot] = share(2.0, t.obs_row(slot)[0], t.action_row(slot)[0], t.next_obs_row(slot)[0]);
                }
                Ok(())
            };
            loaded.relabel(0, 64, &mut identity).unwrap();
            assert_close(loaded.rewards(), buffer.rewards());
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}
