//! On-policy rollouts: the buffer, its collection through the env runner, GAE, and the
//! sequence chunks recurrent policies train on, written once for every on-policy learner.
//!
//! Layout: plain `Vec`s indexed `[t, env]` (`[t, env, k]` for per-stream numbers, `[t, env, s]`
//! for recurrent states), `t` the step within the rollout. K reward streams share the buffer:
//! stream 0 is the environment's reward, the others belong to intrinsic signals that fill
//! `rewards` before [`RolloutBuffer::compute_gae`].
//!
//! **Recurrent state.** Each slot keeps the state the policy read at that step (`states`, zero
//! where an episode started) and whether an episode started there (`starts`). A recurrent
//! learner cuts each env's steps into chunks ([`RolloutBuffer::chunks`]), starts each chunk
//! from its first slot's stored state, and resets the state inside the chunk where `starts`
//! says so: the same states the acting session had.
//!
//! **Episode boundaries under NEXT_STEP autoreset.** After a step that ends an episode
//! (terminated or truncated), the vector env returns that episode's final observation; the next
//! step ignores the action and returns the new episode's first observation with reward 0. So:
//! - the slot after a done step is **not a transition** (`valid = false`): it takes no part in
//!   the loss and no advantage flows through it;
//! - its observation is the done step's final observation, and the value the policy computed
//!   for it is exactly what a **truncated** step bootstraps from: `r + gamma V(final obs)`;
//! - a **terminated** step bootstraps from nothing: `r`.
//!
//! **Reward shapers.** A learner with a [`RewardShaper`] keeps [`RawSteps`] besides: the raw
//! observation rows (never the normalized ones), the next observations (on a done step the
//! episode's final observation; on a reset slot the new episode's first, meaningless since the
//! slot is not a transition), the actions the env received and the env's reward. The shaper
//! observes every vector step as it happens; its rewards for the whole rollout replace
//! `rewards` before GAE.

use crate::buffers::normalize::RewardNormalizer;
use crate::error::{AgentError, Result};
use crate::policies::{Acted, Actor, EnvActions};
use crate::runner::{EnvRunner, StepBatch};
use crate::shaping::{RewardShaper, Transitions};
use limbic_environments::vector::{Autoreset, VecEnv};
use limbic_environments::Env;

/// One rollout of `n_steps` vector steps of `n_envs` sub-envs.
#[derive(Clone, Debug)]
pub struct RolloutBuffer {
    pub n_steps: usize,
    pub n_envs: usize,
    pub obs_dim: usize,
    /// Numbers per action: 1 (discrete index) or the Box dimension.
    pub action_dim: usize,
    /// Reward streams K.
    pub streams: usize,
    /// `[T, N, D]` observations as the policy saw them (normalized when normalizing).
    pub obs: Vec<f32>,
    /// `[T, N, A]` actions as sampled (unclipped).
    pub actions: Vec<f32>,
    /// `[T, N]` log-probabilities of the actions under the acting policy.
    pub log_probs: Vec<f32>,
    /// `[T, N, K]` value estimates of `obs`.
    pub values: Vec<f32>,
    /// `[T, N, K]` rewards of each stream (scaled when normalizing rewards).
    pub rewards: Vec<f32>,
    /// `[T, N]` the step ended its episode at a terminal state.
    pub terminated: Vec<bool>,
    /// `[T, N]` the step ended its episode at a time limit.
    pub truncated: Vec<bool>,
    /// `[T, N]` the slot is a transition (false for the reset step after a done step).
    pub valid: Vec<bool>,
    /// `[T, N]` the slot's observation begins an episode.
    pub starts: Vec<bool>,
    /// Numbers per recurrent state (0: feed-forward).
    pub state_size: usize,
    /// `[T, N, S]` the state the policy read at the slot.
    pub states: Vec<f32>,
    /// Numbers per goal row (0: the policy acts without goals).
    pub goal_dim: usize,
    /// `[T, N, G]` the goal (or option) vector the policy acted with at the slot.
    pub goals: Vec<f32>,
    /// `[N, K]` values of the observations after the last step.
    pub last_values: Vec<f32>,
    /// `[T, N, K]` GAE advantages (0 for non-transitions).
    pub advantages: Vec<f32>,
    /// `[T, N, K]` value targets: advantages + values.
    pub returns: Vec<f32>,
    /// What a reward shaper reads; `None` for a learner without one.
    pub raw: Option<RawSteps>,
}

/// A rollout as a reward shaper sees it (see the [module docs](self)).
#[derive(Clone, Debug, Default)]
pub struct RawSteps {
    /// `[T, N, D]` observations as the env returned them.
    pub obs: Vec<f32>,
    /// `[T, N, D]` the observations that followed.
    pub next_obs: Vec<f32>,
    /// `[T, N, A]` actions as the env received them (continuous ones clipped to the Box).
    pub actions: Vec<f32>,
    /// `[T, N]` the env's reward as the learner sees it (normalized when normalizing), 0 on
    /// reset slots.
    pub rewards: Vec<f32>,
    /// `[T, N, G]` each step's goal relative to where the step ended (HIRO's goal transition;
    /// whoever knows what the goals mean fills it, see [`Transitions::next_goals`]).
    pub next_goals: Vec<f32>,
    /// `[T, N]` the envs' advice on each action ([`StepBatch::advice`]); empty where the envs
    /// are not advised.
    pub advice: Vec<f32>,
}

impl RawSteps {
    fn new(slots: usize, obs_dim: usize, action_dim: usize, goal_dim: usize) -> Self {
        RawSteps {
            obs: vec![0.0; slots * obs_dim],
            next_obs: vec![0.0; slots * obs_dim],
            actions: vec![0.0; slots * action_dim],
            rewards: vec![0.0; slots],
            next_goals: vec![0.0; slots * goal_dim],
            advice: Vec::new(),
        }
    }

    /// Steps `steps` (`[t0, t1)`) of the rollout.
    pub fn view<'a>(&'a self, b: &'a RolloutBuffer, steps: std::ops::Range<usize>) -> Transitions<'a> {
        let (n, d, a, g) = (b.n_envs, b.obs_dim, b.action_dim, b.goal_dim);
        let slots = steps.start * n..steps.end * n;
        Transitions {
            steps: steps.len(),
            envs: n,
            obs_dim: d,
            action_dim: a,
            obs: &self.obs[slots.start * d..slots.end * d],
            actions: &self.actions[slots.start * a..slots.end * a],
            rewards: &self.rewards[slots.clone()],
            next_obs: &self.next_obs[slots.start * d..slots.end * d],
            terminated: &b.terminated[slots.clone()],
            truncated: &b.truncated[slots.clone()],
            valid: &b.valid[slots.clone()],
            goal_dim: g,
            goals: &b.goals[slots.start * g..slots.end * g],
            next_goals: &self.next_goals[slots.start * g..slots.end * g],
            advice: if self.advice.is_empty() { &[] } else { &self.advice[slots] },
        }
    }
}

impl RolloutBuffer {
    pub fn new(n_steps: usize, n_envs: usize, obs_dim: usize, action_dim: usize, streams: usize) -> Self {
        let slots = n_steps * n_envs;
        RolloutBuffer {
            n_steps,
            n_envs,
            obs_dim,
            action_dim,
            streams,
            obs: vec![0.0; slots * obs_dim],
            actions: vec![0.0; slots * action_dim],
            log_probs: vec![0.0; slots],
            values: vec![0.0; slots * streams],
            rewards: vec![0.0; slots * streams],
            terminated: vec![false; slots],
            truncated: vec![false; slots],
            valid: vec![false; slots],
            starts: vec![false; slots],
            state_size: 0,
            states: Vec::new(),
            goal_dim: 0,
            goals: Vec::new(),
            last_values: vec![0.0; n_envs * streams],
            advantages: vec![0.0; slots * streams],
            returns: vec![0.0; slots * streams],
            raw: None,
        }
    }

    /// Keeps the recurrent state (`state_size` numbers per slot) of every slot.
    pub fn with_states(mut self, state_size: usize) -> Self {
        self.state_size = state_size;
        self.states = vec![0.0; self.n_steps * self.n_envs * state_size];
        self
    }

    /// Keeps the goal (or option) vector (`goal_dim` numbers per slot) the policy acted with;
    /// call it before [`RolloutBuffer::with_raw_steps`].
    pub fn with_goals(mut self, goal_dim: usize) -> Self {
        self.goal_dim = goal_dim;
        self.goals = vec![0.0; self.n_steps * self.n_envs * goal_dim];
        self
    }

    /// Keeps [`RawSteps`] for a reward shaper.
    pub fn with_raw_steps(mut self) -> Self {
        self.raw = Some(RawSteps::new(self.n_steps * self.n_envs, self.obs_dim, self.action_dim, self.goal_dim));
        self
    }

    /// Slots `t * N + env` that are transitions, in order.
    pub fn valid_slots(&self) -> Vec<usize> {
        (0..self.valid.len()).filter(|&s| self.valid[s]).collect()
    }

    /// Generalized advantage estimation (Schulman et al. 2016) per env and stream, backwards in
    /// time, with `discounts[k]` the discount of stream k:
    /// `delta_t = r_t + gamma * V_next - V_t`, `A_t = delta_t + gamma * lambda * A_{t+1}`,
    /// where `V_next` is 0 after a termination, `V(final obs)` after a truncation (the value in
    /// the following reset slot, or `last_values` at the rollout's end) and `A_{t+1}` is not
    /// carried across an episode's end. A stream that is not episodic bootstraps a termination
    /// like a truncation.
    pub fn compute_gae(&mut self, discounts: &[Discount], lambda: f64) {
        let (n, k_count) = (self.n_envs, self.streams);
        for env in 0..n {
            for (k, &Discount { gamma, episodic }) in discounts.iter().enumerate().take(k_count) {
                // Value and advantage of the slot after t (its `V` is V(final obs) when t ended
                // its episode).
                let mut next_value = self.last_values[env * k_count + k] as f64;
                let mut next_advantage = 0.0f64;
                for t in (0..self.n_steps).rev() {
                    let slot = t * n + env;
                    let at = slot * k_count + k;
                    let value = self.values[at] as f64;
                    if !self.valid[slot] {
                        self.advantages[at] = 0.0;
                        self.returns[at] = 0.0;
                        next_value = value;
                        next_advantage = 0.0;
                        continue;
                    }
                    let bootstrap = if episodic && self.terminated[slot] { 0.0 } else { next_value };
                    let carry = if self.terminated[slot] || self.truncated[slot] { 0.0 } else { next_advantage };
                    let delta = self.rewards[at] as f64 + gamma * bootstrap - value;
                    let advantage = delta + gamma * lambda * carry;
                    self.advantages[at] = advantage as f32;
                    self.returns[at] = (advantage + value) as f32;
                    next_value = value;
                    next_advantage = advantage;
                }
            }
        }
    }
}

/// How GAE discounts one reward stream.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Discount {
    pub gamma: f64,
    /// Whether a termination ends the stream's return.
    pub episodic: bool,
}

impl Discount {
    /// An episodic stream (the env's reward).
    pub fn episodic(gamma: f64) -> Self {
        Discount { gamma, episodic: true }
    }
}

/// Cuts each env's `T` steps into chunks of `length` consecutive slots (the last chunk of an
/// env may be shorter), in env order. A chunk with no transition (only reset slots) is left out.
pub fn chunks(n_steps: usize, n_envs: usize, length: usize, valid: &[bool]) -> Vec<Chunk> {
    let length = length.max(1);
    let mut out = Vec::new();
    for env in 0..n_envs {
        for start in (0..n_steps).step_by(length) {
            let len = length.min(n_steps - start);
            if (start..start + len).any(|t| valid[t * n_envs + env]) {
                out.push(Chunk { env, start, len });
            }
        }
    }
    out
}

/// `len` consecutive steps of one env, from step `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub env: usize,
    pub start: usize,
    pub len: usize,
}

impl Chunk {
    /// The rollout slot of the chunk's step `t` (`t < len`).
    pub fn slot(&self, t: usize, n_envs: usize) -> usize {
        (self.start + t) * n_envs + self.env
    }
}

impl RolloutBuffer {
    /// [`chunks`] of this rollout.
    pub fn chunks(&self, length: usize) -> Vec<Chunk> {
        chunks(self.n_steps, self.n_envs, length, &self.valid)
    }

    /// Stores one vector step at step `t`: the observations as the policy saw them, the choice
    /// (with its goals), the flags and, in stream 0, the env's reward (`env_rewards`, normalized
    /// when normalizing) on transitions; the other streams 0.
    pub fn store(&mut self, t: usize, batch: &StepBatch, env_rewards: &[f32]) -> Result<()> {
        let (n, d, a, k, s) = (self.n_envs, self.obs_dim, self.action_dim, self.streams, self.state_size);
        let g = self.goal_dim;
        if batch.acted.goals.len() != n * g {
            return Err(AgentError::Unsupported(format!(
                "the rollout keeps goals of {g} numbers per row, the policy acted with {} numbers for {n} rows",
                batch.acted.goals.len()
            )));
        }
        let rows = t * n..(t + 1) * n;
        self.obs[rows.start * d..rows.end * d].copy_from_slice(&batch.obs);
        self.actions[rows.start * a..rows.end * a].copy_from_slice(&batch.acted.actions);
        self.log_probs[rows.clone()].copy_from_slice(&batch.acted.log_probs);
        self.values[rows.start * k..rows.end * k].copy_from_slice(&batch.acted.values);
        self.terminated[rows.clone()].copy_from_slice(&batch.terminated);
        self.truncated[rows.clone()].copy_from_slice(&batch.truncated);
        self.starts[rows.clone()].copy_from_slice(&batch.starts);
        if s > 0 {
            self.states[rows.start * s..rows.end * s].copy_from_slice(&batch.acted.state_in);
        }
        self.goals[rows.start * g..rows.end * g].copy_from_slice(&batch.acted.goals);
        for (i, &reward) in env_rewards.iter().enumerate().take(n) {
            let slot = rows.start + i;
            self.valid[slot] = batch.is_transition(i);
            self.rewards[slot * k..(slot + 1) * k].fill(0.0);
            self.rewards[slot * k] = if self.valid[slot] { reward } else { 0.0 };
        }
        if let Some(raw) = self.raw.as_mut() {
            raw.obs[rows.start * d..rows.end * d].copy_from_slice(&batch.raw_obs);
            raw.next_obs[rows.start * d..rows.end * d].copy_from_slice(&batch.next_obs);
            let received = &mut raw.actions[rows.start * a..rows.end * a];
            match &batch.acted.env_actions {
                EnvActions::Continuous { values, .. } => received.copy_from_slice(values),
                EnvActions::Discrete(_) | EnvActions::Values(_) => received.copy_from_slice(&batch.acted.actions),
            }
            for i in 0..n {
                raw.rewards[rows.start + i] = self.rewards[(rows.start + i) * k];
            }
            if !batch.advice.is_empty() {
                raw.advice.resize(raw.rewards.len(), 0.0);
                raw.advice[rows].copy_from_slice(&batch.advice);
            }
        }
        Ok(())
    }
}

/// Fills `buffer` with `buffer.n_steps` vector steps of `envs` through `runner`, acting with
/// `actor`, continuing from where `envs` is. With `reward_norm`, stream 0 holds the normalized
/// reward; with a `shaper` (the buffer then keeps [`RawSteps`]), the shaper observes each
/// vector step right after it. The values of the observations after the last step (what
/// truncated episodes and the rollout's end bootstrap from) are taken without moving the
/// actor's states on. Returns the env steps taken.
pub fn collect_rollout<E: Env>(
    runner: &mut EnvRunner,
    envs: &mut VecEnv<E>,
    actor: &mut Actor,
    buffer: &mut RolloutBuffer,
    reward_norm: Option<&mut RewardNormalizer>,
    shaper: Option<&mut (dyn RewardShaper + '_)>,
) -> Result<u64> {
    let (steps, _) = collect_rollout_with(runner, envs, actor, buffer, reward_norm, shaper, &mut |_, _, _, _| Ok(()))?;
    Ok(steps)
}

/// What [`collect_rollout_with`] calls after each step: `(t, batch, envs, buffer)`.
pub type EachStep<'a, E> = dyn FnMut(usize, &StepBatch, &VecEnv<E>, &mut RolloutBuffer) -> Result<()> + 'a;

/// [`collect_rollout`] for a learner that keeps more of each step than the buffer does (a
/// hierarchy's decisions, its goals' next rows): `each(t, batch, envs, buffer)` runs after the
/// step is stored and before the shaper observes it, with the envs as the step left them.
/// Also returns what the actor made of the observations after the last step (its values are
/// the buffer's `last_values`).
pub fn collect_rollout_with<E: Env>(
    runner: &mut EnvRunner,
    envs: &mut VecEnv<E>,
    actor: &mut Actor,
    buffer: &mut RolloutBuffer,
    mut reward_norm: Option<&mut RewardNormalizer>,
    mut shaper: Option<&mut (dyn RewardShaper + '_)>,
    each: &mut EachStep<'_, E>,
) -> Result<(u64, Acted)> {
    check_envs(envs, buffer)?;
    let n = buffer.n_envs;
    let mut env_rewards = vec![0.0f32; n];
    for t in 0..buffer.n_steps {
        let batch = runner.step(envs, actor)?;
        let done: Vec<bool> = (0..n).map(|i| batch.done(i)).collect();
        let valid: Vec<bool> = (0..n).map(|i| batch.is_transition(i)).collect();
        match reward_norm.as_deref_mut() {
            Some(norm) => norm.normalize(&batch.rewards, &done, &valid, &mut env_rewards)?,
            None => env_rewards.iter_mut().zip(&batch.rewards).for_each(|(r, &x)| *r = x as f32),
        }
        buffer.store(t, &batch, &env_rewards)?;
        each(t, &batch, envs, buffer)?;
        if let (Some(shaper), Some(raw)) = (shaper.as_deref_mut(), buffer.raw.as_ref()) {
            shaper.observe(&raw.view(buffer, t..t + 1))?;
        }
    }
    let obs = runner.observe(envs);
    let last = actor.peek_in(&crate::runner::env_refs(envs), &obs, &envs.episode_starts())?;
    buffer.last_values.copy_from_slice(&last.values);
    Ok(((buffer.n_steps * n) as u64, last))
}

fn check_envs<E: Env>(envs: &VecEnv<E>, buffer: &RolloutBuffer) -> Result<()> {
    let problem = if envs.autoreset() != Autoreset::NextStep {
        Some(format!("needs NEXT_STEP autoreset, the vector env uses {:?}", envs.autoreset()))
    } else if envs.num_envs() != buffer.n_envs {
        Some(format!("was built for {} sub-envs, the vector env has {}", buffer.n_envs, envs.num_envs()))
    } else if envs.obs_dim() != buffer.obs_dim {
        Some(format!("expects observation rows of {}, the vector env has {}", buffer.obs_dim, envs.obs_dim()))
    } else {
        None
    };
    match problem {
        Some(message) => Err(AgentError::Config { field: "envs".into(), message: format!("the rollout {message}") }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One env, one stream, five steps: a termination at t=1, its reset slot at t=2, a
    /// truncation at t=4 whose final observation is valued in `last_values`.
    fn example() -> RolloutBuffer {
        let mut b = RolloutBuffer::new(5, 1, 1, 1, 1);
        b.values = vec![1.0, 2.0, 9.0, 3.0, 4.0];
        b.rewards = vec![1.0, 1.0, 0.0, 1.0, 1.0];
        b.terminated = vec![false, true, false, false, false];
        b.truncated = vec![false, false, false, false, true];
        b.valid = vec![true, true, false, true, true];
        b.last_values = vec![5.0];
        b
    }

    #[test]
    fn gae_by_hand() {
        let (g, l) = (0.9f64, 0.8f64);
        let mut b = example();
        b.compute_gae(&[Discount::episodic(g)], l);
        // t=4 truncated: delta = 1 + 0.9 * V(final) 5 - 4 = 1.5, nothing carried.
        let a4 = 1.0 + g * 5.0 - 4.0;
        // t=3: next slot t=4 in the same episode.
        let a3 = (1.0 + g * 4.0 - 3.0) + g * l * a4;
        // t=1 terminated: delta = 1 - 2.
        let a1 = 1.0 - 2.0;
        let a0 = (1.0 + g * 2.0 - 1.0) + g * l * a1;
        let expected = [a0, a1, 0.0, a3, a4];
        for (t, (&got, want)) in b.advantages.iter().zip(expected).enumerate() {
            assert!((got as f64 - want).abs() < 1e-6, "t={t}: {got} vs {want}");
        }
        assert_eq!(b.returns[2], 0.0);
        assert!((b.returns[0] as f64 - (a0 + 1.0)).abs() < 1e-6);
    }

    #[test]
    fn no_transition_crosses_an_episode() {
        // Changing anything in the second episode (t >= 3) leaves the first one's advantages
        // alone, and the reset slot's value matters only as a truncation bootstrap.
        let mut a = example();
        a.compute_gae(&[Discount::episodic(0.99)], 0.95);
        let mut b = example();
        b.rewards[3] = 100.0;
        b.values[3] = -7.0;
        b.values[2] = 1234.0; // the final obs of a *terminated* episode: never bootstrapped
        b.compute_gae(&[Discount::episodic(0.99)], 0.95);
        assert_eq!(a.advantages[..3], b.advantages[..3]);
        assert_ne!(a.advantages[3], b.advantages[3]);
        // Truncating at t=1 instead makes that slot bootstrap from the reset slot's value.
        let mut c = example();
        c.terminated[1] = false;
        c.truncated[1] = true;
        c.compute_gae(&[Discount::episodic(0.9)], 0.8);
        assert!((c.advantages[1] as f64 - (1.0 + 0.9 * 9.0 - 2.0)).abs() < 1e-5);
        assert_eq!(c.advantages[3..], a_with(0.9, 0.8)[3..]);
    }

    #[test]
    fn a_continuing_stream_bootstraps_through_a_termination() {
        // The terminated step at t=1 bootstraps from its final observation's value (9, in the
        // reset slot) like a truncation, in a stream that is not episodic.
        let (g, l) = (0.9f64, 0.8f64);
        let mut b = example();
        b.compute_gae(&[Discount { gamma: g, episodic: false }], l);
        let a1 = 1.0 + g * 9.0 - 2.0;
        assert!((b.advantages[1] as f64 - a1).abs() < 1e-5, "{:?}", b.advantages);
        assert!((b.advantages[0] as f64 - ((1.0 + g * 2.0 - 1.0) + g * l * a1)).abs() < 1e-5);
        assert_eq!(b.advantages[3..], a_with(g, l)[3..]);
    }

    fn a_with(g: f64, l: f64) -> Vec<f32> {
        let mut b = example();
        b.compute_gae(&[Discount::episodic(g)], l);
        b.advantages
    }

    #[test]
    fn streams_are_independent() {
        let mut b = RolloutBuffer::new(2, 1, 1, 1, 2);
        b.values = vec![1.0, 0.0, 1.0, 0.0];
        b.rewards = vec![1.0, 2.0, 1.0, 2.0];
        b.valid = vec![true, true];
        b.last_values = vec![1.0, 0.0];
        b.compute_gae(&[Discount::episodic(0.5), Discount::episodic(1.0)], 1.0);
        // Stream 0, gamma 0.5: a1 = 1 + 0.5 - 1 = 0.5, a0 = 1 + 0.5 - 1 + 0.5 * 0.5 = 0.75.
        // Stream 1, gamma 1: a1 = 2, a0 = 2 + 2 = 4.
        assert_eq!(b.advantages, [0.75, 4.0, 0.5, 2.0]);
    }

    #[test]
    fn chunks_cut_each_env_and_skip_empty_ones() {
        // 5 steps x 2 envs; env 1's steps 3 and 4 are reset slots.
        let mut valid = vec![true; 10];
        valid[3 * 2 + 1] = false;
        valid[4 * 2 + 1] = false;
        let got = chunks(5, 2, 2, &valid);
        let expected = [(0, 0, 2), (0, 2, 2), (0, 4, 1), (1, 0, 2), (1, 2, 2)];
        assert_eq!(got, expected.map(|(env, start, len)| Chunk { env, start, len }));
        // Env 1's last chunk (step 4 only) holds no transition and is left out.
        assert_eq!(got[4].slot(1, 2), 3 * 2 + 1);
        assert_eq!(chunks(5, 1, 8, &[true; 5]), [Chunk { env: 0, start: 0, len: 5 }]);
    }
}
