//! Recording demonstrations: episodes of a scripted expert, a uniform random policy or a trained
//! run's policy, into a [`Dataset`] in Minari's layout; and Minari's reference scores.

use crate::progress::Progress;
use anyhow::{bail, Context, Result};
use limbic_agents::Algorithm;
use limbic_datasets::{Dataset, Episode};
use limbic_environments::experts::ExpertEnv;
use limbic_environments::rng::Generator;
use limbic_environments::{make, Env, Kwargs, Options, Value};

/// Steps after which a recorded episode is abandoned (an env without a time limit).
const MAX_EPISODE_STEPS: usize = 1_000_000;

/// Episodes Minari averages for `ref_min_score`/`ref_max_score`.
pub const REFERENCE_EPISODES: usize = 100;
/// The seed of Minari's first reference reset (later resets continue the env's RNG).
pub const REFERENCE_SEED: u64 = 123;

/// Who chooses the actions.
pub enum DemoPolicy {
    /// The env's scripted expert ([`ExpertEnv`]).
    Scripted,
    /// Uniform draws from the action space.
    Random,
    /// A trained policy's deterministic actions (a run's checkpoint).
    Trained(Box<dyn Algorithm>),
}

impl DemoPolicy {
    /// A short name for the dataset's `algorithm_name`.
    pub fn name(&self) -> String {
        match self {
            DemoPolicy::Scripted => "scripted expert".into(),
            DemoPolicy::Random => "uniform random".into(),
            DemoPolicy::Trained(algo) => format!("trained {}", algo.name()),
        }
    }
}

/// An environment with the policy that acts in it.
struct Actor<'a> {
    env: Box<dyn Env>,
    /// The scripted expert's env, when the policy is scripted (then `env` is unused).
    expert: Option<ExpertEnv>,
    policy: &'a mut DemoPolicy,
    sampler: Generator,
    row: Vec<f32>,
    starts: bool,
}

impl<'a> Actor<'a> {
    fn new(env_id: &str, kwargs: &Kwargs, policy: &'a mut DemoPolicy) -> Result<Actor<'a>> {
        let expert = match policy {
            DemoPolicy::Scripted => Some(ExpertEnv::make(env_id, kwargs)?),
            _ => None,
        };
        let env = make(env_id, kwargs)?;
        let row = vec![0.0; env.flat_space().flat_dim()?];
        Ok(Actor { env, expert, policy, sampler: Generator::from_seed(0), row, starts: true })
    }

    fn env(&mut self) -> &mut dyn Env {
        match &mut self.expert {
            Some(expert) => expert,
            None => self.env.as_mut(),
        }
    }

    /// Resets (the random policy's draws are seeded with the same seed, as
    /// `action_space.seed(seed)` in `scripted_experts.py`).
    fn reset(&mut self, seed: Option<u64>) -> Result<Value> {
        if let Some(seed) = seed {
            self.sampler = Generator::from_seed(seed);
        }
        self.starts = true;
        Ok(self.env().reset(seed, &Options::new())?.0)
    }

    fn act(&mut self, obs: &Value) -> Result<Value> {
        let action = match &mut *self.policy {
            DemoPolicy::Scripted => self.expert.as_mut().context("no expert env")?.expert_action()?,
            DemoPolicy::Random => self.env.action_space().sample(&mut self.sampler),
            DemoPolicy::Trained(algo) => {
                self.env.flat_space().flatten_into(&without_text(obs), &mut self.row)?;
                let mut actions = algo.act(&self.row, &[self.starts], true)?;
                actions.pop().context("the policy returned no action")?
            }
        };
        self.starts = false;
        Ok(action)
    }

    /// One episode (reset with `seed`, or continuing the env's RNG for None).
    fn episode(&mut self, seed: Option<u64>) -> Result<Episode> {
        let obs = self.reset(seed)?;
        let mut episode = Episode::new(0, seed, obs);
        while episode.len() < MAX_EPISODE_STEPS {
            let action = self.act(episode.observations.last().context("no observation")?)?;
            let step = self.env().step(&action)?;
            let done = step.terminated || step.truncated;
            episode.push_step(action, step.obs, step.reward, step.terminated, step.truncated);
            if done {
                return Ok(episode);
            }
        }
        bail!("an episode did not end within {MAX_EPISODE_STEPS} steps; set max_episode_steps in --kwargs")
    }
}

/// Drops the Text parts of a Dict observation (the flat row has none).
fn without_text(value: &Value) -> Value {
    match value {
        Value::Dict(items) => {
            Value::Dict(items.iter().filter(|(_, v)| !matches!(v, Value::Text(_))).cloned().collect())
        }
        other => other.clone(),
    }
}

/// Records `episodes` episodes of `env_id` (episode i reset with `seed + i`) into a new dataset
/// named `dataset_id`, moving `progress` by the steps taken.
pub fn record(
    env_id: &str,
    kwargs: &Kwargs,
    policy: &mut DemoPolicy,
    episodes: usize,
    seed: u64,
    dataset_id: &str,
    progress: Option<&Progress>,
) -> Result<Dataset> {
    crate::checks::seed_range("the first seed", seed, 0, episodes as u64)?;
    let mut dataset = Dataset::for_env(dataset_id, env_id)?;
    if !kwargs.is_empty() {
        if let Some(spec) = dataset.metadata.env_spec.as_mut() {
            spec["kwargs"] = serde_json::Value::Object(kwargs.clone());
        }
    }
    dataset.metadata.algorithm_name = Some(policy.name());
    let mut actor = Actor::new(env_id, kwargs, policy)?;
    for i in 0..episodes {
        let episode = actor.episode(Some(seed + i as u64))?;
        dataset.push(episode)?;
        if let Some(bar) = progress {
            bar.episode_done((i + 1) as u64, dataset.episodes.last().map_or(0.0, Episode::total_reward));
        }
    }
    Ok(dataset)
}

/// Minari's reference score of a policy: the mean return over `episodes` episodes, the first
/// reset with seed 123 and the later ones continuing the env's RNG (`get_average_reference_score`;
/// Minari's random policy seeds its action space with 123 too). Minari averages in float32.
pub fn reference_score(env_id: &str, kwargs: &Kwargs, policy: &mut DemoPolicy, episodes: usize) -> Result<f64> {
    let mut actor = Actor::new(env_id, kwargs, policy)?;
    let mut total = 0.0;
    for i in 0..episodes {
        let seed = (i == 0).then_some(REFERENCE_SEED);
        total += actor.episode(seed)?.total_reward();
    }
    Ok((total / episodes.max(1) as f64) as f32 as f64)
}

/// `(ref_min_score, ref_max_score)`: the random policy and `expert` (the scripted expert when
/// None), Minari's way over [`REFERENCE_EPISODES`] episodes.
pub fn reference_scores(env_id: &str, kwargs: &Kwargs, expert: Option<&mut DemoPolicy>) -> Result<(f64, f64)> {
    let min = reference_score(env_id, kwargs, &mut DemoPolicy::Random, REFERENCE_EPISODES)?;
    let max = match expert {
        Some(policy) => reference_score(env_id, kwargs, policy, REFERENCE_EPISODES)?,
        None => reference_score(env_id, kwargs, &mut DemoPolicy::Scripted, REFERENCE_EPISODES)?,
    };
    Ok((min, max))
}
