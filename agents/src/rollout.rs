//! On-policy rollouts: the buffer, its collection from a vector env, and GAE, written once for
//! every on-policy learner (PPO now; A2C and recurrent PPO reuse it).
//!
//! Layout: plain `Vec`s indexed `[t, env]` (`[t, env, k]` for per-stream numbers), `t` the step
//! within the rollout. K reward streams share the buffer: stream 0 is the environment's reward,
//! the others belong to intrinsic signals that fill `rewards` before [`RolloutBuffer::compute_gae`].
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

use crate::error::{AgentError, Result};
use crate::normalize::{ObsNormalizer, RewardNormalizer};
use crate::policy::{ActingOutput, ActionKind};
use crate::shaping::{RewardShaper, Transitions};
use limbic_environments::rng::Generator;
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
}

impl RawSteps {
    fn new(slots: usize, obs_dim: usize, action_dim: usize) -> Self {
        RawSteps {
            obs: vec![0.0; slots * obs_dim],
            next_obs: vec![0.0; slots * obs_dim],
            actions: vec![0.0; slots * action_dim],
            rewards: vec![0.0; slots],
        }
    }

    /// Steps `steps` (`[t0, t1)`) of the rollout.
    pub fn view<'a>(&'a self, b: &'a RolloutBuffer, steps: std::ops::Range<usize>) -> Transitions<'a> {
        let (n, d, a) = (b.n_envs, b.obs_dim, b.action_dim);
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
            valid: &b.valid[slots],
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
            last_values: vec![0.0; n_envs * streams],
            advantages: vec![0.0; slots * streams],
            returns: vec![0.0; slots * streams],
            raw: None,
        }
    }

    /// Keeps [`RawSteps`] for a reward shaper.
    pub fn with_raw_steps(mut self) -> Self {
        self.raw = Some(RawSteps::new(self.n_steps * self.n_envs, self.obs_dim, self.action_dim));
        self
    }

    /// Slots `t * N + env` that are transitions, in order.
    pub fn valid_slots(&self) -> Vec<usize> {
        (0..self.valid.len()).filter(|&s| self.valid[s]).collect()
    }

    /// Generalized advantage estimation (Schulman et al. 2016) per env and stream, backwards in
    /// time, with `gammas[k]` the discount of stream k:
    /// `delta_t = r_t + gamma * V_next - V_t`, `A_t = delta_t + gamma * lambda * A_{t+1}`,
    /// where `V_next` is 0 after a termination, `V(final obs)` after a truncation (the value in
    /// the following reset slot, or `last_values` at the rollout's end) and `A_{t+1}` is not
    /// carried across an episode's end.
    pub fn compute_gae(&mut self, gammas: &[f64], lambda: f64) {
        let (n, k_count) = (self.n_envs, self.streams);
        for env in 0..n {
            for (k, &gamma) in gammas.iter().enumerate().take(k_count) {
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
                    let bootstrap = if self.terminated[slot] { 0.0 } else { next_value };
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

/// The normalizers a collection applies (each optional).
pub struct Normalizers<'a> {
    pub obs: Option<&'a mut ObsNormalizer>,
    pub reward: Option<&'a mut RewardNormalizer>,
}

/// Fills `buffer` with `buffer.n_steps` vector steps of `envs`, continuing from where `envs`
/// is. `policy` maps observation rows `[N, D]` (normalized) to the batch's distribution
/// parameters and values; actions are drawn from them with `rng`. Stream 0 gets the env's
/// (normalized) reward, the other streams 0. With a `shaper` (the buffer then keeps
/// [`RawSteps`]), the shaper observes each vector step right after it. Returns the env steps
/// taken.
pub fn collect<E: Env>(
    envs: &mut VecEnv<E>,
    buffer: &mut RolloutBuffer,
    kind: &ActionKind,
    rng: &mut Generator,
    mut normalizers: Normalizers<'_>,
    mut shaper: Option<&mut (dyn RewardShaper + '_)>,
    mut policy: impl FnMut(&[f32]) -> Result<ActingOutput>,
) -> Result<u64> {
    check_envs(envs, buffer)?;
    let (n, d, a, k) = (buffer.n_envs, buffer.obs_dim, buffer.action_dim, buffer.streams);
    let mut discrete = vec![0i64; n];
    let mut continuous = vec![0.0f32; n * a];
    let mut done = vec![false; n];
    let mut env_rewards = vec![0.0f32; n];
    for t in 0..buffer.n_steps {
        let rows = t * n..(t + 1) * n;
        let last = envs.last();
        for (i, valid) in buffer.valid[rows.clone()].iter_mut().enumerate() {
            *valid = !(last.terminated[i] || last.truncated[i]);
        }
        if let Some(raw) = buffer.raw.as_mut() {
            raw.obs[rows.start * d..rows.end * d].copy_from_slice(last.obs);
        }
        let obs = &mut buffer.obs[rows.start * d..rows.end * d];
        match normalizers.obs.as_deref() {
            Some(norm) => norm.normalize(last.obs, obs),
            None => obs.copy_from_slice(last.obs),
        }
        let acting = policy(obs)?;
        let actions = &mut buffer.actions[rows.start * a..rows.end * a];
        acting.sample(kind, false, rng, actions, &mut buffer.log_probs[rows.clone()]);
        for i in 0..n {
            buffer.values[(rows.start + i) * k..(rows.start + i + 1) * k].copy_from_slice(acting.values(i));
        }
        let step = match kind {
            ActionKind::Discrete { start, .. } => {
                discrete.iter_mut().zip(actions.iter()).for_each(|(d, &x)| *d = x as i64 + start);
                envs.step_discrete(&discrete)?
            }
            ActionKind::Continuous { low, high, .. } => {
                for (j, (c, &x)) in continuous.iter_mut().zip(actions.iter()).enumerate() {
                    *c = x.clamp(low[j % a], high[j % a]);
                }
                envs.step_continuous(&continuous)?
            }
        };
        for ((done, &terminated), &truncated) in done.iter_mut().zip(step.terminated).zip(step.truncated) {
            *done = terminated || truncated;
        }
        buffer.terminated[rows.clone()].copy_from_slice(step.terminated);
        buffer.truncated[rows.clone()].copy_from_slice(step.truncated);
        let valid = &buffer.valid[rows.clone()];
        match normalizers.reward.as_deref_mut() {
            Some(norm) => norm.normalize(step.rewards, &done, valid, &mut env_rewards)?,
            None => env_rewards.iter_mut().zip(step.rewards).for_each(|(r, &x)| *r = x as f32),
        }
        for i in 0..n {
            let at = (rows.start + i) * k;
            buffer.rewards[at..at + k].fill(0.0);
            buffer.rewards[at] = if valid[i] { env_rewards[i] } else { 0.0 };
        }
        if let Some(raw) = buffer.raw.as_mut() {
            raw.next_obs[rows.start * d..rows.end * d].copy_from_slice(step.obs);
            let received = &mut raw.actions[rows.start * a..rows.end * a];
            match kind {
                ActionKind::Discrete { .. } => received.copy_from_slice(&buffer.actions[rows.start * a..rows.end * a]),
                ActionKind::Continuous { .. } => received.copy_from_slice(&continuous),
            }
            for i in 0..n {
                raw.rewards[rows.start + i] = buffer.rewards[(rows.start + i) * k];
            }
        }
        if let Some(norm) = normalizers.obs.as_deref_mut() {
            norm.observe(step.obs)?;
        }
        if let (Some(shaper), Some(raw)) = (shaper.as_deref_mut(), buffer.raw.as_ref()) {
            shaper.observe(&raw.view(buffer, t..t + 1))?;
        }
    }
    let mut last_obs = envs.last().obs.to_vec();
    if let Some(norm) = normalizers.obs.as_deref() {
        norm.normalize(envs.last().obs, &mut last_obs);
    }
    let acting = policy(&last_obs)?;
    for i in 0..n {
        buffer.last_values[i * k..(i + 1) * k].copy_from_slice(acting.values(i));
    }
    Ok((buffer.n_steps * n) as u64)
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
        b.compute_gae(&[g], l);
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
        a.compute_gae(&[0.99], 0.95);
        let mut b = example();
        b.rewards[3] = 100.0;
        b.values[3] = -7.0;
        b.values[2] = 1234.0; // the final obs of a *terminated* episode: never bootstrapped
        b.compute_gae(&[0.99], 0.95);
        assert_eq!(a.advantages[..3], b.advantages[..3]);
        assert_ne!(a.advantages[3], b.advantages[3]);
        // Truncating at t=1 instead makes that slot bootstrap from the reset slot's value.
        let mut c = example();
        c.terminated[1] = false;
        c.truncated[1] = true;
        c.compute_gae(&[0.9], 0.8);
        assert!((c.advantages[1] as f64 - (1.0 + 0.9 * 9.0 - 2.0)).abs() < 1e-5);
        assert_eq!(c.advantages[3..], a_with(0.9, 0.8)[3..]);
    }

    fn a_with(g: f64, l: f64) -> Vec<f32> {
        let mut b = example();
        b.compute_gae(&[g], l);
        b.advantages
    }

    #[test]
    fn streams_are_independent() {
        let mut b = RolloutBuffer::new(2, 1, 1, 1, 2);
        b.values = vec![1.0, 0.0, 1.0, 0.0];
        b.rewards = vec![1.0, 2.0, 1.0, 2.0];
        b.valid = vec![true, true];
        b.last_values = vec![1.0, 0.0];
        b.compute_gae(&[0.5, 1.0], 1.0);
        // Stream 0, gamma 0.5: a1 = 1 + 0.5 - 1 = 0.5, a0 = 1 + 0.5 - 1 + 0.5 * 0.5 = 0.75.
        // Stream 1, gamma 1: a1 = 2, a0 = 2 + 2 = 4.
        assert_eq!(b.advantages, [0.75, 4.0, 0.5, 2.0]);
    }
}
