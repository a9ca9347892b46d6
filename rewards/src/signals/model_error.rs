//! Model error: a world model's surprise at each transition as the bonus (the seed paper's
//! cost of predicting the world). Lifelong.
//!
//! The signal follows every sub-env through an RSSM world model ([`ModelReader`]). For a
//! transition `o_t -a_t-> o_{t+1}` the model predicts `o_{t+1}`'s latent state from its state
//! at `t` and the action (the prior), then sees `o_{t+1}` (the posterior); the bonus is
//! - `kl` (default): `KL(posterior || prior)` in nats, what the observation told the model
//!   beyond its prediction (the dynamics loss of DreamerV3 before free bits), or
//! - `recon`: the reconstruction loss of `o_{t+1}` decoded from the prior's mode, the model's
//!   one-step open-loop prediction error in observation space.
//!
//! Scored in [`observe`](IntrinsicReward::observe) with the model of that moment. The model is
//! the run's own world-model agent's when it shares it (Dreamer), otherwise the signal's own,
//! trained on what it observes (`model`: its size and train ratio).

use crate::models::{to_json, Archive, PendingScores};
use crate::scaling::Normalization;
use crate::signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
use limbic_agents::core::config::parse_config;
use limbic_agents::shaping::Transitions;
use limbic_agents::world_model::{ModelParams, ModelReader, SharedWorldModel};
use limbic_agents::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const NAME: &str = "model_error";

/// What the bonus measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Kl,
    Recon,
}

/// Model error's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelErrorParams {
    pub measure: Measure,
    pub model: ModelParams,
}

impl Default for ModelErrorParams {
    fn default() -> Self {
        ModelErrorParams { measure: Measure::Kl, model: ModelParams::default() }
    }
}

pub const ENTRY: SignalEntry = SignalEntry {
    name: NAME,
    summary: "a world model's surprise: KL(posterior || prior) of the next latent state, or its one-step prediction error",
    params: &[
        ("measure", "\"kl\" (posterior vs prior, nats; default) or \"recon\" (decoding the prior's prediction of o')"),
        (
            "model",
            "the signal's own RSSM when no world-model agent shares one: {world_model, buffer_size, batch_size, seq_len, train_ratio, learning_starts}",
        ),
    ],
    defaults: || to_json(&ModelErrorParams::default()),
    weight: 0.1,
    normalization: Normalization::Rms,
    exploration: true,
    episodic_counts: false,
    caveats: "",
    build: &|params, context| Ok(Box::new(ModelError::new(params, context)?)),
};

/// The model-error signal; see the [module docs](self).
pub struct ModelError {
    measure: Measure,
    reader: ModelReader,
    pending: PendingScores,
}

impl ModelError {
    pub fn new(params: &serde_json::Value, context: &SignalContext) -> Result<ModelError> {
        let p: ModelErrorParams = parse_config(NAME, params)?;
        let reader = ModelReader::new(
            &p.model,
            &context.observation_space,
            context.obs_dim,
            &context.action_space,
            context.num_envs,
            context.seed,
        )?;
        Ok(ModelError { measure: p.measure, reader, pending: PendingScores::default() })
    }
}

impl IntrinsicReward for ModelError {
    fn name(&self) -> &str {
        NAME
    }

    fn memory(&self) -> Memory {
        Memory::Lifelong
    }

    fn observe(&mut self, step: &Transitions) -> Result<()> {
        let seen = self.reader.observe(step, self.measure == Measure::Recon)?;
        let mut scores = vec![0.0f32; step.slots()];
        let values = if self.measure == Measure::Recon { &seen.recon } else { &seen.kl };
        seen.rows.iter().zip(values).for_each(|(&i, &v)| scores[i] = v);
        self.pending.push(&scores);
        Ok(())
    }

    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        self.pending.take_into(NAME, batch, out)
    }

    fn update(&mut self, _batch: &Transitions) -> Result<BTreeMap<String, f64>> {
        let metrics = self.reader.train()?;
        Ok(metrics.into_iter().map(|(k, v)| (if k == "world_model/loss" { "loss".into() } else { k }, v)).collect())
    }

    fn share_world_model(&mut self, model: &SharedWorldModel) -> Result<bool> {
        Ok(self.reader.share(model))
    }

    fn save(&self) -> Result<Vec<u8>> {
        let mut archive = Archive::new(NAME);
        self.reader.save(&mut archive)?;
        archive.put_json("pending", &self.pending)?;
        archive.encode()
    }

    fn load(&mut self, bytes: &[u8]) -> Result<()> {
        let archive = Archive::decode(NAME, bytes)?;
        let pending = archive.json("pending")?;
        self.reader.load(&archive)?;
        self.pending = pending;
        Ok(())
    }
}
