//! [`WorldModelLearner`]: a world model with its replay, optimizer and training schedule. The
//! Dreamer learner trains one and imagines from the states of each training chunk; the
//! model-based reward signals train one of their own when no agent shares its model.

use crate::core::archive::Archive;
use crate::core::checkpoint::RngState;
use crate::core::config::{at_least_one, positive};
use crate::core::optim::{check_finite, check_parameters};
use crate::error::Result;
use crate::nets::blocks::Trainer;
use crate::nets::download;
use crate::world_model::model::{ActionInput, WorldModel, WorldModelConfig};
use crate::world_model::replay::{SequenceBatch, SequenceReplay, TrainSchedule};
use crate::world_model::rssm::Observed;
use burn::prelude::*;
use limbic_environments::rng::Generator;
use limbic_environments::Space;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How the model is fed: the replay's size, the chunks it trains on, how often.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplaySettings {
    /// Steps the replay keeps (all sub-envs together).
    pub buffer_size: usize,
    /// Chunks per gradient step.
    pub batch_size: usize,
    /// Steps per chunk.
    pub seq_len: usize,
    /// Replayed steps per env step (DreamerV3's train ratio): a gradient step replays
    /// `batch_size * seq_len` steps, so it comes every `batch_size * seq_len / train_ratio`
    /// env steps.
    pub train_ratio: f64,
    /// Env steps before the first gradient step.
    pub learning_starts: u64,
}

impl ReplaySettings {
    pub fn validate(&self) -> Result<()> {
        for (field, value) in [
            ("buffer_size", self.buffer_size as u64),
            ("batch_size", self.batch_size as u64),
            ("seq_len", self.seq_len as u64),
        ] {
            at_least_one(field, value)?;
        }
        positive("train_ratio", self.train_ratio)
    }

    /// Steps one gradient step replays.
    pub fn replayed(&self) -> usize {
        self.batch_size * self.seq_len
    }
}

/// What one gradient step of the model gives back.
pub struct ModelStep {
    /// `world_model/<part>` means of this step.
    pub metrics: BTreeMap<String, f64>,
    /// The chunk's filtered states (on the model's autodiff device; detach before use).
    pub observed: Observed,
    /// The chunk that was trained on.
    pub batch: SequenceBatch,
}

/// A world model, its replay and optimizer; see the [module docs](self).
#[derive(Clone)]
pub struct WorldModelLearner {
    pub config: WorldModelConfig,
    pub replay_settings: ReplaySettings,
    pub actions: ActionInput,
    trainer: Trainer<WorldModel>,
    replay: SequenceReplay,
    schedule: TrainSchedule,
    /// Draws chunks and the latents' samples.
    rng: Generator,
    obs_dim: usize,
}

impl WorldModelLearner {
    /// A model for `observation_space` (rows of `obs_dim`) and `action_space`, fed by
    /// `num_envs` sub-envs, its weights and draws from `seed`.
    pub fn new(
        config: &WorldModelConfig,
        settings: &ReplaySettings,
        observation_space: &Space,
        action_space: &Space,
        num_envs: usize,
        seed: u64,
    ) -> Result<WorldModelLearner> {
        settings.validate()?;
        let actions = ActionInput::for_space(action_space)?;
        let mut rng = Generator::from_seed(seed);
        let device = Device::flex().autodiff();
        let model = WorldModel::new(config, observation_space, &actions, &mut rng, &device)?;
        let obs_dim = model.coding.obs_dim();
        let replay = SequenceReplay::new(settings.buffer_size, num_envs, settings.seq_len, obs_dim, actions.width())?;
        let trainer = Trainer::with_adam(
            model,
            config.learning_rate,
            crate::core::optim::TORCH_ADAM_EPSILON,
            Some(config.max_grad_norm),
        );
        Ok(WorldModelLearner {
            config: config.clone(),
            replay_settings: settings.clone(),
            actions,
            trainer,
            replay,
            schedule: TrainSchedule::default(),
            rng,
            obs_dim,
        })
    }

    /// Numbers per observation row the model reads.
    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    /// The model without autodiff (cached until the next step).
    pub fn model(&mut self) -> &WorldModel {
        self.trainer.inference()
    }

    /// The model on the autodiff device.
    pub fn trainable(&self) -> &WorldModel {
        &self.trainer.model
    }

    /// Gradient steps taken.
    pub fn steps(&self) -> u64 {
        self.trainer.steps()
    }

    /// Records sub-env `env`'s transition; `action` as the env took it (an index from 0, or
    /// the Box value).
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
    ) -> Result<()> {
        if !reward.is_finite() {
            let (update, quantity) = (self.steps(), format!("world_model reward of sub-env {env}"));
            return Err(crate::error::AgentError::NonFinite { update, quantity, value: reward as f64 });
        }
        let mut encoded = vec![0.0f32; self.actions.width()];
        self.actions.encode(action, &mut encoded)?;
        self.replay.add(env, obs, &encoded, reward, next_obs, terminated, truncated);
        Ok(())
    }

    /// Steps the replay holds.
    pub fn replay_len(&self) -> usize {
        self.replay.len()
    }

    /// Gradient steps due after `env_steps` more env steps (`total` so far).
    pub fn due(&mut self, env_steps: u64, total: u64) -> u64 {
        let s = &self.replay_settings;
        if self.replay.chunks(s.seq_len) == 0 {
            return 0;
        }
        self.schedule.due(env_steps, total, s.learning_starts, s.train_ratio, s.replayed())
    }

    /// One gradient step on a sampled chunk batch (`None` while the replay holds no chunk).
    /// A loss part that is NaN or infinite stops with its name and `update`.
    pub fn train_step(&mut self, update: u64) -> Result<Option<ModelStep>> {
        let s = &self.replay_settings;
        let Some(batch) = self.replay.sample(s.batch_size, s.seq_len, &mut self.rng) else {
            return Ok(None);
        };
        let loss = self.trainer.model.loss(&batch, &self.config, &mut self.rng)?;
        let (names, parts): (Vec<&str>, Vec<Tensor<1>>) =
            loss.parts.into_iter().map(|(name, value)| (name, value.detach().inner())).unzip();
        let values = download(Tensor::cat(parts, 0))?;
        let mut metrics = BTreeMap::new();
        for (name, value) in names.iter().zip(values) {
            let name = format!("world_model/{name}");
            metrics.insert(name.clone(), check_finite(value as f64, &name, update)?);
        }
        let total = self.trainer.step(loss.total, "world_model/loss").map_err(|e| with_update(e, update))?;
        metrics.insert("world_model/loss".into(), total);
        metrics.insert("world_model/grad_norm".into(), self.trainer.last_grad_norm());
        Ok(Some(ModelStep { metrics, observed: loss.observed, batch }))
    }

    /// Fails when a parameter became NaN or infinite.
    pub fn check_parameters(&self, update: u64) -> Result<()> {
        check_parameters(&self.trainer.model, update)
    }

    /// Weights, Adam's moments, the replay, the schedule and the generator into `archive`.
    pub fn save(&self, archive: &mut Archive) -> Result<()> {
        self.trainer.save("world_model", archive)?;
        self.replay.save("replay", archive)?;
        archive.put_json("world_model.schedule", &self.schedule)?;
        archive.put_json("world_model.rng", &RngState::of(&self.rng))
    }

    /// Restores what [`WorldModelLearner::save`] wrote; nothing changes on error.
    pub fn load(&mut self, archive: &Archive) -> Result<()> {
        let schedule: TrainSchedule = archive.json("world_model.schedule")?;
        let rng = archive.json::<RngState>("world_model.rng")?.restore(std::path::Path::new("world_model.rng"))?;
        let mut replay = self.replay.clone();
        replay.load("replay", archive)?;
        let mut trainer = self.trainer.clone();
        trainer.load("world_model", archive)?;
        (self.trainer, self.replay, self.schedule, self.rng) = (trainer, replay, schedule, rng);
        Ok(())
    }
}

/// `error` with the learner's update number where it names a non-finite quantity.
fn with_update(error: crate::error::AgentError, update: u64) -> crate::error::AgentError {
    match error {
        crate::error::AgentError::NonFinite { quantity, value, .. } => {
            crate::error::AgentError::NonFinite { update, quantity, value }
        }
        other => other,
    }
}
