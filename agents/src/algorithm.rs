//! [`Algorithm`]: what the platform's runner needs from a learner.

use crate::error::Result;
use crate::shaping::RewardShaper;
use limbic_environments::vector::VecEnv;
use limbic_environments::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// What one update did: how many env steps it consumed and its diagnostics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Update {
    /// Env steps taken during this update (all sub-envs together).
    pub env_steps: u64,
    /// Named scalars for `metrics.jsonl`: e.g. `loss/policy`, `loss/value`, `entropy`,
    /// `approx_kl`, `clip_fraction`, `explained_variance`, `learning_rate`, `epsilon`.
    pub metrics: BTreeMap<String, f64>,
}

/// A learner that trains against a vector env, one update at a time.
///
/// The runner calls [`Algorithm::update`] until its step budget is spent, reads finished
/// episodes from the vector env itself, evaluates with [`Algorithm::act`] on a separate env and
/// checkpoints with [`Algorithm::save`]. Everything that defines the continuation of training
/// (weights, optimizer moments, normalizer statistics, RNG state, counters) is in the
/// checkpoint, so `load` then `update` continues exactly as the original run would have.
pub trait Algorithm {
    /// Short name, e.g. `ppo`.
    fn name(&self) -> &'static str;

    /// Collects experience from `envs` and learns from it once (one PPO iteration, or one
    /// round of env steps and gradient steps for off-policy learners). `envs` must already
    /// have been reset; the algorithm keeps stepping it from where it is.
    fn update(&mut self, envs: &mut VecEnv) -> Result<Update>;

    /// Actions for a batch of observations `[N, D]` (flat f32, as the vector env writes them).
    /// `episode_starts[i]` says row i begins a new episode (recurrent policies reset there).
    fn act(&mut self, obs: &[f32], episode_starts: &[bool], deterministic: bool) -> Result<Vec<Value>>;

    /// Writes the full training state into `dir` (atomically: temporary files, then renames).
    fn save(&self, dir: &Path) -> Result<()>;

    /// Restores the state written by [`Algorithm::save`]; a missing or corrupt file is an error
    /// that names it.
    fn load(&mut self, dir: &Path) -> Result<()>;
}

/// Everything needed to build an algorithm for an environment.
#[derive(Clone, Debug)]
pub struct AlgorithmSpec<'a> {
    /// `ppo`, `dqn`, `sac`, or an imitation learner (`bc`, `sqil`, `dagger`).
    pub algo: &'a str,
    /// The algorithm's hyperparameters as a JSON object; absent keys take their defaults,
    /// unknown keys are an error that names the valid ones.
    pub params: &'a serde_json::Value,
    pub observation_space: &'a limbic_environments::Space,
    pub action_space: &'a limbic_environments::Space,
    /// Number of sub-envs of the vector env `update` will be given.
    pub num_envs: usize,
    /// The run's budget in env steps (all sub-envs together): schedules that anneal over
    /// training (learning rate, clip range, exploration) span it.
    pub total_steps: u64,
    pub seed: u64,
}

/// The names [`build`] accepts.
pub const ALGORITHMS: [&str; 3] = ["ppo", "dqn", "sac"];

/// Imitation learners [`build`] makes without their demonstrations, to load a checkpoint and
/// act (`limbic eval`); training builds them with demonstrations (`crate::imitation`).
pub const IMITATION_ALGORITHMS: [&str; 2] = ["bc", "sqil"];

/// Builds the algorithm `spec.algo` names.
pub fn build(spec: &AlgorithmSpec) -> Result<Box<dyn Algorithm>> {
    build_with(spec, None)
}

/// Builds the algorithm `spec.algo` names, with its rewards shaped by `shaper` (intrinsic
/// rewards; see [`crate::shaping`]); `None` is [`build`].
pub fn build_with(spec: &AlgorithmSpec, shaper: Option<Box<dyn RewardShaper>>) -> Result<Box<dyn Algorithm>> {
    match spec.algo {
        "ppo" => Ok(Box::new(crate::ppo::Ppo::with_shaper(spec, shaper)?)),
        "dqn" => Ok(Box::new(crate::dqn::Dqn::with_shaper(spec, shaper)?)),
        "sac" => Ok(Box::new(crate::sac::Sac::with_shaper(spec, shaper)?)),
        "bc" => Ok(Box::new(crate::imitation::Bc::new(spec)?)),
        "sqil" => Ok(Box::new(crate::imitation::Sqil::without_demonstrations(spec)?)),
        other => Err(crate::AgentError::Config {
            field: "algo".into(),
            message: format!("unknown or not yet available algorithm `{other}`; known: {}", ALGORITHMS.join(", ")),
        }),
    }
}

/// The default hyperparameters of `algo`, as the JSON object `build` accepts.
pub fn default_params(algo: &str) -> Result<serde_json::Value> {
    let json = |value: serde_json::Result<serde_json::Value>| value.map_err(|e| crate::AgentError::Io(e.to_string()));
    match algo {
        "ppo" => json(serde_json::to_value(crate::ppo::PpoConfig::default())),
        "dqn" => json(serde_json::to_value(crate::dqn::DqnConfig::default())),
        "sac" => json(serde_json::to_value(crate::sac::SacConfig::default())),
        "bc" => json(serde_json::to_value(crate::imitation::BcConfig::default())),
        "dagger" => json(serde_json::to_value(crate::imitation::DaggerConfig::default())),
        "sqil" => json(serde_json::to_value(crate::dqn::DqnConfig::default())),
        _ => Err(crate::AgentError::Config { field: "algo".into(), message: format!("no defaults for `{algo}` yet") }),
    }
}
