//! What the neural signals share: small burn networks drawn from limbic's own seeded
//! [`Generator`], an Adam trainer, the action encoding, rows of a [`Transitions`] batch uploaded
//! as one tensor, the per-sub-env scores of episodic signals, and a signal's state as bytes.
//!
//! Every network sees observation rows through [`Encoder`]: the MiniGrid CNN when the signal's
//! observation space is a MiniGrid `Dict` with `image` and `direction`, the identity otherwise;
//! then a ReLU MLP and a linear output layer. Weights are orthogonal with gain sqrt(2) (the
//! initialization CleanRL's RND uses for its networks).

use burn::module::Module;
use burn::nn::Linear;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, OptimizerRecord};
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use limbic_agents::core::checkpoint::checksum;
use limbic_agents::nets::{download, linear, Activation, Encoder, EncoderKind, Init, Mlp, MlpConfig};
use limbic_agents::shaping::Transitions;
use limbic_agents::{AgentError, Result};
use limbic_environments::rng::Generator;
use limbic_environments::Space;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Adam's epsilon: PyTorch's default, which the reference implementations use.
pub const ADAM_EPSILON: f32 = 1e-8;

/// An error for the parameter `key` of signal `signal`.
pub fn bad_param(signal: &str, key: &str, message: impl Into<String>) -> AgentError {
    AgentError::Config { field: format!("{signal}.{key}"), message: message.into() }
}

/// A signal's parameters as JSON (for [`SignalEntry::defaults`](crate::SignalEntry)).
pub fn to_json<T: Serialize>(params: &T) -> serde_json::Value {
    serde_json::to_value(params).unwrap_or(serde_json::Value::Null)
}

/// Checks that `value` is a positive finite number.
pub fn positive(signal: &str, key: &str, value: f64) -> Result<()> {
    if value > 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(bad_param(signal, key, format!("{value} must be a positive number")))
    }
}

/// Checks that `value` lies in `[low, high]`.
pub fn within(signal: &str, key: &str, value: f64, low: f64, high: f64) -> Result<()> {
    if (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(bad_param(signal, key, format!("{value} is not in [{low}, {high}]")))
    }
}

/// Checks that a count is at least 1.
pub fn at_least_one(signal: &str, key: &str, value: usize) -> Result<()> {
    if value >= 1 {
        Ok(())
    } else {
        Err(bad_param(signal, key, "must be at least 1"))
    }
}

/// Checks hidden layer widths (none may be 0).
pub fn layer_widths(signal: &str, key: &str, widths: &[usize]) -> Result<()> {
    if widths.contains(&0) {
        Err(bad_param(signal, key, format!("{widths:?} has a layer of width 0")))
    } else {
        Ok(())
    }
}

/// How a signal's networks see actions: one-hot for `Discrete`, the raw vector for `Box`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionCoding {
    OneHot { n: usize },
    Raw { dim: usize },
}

impl ActionCoding {
    pub fn for_space(signal: &str, space: &Space) -> Result<ActionCoding> {
        match space {
            Space::Discrete { n, .. } if *n > 0 => Ok(ActionCoding::OneHot { n: *n as usize }),
            Space::Box(b) if !b.shape.is_empty() => Ok(ActionCoding::Raw { dim: b.shape.iter().product() }),
            other => Err(AgentError::Unsupported(format!(
                "{signal} needs a Discrete or Box action space, got {}",
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

    /// Numbers per action in [`Transitions::actions`].
    pub fn stored_width(self) -> usize {
        match self {
            ActionCoding::OneHot { .. } => 1,
            ActionCoding::Raw { dim } => dim,
        }
    }

    /// Writes the encoding of `action` (a `Transitions` action row) into `out` (`width()` zeros).
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

/// The encoder for the signal's observation space, checked against the context's row width.
pub fn encoder_kind(signal: &str, context: &crate::SignalContext) -> Result<EncoderKind> {
    let kind = EncoderKind::for_space(&context.observation_space)?;
    if kind.obs_dim() != context.obs_dim {
        return Err(AgentError::Unsupported(format!(
            "{signal}: the observation space has rows of {}, the context says {}",
            kind.obs_dim(),
            context.obs_dim
        )));
    }
    Ok(kind)
}

/// Checks that `batch`'s rows fit what the signal was built for.
pub fn check_batch(signal: &str, batch: &Transitions, obs_dim: usize, actions: Option<ActionCoding>) -> Result<()> {
    let slots = batch.slots();
    let action_width = actions.map_or(batch.action_dim, |a| a.stored_width());
    let fits = batch.obs_dim == obs_dim
        && batch.obs.len() == slots * obs_dim
        && batch.next_obs.len() == slots * obs_dim
        && batch.action_dim == action_width
        && batch.actions.len() == slots * action_width
        && batch.terminated.len() == slots
        && batch.truncated.len() == slots
        && batch.valid.len() == slots;
    if fits {
        Ok(())
    } else {
        Err(AgentError::Unsupported(format!(
            "{signal} was built for observation rows of {obs_dim} and actions of {action_width} numbers; \
             the batch has rows of {} and actions of {} numbers for {} x {} slots (or arrays of the wrong length)",
            batch.obs_dim, batch.action_dim, batch.steps, batch.envs
        )))
    }
}

/// Checks that `out` has one number per slot of `batch` and zeroes it.
pub fn clear_output(signal: &str, batch: &Transitions, out: &mut [f32]) -> Result<()> {
    if out.len() != batch.slots() {
        return Err(AgentError::Unsupported(format!(
            "{signal}: the output has {} numbers for {} slots",
            out.len(),
            batch.slots()
        )));
    }
    out.iter_mut().for_each(|o| *o = 0.0);
    Ok(())
}

/// Checks that a step comes from the `num_envs` sub-envs an episodic signal keeps memories for.
pub fn check_envs(signal: &str, step: &Transitions, num_envs: usize) -> Result<()> {
    if step.envs == num_envs {
        Ok(())
    } else {
        Err(AgentError::Unsupported(format!(
            "{signal} keeps episodes of {num_envs} sub-envs, the step has {}",
            step.envs
        )))
    }
}

/// Fails when a bonus is NaN or infinite (the signal's model diverged), naming the signal.
pub fn check_bonuses(signal: &str, out: &[f32]) -> Result<()> {
    match out.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(slot) => Err(AgentError::NonFinite {
            update: 0,
            quantity: format!("{signal} bonus of slot {slot} (its model diverged)"),
            value: out[slot] as f64,
        }),
    }
}

/// Slot `slot` ends its sub-env's episode before the last step of `step`: an episodic signal
/// given several steps at once forgets the episode itself there (the reward set forgets it
/// after the last step).
pub fn ends_inside(step: &Transitions, slot: usize) -> bool {
    step.done(slot) && slot / step.envs + 1 < step.steps
}

/// The slots of `batch` that are transitions.
pub fn valid_slots(batch: &Transitions) -> Vec<usize> {
    (0..batch.slots()).filter(|&s| batch.valid[s]).collect()
}

/// `[rows, width]` numbers as one tensor.
pub fn upload(values: Vec<f32>, width: usize, device: &Device) -> Tensor<2> {
    let rows = values.len() / width.max(1);
    Tensor::from_data(TensorData::new(values, [rows, width]), device)
}

/// The next observations of `slots`, in one upload.
pub fn upload_next_obs(batch: &Transitions, slots: &[usize], device: &Device) -> Tensor<2> {
    let mut rows = Vec::with_capacity(slots.len() * batch.obs_dim);
    slots.iter().for_each(|&s| rows.extend_from_slice(batch.next_obs_row(s)));
    upload(rows, batch.obs_dim, device)
}

/// The observation rows of `slots`, then their next-observation rows (`[2 * slots, D]`): one
/// forward pass embeds both.
pub fn obs_then_next_obs(batch: &Transitions, slots: &[usize]) -> Vec<f32> {
    let mut rows = Vec::with_capacity(2 * slots.len() * batch.obs_dim);
    slots.iter().for_each(|&s| rows.extend_from_slice(batch.obs_row(s)));
    slots.iter().for_each(|&s| rows.extend_from_slice(batch.next_obs_row(s)));
    rows
}

/// Observations and next observations (stacked, see [`obs_then_next_obs`]) and encoded
/// actions of some slots.
pub struct TransitionRows {
    pub states: Tensor<2>,
    pub actions: Tensor<2>,
    pub rows: usize,
}

/// `slots`' observations, next observations and encoded actions, uploaded.
pub fn upload_transitions(
    batch: &Transitions,
    slots: &[usize],
    coding: ActionCoding,
    device: &Device,
) -> Result<TransitionRows> {
    let mut actions = vec![0.0f32; slots.len() * coding.width()];
    for (row, &s) in actions.chunks_exact_mut(coding.width()).zip(slots) {
        coding.encode(batch.action_row(s), row)?;
    }
    Ok(TransitionRows {
        states: upload(obs_then_next_obs(batch, slots), batch.obs_dim, device),
        actions: upload(actions, coding.width(), device),
        rows: slots.len(),
    })
}

/// Rows scored per forward pass when scoring a batch (bounds the memory of a large window).
pub const SCORE_CHUNK: usize = 4096;

/// The network shape a signal's parameters give: hidden widths after the encoder and the
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
fn canonical<M: Module>(module: M) -> Result<M> {
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

/// Trains `trainer`'s dynamics model on `batch`'s valid transitions; returns `loss`,
/// `loss_inverse` and (with a forward model) `loss_forward`, averaged over minibatches.
pub fn train_dynamics(
    signal: &str,
    trainer: &mut Trainer<Dynamics>,
    batch: &Transitions,
    coding: ActionCoding,
    how: DynamicsTraining,
    rng: &mut Generator,
) -> Result<BTreeMap<String, f64>> {
    let device = trainer.model.inverse.out.weight.val().device();
    let mut means = LossMeans::default();
    for chunk in minibatches(&valid_slots(batch), how.epochs, how.batch_size, rng) {
        let rows = upload_transitions(batch, &chunk, coding, &device)?;
        let losses = trainer.model.losses(rows, coding);
        let mut parts = vec![losses.inverse.clone().detach()];
        let mut loss = losses.inverse.mul_scalar(how.inverse_coef);
        if let Some(forward) = losses.forward {
            parts.push(forward.clone().detach());
            loss = loss + forward.mul_scalar(how.forward_coef);
        }
        let parts = download(Tensor::cat(parts, 0))?;
        means.add("loss", trainer.step(loss, &format!("{signal} dynamics loss"))?);
        means.add("loss_inverse", parts[0] as f64);
        if let Some(&forward) = parts.get(1) {
            means.add("loss_forward", forward as f64);
        }
    }
    Ok(means.finish())
}

/// A module on the autodiff device with its Adam optimizer.
#[derive(Clone)]
pub struct Trainer<M: Module> {
    pub model: M,
    optimizer: ModuleOptimizer,
    pub learning_rate: f64,
    /// Gradient steps taken (named when a loss is not finite).
    steps: u64,
    /// `model.valid()`, kept until the next step or load.
    inference: Option<M>,
}

impl<M: Module> Trainer<M> {
    pub fn new(model: M, learning_rate: f64) -> Self {
        Trainer {
            model,
            optimizer: AdamConfig::new().with_epsilon(ADAM_EPSILON).init(),
            learning_rate,
            steps: 0,
            inference: None,
        }
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
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
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
        let optimizer = AdamConfig::new().with_epsilon(ADAM_EPSILON).init().load_record(record);
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

/// Means of per-minibatch losses, for [`IntrinsicReward::update`](crate::IntrinsicReward)'s
/// diagnostics.
#[derive(Default)]
pub struct LossMeans(BTreeMap<String, (f64, u64)>);

impl LossMeans {
    pub fn add(&mut self, name: &str, value: f64) {
        let entry = self.0.entry(name.to_string()).or_insert((0.0, 0));
        entry.0 += value;
        entry.1 += 1;
    }

    pub fn finish(self) -> BTreeMap<String, f64> {
        self.0.into_iter().map(|(k, (sum, n))| (k, sum / n as f64)).collect()
    }
}

/// Bonuses an episodic signal scored in `observe`, waiting for `compute` (`[steps, N]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PendingScores {
    scores: Vec<f32>,
}

impl PendingScores {
    pub fn push(&mut self, step_scores: &[f32]) {
        self.scores.extend_from_slice(step_scores);
    }

    /// Moves the scores of the steps observed since the last call into `out` (invalid slots
    /// set to 0). `batch` must be those steps.
    pub fn take_into(&mut self, signal: &str, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        let slots = batch.slots();
        if self.scores.len() != slots || out.len() != slots {
            let observed = self.scores.len() / batch.envs.max(1);
            return Err(AgentError::Unsupported(format!(
                "{signal} scores steps as they happen: compute must get the {observed} step(s) observed \
                 since the last compute, got {} step(s) (and an output of {} for {slots} slots)",
                batch.steps,
                out.len()
            )));
        }
        for (s, o) in out.iter_mut().enumerate() {
            *o = if batch.valid[s] { self.scores[s] } else { 0.0 };
        }
        self.scores.clear();
        check_bonuses(signal, out)
    }
}

/// The nearest `k` squared Euclidean distances from `query` to the rows of `memory` (rows of
/// `query.len()` numbers), ascending, into `out`.
pub fn nearest_squared_distances(query: &[f32], memory: &[f32], k: usize, out: &mut Vec<f32>) {
    let d = query.len();
    out.clear();
    out.extend(memory.chunks_exact(d.max(1)).map(|row| squared_l2(query, row)));
    let k = k.min(out.len());
    if k < out.len() {
        out.select_nth_unstable_by(k, f32::total_cmp);
        out.truncate(k);
    }
    out.sort_unstable_by(f32::total_cmp);
}

/// `||a - b||^2`.
pub fn squared_l2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// A signal's state as named byte sections: weights, optimizer moments, running statistics,
/// memories, RNG. Encoded as a length-prefixed JSON table of contents (names, lengths and
/// checksums) followed by the sections, so corrupt bytes are an error, never a panic.
pub struct Archive {
    signal: String,
    sections: BTreeMap<String, Vec<u8>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Contents {
    format: String,
    signal: String,
    sections: Vec<(String, usize, String)>,
}

const ARCHIVE_FORMAT: &str = "limbic-signal-v1";

impl Archive {
    pub fn new(signal: &str) -> Archive {
        Archive { signal: signal.into(), sections: BTreeMap::new() }
    }

    /// A checkpoint error about this signal's state.
    pub fn error(&self, message: String) -> AgentError {
        AgentError::Checkpoint { path: format!("signal `{}`", self.signal), message }
    }

    pub fn put(&mut self, name: &str, bytes: Vec<u8>) {
        self.sections.insert(name.into(), bytes);
    }

    pub fn put_json<T: Serialize>(&mut self, name: &str, value: &T) -> Result<()> {
        let bytes = serde_json::to_vec(value).map_err(|e| self.error(format!("{name}: {e}")))?;
        self.put(name, bytes);
        Ok(())
    }

    pub fn put_floats(&mut self, name: &str, values: &[f64]) {
        self.put(name, values.iter().flat_map(|v| v.to_le_bytes()).collect());
    }

    pub fn put_module<M: Module>(&mut self, name: &str, module: &M) -> Result<()> {
        let bytes =
            module.clone().into_record().into_bytes().map_err(|e| self.error(format!("{name}: cannot encode: {e}")))?;
        self.put(name, bytes.to_vec());
        Ok(())
    }

    pub fn get(&self, name: &str) -> Result<&[u8]> {
        self.sections.get(name).map(Vec::as_slice).ok_or_else(|| self.error(format!("no section `{name}`")))
    }

    pub fn json<T: DeserializeOwned>(&self, name: &str) -> Result<T> {
        serde_json::from_slice(self.get(name)?).map_err(|e| self.error(format!("{name}: {e}")))
    }

    pub fn floats(&self, name: &str) -> Result<Vec<f64>> {
        let bytes = self.get(name)?;
        if !bytes.len().is_multiple_of(8) {
            return Err(self.error(format!("{name}: {} bytes is not a list of f64", bytes.len())));
        }
        Ok(bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect())
    }

    /// Loads the parameters saved as `name` into `module` (same architecture required).
    pub fn module<M: Module>(&self, name: &str, module: M) -> Result<M> {
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(self.get(name)?.to_vec()))
            .map_err(|e| self.error(format!("{name}: {e}")))?;
        module.try_load_record(record).map_err(|e| self.error(format!("{name} does not fit this network: {e}")))
    }

    pub fn encode(&self) -> Result<Vec<u8>> {
        let sections = self.sections.iter().map(|(name, bytes)| (name.clone(), bytes.len(), checksum(bytes))).collect();
        let contents = Contents { format: ARCHIVE_FORMAT.into(), signal: self.signal.clone(), sections };
        let header = serde_json::to_vec(&contents).map_err(|e| self.error(e.to_string()))?;
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(&header);
        self.sections.values().for_each(|bytes| out.extend_from_slice(bytes));
        Ok(out)
    }

    /// Reads what [`Archive::encode`] wrote for signal `signal`.
    pub fn decode(signal: &str, bytes: &[u8]) -> Result<Archive> {
        let mut archive = Archive::new(signal);
        let corrupt = |archive: &Archive, what: &str| archive.error(format!("corrupt state: {what}"));
        let header_len = bytes.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes);
        let header_end = header_len.and_then(|n| usize::try_from(n).ok()).and_then(|n| n.checked_add(8));
        let header = header_end.and_then(|end| bytes.get(8..end)).ok_or_else(|| corrupt(&archive, "no header"))?;
        let contents: Contents = serde_json::from_slice(header).map_err(|e| corrupt(&archive, &e.to_string()))?;
        if contents.format != ARCHIVE_FORMAT || contents.signal != signal {
            let message = format!("a `{}` state of signal `{}`", contents.format, contents.signal);
            return Err(archive.error(format!("{message}, expected `{ARCHIVE_FORMAT}` of `{signal}`")));
        }
        let mut at = header_end.unwrap_or(0);
        for (name, len, sum) in contents.sections {
            let section = at.checked_add(len).and_then(|end| bytes.get(at..end));
            let section = section.ok_or_else(|| corrupt(&archive, &format!("section `{name}` is truncated")))?;
            if checksum(section) != sum {
                return Err(corrupt(&archive, &format!("section `{name}` fails its checksum")));
            }
            archive.sections.insert(name, section.to_vec());
            at += len;
        }
        if at != bytes.len() {
            return Err(corrupt(&archive, "trailing bytes"));
        }
        Ok(archive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_round_trips_and_rejects_damage() {
        let mut archive = Archive::new("x");
        archive.put("a", vec![1, 2, 3]);
        archive.put_floats("b", &[0.5, -2.0]);
        let bytes = archive.encode().unwrap();
        let back = Archive::decode("x", &bytes).unwrap();
        assert_eq!(back.get("a").unwrap(), [1, 2, 3]);
        assert_eq!(back.floats("b").unwrap(), [0.5, -2.0]);
        assert!(back.get("c").unwrap_err().to_string().contains("no section `c`"));
        let error = Archive::decode("y", &bytes).err().unwrap().to_string();
        assert!(error.contains("expected") && error.contains("`y`"), "{error}");
        let mut damaged = bytes.clone();
        *damaged.last_mut().unwrap() ^= 1;
        assert!(Archive::decode("x", &damaged).err().unwrap().to_string().contains("checksum"));
        assert!(Archive::decode("x", &bytes[..bytes.len() - 1]).is_err());
        assert!(Archive::decode("x", &[1, 2]).is_err());
    }

    #[test]
    fn nearest_distances_are_the_smallest_ascending() {
        let memory = [0.0f32, 0.0, 3.0, 4.0, 1.0, 0.0, 0.0, 2.0];
        let mut out = Vec::new();
        nearest_squared_distances(&[0.0, 0.0], &memory, 2, &mut out);
        assert_eq!(out, [0.0, 1.0]);
        nearest_squared_distances(&[0.0, 0.0], &memory, 10, &mut out);
        assert_eq!(out, [0.0, 1.0, 4.0, 25.0]);
    }

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
}
