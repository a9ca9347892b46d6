//! Latent disagreement (Plan2Explore, Sekar et al. 2020): an ensemble of one-step predictors
//! in a world model's latent space; the bonus of a transition is the variance of their
//! predictions, averaged over the predicted dimensions. Lifelong.
//!
//! The signal follows every sub-env through an RSSM world model ([`ModelReader`]). Each
//! ensemble member predicts, from the model state at `t` and the action `[h_t, z_t, a_t]`,
//! the posterior's probabilities of the next stochastic state `z_{t+1}` (DreamerV3 v1's
//! `disag_target: stoch`). Where the members agree the model has seen such transitions
//! before; where they disagree it has not (epistemic uncertainty, unlike the model's own
//! error, which noise keeps high). All members train on the same rows from different initial
//! weights, as in Plan2Explore. The bonus is scored in [`observe`](IntrinsicReward::observe);
//! the members train in [`update`](IntrinsicReward::update) on minibatches drawn from the
//! last `memory` rows (`train_ratio` rows seen per row observed).
//!
//! The model is the run's world-model agent's when it shares it (Dreamer), otherwise the
//! signal's own, trained on what it observes (`model`).

use crate::models::{
    at_least_one, bad_param, layer_widths, positive, to_json, upload, Archive, Head, Means, NetShape, PendingScores,
    Trainer,
};
use crate::scaling::Normalization;
use crate::signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
use burn::prelude::*;
use limbic_agents::core::checkpoint::RngState;
use limbic_agents::core::config::parse_config;
use limbic_agents::nets::download;
use limbic_agents::shaping::Transitions;
use limbic_agents::world_model::{ModelParams, ModelReader, SharedWorldModel};
use limbic_agents::Result;
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const NAME: &str = "latent_disagreement";

/// Latent disagreement's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LatentDisagreementParams {
    pub ensemble_size: usize,
    pub hidden: Vec<usize>,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub train_ratio: f64,
    pub memory: usize,
    pub model: ModelParams,
}

impl Default for LatentDisagreementParams {
    fn default() -> Self {
        LatentDisagreementParams {
            ensemble_size: 8,
            hidden: vec![256],
            learning_rate: 3e-4,
            batch_size: 256,
            train_ratio: 1.0,
            memory: 16_384,
            model: ModelParams::default(),
        }
    }
}

pub const ENTRY: SignalEntry = SignalEntry {
    name: NAME,
    summary: "Plan2Explore (Sekar et al. 2020): variance of an ensemble of one-step predictors in a world model's latent space",
    params: &[
        ("ensemble_size", "one-step predictors, at least 2 (Plan2Explore: 8)"),
        ("hidden", "hidden layer widths of each predictor (default [256])"),
        ("learning_rate", "Adam step size of the predictors (default 3e-4)"),
        ("batch_size", "rows per gradient step of the predictors (default 256)"),
        ("train_ratio", "rows the predictors train on per row observed (default 1)"),
        ("memory", "recent rows the predictors' minibatches are drawn from (default 16384)"),
        (
            "model",
            "the signal's own RSSM when no world-model agent shares one: {world_model, buffer_size, batch_size, seq_len, train_ratio, learning_starts}",
        ),
    ],
    defaults: || to_json(&LatentDisagreementParams::default()),
    weight: 0.1,
    normalization: Normalization::Rms,
    exploration: true,
    episodic_counts: false,
    caveats: "",
    build: &|params, context| Ok(Box::new(LatentDisagreement::new(params, context)?)),
};

/// The one-step predictors.
#[derive(Module, Debug)]
pub struct Ensemble {
    pub members: Vec<Head>,
}

impl Ensemble {
    /// Every member's predictions for `x`, stacked `[K, rows, out]`.
    fn forward(&self, x: Tensor<2>) -> Tensor<3> {
        Tensor::stack(self.members.iter().map(|m| m.forward(x.clone())).collect(), 0)
    }
}

/// Recent `(input, target)` rows the predictors learn from: a ring.
#[derive(Clone, Debug, Default, PartialEq)]
struct Rows {
    inputs: Vec<f32>,
    targets: Vec<f32>,
    /// Where the next row goes once the ring is full.
    next: usize,
    /// Gradient steps owed (fractional).
    owed: f64,
}

/// The latent-disagreement signal; see the [module docs](self).
pub struct LatentDisagreement {
    params: LatentDisagreementParams,
    reader: ModelReader,
    ensemble: Trainer<Ensemble>,
    rows: Rows,
    pending: PendingScores,
    rng: Generator,
    /// Widths of a predictor's input and output.
    widths: (usize, usize),
}

impl LatentDisagreement {
    pub fn new(params: &serde_json::Value, context: &SignalContext) -> Result<LatentDisagreement> {
        let p: LatentDisagreementParams = parse_config(NAME, params)?;
        if p.ensemble_size < 2 {
            return Err(bad_param(NAME, "ensemble_size", "must be at least 2 (a variance needs two)"));
        }
        layer_widths(NAME, "hidden", &p.hidden)?;
        positive(NAME, "learning_rate", p.learning_rate)?;
        positive(NAME, "train_ratio", p.train_ratio)?;
        at_least_one(NAME, "batch_size", p.batch_size)?;
        at_least_one(NAME, "memory", p.memory)?;
        let mut reader = ModelReader::new(
            &p.model,
            &context.observation_space,
            context.obs_dim,
            &context.action_space,
            context.num_envs,
            context.seed,
        )?;
        let mut rng = Generator::from_seed(context.seed.wrapping_add(1));
        let (ensemble, widths) = build_ensemble(&p, &mut reader, &mut rng)?;
        Ok(LatentDisagreement {
            params: p,
            reader,
            ensemble,
            rows: Rows::default(),
            pending: PendingScores::default(),
            rng,
            widths,
        })
    }

    /// Adds observed rows to the ring.
    fn remember(&mut self, inputs: &[f32], targets: &[f32]) {
        let (wi, wt) = self.widths;
        let capacity = self.params.memory;
        for (x, y) in inputs.chunks_exact(wi).zip(targets.chunks_exact(wt)) {
            if self.rows.inputs.len() < capacity * wi {
                self.rows.inputs.extend_from_slice(x);
                self.rows.targets.extend_from_slice(y);
            } else {
                let at = self.rows.next;
                self.rows.inputs[at * wi..(at + 1) * wi].copy_from_slice(x);
                self.rows.targets[at * wt..(at + 1) * wt].copy_from_slice(y);
                self.rows.next = (at + 1) % capacity;
            }
        }
        self.rows.owed += (inputs.len() / wi) as f64 * self.params.train_ratio / self.params.batch_size as f64;
    }
}

/// Predictors for the reader's model: `[h, z, a] -> q(z')` probabilities.
fn build_ensemble(
    p: &LatentDisagreementParams,
    reader: &mut ModelReader,
    rng: &mut Generator,
) -> Result<(Trainer<Ensemble>, (usize, usize))> {
    let dims = reader.model().dims();
    let (inputs, outputs) = (dims.features() + dims.action, dims.stoch_dim());
    let device = Device::flex().autodiff();
    let shape = NetShape { hidden: p.hidden.clone(), out: outputs };
    let members = (0..p.ensemble_size).map(|_| Head::new(inputs, &shape, rng, &device)).collect::<Result<_>>()?;
    Ok((Trainer::new(Ensemble { members }, p.learning_rate), (inputs, outputs)))
}

impl IntrinsicReward for LatentDisagreement {
    fn name(&self) -> &str {
        NAME
    }

    fn memory(&self) -> Memory {
        Memory::Lifelong
    }

    fn observe(&mut self, step: &Transitions) -> Result<()> {
        let seen = self.reader.observe(step, false)?;
        let mut scores = vec![0.0f32; step.slots()];
        if !seen.rows.is_empty() {
            let predictions =
                self.ensemble.inference().forward(upload(seen.inputs.clone(), self.widths.0, &Device::flex()));
            let centred = predictions.clone() - predictions.mean_dim(0);
            let variance = centred.square().mean_dim(0).mean_dim(2).reshape([seen.rows.len()]);
            // The inputs are finite even for a non-finite observation (the sampled latent is
            // one-hot whatever its probabilities): its posterior, the target, carries the NaN.
            let unread = seen.kl.iter().map(|kl| if kl.is_finite() { 0.0 } else { f32::NAN });
            seen.rows.iter().zip(download(variance)?).zip(unread).for_each(|((&i, v), nan)| scores[i] = v + nan);
            self.remember(&seen.inputs, &seen.next_posterior);
        }
        self.pending.push(&scores);
        Ok(())
    }

    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        self.pending.take_into(NAME, batch, out)
    }

    fn update(&mut self, _batch: &Transitions) -> Result<BTreeMap<String, f64>> {
        let mut metrics = self.reader.train()?;
        let (wi, wt) = self.widths;
        let held = self.rows.inputs.len() / wi;
        let steps = self.rows.owed.floor();
        self.rows.owed -= steps;
        let (k, b) = (self.params.ensemble_size, self.params.batch_size);
        let device = Device::flex().autodiff();
        let mut losses = Means::default();
        for _ in 0..steps as u64 {
            let picks: Vec<usize> = (0..b).map(|_| self.rng.interval(held as u64 - 1) as usize).collect();
            let inputs: Vec<f32> =
                picks.iter().flat_map(|&i| self.rows.inputs[i * wi..(i + 1) * wi].iter().copied()).collect();
            let wanted: Vec<f32> =
                picks.iter().flat_map(|&i| self.rows.targets[i * wt..(i + 1) * wt].iter().copied()).collect();
            let predicted = self.ensemble.model.forward(upload(inputs, wi, &device));
            let wanted = upload(wanted, wt, &device).reshape([1, b, wt]);
            // Sum over members of each member's mean squared error.
            let loss = (predicted - wanted).square().mean().mul_scalar(k as f64);
            losses.add("loss", self.ensemble.step(loss, "latent_disagreement ensemble loss")?);
        }
        metrics.extend(losses.into_map());
        Ok(metrics)
    }

    fn share_world_model(&mut self, model: &SharedWorldModel) -> Result<bool> {
        if !self.reader.share(model) {
            return Ok(false);
        }
        // The predictors now read the shared model's states.
        let (ensemble, widths) = build_ensemble(&self.params, &mut self.reader, &mut self.rng)?;
        (self.ensemble, self.widths, self.rows) = (ensemble, widths, Rows::default());
        Ok(true)
    }

    fn save(&self) -> Result<Vec<u8>> {
        let mut archive = Archive::new(NAME);
        self.reader.save(&mut archive)?;
        self.ensemble.save("ensemble", &mut archive)?;
        archive.put_f32s("rows.inputs", &self.rows.inputs);
        archive.put_f32s("rows.targets", &self.rows.targets);
        archive.put_json("rows.position", &(self.rows.next, self.rows.owed))?;
        archive.put_json("pending", &self.pending)?;
        archive.put_json("rng", &RngState::of(&self.rng))?;
        archive.encode()
    }

    fn load(&mut self, bytes: &[u8]) -> Result<()> {
        let archive = Archive::decode(NAME, bytes)?;
        let (next, owed) = archive.json("rows.position")?;
        let rows = Rows { inputs: archive.f32s("rows.inputs")?, targets: archive.f32s("rows.targets")?, next, owed };
        let pending = archive.json("pending")?;
        let rng = archive.json::<RngState>("rng")?.restore(std::path::Path::new(NAME))?;
        let (wi, wt) = self.widths;
        if !rows.inputs.len().is_multiple_of(wi) || rows.targets.len() / wt != rows.inputs.len() / wi {
            return Err(archive.error("rows do not fit the predictors".into()));
        }
        let mut ensemble = self.ensemble.clone();
        ensemble.load("ensemble", &archive)?;
        self.reader.load(&archive)?;
        (self.ensemble, self.rows, self.pending, self.rng) = (ensemble, rows, pending, rng);
        Ok(())
    }
}
