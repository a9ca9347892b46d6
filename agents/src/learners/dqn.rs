//! DQN (Mnih et al. 2015) for Discrete actions, with Stable-Baselines3's schedule and names.
//!
//! One [`Algorithm::update`] is one round of SB3's `learn` loop:
//! 1. `train_freq` vector steps: epsilon-greedy actions (uniformly random ones until
//!    `learning_starts` env steps), every real transition into the replay buffer, and after
//!    each vector step the target network follows the online one every
//!    `target_update_interval` env steps (a copy for `tau = 1`, Polyak averaging below);
//! 2. once more than `learning_starts` env steps were taken, `gradient_steps` gradient steps,
//!    each on a uniformly sampled batch: Huber loss between `Q(s, a)` and the (n-step) TD target
//!    `r + gamma^k max_a' Q_target(s', a')` (or, with `double_q`, `Q_target(s', argmax_a'
//!    Q(s', a'))`; no bootstrap after a termination), gradients clipped to `max_grad_norm` by
//!    their global norm, then Adam.
//!
//! Counting as SB3 does: `train_freq` counts vector steps (each is one step of every sub-env);
//! `learning_starts`, `target_update_interval` and the exploration schedule count env steps of
//! all sub-envs together. Two deliberate departures from SB3: epsilon-greedy draws a random
//! action per sub-env (SB3 draws one coin for the whole batch), and the epsilon of a step is the
//! schedule's value at the current step count (SB3 uses the value of the previous step).
//!
//! The exploration schedule is a fraction of the run's length, so DQN needs
//! [`AlgorithmSpec::total_steps`].

use crate::buffers::replay::{ActionLayout, BatchLayout, ReplayBuffer, ReplayConfig};
use crate::core::algorithm::{defaults_json, Algorithm, AlgorithmEntry, AlgorithmSpec, Update};
use crate::core::checkpoint::{
    check_same_config, checkpoint_error, CheckpointReader, CheckpointWriter, RngState, STATE_FILE,
};
use crate::core::config::{at_least_one, invalid, layer_widths, parse_config, positive, unit};
use crate::core::optim::{check_finite, check_parameters, clip_grad_norm, polyak_update, Means, TORCH_ADAM_EPSILON};
use crate::error::{AgentError, Result};
use crate::learners::offpolicy::{check_envs, gradient_steps, load_replay, save_replay, store_step, Counters, Shaping};
use crate::nets::{download, linear, Activation, Encoder, EncoderSpec, Init, Mlp, MlpConfig};
use crate::policies::{Acted, Acting, ActingRows, Actor, EnvActions, SessionState};
use crate::runner::EnvRunner;
use crate::shaping::RewardShaper;
use burn::nn::Linear;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use limbic_environments::rng::Generator;
use limbic_environments::vector::VecEnv;
use limbic_environments::Space;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// DQN's hyperparameters. Names and defaults are SB3's (`stable_baselines3.DQN`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DqnConfig {
    /// Adam's step size (the initial one when `anneal_lr`). SB3: 1e-4.
    pub learning_rate: f64,
    /// Anneal the learning rate linearly to 0 over the run's total env steps (rl-zoo's
    /// `lin_<lr>`; SB3 takes it as a schedule). Constant when false.
    pub anneal_lr: bool,
    /// Transitions the replay buffer keeps. SB3: 1_000_000.
    pub buffer_size: usize,
    /// Env steps (all sub-envs together) of uniformly random actions before learning starts.
    /// SB3: 100.
    pub learning_starts: u64,
    /// Transitions per gradient step. SB3: 32.
    pub batch_size: usize,
    /// Target network update coefficient: 1 copies the online network (a hard update), less
    /// averages (Polyak). SB3: 1.
    pub tau: f64,
    /// Discount factor. SB3: 0.99.
    pub gamma: f64,
    /// Vector steps collected between two rounds of gradient steps. SB3: 4.
    pub train_freq: u64,
    /// Gradient steps per round; -1 = as many as env steps collected in the round. SB3: 1.
    pub gradient_steps: i64,
    /// Env steps between target network updates (at least one per vector step). SB3: 10_000.
    pub target_update_interval: u64,
    /// Fraction of the run over which epsilon falls linearly to its final value. SB3: 0.1.
    pub exploration_fraction: f64,
    /// Epsilon at the start. SB3: 1.
    pub exploration_initial_eps: f64,
    /// Epsilon after `exploration_fraction` of the run. SB3: 0.05.
    pub exploration_final_eps: f64,
    /// Steps in each return (1 = one-step TD; n-step returns stop at episode ends).
    pub n_step: usize,
    /// Double DQN (van Hasselt et al. 2016): the online network picks the next action, the
    /// target network values it. SB3's DQN has none: false.
    pub double_q: bool,
    /// Hidden layer widths of the Q-network (ReLU between them). SB3: [64, 64].
    pub net_arch: Vec<usize>,
    /// Limit on the global L2 norm of the gradients. SB3: 10.
    pub max_grad_norm: f64,
}

impl Default for DqnConfig {
    fn default() -> Self {
        DqnConfig {
            learning_rate: 1e-4,
            anneal_lr: false,
            buffer_size: 1_000_000,
            learning_starts: 100,
            batch_size: 32,
            tau: 1.0,
            gamma: 0.99,
            train_freq: 4,
            gradient_steps: 1,
            target_update_interval: 10_000,
            exploration_fraction: 0.1,
            exploration_initial_eps: 1.0,
            exploration_final_eps: 0.05,
            n_step: 1,
            double_q: false,
            net_arch: vec![64, 64],
            max_grad_norm: 10.0,
        }
    }
}

/// The registry's entry.
pub const ENTRY: AlgorithmEntry = AlgorithmEntry {
    name: "dqn",
    summary: "DQN (Mnih et al. 2015), SB3's schedule and names; double Q and n-step returns as options",
    params: &[
        ("learning_rate", "Adam step size (the initial one with anneal_lr)"),
        ("anneal_lr", "anneal the learning rate linearly to 0 over the run"),
        ("buffer_size", "transitions the replay buffer keeps"),
        ("learning_starts", "env steps of uniformly random actions before learning"),
        ("batch_size", "transitions per gradient step"),
        ("tau", "target update coefficient (1: hard copy)"),
        ("gamma", "discount factor"),
        ("train_freq", "vector steps between rounds of gradient steps"),
        ("gradient_steps", "gradient steps per round (-1: as many as env steps collected)"),
        ("target_update_interval", "env steps between target updates"),
        ("exploration_fraction", "fraction of the run over which epsilon falls"),
        ("exploration_initial_eps", "epsilon at the start"),
        ("exploration_final_eps", "epsilon after exploration_fraction of the run"),
        ("n_step", "steps in each return"),
        ("double_q", "double DQN"),
        ("net_arch", "hidden layers of the Q-network"),
        ("max_grad_norm", "limit on the global norm of the gradients"),
    ],
    defaults: || defaults_json(&DqnConfig::default()),
    needs_demonstrations: false,
    memory: false,
    build: |spec, shaper| Ok(Box::new(Dqn::with_shaper(spec, shaper)?)),
};

impl DqnConfig {
    fn validate(&self) -> Result<()> {
        positive("learning_rate", self.learning_rate)?;
        positive("max_grad_norm", self.max_grad_norm)?;
        positive("tau", self.tau)?;
        for (field, value) in [
            ("tau", self.tau),
            ("gamma", self.gamma),
            ("exploration_fraction", self.exploration_fraction),
            ("exploration_initial_eps", self.exploration_initial_eps),
            ("exploration_final_eps", self.exploration_final_eps),
        ] {
            unit(field, value)?;
        }
        for (field, value) in [
            ("buffer_size", self.buffer_size as u64),
            ("batch_size", self.batch_size as u64),
            ("train_freq", self.train_freq),
            ("target_update_interval", self.target_update_interval),
            ("n_step", self.n_step as u64),
        ] {
            at_least_one(field, value)?;
        }
        if self.gradient_steps < -1 {
            return Err(invalid("gradient_steps", "must be -1 (as many as env steps collected) or at least 0"));
        }
        layer_widths("net_arch", &self.net_arch)
    }

    /// The learning rate after `num_timesteps` of `total_timesteps` env steps: constant, or with
    /// `anneal_lr` falling linearly from `learning_rate` to 0 at the end of the run.
    pub fn learning_rate_at(&self, num_timesteps: u64, total_timesteps: u64) -> f64 {
        let remaining = 1.0 - num_timesteps as f64 / total_timesteps.max(1) as f64;
        self.learning_rate * if self.anneal_lr { remaining.max(0.0) } else { 1.0 }
    }

    /// Epsilon after `num_timesteps` of `total_timesteps` env steps: linear from the initial to
    /// the final value over the first `exploration_fraction` of the run, then constant (SB3's
    /// `get_linear_fn`).
    pub fn epsilon(&self, num_timesteps: u64, total_timesteps: u64) -> f64 {
        let progress = num_timesteps as f64 / total_timesteps.max(1) as f64;
        if progress >= self.exploration_fraction {
            self.exploration_final_eps
        } else {
            let slope = (self.exploration_final_eps - self.exploration_initial_eps) / self.exploration_fraction;
            self.exploration_initial_eps + progress * slope
        }
    }
}

/// Observation rows to one Q-value per action: encoder, ReLU MLP, linear head.
#[derive(Module, Debug)]
pub struct QNetwork {
    pub encoder: Encoder,
    pub torso: Mlp,
    pub head: Linear,
}

impl QNetwork {
    /// Drawn with PyTorch's default initialization, as SB3's `QNetwork` is.
    pub fn new(
        kind: impl Into<EncoderSpec>,
        hidden: &[usize],
        actions: usize,
        rng: &mut Generator,
        device: &Device,
    ) -> Result<Self> {
        let init = Init::TorchDefault;
        let encoder = Encoder::new(kind, init, rng, device)?;
        let torso = MlpConfig { hidden: hidden.to_vec(), activation: Activation::Relu }.init(
            encoder.out_dim(),
            init,
            rng,
            device,
        );
        let head = linear(torso.out_dim(), actions, init, rng, device);
        Ok(QNetwork { encoder, torso, head })
    }

    /// `[B, D]` observations to `[B, actions]` Q-values.
    pub fn forward(&self, obs: Tensor<2>) -> Tensor<2> {
        self.head.forward(self.torso.forward(self.encoder.forward(obs)))
    }
}

/// Elementwise Huber loss with threshold 1 (PyTorch's `smooth_l1_loss`): `x^2 / 2` within
/// `[-1, 1]`, `|x| - 1/2` outside.
pub fn huber(x: Tensor<2>) -> Tensor<2> {
    let magnitude = x.abs();
    let within = magnitude.clone().clamp_max(1.0);
    within.clone().square().mul_scalar(0.5) + (magnitude - within)
}

/// The first largest value of each row of `values` (`[rows, n]`).
fn argmax_rows(values: &[f32], n: usize) -> Vec<usize> {
    values.chunks_exact(n).map(|row| (0..n).fold(0, |best, a| if row[a] > row[best] { a } else { best })).collect()
}

/// Where DQN's training batches come from: by default the agent's replay alone; SQIL mixes
/// in demonstrations ([`crate::imitation::sqil`]).
pub trait BatchSampler: Send {
    /// `batch` rows of the replay's layout into `rows`.
    fn sample(&self, replay: &ReplayBuffer, batch: usize, rng: &mut Generator, rows: &mut Vec<f32>) -> BatchLayout;
}

/// Greedy or epsilon-greedy actions of a frozen Q-network: DQN's acting policy.
pub struct QActing {
    q: QNetwork,
    device: Device,
    obs_dim: usize,
    n_actions: usize,
    action_start: i64,
    /// Probability of a uniformly random action when acting stochastically.
    epsilon: f64,
}

impl QActing {
    fn new(q: &QNetwork, device: &Device, obs_dim: usize, n_actions: usize, action_start: i64, epsilon: f64) -> Self {
        QActing { q: q.valid(), device: device.clone(), obs_dim, n_actions, action_start, epsilon }
    }
}

impl Acting for QActing {
    fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    fn act(&self, rows: ActingRows, deterministic: bool, rng: &mut Generator) -> Result<Acted> {
        let n = rows.starts.len();
        let epsilon = if deterministic { 0.0 } else { self.epsilon };
        let mut picks: Vec<Option<usize>> = Vec::with_capacity(n);
        for _ in 0..n {
            let random = epsilon > 0.0 && rng.random() < epsilon;
            picks.push(random.then(|| rng.integers(0, self.n_actions as i64) as usize));
        }
        let greedy = if picks.contains(&None) {
            let obs = Tensor::<2>::from_data(TensorData::new(rows.obs.to_vec(), [n, self.obs_dim]), &self.device);
            argmax_rows(&download(self.q.forward(obs))?, self.n_actions)
        } else {
            Vec::new()
        };
        let actions: Vec<usize> = picks.iter().enumerate().map(|(i, a)| a.unwrap_or_else(|| greedy[i])).collect();
        Ok(Acted::chosen(
            actions.iter().map(|&a| a as f32).collect(),
            EnvActions::Discrete(actions.iter().map(|&a| self.action_start + a as i64).collect()),
            n,
        ))
    }
}

/// A DQN learner; see the [module docs](self).
pub struct Dqn {
    config: DqnConfig,
    total_timesteps: u64,
    obs_dim: usize,
    num_envs: usize,
    n_actions: usize,
    /// The first action's value (`Discrete.start`).
    action_start: i64,
    /// Where batches are uploaded and the target network lives.
    device: Device,
    /// The online network, on the autodiff device.
    q: QNetwork,
    q_target: QNetwork,
    optimizer: ModuleOptimizer,
    buffer: ReplayBuffer,
    /// Batch sampling.
    rng: Generator,
    /// The training collection's acting session (exploration draws).
    collector: Actor,
    runner: EnvRunner,
    counters: Counters,
    /// Reused sampled rows.
    rows: Vec<f32>,
    /// Where batches come from, when not from the replay alone.
    sampler: Option<Box<dyn BatchSampler>>,
    /// Intrinsic rewards, if any (stored as the sum of the streams).
    shaping: Option<Shaping>,
}

/// `state.json`'s format tag.
const FORMAT: &str = "limbic-dqn-v2";

/// What `state.json` holds besides the manifest.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DqnState {
    config: DqnConfig,
    total_timesteps: u64,
    obs_dim: usize,
    num_envs: usize,
    n_actions: usize,
    counters: Counters,
    rng: RngState,
    collector: SessionState,
}

impl Dqn {
    pub fn new(spec: &AlgorithmSpec) -> Result<Dqn> {
        Self::with_shaper(spec, None)
    }

    /// A learner whose stored rewards come from `shaper` (see [`Shaping`]); `None` is `new`.
    pub fn with_shaper(spec: &AlgorithmSpec, shaper: Option<Box<dyn RewardShaper>>) -> Result<Dqn> {
        let config: DqnConfig = parse_config("dqn", spec.params)?;
        config.validate()?;
        if spec.total_steps == 0 {
            return Err(invalid("total_steps", "dqn needs the run's total env steps for its exploration schedule"));
        }
        let total_timesteps = spec.total_steps;
        let (n_actions, action_start) = match spec.action_space {
            Space::Discrete { n, start } if *n > 0 => (*n as usize, *start),
            other => {
                return Err(AgentError::Unsupported(format!(
                    "dqn needs a Discrete action space, got {}",
                    other.describe()
                )))
            }
        };
        if spec.num_envs == 0 {
            return Err(invalid("num_envs", "must be at least 1"));
        }
        let encoder = spec.policy.encoder(spec.observation_space)?;
        let obs_dim = encoder.obs_dim();
        let device = Device::flex();
        device.seed(spec.seed);
        let mut rng = Generator::from_seed(spec.seed);
        let q = QNetwork::new(encoder, &config.net_arch, n_actions, &mut rng, &device.clone().autodiff())?;
        let collector_seed = rng.next_u64();
        let shaping = shaper.map(Shaping::new);
        let buffer = ReplayBuffer::new(ReplayConfig {
            capacity: config.buffer_size,
            obs_dim,
            action: ActionLayout::Discrete { n: n_actions },
            num_envs: spec.num_envs,
            n_step: config.n_step,
            gamma: config.gamma,
            parts: shaping.as_ref().map_or(0, Shaping::parts),
        })?;
        let acting = QActing::new(&q, &device, obs_dim, n_actions, action_start, 1.0);
        Ok(Dqn {
            optimizer: AdamConfig::new().with_epsilon(TORCH_ADAM_EPSILON).init(),
            q_target: q.valid(),
            collector: Actor::new(Box::new(acting), spec.num_envs, collector_seed),
            runner: EnvRunner::default(),
            q,
            buffer,
            rng,
            total_timesteps,
            obs_dim,
            num_envs: spec.num_envs,
            n_actions,
            action_start,
            device,
            counters: Counters::default(),
            rows: Vec::new(),
            sampler: None,
            shaping,
            config,
        })
    }

    pub fn config(&self) -> &DqnConfig {
        &self.config
    }

    /// The shape of the agent's replay buffer.
    pub fn replay_config(&self) -> &ReplayConfig {
        self.buffer.config()
    }

    /// Takes training batches from `sampler` instead of the replay alone.
    pub fn set_sampler(&mut self, sampler: Box<dyn BatchSampler>) {
        self.sampler = Some(sampler);
    }

    pub fn has_sampler(&self) -> bool {
        self.sampler.is_some()
    }

    /// The learning rate at the current step count (SB3 sets it from the progress after the
    /// collection that precedes a round of gradient steps).
    pub fn learning_rate(&self) -> f64 {
        self.config.learning_rate_at(self.counters.num_timesteps, self.total_timesteps)
    }

    /// Epsilon at the current step count.
    pub fn epsilon(&self) -> f64 {
        self.config.epsilon(self.counters.num_timesteps, self.total_timesteps)
    }

    /// The online network frozen for acting, with `epsilon` for stochastic acting.
    fn acting(&self, epsilon: f64) -> Box<dyn Acting> {
        Box::new(QActing::new(&self.q, &self.device, self.obs_dim, self.n_actions, self.action_start, epsilon))
    }

    /// Epsilon for the next training step (uniformly random actions before `learning_starts`).
    fn exploration(&self) -> f64 {
        if self.counters.num_timesteps < self.config.learning_starts {
            1.0
        } else {
            self.epsilon()
        }
    }

    /// One gradient step on a sampled batch; adds its diagnostics to `means`.
    fn gradient_step(&mut self, learning_rate: f64, means: &mut Means) -> Result<()> {
        let update = self.counters.updates;
        let layout = match &self.sampler {
            Some(sampler) => sampler.sample(&self.buffer, self.config.batch_size, &mut self.rng, &mut self.rows),
            None => self.buffer.sample(self.config.batch_size, &mut self.rng, &mut self.rows),
        };
        let batch = layout.upload(&self.rows, &self.device);

        // TD target, without gradient: r + gamma^k Q_target(s', a'), a' greedy for the target
        // network or (double DQN) for the online one; the discount is 0 after a termination.
        let next_values = self.q_target.forward(batch.next_obs.clone());
        let next_q = if self.config.double_q {
            let best = self.q.valid().forward(batch.next_obs).argmax(1);
            next_values.gather(1, best)
        } else {
            next_values.max_dim(1)
        };
        let target = batch.rewards + batch.discounts * next_q;

        // Q(s, a) of the stored actions (their one-hot rows pick the column), Huber loss.
        let q_taken = (self.q.forward(batch.obs) * batch.actions).sum_dim(1);
        let loss = huber(q_taken.clone() - target).mean();
        let values = download(Tensor::cat(vec![loss.clone().inner(), q_taken.inner().mean()], 0))?;
        let loss_value = check_finite(values[0] as f64, "loss/q", update)?;

        let mut grads = GradientsParams::from_grads(loss.backward(), &self.q);
        let grad_norm = clip_grad_norm(&mut grads, &self.q, self.config.max_grad_norm)?;
        check_finite(grad_norm, "grad_norm", update)?;
        self.q = self.optimizer.step(learning_rate, self.q.clone(), grads);
        self.counters.gradient_steps += 1;

        means.add("loss/q", loss_value);
        means.add("q_mean", values[1] as f64);
        means.add("grad_norm", grad_norm);
        Ok(())
    }
}

impl Algorithm for Dqn {
    fn name(&self) -> &'static str {
        "dqn"
    }

    fn update(&mut self, envs: &mut VecEnv) -> Result<Update> {
        check_envs(envs, self.obs_dim, self.num_envs)?;
        self.counters.updates += 1;
        let n = self.num_envs as u64;
        // SB3 syncs the target every `target_update_interval / n_envs` vector steps.
        let target_every = (self.config.target_update_interval / n).max(1);

        // 1. Collect `train_freq` vector steps.
        for _ in 0..self.config.train_freq {
            self.collector.set_policy(self.acting(self.exploration()))?;
            let batch = self.runner.step(envs, &mut self.collector)?;
            store_step(&batch, &mut self.buffer, self.shaping.as_mut(), self.counters.num_timesteps)?;
            self.counters.num_timesteps += n;
            self.counters.vector_steps += 1;
            if self.counters.vector_steps.is_multiple_of(target_every) {
                self.q_target = polyak_update(&self.q_target, &self.q, self.config.tau);
            }
        }

        // 2. Learn, once past `learning_starts`.
        let collected = self.config.train_freq * n;
        let mut means = Means::default();
        let learning_rate = self.learning_rate();
        if self.counters.num_timesteps > self.config.learning_starts && !self.buffer.is_empty() && learning_rate > 0.0 {
            for _ in 0..gradient_steps(self.config.gradient_steps, collected) {
                self.gradient_step(learning_rate, &mut means)?;
            }
            check_parameters(&self.q, self.counters.updates)?;
        }

        let mut metrics = BTreeMap::new();
        means.write_into(&mut metrics);
        if let Some(shaping) = self.shaping.as_mut() {
            metrics.extend(shaping.take_metrics());
        }
        metrics.insert("epsilon".into(), self.epsilon());
        metrics.insert("learning_rate".into(), learning_rate);
        Ok(Update { env_steps: collected, metrics })
    }

    /// Greedy actions (deterministic) or epsilon-greedy ones with the current epsilon.
    fn policy(&self) -> Result<Box<dyn Acting>> {
        Ok(self.acting(self.epsilon()))
    }

    /// Writes `q.bpk`, `q_target.bpk`, `optimizer.bpk` (Adam's moments), `replay.json` +
    /// `replay.bin` and, last, `state.json` (config, counters, RNG states, manifest).
    fn save(&self, dir: &Path) -> Result<()> {
        let mut writer = CheckpointWriter::new(dir)?;
        writer.module("q.bpk", &self.q)?;
        writer.module("q_target.bpk", &self.q_target)?;
        writer.optimizer("optimizer.bpk", &self.optimizer)?;
        save_replay(&mut writer, dir, &self.buffer, self.shaping.as_ref())?;
        let state = DqnState {
            config: self.config.clone(),
            total_timesteps: self.total_timesteps,
            obs_dim: self.obs_dim,
            num_envs: self.num_envs,
            n_actions: self.n_actions,
            counters: self.counters,
            rng: RngState::of(&self.rng),
            collector: self.collector.save(),
        };
        writer.finish(FORMAT, &state)
    }

    /// Restores everything [`Dqn::save`] wrote; the learner must have been built with the same
    /// config and spaces. Nothing changes unless every file loads.
    fn load(&mut self, dir: &Path) -> Result<()> {
        let (reader, state) = CheckpointReader::open::<DqnState>(dir, FORMAT)?;
        let state_path = reader.path(STATE_FILE);
        // The budget may differ: a resumed run can be extended (`--resume --steps N`).
        let saved = (state.obs_dim, state.num_envs, state.n_actions);
        let this = (self.obs_dim, self.num_envs, self.n_actions);
        if saved != this {
            return Err(checkpoint_error(
                &state_path,
                format!("saved for (obs_dim, num_envs, actions) = {saved:?}, this learner has {this:?}"),
            ));
        }
        check_same_config(&state_path, &state.config, &self.config)?;
        let q = reader.module("q.bpk", self.q.clone())?;
        let q_target = reader.module("q_target.bpk", self.q_target.clone())?;
        let optimizer = reader.optimizer("optimizer.bpk", self.optimizer.clone())?;
        let rng = state.rng.restore(&state_path)?;
        let mut collector = Actor::new(self.acting(1.0), self.num_envs, 0);
        collector.restore(&state.collector, &state_path)?;
        let buffer = load_replay(&reader, dir, self.buffer.config(), self.shaping.as_mut())?;
        (self.q, self.q_target, self.optimizer, self.buffer) = (q, q_target, optimizer, buffer);
        (self.rng, self.collector, self.counters) = (rng, collector, state.counters);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsilon_schedule_is_linear_then_flat() {
        let config = DqnConfig::default(); // 1.0 -> 0.05 over the first 10%
        let at = |t| config.epsilon(t, 1000);
        assert_eq!(at(0), 1.0);
        assert!((at(50) - 0.525).abs() < 1e-12, "{}", at(50));
        assert!((at(99) - (1.0 - 0.99 * 0.95)).abs() < 1e-12);
        assert_eq!(at(100), 0.05);
        assert_eq!(at(999), 0.05);
        let zoo = DqnConfig { exploration_fraction: 0.16, exploration_final_eps: 0.04, ..DqnConfig::default() };
        assert!((zoo.epsilon(4_000, 50_000) - 0.52).abs() < 1e-12, "{}", zoo.epsilon(4_000, 50_000));
        let instant = DqnConfig { exploration_fraction: 0.0, ..DqnConfig::default() };
        assert_eq!(instant.epsilon(0, 1000), 0.05);
    }

    #[test]
    fn learning_rate_is_constant_or_annealed_to_zero() {
        let constant = DqnConfig { learning_rate: 2e-3, ..DqnConfig::default() };
        assert_eq!(constant.learning_rate_at(0, 1000), 2e-3);
        assert_eq!(constant.learning_rate_at(1000, 1000), 2e-3);
        let annealed = DqnConfig { anneal_lr: true, ..constant };
        assert_eq!(annealed.learning_rate_at(0, 1000), 2e-3);
        assert!((annealed.learning_rate_at(250, 1000) - 1.5e-3).abs() < 1e-15);
        assert_eq!(annealed.learning_rate_at(1000, 1000), 0.0);
        assert_eq!(annealed.learning_rate_at(1200, 1000), 0.0, "past the budget (an extended run) it stays 0");
    }

    #[test]
    fn huber_is_quadratic_inside_and_linear_outside() {
        let device = Device::flex();
        let x = Tensor::<2>::from_data(TensorData::new(vec![-3.0f32, -1.0, -0.5, 0.0, 0.5, 2.0], [1, 6]), &device);
        assert_eq!(download(huber(x)).unwrap(), [2.5, 0.5, 0.125, 0.0, 0.125, 1.5]);
    }

    #[test]
    fn argmax_takes_the_first_best() {
        assert_eq!(argmax_rows(&[0.0, 2.0, 2.0, -1.0, -3.0, -2.0], 3), [1, 0]);
    }
}
