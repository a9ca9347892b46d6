//! The training vector env, whose state a checkpoint can hold exactly.
//!
//! Environments cannot export their internal state (RNG, grid, physics), but each one is a pure
//! function of its reset seed and the actions since: so every sub-env is wrapped in a recorder
//! that keeps its episode's seed and actions, and a restored sub-env is rebuilt by replaying
//! them. For that the recorder seeds every reset: an autoreset (`reset(None)`) of sub-env i gets
//! a seed derived from the sub-env's first seed and its episode count, instead of continuing the
//! env's RNG (Gymnasium's behaviour; the initial states are as random, but not Gymnasium's).
//! The vector env's own bookkeeping (last buffers, pending autoresets, running returns) is saved
//! as is ([`VecEnvState`]). Replay costs at most one episode per sub-env.

use crate::config::RunConfig;
use crate::run_skill::RunSkills;
use crate::seeds::mix;
use anyhow::{bail, Context, Result};
use limbic_environments::json::{value_from_json, value_to_json};
use limbic_environments::render::Frame;
use limbic_environments::vector::{VecEnv, VecEnvState};
use limbic_environments::wrappers::{AbsorbAfterDone, Advised};
use limbic_environments::{registry, Env, Info, Options, Space, Step, Transition, Value};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, MutexGuard};

/// The training vector env and a handle on each sub-env's recording.
pub struct TrainEnvs {
    pub envs: VecEnv,
    logs: Vec<Arc<Mutex<EpisodeLog>>>,
}

/// What rebuilds one sub-env: its first seed, episodes begun since, and the running episode.
#[derive(Clone, Debug, Default)]
struct EpisodeLog {
    first_seed: Option<u64>,
    episode: u64,
    seed: Option<u64>,
    options: Options,
    actions: Vec<Value>,
}

impl TrainEnvs {
    /// `config.num_envs` sub-envs of `config.env`, not yet reset.
    pub fn new(config: &RunConfig) -> Result<TrainEnvs> {
        Self::build(config, None)
    }

    /// The sub-envs exactly as `saved` describes them (from [`TrainEnvs::save`]).
    pub fn restore(config: &RunConfig, saved: &SavedEnvs) -> Result<TrainEnvs> {
        if saved.sub_envs.len() != config.num_envs {
            bail!("saved envs hold {} sub-envs, the config says {}", saved.sub_envs.len(), config.num_envs);
        }
        let mut restored = Self::build(config, Some(saved))?;
        restored.envs.set_state(saved.vector.to_state())?;
        Ok(restored)
    }

    fn build(config: &RunConfig, saved: Option<&SavedEnvs>) -> Result<TrainEnvs> {
        let mut logs = Vec::with_capacity(config.num_envs);
        let mut sub_envs: Vec<Box<dyn Env>> = Vec::with_capacity(config.num_envs);
        let runs = RunSkills::default();
        for i in 0..config.num_envs {
            let log = Arc::new(Mutex::new(EpisodeLog::default()));
            let mut env = Recorded { inner: training_env_with(config, &runs)?, log: Arc::clone(&log) };
            if let Some(saved) = saved.and_then(|s| s.sub_envs.get(i)) {
                saved.replay(&mut env).with_context(|| format!("replaying sub-env {i} of the checkpoint"))?;
            }
            logs.push(log);
            sub_envs.push(Box::new(env));
        }
        let scope = registry::spec(&config.env)?.batch_scope;
        let envs = VecEnv::new(sub_envs)?.with_threads(Some(config.threads))?.with_batch_scope(scope);
        Ok(TrainEnvs { envs, logs })
    }

    /// Everything needed to rebuild the envs as they are now.
    pub fn save(&self) -> Result<SavedEnvs> {
        let space = self.envs.action_space();
        let sub_envs = self.logs.iter().enumerate().map(|(i, log)| SavedSubEnv::of(&lock(log), space, i));
        Ok(SavedEnvs { sub_envs: sub_envs.collect::<Result<_>>()?, vector: SavedVector::of(self.envs.state())? })
    }
}

/// The saved form of [`TrainEnvs`] (`envs.json` in a checkpoint).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedEnvs {
    sub_envs: Vec<SavedSubEnv>,
    vector: SavedVector,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedSubEnv {
    first_seed: u64,
    episode: u64,
    seed: u64,
    options: Options,
    actions: Vec<serde_json::Value>,
}

impl SavedSubEnv {
    fn of(log: &EpisodeLog, space: &Space, index: usize) -> Result<SavedSubEnv> {
        let (Some(first_seed), Some(seed)) = (log.first_seed, log.seed) else {
            bail!("sub-env {index} was reset without a seed: its state cannot be saved");
        };
        let actions = log.actions.iter().map(|a| value_to_json(space, a)).collect();
        Ok(SavedSubEnv { first_seed, episode: log.episode, seed, options: log.options.clone(), actions })
    }

    /// Resets `env` with the episode's seed and replays its actions; the recorder then holds
    /// this log again.
    fn replay(&self, env: &mut Recorded) -> Result<()> {
        env.reset(Some(self.seed), &self.options)?;
        let mut log = lock(&env.log);
        (log.first_seed, log.episode) = (Some(self.first_seed), self.episode);
        drop(log);
        let space = env.action_space().clone();
        for (t, json) in self.actions.iter().enumerate() {
            env.step(&value_from_json(&space, json)?).with_context(|| format!("action {t}"))?;
        }
        Ok(())
    }
}

/// [`VecEnvState`] for JSON: f32 rows widened to f64, which JSON carries exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedVector {
    obs: Vec<f64>,
    rewards: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    final_obs: Vec<f64>,
    final_mask: Vec<bool>,
    done: Vec<bool>,
    returns: Vec<f64>,
    lengths: Vec<u64>,
}

impl SavedVector {
    fn of(s: VecEnvState) -> Result<SavedVector> {
        let finite = |xs: &[f32]| xs.iter().all(|x| x.is_finite());
        if !finite(&s.obs) || !s.rewards.iter().chain(&s.returns).all(|x| x.is_finite()) {
            bail!("the vector env holds a non-finite observation or reward: it cannot be saved as JSON");
        }
        let widen = |xs: Vec<f32>| xs.into_iter().map(f64::from).collect();
        // Rows of `final_obs` without `final_mask` are stale and may hold anything: zero them.
        let final_obs = s.final_obs.into_iter().map(|x| if x.is_finite() { f64::from(x) } else { 0.0 }).collect();
        Ok(SavedVector {
            obs: widen(s.obs),
            rewards: s.rewards,
            terminated: s.terminated,
            truncated: s.truncated,
            final_obs,
            final_mask: s.final_mask,
            done: s.done,
            returns: s.returns,
            lengths: s.lengths,
        })
    }

    fn to_state(&self) -> VecEnvState {
        let narrow = |xs: &[f64]| xs.iter().map(|&x| x as f32).collect();
        VecEnvState {
            obs: narrow(&self.obs),
            rewards: self.rewards.clone(),
            terminated: self.terminated.clone(),
            truncated: self.truncated.clone(),
            final_obs: narrow(&self.final_obs),
            final_mask: self.final_mask.clone(),
            done: self.done.clone(),
            returns: self.returns.clone(),
            lengths: self.lengths.clone(),
        }
    }
}

/// A sub-env that records its episode's seed and actions in a log the runner also holds.
struct Recorded {
    inner: Box<dyn Env>,
    log: Arc<Mutex<EpisodeLog>>,
}

impl Recorded {
    /// Starts a new episode's log and picks its seed: the given one (a new first seed), or the
    /// next derived one.
    fn begin_episode(&mut self, seed: Option<u64>, options: &Options) -> Option<u64> {
        let mut log = lock(&self.log);
        let seed = match (seed, log.first_seed) {
            (Some(seed), _) => {
                (log.first_seed, log.episode) = (Some(seed), 0);
                Some(seed)
            }
            (None, Some(first)) => {
                log.episode += 1;
                Some(episode_seed(first, log.episode))
            }
            (None, None) => None,
        };
        log.seed = seed;
        log.options = options.clone();
        log.actions.clear();
        seed
    }

    fn record(&mut self, action: &Value) {
        lock(&self.log).actions.push(action.clone());
    }
}

/// One env as the run trains on it: `make`'s, in [`AbsorbAfterDone`] when the config asks for a
/// fixed horizon (its time limit).
pub fn training_env(config: &RunConfig) -> Result<Box<dyn Env>> {
    training_env_with(config, &RunSkills::default())
}

/// [`training_env`], the trained runs its skill libraries name loaded by `runs`.
fn training_env_with(config: &RunConfig, runs: &RunSkills) -> Result<Box<dyn Env>> {
    let env = crate::env_maker::EnvMaker::of(config).make_with(runs)?;
    // A teacher that judges actions reads the env's advice (never the policy).
    let env: Box<dyn Env> = match limbic_rewards::teachers::judges_progress(&config.rewards) {
        true => Box::new(Advised::new(env, &config.env).context("the rewards' teacher judges progress")?),
        false => env,
    };
    if !config.fixed_horizon {
        return Ok(env);
    }
    let Some(horizon) = registry::spec(&config.env)?.time_limit(&config.env_kwargs)? else {
        bail!("config `fixed_horizon` needs a time limit: set env_kwargs.max_episode_steps for `{}`", config.env);
    };
    let horizon = u32::try_from(horizon).context("config `fixed_horizon`: the time limit is too large")?;
    Ok(Box::new(AbsorbAfterDone::new(env, horizon, 0.0)?))
}

/// The seed of episode `episode` (1, 2, ...) of a sub-env first seeded with `first`.
fn episode_seed(first: u64, episode: u64) -> u64 {
    mix(mix(first) ^ episode)
}

fn lock(log: &Mutex<EpisodeLog>) -> MutexGuard<'_, EpisodeLog> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Env for Recorded {
    fn observation_space(&self) -> &Space {
        self.inner.observation_space()
    }
    fn action_space(&self) -> &Space {
        self.inner.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> limbic_environments::Result<(Value, Info)> {
        let seed = self.begin_episode(seed, options);
        self.inner.reset(seed, options)
    }
    fn step(&mut self, action: &Value) -> limbic_environments::Result<Step> {
        self.record(action);
        self.inner.step(action)
    }
    fn render(&self) -> limbic_environments::Result<Frame> {
        self.inner.render()
    }
    fn render_fps(&self) -> u32 {
        self.inner.render_fps()
    }
    fn grid_world(&self) -> Option<&limbic_environments::gridworld::World> {
        self.inner.grid_world()
    }
    fn advice(&self) -> Option<f32> {
        self.inner.advice()
    }
    fn flat_space(&self) -> &Space {
        self.inner.flat_space()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> limbic_environments::Result<()> {
        let seed = self.begin_episode(seed, &Options::new());
        self.inner.reset_into(seed, obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> limbic_environments::Result<Transition> {
        self.record(action);
        self.inner.step_into(action, obs)
    }
}
