//! The recurrent state-space model: a deterministic path `h` (a GRU) and a stochastic latent
//! `z` of categorical variables.
//!
//! - sequence model: `h_t = GRU(h_{t-1}, dense([z_{t-1}, a_{t-1}]))`;
//! - prior (dynamics predictor): `p(z_t | h_t)`;
//! - posterior (representation): `q(z_t | h_t, e_t)`, `e_t` the observation's embedding.
//!
//! The model state of a step is `[h_t, z_t]` (`z_t` a one-hot sample per latent, flattened):
//! every head reads it. Where an episode starts the previous state and action are zero, and the
//! first step still goes through the GRU (DreamerV3's `initial` state is zeros here): acting,
//! training on replayed chunks and dreaming all treat a start the same way.

use crate::error::Result;
use crate::nets::download;
use crate::nets::memory::{Memory, MemoryConfig};
use crate::world_model::math::Latents;
use crate::world_model::nets::{Dense, MlpHead};
use burn::prelude::*;
use limbic_environments::rng::Generator;

/// The sizes that fix the state's layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatentDims {
    /// GRU units.
    pub deter: usize,
    /// Categorical latents.
    pub stoch: usize,
    /// Classes per latent.
    pub classes: usize,
    /// Width of an encoded action (one-hot, or a vector in [-1, 1]).
    pub action: usize,
}

impl LatentDims {
    /// Width of a flattened stochastic state.
    pub fn stoch_dim(self) -> usize {
        self.stoch * self.classes
    }

    /// Width of the model state `[h, z]` the heads read.
    pub fn features(self) -> usize {
        self.deter + self.stoch_dim()
    }
}

/// The RSSM's networks; see the [module docs](self).
#[derive(Module, Debug)]
pub struct Rssm {
    /// `[z, a] -> units`: the GRU's input.
    pub img_in: Dense,
    pub gru: Memory,
    /// `h -> logits of p(z | h)`.
    pub prior: MlpHead,
    /// `[h, e] -> logits of q(z | h, e)`.
    pub posterior: MlpHead,
    #[module(skip)]
    pub dims: LatentDims,
    #[module(skip)]
    pub unimix: f64,
}

impl Rssm {
    pub fn new(
        dims: LatentDims,
        units: usize,
        embed: usize,
        unimix: f64,
        rng: &mut Generator,
        device: &Device,
    ) -> Result<Rssm> {
        let img_in = Dense::new(dims.stoch_dim() + dims.action, units, rng, device);
        let mut gru = Memory::new(&MemoryConfig::Gru { size: dims.deter }, units, rng, device)?;
        if let Memory::Gru(cell) = &mut gru {
            // Bias the update gate towards keeping the state (DreamerV3's `update - 1`; in
            // PyTorch's equations the gate z keeps h, so its bias is +1).
            let d = dims.deter;
            let bias: Vec<f32> = (0..3 * d).map(|j| if (d..2 * d).contains(&j) { 1.0 } else { 0.0 }).collect();
            cell.input.bias =
                Some(burn::module::Param::from_tensor(Tensor::from_data(TensorData::new(bias, [3 * d]), device)));
        }
        let logits = dims.stoch_dim();
        Ok(Rssm {
            img_in,
            gru,
            prior: MlpHead::new(dims.deter, units, 1, logits, false, rng, device),
            posterior: MlpHead::new(dims.deter + embed, units, 1, logits, false, rng, device),
            dims,
            unimix,
        })
    }

    /// `h_t` from `h_{t-1}` `[B, deter]`, `z_{t-1}` `[B, stoch_dim]` and `a_{t-1}` `[B, action]`.
    pub fn deter_step(&self, deter: Tensor<2>, stoch: Tensor<2>, action: Tensor<2>) -> Tensor<2> {
        let x = self.img_in.forward(Tensor::cat(vec![stoch, action], 1));
        self.gru.step(self.gru.project(x), deter).state
    }

    /// The prior `p(z | h)` of any number of rows.
    pub fn prior(&self, deter: Tensor<2>) -> Latents {
        self.latents(self.prior.forward(deter))
    }

    /// The posterior's logits `q(z | h, e)`.
    pub fn posterior_logits(&self, deter: Tensor<2>, embed: Tensor<2>) -> Tensor<2> {
        self.posterior.forward(Tensor::cat(vec![deter, embed], 1))
    }

    /// Latents from logits, with the model's uniform mix.
    pub fn latents(&self, logits: Tensor<2>) -> Latents {
        Latents::from_logits(logits, self.dims.stoch, self.dims.classes, self.unimix)
    }

    /// Filters a time-major sequence: `embed` and `actions` hold `L` steps of `B` rows (row
    /// `t * B + b`), `firsts` marks the rows that begin an episode (their previous state and
    /// action are zeroed), starting from `initial` (zeros when `None`). `z` is sampled with
    /// `rng` (its mode when `None`), straight-through on the autodiff device.
    pub fn observe(
        &self,
        embed: Tensor<2>,
        actions: Tensor<2>,
        firsts: &[bool],
        batch: usize,
        initial: Option<(Tensor<2>, Tensor<2>)>,
        mut rng: Option<&mut Generator>,
    ) -> Result<Observed> {
        let device = embed.device();
        let steps = firsts.len() / batch.max(1);
        let (mut deter, mut stoch) = initial.unwrap_or_else(|| {
            (Tensor::zeros([batch, self.dims.deter], &device), Tensor::zeros([batch, self.dims.stoch_dim()], &device))
        });
        let (mut deters, mut stochs, mut logits) = (Vec::new(), Vec::new(), Vec::new());
        for t in 0..steps {
            let starts = &firsts[t * batch..(t + 1) * batch];
            if starts.iter().any(|&s| s) {
                let keep: Vec<f32> = starts.iter().map(|&s| (!s) as u8 as f32).collect();
                let keep = Tensor::<2>::from_data(TensorData::new(keep, [batch, 1]), &device);
                (deter, stoch) = (deter * keep.clone(), stoch * keep);
            }
            deter = self.deter_step(deter, stoch, actions.clone().narrow(0, t * batch, batch));
            let post = self.posterior_logits(deter.clone(), embed.clone().narrow(0, t * batch, batch));
            stoch = self.latents(post.clone()).sample(rng.as_deref_mut())?;
            deters.push(deter.clone());
            stochs.push(stoch.clone());
            logits.push(post);
        }
        Ok(Observed {
            deter: Tensor::cat(deters, 0),
            stoch: Tensor::cat(stochs, 0),
            post_logits: Tensor::cat(logits, 0),
            last: (deter, stoch),
        })
    }

    /// One imagined step from `[h, z]` and an action: the next `h` and the prior's sample (its
    /// mode when `rng` is `None`).
    pub fn imagine_step(
        &self,
        deter: Tensor<2>,
        stoch: Tensor<2>,
        action: Tensor<2>,
        rng: Option<&mut Generator>,
    ) -> Result<(Tensor<2>, Tensor<2>)> {
        let deter = self.deter_step(deter, stoch, action);
        let stoch = self.prior(deter.clone()).sample(rng)?;
        Ok((deter, stoch))
    }
}

/// A filtered sequence, time-major (row `t * B + b`).
#[derive(Clone, Debug)]
pub struct Observed {
    /// `[L * B, deter]`
    pub deter: Tensor<2>,
    /// `[L * B, stoch_dim]` the posterior's samples.
    pub stoch: Tensor<2>,
    /// `[L * B, stoch_dim]`
    pub post_logits: Tensor<2>,
    /// The state after the last step, `[B, deter]` and `[B, stoch_dim]`.
    pub last: (Tensor<2>, Tensor<2>),
}

impl Observed {
    /// `[L * B, features]`: `[h, z]` of every step.
    pub fn features(&self) -> Tensor<2> {
        Tensor::cat(vec![self.deter.clone(), self.stoch.clone()], 1)
    }
}

/// Host rows `[N, features]` of a state: `[h, z]` side by side.
pub fn feature_rows(deter: Tensor<2>, stoch: Tensor<2>) -> Result<Vec<f32>> {
    download(Tensor::cat(vec![deter, stoch], 1))
}
