//! [`Algorithm`]: what the platform's runner needs from a learner, and the registry of
//! algorithms ([`AlgorithmEntry`], [`Algorithms`]) in the shape of the reward registry.
//!
//! ```
//! use limbic_agents::core::algorithm::Algorithms;
//! let algorithms = Algorithms::builtins();
//! let ppo = algorithms.get("ppo").unwrap();
//! assert!(ppo.memory && (ppo.defaults)()["n_steps"] == 2048);
//! assert!(algorithms.get("ppp").err().unwrap().to_string().contains("did you mean ppo"));
//! ```

use crate::core::config::invalid;
use crate::error::Result;
use crate::policies::{Acting, PolicySpec};
use crate::shaping::RewardShaper;
use limbic_environments::vector::VecEnv;
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
/// episodes from the vector env itself, evaluates through acting sessions over
/// [`Algorithm::policy`] and checkpoints with [`Algorithm::save`]. Everything that defines the
/// continuation of training (weights, optimizer moments, normalizer statistics, RNG states,
/// the training collection's recurrent states, counters) is in the checkpoint, so `load` then
/// `update` continues exactly as the original run would have.
pub trait Algorithm {
    /// Short name, e.g. `ppo`.
    fn name(&self) -> &'static str;

    /// Collects experience from `envs` and learns from it once (one PPO iteration, or one
    /// round of env steps and gradient steps for off-policy learners). `envs` must already
    /// have been reset; the algorithm keeps stepping it from where it is.
    fn update(&mut self, envs: &mut VecEnv) -> Result<Update>;

    /// Refuses envs `update` could not learn from, before any work is done (a manager's `cell`
    /// goals need a gridworld's state, which the spec's spaces do not tell).
    fn check_envs(&self, _envs: &VecEnv) -> Result<()> {
        Ok(())
    }

    /// A frozen copy of the current policy (with its observation normalization), for acting
    /// sessions ([`crate::policies::Actor`]): evaluation, demo recording, viewers.
    fn policy(&self) -> Result<Box<dyn Acting>>;

    /// Writes the full training state into `dir` (atomically: temporary files, then renames).
    fn save(&self, dir: &Path) -> Result<()>;

    /// Restores the state written by [`Algorithm::save`]; a missing or corrupt file is an error
    /// that names it.
    fn load(&mut self, dir: &Path) -> Result<()>;

    /// The learner's world model, frozen (`valid()`), if it has one (`limbic dream` shows what
    /// it predicts).
    fn world_model(&self) -> Option<crate::world_model::WorldModel> {
        None
    }
}

/// Everything needed to build an algorithm for an environment.
#[derive(Clone, Debug)]
pub struct AlgorithmSpec<'a> {
    /// The registered name (`ppo`, `dqn`, ...).
    pub algo: &'a str,
    /// The algorithm's hyperparameters as a JSON object; absent keys take their defaults,
    /// unknown keys are an error that names the valid ones.
    pub params: &'a serde_json::Value,
    /// The policy's structure (working memory); learners that cannot use a part refuse it.
    pub policy: &'a PolicySpec,
    pub observation_space: &'a limbic_environments::Space,
    pub action_space: &'a limbic_environments::Space,
    /// Number of sub-envs of the vector env `update` will be given.
    pub num_envs: usize,
    /// The run's budget in env steps (all sub-envs together): schedules that anneal over
    /// training (learning rate, clip range, exploration) span it.
    pub total_steps: u64,
    pub seed: u64,
}

/// Builds an algorithm, with its rewards shaped by an optional reward shaper (intrinsic
/// rewards, [`crate::shaping`]).
pub type Build = fn(&AlgorithmSpec, Option<Box<dyn RewardShaper>>) -> Result<Box<dyn Algorithm>>;

/// A learner as the registry knows it.
#[derive(Clone, Copy)]
pub struct AlgorithmEntry {
    /// The name configs and `--algo NAME` use.
    pub name: &'static str,
    /// One line for `limbic algorithms`.
    pub summary: &'static str,
    /// Every parameter with its meaning, in the order `limbic algorithms` lists them.
    pub params: &'static [(&'static str, &'static str)],
    /// The default parameters as a JSON object (keys = `params`' names).
    pub defaults: fn() -> serde_json::Value,
    /// It learns from demonstrations, which `limbic imitate` gives it (`limbic train` refuses
    /// it); built without them it can only load a checkpoint and act.
    pub needs_demonstrations: bool,
    /// It can train a policy with working memory (`policy.memory`).
    pub memory: bool,
    pub build: Build,
}

/// Algorithms by name.
#[derive(Clone)]
pub struct Algorithms {
    entries: Vec<AlgorithmEntry>,
}

impl Algorithms {
    /// The learners of this crate.
    pub fn builtins() -> Self {
        Algorithms {
            entries: vec![
                crate::learners::ppo::ENTRY,
                crate::learners::dqn::ENTRY,
                crate::learners::sac::ENTRY,
                crate::learners::dreamer::ENTRY,
                crate::imitation::bc::ENTRY,
                crate::imitation::sqil::ENTRY,
                crate::hierarchy::option_critic::ENTRY,
                crate::hierarchy::manager_worker::ENTRY,
            ],
        }
    }

    /// Adds an algorithm; a name already registered is an error.
    pub fn register(&mut self, entry: AlgorithmEntry) -> Result<()> {
        if self.entries.iter().any(|e| e.name == entry.name) {
            return Err(invalid("algo", format!("an algorithm named `{}` is already registered", entry.name)));
        }
        self.entries.push(entry);
        Ok(())
    }

    /// The entry named `name`; an unknown name lists every registered one and the nearest.
    pub fn get(&self, name: &str) -> Result<&AlgorithmEntry> {
        self.entries.iter().find(|e| e.name == name).ok_or_else(|| {
            let names: Vec<String> = self.entries.iter().map(|e| e.name.to_string()).collect();
            let near = limbic_environments::registry::nearest(name, names.iter());
            let hint = if near.is_empty() { String::new() } else { format!(" (did you mean {}?)", near.join(", ")) };
            invalid("algo", format!("unknown algorithm `{name}`{hint}; registered: {}", names.join(", ")))
        })
    }

    /// Every entry, in registration order.
    pub fn entries(&self) -> &[AlgorithmEntry] {
        &self.entries
    }

    /// Builds `spec.algo`, refusing a memory it cannot train.
    pub fn build(&self, spec: &AlgorithmSpec, shaper: Option<Box<dyn RewardShaper>>) -> Result<Box<dyn Algorithm>> {
        let entry = self.get(spec.algo)?;
        spec.policy.memory.as_ref().map(|m| m.validate()).transpose()?;
        if !entry.memory {
            spec.policy.refuse_memory(entry.name)?;
        }
        (entry.build)(spec, shaper)
    }
}

/// Builds `spec.algo` from the built-in learners.
pub fn build(spec: &AlgorithmSpec) -> Result<Box<dyn Algorithm>> {
    Algorithms::builtins().build(spec, None)
}

/// Builds `spec.algo` from the built-in learners, its rewards shaped by `shaper`.
pub fn build_with(spec: &AlgorithmSpec, shaper: Option<Box<dyn RewardShaper>>) -> Result<Box<dyn Algorithm>> {
    Algorithms::builtins().build(spec, shaper)
}

/// Serializes a default config as the JSON object an entry's `defaults` returns.
pub fn defaults_json<T: serde::Serialize>(config: &T) -> serde_json::Value {
    serde_json::to_value(config).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_documents_exactly_its_defaults() {
        for entry in Algorithms::builtins().entries() {
            let defaults = (entry.defaults)();
            let mut keys: Vec<&str> = defaults.as_object().unwrap().keys().map(String::as_str).collect();
            let mut documented: Vec<&str> = entry.params.iter().map(|(name, _)| *name).collect();
            keys.sort();
            documented.sort();
            assert_eq!(keys, documented, "{}", entry.name);
        }
    }

    #[test]
    fn duplicates_are_refused_and_unknown_names_listed() {
        let mut algorithms = Algorithms::builtins();
        let error = algorithms.register(crate::learners::ppo::ENTRY).unwrap_err().to_string();
        assert!(error.contains("already registered"), "{error}");
        let error = algorithms.get("sack").err().unwrap().to_string();
        assert!(error.contains("did you mean sac") && error.contains("dqn"), "{error}");
    }
}
