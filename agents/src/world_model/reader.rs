//! [`ModelReader`]: how a reward signal reads a world model's surprise. It follows the run's
//! sub-envs through the model ([`LatentFilter`]) and takes its model from one of two places:
//! a model of its own, trained on the transitions it observes (at `train_ratio`, like Dreamer's),
//! or the run's [`SharedWorldModel`] when a world-model agent offers one (then it trains
//! nothing and its own model settings are unused).

use crate::core::archive::Archive;
use crate::error::{AgentError, Result};
use crate::shaping::Transitions;
use crate::world_model::filter::{FilterStep, LatentFilter, SharedWorldModel};
use crate::world_model::learner::{ReplaySettings, WorldModelLearner};
use crate::world_model::model::{ActionInput, WorldModel, WorldModelConfig};
use limbic_environments::Space;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A signal's own world model: its architecture and how it is fed (a config's `model` object).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelParams {
    pub world_model: WorldModelConfig,
    pub buffer_size: usize,
    pub batch_size: usize,
    pub seq_len: usize,
    pub train_ratio: f64,
    pub learning_starts: u64,
}

impl Default for ModelParams {
    /// Cheaper than Dreamer's: a signal's model needs to tell the familiar from the new, not
    /// to plan; 8 replayed steps per env step in chunks of 16 x 32.
    fn default() -> Self {
        ModelParams {
            world_model: WorldModelConfig::default(),
            buffer_size: 100_000,
            batch_size: 16,
            seq_len: 32,
            train_ratio: 8.0,
            learning_starts: 1024,
        }
    }
}

impl ModelParams {
    fn settings(&self) -> ReplaySettings {
        ReplaySettings {
            buffer_size: self.buffer_size,
            batch_size: self.batch_size,
            seq_len: self.seq_len,
            train_ratio: self.train_ratio,
            learning_starts: self.learning_starts,
        }
    }
}

enum Source {
    Own(Box<WorldModelLearner>),
    Shared(SharedWorldModel),
}

/// A signal's view of a world model; see the [module docs](self).
pub struct ModelReader {
    source: Source,
    actions: ActionInput,
    filter: LatentFilter,
    obs_dim: usize,
    /// Env steps observed (valid or not, as learners count them).
    env_steps: u64,
    /// Env steps observed since the last training.
    untrained: u64,
}

impl ModelReader {
    /// A reader with a model of its own for `observation_space` (rows of `obs_dim`).
    pub fn new(
        params: &ModelParams,
        observation_space: &Space,
        obs_dim: usize,
        action_space: &Space,
        num_envs: usize,
        seed: u64,
    ) -> Result<ModelReader> {
        let learner = WorldModelLearner::new(
            &params.world_model,
            &params.settings(),
            observation_space,
            action_space,
            num_envs,
            seed,
        )?;
        if learner.obs_dim() != obs_dim {
            return Err(AgentError::Unsupported(format!(
                "the world model reads rows of {} numbers, the signal receives {obs_dim}",
                learner.obs_dim()
            )));
        }
        let features = learner.trainable().dims().features();
        Ok(ModelReader {
            actions: learner.actions.clone(),
            source: Source::Own(Box::new(learner)),
            filter: LatentFilter::new(num_envs, features),
            obs_dim,
            env_steps: 0,
            untrained: 0,
        })
    }

    /// Reads `shared` from now on, if it reads the same rows and actions; returns whether it
    /// does. Call it before any step is observed.
    pub fn share(&mut self, shared: &SharedWorldModel) -> bool {
        let model = shared.get();
        let dims = model.dims();
        if model.coding.obs_dim() != self.obs_dim || dims.action != self.actions.width() {
            return false;
        }
        self.filter = LatentFilter::new(self.filter.rows(), dims.features());
        self.source = Source::Shared(shared.clone());
        true
    }

    pub fn is_shared(&self) -> bool {
        matches!(self.source, Source::Shared(_))
    }

    /// The model as it is now.
    pub fn model(&mut self) -> WorldModel {
        match &mut self.source {
            Source::Own(learner) => learner.model().clone(),
            Source::Shared(shared) => shared.get(),
        }
    }

    /// How the model sees actions.
    pub fn actions(&self) -> &ActionInput {
        &self.actions
    }

    /// Filters one vector step (`T = 1`) and, with a model of its own, records it for
    /// training; `recon` asks for the one-step reconstruction loss too.
    pub fn observe(&mut self, step: &Transitions, recon: bool) -> Result<FilterStep> {
        let model = self.model();
        let seen = self.filter.step(&model, &self.actions, step, recon)?;
        if let Source::Own(learner) = &mut self.source {
            for &i in &seen.rows {
                learner.add(
                    i,
                    step.obs_row(i),
                    step.action_row(i),
                    step.rewards[i],
                    step.next_obs_row(i),
                    step.terminated[i],
                    step.truncated[i],
                )?;
            }
        }
        self.env_steps += step.slots() as u64;
        self.untrained += step.slots() as u64;
        Ok(seen)
    }

    /// Trains a model of its own as far as its train ratio says for the steps observed since
    /// the last call; returns the means of the model's metrics (nothing for a shared model).
    pub fn train(&mut self) -> Result<BTreeMap<String, f64>> {
        let Source::Own(learner) = &mut self.source else { return Ok(BTreeMap::new()) };
        let due = learner.due(std::mem::take(&mut self.untrained), self.env_steps);
        let mut sums: BTreeMap<String, (f64, u32)> = BTreeMap::new();
        for _ in 0..due {
            if let Some(step) = learner.train_step(learner.steps())? {
                for (key, value) in step.metrics {
                    let entry = sums.entry(key).or_insert((0.0, 0));
                    (entry.0, entry.1) = (entry.0 + value, entry.1 + 1);
                }
            }
        }
        Ok(sums.into_iter().map(|(k, (sum, n))| (k, sum / n as f64)).collect())
    }

    /// The reader's state (its own model with replay and optimizer, the filter, counters).
    pub fn save(&self, archive: &mut Archive) -> Result<()> {
        if let Source::Own(learner) = &self.source {
            learner.save(archive)?;
        }
        archive.put_json("reader", &(self.is_shared(), self.env_steps, self.untrained))?;
        self.filter.save("filter", archive)
    }

    /// Restores what [`ModelReader::save`] wrote; a state saved with a shared model loads only
    /// into a reader that shares one too.
    pub fn load(&mut self, archive: &Archive) -> Result<()> {
        let (shared, env_steps, untrained): (bool, u64, u64) = archive.json("reader")?;
        if shared != self.is_shared() {
            let how = |s: bool| if s { "the run's shared world model" } else { "a world model of its own" };
            return Err(archive.error(format!(
                "saved reading {}, this run has {}",
                how(shared),
                how(self.is_shared())
            )));
        }
        let mut filter = self.filter.clone();
        filter.load("filter", archive)?;
        if let Source::Own(learner) = &mut self.source {
            learner.load(archive)?;
        }
        (self.filter, self.env_steps, self.untrained) = (filter, env_steps, untrained);
        Ok(())
    }
}
