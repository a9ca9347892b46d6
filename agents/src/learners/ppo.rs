//! Proximal Policy Optimization (Schulman et al. 2017), as Stable-Baselines3 and CleanRL
//! implement it, for Discrete and float32 Box action spaces, on any [`Policy`]: feed-forward,
//! or with working memory (recurrent PPO on sequences).
//!
//! Two parts that stand alone:
//! - [`PpoLearner`] trains on a collected [`RolloutBuffer`] and owns the model and the
//!   optimizer; it knows nothing of envs, so a hierarchy can train a manager and a worker with
//!   two of them and a world model can feed it imagined rollouts;
//! - [`Ppo`], the [`Algorithm`], collects with its own acting session through the env runner
//!   and hands each rollout to its learner.
//!
//! One update ([`Ppo::update`]) reads top to bottom:
//! 1. rollout: `n_steps` vector steps with the current policy ([`collect_rollout`]);
//! 2. the reward shaper's streams, if any; schedules (learning rate and clip range, linearly
//!    annealed over the run's `total_steps`);
//! 3. GAE per stream (terminations do not bootstrap, truncations bootstrap from the final
//!    observation);
//! 4. `n_epochs` passes over the rollout in shuffled minibatches of `batch_size` steps, each
//!    one tensor upload: clipped surrogate, (optionally clipped) value loss, entropy bonus, the
//!    policy's own auxiliary losses, global-norm gradient clipping, an Adam step; early stop
//!    when the KL estimate exceeds `1.5 * target_kl` (SB3's rule);
//! 5. diagnostics, and a check that nothing became NaN or infinite.
//!
//! **Recurrent policies** train on sequence minibatches: each env's rollout is cut into chunks
//! of `seq_len` steps (the whole rollout by default); a minibatch holds `batch_size / seq_len`
//! chunks; each chunk starts from the state its first step had in the rollout and resets it
//! where an episode starts inside the chunk; with `burn_in`, the `burn_in` steps before the
//! chunk (where the rollout has them) are unrolled first to refresh that state, with their
//! gradient cut. Padding, burn-in steps and reset slots are masked out of every loss, of the
//! advantage standardization and of every statistic.
//!
//! **Metrics** ([`Update::metrics`], averaged over the update's minibatches as SB3 logs them):
//! `loss/policy`, `loss/value`, `loss/entropy` (minus the mean entropy), `entropy`,
//! `approx_kl`, `clip_fraction`, `grad_norm` (before clipping), `gradient_steps`,
//! `stopped_early`, `learning_rate`, `clip_range`, `explained_variance` (absent when the
//! returns do not vary), and `loss/<name>` for each auxiliary loss. NaN or infinity in a loss,
//! the gradient norm or the parameters stops training with [`AgentError::NonFinite`].
//!
//! **Reward shapers** ([`crate::shaping`]): the critic gets one value head per stream; the
//! shaper observes every vector step and then replaces the rollout's rewards `[T, N, K]`; GAE
//! discounts stream 0 with `gamma` and stream k with its own; each slot's advantage is
//! `sum_k advantage_coef_k * A_k` before standardization.
//!
//! **Checkpoints**: `ppo_model.bpk`, `ppo_optimizer.bpk` and `state.json` through the shared
//! [`CheckpointWriter`] (every file checksummed), the shaper's state in `rewards/`. The state
//! holds the config, the policy's architecture, counters, the minibatch generator, the
//! collection session (its recurrent states and generator) and the normalizers: `load` then
//! `update` continues bit for bit, mid-episode included.
//!
//! **Determinism.** Weights are drawn from the seed's [`Generator`], minibatch order from it
//! too, actions from the collection session's own generator; burn's global RNG is never used.

use crate::buffers::normalize::{ObsNormalizer, RewardNormState, RewardNormalizer, RmsState};
use crate::buffers::rollout::{collect_rollout_with, Chunk, Discount, RolloutBuffer};
use crate::core::algorithm::{defaults_json, Algorithm, AlgorithmEntry, AlgorithmSpec, Update};
use crate::core::checkpoint::{check_same_config, checkpoint_error, CheckpointReader, CheckpointWriter, RngState};
use crate::core::config::{at_least_one, invalid, parse_config, positive, unit};
use crate::core::optim::{check_finite, check_parameters, clip_grad_norm, Means};
use crate::error::Result;
use crate::nets::{self, Activation};
use crate::policies::{
    Acted, Acting, ActionKind, Actor, ActorCritic, BuildPolicy, MemoryActorCritic, Policy, PolicyActing, PolicyConfig,
    PolicyInput, PolicyOutput, SequenceInput, SessionState,
};
use crate::runner::{EnvRunner, StepBatch};
use crate::shaping::{RewardShaper, SHAPER_DIR};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use limbic_environments::rng::Generator;
use limbic_environments::vector::VecEnv;
use limbic_environments::Env;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// PPO hyperparameters, with Stable-Baselines3's names and defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PpoConfig {
    /// Adam step size (the initial one when `anneal_lr`).
    pub learning_rate: f64,
    /// Vector steps per rollout; a rollout holds `n_steps * num_envs` env steps.
    pub n_steps: usize,
    /// Minibatch size in steps (the last minibatch of an epoch may be smaller).
    pub batch_size: usize,
    /// Passes over each rollout.
    pub n_epochs: usize,
    /// Discount factor.
    pub gamma: f64,
    /// GAE lambda: bias/variance trade-off of the advantage estimate.
    pub gae_lambda: f64,
    /// Surrogate clipping: the probability ratio is kept within `1 ± clip_range` (the initial
    /// value when `anneal_clip`).
    pub clip_range: f64,
    /// Value clipping around the rollout's value estimates (SB3: off when absent).
    pub clip_range_vf: Option<f64>,
    /// Entropy bonus coefficient.
    pub ent_coef: f64,
    /// Value loss coefficient.
    pub vf_coef: f64,
    /// Maximum global norm of the gradient (all parameters together).
    pub max_grad_norm: f64,
    /// Stop an update's epochs when the approximate KL divergence exceeds `1.5 * target_kl`.
    pub target_kl: Option<f64>,
    /// Standardize advantages per minibatch.
    pub normalize_advantage: bool,
    /// Standardize each reward stream's advantages per minibatch before the weighted sum, so
    /// a stream's `advantage_coef`, not the scale of its rewards, sets its share (a raw env
    /// reward of -1 per step otherwise drowns a normalized bonus in its critic's errors).
    pub per_stream_advantage: bool,
    /// Standardize observations with running statistics (SB3's `VecNormalize(norm_obs)`).
    pub normalize_obs: bool,
    /// Scale rewards by the running std of the discounted return (`VecNormalize(norm_reward)`).
    pub normalize_reward: bool,
    /// Clip normalized observations to `±clip_obs`.
    pub clip_obs: f64,
    /// Clip normalized rewards to `±clip_reward`.
    pub clip_reward: f64,
    /// Anneal the learning rate linearly to 0 over the run's `total_steps` (rl-zoo's `lin_<lr>`).
    pub anneal_lr: bool,
    /// Anneal the clip range linearly to 0 over the run's `total_steps` (rl-zoo's `lin_<clip>`).
    pub anneal_clip: bool,
    /// Hidden layers of the actor and of the critic (separate networks).
    pub net_arch: Vec<usize>,
    /// `tanh` or `relu`.
    pub activation: Activation,
    /// Orthogonal initialization with CleanRL's gains; PyTorch's default otherwise.
    pub ortho_init: bool,
    /// Initial log-std of continuous actions.
    pub log_std_init: f64,
    /// Adam's epsilon (SB3 and CleanRL use 1e-5 for PPO).
    pub adam_epsilon: f64,
    /// Value heads K, one per reward stream (stream 0 = the env's reward).
    pub value_streams: usize,
    /// Recurrent policies: steps per training sequence (absent: the whole rollout, `n_steps`).
    pub seq_len: Option<usize>,
    /// Recurrent policies: steps before each sequence unrolled to refresh its state (their
    /// gradient cut; 0 = start from the state the rollout recorded).
    pub burn_in: usize,
}

impl Default for PpoConfig {
    fn default() -> Self {
        PpoConfig {
            learning_rate: 3e-4,
            n_steps: 2048,
            batch_size: 64,
            n_epochs: 10,
            gamma: 0.99,
            gae_lambda: 0.95,
            clip_range: 0.2,
            clip_range_vf: None,
            ent_coef: 0.0,
            vf_coef: 0.5,
            max_grad_norm: 0.5,
            target_kl: None,
            normalize_advantage: true,
            per_stream_advantage: false,
            normalize_obs: false,
            normalize_reward: false,
            clip_obs: 10.0,
            clip_reward: 10.0,
            anneal_lr: false,
            anneal_clip: false,
            net_arch: vec![64, 64],
            activation: Activation::Tanh,
            ortho_init: true,
            log_std_init: 0.0,
            adam_epsilon: 1e-5,
            value_streams: 1,
            seq_len: None,
            burn_in: 0,
        }
    }
}

/// The registry's entry.
pub const ENTRY: AlgorithmEntry = AlgorithmEntry {
    name: "ppo",
    summary: "Proximal Policy Optimization (Schulman et al. 2017), SB3's names and defaults; \
              recurrent with policy.memory",
    params: &[
        ("learning_rate", "Adam step size (the initial one with anneal_lr)"),
        ("n_steps", "vector steps per rollout"),
        ("batch_size", "minibatch size in steps"),
        ("n_epochs", "passes over each rollout"),
        ("gamma", "discount factor"),
        ("gae_lambda", "GAE lambda"),
        ("clip_range", "surrogate clipping: ratio within 1 +- clip_range"),
        ("clip_range_vf", "value clipping around the rollout's values (null: none)"),
        ("ent_coef", "entropy bonus coefficient"),
        ("vf_coef", "value loss coefficient"),
        ("max_grad_norm", "maximum global norm of the gradient"),
        ("target_kl", "stop an update's epochs when approx KL > 1.5 target_kl (null: never)"),
        ("normalize_advantage", "standardize advantages per minibatch"),
        (
            "per_stream_advantage",
            "standardize each reward stream's advantages per minibatch before their weighted sum (advantage_coef sets the shares)",
        ),
        ("normalize_obs", "standardize observations with running statistics"),
        ("normalize_reward", "scale rewards by the running std of the discounted return"),
        ("clip_obs", "clip normalized observations to +-clip_obs"),
        ("clip_reward", "clip normalized rewards to +-clip_reward"),
        ("anneal_lr", "anneal the learning rate linearly to 0 over the run"),
        ("anneal_clip", "anneal the clip range linearly to 0 over the run"),
        ("net_arch", "hidden layers of the actor and of the critic"),
        ("activation", "tanh or relu"),
        ("ortho_init", "orthogonal initialization with CleanRL's gains"),
        ("log_std_init", "initial log-std of continuous actions"),
        ("adam_epsilon", "Adam's epsilon"),
        ("value_streams", "value heads, one per reward stream"),
        ("seq_len", "recurrent policies: steps per training sequence (null: n_steps)"),
        ("burn_in", "recurrent policies: steps unrolled before each sequence to refresh its state"),
    ],
    defaults: || defaults_json(&PpoConfig::default()),
    needs_demonstrations: false,
    memory: true,
    build: |spec, shaper| match spec.policy.memory.as_ref() {
        None => Ok(Box::new(Ppo::<ActorCritic>::with_shaper(spec, shaper)?)),
        Some(_) => Ok(Box::new(Ppo::<MemoryActorCritic>::with_shaper(spec, shaper)?)),
    },
};

impl PpoConfig {
    /// Reads a JSON object; absent keys take their defaults, an unknown key is an error that
    /// lists the valid ones.
    pub fn from_json(params: &serde_json::Value) -> Result<Self> {
        let config: PpoConfig = parse_config("ppo", params)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        at_least_one("n_steps", self.n_steps as u64)?;
        at_least_one("batch_size", self.batch_size as u64)?;
        at_least_one("n_epochs", self.n_epochs as u64)?;
        at_least_one("value_streams", self.value_streams as u64)?;
        positive("learning_rate", self.learning_rate)?;
        positive("clip_range", self.clip_range)?;
        positive("max_grad_norm", self.max_grad_norm)?;
        unit("gamma", self.gamma)?;
        unit("gae_lambda", self.gae_lambda)?;
        self.clip_range_vf.map(|c| positive("clip_range_vf", c)).transpose()?;
        self.target_kl.map(|k| positive("target_kl", k)).transpose()?;
        crate::core::config::layer_widths("net_arch", &self.net_arch)?;
        if let Some(len) = self.seq_len {
            if len == 0 || len > self.n_steps {
                return Err(invalid(
                    "seq_len",
                    format!("{len}: a training sequence needs 1 to n_steps ({}) steps", self.n_steps),
                ));
            }
        }
        if self.burn_in >= self.n_steps {
            return Err(invalid("burn_in", format!("{} must be below n_steps ({})", self.burn_in, self.n_steps)));
        }
        Ok(())
    }

    /// The actor-critic networks these hyperparameters describe.
    pub fn policy(&self) -> PolicyConfig {
        PolicyConfig {
            net_arch: self.net_arch.clone(),
            activation: self.activation,
            ortho_init: self.ortho_init,
            value_streams: self.value_streams,
            goal_dim: 0,
            log_std_init: self.log_std_init,
        }
    }

    /// Steps per training sequence.
    pub fn sequence_length(&self) -> usize {
        self.seq_len.unwrap_or(self.n_steps)
    }
}

/// PPO's update on collected rollouts: the model, its optimizer, and the loss. Knows nothing
/// of envs.
pub struct PpoLearner<P: Policy> {
    pub config: PpoConfig,
    /// The trained model, on the autodiff device.
    pub model: P,
    /// Its Adam state (checkpoints save it).
    pub optimizer: ModuleOptimizer,
    kind: ActionKind,
    device: Device,
    /// Weight of each stream's advantages.
    advantage_coefs: Vec<f64>,
}

/// One minibatch, uploaded.
struct Minibatch {
    rows: usize,
    obs: Tensor<2>,
    /// `[B, G]` the goals (options) acted with, for a goal-conditioned policy.
    goals: Option<Tensor<2>>,
    actions: Tensor<2>,
    old_log_probs: Tensor<1>,
    advantages: Tensor<1>,
    returns: Tensor<2>,
    old_values: Tensor<2>,
    /// `[B]` 1 where a row counts (sequences: not padding, burn-in or a reset slot).
    mask: Option<(Tensor<1>, Vec<bool>)>,
    /// Sequences: chunk length, initial states, starts and gradient cuts.
    sequence: Option<(usize, Tensor<2>, Tensor<2>, Option<Tensor<2>>)>,
}

impl<P: Policy> PpoLearner<P> {
    /// A learner for `model` (on `device`, an autodiff device).
    pub fn new(config: PpoConfig, model: P, kind: ActionKind, advantage_coefs: Vec<f64>, device: Device) -> Self {
        let optimizer = AdamConfig::new().with_epsilon(config.adam_epsilon as f32).init();
        PpoLearner { config, model, optimizer, kind, device, advantage_coefs }
    }

    /// `n_epochs` passes over `buffer` (GAE already computed) in shuffled minibatches, drawing
    /// their order from `rng`; `update` numbers the update for errors. Returns the averaged
    /// diagnostics.
    pub fn learn(
        &mut self,
        buffer: &RolloutBuffer,
        rng: &mut Generator,
        learning_rate: f64,
        clip_range: f64,
        update: u64,
    ) -> Result<BTreeMap<String, f64>> {
        let mut means = Means::default();
        let mut stopped_early = false;
        if self.model.is_recurrent() {
            let length = self.config.sequence_length();
            let mut chunks = buffer.chunks(length);
            let per_batch = (self.config.batch_size / length).max(1);
            'sequences: for _ in 0..self.config.n_epochs {
                rng.shuffle(&mut chunks);
                for group in chunks.chunks(per_batch) {
                    let batch = self.pack_sequences(buffer, group, length);
                    if self.step(batch, learning_rate, clip_range, update, &mut means)? {
                        stopped_early = true;
                        break 'sequences;
                    }
                }
            }
        } else {
            let mut slots = buffer.valid_slots();
            let mut packed = Vec::new();
            'epochs: for _ in 0..self.config.n_epochs {
                rng.shuffle(&mut slots);
                for chunk in slots.chunks(self.config.batch_size) {
                    let batch = self.pack_transitions(buffer, chunk, &mut packed);
                    if self.step(batch, learning_rate, clip_range, update, &mut means)? {
                        stopped_early = true;
                        break 'epochs;
                    }
                }
            }
        }
        let mut metrics = BTreeMap::new();
        metrics.insert("gradient_steps".into(), means.count("grad_norm") as f64);
        metrics.insert("stopped_early".into(), stopped_early as u8 as f64);
        metrics.insert("entropy".into(), -means.mean("loss/entropy"));
        means.write_into(&mut metrics);
        Ok(metrics)
    }

    /// The advantage of each slot summed over streams with their coefficients (each stream
    /// standardized first when `per_stream_advantage`), standardized over `counted` when
    /// `normalize_advantage`.
    fn advantages(&self, buffer: &RolloutBuffer, slots: &[usize], counted: &[bool]) -> Vec<f32> {
        let k = buffer.streams;
        let kept =
            |values: &[f64]| -> Vec<f64> { values.iter().zip(counted).filter(|(_, &c)| c).map(|(&a, _)| a).collect() };
        let mut sums = vec![0.0; slots.len()];
        for (j, &coef) in self.advantage_coefs.iter().enumerate().take(k) {
            let values: Vec<f64> = slots.iter().map(|&s| buffer.advantages[s * k + j] as f64).collect();
            let (mean, scale) =
                if self.config.per_stream_advantage { standardizer(&kept(&values)) } else { (0.0, 1.0) };
            for (sum, a) in sums.iter_mut().zip(values) {
                *sum += coef * (a - mean) * scale;
            }
        }
        let kept = kept(&sums);
        let (mean, std) = mean_std(&kept);
        let standardize = self.config.normalize_advantage && kept.len() > 1;
        sums.iter().map(|&a| if standardize { ((a - mean) / (std + 1e-8)) as f32 } else { a as f32 }).collect()
    }

    /// Writes slot `s`'s row `[obs D | goal G | action E | log-prob | advantage | returns K |
    /// values K]` (the obs and goal together are the policy's input `[D + G]`).
    fn write_row(&self, buffer: &RolloutBuffer, s: usize, advantage: f32, row: &mut [f32]) {
        let (d, k, e, g) = (buffer.obs_dim, buffer.streams, self.kind.encoded_dim(), buffer.goal_dim);
        row[..d].copy_from_slice(&buffer.obs[s * d..(s + 1) * d]);
        row[d..d + g].copy_from_slice(&buffer.goals[s * g..(s + 1) * g]);
        let (_, row) = row.split_at_mut(d + g);
        self.kind.encode(&buffer.actions[s * buffer.action_dim..(s + 1) * buffer.action_dim], &mut row[..e]);
        row[e] = buffer.log_probs[s];
        row[e + 1] = advantage;
        row[e + 2..e + 2 + k].copy_from_slice(&buffer.returns[s * k..(s + 1) * k]);
        row[e + 2 + k..e + 2 + 2 * k].copy_from_slice(&buffer.values[s * k..(s + 1) * k]);
    }

    /// Splits a `[B, W]` upload of [`PpoLearner::write_row`] rows into a minibatch.
    fn unpack(&self, x: Tensor<2>, rows: usize, buffer: &RolloutBuffer) -> Minibatch {
        let (d, k, e, g) = (buffer.obs_dim, buffer.streams, self.kind.encoded_dim(), buffer.goal_dim);
        let at = d + g;
        Minibatch {
            rows,
            obs: x.clone().narrow(1, 0, d),
            goals: (g > 0).then(|| x.clone().narrow(1, d, g)),
            actions: x.clone().narrow(1, at, e),
            old_log_probs: x.clone().narrow(1, at + e, 1).reshape([rows]),
            advantages: x.clone().narrow(1, at + e + 1, 1).reshape([rows]),
            returns: x.clone().narrow(1, at + e + 2, k),
            old_values: x.narrow(1, at + e + 2 + k, k),
            mask: None,
            sequence: None,
        }
    }

    fn row_width(&self, buffer: &RolloutBuffer) -> usize {
        buffer.obs_dim + buffer.goal_dim + self.kind.encoded_dim() + 2 + 2 * buffer.streams
    }

    /// Transitions `slots` as one `[B, W]` upload.
    fn pack_transitions(&self, buffer: &RolloutBuffer, slots: &[usize], packed: &mut Vec<f32>) -> Minibatch {
        let width = self.row_width(buffer);
        let advantages = self.advantages(buffer, slots, &vec![true; slots.len()]);
        packed.clear();
        packed.resize(slots.len() * width, 0.0);
        for (row, (&s, &adv)) in packed.chunks_exact_mut(width).zip(slots.iter().zip(&advantages)) {
            self.write_row(buffer, s, adv, row);
        }
        let data = TensorData::new(std::mem::take(packed), [slots.len(), width]);
        self.unpack(Tensor::from_data(data, &self.device), slots.len(), buffer)
    }

    /// Chunks as sequences: each `burn + length` rows (burn-in steps where the rollout has
    /// them, the chunk, padding), with the state at the first row, the starts, the gradient
    /// cut after the burn-in, and the mask of the rows that count.
    fn pack_sequences(&self, buffer: &RolloutBuffer, chunks: &[Chunk], length: usize) -> Minibatch {
        let (n, s) = (buffer.n_envs, buffer.state_size);
        let total = self.config.burn_in + length;
        let width = self.row_width(buffer);
        // Slot of each row (None: padding) and whether it counts.
        let mut slots: Vec<Option<usize>> = Vec::with_capacity(chunks.len() * total);
        let mut counted = Vec::with_capacity(chunks.len() * total);
        let (mut states, mut starts, mut cuts) = (Vec::new(), Vec::new(), Vec::new());
        for chunk in chunks {
            let burn = self.config.burn_in.min(chunk.start);
            let first = (chunk.start - burn) * n + chunk.env;
            states.extend_from_slice(&buffer.states[first * s..(first + 1) * s]);
            for t in 0..total {
                let step = chunk.start as isize - burn as isize + t as isize;
                let inside = t < burn + chunk.len;
                let slot = inside.then(|| step as usize * n + chunk.env);
                slots.push(slot);
                counted.push(slot.is_some_and(|slot| t >= burn && buffer.valid[slot]));
                starts.push(slot.is_some_and(|slot| buffer.starts[slot]) as u8 as f32);
                cuts.push((burn > 0 && t == burn) as u8 as f32);
            }
        }
        let present: Vec<usize> = slots.iter().map(|s| s.unwrap_or(0)).collect();
        let advantages = self.advantages(buffer, &present, &counted);
        let rows = slots.len();
        let mut packed = vec![0.0f32; rows * width];
        for (i, row) in packed.chunks_exact_mut(width).enumerate() {
            if let Some(slot) = slots[i] {
                self.write_row(buffer, slot, if counted[i] { advantages[i] } else { 0.0 }, row);
            }
        }
        let device = &self.device;
        let upload = |values: Vec<f32>, w: usize| {
            let shape = [values.len() / w.max(1), w];
            Tensor::<2>::from_data(TensorData::new(values, shape), device)
        };
        let mut batch = self.unpack(upload(packed, width), rows, buffer);
        let mask: Vec<f32> = counted.iter().map(|&c| c as u8 as f32).collect();
        batch.mask = Some((Tensor::from_data(TensorData::new(mask, [rows]), device), counted));
        let cut = (self.config.burn_in > 0).then(|| upload(cuts, 1));
        batch.sequence = Some((total, upload(states, s), upload(starts, 1), cut));
        batch
    }

    /// One gradient step on `batch`; returns whether the KL estimate stopped the update.
    fn step(
        &mut self,
        batch: Minibatch,
        learning_rate: f64,
        clip_range: f64,
        update: u64,
        means: &mut Means,
    ) -> Result<bool> {
        let c = &self.config;
        let out: PolicyOutput = match batch.sequence {
            Some((length, state, starts, cut)) => self.model.forward_sequences(SequenceInput {
                obs: batch.obs,
                length,
                state: Some(state),
                episode_starts: Some(starts),
                goal: batch.goals,
                cut,
                values: true,
            }),
            None => self.model.forward(PolicyInput { goal: batch.goals, ..PolicyInput::obs(batch.obs) }),
        };
        let (log_probs, entropy) = out.dist.log_prob_entropy(batch.actions);
        let values = out.values();
        // Clipped surrogate objective.
        let log_ratio = log_probs - batch.old_log_probs;
        let ratio = log_ratio.clone().exp();
        let surrogate = ratio.clone() * batch.advantages.clone();
        let clipped = ratio.clamp(1.0 - clip_range, 1.0 + clip_range) * batch.advantages;
        let surrogate = surrogate.min_pair(clipped);
        // Value loss, optionally clipped around the rollout's estimates (SB3's form).
        let values = match c.clip_range_vf {
            Some(cvf) => batch.old_values.clone() + (values - batch.old_values).clamp(-cvf, cvf),
            None => values,
        };
        let squared = (batch.returns - values).square();
        let (policy_loss, value_loss, entropy_loss) = match &batch.mask {
            None => (surrogate.mean().neg(), squared.mean(), entropy.mean().neg()),
            Some((mask, counted)) => {
                let count = counted.iter().filter(|&&c| c).count().max(1) as f64;
                let streams = squared.dims()[1] as f64;
                let masked = |x: Tensor<1>| (x * mask.clone()).sum().div_scalar(count);
                let value = (squared.sum_dim(1).reshape([batch.rows]) * mask.clone()).sum().div_scalar(count * streams);
                (masked(surrogate).neg(), value, masked(entropy).neg())
            }
        };
        let mut loss = policy_loss.clone() + entropy_loss.clone() * c.ent_coef + value_loss.clone() * c.vf_coef;
        let aux = self.model.aux_losses(&out);
        let mut reported = vec![policy_loss.detach(), value_loss.detach(), entropy_loss.detach()];
        for (_, aux_loss) in &aux {
            loss = loss + aux_loss.clone();
            reported.push(aux_loss.clone().detach());
        }
        // Diagnostics in one download: the losses, then the log-ratios.
        reported.push(log_ratio.detach());
        let numbers = nets::download(Tensor::cat(reported, 0))?;
        let (losses, log_ratios) = numbers.split_at(3 + aux.len());
        let names = ["loss/policy", "loss/value", "loss/entropy"].map(String::from).into_iter();
        for (name, &value) in names.chain(aux.iter().map(|(n, _)| format!("loss/{n}"))).zip(losses) {
            check_finite(value as f64, &name, update)?;
            means.add(&name, value as f64);
        }
        let log_ratios: Vec<f32> = match &batch.mask {
            Some((_, counted)) => log_ratios.iter().zip(counted).filter(|(_, &c)| c).map(|(&l, _)| l).collect(),
            None => log_ratios.to_vec(),
        };
        let (approx_kl, clip_fraction) = kl_and_clip_fraction(&log_ratios, clip_range);
        means.add("approx_kl", approx_kl);
        means.add("clip_fraction", clip_fraction);
        if c.target_kl.is_some_and(|kl| approx_kl > 1.5 * kl) {
            return Ok(true);
        }
        let mut grads = GradientsParams::from_grads(loss.backward(), &self.model);
        let grad_norm = check_finite(clip_grad_norm(&mut grads, &self.model, c.max_grad_norm)?, "grad_norm", update)?;
        means.add("grad_norm", grad_norm);
        self.model = self.optimizer.step(learning_rate, self.model.clone(), grads);
        Ok(false)
    }
}

/// A PPO agent: its learner, and the acting session and env runner that collect for it; see
/// the [module docs](self).
pub struct Ppo<P: Policy> {
    learner: PpoLearner<P>,
    runner: EnvRunner,
    /// The training collection's acting session (recurrent states, action generator).
    collector: Actor,
    kind: ActionKind,
    n_envs: usize,
    obs_dim: usize,
    base: Device,
    /// Minibatch order.
    rng: Generator,
    reward_norm: Option<RewardNormalizer>,
    buffer: RolloutBuffer,
    updates: u64,
    env_steps: u64,
    /// The run's budget in env steps, which the annealing schedules span.
    total_steps: u64,
    /// Intrinsic rewards, if any.
    shaper: Option<Box<dyn RewardShaper>>,
    /// Discount of each reward stream (stream 0: `gamma`).
    discounts: Vec<Discount>,
    /// How the agent acts with its policy, when more than sampling it.
    controller: Option<Box<dyn Controller<P>>>,
}

impl<P: BuildPolicy> Ppo<P> {
    /// A learner for `spec`'s spaces, hyperparameters (`spec.params`) and seed.
    pub fn new(spec: &AlgorithmSpec) -> Result<Self> {
        Self::with_shaper(spec, None)
    }

    /// A learner whose rewards come from `shaper` (one value head per stream); `None` is
    /// [`Ppo::new`].
    pub fn with_shaper(spec: &AlgorithmSpec, shaper: Option<Box<dyn RewardShaper>>) -> Result<Self> {
        let mut config = PpoConfig::from_json(spec.params)?;
        config.value_streams = stream_count(&config, shaper.as_deref())?;
        let mut rng = Generator::from_seed(spec.seed);
        let device = Device::flex().autodiff();
        let model = P::build(spec, &config.policy(), &mut rng, &device)?;
        Ppo::with_parts(spec, config, model, rng, None, shaper)
    }
}

/// The value heads a PPO learner needs: one per reward stream of `shaper`, else the config's.
pub fn stream_count(config: &PpoConfig, shaper: Option<&dyn RewardShaper>) -> Result<usize> {
    let Some(streams) = shaper.map(|s| s.streams()) else {
        return Ok(config.value_streams);
    };
    if config.value_streams != 1 && config.value_streams != streams.len() {
        return Err(invalid(
            "value_streams",
            format!("the reward signals make {} streams, the config asks for {}", streams.len(), config.value_streams),
        ));
    }
    Ok(streams.len())
}

impl<P: Policy> Ppo<P> {
    /// A PPO agent training `model` (built on the autodiff device with `config.value_streams`
    /// value heads, its weights drawn from `rng`, which then orders the minibatches), acting
    /// through `controller` if given.
    pub fn with_parts(
        spec: &AlgorithmSpec,
        config: PpoConfig,
        model: P,
        rng: Generator,
        controller: Option<Box<dyn Controller<P>>>,
        shaper: Option<Box<dyn RewardShaper>>,
    ) -> Result<Self> {
        let (mut discounts, mut advantage_coefs) =
            (vec![Discount::episodic(config.gamma); config.value_streams], vec![1.0; config.value_streams]);
        if let Some(streams) = shaper.as_ref().map(|s| s.streams()) {
            discounts = streams
                .iter()
                .enumerate()
                .map(|(k, s)| {
                    if k == 0 {
                        Discount::episodic(config.gamma)
                    } else {
                        Discount { gamma: s.gamma, episodic: s.episodic }
                    }
                })
                .collect();
            advantage_coefs = streams.iter().map(|s| s.advantage_coef).collect();
        }
        if spec.num_envs == 0 {
            return Err(invalid("num_envs", "must be at least 1"));
        }
        let kind = ActionKind::for_space(spec.action_space)?;
        let encoder = spec.policy.encoder(spec.observation_space)?;
        let obs_dim = encoder.obs_dim();
        let base = Device::flex();
        let device = base.clone().autodiff();
        let goal_dim = controller.as_ref().map_or(0, |c| c.goal_dim());
        let mut buffer =
            RolloutBuffer::new(config.n_steps, spec.num_envs, obs_dim, kind.action_dim(), config.value_streams)
                .with_states(model.state_size())
                .with_goals(goal_dim);
        if shaper.is_some() {
            buffer = buffer.with_raw_steps();
        }
        let learner = PpoLearner::new(config.clone(), model, kind.clone(), advantage_coefs, device);
        let first = acting(&learner.model, &kind, None, obs_dim, &base, controller.as_deref());
        let collector = Actor::new(first, spec.num_envs, spec.seed.wrapping_add(1));
        Ok(Ppo {
            runner: EnvRunner::new(
                config
                    .normalize_obs
                    .then(|| ObsNormalizer::partial(obs_dim, encoder.normalizable_dim(), config.clip_obs)),
            ),
            reward_norm: config
                .normalize_reward
                .then(|| RewardNormalizer::new(spec.num_envs, config.gamma, config.clip_reward)),
            learner,
            collector,
            kind,
            n_envs: spec.num_envs,
            obs_dim,
            base,
            rng,
            buffer,
            updates: 0,
            env_steps: 0,
            total_steps: spec.total_steps,
            shaper,
            discounts,
            controller,
        })
    }
}

/// A controller around a PPO agent's policy, for agents that act with more than its action
/// distribution (option-critic: options, their terminations and a policy over options, all
/// heads of one network). It decides how acting sessions act with the policy, what each step
/// keeps besides (its goal rows, which the policy reads back as its `goal` input when it
/// learns), where the rollout's end bootstraps from, and what the agent reports. The learner
/// is PPO's.
pub trait Controller<P: Policy>: Send {
    /// The algorithm's name (`option-critic`).
    fn name(&self) -> &'static str;

    /// Numbers per step kept in the rollout's goal rows.
    fn goal_dim(&self) -> usize;

    /// Refuses envs the controller cannot act in ([`Algorithm::check_envs`]).
    fn check_envs(&self, _envs: &[&dyn Env]) -> Result<()> {
        Ok(())
    }

    /// An acting policy around `policy`, a frozen copy of the learner's model.
    fn acting(&self, policy: PolicyActing<P>) -> Box<dyn Acting>;

    /// The values the rollout's end bootstraps from (`[N, K]`), from what the collection
    /// session made of the observations after the last step (by default the policy's).
    fn bootstrap(&self, _last: &Acted, _values: &mut [f32]) -> Result<()> {
        Ok(())
    }

    /// Sees step `t` of the rollout as it is collected, with the envs as the step left them
    /// (it may fill the rollout's goal transitions), before the reward shaper does.
    fn observe(
        &mut self,
        _t: usize,
        _batch: &StepBatch,
        _envs: &[&dyn Env],
        _rollout: &mut RolloutBuffer,
    ) -> Result<()> {
        Ok(())
    }

    /// Trains the controller's own learners after a rollout (`last`: what the collection session
    /// made of the observations after it; `env_steps`: the agent's total so far). Returns
    /// diagnostics.
    fn learn(&mut self, _last: &Acted, _env_steps: u64) -> Result<BTreeMap<String, f64>> {
        Ok(BTreeMap::new())
    }

    /// Diagnostics of the rollout just collected.
    fn metrics(&self, buffer: &RolloutBuffer) -> BTreeMap<String, f64>;

    /// Writes the controller's own training state into `dir` (with core::checkpoint).
    fn save(&self, _dir: &Path) -> Result<()> {
        Ok(())
    }

    /// Restores what [`Controller::save`] wrote.
    fn load(&mut self, _dir: &Path) -> Result<()> {
        Ok(())
    }
}

/// Where a PPO checkpoint keeps its controller's own state.
const CONTROLLER_DIR: &str = "controller";

/// A frozen copy of `model` for acting, through `controller` if there is one.
fn acting<P: Policy>(
    model: &P,
    kind: &ActionKind,
    obs_norm: Option<ObsNormalizer>,
    obs_dim: usize,
    base: &Device,
    controller: Option<&dyn Controller<P>>,
) -> Box<dyn Acting> {
    let policy = PolicyActing { model: model.valid(), kind: kind.clone(), obs_norm, obs_dim, device: base.clone() };
    match controller {
        Some(controller) => controller.acting(policy),
        None => Box::new(policy),
    }
}

impl<P: Policy> Ppo<P> {
    pub fn config(&self) -> &PpoConfig {
        &self.learner.config
    }

    /// Updates done so far.
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// Env steps consumed so far.
    pub fn env_steps(&self) -> u64 {
        self.env_steps
    }

    /// The learner (a hierarchy or a world model drives it with its own rollouts).
    pub fn learner(&mut self) -> &mut PpoLearner<P> {
        &mut self.learner
    }

    /// The shaper's rewards for the rollout just collected, into every stream.
    fn shape_rewards(&mut self) -> Result<BTreeMap<String, f64>> {
        let (Some(shaper), Some(raw)) = (self.shaper.as_deref_mut(), self.buffer.raw.take()) else {
            return Ok(BTreeMap::new());
        };
        let mut rewards = std::mem::take(&mut self.buffer.rewards);
        let result = shaper.rewards(&raw.view(&self.buffer, 0..self.buffer.n_steps), self.env_steps, &mut rewards);
        (self.buffer.rewards, self.buffer.raw) = (rewards, Some(raw));
        result
    }
}

impl<P: Policy> Algorithm for Ppo<P> {
    fn name(&self) -> &'static str {
        self.controller.as_ref().map_or("ppo", |c| c.name())
    }

    fn check_envs(&self, envs: &VecEnv) -> Result<()> {
        self.controller.as_ref().map_or(Ok(()), |c| c.check_envs(&crate::runner::env_refs(envs)))
    }

    fn update(&mut self, envs: &mut VecEnv) -> Result<Update> {
        // 1. Roll out with the current policy.
        let policy =
            acting(&self.learner.model, &self.kind, None, self.obs_dim, &self.base, self.controller.as_deref());
        self.collector.set_policy(policy)?;
        let mut controller = self.controller.as_deref_mut();
        let (steps, last) = collect_rollout_with(
            &mut self.runner,
            envs,
            &mut self.collector,
            &mut self.buffer,
            self.reward_norm.as_mut(),
            self.shaper.as_deref_mut().map(|s| s as &mut dyn RewardShaper),
            &mut |t, batch, envs, buffer| match controller.as_deref_mut() {
                Some(controller) => controller.observe(t, batch, &crate::runner::env_refs(envs), buffer),
                None => Ok(()),
            },
        )?;
        if let Some(controller) = controller {
            controller.bootstrap(&last, &mut self.buffer.last_values)?;
        }
        self.env_steps += steps;
        // 2. The reward streams; schedules at the progress after this rollout, as SB3 computes them.
        let shaping = self.shape_rewards()?;
        let c = &self.learner.config;
        let remaining = (1.0 - self.env_steps as f64 / self.total_steps.max(1) as f64).max(0.0);
        let learning_rate = c.learning_rate * if c.anneal_lr { remaining } else { 1.0 };
        let clip_range = c.clip_range * if c.anneal_clip { remaining } else { 1.0 };
        // 3. Advantages: every stream with its own discount.
        self.buffer.compute_gae(&self.discounts, c.gae_lambda);
        // 4. Learn. An annealed rate reaches 0 on the last update: nothing to learn, and no
        // losses to report.
        let update = self.updates + 1;
        let mut metrics = if learning_rate > 0.0 {
            self.learner.learn(&self.buffer, &mut self.rng, learning_rate, clip_range, update)?
        } else {
            BTreeMap::new()
        };
        // 5. Diagnostics and the health check.
        check_parameters(&self.learner.model, update)?;
        self.updates = update;
        metrics.insert("learning_rate".into(), learning_rate);
        metrics.insert("clip_range".into(), clip_range);
        if let Some(ev) = explained_variance(&self.buffer) {
            metrics.insert("explained_variance".into(), ev);
        }
        metrics.extend(shaping);
        if let Some(shaper) = self.shaper.as_deref() {
            let coefs: Vec<f64> = shaper.streams().iter().map(|s| s.advantage_coef).collect();
            for (stream, (share, error)) in shaper.streams().iter().zip(stream_diagnostics(
                &self.buffer,
                &coefs,
                self.learner.config.per_stream_advantage,
            )) {
                metrics.insert(format!("reward/{}/advantage_share", stream.name), share);
                metrics.insert(format!("reward/{}/value_loss", stream.name), error);
            }
        }
        if let Some(controller) = self.controller.as_deref_mut() {
            metrics.extend(controller.learn(&last, self.env_steps)?);
            metrics.extend(controller.metrics(&self.buffer));
        }
        Ok(Update { env_steps: steps, metrics })
    }

    fn policy(&self) -> Result<Box<dyn Acting>> {
        let obs_norm = self.runner.obs_norm.clone();
        Ok(acting(&self.learner.model, &self.kind, obs_norm, self.obs_dim, &self.base, self.controller.as_deref()))
    }

    fn save(&self, dir: &Path) -> Result<()> {
        let mut writer = CheckpointWriter::new(dir)?;
        writer.module("ppo_model.bpk", &self.learner.model)?;
        writer.optimizer("ppo_optimizer.bpk", &self.learner.optimizer)?;
        if let Some(shaper) = &self.shaper {
            shaper.save(&dir.join(SHAPER_DIR))?;
        }
        if let Some(controller) = &self.controller {
            controller.save(&dir.join(CONTROLLER_DIR))?;
        }
        writer.finish(
            FORMAT,
            &PpoState {
                config: self.learner.config.clone(),
                policy: self.learner.model.describe(),
                n_envs: self.n_envs,
                obs_dim: self.obs_dim,
                updates: self.updates,
                env_steps: self.env_steps,
                rng: RngState::of(&self.rng),
                collector: self.collector.save(),
                obs_rms: self.runner.obs_norm.as_ref().map(ObsNormalizer::state),
                reward_norm: self.reward_norm.as_ref().map(RewardNormalizer::state),
            },
        )
    }

    fn load(&mut self, dir: &Path) -> Result<()> {
        let (reader, state) = CheckpointReader::open::<PpoState>(dir, FORMAT)?;
        let path = reader.path(crate::core::checkpoint::STATE_FILE);
        let policy = self.learner.model.describe();
        if state.policy != policy {
            return Err(checkpoint_error(
                &path,
                format!("saved with a {} policy, this run has a {policy} one", state.policy),
            ));
        }
        check_same_config(&path, &state.config, &self.learner.config)?;
        if state.n_envs != self.n_envs || state.obs_dim != self.obs_dim {
            let message = format!(
                "saved for {} sub-envs with observation rows of {}, this run has {} with rows of {}",
                state.n_envs, state.obs_dim, self.n_envs, self.obs_dim
            );
            return Err(checkpoint_error(&path, message));
        }
        let model = reader.module("ppo_model.bpk", self.learner.model.clone())?;
        let fresh = AdamConfig::new().with_epsilon(self.learner.config.adam_epsilon as f32).init();
        let optimizer = reader.optimizer("ppo_optimizer.bpk", fresh)?;
        let mut obs_norm = self.runner.obs_norm.clone();
        if let (Some(norm), Some(saved)) = (obs_norm.as_mut(), &state.obs_rms) {
            norm.load(saved).map_err(|e| checkpoint_error(&path, e.to_string()))?;
        }
        let mut reward_norm = self.reward_norm.clone();
        if let (Some(norm), Some(saved)) = (reward_norm.as_mut(), &state.reward_norm) {
            norm.load(saved).map_err(|e| checkpoint_error(&path, e.to_string()))?;
        }
        let rng = state.rng.restore(&path)?;
        let first = acting(&model, &self.kind, None, self.obs_dim, &self.base, self.controller.as_deref());
        let mut collector = Actor::new(first, self.n_envs, 0);
        collector.restore(&state.collector, &path)?;
        if let Some(shaper) = self.shaper.as_mut() {
            shaper.load(&dir.join(SHAPER_DIR))?;
        }
        if let Some(controller) = self.controller.as_mut() {
            controller.load(&dir.join(CONTROLLER_DIR))?;
        }
        // Everything read and checked: commit.
        (self.learner.model, self.learner.optimizer, self.runner.obs_norm) = (model, optimizer, obs_norm);
        (self.reward_norm, self.rng, self.collector) = (reward_norm, rng, collector);
        (self.updates, self.env_steps) = (state.updates, state.env_steps);
        Ok(())
    }
}

/// Tag of the state file's layout.
const FORMAT: &str = "limbic-ppo-2";

/// `state.json`'s own part: everything but the weights and the optimizer moments.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PpoState {
    config: PpoConfig,
    /// The policy's architecture ([`Policy::describe`]).
    policy: String,
    n_envs: usize,
    obs_dim: usize,
    updates: u64,
    env_steps: u64,
    rng: RngState,
    collector: SessionState,
    obs_rms: Option<RmsState>,
    reward_norm: Option<RewardNormState>,
}

/// SB3's KL estimate `mean((r - 1) - ln r)` (Schulman's k3) and the fraction of ratios outside
/// `1 ± clip_range`, from the log-ratios.
fn kl_and_clip_fraction(log_ratios: &[f32], clip_range: f64) -> (f64, f64) {
    let n = log_ratios.len().max(1) as f64;
    let (mut kl, mut clipped) = (0.0, 0.0);
    for &lr in log_ratios {
        let lr = lr as f64;
        let ratio = lr.exp();
        kl += ratio - 1.0 - lr;
        clipped += ((ratio - 1.0).abs() > clip_range) as u8 as f64;
    }
    (kl / n, clipped / n)
}

/// Mean and sample standard deviation (`n - 1`, as `torch.std`).
/// `(mean, 1 / std)` of `x`: `(x - mean) * scale` standardizes it.
fn standardizer(x: &[f64]) -> (f64, f64) {
    let (mean, std) = mean_std(x);
    (mean, 1.0 / (std + 1e-8))
}

fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n.max(1.0);
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

/// `1 - Var(returns - values) / Var(returns)` over the rollout's transitions and streams;
/// `None` when the returns do not vary.
fn explained_variance(buffer: &RolloutBuffer) -> Option<f64> {
    let k = buffer.streams;
    let mut returns = Vec::new();
    let mut errors = Vec::new();
    for slot in buffer.valid_slots() {
        for j in slot * k..(slot + 1) * k {
            returns.push(buffer.returns[j] as f64);
            errors.push(buffer.returns[j] as f64 - buffer.values[j] as f64);
        }
    }
    let var = |x: &[f64]| {
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / x.len() as f64
    };
    let total = var(&returns);
    (total > 0.0).then(|| 1.0 - var(&errors) / total)
}

/// Per reward stream, over the rollout's transitions: its share of the policy's advantage
/// (`mean |coef_k A_k| / sum_j mean |coef_j A_j|`, each `A_k` standardized over the rollout
/// when `per_stream`, as the learner does per minibatch) and its critic's squared error
/// `mean (return_k - V_k)^2` before this update: whether a bonus reaches the policy at all,
/// and whether its value head keeps up.
pub fn stream_diagnostics(buffer: &RolloutBuffer, coefs: &[f64], per_stream: bool) -> Vec<(f64, f64)> {
    let k = buffer.streams;
    let slots = buffer.valid_slots();
    let n = slots.len().max(1) as f64;
    let mean_over = |f: &dyn Fn(usize) -> f64| slots.iter().map(|&s| f(s)).sum::<f64>() / n;
    let magnitude = |j: usize| {
        let values: Vec<f64> = slots.iter().map(|&s| buffer.advantages[s * k + j] as f64).collect();
        let (mean, scale) = if per_stream { standardizer(&values) } else { (0.0, 1.0) };
        values.iter().map(|a| (coefs[j] * (a - mean) * scale).abs()).sum::<f64>() / n
    };
    let magnitudes: Vec<f64> = (0..k).map(magnitude).collect();
    let total: f64 = magnitudes.iter().sum();
    (0..k)
        .map(|j| {
            let share = if total > 0.0 { magnitudes[j] / total } else { 0.0 };
            let error = mean_over(&|s| (buffer.returns[s * k + j] as f64 - buffer.values[s * k + j] as f64).powi(2));
            (share, error)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policies::acting::act_once as act;
    use crate::policies::PolicySpec;
    use crate::AgentError;
    use limbic_environments::{Kwargs, Value};

    #[test]
    fn stream_diagnostics_by_hand() {
        // Two slots (the second not a transition), two streams with coefficients 2 and 1.
        let mut b = RolloutBuffer::new(2, 1, 1, 1, 2);
        b.valid = vec![true, false];
        b.advantages = vec![0.5, -3.0, 100.0, 100.0];
        b.returns = vec![1.0, 2.0, 0.0, 0.0];
        b.values = vec![0.0, 0.5, 7.0, 7.0];
        let d = stream_diagnostics(&b, &[2.0, 1.0], false);
        // |2 * 0.5| = 1 against |1 * -3| = 3: shares 0.25 and 0.75; errors 1 and 2.25.
        assert_eq!(d, vec![(0.25, 1.0), (0.75, 2.25)]);
        // Standardized per stream over slots that vary, the coefficients alone set the shares.
        let mut b = RolloutBuffer::new(2, 1, 1, 1, 2);
        b.valid = vec![true; 2];
        b.advantages = vec![0.5, -300.0, -0.5, 300.0];
        b.returns = vec![0.0; 4];
        b.values = vec![0.0; 4];
        let shares: Vec<f64> = stream_diagnostics(&b, &[2.0, 1.0], true).iter().map(|d| d.0).collect();
        assert!((shares[0] - 2.0 / 3.0).abs() < 1e-6 && (shares[1] - 1.0 / 3.0).abs() < 1e-6, "{shares:?}");
    }

    #[test]
    fn per_stream_advantages_let_coefficients_set_the_shares() {
        // Four slots of (env, bonus) advantages: the env's are 100x the bonus's.
        let mut b = RolloutBuffer::new(4, 1, 4, 1, 2);
        b.advantages = vec![100.0, 1.0, -100.0, 1.0, 100.0, -1.0, -100.0, -1.0];
        let learner = |per_stream_advantage: bool| {
            let config = PpoConfig { per_stream_advantage, normalize_advantage: false, ..PpoConfig::default() };
            let model = crate::policies::actor_critic::tests::cartpole_like(2);
            PpoLearner::new(config, model, ActionKind::Discrete { n: 2, start: 0 }, vec![1.0, 2.0], Device::flex())
        };
        let slots = [0, 1, 2, 3];
        // Summed as they are (coefficients 1 and 2), the env's stream sets every sign.
        assert_eq!(learner(false).advantages(&b, &slots, &[true; 4]), [102.0, -98.0, 98.0, -102.0]);
        // Each stream standardized first (both become +-sqrt(3)/2), the bonus's coefficient 2
        // outweighs the env's 1: slot 1 is now good, slot 2 bad.
        let z = 3f64.sqrt() / 2.0;
        let expected = [3.0 * z, z, -z, -3.0 * z];
        let got = learner(true).advantages(&b, &slots, &[true; 4]);
        assert!(got.iter().zip(expected).all(|(&g, e)| (g as f64 - e).abs() < 1e-5), "{got:?}");
        // A slot not counted (padding) is left out of each stream's statistics: over slots 0-2
        // the env's are 100, -100, 100 (mean 100/3, std 115.47), the bonus's 1, 1, -1.
        let got = learner(true).advantages(&b, &slots, &[true, true, true, false]);
        assert!((got[0] as f64 - 3f64.sqrt()).abs() < 1e-5, "{got:?}");
    }

    type FeedForward = Ppo<ActorCritic>;

    fn spec_for<'a>(envs: &'a VecEnv, params: &'a serde_json::Value, seed: u64, total_steps: u64) -> AlgorithmSpec<'a> {
        static FEED_FORWARD: PolicySpec = crate::policies::FEED_FORWARD;
        AlgorithmSpec {
            algo: "ppo",
            params,
            policy: &FEED_FORWARD,
            observation_space: envs.observation_space(),
            action_space: envs.action_space(),
            num_envs: envs.num_envs(),
            seed,
            total_steps,
        }
    }

    /// rl-zoo's tuned CartPole-v1 hyperparameters.
    fn zoo_cartpole() -> serde_json::Value {
        serde_json::json!({
            "n_steps": 32, "batch_size": 256, "n_epochs": 20, "gamma": 0.98, "gae_lambda": 0.8,
            "learning_rate": 1e-3, "anneal_lr": true, "clip_range": 0.2, "anneal_clip": true,
            "ent_coef": 0.0,
        })
    }

    fn cartpole(n: usize, seed: u64) -> VecEnv {
        let mut envs = VecEnv::make("CartPole-v1", n, &Kwargs::new()).unwrap();
        envs.reset(Some(seed)).unwrap();
        envs
    }

    #[test]
    fn bad_config_key_names_the_valid_ones() {
        let envs = cartpole(2, 0);
        let params = serde_json::json!({"learning_rat": 0.1});
        let error = FeedForward::new(&spec_for(&envs, &params, 0, 1_000_000)).err().unwrap().to_string();
        assert!(
            error.contains("learning_rat") && error.contains("learning_rate") && error.contains("n_epochs"),
            "{error}"
        );
        let params = serde_json::json!({"gamma": 1.5});
        assert!(FeedForward::new(&spec_for(&envs, &params, 0, 1_000_000)).err().unwrap().to_string().contains("gamma"));
    }

    #[test]
    fn explained_variance_of_perfect_and_constant_predictions() {
        let mut b = RolloutBuffer::new(3, 1, 1, 1, 1);
        b.valid = vec![true; 3];
        b.returns = vec![1.0, 2.0, 4.0];
        b.values = b.returns.clone();
        assert_eq!(explained_variance(&b), Some(1.0));
        b.values = vec![4.0, 2.0, 1.0];
        assert!(explained_variance(&b).unwrap() < 0.0);
        b.returns = vec![2.0; 3];
        assert_eq!(explained_variance(&b), None);
    }

    #[test]
    fn same_seed_same_run() {
        let params = zoo_cartpole();
        let run = |seed: u64| {
            let mut envs = cartpole(4, 7);
            let mut ppo = FeedForward::new(&spec_for(&envs, &params, seed, 100_000)).unwrap();
            (0..2).map(|_| ppo.update(&mut envs).unwrap().metrics).collect::<Vec<_>>()
        };
        let a = run(1);
        assert_eq!(a, run(1));
        assert_ne!(a, run(2));
        for key in ["loss/policy", "loss/value", "loss/entropy", "entropy", "approx_kl", "clip_fraction"] {
            assert!(a[0].contains_key(key), "{key}");
        }
        for key in ["explained_variance", "learning_rate", "clip_range", "grad_norm"] {
            assert!(a[0].contains_key(key), "{key}");
        }
        // The schedules anneal linearly with the env steps consumed.
        assert!((a[1]["learning_rate"] - 1e-3 * (1.0 - 256.0 / 100_000.0)).abs() < 1e-12);
    }

    #[test]
    fn checkpoint_resumes_bit_for_bit() {
        let mut params = zoo_cartpole();
        params["normalize_obs"] = true.into();
        params["normalize_reward"] = true.into();
        params["n_epochs"] = 4.into();
        // Two identical runs: one saves after 2 updates and goes on, the other is rebuilt
        // from the checkpoint on an env in the same state.
        let (mut envs_a, mut envs_b) = (cartpole(4, 3), cartpole(4, 3));
        let mut a = FeedForward::new(&spec_for(&envs_a, &params, 11, 50_000)).unwrap();
        let mut b = FeedForward::new(&spec_for(&envs_b, &params, 11, 50_000)).unwrap();
        for _ in 0..2 {
            assert_eq!(a.update(&mut envs_a).unwrap(), b.update(&mut envs_b).unwrap());
        }
        let dir = std::env::temp_dir().join(format!("limbic-ppo-ckpt-{}", std::process::id()));
        a.save(&dir).unwrap();
        let mut resumed = FeedForward::new(&spec_for(&envs_b, &params, 999, 50_000)).unwrap();
        resumed.load(&dir).unwrap();
        assert_eq!((resumed.updates(), resumed.env_steps()), (2, 256));
        for _ in 0..2 {
            let (ua, ub) = (a.update(&mut envs_a).unwrap(), resumed.update(&mut envs_b).unwrap());
            assert_eq!(ua, ub, "metrics differ after resuming");
        }
        let obs = envs_a.last().obs.to_vec();
        assert_eq!(act(&a, &obs, false), act(&resumed, &obs, false));

        // A corrupt or missing file is an error that names it, and leaves the learner as it was.
        let model = std::fs::read(dir.join("ppo_model.bpk")).unwrap();
        let mut flipped = model.clone();
        flipped[model.len() / 2] ^= 0x10;
        std::fs::write(dir.join("ppo_model.bpk"), &flipped).unwrap();
        let error = resumed.load(&dir).unwrap_err().to_string();
        assert!(error.contains("ppo_model.bpk") && error.contains("corrupt"), "{error}");
        std::fs::write(dir.join("ppo_model.bpk"), &model).unwrap();
        std::fs::write(dir.join("ppo_optimizer.bpk"), b"").unwrap();
        let error = resumed.load(&dir).unwrap_err().to_string();
        assert!(error.contains("ppo_optimizer.bpk"), "{error}");
        assert_eq!(resumed.updates(), 4);
        std::fs::remove_file(dir.join("state.json")).unwrap();
        let error = resumed.load(&dir).unwrap_err().to_string();
        assert!(error.contains("state.json"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn continuous_actions_are_sampled_and_clipped_to_the_box() {
        // Pendulum-v1: Box([-2], [2]); a wide initial std puts many samples outside the box.
        let mut envs = VecEnv::make("Pendulum-v1", 2, &Kwargs::new()).unwrap();
        envs.reset(Some(0)).unwrap();
        let params = serde_json::json!({
            "n_steps": 16, "batch_size": 8, "n_epochs": 2, "log_std_init": 1.0,
            "normalize_obs": true, "normalize_reward": true, "clip_range_vf": 0.2, "target_kl": 0.01,
        });
        let mut ppo = FeedForward::new(&spec_for(&envs, &params, 0, 1_000_000)).unwrap();
        let update = ppo.update(&mut envs).unwrap();
        assert_eq!(update.env_steps, 32);
        assert!(update.metrics.values().all(|v| v.is_finite()), "{:?}", update.metrics);
        // Entropy of the 1-d Gaussian with log-std 1 before the first step: 1/2 + ln(2 pi)/2 + 1.
        assert!((update.metrics["entropy"] - (1.5 + 0.5 * (2.0 * std::f64::consts::PI).ln())).abs() < 0.05);
        let obs = envs.last().obs.to_vec();
        let actions = act(&ppo, &obs, false);
        let values: Vec<f32> = actions.iter().map(|a| a.as_f32().unwrap()[0]).collect();
        assert!(values.iter().all(|a| (-2.0..=2.0).contains(a)), "{values:?}");
        let mut actor = Actor::new(ppo.policy().unwrap(), 2, 0);
        assert!(actor.act(&obs[..2], &[false; 2]).is_err(), "a partial row is an error");
    }

    #[test]
    fn minigrid_trains_through_the_image_encoder() {
        let mut envs = VecEnv::make("MiniGrid-Empty-5x5-v0", 2, &Kwargs::new()).unwrap();
        envs.reset(Some(0)).unwrap();
        let params = serde_json::json!({"n_steps": 8, "batch_size": 8, "n_epochs": 1});
        let mut ppo = FeedForward::new(&spec_for(&envs, &params, 0, 1_000_000)).unwrap();
        assert_eq!(ppo.obs_dim, 151);
        let update = ppo.update(&mut envs).unwrap();
        assert!(update.metrics["grad_norm"] > 0.0 && update.metrics["grad_norm"].is_finite());
        let obs = envs.last().obs.to_vec();
        for action in act(&ppo, &obs, true) {
            assert!(matches!(action, Value::Int(a) if (0..7).contains(&a)), "{action:?}");
        }
    }

    /// An env whose observations turn to NaN after a few steps.
    struct Poisoned {
        t: u32,
        obs_space: limbic_environments::Space,
        act_space: limbic_environments::Space,
    }

    impl limbic_environments::Env for Poisoned {
        fn observation_space(&self) -> &limbic_environments::Space {
            &self.obs_space
        }
        fn action_space(&self) -> &limbic_environments::Space {
            &self.act_space
        }
        fn reset(
            &mut self,
            _seed: Option<u64>,
            _options: &limbic_environments::Options,
        ) -> limbic_environments::Result<(Value, limbic_environments::Info)> {
            self.t = 0;
            Ok((Value::F32(vec![0.0]), Default::default()))
        }
        fn step(&mut self, _action: &Value) -> limbic_environments::Result<limbic_environments::Step> {
            self.t += 1;
            let x = if self.t > 3 { f32::NAN } else { 1.0 };
            Ok(limbic_environments::Step {
                obs: Value::F32(vec![x]),
                reward: 1.0,
                terminated: false,
                truncated: false,
                info: Default::default(),
            })
        }
    }

    #[test]
    fn divergence_is_an_error_naming_the_quantity_and_update() {
        let env = Poisoned {
            t: 0,
            obs_space: limbic_environments::Space::vector_box(&[-1.0], &[1.0], limbic_environments::DType::Float32),
            act_space: limbic_environments::Space::discrete(2),
        };
        let mut envs = VecEnv::new(vec![Box::new(env) as Box<dyn limbic_environments::Env>]).unwrap();
        envs.reset(Some(0)).unwrap();
        let params = serde_json::json!({"n_steps": 8, "batch_size": 8, "n_epochs": 1});
        let mut ppo = FeedForward::new(&spec_for(&envs, &params, 0, 1_000_000)).unwrap();
        let error = ppo.update(&mut envs).unwrap_err();
        assert!(
            matches!(&error, AgentError::NonFinite { update: 1, quantity, value } if quantity == "loss/policy" && value.is_nan()),
            "{error}"
        );
    }

    #[test]
    fn learns_cartpole() {
        let params = zoo_cartpole();
        let mut envs = cartpole(8, 0);
        let mut ppo = FeedForward::new(&spec_for(&envs, &params, 0, 25_000)).unwrap();
        let mut steps = 0;
        let mut returns = Vec::new();
        while steps < 25_000 {
            steps += ppo.update(&mut envs).unwrap().env_steps;
            returns.extend(envs.take_episodes().iter().map(|e| e.episode_return));
        }
        let last: Vec<f64> = returns.iter().rev().take(20).copied().collect();
        let mean = last.iter().sum::<f64>() / last.len() as f64;
        eprintln!("CartPole: mean return of the last 20 episodes after {steps} steps: {mean}");
        // A uniformly random policy averages about 22.
        assert!(mean > 100.0, "mean return of the last 20 episodes: {mean}");
    }

    /// A memory task: the first observation shows a cue (+1 or -1, drawn at reset), the next
    /// `DELAY` show nothing, then the agent must name the cue (action 1 for +1): reward 1 if
    /// right, and the episode ends. Without memory the best policy is right half the time.
    struct Cue {
        rng: limbic_environments::rng::Generator,
        cue: i64,
        t: usize,
        spaces: (limbic_environments::Space, limbic_environments::Space),
    }

    const DELAY: usize = 3;

    impl Cue {
        fn new() -> Cue {
            let obs =
                limbic_environments::Space::vector_box(&[-1.0, 0.0], &[1.0, 1.0], limbic_environments::DType::Float32);
            Cue { rng: Generator::from_seed(0), cue: 1, t: 0, spaces: (obs, limbic_environments::Space::discrete(2)) }
        }

        fn obs(&self) -> Value {
            let shown = if self.t == 0 { self.cue as f32 } else { 0.0 };
            Value::F32(vec![shown, (self.t == DELAY) as u8 as f32])
        }
    }

    impl limbic_environments::Env for Cue {
        fn observation_space(&self) -> &limbic_environments::Space {
            &self.spaces.0
        }
        fn action_space(&self) -> &limbic_environments::Space {
            &self.spaces.1
        }
        fn reset(
            &mut self,
            seed: Option<u64>,
            _: &limbic_environments::Options,
        ) -> limbic_environments::Result<(Value, limbic_environments::Info)> {
            if let Some(seed) = seed {
                self.rng = Generator::from_seed(seed);
            }
            (self.cue, self.t) = (if self.rng.random() < 0.5 { -1 } else { 1 }, 0);
            Ok((self.obs(), Default::default()))
        }
        fn step(&mut self, action: &Value) -> limbic_environments::Result<limbic_environments::Step> {
            let last = self.t == DELAY;
            let right = action.as_int() == Some((self.cue > 0) as i64);
            self.t += 1;
            Ok(limbic_environments::Step {
                obs: self.obs(),
                reward: (last && right) as u8 as f64,
                terminated: last,
                truncated: false,
                info: Default::default(),
            })
        }
    }

    fn cue_envs(n: usize, seed: u64) -> VecEnv {
        let envs: Vec<Box<dyn limbic_environments::Env>> = (0..n).map(|_| Box::new(Cue::new()) as _).collect();
        let mut envs = VecEnv::new(envs).unwrap();
        envs.reset(Some(seed)).unwrap();
        envs
    }

    fn gru_spec<'a>(envs: &'a VecEnv, params: &'a serde_json::Value, policy: &'a PolicySpec) -> AlgorithmSpec<'a> {
        AlgorithmSpec { policy, ..spec_for(envs, params, 3, 1_000_000) }
    }

    fn gru(size: usize) -> PolicySpec {
        PolicySpec { memory: Some(crate::nets::memory::MemoryConfig::Gru { size }), ..crate::policies::FEED_FORWARD }
    }

    #[test]
    fn the_first_pass_over_sequences_reproduces_the_rollout() {
        // Chunks of 4 over rollouts of 10 (so padding), episodes of 4 steps plus a reset slot
        // (so starts and reset slots inside chunks), states carried across rollouts. Before any
        // gradient step the policy must give exactly the rollout's log-probs and values: the
        // chunks start from the stored states, reset where episodes start, and padding and
        // reset slots are left out of the losses and statistics. Also with a critic that has
        // a memory of its own (the state holds both) or none.
        use crate::policies::CriticMemory::{None as Blind, Own, Shared};
        for (seq_len, burn_in, critic) in [(4, 0, Shared), (4, 3, Shared), (10, 0, Shared), (4, 3, Own), (4, 3, Blind)]
        {
            let mut envs = cue_envs(3, 1);
            let params = serde_json::json!({
                "n_steps": 10, "batch_size": 1000, "n_epochs": 1, "learning_rate": 1e-3,
                "seq_len": seq_len, "burn_in": burn_in,
            });
            let policy = PolicySpec { critic_memory: critic, ..gru(8) };
            let mut ppo = Ppo::<MemoryActorCritic>::new(&gru_spec(&envs, &params, &policy)).unwrap();
            for update in 0..3 {
                let metrics = ppo.update(&mut envs).unwrap().metrics;
                let b = &ppo.buffer;
                let valid = b.valid_slots();
                let expected_value_loss =
                    valid.iter().map(|&s| (b.returns[s] - b.values[s]).powi(2) as f64).sum::<f64>()
                        / valid.len() as f64;
                let got = metrics["loss/value"];
                assert!(
                    (got - expected_value_loss).abs() < 1e-4 * (1.0 + expected_value_loss),
                    "seq_len {seq_len}, burn-in {burn_in}, {critic:?}, update {update}: value loss {got} vs {expected_value_loss}"
                );
                assert!(metrics["approx_kl"].abs() < 1e-6, "{seq_len}/{burn_in}: {metrics:?}");
                assert_eq!(metrics["clip_fraction"], 0.0);
                assert!(b.starts.iter().any(|&s| s) && b.valid.iter().any(|&v| !v));
            }
        }
    }

    #[test]
    fn recurrent_ppo_remembers_what_feed_forward_ppo_cannot() {
        let params = serde_json::json!({
            "n_steps": 32, "batch_size": 128, "n_epochs": 8, "learning_rate": 3e-3, "gamma": 0.9,
            "gae_lambda": 0.95, "ent_coef": 0.01, "net_arch": [32],
        });
        let run = |policy: &PolicySpec| {
            let mut envs = cue_envs(8, 0);
            let mut ppo = crate::core::algorithm::build(&gru_spec(&envs, &params, policy)).unwrap();
            let mut returns = Vec::new();
            for _ in 0..60 {
                ppo.update(&mut envs).unwrap();
                returns.extend(envs.take_episodes().iter().map(|e| e.episode_return));
            }
            let last: Vec<f64> = returns.iter().rev().take(200).copied().collect();
            last.iter().sum::<f64>() / last.len() as f64
        };
        let (with_memory, without) = (run(&gru(16)), run(&PolicySpec::default()));
        eprintln!("cue recall after 15k steps: gru {with_memory:.3}, feed-forward {without:.3}");
        assert!(with_memory > 0.95, "{with_memory}");
        assert!(without < 0.65, "{without}");
    }

    #[test]
    fn a_recurrent_run_resumes_mid_episode_exactly() {
        let params = serde_json::json!({"n_steps": 7, "batch_size": 14, "n_epochs": 2, "seq_len": 3, "burn_in": 1});
        let policy = PolicySpec {
            memory: Some(crate::nets::memory::MemoryConfig::Slots { slots: 3, size: 4, gate_cost: 0.01 }),
            critic_memory: crate::policies::CriticMemory::Own,
            ..crate::policies::FEED_FORWARD
        };
        let (mut envs_a, mut envs_b) = (cue_envs(2, 4), cue_envs(2, 4));
        let mut a = Ppo::<MemoryActorCritic>::new(&gru_spec(&envs_a, &params, &policy)).unwrap();
        let mut b = Ppo::<MemoryActorCritic>::new(&gru_spec(&envs_b, &params, &policy)).unwrap();
        for _ in 0..3 {
            assert_eq!(a.update(&mut envs_a).unwrap(), b.update(&mut envs_b).unwrap());
        }
        // 21 steps of episodes of 5 slots: the envs are mid-episode, the states far from zero.
        assert!(a.collector.state().iter().any(|&x| x != 0.0));
        let dir = crate::core::checkpoint::tests::scratch_dir("ppo-recurrent");
        a.save(&dir).unwrap();
        let mut resumed =
            Ppo::<MemoryActorCritic>::new(&AlgorithmSpec { seed: 77, ..gru_spec(&envs_b, &params, &policy) }).unwrap();
        resumed.load(&dir).unwrap();
        assert_eq!(resumed.collector.state(), a.collector.state());
        for _ in 0..3 {
            let (ua, ub) = (a.update(&mut envs_a).unwrap(), resumed.update(&mut envs_b).unwrap());
            assert!(ua.metrics.contains_key("loss/memory/write_cost"), "{ua:?}");
            assert_eq!(ua, ub, "metrics differ after resuming");
        }
        // The architecture is part of the checkpoint: another memory, or none, is refused.
        let mut other = Ppo::<MemoryActorCritic>::new(&gru_spec(&envs_b, &params, &gru(8))).unwrap();
        let error = other.load(&dir).unwrap_err().to_string();
        assert!(error.contains("slots 3x4") && error.contains("gru 8"), "{error}");
        let mut feed_forward = FeedForward::new(&spec_for(&envs_b, &params, 0, 1_000_000)).unwrap();
        let error = feed_forward.load(&dir).unwrap_err().to_string();
        assert!(error.contains("slots 3x4") && error.contains("feed-forward"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sequence_settings_are_checked() {
        let envs = cue_envs(1, 0);
        let policy = gru(4);
        for (params, field) in [
            (serde_json::json!({"n_steps": 8, "seq_len": 0}), "seq_len"),
            (serde_json::json!({"n_steps": 8, "seq_len": 9}), "seq_len"),
            (serde_json::json!({"n_steps": 8, "burn_in": 8}), "burn_in"),
        ] {
            let error = Ppo::<MemoryActorCritic>::new(&gru_spec(&envs, &params, &policy)).err().unwrap().to_string();
            assert!(error.contains(field), "{error}");
        }
        // A memory on a learner that cannot train one names both.
        let params = serde_json::json!({});
        let spec = AlgorithmSpec { algo: "dqn", ..gru_spec(&envs, &params, &policy) };
        let error = crate::core::algorithm::build(&spec).err().unwrap().to_string();
        assert!(error.contains("dqn") && error.contains("gru") && error.contains("policy.memory"), "{error}");
    }

    #[test]
    fn multi_discrete_actions_train_and_stay_in_the_space() {
        // POPGym's Battleship: a MultiDiscrete([8, 8]) action, a Discrete observation.
        let mut envs = VecEnv::make("popgym-BattleshipEasy-v0", 2, &Kwargs::new()).unwrap();
        envs.reset(Some(0)).unwrap();
        let params = serde_json::json!({"n_steps": 16, "batch_size": 16, "n_epochs": 2});
        let policy = gru(8);
        let mut ppo = Ppo::<MemoryActorCritic>::new(&gru_spec(&envs, &params, &policy)).unwrap();
        let update = ppo.update(&mut envs).unwrap();
        assert!(update.metrics["entropy"] > 0.0 && update.metrics["grad_norm"].is_finite(), "{update:?}");
        let obs = envs.last().obs.to_vec();
        for action in act(&ppo, &obs, false) {
            assert!(envs.action_space().contains(&action), "{action:?}");
        }
    }
}
