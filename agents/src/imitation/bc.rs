//! Behavioural cloning: supervised learning of the demonstrator's actions with the same
//! policies PPO trains (feed-forward [`ActorCritic`], or [`MemoryActorCritic`] with
//! `policy.memory`), so a BC policy acts, saves and loads like any learner (`limbic eval` loads
//! it through the algorithm registry).
//!
//! The loss is the `imitation` library's (`imitation.algorithms.bc.BehaviorCloningLossCalculator`):
//! `-mean log pi(a|s) - ent_weight * mean H(pi(.|s)) + l2_weight * sum(theta^2) / 2`, over
//! shuffled minibatches with Adam.
//! - **Discrete actions**: cross-entropy of the categorical head.
//! - **Continuous actions** ([`ContinuousLoss`]): by default the Gaussian log-likelihood of the
//!   policy's mean and state-independent log-std, as `imitation` does: it is the same maximum
//!   likelihood objective as the discrete case and leaves a calibrated std for stochastic
//!   acting. `mse` fits only the mean (the squared error, summed over action dimensions; the
//!   entropy term is left out there, since it would only grow the untrained std).
//!
//! **Memory.** A recurrent policy learns from sequences: every epoch first unrolls the current
//! policy over each demonstration episode (from the zero state at its start) to get the state
//! before every step; the episodes are then cut into chunks of `seq_len` steps that start from
//! those states, shuffled, and trained with the loss masked to the chunks' real steps.
//! Validation unrolls the held-out episodes the same way.
//!
//! **Epochs and early stopping.** [`Algorithm::update`] is one epoch over the training
//! demonstrations (no env steps: the `VecEnv` is not touched). [`Bc::fit`] runs epochs until
//! `max_epochs`, or until the validation loss (the mean negative log-likelihood on held-out
//! episodes) has not improved for `patience` epochs, and keeps the weights of the best
//! validation epoch. Metrics per epoch: `loss/train` (the whole loss), `loss/neglogp`,
//! `loss/l2`, `entropy`, and with a validation set `loss/validation` plus
//! `validation/accuracy` (discrete) or `validation/mse` (continuous, per action number).
//!
//! **Checkpoints**: `bc_model.bpk`, `bc_optimizer.bpk`, `bc_best.bpk` (while early stopping
//! tracks a best epoch) and `state.json`, through [`CheckpointWriter`] (atomic, checksummed).
//! The demonstrations are not part of a checkpoint: they are the input, given again.

use super::Demonstrations;
use crate::buffers::normalize::{ObsNormalizer, RmsState};
use crate::buffers::rollout::Chunk;
use crate::core::algorithm::{defaults_json, Algorithm, AlgorithmEntry, AlgorithmSpec, Update};
use crate::core::checkpoint::{
    check_same_config, checkpoint_error, CheckpointReader, CheckpointWriter, RngState, STATE_FILE,
};
use crate::core::config::{at_least_one, invalid, layer_widths, parse_config, positive};
use crate::core::optim::TORCH_ADAM_EPSILON;
use crate::distributions;
use crate::error::{AgentError, Result};
use crate::nets::{download, Activation};
use crate::policies::{
    Acting, ActingRows, ActionKind, ActorCritic, BuildPolicy, DistParams, MemoryActorCritic, Policy, PolicyActing,
    PolicyConfig, PolicyInput, SequenceInput,
};
use burn::module::{ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use limbic_environments::rng::Generator;
use limbic_environments::vector::VecEnv;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

/// How continuous actions are fitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContinuousLoss {
    /// Negative Gaussian log-likelihood of the mean and log-std (`imitation`'s BC).
    LogLikelihood,
    /// Squared error of the mean only.
    Mse,
}

/// BC's hyperparameters; defaults are the `imitation` library's where it has one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BcConfig {
    /// Adam's step size. imitation: 1e-3.
    pub learning_rate: f64,
    /// Transitions per minibatch (the last one of an epoch may be smaller). imitation: 32.
    pub batch_size: usize,
    /// Epochs [`Bc::fit`] runs at most.
    pub max_epochs: usize,
    /// Weight of the entropy bonus. imitation: 1e-3.
    pub ent_weight: f64,
    /// Weight of the L2 penalty `sum(theta^2) / 2` over all parameters. imitation: 0.
    pub l2_weight: f64,
    /// Share of the episodes held out for validation (0 = none; one episode is never split).
    pub validation_fraction: f64,
    /// Epochs without a better validation loss before [`Bc::fit`] stops (0 = never stop early).
    pub patience: usize,
    /// How continuous actions are fitted: `log_likelihood` or `mse`.
    pub continuous_loss: ContinuousLoss,
    /// Standardize observations with the training demonstrations' mean and std (clipped to
    /// +-10, as `VecNormalize`), kept with the policy. Not in `imitation`, whose policies read
    /// raw rows; classic-control rows mix scales (CartPole's pole angle ~0.05 beside its cart
    /// position ~1, MountainCar's velocity ~0.05), which slowed cloning several-fold here.
    pub normalize_obs: bool,
    /// Hidden layers of the policy torso. imitation's BC policy: [32, 32].
    pub net_arch: Vec<usize>,
    /// `tanh` or `relu`.
    pub activation: Activation,
    /// Orthogonal initialization with CleanRL's gains; PyTorch's default otherwise.
    pub ortho_init: bool,
    /// Initial log-std of continuous actions.
    pub log_std_init: f64,
    /// Recurrent policies: steps per training sequence.
    pub seq_len: usize,
}

impl Default for BcConfig {
    fn default() -> Self {
        BcConfig {
            learning_rate: 1e-3,
            batch_size: 32,
            max_epochs: 100,
            ent_weight: 1e-3,
            l2_weight: 0.0,
            validation_fraction: 0.2,
            patience: 10,
            continuous_loss: ContinuousLoss::LogLikelihood,
            normalize_obs: true,
            net_arch: vec![32, 32],
            activation: Activation::Tanh,
            ortho_init: true,
            log_std_init: 0.0,
            seq_len: 32,
        }
    }
}

impl BcConfig {
    /// Reads a JSON object: absent keys take their defaults, unknown keys are an error that
    /// lists the valid ones.
    pub fn from_json(params: &serde_json::Value) -> Result<Self> {
        let config: BcConfig = parse_config("bc", params)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        positive("learning_rate", self.learning_rate)?;
        for (field, value) in [("ent_weight", self.ent_weight), ("l2_weight", self.l2_weight)] {
            if !(value >= 0.0 && value.is_finite()) {
                return Err(invalid(field, format!("{value} must be a finite number >= 0")));
            }
        }
        if !(0.0..1.0).contains(&self.validation_fraction) {
            return Err(invalid("validation_fraction", format!("{} is not in [0, 1)", self.validation_fraction)));
        }
        at_least_one("batch_size", self.batch_size as u64)?;
        at_least_one("seq_len", self.seq_len as u64)?;
        layer_widths("net_arch", &self.net_arch)
    }

    fn policy(&self) -> PolicyConfig {
        PolicyConfig {
            net_arch: self.net_arch.clone(),
            activation: self.activation,
            ortho_init: self.ortho_init,
            value_streams: 1,
            goal_dim: 0,
            log_std_init: self.log_std_init,
        }
    }
}

/// What one epoch did.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochMetrics {
    /// 1 for the first epoch.
    pub epoch: u64,
    /// The whole loss, averaged over the epoch's minibatches.
    pub train_loss: f64,
    /// The data term: mean negative log-likelihood (the squared error with `mse`).
    pub neglogp: f64,
    pub entropy: f64,
    pub l2: f64,
    /// Mean negative log-likelihood on the validation episodes.
    pub val_loss: Option<f64>,
    /// Share of validation states where the most likely action is the demonstrated one.
    pub val_accuracy: Option<f64>,
    /// Mean squared error of the policy mean per action number.
    pub val_mse: Option<f64>,
    /// Early stopping says to stop after this epoch.
    pub stop: bool,
}

impl EpochMetrics {
    /// As `metrics.jsonl` names them.
    pub fn to_map(&self) -> BTreeMap<String, f64> {
        let mut map = BTreeMap::from([
            ("epoch".to_string(), self.epoch as f64),
            ("loss/train".to_string(), self.train_loss),
            ("loss/neglogp".to_string(), self.neglogp),
            ("loss/l2".to_string(), self.l2),
            ("entropy".to_string(), self.entropy),
        ]);
        let optional = [
            ("loss/validation", self.val_loss),
            ("validation/accuracy", self.val_accuracy),
            ("validation/mse", self.val_mse),
        ];
        map.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_string(), v))));
        map
    }
}

/// The registry's entry (built without demonstrations, BC can only load a checkpoint and act;
/// `limbic imitate` trains it).
pub const ENTRY: AlgorithmEntry = AlgorithmEntry {
    name: "bc",
    summary: "behavioural cloning (the imitation library's loss); recurrent with policy.memory",
    params: &[
        ("learning_rate", "Adam step size"),
        ("batch_size", "transitions per minibatch"),
        ("max_epochs", "epochs fit runs at most"),
        ("ent_weight", "weight of the entropy bonus"),
        ("l2_weight", "weight of the L2 penalty sum(theta^2)/2"),
        ("validation_fraction", "share of the episodes held out for validation"),
        ("patience", "epochs without a better validation loss before stopping (0: never)"),
        ("continuous_loss", "log_likelihood or mse"),
        ("normalize_obs", "standardize observations with the demonstrations' statistics"),
        ("net_arch", "hidden layers of the policy torso"),
        ("activation", "tanh or relu"),
        ("ortho_init", "orthogonal initialization with CleanRL's gains"),
        ("log_std_init", "initial log-std of continuous actions"),
        ("seq_len", "recurrent policies: steps per training sequence"),
    ],
    defaults: || defaults_json(&BcConfig::default()),
    needs_demonstrations: true,
    memory: true,
    build: |spec, _| match spec.policy.memory.as_ref() {
        None => Ok(Box::new(Bc::<ActorCritic>::new(spec)?)),
        Some(_) => Ok(Box::new(Bc::<MemoryActorCritic>::new(spec)?)),
    },
};

/// Demonstrations packed for training: rows of `obs | encoded action` (one-hot for discrete),
/// and the rows of each episode.
#[derive(Clone, Debug, Default)]
struct Packed {
    rows: Vec<f32>,
    count: usize,
    episodes: Vec<Range<usize>>,
}

/// A behavioural-cloning learner; see the [module docs](self).
pub struct Bc<P: Policy = ActorCritic> {
    config: BcConfig,
    kind: ActionKind,
    obs_dim: usize,
    /// Leading numbers of a row `normalize_obs` standardizes (the rest are indices).
    normalizable: usize,
    seed: u64,
    device: Device,
    base: Device,
    model: P,
    optimizer: ModuleOptimizer,
    /// Minibatch order.
    rng: Generator,
    /// Statistics of the training observations (`normalize_obs`).
    obs_norm: Option<ObsNormalizer>,
    train: Packed,
    validation: Packed,
    epochs: u64,
    /// Early stopping: the best validation loss so far, its weights, epochs since.
    best_val: Option<f64>,
    /// The best epoch's weights as a burnpack record (a clone of the autodiff model itself
    /// made every later step ~100x slower on burn 0.22's flex backend).
    best_model: Option<Vec<u8>>,
    epochs_since_best: usize,
}

/// Standardized observations are clipped to +-this (`VecNormalize`'s `clip_obs`).
const OBS_CLIP: f64 = 10.0;

/// `state.json`'s format tag.
const FORMAT: &str = "limbic-bc-v2";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BcState {
    config: BcConfig,
    /// The policy's architecture ([`Policy::describe`]).
    policy: String,
    obs_dim: usize,
    param_dim: usize,
    epochs: u64,
    best_val: Option<f64>,
    epochs_since_best: usize,
    has_best_model: bool,
    obs_rms: Option<RmsState>,
    rng: RngState,
}

impl<P: BuildPolicy> Bc<P> {
    /// An untrained policy for `spec`'s spaces; give it data with [`Bc::set_demonstrations`]
    /// (or only [`Algorithm::load`] it, to act).
    pub fn new(spec: &AlgorithmSpec) -> Result<Self> {
        let config = BcConfig::from_json(spec.params)?;
        let encoder = spec.policy.encoder(spec.observation_space)?;
        let kind = ActionKind::for_space(spec.action_space)?;
        if let ActionKind::MultiDiscrete { nvec, .. } = &kind {
            return Err(invalid("bc", format!("MultiDiscrete({nvec:?}) actions: bc clones Discrete and Box actions")));
        }
        let base = Device::flex();
        let device = base.clone().autodiff();
        let mut rng = Generator::from_seed(spec.seed);
        let model = P::build(spec, &config.policy(), &mut rng, &device)?;
        // The draw that seeded the acting generator before acting moved to sessions.
        rng.next_u64();
        Ok(Bc {
            optimizer: AdamConfig::new().with_epsilon(TORCH_ADAM_EPSILON).init(),
            obs_dim: encoder.obs_dim(),
            normalizable: encoder.normalizable_dim(),
            seed: spec.seed,
            kind,
            device,
            base,
            model,
            rng,
            obs_norm: None,
            train: Packed::default(),
            validation: Packed::default(),
            epochs: 0,
            best_val: None,
            best_model: None,
            epochs_since_best: 0,
            config,
        })
    }

    /// A policy for `spec` that learns from `demos`.
    pub fn with_demonstrations(spec: &AlgorithmSpec, demos: &Demonstrations) -> Result<Self> {
        let mut bc = Bc::new(spec)?;
        bc.set_demonstrations(demos)?;
        Ok(bc)
    }
}

impl<P: Policy> Bc<P> {
    pub fn config(&self) -> &BcConfig {
        &self.config
    }

    /// Epochs trained so far.
    pub fn epochs(&self) -> u64 {
        self.epochs
    }

    /// Learns from `demos` from now on (split into train and validation episodes with the
    /// learner's seed); resets early stopping. The weights are kept (DAgger retrains this way).
    pub fn set_demonstrations(&mut self, demos: &Demonstrations) -> Result<()> {
        if demos.obs_dim() != self.obs_dim || demos.action_kind() != &self.kind {
            return Err(invalid(
                "demonstrations",
                format!(
                    "rows of {} numbers with {:?} actions; this policy reads rows of {} with {:?}",
                    demos.obs_dim(),
                    demos.action_kind(),
                    self.obs_dim,
                    self.kind
                ),
            ));
        }
        if demos.is_empty() {
            return Err(invalid("demonstrations", "no transitions"));
        }
        let (train, validation) = demos.split(self.config.validation_fraction, self.seed)?;
        if self.config.normalize_obs {
            let mut norm = ObsNormalizer::partial(self.obs_dim, self.normalizable, OBS_CLIP);
            norm.observe(train.observations())?;
            self.obs_norm = Some(norm);
        }
        (self.train, self.validation) = (self.pack(&train), self.pack(&validation));
        (self.best_val, self.best_model, self.epochs_since_best) = (None, None, 0);
        Ok(())
    }

    fn width(&self) -> usize {
        self.obs_dim + self.kind.encoded_dim()
    }

    fn pack(&self, demos: &Demonstrations) -> Packed {
        let (d, w) = (self.obs_dim, self.width());
        let mut rows = vec![0.0; demos.len() * w];
        for (i, row) in rows.chunks_exact_mut(w).enumerate() {
            match &self.obs_norm {
                Some(norm) => norm.normalize(demos.obs_row(i), &mut row[..d]),
                None => row[..d].copy_from_slice(demos.obs_row(i)),
            }
            self.kind.encode(demos.action_row(i), &mut row[d..]);
        }
        let episodes = (0..demos.num_episodes()).map(|e| demos.episode(e)).collect();
        Packed { rows, count: demos.len(), episodes }
    }

    /// Trains until `max_epochs` or early stopping, then keeps the best validation epoch's
    /// weights. Returns every epoch's metrics.
    pub fn fit(&mut self) -> Result<Vec<EpochMetrics>> {
        let mut history = Vec::new();
        for _ in 0..self.config.max_epochs {
            let metrics = self.epoch()?;
            let stop = metrics.stop;
            history.push(metrics);
            if stop {
                break;
            }
        }
        self.restore_best()?;
        Ok(history)
    }

    /// Trains `epochs` epochs, without early stopping (DAgger's rounds).
    pub fn train_epochs(&mut self, epochs: usize) -> Result<Vec<EpochMetrics>> {
        (0..epochs).map(|_| self.epoch()).collect()
    }

    /// Puts the best validation epoch's weights back (nothing without a validation set).
    pub fn restore_best(&mut self) -> Result<()> {
        if let Some(best) = self.best_model.take() {
            self.model = self.model_from_bytes(best, "the best epoch's weights")?;
        }
        Ok(())
    }

    fn model_bytes(&self) -> Result<Vec<u8>> {
        let bytes = self.model.valid().into_record().into_bytes();
        Ok(bytes.map_err(|e| AgentError::Io(format!("cannot encode the policy: {e:?}")))?.to_vec())
    }

    fn model_from_bytes(&self, bytes: Vec<u8>, what: &str) -> Result<P> {
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
            .map_err(|e| AgentError::Io(format!("{what}: not a model record: {e:?}")))?;
        self.model.clone().try_load_record(record).map_err(|e| AgentError::Io(format!("{what}: {e:?}")))
    }

    /// One pass over the training demonstrations in shuffled minibatches (of transitions, or
    /// of sequences for a recurrent policy), then validation.
    pub fn epoch(&mut self) -> Result<EpochMetrics> {
        if self.train.count == 0 {
            return Err(AgentError::Unsupported(
                "bc learns from demonstrations: give them with Bc::set_demonstrations first".into(),
            ));
        }
        let epoch = self.epochs + 1;
        let batches = if self.model.is_recurrent() { self.sequence_batches()? } else { self.transition_batches() };
        let mut sums = [0.0f64; 4];
        for batch in &batches {
            let (loss, parts) = self.loss(batch);
            let values = download(Tensor::cat(vec![loss.clone().detach(), parts.detach()], 0))?;
            if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
                return Err(AgentError::NonFinite { update: epoch, quantity: "loss/train".into(), value: *bad as f64 });
            }
            for (sum, v) in sums.iter_mut().zip(&values) {
                *sum += *v as f64;
            }
            let grads = GradientsParams::from_grads(loss.backward(), &self.model);
            self.model = self.optimizer.step(self.config.learning_rate, self.model.clone(), grads);
        }
        self.epochs = epoch;
        let [train_loss, neglogp, entropy, l2] = sums.map(|s| s / batches.len().max(1) as f64);
        let mut metrics = EpochMetrics {
            epoch,
            train_loss,
            neglogp,
            entropy,
            l2,
            val_loss: None,
            val_accuracy: None,
            val_mse: None,
            stop: false,
        };
        if self.validation.count > 0 {
            self.validate(&mut metrics)?;
        }
        Ok(metrics)
    }

    /// Shuffled minibatches of transitions.
    fn transition_batches(&mut self) -> Vec<Batch> {
        let width = self.width();
        let mut order: Vec<usize> = (0..self.train.count).collect();
        self.rng.shuffle(&mut order);
        let mut block = Vec::new();
        order
            .chunks(self.config.batch_size)
            .map(|chunk| {
                block.clear();
                for &i in chunk {
                    block.extend_from_slice(&self.train.rows[i * width..(i + 1) * width]);
                }
                let x = Tensor::<2>::from_data(TensorData::new(block.clone(), [chunk.len(), width]), &self.device);
                Batch { x, sequence: None }
            })
            .collect()
    }

    /// Shuffled minibatches of `seq_len`-step chunks of the training episodes, each starting
    /// from the state the current policy reaches there.
    fn sequence_batches(&mut self) -> Result<Vec<Batch>> {
        let (width, s, length) = (self.width(), self.model.state_size(), self.config.seq_len);
        let unrolled = self.unroll(&self.train)?;
        let mut chunks: Vec<Chunk> = Vec::new();
        for (e, episode) in self.train.episodes.iter().enumerate() {
            for start in (0..episode.len()).step_by(length) {
                chunks.push(Chunk { env: e, start, len: length.min(episode.len() - start) });
            }
        }
        self.rng.shuffle(&mut chunks);
        let per_batch = (self.config.batch_size / length).max(1);
        let device = &self.device;
        let upload = |values: Vec<f32>, w: usize| {
            let shape = [values.len() / w.max(1), w];
            Tensor::<2>::from_data(TensorData::new(values, shape), device)
        };
        let mut batches = Vec::new();
        for group in chunks.chunks(per_batch) {
            let rows = group.len() * length;
            let (mut block, mut mask, mut starts, mut states) =
                (vec![0.0f32; rows * width], vec![0.0f32; rows], vec![0.0f32; rows], Vec::new());
            for (c, chunk) in group.iter().enumerate() {
                let first = self.train.episodes[chunk.env].start + chunk.start;
                states.extend_from_slice(&unrolled.states[first * s..(first + 1) * s]);
                for t in 0..chunk.len {
                    let (row, at) = (c * length + t, first + t);
                    block[row * width..(row + 1) * width]
                        .copy_from_slice(&self.train.rows[at * width..(at + 1) * width]);
                    mask[row] = 1.0;
                    starts[row] = (chunk.start + t == 0) as u8 as f32;
                }
            }
            let count = mask.iter().filter(|&&m| m > 0.0).count();
            batches.push(Batch {
                x: upload(block, width),
                sequence: Some(SequenceBatch {
                    length,
                    state: upload(states, s),
                    starts: upload(starts, 1),
                    mask: Tensor::from_data(TensorData::new(mask, [rows]), device),
                    count,
                }),
            });
        }
        Ok(batches)
    }

    /// The policy's inference copy unrolled over every episode of `packed` at once, from the
    /// zero state at each episode's start: the state before each row, and each row's
    /// distribution parameters (and the shared log-std).
    fn unroll(&self, packed: &Packed) -> Result<Unrolled> {
        let model = self.model.valid();
        let (d, width, s) = (self.obs_dim, self.width(), model.state_size());
        let longest = packed.episodes.iter().map(|e| e.len()).max().unwrap_or(0);
        let mut state = vec![0.0f32; packed.episodes.len() * s];
        let mut unrolled = Unrolled { states: vec![0.0; packed.count * s], ..Unrolled::default() };
        unrolled.params = vec![0.0; packed.count * self.kind.param_dim()];
        for t in 0..longest {
            let active: Vec<usize> = (0..packed.episodes.len()).filter(|&e| packed.episodes[e].len() > t).collect();
            let rows: Vec<usize> = active.iter().map(|&e| packed.episodes[e].start + t).collect();
            let obs: Vec<f32> = rows.iter().flat_map(|&r| packed.rows[r * width..r * width + d].to_vec()).collect();
            let mut before: Vec<f32> = active.iter().flat_map(|&e| state[e * s..(e + 1) * s].to_vec()).collect();
            if t == 0 {
                before.fill(0.0);
            }
            let starts = vec![t == 0; active.len()];
            let out = model.act_rows(
                &ActingRows { obs: &obs, state: &before, starts: &starts, goal: None, trace: false, envs: &[] },
                &self.base,
            )?;
            let p = self.kind.param_dim();
            for (k, (&e, &row)) in active.iter().zip(&rows).enumerate() {
                unrolled.states[row * s..(row + 1) * s].copy_from_slice(&before[k * s..(k + 1) * s]);
                unrolled.params[row * p..(row + 1) * p].copy_from_slice(out.params(k));
                state[e * s..(e + 1) * s].copy_from_slice(out.state(k));
            }
            if t == 0 {
                unrolled.log_std = out.log_std().to_vec();
            }
        }
        Ok(unrolled)
    }

    /// The loss of one minibatch and its parts `[neglogp, entropy, l2]`, over the rows that
    /// count (all of a transition batch; a sequence batch's real steps).
    fn loss(&self, batch: &Batch) -> (Tensor<1>, Tensor<1>) {
        let (d, e) = (self.obs_dim, self.kind.encoded_dim());
        let obs = batch.x.clone().narrow(1, 0, d);
        let actions = batch.x.clone().narrow(1, d, e);
        // No value heads: BC does not train them, and on burn's autodiff backend every forward
        // pass through parameters that never get a gradient leaves graph nodes behind.
        let dist = match &batch.sequence {
            Some(seq) => {
                self.model
                    .forward_sequences(SequenceInput {
                        obs,
                        length: seq.length,
                        state: Some(seq.state.clone()),
                        episode_starts: Some(seq.starts.clone()),
                        goal: None,
                        cut: None,
                        values: false,
                    })
                    .dist
            }
            None => self.model.forward(PolicyInput { values: false, ..PolicyInput::obs(obs) }).dist,
        };
        let mean_of = |x: Tensor<1>| match &batch.sequence {
            Some(seq) => (x * seq.mask.clone()).sum().div_scalar(seq.count.max(1) as f64),
            None => x.mean(),
        };
        let (neglogp, entropy) = match (&dist, self.config.continuous_loss) {
            (DistParams::Gaussian { mean, .. }, ContinuousLoss::Mse) => {
                let [b, _] = mean.dims();
                let squared = (mean.clone() - actions).square().sum_dim(1).reshape([b]);
                (mean_of(squared), Tensor::zeros([1], &self.device))
            }
            (dist, _) => {
                let (log_prob, entropy) = dist.log_prob_entropy(actions);
                (mean_of(log_prob).neg(), mean_of(entropy))
            }
        };
        let l2 = if self.config.l2_weight > 0.0 {
            let mut squares = SquaredSums(Vec::new());
            self.model.visit(&mut squares);
            Tensor::cat(squares.0, 0).sum().mul_scalar(0.5)
        } else {
            Tensor::zeros([1], &self.device)
        };
        let loss = neglogp.clone() - entropy.clone().mul_scalar(self.config.ent_weight)
            + l2.clone().mul_scalar(self.config.l2_weight);
        (loss, Tensor::cat(vec![neglogp, entropy, l2], 0))
    }

    /// The distribution parameters of every validation row (and the shared log-std).
    fn validation_params(&self) -> Result<Unrolled> {
        if self.model.is_recurrent() {
            return self.unroll(&self.validation);
        }
        let (d, width) = (self.obs_dim, self.width());
        let model = self.model.valid();
        let mut unrolled = Unrolled::default();
        for rows in self.validation.rows.chunks(4096 * width) {
            let count = rows.len() / width;
            let x = Tensor::<2>::from_data(TensorData::new(rows.to_vec(), [count, width]), &self.base);
            let out = model.forward(PolicyInput { values: false, ..PolicyInput::obs(x.narrow(1, 0, d)) });
            let (params, log_std) = out.dist.into_parts();
            unrolled.params.extend(download(params)?);
            unrolled.log_std = log_std.map(download).transpose()?.unwrap_or_default();
        }
        Ok(unrolled)
    }

    /// Validation loss, accuracy or MSE into `metrics`; early-stopping bookkeeping.
    fn validate(&mut self, metrics: &mut EpochMetrics) -> Result<()> {
        let (d, e) = (self.obs_dim, self.kind.encoded_dim());
        let width = d + e;
        let unrolled = self.validation_params()?;
        let (mut nll, mut hits, mut squared) = (0.0f64, 0usize, 0.0f64);
        let mut scratch = vec![0.0f64; e];
        for (row, p) in self.validation.rows.chunks_exact(width).zip(unrolled.params.chunks_exact(e)) {
            let action = &row[d..];
            match self.kind {
                ActionKind::Discrete { .. } => {
                    distributions::log_softmax_row(p, &mut scratch);
                    let taken = action.iter().position(|&x| x == 1.0).unwrap_or(0);
                    nll -= scratch[taken];
                    let (best, _) = distributions::categorical_mode(p, &mut scratch);
                    hits += (best == taken) as usize;
                }
                ActionKind::Continuous { .. } | ActionKind::MultiDiscrete { .. } => {
                    nll -= distributions::gaussian_log_prob(action, p, &unrolled.log_std) as f64;
                    squared += action.iter().zip(p).map(|(a, m)| ((a - m) as f64).powi(2)).sum::<f64>();
                }
            }
        }
        let n = self.validation.count as f64;
        let val_loss = match (self.kind.clone(), self.config.continuous_loss) {
            (ActionKind::Continuous { .. }, ContinuousLoss::Mse) => squared / n,
            _ => nll / n,
        };
        if !val_loss.is_finite() {
            return Err(AgentError::NonFinite {
                update: metrics.epoch,
                quantity: "loss/validation".into(),
                value: val_loss,
            });
        }
        metrics.val_loss = Some(val_loss);
        match self.kind {
            ActionKind::Discrete { .. } => metrics.val_accuracy = Some(hits as f64 / n),
            ActionKind::Continuous { .. } | ActionKind::MultiDiscrete { .. } => {
                metrics.val_mse = Some(squared / (n * e as f64))
            }
        }
        if self.best_val.is_none_or(|best| val_loss < best) {
            (self.best_val, self.best_model, self.epochs_since_best) = (Some(val_loss), Some(self.model_bytes()?), 0);
        } else {
            self.epochs_since_best += 1;
        }
        metrics.stop = self.config.patience > 0 && self.epochs_since_best >= self.config.patience;
        Ok(())
    }
}

/// One minibatch: `[B, obs | action]` rows, and for sequences their layout.
struct Batch {
    x: Tensor<2>,
    sequence: Option<SequenceBatch>,
}

/// Chunks of `length` rows: the state before each, episode starts, the mask of real steps.
struct SequenceBatch {
    length: usize,
    state: Tensor<2>,
    starts: Tensor<2>,
    mask: Tensor<1>,
    count: usize,
}

/// What an unrolled policy gives per demonstration row.
#[derive(Default)]
struct Unrolled {
    /// `[M, S]` the state before the row.
    states: Vec<f32>,
    /// `[M, P]` logits or means.
    params: Vec<f32>,
    log_std: Vec<f32>,
}

/// `sum(theta^2)` of every parameter, one `[1]` tensor each (inside the autodiff graph).
struct SquaredSums(Vec<Tensor<1>>);

impl ModuleVisitor for SquaredSums {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        let len = value.shape().num_elements();
        self.0.push(value.reshape([len]).square().sum());
    }
}

impl<P: Policy> Algorithm for Bc<P> {
    fn name(&self) -> &'static str {
        "bc"
    }

    /// One epoch over the demonstrations; `envs` is not used (0 env steps).
    fn update(&mut self, _envs: &mut VecEnv) -> Result<Update> {
        let metrics = self.epoch()?;
        Ok(Update { env_steps: 0, metrics: metrics.to_map() })
    }

    fn policy(&self) -> Result<Box<dyn Acting>> {
        Ok(Box::new(PolicyActing {
            model: self.model.valid(),
            kind: self.kind.clone(),
            obs_norm: self.obs_norm.clone(),
            obs_dim: self.obs_dim,
            device: self.base.clone(),
        }))
    }

    fn save(&self, dir: &Path) -> Result<()> {
        let mut writer = CheckpointWriter::new(dir)?;
        writer.module("bc_model.bpk", &self.model)?;
        writer.optimizer("bc_optimizer.bpk", &self.optimizer)?;
        if let Some(best) = &self.best_model {
            writer.bytes("bc_best.bpk", best)?;
        }
        let state = BcState {
            config: self.config.clone(),
            policy: self.model.describe(),
            obs_dim: self.obs_dim,
            param_dim: self.kind.param_dim(),
            epochs: self.epochs,
            best_val: self.best_val,
            epochs_since_best: self.epochs_since_best,
            has_best_model: self.best_model.is_some(),
            obs_rms: self.obs_norm.as_ref().map(ObsNormalizer::state),
            rng: RngState::of(&self.rng),
        };
        writer.finish(FORMAT, &state)
    }

    fn load(&mut self, dir: &Path) -> Result<()> {
        let (reader, state) = CheckpointReader::open::<BcState>(dir, FORMAT)?;
        let state_path = reader.path(STATE_FILE);
        let policy = self.model.describe();
        if state.policy != policy {
            let message = format!("saved with a {} policy, this one is {policy}", state.policy);
            return Err(checkpoint_error(&state_path, message));
        }
        let (saved, this) = ((state.obs_dim, state.param_dim), (self.obs_dim, self.kind.param_dim()));
        if saved != this {
            let message = format!("saved for (obs_dim, action params) = {saved:?}, this policy has {this:?}");
            return Err(checkpoint_error(&state_path, message));
        }
        check_same_config(&state_path, &state.config, &self.config)?;
        let model = reader.module("bc_model.bpk", self.model.clone())?;
        let optimizer = reader.optimizer("bc_optimizer.bpk", self.optimizer.clone())?;
        let best_model = if state.has_best_model {
            let best = reader.module("bc_best.bpk", self.model.clone())?;
            Some(best.into_record().into_bytes().map_err(|e| checkpoint_error(&state_path, format!("{e:?}")))?.to_vec())
        } else {
            None
        };
        let obs_norm = match &state.obs_rms {
            Some(saved) => {
                let mut norm = ObsNormalizer::partial(self.obs_dim, self.normalizable, OBS_CLIP);
                norm.load(saved).map_err(|e| checkpoint_error(&state_path, e.to_string()))?;
                Some(norm)
            }
            None => None,
        };
        let rng = state.rng.restore(&state_path)?;
        self.obs_norm = obs_norm;
        (self.model, self.optimizer, self.best_model) = (model, optimizer, best_model);
        (self.rng, self.epochs) = (rng, state.epochs);
        (self.best_val, self.epochs_since_best) = (state.best_val, state.epochs_since_best);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imitation::fixtures::{cartpole_expert, mean_return, mountain_car_expert, record};
    use crate::nets::EncoderKind;
    use crate::policies::acting::act_once;
    use limbic_environments::Value;
    use limbic_environments::{Env, Kwargs, Space};

    fn spaces(id: &str) -> (Space, Space) {
        let env = limbic_environments::make(id, &Kwargs::new()).unwrap();
        (env.flat_space().clone(), env.action_space().clone())
    }

    fn spec<'a>(params: &'a serde_json::Value, spaces: &'a (Space, Space), seed: u64) -> AlgorithmSpec<'a> {
        AlgorithmSpec {
            algo: "bc",
            params,
            policy: &crate::policies::FEED_FORWARD,
            observation_space: &spaces.0,
            action_space: &spaces.1,
            num_envs: 1,
            total_steps: 0,
            seed,
        }
    }

    /// Share of `demos`' states where the policy's deterministic action is the demonstrated one
    /// (continuous: of the same sign).
    fn agreement(bc: &Bc, demos: &Demonstrations) -> f64 {
        let actions = act_once(bc, demos.observations(), true);
        let same = actions.iter().enumerate().filter(|(i, a)| match a {
            Value::Int(a) => *a as f32 == demos.action_row(*i)[0],
            Value::F32(v) => v[0].signum() == demos.action_row(*i)[0].signum(),
            _ => false,
        });
        same.count() as f64 / demos.len() as f64
    }

    #[test]
    fn clones_the_cartpole_expert() {
        let spaces = spaces("CartPole-v1");
        let (demos, _) = record("CartPole-v1", 4, 0, cartpole_expert);
        let (held_out, _) = record("CartPole-v1", 2, 100, cartpole_expert);
        let params = serde_json::json!({"max_epochs": 60, "validation_fraction": 0.25, "patience": 10});
        let mut bc: Bc = Bc::with_demonstrations(&spec(&params, &spaces, 0), &demos).unwrap();
        let before = agreement(&bc, &held_out);
        let t0 = std::time::Instant::now();
        let history = bc.fit().unwrap();
        eprintln!("fit took {:?}", t0.elapsed());
        let (first, last) = (&history[0], history.last().unwrap());
        let best = history.iter().min_by(|a, b| a.val_loss.partial_cmp(&b.val_loss).unwrap()).unwrap();
        eprintln!("BC CartPole: {first:?}\n -> {last:?}\n best {best:?}");
        assert!(last.train_loss < 0.5 * first.train_loss, "{first:?} -> {last:?}");
        assert!(best.val_accuracy.unwrap() > 0.95, "{best:?}");
        let after = agreement(&bc, &held_out);
        eprintln!("held-out agreement {before:.3} -> {after:.3}");
        assert!(after > 0.95, "{after}");
        assert!(mean_return(&bc, "CartPole-v1", 2, 1000) > 400.0);
    }

    #[test]
    fn clones_the_mountain_car_continuous_expert() {
        let spaces = spaces("MountainCarContinuous-v0");
        let (demos, _) = record("MountainCarContinuous-v0", 6, 0, mountain_car_expert);
        let (held_out, _) = record("MountainCarContinuous-v0", 2, 100, mountain_car_expert);
        for loss in ["log_likelihood", "mse"] {
            let params = serde_json::json!({"max_epochs": 40, "continuous_loss": loss});
            let mut bc: Bc = Bc::with_demonstrations(&spec(&params, &spaces, 0), &demos).unwrap();
            let history = bc.fit().unwrap();
            let (first, last) = (&history[0], history.last().unwrap());
            let best = history.iter().min_by(|a, b| a.val_loss.partial_cmp(&b.val_loss).unwrap()).unwrap();
            eprintln!("BC MountainCarContinuous ({loss}): {first:?}\n -> {last:?}\n best {best:?}");
            assert!(last.train_loss < first.train_loss - 0.5, "{loss}: {first:?} -> {last:?}");
            assert!(best.val_mse.unwrap() < 0.3, "{loss}: {best:?}");
            let after = agreement(&bc, &held_out);
            assert!(after > 0.9, "{loss}: {after}");
        }
    }

    #[test]
    fn early_stopping_keeps_the_best_validation_epoch() {
        let spaces = spaces("CartPole-v1");
        let (demos, _) = record("CartPole-v1", 2, 0, cartpole_expert);
        // Validation labels are the opposite action: learning the expert makes them worse.
        let mut flipped = demos.clone();
        flipped.actions.iter_mut().for_each(|a| *a = 1.0 - *a);
        let params = serde_json::json!({"max_epochs": 50, "validation_fraction": 0.0, "patience": 2});
        let mut bc: Bc = Bc::with_demonstrations(&spec(&params, &spaces, 0), &demos).unwrap();
        bc.validation = bc.pack(&flipped);
        let history = bc.fit().unwrap();
        let losses: Vec<f64> = history.iter().map(|m| m.val_loss.unwrap()).collect();
        assert_eq!(history.len(), 3, "stops after 2 epochs without improvement: {losses:?}");
        assert!(history[2].stop && !history[1].stop);
        assert!(losses[1] > losses[0] && losses[2] > losses[0], "{losses:?}");
        // The best (first) epoch's weights are back: its validation loss again.
        let mut check = history[0].clone();
        bc.best_val = None;
        bc.validate(&mut check).unwrap();
        assert!((check.val_loss.unwrap() - losses[0]).abs() < 1e-9, "{check:?} vs {losses:?}");
    }

    #[test]
    fn checkpoint_restores_exactly() {
        let spaces = spaces("CartPole-v1");
        let (demos, _) = record("CartPole-v1", 3, 0, cartpole_expert);
        let params = serde_json::json!({"l2_weight": 1e-4, "validation_fraction": 0.34});
        let mut a: Bc = Bc::with_demonstrations(&spec(&params, &spaces, 5), &demos).unwrap();
        a.train_epochs(2).unwrap();
        let dir = crate::core::checkpoint::tests::scratch_dir("bc");
        a.save(&dir).unwrap();
        let mut b: Bc = Bc::with_demonstrations(&spec(&params, &spaces, 99), &demos).unwrap();
        b.set_demonstrations(&demos).unwrap();
        b.load(&dir).unwrap();
        assert_eq!(b.epochs(), 2);
        let obs = demos.observations()[..40].to_vec();
        assert_eq!(act_once(&a, &obs, false), act_once(&b, &obs, false));
        // Training goes on identically (same minibatch order, Adam moments, weights). The
        // split of `b` used another seed, so give both the same data again.
        let (train, _) = demos.split(0.34, 5).unwrap();
        a.train = a.pack(&train);
        b.train = b.pack(&train);
        b.validation = a.validation.clone();
        assert_eq!(a.epoch().unwrap(), b.epoch().unwrap());
        assert_eq!(act_once(&a, &obs, true), act_once(&b, &obs, true));
        // What `limbic eval` does: build by name, load, act.
        a.save(&dir).unwrap();
        let mut built = crate::core::algorithm::build(&spec(&params, &spaces, 1)).unwrap();
        built.load(&dir).unwrap();
        assert_eq!(built.name(), "bc");
        assert_eq!(act_once(&a, &obs, true), act_once(built.as_ref(), &obs, true));
        // Loading into another architecture or from a damaged file is an error naming it.
        let other = serde_json::json!({"net_arch": [8]});
        let mut c: Bc = Bc::<ActorCritic>::new(&spec(&other, &spaces, 0)).unwrap();
        assert!(c.load(&dir).unwrap_err().to_string().contains("net_arch"));
        std::fs::write(dir.join("bc_model.bpk"), b"oops").unwrap();
        assert!(b.load(&dir).unwrap_err().to_string().contains("bc_model.bpk"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn clones_the_doorkey_expert_through_the_image_encoder() {
        use limbic_environments::gridworld::{self, experts};
        let id = "MiniGrid-DoorKey-5x5-v0";
        let mut env = gridworld::make(id, &Kwargs::new()).unwrap();
        let spaces = (env.flat_space().clone(), env.action_space().clone());
        let mut expert = experts::expert_for(id).unwrap();
        let d = env.flat_space().flat_dim().unwrap();
        let mut demos = Demonstrations::empty(d, ActionKind::for_space(&spaces.1).unwrap()).unwrap();
        for seed in 0..12 {
            let mut obs = vec![0.0; d];
            env.reset_into(Some(seed), &mut obs).unwrap();
            expert.reset();
            let mut first = true;
            loop {
                let action = Value::Int(expert.act(env.world()) as i64);
                let before = obs.clone();
                let t = env.step_into(&action, &mut obs).unwrap();
                demos.push(first, &before, &action, t.reward, &obs, t.terminated, t.truncated).unwrap();
                first = false;
                if t.done() {
                    break;
                }
            }
        }
        let params = serde_json::json!({"max_epochs": 60, "learning_rate": 3e-3, "validation_fraction": 0.0});
        let mut bc: Bc = Bc::with_demonstrations(&spec(&params, &spaces, 0), &demos).unwrap();
        assert_eq!(EncoderKind::for_space(&spaces.0).unwrap(), EncoderKind::MiniGrid { view: 7 });
        let history = bc.fit().unwrap();
        let (first, last) = (&history[0], history.last().unwrap());
        assert!(last.train_loss < 0.3 * first.train_loss, "{first:?} -> {last:?}");
        let fitted = agreement(&bc, &demos);
        eprintln!(
            "DoorKey-5x5: {} transitions, loss {:.3} -> {:.3}, agreement {fitted:.3}",
            demos.len(),
            first.train_loss,
            last.train_loss
        );
        assert!(fitted > 0.9, "{fitted}");
    }

    #[test]
    fn config_and_data_errors() {
        let spaces = spaces("CartPole-v1");
        let error = Bc::<ActorCritic>::new(&spec(&serde_json::json!({"ent_weigth": 0.1}), &spaces, 0))
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("ent_weigth") && error.contains("ent_weight"), "{error}");
        let error = Bc::<ActorCritic>::new(&spec(&serde_json::json!({"l2_weight": -1.0}), &spaces, 0))
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("l2_weight"), "{error}");
        let mut bc = Bc::<ActorCritic>::new(&spec(&serde_json::json!({}), &spaces, 0)).unwrap();
        assert!(bc.epoch().unwrap_err().to_string().contains("demonstrations"));
        let (demos, _) = record("MountainCarContinuous-v0", 1, 0, mountain_car_expert);
        let error = bc.set_demonstrations(&demos).unwrap_err().to_string();
        assert!(error.contains("rows of 2") && error.contains("rows of 4"), "{error}");
    }
}
