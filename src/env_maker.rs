//! [`EnvMaker`]: how a run makes one env (its id, kwargs and the wrappers its config lists),
//! the same for training, evaluation, GIFs and traces.

use crate::config::RunConfig;
use crate::run_skill::RunSkills;
use anyhow::Result;
use limbic_environments::vector::VecEnv;
use limbic_environments::wrappers::{wrap_with, WrapperSpec};
use limbic_environments::{make, registry, Env, Kwargs};

/// An env id, its kwargs and the wrappers applied over what `make` builds.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvMaker {
    pub id: String,
    pub kwargs: Kwargs,
    pub wrappers: Vec<WrapperSpec>,
}

impl EnvMaker {
    /// The env `id` with `kwargs`, unwrapped.
    pub fn new(id: &str, kwargs: &Kwargs) -> Self {
        EnvMaker { id: id.into(), kwargs: kwargs.clone(), wrappers: Vec::new() }
    }

    /// The env a run's config trains on (without `fixed_horizon`, which is for training only).
    pub fn of(config: &RunConfig) -> Self {
        EnvMaker { id: config.env.clone(), kwargs: config.env_kwargs.clone(), wrappers: config.env_wrappers.clone() }
    }

    pub fn make(&self) -> Result<Box<dyn Env>> {
        self.make_with(&RunSkills::default())
    }

    /// The env, with the trained runs its skill libraries name loaded by `runs`.
    pub fn make_with(&self, runs: &RunSkills) -> Result<Box<dyn Env>> {
        Ok(wrap_with(make(&self.id, &self.kwargs)?, &self.wrappers, runs)?)
    }

    /// `n` of them, stepped together (each batch in the id's batch scope; trained runs as
    /// skills loaded once for all).
    pub fn vec(&self, n: usize) -> Result<VecEnv> {
        let runs = RunSkills::default();
        let envs = VecEnv::from_fn(n, |_| {
            self.make_with(&runs).map_err(|e| limbic_environments::EnvError::Unsupported(format!("{e:#}")))
        })?;
        Ok(envs.with_batch_scope(registry::spec(&self.id)?.batch_scope))
    }
}
