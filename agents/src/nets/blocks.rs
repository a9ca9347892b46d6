//! Network blocks that neural reward signals and world models build on: embeddings and heads
//! drawn from limbic's own seeded generator, dynamics models (inverse and forward), an Adam
//! [`Trainer`], and how networks see actions ([`ActionCoding`]).
//!
//! Every network sees observation rows through [`Encoder`]: the MiniGrid CNN when the
//! observation space is a MiniGrid `Dict` with `image` and `direction`, the identity otherwise;
//! then a ReLU MLP and a linear output layer. Weights are orthogonal with gain sqrt(2) (the
//! initialization CleanRL's RND uses for its networks).

use crate::core::archive::Archive;
use crate::core::optim::{clip_grad_norm, TORCH_ADAM_EPSILON};
use crate::error::{AgentError, Result};
use crate::nets::{download, linear, Activation, Encoder, EncoderKind, Init, Mlp, MlpConfig};
use burn::module::Module;
use burn::nn::Linear;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, OptimizerRecord};
use burn::prelude::*;
use burn::tensor::Bytes;
use limbic_environments::rng::Generator;
use limbic_environments::Space;

/// How a network sees actions: one-hot for `Discrete`, the raw vector for `Box`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionCoding {
    OneHot { n: usize },
    Raw { dim: usize },
}

impl ActionCoding {
    /// The coding of `space`; `who` names the network in errors.
    pub fn for_space(who: &str, space: &Space) -> Result<ActionCoding> {
        match space {
            Space::Discrete { n, .. } if *n > 0 => Ok(ActionCoding::OneHot { n: *n as usize }),
            Space::Box(b) if !b.shape.is_empty() => Ok(ActionCoding::Raw { dim: b.shape.iter().product() }),
            other => Err(AgentError::Unsupported(format!(
                "{who} needs a Discrete or Box action space, got {}",
                other.describe()
            ))),
        }
    }

    /// Numbers per encoded action.
    pub fn width(self) -> usize {
        match self {
            ActionCoding::OneHot { n } => n,
            ActionCoding::Raw { dim } => dim,
        }
    }

    /// Numbers per stored action (the index of a discrete one).
    pub fn stored_width(self) -> usize {
        match self {
            ActionCoding::OneHot { .. } => 1,
            ActionCoding::Raw { dim } => dim,
        }
    }

    /// Writes the encoding of `action` (a stored action row) into `out` (`width()` zeros).
    pub fn encode(self, action: &[f32], out: &mut [f32]) -> Result<()> {
        match self {
            ActionCoding::OneHot { n } => {
                let a = action.first().copied().unwrap_or(f32::NAN);
                if !(a >= 0.0 && (a as usize) < n && a.fract() == 0.0) {
                    return Err(AgentError::Unsupported(format!("action index {a} is not one of 0..{n}")));
                }
                out[a as usize] = 1.0;
            }
            ActionCoding::Raw { .. } => out.copy_from_slice(action),
        }
        Ok(())
    }
}

/// Observations and next observations (stacked: `[2 * rows, D]`) and encoded actions of some
/// transitions.
pub struct TransitionRows {
    pub states: Tensor<2>,
    pub actions: Tensor<2>,
    pub rows: usize,
}

/// The shape of a network a config gives: hidden widths after the encoder and the
/// width of the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetShape {
    pub hidden: Vec<usize>,
    pub out: usize,
}

/// Observation rows to features: encoder (MiniGrid CNN or identity), ReLU MLP, linear output.
#[derive(Module, Debug)]
pub struct Embedding {
    pub encoder: Encoder,
    pub torso: Mlp,
    pub out: Linear,
}

impl Embedding {
    pub fn new(kind: EncoderKind, shape: &NetShape, rng: &mut Generator, device: &Device) -> Result<Embedding> {
        let init = Init::orthogonal_hidden();
        let encoder = Encoder::new(kind, init, rng, device)?;
        let torso = relu_mlp(&shape.hidden).init(encoder.out_dim(), init, rng, device);
        let out = linear(torso.out_dim(), shape.out, init, rng, device);
        canonical(Embedding { encoder, torso, out })
    }

    pub fn forward(&self, obs: Tensor<2>) -> Tensor<2> {
        self.out.forward(self.torso.forward(self.encoder.forward(obs)))
    }
}

/// A ReLU MLP with a linear output layer, on feature vectors.
#[derive(Module, Debug)]
pub struct Head {
    pub torso: Mlp,
    pub out: Linear,
}

impl Head {
    pub fn new(d_in: usize, shape: &NetShape, rng: &mut Generator, device: &Device) -> Result<Head> {
        let init = Init::orthogonal_hidden();
        let torso = relu_mlp(&shape.hidden).init(d_in, init, rng, device);
        let out = linear(torso.out_dim(), shape.out, init, rng, device);
        canonical(Head { torso, out })
    }

    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.out.forward(self.torso.forward(x))
    }
}

/// `module` with its parameters stored as a loaded checkpoint stores them. A freshly drawn
/// linear weight is a transposed view; the same numbers loaded from a record are contiguous,
/// and the backend's kernels may sum in another order for the two layouts (last-bit
/// differences). Going through a record once at construction makes a restored signal compute
/// exactly what the saved one would have.
pub fn canonical<M: Module>(module: M) -> Result<M> {
    let record = module.clone().into_record();
    module.try_load_record(record).map_err(|e| AgentError::Unsupported(format!("cannot rebuild a network: {e}")))
}

fn relu_mlp(hidden: &[usize]) -> MlpConfig {
    MlpConfig { hidden: hidden.to_vec(), activation: Activation::Relu }
}

/// Cross-entropy of `logits` against one-hot `targets`, or half the squared error for
/// continuous actions: the inverse-dynamics loss, averaged over rows.
pub fn action_loss(coding: ActionCoding, predicted: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    match coding {
        ActionCoding::OneHot { .. } => {
            (burn::tensor::activation::log_softmax(predicted, 1) * targets).sum_dim(1).mean().neg()
        }
        ActionCoding::Raw { .. } => (predicted - targets).square().sum_dim(1).mean().mul_scalar(0.5),
    }
}

/// Squared Euclidean distance of each row pair, `[B, 1]`.
pub fn squared_distance(a: Tensor<2>, b: Tensor<2>) -> Tensor<2> {
    (a - b).square().sum_dim(1)
}

/// A feature encoder `phi` learned through dynamics: an inverse model `(phi(s), phi(s')) -> a`
/// and, for ICM and RIDE, a forward model `(phi(s), a) -> phi(s')` (Pathak et al. 2017).
#[derive(Module, Debug)]
pub struct Dynamics {
    pub phi: Embedding,
    pub inverse: Head,
    pub forward: Option<Head>,
}

/// The shape of a [`Dynamics`] model.
#[derive(Clone, Debug)]
pub struct DynamicsShape {
    pub kind: EncoderKind,
    /// Hidden widths of `phi` after the encoder, and its output width.
    pub phi: NetShape,
    /// Hidden widths of the inverse and forward models.
    pub head_hidden: Vec<usize>,
    pub actions: ActionCoding,
    pub with_forward: bool,
}

/// Losses of a [`Dynamics`] model on a minibatch.
pub struct DynamicsLosses {
    /// Cross-entropy of the taken action (half its squared error for Box actions).
    pub inverse: Tensor<1>,
    /// `1/2 ||f(phi(s), a) - phi(s')||^2`, averaged over rows.
    pub forward: Option<Tensor<1>>,
}

impl Dynamics {
    pub fn new(shape: &DynamicsShape, rng: &mut Generator, device: &Device) -> Result<Dynamics> {
        let phi = Embedding::new(shape.kind, &shape.phi, rng, device)?;
        let latent = shape.phi.out;
        let head = |out| NetShape { hidden: shape.head_hidden.clone(), out };
        let inverse = Head::new(2 * latent, &head(shape.actions.width()), rng, device)?;
        let forward = match shape.with_forward {
            true => Some(Head::new(latent + shape.actions.width(), &head(latent), rng, device)?),
            false => None,
        };
        Ok(Dynamics { phi, inverse, forward })
    }

    /// The forward model's prediction of `phi(s')`.
    pub fn predict_next(&self, phi_s: Tensor<2>, actions: Tensor<2>) -> Option<Tensor<2>> {
        self.forward.as_ref().map(|f| f.forward(Tensor::cat(vec![phi_s, actions], 1)))
    }

    /// `phi(s)` and `phi(s')` of stacked rows (one forward pass).
    pub fn embed_pairs(&self, states: Tensor<2>, rows: usize) -> (Tensor<2>, Tensor<2>) {
        let phi = self.phi.forward(states);
        (phi.clone().narrow(0, 0, rows), phi.narrow(0, rows, rows))
    }

    pub fn losses(&self, rows: TransitionRows, coding: ActionCoding) -> DynamicsLosses {
        let (phi_s, phi_next) = self.embed_pairs(rows.states, rows.rows);
        let logits = self.inverse.forward(Tensor::cat(vec![phi_s.clone(), phi_next.clone()], 1));
        let inverse = action_loss(coding, logits, rows.actions.clone());
        let forward = self
            .predict_next(phi_s, rows.actions)
            .map(|predicted| squared_distance(predicted, phi_next).mean().mul_scalar(0.5));
        DynamicsLosses { inverse, forward }
    }
}

/// How a [`Dynamics`] model trains: Adam on `inverse_coef * L_inv + forward_coef * L_fwd`.
#[derive(Clone, Copy, Debug)]
pub struct DynamicsTraining {
    pub epochs: usize,
    pub batch_size: usize,
    pub inverse_coef: f64,
    pub forward_coef: f64,
}

/// A module on the autodiff device with its Adam optimizer.
#[derive(Clone)]
pub struct Trainer<M: Module> {
    pub model: M,
    optimizer: ModuleOptimizer,
    pub learning_rate: f64,
    /// Adam's epsilon ([`TORCH_ADAM_EPSILON`] unless set).
    epsilon: f32,
    /// Global gradient-norm clip ([`clip_grad_norm`]), if any.
    max_grad_norm: Option<f64>,
    /// The gradient's global norm before clipping at the last step (with clipping only).
    last_grad_norm: f64,
    /// Gradient steps taken (named when a loss is not finite).
    steps: u64,
    /// `model.valid()`, kept until the next step or load.
    inference: Option<M>,
}

impl<M: Module> Trainer<M> {
    pub fn new(model: M, learning_rate: f64) -> Self {
        Trainer {
            model,
            optimizer: AdamConfig::new().with_epsilon(TORCH_ADAM_EPSILON).init(),
            learning_rate,
            epsilon: TORCH_ADAM_EPSILON,
            max_grad_norm: None,
            last_grad_norm: 0.0,
            steps: 0,
            inference: None,
        }
    }

    /// Adam with `epsilon`, gradients clipped to a global norm of `max_grad_norm`.
    pub fn with_adam(model: M, learning_rate: f64, epsilon: f32, max_grad_norm: Option<f64>) -> Self {
        let optimizer = AdamConfig::new().with_epsilon(epsilon).init();
        Trainer { optimizer, epsilon, max_grad_norm, ..Trainer::new(model, learning_rate) }
    }

    /// The gradient's global norm before clipping at the last step (0 without clipping).
    pub fn last_grad_norm(&self) -> f64 {
        self.last_grad_norm
    }

    /// Gradient steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The model without autodiff, for scoring.
    pub fn inference(&mut self) -> &M {
        self.inference.get_or_insert_with(|| self.model.valid())
    }

    /// One Adam step on `loss` (a scalar); returns the loss, or an error naming `quantity` when
    /// it is not finite.
    pub fn step(&mut self, loss: Tensor<1>, quantity: &str) -> Result<f64> {
        let value = download(loss.clone().detach())?.first().copied().unwrap_or(f32::NAN) as f64;
        if !value.is_finite() {
            return Err(AgentError::NonFinite { update: self.steps, quantity: quantity.into(), value });
        }
        self.steps += 1;
        let mut grads = GradientsParams::from_grads(loss.backward(), &self.model);
        if let Some(max_norm) = self.max_grad_norm {
            self.last_grad_norm = clip_grad_norm(&mut grads, &self.model, max_norm)?;
            if !self.last_grad_norm.is_finite() {
                let (update, value) = (self.steps, self.last_grad_norm);
                return Err(AgentError::NonFinite { update, quantity: format!("{quantity} gradient norm"), value });
            }
        }
        self.model = self.optimizer.step(self.learning_rate, self.model.clone(), grads);
        self.inference = None;
        Ok(value)
    }

    /// Weights and Adam's moments into `archive` as `{name}.model` and `{name}.adam`.
    pub fn save(&self, name: &str, archive: &mut Archive) -> Result<()> {
        archive.put_module(&format!("{name}.model"), &self.model)?;
        let optimizer = self.optimizer.into_bytes().map_err(|e| archive.error(format!("{name}.adam: {e}")))?;
        archive.put(&format!("{name}.adam"), optimizer.to_vec());
        archive.put_json(&format!("{name}.steps"), &self.steps)
    }

    /// Reads what [`Trainer::save`] wrote; nothing changes on error.
    pub fn load(&mut self, name: &str, archive: &Archive) -> Result<()> {
        let model = archive.module(&format!("{name}.model"), self.model.clone())?;
        let key = format!("{name}.adam");
        let record = OptimizerRecord::from_bytes(Bytes::from_bytes_vec(archive.get(&key)?.to_vec()))
            .map_err(|e| archive.error(format!("{key}: {e}")))?;
        let optimizer = AdamConfig::new().with_epsilon(self.epsilon).init().load_record(record);
        let steps = archive.json(&format!("{name}.steps"))?;
        (self.model, self.optimizer, self.steps, self.inference) = (model, optimizer, steps, None);
        Ok(())
    }
}

/// Minibatches of `slots` for `epochs` passes, each pass in a fresh random order.
pub fn minibatches(slots: &[usize], epochs: usize, batch_size: usize, rng: &mut Generator) -> Vec<Vec<usize>> {
    let mut order = slots.to_vec();
    let mut out = Vec::new();
    for _ in 0..epochs {
        rng.shuffle(&mut order);
        out.extend(order.chunks(batch_size.max(1)).map(<[usize]>::to_vec));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_encode_one_hot_or_raw() {
        let mut out = [0.0f32; 3];
        ActionCoding::OneHot { n: 3 }.encode(&[2.0], &mut out).unwrap();
        assert_eq!(out, [0.0, 0.0, 1.0]);
        assert!(ActionCoding::OneHot { n: 3 }.encode(&[3.0], &mut [0.0; 3]).is_err());
        let mut out = [0.0f32; 2];
        ActionCoding::Raw { dim: 2 }.encode(&[0.5, -1.0], &mut out).unwrap();
        assert_eq!(out, [0.5, -1.0]);
    }

    #[test]
    fn minibatches_cover_every_slot_each_epoch() {
        let batches = minibatches(&[3, 5, 7, 9, 11], 2, 2, &mut Generator::from_seed(0));
        assert_eq!(batches.len(), 6);
        for epoch in [&batches[..3], &batches[3..]] {
            let mut seen: Vec<usize> = epoch.iter().flatten().copied().collect();
            seen.sort();
            assert_eq!(seen, [3, 5, 7, 9, 11]);
        }
    }
}
