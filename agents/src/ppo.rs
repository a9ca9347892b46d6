//! Proximal Policy Optimization (Schulman et al. 2017), as Stable-Baselines3 and CleanRL
//! implement it, for Discrete and float32 Box action spaces.
//!
//! One update ([`Ppo::update`]) reads top to bottom:
//! 1. schedules: learning rate and clip range, linearly annealed over the run's `total_steps`;
//! 2. rollout: `n_steps` vector steps with the inference model (shared [`rollout::collect`]);
//! 3. GAE (terminations do not bootstrap, truncations bootstrap from the final observation);
//! 4. `n_epochs` passes over the rollout in shuffled minibatches of `batch_size`, each one
//!    tensor upload: clipped surrogate, (optionally clipped) value loss, entropy bonus,
//!    global-norm gradient clipping, an Adam step; early stop when the KL estimate exceeds
//!    `1.5 * target_kl` (SB3's rule);
//! 5. diagnostics, and a check that nothing became NaN or infinite.
//!
//! **Metrics** ([`Update::metrics`], averaged over the update's minibatches as SB3 logs them):
//! `loss/policy`, `loss/value`, `loss/entropy` (minus the mean entropy), `entropy`,
//! `approx_kl`, `clip_fraction`, `grad_norm` (before clipping), `gradient_steps`,
//! `stopped_early` (1 when `target_kl` ended the epochs), `learning_rate`, `clip_range`, and
//! `explained_variance` (absent when the returns do not vary). NaN or infinity in a loss, the
//! gradient norm or the parameters stops training with [`AgentError::NonFinite`].
//!
//! **Reward shapers** ([`Ppo::with_shaper`], see [`crate::shaping`]): the critic gets one value
//! head per stream; the shaper observes every vector step of the rollout and then replaces
//! the rollout's rewards `[T, N, K]`; GAE discounts stream 0 with `gamma` and stream k with
//! its own; each slot's advantage is `sum_k advantage_coef_k * A_k` before standardization.
//! The shaper's metrics (`reward/<signal>/...`) join the update's, its state the checkpoint
//! (`rewards/`). Without a shaper nothing of this runs.
//!
//! **Checkpoints** ([`Algorithm::save`], through [`crate::checkpoint`]): `ppo_model.bpk`
//! (burn's module record), `ppo_optimizer.bpk` (burn's optimizer record: Adam's moments and
//! step counts, keyed by the parameter ids the model record restores), `state.json` (config,
//! counters, both generators, normalizer statistics, and the length and checksum of each file),
//! each written atomically; `load` verifies every file, then `update` continues bit for bit as
//! the saved run would have.
//!
//! **Determinism.** Weights are drawn from the seed's [`Generator`], actions and minibatch
//! order from it too; burn's global RNG is never used. A config and a seed fix the run when
//! burn's CPU kernels run single-threaded (`RAYON_NUM_THREADS=1`; results are also identical
//! between runs with the same thread count). Evaluation ([`Algorithm::act`]) draws from a
//! separate generator, so evaluating does not change training.

use crate::algorithm::{Algorithm, AlgorithmSpec, Update};
use crate::checkpoint::{checkpoint_error, CheckpointReader, CheckpointWriter, RngState, STATE_FILE};
use crate::error::{AgentError, Result};
use crate::nets::{self, Activation, EncoderKind};
use crate::normalize::{ObsNormalizer, RewardNormState, RewardNormalizer, RmsState};
use crate::policy::{ActionKind, ActorCritic, Policy, PolicyConfig, PolicyInput};
use crate::rollout::{self, Normalizers, RolloutBuffer};
use crate::shaping::RewardShaper;
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use limbic_environments::rng::Generator;
use limbic_environments::vector::VecEnv;
use limbic_environments::Value;
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
    /// Minibatch size (the last minibatch of an epoch may be smaller).
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
        }
    }
}

impl PpoConfig {
    /// Reads a JSON object; absent keys take their defaults, an unknown key is an error that
    /// lists the valid ones.
    pub fn from_json(params: &serde_json::Value) -> Result<Self> {
        let config: PpoConfig = serde_json::from_value(params.clone())
            .map_err(|e| AgentError::Config { field: "ppo".into(), message: e.to_string() })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        let bad = |field: &str, message: &str| Err(AgentError::Config { field: field.into(), message: message.into() });
        let unit = |x: f64| (0.0..=1.0).contains(&x);
        if self.n_steps == 0 {
            return bad("n_steps", "must be at least 1");
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1");
        }
        if self.n_epochs == 0 {
            return bad("n_epochs", "must be at least 1");
        }
        if !positive(self.learning_rate) {
            return bad("learning_rate", "must be a positive number");
        }
        if !unit(self.gamma) {
            return bad("gamma", "must be within [0, 1]");
        }
        if !unit(self.gae_lambda) {
            return bad("gae_lambda", "must be within [0, 1]");
        }
        if !positive(self.clip_range) {
            return bad("clip_range", "must be positive");
        }
        if self.clip_range_vf.is_some_and(|c| !positive(c)) {
            return bad("clip_range_vf", "must be positive when given");
        }
        if self.target_kl.is_some_and(|k| !positive(k)) {
            return bad("target_kl", "must be positive when given");
        }
        if !positive(self.max_grad_norm) {
            return bad("max_grad_norm", "must be positive");
        }
        if self.value_streams == 0 {
            return bad("value_streams", "must be at least 1");
        }
        if self.net_arch.contains(&0) {
            return bad("net_arch", "a layer of width 0");
        }
        Ok(())
    }

    fn policy(&self) -> PolicyConfig {
        PolicyConfig {
            net_arch: self.net_arch.clone(),
            activation: self.activation,
            ortho_init: self.ortho_init,
            value_streams: self.value_streams,
            goal_dim: 0,
            log_std_init: self.log_std_init,
        }
    }
}

/// A PPO learner; see the [module docs](self).
pub struct Ppo {
    config: PpoConfig,
    kind: ActionKind,
    n_envs: usize,
    obs_dim: usize,
    /// The autodiff device the model trains on, and its plain counterpart for acting.
    device: Device,
    base: Device,
    model: ActorCritic,
    /// `model.valid()`, kept until the next update or load.
    inference: Option<ActorCritic>,
    optimizer: ModuleOptimizer,
    /// Actions and minibatch order during training.
    rng: Generator,
    /// Actions for [`Algorithm::act`].
    act_rng: Generator,
    obs_norm: Option<ObsNormalizer>,
    reward_norm: Option<RewardNormalizer>,
    buffer: RolloutBuffer,
    updates: u64,
    env_steps: u64,
    /// The run's budget in env steps, which the annealing schedules span.
    total_steps: u64,
    /// Intrinsic rewards, if any.
    shaper: Option<Box<dyn RewardShaper>>,
    /// Discount of each reward stream (stream 0: `gamma`).
    gammas: Vec<f64>,
    /// Weight of each stream's advantages.
    advantage_coefs: Vec<f64>,
}

impl Ppo {
    /// A learner for `spec`'s spaces, hyperparameters (`spec.params`) and seed.
    pub fn new(spec: &AlgorithmSpec) -> Result<Self> {
        Self::with_shaper(spec, None)
    }

    /// A learner whose rewards come from `shaper` (one value head per stream); `None` is
    /// [`Ppo::new`].
    pub fn with_shaper(spec: &AlgorithmSpec, shaper: Option<Box<dyn RewardShaper>>) -> Result<Self> {
        let mut config = PpoConfig::from_json(spec.params)?;
        let (mut gammas, mut advantage_coefs) =
            (vec![config.gamma; config.value_streams], vec![1.0; config.value_streams]);
        if let Some(streams) = shaper.as_ref().map(|s| s.streams()) {
            if config.value_streams != 1 && config.value_streams != streams.len() {
                return Err(AgentError::Config {
                    field: "value_streams".into(),
                    message: format!(
                        "the reward signals make {} streams, the config asks for {}",
                        streams.len(),
                        config.value_streams
                    ),
                });
            }
            config.value_streams = streams.len();
            gammas = streams.iter().enumerate().map(|(k, s)| if k == 0 { config.gamma } else { s.gamma }).collect();
            advantage_coefs = streams.iter().map(|s| s.advantage_coef).collect();
        }
        let encoder = EncoderKind::for_space(spec.observation_space)?;
        let kind = ActionKind::for_space(spec.action_space)?;
        if spec.num_envs == 0 {
            return Err(AgentError::Config { field: "num_envs".into(), message: "must be at least 1".into() });
        }
        let base = Device::flex();
        let device = base.clone().autodiff();
        let mut rng = Generator::from_seed(spec.seed);
        let model = ActorCritic::new(&config.policy(), encoder, &kind, &mut rng, &device)?;
        let optimizer = AdamConfig::new().with_epsilon(config.adam_epsilon as f32).init();
        let obs_dim = encoder.obs_dim();
        let mut buffer =
            RolloutBuffer::new(config.n_steps, spec.num_envs, obs_dim, kind.action_dim(), config.value_streams);
        if shaper.is_some() {
            buffer = buffer.with_raw_steps();
        }
        Ok(Ppo {
            obs_norm: config.normalize_obs.then(|| ObsNormalizer::new(obs_dim, config.clip_obs)),
            reward_norm: config
                .normalize_reward
                .then(|| RewardNormalizer::new(spec.num_envs, config.gamma, config.clip_reward)),
            n_envs: spec.num_envs,
            obs_dim,
            kind,
            device,
            base,
            model,
            inference: None,
            optimizer,
            act_rng: Generator::from_seed(spec.seed.wrapping_add(1)),
            rng,
            buffer,
            updates: 0,
            env_steps: 0,
            total_steps: spec.total_steps,
            shaper,
            gammas,
            advantage_coefs,
            config,
        })
    }

    pub fn config(&self) -> &PpoConfig {
        &self.config
    }

    /// Updates done so far.
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// Env steps consumed so far.
    pub fn env_steps(&self) -> u64 {
        self.env_steps
    }

    fn inference(&mut self) -> &ActorCritic {
        self.inference.get_or_insert_with(|| self.model.valid())
    }

    /// Collects a rollout with the current policy into `self.buffer`.
    fn collect(&mut self, envs: &mut VecEnv) -> Result<u64> {
        let policy = self.model.valid();
        let (base, n) = (self.base.clone(), self.n_envs);
        let normalizers = Normalizers { obs: self.obs_norm.as_mut(), reward: self.reward_norm.as_mut() };
        let shaper = self.shaper.as_deref_mut().map(|s| s as &mut dyn RewardShaper);
        rollout::collect(envs, &mut self.buffer, &self.kind, &mut self.rng, normalizers, shaper, |obs| {
            policy.evaluate_rows(obs, n, &base)
        })
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

    /// One minibatch as a single `[B, W]` upload: observations, encoded actions, old
    /// log-probabilities, advantages (summed over streams, standardized), returns `[K]`, old
    /// values `[K]`.
    fn pack_minibatch(&self, slots: &[usize], packed: &mut Vec<f32>) -> usize {
        let b = &self.buffer;
        let (d, k) = (b.obs_dim, b.streams);
        let e = self.kind.encoded_dim();
        let width = d + e + 2 + 2 * k;
        packed.clear();
        packed.resize(slots.len() * width, 0.0);
        let coefs = &self.advantage_coefs;
        let advantages: Vec<f64> = slots
            .iter()
            .map(|&s| b.advantages[s * k..(s + 1) * k].iter().zip(coefs).map(|(&a, &c)| a as f64 * c).sum())
            .collect();
        let (mean, std) = mean_std(&advantages);
        let standardize = self.config.normalize_advantage && slots.len() > 1;
        for (row, (&s, &adv)) in packed.chunks_exact_mut(width).zip(slots.iter().zip(&advantages)) {
            row[..d].copy_from_slice(&b.obs[s * d..(s + 1) * d]);
            let actions = &b.actions[s * b.action_dim..(s + 1) * b.action_dim];
            match self.kind {
                ActionKind::Discrete { .. } => row[d + actions[0] as usize] = 1.0,
                ActionKind::Continuous { .. } => row[d..d + e].copy_from_slice(actions),
            }
            row[d + e] = b.log_probs[s];
            row[d + e + 1] = if standardize { ((adv - mean) / (std + 1e-8)) as f32 } else { adv as f32 };
            row[d + e + 2..d + e + 2 + k].copy_from_slice(&b.returns[s * k..(s + 1) * k]);
            row[d + e + 2 + k..].copy_from_slice(&b.values[s * k..(s + 1) * k]);
        }
        width
    }

    fn non_finite(&self, quantity: &str, value: f64) -> AgentError {
        AgentError::NonFinite { update: self.updates + 1, quantity: quantity.into(), value }
    }

    /// Learns from the rollout in `self.buffer`; returns the averaged diagnostics.
    fn train(&mut self, learning_rate: f64, clip_range: f64) -> Result<Stats> {
        let c = &self.config;
        let (d, k, e) = (self.buffer.obs_dim, self.buffer.streams, self.kind.encoded_dim());
        let (clip_vf, ent_coef, vf_coef, max_norm, target_kl) =
            (c.clip_range_vf, c.ent_coef, c.vf_coef, c.max_grad_norm, c.target_kl);
        let mut slots = self.buffer.valid_slots();
        let mut stats = Stats::default();
        let mut packed = Vec::new();
        'epochs: for _ in 0..c.n_epochs {
            self.rng.shuffle(&mut slots);
            for chunk in slots.chunks(c.batch_size) {
                let b = chunk.len();
                let width = self.pack_minibatch(chunk, &mut packed);
                let x = Tensor::<2>::from_data(TensorData::new(std::mem::take(&mut packed), [b, width]), &self.device);
                let obs = x.clone().narrow(1, 0, d);
                let actions = x.clone().narrow(1, d, e);
                let old_log_probs = x.clone().narrow(1, d + e, 1).reshape([b]);
                let advantages = x.clone().narrow(1, d + e + 1, 1).reshape([b]);
                let returns = x.clone().narrow(1, d + e + 2, k);
                let old_values = x.narrow(1, d + e + 2 + k, k);

                let out = self.model.forward(PolicyInput::obs(obs));
                let (log_probs, entropy) = out.dist.log_prob_entropy(actions);
                // Clipped surrogate objective.
                let log_ratio = log_probs - old_log_probs;
                let ratio = log_ratio.clone().exp();
                let surrogate = ratio.clone() * advantages.clone();
                let clipped = ratio.clamp(1.0 - clip_range, 1.0 + clip_range) * advantages;
                let policy_loss = surrogate.min_pair(clipped).mean().neg();
                // Value loss, optionally clipped around the rollout's estimates (SB3's form).
                let values = match clip_vf {
                    Some(cvf) => old_values.clone() + (out.values - old_values).clamp(-cvf, cvf),
                    None => out.values,
                };
                let value_loss = (returns - values).square().mean();
                let entropy_loss = entropy.mean().neg();
                let loss = policy_loss.clone() + entropy_loss.clone() * ent_coef + value_loss.clone() * vf_coef;

                // Diagnostics in one download: the three losses, then the log-ratios.
                let numbers = nets::download(Tensor::cat(
                    vec![policy_loss.detach(), value_loss.detach(), entropy_loss.detach(), log_ratio.detach()],
                    0,
                ))?;
                let (losses, log_ratios) = numbers.split_at(3);
                for (name, &value) in ["loss/policy", "loss/value", "loss/entropy"].iter().zip(losses) {
                    if !value.is_finite() {
                        return Err(self.non_finite(name, value as f64));
                    }
                }
                let (approx_kl, clip_fraction) = kl_and_clip_fraction(log_ratios, clip_range);
                stats.add_minibatch(losses, approx_kl, clip_fraction);
                if target_kl.is_some_and(|kl| approx_kl > 1.5 * kl) {
                    stats.stopped_early = true;
                    break 'epochs;
                }

                let mut grads = GradientsParams::from_grads(loss.backward(), &self.model);
                let grad_norm = clip_global_norm(&self.model, &mut grads, max_norm)?;
                if !grad_norm.is_finite() {
                    return Err(self.non_finite("grad_norm", grad_norm));
                }
                stats.grad_norms.push(grad_norm);
                self.model = self.optimizer.step(learning_rate, self.model.clone(), grads);
            }
        }
        Ok(stats)
    }

    /// The sum of every parameter: finite exactly when every parameter is.
    fn parameter_sum(&self) -> Result<f64> {
        let mut visitor = Sums { sums: Vec::new(), grads: None };
        self.model.visit(&mut visitor);
        let sums = nets::download(Tensor::cat(visitor.sums, 0))?;
        Ok(sums.iter().map(|&s| s as f64).sum())
    }
}

impl Algorithm for Ppo {
    fn name(&self) -> &'static str {
        "ppo"
    }

    fn update(&mut self, envs: &mut VecEnv) -> Result<Update> {
        self.inference = None;
        // 1-2. Roll out with the current policy.
        let steps = self.collect(envs)?;
        self.env_steps += steps;
        let shaping = self.shape_rewards()?;
        // Schedules at the progress after this rollout, as SB3 computes them.
        let remaining = (1.0 - self.env_steps as f64 / self.total_steps.max(1) as f64).max(0.0);
        let learning_rate = self.config.learning_rate * if self.config.anneal_lr { remaining } else { 1.0 };
        let clip_range = self.config.clip_range * if self.config.anneal_clip { remaining } else { 1.0 };
        // 3. Advantages: every stream with its own discount.
        self.buffer.compute_gae(&self.gammas, self.config.gae_lambda);
        // 4. Learn.
        // An annealed rate reaches 0 on the last update: nothing to learn, and no losses to report.
        let trained = learning_rate > 0.0;
        let stats = if trained { self.train(learning_rate, clip_range)? } else { Stats::default() };
        // 5. Diagnostics and the health check.
        let sum = self.parameter_sum()?;
        if !sum.is_finite() {
            return Err(self.non_finite("parameters", sum));
        }
        self.updates += 1;
        let mut metrics = if trained { stats.metrics() } else { BTreeMap::new() };
        metrics.insert("learning_rate".into(), learning_rate);
        metrics.insert("clip_range".into(), clip_range);
        if let Some(ev) = explained_variance(&self.buffer) {
            metrics.insert("explained_variance".into(), ev);
        }
        metrics.extend(shaping);
        Ok(Update { env_steps: steps, metrics })
    }

    fn act(&mut self, obs: &[f32], _episode_starts: &[bool], deterministic: bool) -> Result<Vec<Value>> {
        if obs.is_empty() || !obs.len().is_multiple_of(self.obs_dim) {
            return Err(AgentError::Config {
                field: "obs".into(),
                message: format!("expected rows of {} numbers, got {} numbers", self.obs_dim, obs.len()),
            });
        }
        let rows = obs.len() / self.obs_dim;
        let mut normalized = obs.to_vec();
        if let Some(norm) = &self.obs_norm {
            norm.normalize(obs, &mut normalized);
        }
        let base = self.base.clone();
        let acting = self.inference().evaluate_rows(&normalized, rows, &base)?;
        let a = self.kind.action_dim();
        let (mut actions, mut log_probs) = (vec![0.0f32; rows * a], vec![0.0f32; rows]);
        acting.sample(&self.kind, deterministic, &mut self.act_rng, &mut actions, &mut log_probs);
        Ok(match &self.kind {
            ActionKind::Discrete { start, .. } => actions.iter().map(|&x| Value::Int(x as i64 + start)).collect(),
            ActionKind::Continuous { low, high, .. } => actions
                .chunks_exact(a)
                .map(|row| Value::F32(row.iter().enumerate().map(|(j, &x)| x.clamp(low[j], high[j])).collect()))
                .collect(),
        })
    }

    fn save(&self, dir: &Path) -> Result<()> {
        let mut writer = CheckpointWriter::new(dir)?;
        writer.module(MODEL_FILE, &self.model)?;
        writer.optimizer(OPTIMIZER_FILE, &self.optimizer)?;
        let state = SavedState {
            config: self.config.clone(),
            n_envs: self.n_envs,
            obs_dim: self.obs_dim,
            updates: self.updates,
            env_steps: self.env_steps,
            rng: RngState::of(&self.rng),
            act_rng: RngState::of(&self.act_rng),
            obs_rms: self.obs_norm.as_ref().map(ObsNormalizer::state),
            reward_norm: self.reward_norm.as_ref().map(RewardNormalizer::state),
        };
        if let Some(shaper) = &self.shaper {
            shaper.save(&dir.join(SHAPER_DIR))?;
        }
        writer.finish(FORMAT, &state)
    }

    /// Restores everything [`Ppo::save`] wrote, each file checked against the manifest; the
    /// learner must have been built with the same config and spaces. Nothing changes unless
    /// every file loads.
    fn load(&mut self, dir: &Path) -> Result<()> {
        let (reader, state) = CheckpointReader::open::<SavedState>(dir, FORMAT)?;
        let state_path = reader.path(STATE_FILE);
        let corrupt = |message: String| checkpoint_error(&state_path, message);
        if state.config != self.config || state.n_envs != self.n_envs || state.obs_dim != self.obs_dim {
            return Err(corrupt("saved with another configuration or environment".into()));
        }
        let model = reader.module(MODEL_FILE, self.model.clone())?;
        let optimizer = reader.optimizer(OPTIMIZER_FILE, self.optimizer.clone())?;
        let mut obs_norm = self.obs_norm.clone();
        if let (Some(norm), Some(saved)) = (obs_norm.as_mut(), &state.obs_rms) {
            norm.load(saved).map_err(|e| corrupt(e.to_string()))?;
        }
        let mut reward_norm = self.reward_norm.clone();
        if let (Some(norm), Some(saved)) = (reward_norm.as_mut(), &state.reward_norm) {
            norm.load(saved).map_err(|e| corrupt(e.to_string()))?;
        }
        let rng = state.rng.restore(&state_path)?;
        let act_rng = state.act_rng.restore(&state_path)?;
        if let Some(shaper) = self.shaper.as_mut() {
            shaper.load(&dir.join(SHAPER_DIR))?;
        }
        // Everything read and checked: commit.
        (self.model, self.optimizer, self.obs_norm, self.reward_norm) = (model, optimizer, obs_norm, reward_norm);
        (self.rng, self.act_rng, self.updates, self.env_steps) = (rng, act_rng, state.updates, state.env_steps);
        self.inference = None;
        Ok(())
    }
}

/// A positive finite number (NaN is not).
fn positive(x: f64) -> bool {
    x > 0.0 && x.is_finite()
}

/// Where a checkpoint keeps the reward shaper's state.
pub const SHAPER_DIR: &str = "rewards";

/// Tag of the checkpoint's layout (`limbic-ppo-1` had no manifest).
const FORMAT: &str = "limbic-ppo-2";
const MODEL_FILE: &str = "ppo_model.bpk";
const OPTIMIZER_FILE: &str = "ppo_optimizer.bpk";

/// The learner's own state in `state.json`: everything but the weights and the optimizer moments.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedState {
    config: PpoConfig,
    n_envs: usize,
    obs_dim: usize,
    updates: u64,
    env_steps: u64,
    rng: RngState,
    act_rng: RngState,
    obs_rms: Option<RmsState>,
    reward_norm: Option<RewardNormState>,
}

/// Per-minibatch diagnostics, averaged into the update's metrics as SB3 logs them.
#[derive(Default)]
struct Stats {
    policy_losses: Vec<f64>,
    value_losses: Vec<f64>,
    entropy_losses: Vec<f64>,
    approx_kls: Vec<f64>,
    clip_fractions: Vec<f64>,
    grad_norms: Vec<f64>,
    stopped_early: bool,
}

impl Stats {
    fn add_minibatch(&mut self, losses: &[f32], approx_kl: f64, clip_fraction: f64) {
        self.policy_losses.push(losses[0] as f64);
        self.value_losses.push(losses[1] as f64);
        self.entropy_losses.push(losses[2] as f64);
        self.approx_kls.push(approx_kl);
        self.clip_fractions.push(clip_fraction);
    }

    fn metrics(&self) -> BTreeMap<String, f64> {
        let mean = |v: &[f64]| if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
        let entropy_loss = mean(&self.entropy_losses);
        BTreeMap::from([
            ("loss/policy".into(), mean(&self.policy_losses)),
            ("loss/value".into(), mean(&self.value_losses)),
            ("loss/entropy".into(), entropy_loss),
            ("entropy".into(), -entropy_loss),
            ("approx_kl".into(), mean(&self.approx_kls)),
            ("clip_fraction".into(), mean(&self.clip_fractions)),
            ("grad_norm".into(), mean(&self.grad_norms)),
            ("gradient_steps".into(), self.grad_norms.len() as f64),
            ("stopped_early".into(), self.stopped_early as u8 as f64),
        ])
    }
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
fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
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

/// Per-parameter sums (of values, or of squared gradients when `grads` is given).
struct Sums<'a> {
    sums: Vec<Tensor<1>>,
    grads: Option<&'a GradientsParams>,
}

impl ModuleVisitor for Sums<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        match self.grads {
            Some(grads) => {
                if let Some(g) = grads.get::<D>(param.id) {
                    self.sums.push(g.square().sum());
                }
            }
            None => self.sums.push(param.val().detach().sum()),
        }
    }
}

/// Scales every gradient by one factor.
struct Scale<'a> {
    grads: &'a mut GradientsParams,
    factor: f64,
}

impl ModuleVisitor for Scale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.remove::<D>(param.id) {
            self.grads.register::<D>(param.id, g.mul_scalar(self.factor));
        }
    }
}

/// Clips the gradient to a global L2 norm of `max_norm` over all parameters together (what
/// `torch.nn.utils.clip_grad_norm_` does; burn's own clipping is per tensor). Returns the norm
/// before clipping.
fn clip_global_norm<M: Module>(model: &M, grads: &mut GradientsParams, max_norm: f64) -> Result<f64> {
    let mut sums = Sums { sums: Vec::new(), grads: Some(grads) };
    model.visit(&mut sums);
    if sums.sums.is_empty() {
        return Ok(0.0);
    }
    let squares = nets::download(Tensor::cat(sums.sums, 0))?;
    let norm = squares.iter().map(|&s| s as f64).sum::<f64>().sqrt();
    let factor = max_norm / (norm + 1e-6);
    if factor < 1.0 && norm.is_finite() {
        model.visit(&mut Scale { grads, factor });
    }
    Ok(norm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use limbic_environments::Kwargs;

    fn spec_for<'a>(envs: &'a VecEnv, params: &'a serde_json::Value, seed: u64, total_steps: u64) -> AlgorithmSpec<'a> {
        AlgorithmSpec {
            algo: "ppo",
            params,
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
        let error = Ppo::new(&spec_for(&envs, &params, 0, 1_000_000)).err().unwrap().to_string();
        assert!(
            error.contains("learning_rat") && error.contains("learning_rate") && error.contains("n_epochs"),
            "{error}"
        );
        let params = serde_json::json!({"gamma": 1.5});
        assert!(Ppo::new(&spec_for(&envs, &params, 0, 1_000_000)).err().unwrap().to_string().contains("gamma"));
    }

    #[test]
    fn gradient_clipping_uses_the_global_norm() {
        let device = Device::flex().autodiff();
        let mut rng = Generator::from_seed(0);
        let layer = nets::linear(3, 2, nets::Init::Orthogonal { gain: 1.0 }, &mut rng, &device);
        let x = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, -2.0, 3.0], [1, 3]), &device);
        let loss = layer.forward(x).sum().mul_scalar(10.0);
        let mut grads = GradientsParams::from_grads(loss.backward(), &layer);
        // d/dW = 10 x for each output, d/db = 10: |g|^2 = 2 * 100 * 14 + 2 * 100.
        let expected = (2.0 * 100.0 * 14.0 + 200.0f64).sqrt();
        let norm = clip_global_norm(&layer, &mut grads, 1.0).unwrap();
        assert!((norm - expected).abs() < 1e-3, "{norm} vs {expected}");
        let after = clip_global_norm(&layer, &mut grads, 1e9).unwrap();
        assert!((after - 1.0).abs() < 1e-5, "{after}");
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
            let mut ppo = Ppo::new(&spec_for(&envs, &params, seed, 100_000)).unwrap();
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
        let mut a = Ppo::new(&spec_for(&envs_a, &params, 11, 50_000)).unwrap();
        let mut b = Ppo::new(&spec_for(&envs_b, &params, 11, 50_000)).unwrap();
        for _ in 0..2 {
            assert_eq!(a.update(&mut envs_a).unwrap(), b.update(&mut envs_b).unwrap());
        }
        let dir = std::env::temp_dir().join(format!("limbic-ppo-ckpt-{}", std::process::id()));
        a.save(&dir).unwrap();
        let mut resumed = Ppo::new(&spec_for(&envs_b, &params, 999, 50_000)).unwrap();
        resumed.load(&dir).unwrap();
        assert_eq!((resumed.updates(), resumed.env_steps()), (2, 256));
        for _ in 0..2 {
            let (ua, ub) = (a.update(&mut envs_a).unwrap(), resumed.update(&mut envs_b).unwrap());
            assert_eq!(ua, ub, "metrics differ after resuming");
        }
        let obs = envs_a.last().obs.to_vec();
        assert_eq!(a.act(&obs, &[false; 4], false).unwrap(), resumed.act(&obs, &[false; 4], false).unwrap());

        // A damaged or missing file is an error that names it, and leaves the learner as it was;
        // a single flipped bit in the weights or the optimizer moments is caught too.
        for file in ["ppo_model.bpk", "ppo_optimizer.bpk"] {
            let original = std::fs::read(dir.join(file)).unwrap();
            let mut flipped = original.clone();
            let middle = flipped.len() / 2;
            flipped[middle] ^= 0x01;
            std::fs::write(dir.join(file), &flipped).unwrap();
            let error = resumed.load(&dir).unwrap_err().to_string();
            assert!(error.contains(file) && error.contains("checksum"), "{error}");
            std::fs::write(dir.join(file), b"").unwrap();
            let error = resumed.load(&dir).unwrap_err().to_string();
            assert!(error.contains(file) && error.contains("truncated"), "{error}");
            std::fs::write(dir.join(file), original).unwrap();
        }
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
        let mut ppo = Ppo::new(&spec_for(&envs, &params, 0, 1_000_000)).unwrap();
        let update = ppo.update(&mut envs).unwrap();
        assert_eq!(update.env_steps, 32);
        assert!(update.metrics.values().all(|v| v.is_finite()), "{:?}", update.metrics);
        // Entropy of the 1-d Gaussian with log-std 1 before the first step: 1/2 + ln(2 pi)/2 + 1.
        assert!((update.metrics["entropy"] - (1.5 + 0.5 * (2.0 * std::f64::consts::PI).ln())).abs() < 0.05);
        let obs = envs.last().obs.to_vec();
        let actions = ppo.act(&obs, &[false; 2], false).unwrap();
        let values: Vec<f32> = actions.iter().map(|a| a.as_f32().unwrap()[0]).collect();
        assert!(values.iter().all(|a| (-2.0..=2.0).contains(a)), "{values:?}");
        assert!(ppo.act(&obs[..2], &[false], false).is_err(), "a partial row is an error");
    }

    #[test]
    fn minigrid_trains_through_the_image_encoder() {
        let mut envs = VecEnv::make("MiniGrid-Empty-5x5-v0", 2, &Kwargs::new()).unwrap();
        envs.reset(Some(0)).unwrap();
        let params = serde_json::json!({"n_steps": 8, "batch_size": 8, "n_epochs": 1});
        let mut ppo = Ppo::new(&spec_for(&envs, &params, 0, 1_000_000)).unwrap();
        assert_eq!(ppo.obs_dim, 151);
        let update = ppo.update(&mut envs).unwrap();
        assert!(update.metrics["grad_norm"] > 0.0 && update.metrics["grad_norm"].is_finite());
        let obs = envs.last().obs.to_vec();
        for action in ppo.act(&obs, &[false; 2], true).unwrap() {
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
        let mut ppo = Ppo::new(&spec_for(&envs, &params, 0, 1_000_000)).unwrap();
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
        let mut ppo = Ppo::new(&spec_for(&envs, &params, 0, 25_000)).unwrap();
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
}
