//! The one env loop: an action source chooses, the vector env steps, and the outcome comes back
//! as an owned, typed [`StepBatch`]. On-policy collection ([`collect_rollout`]), off-policy
//! storage ([`crate::learners::offpolicy`]), evaluation, demo recording and DAgger are
//! consumers of [`EnvRunner::step`]; none of them steps an env itself.
//!
//! **Episode boundaries.** Under NEXT_STEP autoreset (Gymnasium 1.x's default) a step that ends
//! an episode returns its final observation; the next step ignores the action and returns the
//! new episode's first observation with reward 0. That row is `resetting` in the batch: not a
//! transition. Under SAME_STEP the final observation comes from the env's `final_obs`; under
//! DISABLED the runner resets finished rows itself after the step. In every mode `next_obs` is
//! the true observation after the action (the final one where the episode ended) and `starts`
//! marks the rows whose observation begins an episode, where a recurrent policy starts from
//! its zero state.

use crate::buffers::normalize::ObsNormalizer;
use crate::error::{AgentError, Result};
use crate::policies::{Acted, Actor};
use limbic_environments::vector::{Autoreset, VecEnv};
use limbic_environments::{Env, Options};

/// Whatever chooses a vector step's actions: an acting session, a scripted expert, a mixture.
/// It sees the envs (a scripted expert reads their state) and the observation rows.
pub trait ActionSource<E: Env> {
    fn choose(&mut self, envs: &mut VecEnv<E>, obs: &[f32], starts: &[bool]) -> Result<Acted>;
}

impl<E: Env> ActionSource<E> for Actor {
    fn choose(&mut self, envs: &mut VecEnv<E>, obs: &[f32], starts: &[bool]) -> Result<Acted> {
        self.act_in(&env_refs(envs), obs, starts)
    }
}

/// Each sub-env of `envs` as a `&dyn Env`, for acting sessions that read the envs' state.
pub fn env_refs<E: Env>(envs: &VecEnv<E>) -> Vec<&dyn Env> {
    envs.envs().iter().map(|e| e as &dyn Env).collect()
}

/// One vector step: what the source saw and chose, and what the env answered. Row `i` is
/// sub-env `i`.
#[derive(Clone, Debug)]
pub struct StepBatch {
    /// `[N, D]` the observations before the step, as the env returned them.
    pub raw_obs: Vec<f32>,
    /// `[N, D]` the same rows as the source saw them (normalized when the runner normalizes).
    pub obs: Vec<f32>,
    /// `[N]` the row's observation begins an episode.
    pub starts: Vec<bool>,
    /// `[N]` NEXT_STEP: the step only reset the row (its action was ignored): no transition.
    pub resetting: Vec<bool>,
    /// The choice: actions, log-probs, values, states.
    pub acted: Acted,
    /// `[N]` rewards of the step (0 for resetting rows).
    pub rewards: Vec<f64>,
    pub terminated: Vec<bool>,
    pub truncated: Vec<bool>,
    /// `[N, D]` the observation after the action: the final one where the episode ended.
    pub next_obs: Vec<f32>,
    /// `[N]` each row's [advice](limbic_environments::Env::advice) on its action (0 where a
    /// sub-env has none, e.g. a reset row); empty where no sub-env is advised. For synthetic
    /// teachers only: no action source ever sees it.
    pub advice: Vec<f32>,
}

impl StepBatch {
    pub fn rows(&self) -> usize {
        self.starts.len()
    }

    /// The row's episode ended with this step.
    pub fn done(&self, i: usize) -> bool {
        self.terminated[i] || self.truncated[i]
    }

    /// The row is a real transition (not a NEXT_STEP reset).
    pub fn is_transition(&self, i: usize) -> bool {
        !self.resetting[i]
    }
}

/// The env loop and its observation connector.
#[derive(Clone, Debug, Default)]
pub struct EnvRunner {
    /// Observation normalization: rows are normalized before the source sees them, and the
    /// statistics follow every raw observation the env returns (SB3's `VecNormalize`).
    pub obs_norm: Option<ObsNormalizer>,
}

impl EnvRunner {
    pub fn new(obs_norm: Option<ObsNormalizer>) -> Self {
        EnvRunner { obs_norm }
    }

    /// The envs' current rows as a source would see them.
    pub fn observe<E: Env>(&self, envs: &VecEnv<E>) -> Vec<f32> {
        let raw = envs.last().obs;
        match &self.obs_norm {
            Some(norm) => {
                let mut out = raw.to_vec();
                norm.normalize(raw, &mut out);
                out
            }
            None => raw.to_vec(),
        }
    }

    /// Lets `source` choose for the envs' current observations and steps every sub-env once.
    pub fn step<E: Env>(&mut self, envs: &mut VecEnv<E>, source: &mut dyn ActionSource<E>) -> Result<StepBatch> {
        let (n, d) = (envs.num_envs(), envs.obs_dim());
        let mode = envs.autoreset();
        let last = envs.last();
        let raw_obs = last.obs.to_vec();
        let resetting: Vec<bool> =
            (0..n).map(|i| mode == Autoreset::NextStep && (last.terminated[i] || last.truncated[i])).collect();
        let starts = envs.episode_starts();
        let obs = self.observe(envs);
        let acted = source.choose(envs, &obs, &starts)?;
        let step = acted.env_actions.step(envs)?;
        let mut next_obs = step.obs.to_vec();
        for i in (0..n).filter(|&i| step.final_mask[i]) {
            next_obs[i * d..(i + 1) * d].copy_from_slice(&step.final_obs[i * d..(i + 1) * d]);
        }
        let (rewards, terminated, truncated) =
            (step.rewards.to_vec(), step.terminated.to_vec(), step.truncated.to_vec());
        if let Some(norm) = self.obs_norm.as_mut() {
            norm.observe(step.obs)?;
        }
        let advice = advice(envs);
        let batch =
            StepBatch { raw_obs, obs, starts, resetting, acted, rewards, terminated, truncated, next_obs, advice };
        if mode == Autoreset::Disabled {
            let done: Vec<bool> = (0..n).map(|i| batch.done(i)).collect();
            if done.iter().any(|&d| d) {
                envs.reset_with(None, &Options::new(), Some(&done))?;
            }
        }
        Ok(batch)
    }
}

/// Every sub-env's advice on its last step, 0 where it has none; empty where none is advised.
fn advice<E: Env>(envs: &VecEnv<E>) -> Vec<f32> {
    let advice: Vec<Option<f32>> = envs.envs().iter().map(Env::advice).collect();
    if advice.iter().all(Option::is_none) {
        return Vec::new();
    }
    advice.into_iter().map(|a| a.unwrap_or(0.0)).collect()
}

/// How one evaluation episode ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpisodeOutcome {
    pub episode_return: f64,
    pub length: u64,
    /// It ended at a terminal state (not a time limit).
    pub terminated: bool,
    /// The reward of its last step.
    pub final_reward: f64,
}

/// Plays the first episode of every sub-env of `envs` (already reset) with `source`; a
/// sub-env that finishes early goes on stepping, its later episodes ignored. More than
/// `max_steps` vector steps is an error.
pub fn first_episodes<E: Env>(
    envs: &mut VecEnv<E>,
    source: &mut dyn ActionSource<E>,
    max_steps: u64,
) -> Result<Vec<EpisodeOutcome>> {
    let n = envs.num_envs();
    let mut runner = EnvRunner::default();
    let mut ended: Vec<Option<EpisodeOutcome>> = vec![None; n];
    let (mut returns, mut lengths) = (vec![0.0; n], vec![0u64; n]);
    for _ in 0..max_steps {
        let step = runner.step(envs, source)?;
        for i in 0..n {
            if ended[i].is_some() {
                continue;
            }
            returns[i] += step.rewards[i];
            lengths[i] += 1;
            if step.done(i) {
                let (terminated, final_reward) = (step.terminated[i], step.rewards[i]);
                ended[i] =
                    Some(EpisodeOutcome { episode_return: returns[i], length: lengths[i], terminated, final_reward });
            }
        }
        if ended.iter().all(Option::is_some) {
            return Ok(ended.into_iter().flatten().collect());
        }
    }
    Err(AgentError::Unsupported(format!(
        "episodes did not end within {max_steps} steps; give the env a time limit (max_episode_steps)"
    )))
}

/// The mean return of `policy`'s deterministic actions over `episodes` episodes of `id`,
/// episode i reset with `seed + i`.
pub fn mean_return(policy: Box<dyn crate::policies::Acting>, id: &str, episodes: usize, seed: u64) -> Result<f64> {
    let mut envs = VecEnv::make(id, episodes, &limbic_environments::Kwargs::new())?;
    envs.reset(Some(seed))?;
    let mut actor = Actor::new(policy, episodes, seed).deterministic(true);
    let outcomes = first_episodes(&mut envs, &mut actor, 1_000_000)?;
    Ok(outcomes.iter().map(|o| o.episode_return).sum::<f64>() / episodes.max(1) as f64)
}
