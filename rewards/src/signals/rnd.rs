//! RND, Random Network Distillation (Burda et al. 2019): a fixed, randomly drawn target network
//! `f` and a predictor `f^` trained to match it; the bonus of a transition is the predictor's
//! squared error `||f^(s') - f(s')||^2` on the next observation, which falls as an observation
//! grows familiar. Lifelong.
//!
//! Where implementations differ, limbic follows the paper:
//! - the predictor trains on the same next observations it scores (RLeXplore scores
//!   `next_observations` but trains on `observations`);
//! - the bonus is the squared norm of the error, summed over features (CleanRL halves it,
//!   RLeXplore averages it over features; the reward set's normalization removes the scale);
//! - the predictor is deeper than the target (the paper's: three linear layers against one
//!   after the conv torso; here by default two hidden layers against one, see
//!   `predictor_hidden` and `target_hidden`);
//! - each observation joins the predictor's loss with probability `update_proportion`
//!   (CleanRL's 0.25, from the paper's code), the others are masked out.

use crate::models::{
    at_least_one, check_batch, check_bonuses, clear_output, encoder_kind, layer_widths, minibatches, positive,
    squared_distance, to_json, upload_next_obs, valid_slots, within, Archive, Embedding, Means, NetShape, Trainer,
    SCORE_CHUNK,
};
use crate::scaling::Normalization;
use crate::signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
use burn::prelude::*;
use limbic_agents::core::checkpoint::RngState;
use limbic_agents::core::config::parse_config;
use limbic_agents::nets::{download, EncoderKind};
use limbic_agents::shaping::Transitions;
use limbic_agents::Result;
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const NAME: &str = "rnd";

/// RND's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RndParams {
    /// Hidden widths of the target after the encoder.
    pub target_hidden: Vec<usize>,
    /// Hidden widths of the predictor after the encoder.
    pub predictor_hidden: Vec<usize>,
    /// Width of the target's random features.
    pub latent_dim: usize,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub epochs: usize,
    /// Probability that an observation joins the predictor's loss.
    pub update_proportion: f64,
}

impl Default for RndParams {
    fn default() -> Self {
        RndParams {
            target_hidden: vec![256],
            predictor_hidden: vec![256, 256],
            latent_dim: 128,
            learning_rate: 1e-3,
            batch_size: 256,
            epochs: 1,
            update_proportion: 0.25,
        }
    }
}

impl RndParams {
    /// Checks every value; `signal` prefixes the key in errors (NGU embeds these parameters).
    pub fn validate(&self, signal: &str) -> Result<()> {
        layer_widths(signal, "target_hidden", &self.target_hidden)?;
        layer_widths(signal, "predictor_hidden", &self.predictor_hidden)?;
        at_least_one(signal, "latent_dim", self.latent_dim)?;
        positive(signal, "learning_rate", self.learning_rate)?;
        at_least_one(signal, "batch_size", self.batch_size)?;
        at_least_one(signal, "epochs", self.epochs)?;
        within(signal, "update_proportion", self.update_proportion, 0.0, 1.0)?;
        positive(signal, "update_proportion", self.update_proportion)
    }
}

pub const ENTRY: SignalEntry = SignalEntry {
    name: NAME,
    summary:
        "Random Network Distillation (Burda et al. 2019): a predictor's error against a fixed random network on s'",
    params: &[
        ("target_hidden", "hidden layer widths of the fixed random target after the encoder (default [256])"),
        ("predictor_hidden", "hidden layer widths of the trained predictor after the encoder (default [256, 256])"),
        ("latent_dim", "width of the random features (default 128)"),
        ("learning_rate", "Adam step size of the predictor (default 1e-3)"),
        ("batch_size", "transitions per gradient step (default 256)"),
        ("epochs", "passes over each batch per update (default 1)"),
        ("update_proportion", "probability that an observation joins the predictor's loss, in (0, 1] (default 0.25)"),
    ],
    defaults: || to_json(&RndParams::default()),
    weight: 0.1,
    normalization: Normalization::Minmax,
    exploration: true,
    episodic_counts: true,
    caveats: "its raw error falls ~100-fold as the predictor learns, so its default normalization is per-batch `minmax` (under `rms`, which remembers the first errors, the bonus faded to ~2e-4 per step on MiniGrid DoorKey-8x8); with it PPO learns DoorKey-8x8 on 5 of 5 seeds within 2M frames (sampled evaluation 0.97), but the bonus never fades and the deterministic policy loops in a few layouts on 2 of 5 seeds (0.82, 0.87; BENCHMARKS.md). On MiniGrid `icm`, `counts` and `re3` pass with the deterministic policy too",
    build: &|params, context| Ok(Box::new(Rnd::new(params, context)?)),
};

/// The target and the predictor, shared with NGU's lifelong factor.
#[derive(Clone)]
pub struct RndModel {
    params: RndParams,
    target: Embedding,
    predictor: Trainer<Embedding>,
    device: Device,
    train_device: Device,
}

impl RndModel {
    pub fn new(params: RndParams, kind: EncoderKind, rng: &mut Generator) -> Result<RndModel> {
        let device = Device::flex();
        let shape = |hidden: &[usize]| NetShape { hidden: hidden.to_vec(), out: params.latent_dim };
        let target = Embedding::new(kind, &shape(&params.target_hidden), rng, &device)?;
        let train_device = device.clone().autodiff();
        let predictor = Embedding::new(kind, &shape(&params.predictor_hidden), rng, &train_device)?;
        let predictor = Trainer::new(predictor, params.learning_rate);
        Ok(RndModel { params, target, predictor, device, train_device })
    }

    /// `||f^(s') - f(s')||^2` of `slots`' next observations.
    pub fn errors(&mut self, batch: &Transitions, slots: &[usize]) -> Result<Vec<f32>> {
        let mut errors = Vec::with_capacity(slots.len());
        for chunk in slots.chunks(SCORE_CHUNK) {
            let next_obs = upload_next_obs(batch, chunk, &self.device);
            let target = self.target.forward(next_obs.clone());
            let predicted = self.predictor.inference().forward(next_obs);
            errors.extend(download(squared_distance(predicted, target))?);
        }
        Ok(errors)
    }

    /// Trains the predictor on `batch`'s valid next observations; returns the mean loss.
    pub fn train(&mut self, batch: &Transitions, rng: &mut Generator) -> Result<f64> {
        let (p, train_device) = (&self.params, self.train_device.clone());
        let mut losses = Means::default();
        for chunk in minibatches(&valid_slots(batch), p.epochs, p.batch_size, rng) {
            let mask: Vec<f32> = chunk.iter().map(|_| (rng.random() < p.update_proportion) as u8 as f32).collect();
            let kept = mask.iter().sum::<f32>().max(1.0);
            let mask = Tensor::<1>::from_data(TensorData::new(mask, [chunk.len()]), &train_device);
            let next_obs = upload_next_obs(batch, &chunk, &train_device);
            let target = self.target.forward(upload_next_obs(batch, &chunk, &self.device));
            let target = Tensor::from_data(target.into_data(), &train_device);
            let predicted = self.predictor.model.forward(next_obs);
            let per_row = (predicted - target).square().mean_dim(1).reshape([chunk.len()]);
            let loss = (per_row * mask).sum().div_scalar(kept);
            losses.add("loss", self.predictor.step(loss, "rnd predictor loss")?);
        }
        Ok(losses.mean("loss"))
    }

    pub fn save(&self, name: &str, archive: &mut Archive) -> Result<()> {
        archive.put_module(&format!("{name}.target"), &self.target)?;
        self.predictor.save(&format!("{name}.predictor"), archive)
    }

    /// Reads what [`RndModel::save`] wrote; nothing changes on error.
    pub fn load(&mut self, name: &str, archive: &Archive) -> Result<()> {
        let target = archive.module(&format!("{name}.target"), self.target.clone())?;
        self.predictor.load(&format!("{name}.predictor"), archive)?;
        self.target = target;
        Ok(())
    }
}

/// The RND signal; see the [module docs](self).
pub struct Rnd {
    obs_dim: usize,
    model: RndModel,
    rng: Generator,
}

impl Rnd {
    pub fn new(params: &serde_json::Value, context: &SignalContext) -> Result<Rnd> {
        let params: RndParams = parse_config(NAME, params)?;
        params.validate(NAME)?;
        let kind = encoder_kind(NAME, context)?;
        let mut rng = Generator::from_seed(context.seed);
        let model = RndModel::new(params, kind, &mut rng)?;
        Ok(Rnd { obs_dim: context.obs_dim, model, rng })
    }
}

impl IntrinsicReward for Rnd {
    fn name(&self) -> &str {
        NAME
    }

    fn memory(&self) -> Memory {
        Memory::Lifelong
    }

    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        check_batch(NAME, batch, self.obs_dim, None)?;
        clear_output(NAME, batch, out)?;
        let slots = valid_slots(batch);
        let errors = self.model.errors(batch, &slots)?;
        slots.iter().zip(errors).for_each(|(&s, e)| out[s] = e);
        check_bonuses(NAME, out)
    }

    fn update(&mut self, batch: &Transitions) -> Result<BTreeMap<String, f64>> {
        check_batch(NAME, batch, self.obs_dim, None)?;
        let loss = self.model.train(batch, &mut self.rng)?;
        Ok(BTreeMap::from([("loss".to_string(), loss)]))
    }

    fn save(&self) -> Result<Vec<u8>> {
        let mut archive = Archive::new(NAME);
        self.model.save("rnd", &mut archive)?;
        archive.put_json("rng", &RngState::of(&self.rng))?;
        archive.encode()
    }

    fn load(&mut self, bytes: &[u8]) -> Result<()> {
        let archive = Archive::decode(NAME, bytes)?;
        let rng = archive.json::<RngState>("rng")?.restore(std::path::Path::new(NAME))?;
        self.model.load("rnd", &archive)?;
        self.rng = rng;
        Ok(())
    }
}
