//! Disagreement (Pathak, Gandhi & Gupta 2019, "Self-Supervised Exploration via Disagreement"):
//! an ensemble of `K` forward models `(phi(s), a) -> phi(s')`, each trained on its own bootstrap
//! sample of the batch; the bonus is the variance of their predictions across the ensemble,
//! averaged over feature dimensions. Lifelong.
//!
//! `phi` is a fixed random encoder: random features, the default of the authors' code
//! (`--feat_learning none`, inherited from Burda et al. 2018's large-scale curiosity code); its
//! features are computed once per batch. Each
//! gradient step draws, for every model, `batch_size` transitions with replacement.

use crate::models::{
    at_least_one, check_batch, check_bonuses, clear_output, encoder_kind, layer_widths, obs_then_next_obs, positive,
    to_json, upload, valid_slots, ActionCoding, Archive, Embedding, Head, Means, NetShape, Trainer, SCORE_CHUNK,
};
use crate::scaling::Normalization;
use crate::signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
use burn::prelude::*;
use limbic_agents::core::checkpoint::RngState;
use limbic_agents::core::config::parse_config;
use limbic_agents::nets::download;
use limbic_agents::shaping::Transitions;
use limbic_agents::Result;
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const NAME: &str = "disagreement";

/// Disagreement's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisagreementParams {
    pub hidden: Vec<usize>,
    pub latent_dim: usize,
    pub head_hidden: Vec<usize>,
    pub ensemble_size: usize,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub epochs: usize,
}

impl Default for DisagreementParams {
    fn default() -> Self {
        DisagreementParams {
            hidden: vec![256],
            latent_dim: 128,
            head_hidden: vec![256],
            ensemble_size: 5,
            learning_rate: 1e-3,
            batch_size: 256,
            epochs: 1,
        }
    }
}

pub const ENTRY: SignalEntry = SignalEntry {
    name: NAME,
    summary: "Disagreement (Pathak et al. 2019): variance of an ensemble of forward models in a random feature space",
    params: &[
        ("hidden", "hidden layer widths of the fixed random encoder phi after the observation encoder (default [256])"),
        ("latent_dim", "width of the random features (default 128)"),
        ("head_hidden", "hidden layer widths of each forward model (default [256])"),
        ("ensemble_size", "forward models in the ensemble, at least 2 (default 5)"),
        ("learning_rate", "Adam step size (default 1e-3)"),
        ("batch_size", "transitions each model sees per gradient step, drawn with replacement (default 256)"),
        ("epochs", "passes over each batch per update, in batch_size steps (default 1)"),
    ],
    defaults: || to_json(&DisagreementParams::default()),
    weight: 0.1,
    normalization: Normalization::Rms,
    exploration: true,
    episodic_counts: true,
    caveats: "summed into the env's stream at weight 0.01 it did not take off on MiniGrid DoorKey-8x8 within 400k frames (BENCHMARKS.md); not measured with its episodic count factor (default) in its own stream, nor with `\"normalization\": \"minmax\"`, which its learned error may need as `icm` and `rnd` did (their default now); the costliest signal per env step",
    build: &|params, context| Ok(Box::new(Disagreement::new(params, context)?)),
};

/// The forward models.
#[derive(Module, Debug)]
pub struct Ensemble {
    pub models: Vec<Head>,
}

impl Ensemble {
    /// Each model's predictions for its own `rows`-row block of `x`, stacked `[K, rows, L]`.
    fn forward_blocks(&self, x: Tensor<2>, rows: usize) -> Tensor<3> {
        let outs = self.models.iter().enumerate().map(|(k, m)| m.forward(x.clone().narrow(0, k * rows, rows)));
        Tensor::stack(outs.collect(), 0)
    }

    /// Every model's predictions for the same `x`, stacked `[K, rows, L]`.
    fn forward_all(&self, x: Tensor<2>) -> Tensor<3> {
        Tensor::stack(self.models.iter().map(|m| m.forward(x.clone())).collect(), 0)
    }
}

/// The Disagreement signal; see the [module docs](self).
pub struct Disagreement {
    params: DisagreementParams,
    obs_dim: usize,
    actions: ActionCoding,
    phi: Embedding,
    ensemble: Trainer<Ensemble>,
    rng: Generator,
}

impl Disagreement {
    pub fn new(params: &serde_json::Value, context: &SignalContext) -> Result<Disagreement> {
        let p: DisagreementParams = parse_config(NAME, params)?;
        layer_widths(NAME, "hidden", &p.hidden)?;
        layer_widths(NAME, "head_hidden", &p.head_hidden)?;
        at_least_one(NAME, "latent_dim", p.latent_dim)?;
        if p.ensemble_size < 2 {
            return Err(crate::models::bad_param(NAME, "ensemble_size", "must be at least 2 (a variance needs two)"));
        }
        positive(NAME, "learning_rate", p.learning_rate)?;
        at_least_one(NAME, "batch_size", p.batch_size)?;
        at_least_one(NAME, "epochs", p.epochs)?;
        let actions = ActionCoding::for_space(NAME, &context.action_space)?;
        let kind = encoder_kind(NAME, context)?;
        let mut rng = Generator::from_seed(context.seed);
        let phi =
            Embedding::new(kind, &NetShape { hidden: p.hidden.clone(), out: p.latent_dim }, &mut rng, &Device::flex())?;
        let shape = NetShape { hidden: p.head_hidden.clone(), out: p.latent_dim };
        let device = Device::flex().autodiff();
        let models = (0..p.ensemble_size).map(|_| Head::new(p.latent_dim + actions.width(), &shape, &mut rng, &device));
        let ensemble = Trainer::new(Ensemble { models: models.collect::<Result<_>>()? }, p.learning_rate);
        Ok(Disagreement { obs_dim: context.obs_dim, actions, phi, ensemble, rng, params: p })
    }

    /// `[phi(s) | a]` rows of `slots` and, with `next`, `phi(s')` rows.
    fn inputs(&self, batch: &Transitions, slots: &[usize], next: bool) -> Result<(Vec<f32>, Vec<f32>)> {
        let (d, a, l) = (self.obs_dim, self.actions.width(), self.params.latent_dim);
        let rows = match next {
            true => obs_then_next_obs(batch, slots),
            false => slots.iter().flat_map(|&s| batch.obs_row(s).iter().copied()).collect(),
        };
        let phi = download(self.phi.forward(upload(rows, d, &Device::flex())))?;
        let (phi_s, phi_next) = phi.split_at(slots.len() * l);
        let mut x = vec![0.0f32; slots.len() * (l + a)];
        for ((row, &s), f) in x.chunks_exact_mut(l + a).zip(slots).zip(phi_s.chunks_exact(l)) {
            row[..l].copy_from_slice(f);
            self.actions.encode(batch.action_row(s), &mut row[l..])?;
        }
        Ok((x, phi_next.to_vec()))
    }
}

impl IntrinsicReward for Disagreement {
    fn name(&self) -> &str {
        NAME
    }

    fn memory(&self) -> Memory {
        Memory::Lifelong
    }

    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        check_batch(NAME, batch, self.obs_dim, Some(self.actions))?;
        clear_output(NAME, batch, out)?;
        let width = self.params.latent_dim + self.actions.width();
        for chunk in valid_slots(batch).chunks(SCORE_CHUNK) {
            let (x, _) = self.inputs(batch, chunk, false)?;
            let predictions = self.ensemble.inference().forward_all(upload(x, width, &Device::flex()));
            let centred = predictions.clone() - predictions.mean_dim(0);
            let variance = centred.square().mean_dim(0).mean_dim(2).reshape([chunk.len()]);
            chunk.iter().zip(download(variance)?).for_each(|(&s, v)| out[s] = v);
        }
        check_bonuses(NAME, out)
    }

    fn update(&mut self, batch: &Transitions) -> Result<BTreeMap<String, f64>> {
        check_batch(NAME, batch, self.obs_dim, Some(self.actions))?;
        let slots = valid_slots(batch);
        if slots.is_empty() {
            return Ok(BTreeMap::new());
        }
        let (l, width) = (self.params.latent_dim, self.params.latent_dim + self.actions.width());
        let (x, targets) = self.inputs(batch, &slots, true)?;
        let (k, b) = (self.params.ensemble_size, self.params.batch_size);
        let steps = self.params.epochs * slots.len().div_ceil(b);
        let device = Device::flex().autodiff();
        let mut losses = Means::default();
        for _ in 0..steps {
            // Every model draws its own bootstrap sample: rows [k * b, (k + 1) * b).
            let picks: Vec<usize> = (0..k * b).map(|_| self.rng.interval(slots.len() as u64 - 1) as usize).collect();
            let mut inputs = Vec::with_capacity(k * b * width);
            let mut wanted = Vec::with_capacity(k * b * l);
            for &i in &picks {
                inputs.extend_from_slice(&x[i * width..(i + 1) * width]);
                wanted.extend_from_slice(&targets[i * l..(i + 1) * l]);
            }
            let predicted = self.ensemble.model.forward_blocks(upload(inputs, width, &device), b);
            let wanted = upload(wanted, l, &device).reshape([k, b, l]);
            // Sum over models of each model's mean squared error.
            let loss = (predicted - wanted).square().mean().mul_scalar(k as f64);
            losses.add("loss", self.ensemble.step(loss, "disagreement ensemble loss")?);
        }
        Ok(losses.into_map())
    }

    fn save(&self) -> Result<Vec<u8>> {
        let mut archive = Archive::new(NAME);
        archive.put_module("phi", &self.phi)?;
        self.ensemble.save("ensemble", &mut archive)?;
        archive.put_json("rng", &RngState::of(&self.rng))?;
        archive.encode()
    }

    fn load(&mut self, bytes: &[u8]) -> Result<()> {
        let archive = Archive::decode(NAME, bytes)?;
        let rng = archive.json::<RngState>("rng")?.restore(std::path::Path::new(NAME))?;
        let phi = archive.module("phi", self.phi.clone())?;
        self.ensemble.load("ensemble", &archive)?;
        (self.phi, self.rng) = (phi, rng);
        Ok(())
    }
}
