//! Following sub-envs through a world model one vector step at a time, and sharing a model
//! between its learner and whoever reads it.
//!
//! [`LatentFilter`] keeps each sub-env's model state `[h_t, z_t]` (the posterior's mode, so
//! the same experience always gives the same states). For a step `o_t -a_t-> o_{t+1}` it
//! predicts `o_{t+1}`'s latents from `[h_t, z_t, a_t]` (the prior), then sees `o_{t+1}` (the
//! posterior): how far the two are apart is the model's surprise ([`FilterStep::kl`]), and
//! `[h_t, z_t, a_t] -> q(z_{t+1})` is what Plan2Explore's ensemble learns. Where an episode
//! begins, the state starts from zeros as in training.
//!
//! [`SharedWorldModel`]: the one model of a run. Its learner publishes the model after each
//! update; reward signals read it instead of training a second model.

use crate::core::archive::Archive;
use crate::core::config::invalid;
use crate::error::{AgentError, Result};
use crate::nets::download;
use crate::shaping::Transitions;
use crate::world_model::model::WorldModel;
use burn::prelude::*;
use std::sync::{Arc, Mutex};

/// What a [`LatentFilter`] saw in one vector step, for its valid rows (in row order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FilterStep {
    /// The valid rows (transitions), in order.
    pub rows: Vec<usize>,
    /// `[R, features + action]`: `[h_t, z_t, a_t]` of each valid row.
    pub inputs: Vec<f32>,
    /// `[R, stoch * classes]`: the posterior's probabilities at `t + 1`.
    pub next_posterior: Vec<f32>,
    /// `[R]`: `KL(q(z_{t+1} | h_{t+1}, o_{t+1}) || p(z_{t+1} | h_{t+1}))`, in nats.
    pub kl: Vec<f32>,
    /// `[R]`: the reconstruction loss of `o_{t+1}` decoded from the prior's mode (the model's
    /// one-step open-loop prediction), when asked for.
    pub recon: Vec<f32>,
}

/// Each sub-env's model state; see the [module docs](self).
#[derive(Clone, Debug, PartialEq)]
pub struct LatentFilter {
    /// `[N, features]`
    state: Vec<f32>,
    needs_first: Vec<bool>,
    features: usize,
}

impl LatentFilter {
    pub fn new(num_envs: usize, features: usize) -> Self {
        LatentFilter { state: vec![0.0; num_envs * features], needs_first: vec![true; num_envs], features }
    }

    /// Sub-envs followed.
    pub fn rows(&self) -> usize {
        self.needs_first.len()
    }

    /// Filters one vector step (`T = 1`) of `step` (whose actions are env actions: encoded
    /// with `model`'s action input), returning what the model made of each valid row.
    pub fn step(
        &mut self,
        model: &WorldModel,
        actions: &crate::world_model::model::ActionInput,
        step: &Transitions,
        recon: bool,
    ) -> Result<FilterStep> {
        let n = self.needs_first.len();
        if step.steps != 1 || step.envs != n || step.obs_dim != model.coding.obs_dim() {
            return Err(AgentError::Unsupported(format!(
                "the latent filter follows {n} sub-envs with rows of {} one step at a time; got {} x {} rows of {}",
                model.coding.obs_dim(),
                step.steps,
                step.envs,
                step.obs_dim
            )));
        }
        let rows: Vec<usize> = (0..n).filter(|&i| step.valid[i]).collect();
        if rows.is_empty() {
            return Ok(FilterStep::default());
        }
        let dims = model.dims();
        let (f, a, d) = (self.features, dims.action, step.obs_dim);
        let device = model.reward.out.weight.val().device();
        let upload = |values: Vec<f32>, width: usize| {
            let r = values.len() / width;
            Tensor::<2>::from_data(TensorData::new(values, [r, width]), &device)
        };
        // Rows that begin an episode: their state at t from the zero state and o_t.
        let starting: Vec<usize> = rows.iter().copied().filter(|&i| self.needs_first[i]).collect();
        if !starting.is_empty() {
            let obs: Vec<f32> = starting.iter().flat_map(|&i| step.obs_row(i).iter().copied()).collect();
            let k = starting.len();
            let zeros = |width| Tensor::<2>::zeros([k, width], &device);
            let (deter, stoch, _) =
                model.observe_step(zeros(dims.deter), zeros(dims.stoch_dim()), zeros(a), upload(obs, d), None)?;
            let fresh = download(Tensor::cat(vec![deter, stoch], 1))?;
            for (j, &i) in starting.iter().enumerate() {
                self.state[i * f..(i + 1) * f].copy_from_slice(&fresh[j * f..(j + 1) * f]);
            }
        }
        let mut inputs = Vec::with_capacity(rows.len() * (f + a));
        let mut encoded = vec![0.0f32; a];
        for &i in &rows {
            inputs.extend_from_slice(&self.state[i * f..(i + 1) * f]);
            actions.encode(step.action_row(i), &mut encoded)?;
            inputs.extend_from_slice(&encoded);
        }
        let x = upload(inputs.clone(), f + a);
        let next_obs: Vec<f32> = rows.iter().flat_map(|&i| step.next_obs_row(i).iter().copied()).collect();
        let deter = model.rssm.deter_step(
            x.clone().narrow(1, 0, dims.deter),
            x.clone().narrow(1, dims.deter, dims.stoch_dim()),
            x.narrow(1, f, a),
        );
        let prior = model.rssm.prior(deter.clone());
        let post = model
            .rssm
            .latents(model.rssm.posterior_logits(deter.clone(), model.encoder.forward(upload(next_obs.clone(), d))));
        let stoch = post.sample(None)?;
        let recon_loss = match recon {
            true => {
                let predicted = model.decoder.forward(Tensor::cat(vec![deter.clone(), prior.sample(None)?], 1));
                let targets = upload(model.coding.targets(&next_obs)?, model.coding.decoder_dim());
                download(model.coding.loss(predicted, targets))?
            }
            false => Vec::new(),
        };
        let kl = download(post.kl(&prior))?;
        let next_posterior = download(post.probs())?;
        let next = download(Tensor::cat(vec![deter, stoch], 1))?;
        for (j, &i) in rows.iter().enumerate() {
            self.state[i * f..(i + 1) * f].copy_from_slice(&next[j * f..(j + 1) * f]);
            self.needs_first[i] = step.done(i);
        }
        Ok(FilterStep { rows, inputs, next_posterior, kl, recon: recon_loss })
    }

    /// The states and episode flags into `archive` under `name`.
    pub fn save(&self, name: &str, archive: &mut Archive) -> Result<()> {
        archive.put_json(&format!("{name}.state"), &(&self.state, &self.needs_first))
    }

    /// Restores what [`LatentFilter::save`] wrote (same number of sub-envs and features).
    pub fn load(&mut self, name: &str, archive: &Archive) -> Result<()> {
        let (state, needs_first): (Vec<f32>, Vec<bool>) = archive.json(&format!("{name}.state"))?;
        if state.len() != self.state.len() || needs_first.len() != self.needs_first.len() {
            return Err(invalid(name, "saved for another number of sub-envs or another model size"));
        }
        (self.state, self.needs_first) = (state, needs_first);
        Ok(())
    }
}

/// The one world model of a run, published by its learner for readers (reward signals): a
/// frozen (`valid()`) copy replaced after each update.
#[derive(Clone)]
pub struct SharedWorldModel {
    model: Arc<Mutex<WorldModel>>,
}

impl std::fmt::Debug for SharedWorldModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedWorldModel")
    }
}

impl SharedWorldModel {
    /// Shares `model` (without autodiff).
    pub fn new(model: WorldModel) -> Self {
        SharedWorldModel { model: Arc::new(Mutex::new(model)) }
    }

    /// Publishes the learner's new weights.
    pub fn set(&self, model: WorldModel) {
        *self.model.lock().unwrap_or_else(|e| e.into_inner()) = model;
    }

    /// The current model (a cheap clone: the weights are shared).
    pub fn get(&self) -> WorldModel {
        self.model.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
