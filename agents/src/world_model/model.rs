//! [`WorldModel`]: encoder, RSSM, decoder, reward and continuation heads, and its loss.
//!
//! The loss of a replayed chunk (DreamerV3, eq. 5), averaged over its `B x L` steps:
//! `recon + reward + cont + dyn_scale * max(free, KL[sg(q) || p]) + rep_scale * max(free,
//! KL[q || sg(p)])`, the KL summed over the latents and clipped below at `free_nats` per step
//! (free bits: once the posterior says no more than `free_nats` beyond the prior, neither is
//! pushed further). `recon` is the observation coding's loss ([`ObsCoding`]), `reward` the
//! two-hot cross-entropy of `symlog(r_t)`, `cont` the Bernoulli loss of `1 - terminal_t`.

use crate::core::config::{at_least_one, invalid, positive, unit};
use crate::error::{AgentError, Result};
use crate::nets::download;
use crate::world_model::math::{Latents, TwoHot};
use crate::world_model::nets::{MlpHead, ObsCoding, ObsEncoder};
use crate::world_model::replay::SequenceBatch;
use crate::world_model::rssm::{LatentDims, Observed, Rssm};
use burn::prelude::*;
use burn::tensor::activation::log_sigmoid;
use limbic_environments::rng::Generator;
use limbic_environments::Space;
use serde::{Deserialize, Serialize};

/// The world model's architecture and optimizer (a config's `world_model` object).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorldModelConfig {
    /// GRU units of the deterministic path.
    pub deter: usize,
    /// Categorical latents of the stochastic state.
    pub stoch: usize,
    /// Classes per latent.
    pub classes: usize,
    /// Width of every hidden layer (encoder, decoder, heads, the RSSM's dense layers).
    pub units: usize,
    /// Hidden layers of the encoder, the decoder and the reward and continuation heads.
    pub layers: usize,
    /// Uniform mix of the latents' probabilities (DreamerV3: 0.01).
    pub unimix: f64,
    /// Free bits: the KL terms are clipped below at this many nats per step (1.0).
    pub free_nats: f64,
    /// Weight of the dynamics KL `KL[sg(q) || p]` (DreamerV3's paper: 0.5).
    pub dyn_scale: f64,
    /// Weight of the representation KL `KL[q || sg(p)]` (0.1).
    pub rep_scale: f64,
    /// Adam step size (DreamerV3 v1: 1e-4).
    pub learning_rate: f64,
    /// Global gradient-norm clip (DreamerV3 v1: 1000).
    pub max_grad_norm: f64,
}

impl Default for WorldModelConfig {
    /// A CPU-sized model (DreamerV3's `size1m`-like proportions): 256 GRU units, 16 latents
    /// of 16 classes, 128-unit layers.
    fn default() -> Self {
        WorldModelConfig {
            deter: 256,
            stoch: 16,
            classes: 16,
            units: 128,
            layers: 2,
            unimix: 0.01,
            free_nats: 1.0,
            dyn_scale: 0.5,
            rep_scale: 0.1,
            learning_rate: 1e-4,
            max_grad_norm: 1000.0,
        }
    }
}

impl WorldModelConfig {
    /// Refuses sizes and rates that cannot work, naming `world_model.<field>`.
    pub fn validate(&self) -> Result<()> {
        for (field, value) in
            [("deter", self.deter), ("stoch", self.stoch), ("units", self.units), ("layers", self.layers)]
        {
            at_least_one(&format!("world_model.{field}"), value as u64)?;
        }
        if self.classes < 2 {
            return Err(invalid("world_model.classes", "a categorical latent needs at least 2 classes"));
        }
        unit("world_model.unimix", self.unimix)?;
        for (field, value) in
            [("free_nats", self.free_nats), ("dyn_scale", self.dyn_scale), ("rep_scale", self.rep_scale)]
        {
            if !(value >= 0.0 && value.is_finite()) {
                return Err(invalid(&format!("world_model.{field}"), format!("{value} must be a finite number >= 0")));
            }
        }
        positive("world_model.learning_rate", self.learning_rate)?;
        positive("world_model.max_grad_norm", self.max_grad_norm)
    }
}

/// How actions enter the model: one-hot for `Discrete`, a `Box` scaled from its bounds to
/// `[-1, 1]` (raw where a bound is infinite).
#[derive(Clone, Debug, PartialEq)]
pub enum ActionInput {
    OneHot { n: usize },
    Scaled { low: Vec<f32>, high: Vec<f32> },
}

impl ActionInput {
    pub fn for_space(space: &Space) -> Result<ActionInput> {
        match space {
            Space::Discrete { n, .. } if *n > 0 => Ok(ActionInput::OneHot { n: *n as usize }),
            Space::Box(b) if b.shape.len() == 1 && !b.low.is_empty() => Ok(ActionInput::Scaled {
                low: b.low.iter().map(|&x| x as f32).collect(),
                high: b.high.iter().map(|&x| x as f32).collect(),
            }),
            other => Err(AgentError::Unsupported(format!(
                "the world model takes Discrete or rank-1 Box actions, got {}",
                other.describe()
            ))),
        }
    }

    /// Numbers per encoded action.
    pub fn width(&self) -> usize {
        match self {
            ActionInput::OneHot { n } => *n,
            ActionInput::Scaled { low, .. } => low.len(),
        }
    }

    /// Numbers per env action as learners and signals hold it (the index of a discrete one).
    pub fn env_width(&self) -> usize {
        match self {
            ActionInput::OneHot { .. } => 1,
            ActionInput::Scaled { low, .. } => low.len(),
        }
    }

    /// Writes the model's input for an env action (a discrete index from 0, or the Box value)
    /// into `out` (`width()` numbers).
    pub fn encode(&self, action: &[f32], out: &mut [f32]) -> Result<()> {
        match self {
            ActionInput::OneHot { n } => {
                let a = action.first().copied().unwrap_or(f32::NAN);
                if !(a >= 0.0 && (a as usize) < *n && a.fract() == 0.0) {
                    return Err(AgentError::Unsupported(format!("action index {a} is not one of 0..{n}")));
                }
                out.fill(0.0);
                out[a as usize] = 1.0;
            }
            ActionInput::Scaled { low, high } => {
                for (((o, &a), &l), &h) in out.iter_mut().zip(action).zip(low).zip(high) {
                    *o = if l.is_finite() && h.is_finite() && h > l {
                        (2.0 * (a - l) / (h - l) - 1.0).clamp(-1.0, 1.0)
                    } else {
                        a
                    };
                }
            }
        }
        Ok(())
    }

    /// The env actions for model actions in `[-1, 1]`: rows of `env_width()` numbers, one row
    /// per sub-env (continuous only).
    pub fn unscale(&self, scaled: &[f32]) -> Vec<f32> {
        match self {
            ActionInput::OneHot { .. } => scaled.to_vec(),
            ActionInput::Scaled { low, high } => {
                scaled
                    .iter()
                    .zip(low.iter().zip(high).cycle())
                    .map(|(&x, (&l, &h))| {
                        if l.is_finite() && h.is_finite() {
                            l + (x.clamp(-1.0, 1.0) + 1.0) * 0.5 * (h - l)
                        } else {
                            x
                        }
                    })
                    .collect()
            }
        }
    }
}

/// The world model's networks; see the [module docs](self).
#[derive(Module, Debug)]
pub struct WorldModel {
    pub encoder: ObsEncoder,
    pub rssm: Rssm,
    pub decoder: MlpHead,
    /// Two-hot logits of `symlog(r)`.
    pub reward: MlpHead,
    /// The logit of continuing (`1 - terminal`).
    pub cont: MlpHead,
    #[module(skip)]
    pub coding: ObsCoding,
}

/// Named parts of the loss of one chunk batch, each a scalar on the model's device.
pub struct WorldModelLoss {
    /// The weighted total, for the gradient.
    pub total: Tensor<1>,
    /// `(name, value)`: `recon`, `reward`, `cont`, `kl_dyn`, `kl_rep` (after free bits), `kl`
    /// (before), `prior_entropy`, `post_entropy`; means over the batch.
    pub parts: Vec<(&'static str, Tensor<1>)>,
    /// The filtered states, start states for imagination.
    pub observed: Observed,
}

impl WorldModel {
    /// A model for `observation_space` and `actions`, weights drawn from `rng`.
    pub fn new(
        config: &WorldModelConfig,
        observation_space: &Space,
        actions: &ActionInput,
        rng: &mut Generator,
        device: &Device,
    ) -> Result<WorldModel> {
        config.validate()?;
        let coding = ObsCoding::for_space(observation_space)?;
        let dims =
            LatentDims { deter: config.deter, stoch: config.stoch, classes: config.classes, action: actions.width() };
        let (units, layers) = (config.units, config.layers);
        let encoder = ObsEncoder::new(coding, units, layers, rng, device)?;
        let rssm = Rssm::new(dims, units, encoder.out_dim(), config.unimix, rng, device)?;
        let f = dims.features();
        let model = WorldModel {
            encoder,
            rssm,
            decoder: MlpHead::new(f, units, layers, coding.decoder_dim(), false, rng, device),
            reward: MlpHead::new(f, units, layers, TwoHot::default().len(), true, rng, device),
            cont: MlpHead::new(f, units, layers, 1, false, rng, device),
            coding,
        };
        crate::nets::blocks::canonical(model)
    }

    pub fn dims(&self) -> LatentDims {
        self.rssm.dims
    }

    /// The loss of a chunk batch (see the [module docs](self)); latents are sampled with `rng`.
    pub fn loss(
        &self,
        batch: &SequenceBatch,
        config: &WorldModelConfig,
        rng: &mut Generator,
    ) -> Result<WorldModelLoss> {
        let device = self.reward.out.weight.val().device();
        let n = batch.rows();
        let upload =
            |values: Vec<f32>, width: usize| Tensor::<2>::from_data(TensorData::new(values, [n, width]), &device);
        let obs = upload(batch.obs.clone(), batch.obs_dim);
        let actions = upload(batch.actions.clone(), batch.action_dim);
        let targets = upload(self.coding.targets(&batch.obs)?, self.coding.decoder_dim());
        let rewards = TwoHot::default().encode_rows(&batch.rewards, &device);
        let conts = upload(batch.terminals.iter().map(|&t| (!t) as u8 as f32).collect(), 1);

        let embed = self.encoder.forward(obs);
        let observed = self.rssm.observe(embed, actions, &batch.firsts, batch.batch, None, Some(rng))?;
        let features = observed.features();
        let post = self.rssm.latents(observed.post_logits.clone());
        let prior = self.rssm.prior(observed.deter.clone());
        let detached = |l: &Latents| Latents { log_probs: l.log_probs.clone().detach() };
        let kl = post.kl(&prior);
        let kl_dyn = detached(&post).kl(&prior).clamp_min(config.free_nats);
        let kl_rep = post.kl(&detached(&prior)).clamp_min(config.free_nats);
        let recon = self.coding.loss(self.decoder.forward(features.clone()), targets);
        let reward = TwoHot::loss(self.reward.forward(features.clone()), rewards);
        let cont_logit = self.cont.forward(features);
        let cont = (log_sigmoid(cont_logit.clone()) * conts.clone()
            + log_sigmoid(cont_logit.neg()) * conts.neg().add_scalar(1.0))
        .sum_dim(1)
        .reshape([n])
        .neg();
        let total = recon.clone()
            + reward.clone()
            + cont.clone()
            + kl_dyn.clone().mul_scalar(config.dyn_scale)
            + kl_rep.clone().mul_scalar(config.rep_scale);
        let parts = vec![
            ("recon", recon.mean()),
            ("reward", reward.mean()),
            ("cont", cont.mean()),
            ("kl_dyn", kl_dyn.mean()),
            ("kl_rep", kl_rep.mean()),
            ("kl", kl.detach().mean()),
            ("prior_entropy", prior.entropy().detach().mean()),
            ("post_entropy", post.entropy().detach().mean()),
        ];
        Ok(WorldModelLoss { total: total.mean(), parts, observed })
    }

    /// The reward the model predicts for each row of features `[N, F]`.
    pub fn predict_reward(&self, features: Tensor<2>) -> Result<Vec<f32>> {
        TwoHot::default().mean(self.reward.forward(features))
    }

    /// The probability of continuing (not terminating) of each row of features.
    pub fn predict_cont(&self, features: Tensor<2>) -> Result<Vec<f32>> {
        let [n, _] = features.dims();
        download(burn::tensor::activation::sigmoid(self.cont.forward(features)).reshape([n]))
    }

    /// Observation rows decoded from features `[N, F]`.
    pub fn decode(&self, features: Tensor<2>) -> Result<Vec<f32>> {
        self.coding.decode(self.decoder.forward(features))
    }

    /// One filtering step on host rows: from the previous state (`deter [N, deter]`, `stoch [N,
    /// stoch_dim]`, zeros where an episode starts), the previous encoded action `[N, A]` and
    /// the observation rows, the new state (the posterior's sample, or its mode without `rng`)
    /// and the posterior's latents.
    pub fn observe_step(
        &self,
        deter: Tensor<2>,
        stoch: Tensor<2>,
        action: Tensor<2>,
        obs: Tensor<2>,
        rng: Option<&mut Generator>,
    ) -> Result<(Tensor<2>, Tensor<2>, Latents)> {
        let deter = self.rssm.deter_step(deter, stoch, action);
        let post = self.rssm.latents(self.rssm.posterior_logits(deter.clone(), self.encoder.forward(obs)));
        let stoch = post.sample(rng)?;
        Ok((deter, stoch, post))
    }
}

impl WorldModel {
    /// The model's version of an episode: `observations` `o_0 .. o_T` (host rows) are
    /// filtered through the first `context` (the posterior's mode), and every later one is
    /// predicted open loop from the prior's mode and `actions` `a_0 .. a_{T-1}` (encoded) alone;
    /// each step's state decoded into an observation row.
    pub fn open_loop(&self, observations: &[Vec<f32>], actions: &[Vec<f32>], context: usize) -> Result<Vec<Vec<f32>>> {
        let device = self.reward.out.weight.val().device();
        let dims = self.dims();
        let row = |values: &[f32]| Tensor::<2>::from_data(TensorData::new(values.to_vec(), [1, values.len()]), &device);
        let zeros = |width| Tensor::<2>::zeros([1, width], &device);
        let (mut deter, mut stoch, mut action) = (zeros(dims.deter), zeros(dims.stoch_dim()), zeros(dims.action));
        let mut out = Vec::with_capacity(observations.len());
        for (t, obs) in observations.iter().enumerate() {
            (deter, stoch) = if t < context {
                let (deter, stoch, _) = self.observe_step(deter, stoch, action, row(obs), None)?;
                (deter, stoch)
            } else {
                self.rssm.imagine_step(deter, stoch, action, None)?
            };
            out.push(self.decode(Tensor::cat(vec![deter.clone(), stoch.clone()], 1))?);
            action = actions.get(t).map_or_else(|| zeros(dims.action), |a| row(a));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use limbic_environments::DType;

    #[test]
    fn actions_are_one_hot_or_scaled_to_the_unit_box() {
        let discrete = ActionInput::for_space(&Space::discrete(3)).unwrap();
        let mut out = [9.0f32; 3];
        discrete.encode(&[1.0], &mut out).unwrap();
        assert_eq!((out, discrete.width(), discrete.env_width()), ([0.0, 1.0, 0.0], 3, 1));
        assert!(discrete.encode(&[3.0], &mut out).is_err());
        let boxed = ActionInput::for_space(&Space::vector_box(&[-2.0], &[2.0], DType::Float32)).unwrap();
        let mut out = [0.0f32];
        boxed.encode(&[1.0], &mut out).unwrap();
        assert_eq!(out, [0.5]);
        boxed.encode(&[7.0], &mut out).unwrap();
        assert_eq!(out, [1.0], "clipped to the box");
        assert_eq!((boxed.unscale(&[0.5]), boxed.unscale(&[-1.0])), (vec![1.0], vec![-2.0]));
        assert_eq!(boxed.unscale(&[0.5, -1.0, 1.0]), [1.0, -2.0, 2.0], "one action per sub-env");
        let error = ActionInput::for_space(&Space::Text { min_length: 0, max_length: 3, charset: "ab".into() });
        assert!(error.unwrap_err().to_string().contains("Discrete or rank-1 Box"));
    }

    #[test]
    fn configs_name_bad_fields() {
        let bad = |config: WorldModelConfig| config.validate().unwrap_err().to_string();
        assert!(bad(WorldModelConfig { classes: 1, ..Default::default() }).contains("world_model.classes"));
        assert!(bad(WorldModelConfig { deter: 0, ..Default::default() }).contains("world_model.deter"));
        assert!(bad(WorldModelConfig { unimix: 1.5, ..Default::default() }).contains("world_model.unimix"));
        assert!(bad(WorldModelConfig { free_nats: -1.0, ..Default::default() }).contains("world_model.free_nats"));
        WorldModelConfig::default().validate().unwrap();
    }
}
