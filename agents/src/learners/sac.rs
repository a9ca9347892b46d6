//! SAC (Haarnoja et al. 2018) for Box actions, with Stable-Baselines3's schedule and names.
//!
//! The actor is a tanh-squashed Gaussian: actions live in [-1, 1] (that is what the replay
//! buffer stores) and are rescaled to the action space's bounds only when the env is stepped.
//! Two critics, each with a target copy that follows by Polyak averaging.
//!
//! One [`Algorithm::update`] is one round of SB3's `learn` loop:
//! 1. `train_freq` vector steps: actions sampled from the policy (uniformly random ones until
//!    `learning_starts` env steps), every real transition into the replay buffer;
//! 2. once more than `learning_starts` env steps were taken, `gradient_steps` gradient steps,
//!    each on a uniformly sampled batch, in SB3's order:
//!    - a reparameterized action `a~ = tanh(mu + sigma eps)` at `s` and its log-probability;
//!    - with a learned entropy coefficient, one Adam step on `log alpha` for the loss
//!      `-log alpha (log pi(a~|s) + target_entropy)` (this step still uses the old alpha);
//!    - critics: both regress on `r + gamma^k (min Q_target(s', a') - alpha log pi(a'|s'))`,
//!      `a' ~ pi(s')` (no bootstrap after a termination), loss `(MSE_1 + MSE_2) / 2`;
//!    - actor: `mean(alpha log pi(a~|s) - min Q(s, a~))` with the just-updated critics;
//!    - every `target_update_interval` gradient steps the target critics move by `tau`.
//!
//! Counting as SB3 does: `train_freq` counts vector steps, `learning_starts` env steps of all
//! sub-envs together.

use crate::buffers::replay::{ActionLayout, ReplayBuffer, ReplayConfig};
use crate::core::algorithm::{defaults_json, Algorithm, AlgorithmEntry, AlgorithmSpec, Update};
use crate::core::checkpoint::{
    check_same_config, checkpoint_error, CheckpointReader, CheckpointWriter, RngState, STATE_FILE,
};
use crate::core::config::{invalid, layer_widths, parse_config};
use crate::core::optim::{check_finite, check_parameters, polyak_update, Means, TORCH_ADAM_EPSILON};
use crate::distributions::TanhGaussian;
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
use limbic_environments::{DType, Space};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The entropy coefficient alpha: learned from a starting value, or fixed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Value", into = "serde_json::Value")]
pub enum EntCoef {
    /// `"auto"` (starts at 1) or `"auto_<start>"`, e.g. `"auto_0.1"`: tuned so the policy's
    /// entropy tracks the target entropy.
    Auto { initial: f64 },
    /// A number: alpha stays there.
    Fixed(f64),
}

impl TryFrom<serde_json::Value> for EntCoef {
    type Error = String;
    fn try_from(value: serde_json::Value) -> std::result::Result<Self, String> {
        let coef = match &value {
            serde_json::Value::Number(n) => n.as_f64().map(EntCoef::Fixed),
            serde_json::Value::String(s) if s == "auto" => Some(EntCoef::Auto { initial: 1.0 }),
            serde_json::Value::String(s) => {
                s.strip_prefix("auto_").and_then(|v| v.parse().ok()).map(|initial| EntCoef::Auto { initial })
            }
            _ => None,
        };
        match coef {
            Some(EntCoef::Auto { initial: x } | EntCoef::Fixed(x)) if !(x > 0.0 && x.is_finite()) => {
                Err(format!("ent_coef {value} must be positive"))
            }
            Some(coef) => Ok(coef),
            None => Err(format!("ent_coef {value}: expected \"auto\", \"auto_<start value>\" or a number")),
        }
    }
}

impl From<EntCoef> for serde_json::Value {
    fn from(coef: EntCoef) -> Self {
        match coef {
            EntCoef::Auto { initial: 1.0 } => "auto".into(),
            EntCoef::Auto { initial } => format!("auto_{initial}").into(),
            EntCoef::Fixed(value) => value.into(),
        }
    }
}

/// The entropy the learned alpha aims at.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Value", into = "serde_json::Value")]
pub enum TargetEntropy {
    /// `"auto"`: `-dim(A)`.
    Auto,
    Value(f64),
}

impl TryFrom<serde_json::Value> for TargetEntropy {
    type Error = String;
    fn try_from(value: serde_json::Value) -> std::result::Result<Self, String> {
        match &value {
            serde_json::Value::String(s) if s == "auto" => return Ok(TargetEntropy::Auto),
            serde_json::Value::Number(n) => {
                if let Some(target) = n.as_f64() {
                    return Ok(TargetEntropy::Value(target));
                }
            }
            _ => {}
        }
        Err(format!("target_entropy {value}: expected \"auto\" or a number"))
    }
}

impl From<TargetEntropy> for serde_json::Value {
    fn from(target: TargetEntropy) -> Self {
        match target {
            TargetEntropy::Auto => "auto".into(),
            TargetEntropy::Value(value) => value.into(),
        }
    }
}

/// SAC's hyperparameters. Names and defaults are SB3's (`stable_baselines3.SAC`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SacConfig {
    /// Adam's step size for the actor, the critics and alpha (constant). SB3: 3e-4.
    pub learning_rate: f64,
    /// Transitions the replay buffer keeps. SB3: 1_000_000.
    pub buffer_size: usize,
    /// Env steps (all sub-envs together) of uniformly random actions before learning starts.
    /// SB3: 100.
    pub learning_starts: u64,
    /// Transitions per gradient step. SB3: 256.
    pub batch_size: usize,
    /// Polyak coefficient of the target critics. SB3: 0.005.
    pub tau: f64,
    /// Discount factor. SB3: 0.99.
    pub gamma: f64,
    /// Vector steps collected between two rounds of gradient steps. SB3: 1.
    pub train_freq: u64,
    /// Gradient steps per round; -1 = as many as env steps collected in the round. SB3: 1.
    pub gradient_steps: i64,
    /// `"auto"`, `"auto_<start>"` (learned alpha) or a number (fixed alpha). SB3: "auto".
    pub ent_coef: EntCoef,
    /// `"auto"` (`-dim(A)`) or a number. SB3: "auto".
    pub target_entropy: TargetEntropy,
    /// Gradient steps between target critic updates. SB3: 1.
    pub target_update_interval: u64,
    /// Hidden layer widths of the actor and of each critic (ReLU). SB3: [256, 256].
    pub net_arch: Vec<usize>,
    /// Steps in each return (1 = one-step TD; n-step returns stop at episode ends).
    pub n_step: usize,
}

impl Default for SacConfig {
    fn default() -> Self {
        SacConfig {
            learning_rate: 3e-4,
            buffer_size: 1_000_000,
            learning_starts: 100,
            batch_size: 256,
            tau: 0.005,
            gamma: 0.99,
            train_freq: 1,
            gradient_steps: 1,
            ent_coef: EntCoef::Auto { initial: 1.0 },
            target_entropy: TargetEntropy::Auto,
            target_update_interval: 1,
            net_arch: vec![256, 256],
            n_step: 1,
        }
    }
}

impl SacConfig {
    fn validate(&self) -> Result<()> {
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(invalid("learning_rate", format!("{} must be a positive number", self.learning_rate)));
        }
        if !(self.tau > 0.0 && self.tau <= 1.0) {
            return Err(invalid("tau", format!("{} is not in (0, 1]", self.tau)));
        }
        if !(0.0..=1.0).contains(&self.gamma) {
            return Err(invalid("gamma", format!("{} is not in [0, 1]", self.gamma)));
        }
        for (field, value) in [
            ("buffer_size", self.buffer_size as u64),
            ("batch_size", self.batch_size as u64),
            ("train_freq", self.train_freq),
            ("target_update_interval", self.target_update_interval),
            ("n_step", self.n_step as u64),
        ] {
            if value == 0 {
                return Err(invalid(field, "must be at least 1"));
            }
        }
        if self.gradient_steps < -1 {
            return Err(invalid("gradient_steps", "must be -1 (as many as env steps collected) or at least 0"));
        }
        layer_widths("net_arch", &self.net_arch)
    }
}

/// The registry's entry.
pub const ENTRY: AlgorithmEntry = AlgorithmEntry {
    name: "sac",
    summary: "Soft Actor-Critic (Haarnoja et al. 2018), SB3's names and defaults; twin critics, learned alpha",
    params: &[
        ("learning_rate", "Adam step size of the actor, the critics and alpha"),
        ("buffer_size", "transitions the replay buffer keeps"),
        ("learning_starts", "env steps of uniformly random actions before learning"),
        ("batch_size", "transitions per gradient step"),
        ("tau", "Polyak coefficient of the target critics"),
        ("gamma", "discount factor"),
        ("train_freq", "vector steps between rounds of gradient steps"),
        ("gradient_steps", "gradient steps per round (-1: as many as env steps collected)"),
        ("ent_coef", "\"auto\", \"auto_<start>\" (learned alpha) or a number (fixed)"),
        ("target_entropy", "\"auto\" (-dim(A)) or a number"),
        ("target_update_interval", "gradient steps between target critic updates"),
        ("net_arch", "hidden layers of the actor and of each critic"),
        ("n_step", "steps in each return"),
    ],
    defaults: || defaults_json(&SacConfig::default()),
    needs_demonstrations: false,
    memory: false,
    build: |spec, shaper| Ok(Box::new(Sac::with_shaper(spec, shaper)?)),
};

/// SB3's clamp of the actor's log standard deviation.
pub const LOG_STD_MIN: f64 = -20.0;
pub const LOG_STD_MAX: f64 = 2.0;
/// The policy: observations to a tanh-squashed Gaussian over `[-1, 1]^A`. One linear head
/// gives the means and the log standard deviations (SB3 has two heads of the same shape).
#[derive(Module, Debug)]
pub struct GaussianActor {
    pub encoder: Encoder,
    pub torso: Mlp,
    pub head: Linear,
    #[module(skip)]
    pub action_dim: usize,
}

impl GaussianActor {
    pub fn new(
        kind: EncoderSpec,
        hidden: &[usize],
        action_dim: usize,
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
        let head = linear(torso.out_dim(), 2 * action_dim, init, rng, device);
        Ok(GaussianActor { encoder, torso, head, action_dim })
    }

    /// `(mean [B, A], log_std [B, A])`, the log-std clamped to `[LOG_STD_MIN, LOG_STD_MAX]`.
    pub fn forward(&self, obs: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let out = self.head.forward(self.torso.forward(self.encoder.forward(obs)));
        let a = self.action_dim;
        (out.clone().narrow(1, 0, a), out.narrow(1, a, a).clamp(LOG_STD_MIN, LOG_STD_MAX))
    }

    pub fn distribution(&self, obs: Tensor<2>) -> TanhGaussian {
        let (mean, log_std) = self.forward(obs);
        TanhGaussian::new(mean, log_std)
    }
}

/// One Q-function: `(s, a)` to a value, the action joined to the observation's features.
#[derive(Module, Debug)]
pub struct QHead {
    pub encoder: Encoder,
    pub torso: Mlp,
    pub head: Linear,
}

impl QHead {
    fn new(
        kind: EncoderSpec,
        hidden: &[usize],
        action_dim: usize,
        rng: &mut Generator,
        device: &Device,
    ) -> Result<Self> {
        let init = Init::TorchDefault;
        let encoder = Encoder::new(kind, init, rng, device)?;
        let mlp = MlpConfig { hidden: hidden.to_vec(), activation: Activation::Relu };
        let torso = mlp.init(encoder.out_dim() + action_dim, init, rng, device);
        let head = linear(torso.out_dim(), 1, init, rng, device);
        Ok(QHead { encoder, torso, head })
    }

    /// `[B, 1]` values of `[B, D]` observations and `[B, A]` actions in [-1, 1].
    pub fn forward(&self, obs: Tensor<2>, actions: Tensor<2>) -> Tensor<2> {
        let features = self.encoder.forward(obs);
        // A constant joined to a tensor in the autodiff graph must be on the autodiff side too.
        let (features, actions) = if features.is_autodiff() || actions.is_autodiff() {
            (features.autodiff(), actions.autodiff())
        } else {
            (features, actions)
        };
        self.head.forward(self.torso.forward(Tensor::cat(vec![features, actions], 1)))
    }
}

/// The twin critics (clipped double Q).
#[derive(Module, Debug)]
pub struct Critic {
    pub q1: QHead,
    pub q2: QHead,
}

impl Critic {
    pub fn new(
        kind: EncoderSpec,
        hidden: &[usize],
        action_dim: usize,
        rng: &mut Generator,
        device: &Device,
    ) -> Result<Self> {
        Ok(Critic {
            q1: QHead::new(kind.clone(), hidden, action_dim, rng, device)?,
            q2: QHead::new(kind, hidden, action_dim, rng, device)?,
        })
    }

    pub fn forward(&self, obs: Tensor<2>, actions: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        (self.q1.forward(obs.clone(), actions.clone()), self.q2.forward(obs, actions))
    }
}

/// Adam on one number (alpha's logarithm), with PyTorch's defaults: it is one scalar, so it
/// is done on the host, exactly and without a tensor round trip.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalarAdam {
    m: f64,
    v: f64,
    t: u64,
}

impl ScalarAdam {
    /// `x` after one step down `grad`.
    pub fn step(&mut self, x: f64, grad: f64, lr: f64) -> f64 {
        let (beta1, beta2) = (0.9f64, 0.999f64);
        self.t += 1;
        self.m = beta1 * self.m + (1.0 - beta1) * grad;
        self.v = beta2 * self.v + (1.0 - beta2) * grad * grad;
        let m_hat = self.m / (1.0 - beta1.powi(self.t as i32));
        let v_hat = self.v / (1.0 - beta2.powi(self.t as i32));
        x - lr * m_hat / (v_hat.sqrt() + TORCH_ADAM_EPSILON as f64)
    }
}

/// `tanh(mean + exp(log_std) * N(0, 1))` for each element, drawn with `rng`.
fn sample_squashed(mean: &[f32], log_std: &[f32], rng: &mut Generator) -> Vec<f32> {
    let draw = |(&m, &s): (&f32, &f32)| (m as f64 + (s as f64).exp() * rng.standard_normal()).tanh() as f32;
    mean.iter().zip(log_std).map(draw).collect()
}

/// SAC's acting policy: the actor frozen, its tanh-squashed actions rescaled to the bounds.
pub struct SquashedActing {
    actor: GaussianActor,
    device: Device,
    obs_dim: usize,
    low: Vec<f32>,
    high: Vec<f32>,
    /// Uniformly random squashed actions instead of the actor's (before learning starts).
    random: bool,
}

impl SquashedActing {
    fn new(actor: &GaussianActor, device: &Device, obs_dim: usize, low: &[f32], high: &[f32], random: bool) -> Self {
        SquashedActing {
            actor: actor.valid(),
            device: device.clone(),
            obs_dim,
            low: low.to_vec(),
            high: high.to_vec(),
            random,
        }
    }
}

impl Acting for SquashedActing {
    fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    fn act(&self, rows: ActingRows, deterministic: bool, rng: &mut Generator) -> Result<Acted> {
        let (n, a) = (rows.starts.len(), self.low.len());
        let squashed: Vec<f32> = if self.random {
            (0..n * a).map(|_| rng.uniform(-1.0, 1.0) as f32).collect()
        } else {
            let obs = Tensor::<2>::from_data(TensorData::new(rows.obs.to_vec(), [n, self.obs_dim]), &self.device);
            let (mean, log_std) = self.actor.forward(obs);
            let (mean, log_std) = (download(mean)?, download(log_std)?);
            if deterministic {
                mean.iter().map(|m| m.tanh()).collect()
            } else {
                sample_squashed(&mean, &log_std, rng)
            }
        };
        let values = unscale(&squashed, &self.low, &self.high);
        Ok(Acted::chosen(squashed, EnvActions::Continuous { values, dim: a }, n))
    }
}

/// `[-1, 1]` actions (rows of `low.len()`) to the action space's bounds (SB3's
/// `unscale_action`).
fn unscale(squashed: &[f32], low: &[f32], high: &[f32]) -> Vec<f32> {
    let a = low.len();
    squashed
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let (low, high) = (low[i % a], high[i % a]);
            (low + 0.5 * (x + 1.0) * (high - low)).clamp(low, high)
        })
        .collect()
}

/// A SAC learner; see the [module docs](self).
pub struct Sac {
    config: SacConfig,
    obs_dim: usize,
    num_envs: usize,
    action_dim: usize,
    /// The action space's bounds: `[-1, 1]` maps onto `[low, high]`.
    low: Vec<f32>,
    high: Vec<f32>,
    target_entropy: f64,
    /// Where batches are uploaded and the target critics live.
    device: Device,
    /// On the autodiff device.
    actor: GaussianActor,
    critic: Critic,
    critic_target: Critic,
    actor_optimizer: ModuleOptimizer,
    critic_optimizer: ModuleOptimizer,
    log_alpha: f64,
    /// Adam's state for `log_alpha`; `None` when alpha is fixed.
    alpha_optimizer: Option<ScalarAdam>,
    buffer: ReplayBuffer,
    /// Batch sampling and the reparameterization noise.
    rng: Generator,
    /// The training collection's acting session (exploration draws).
    collector: Actor,
    runner: EnvRunner,
    counters: Counters,
    /// Reused sampled rows.
    rows: Vec<f32>,
    /// Intrinsic rewards, if any (stored as the sum of the streams).
    shaping: Option<Shaping>,
}

/// `state.json`'s format tag.
const FORMAT: &str = "limbic-sac-v1";

/// What `state.json` holds besides the manifest.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SacState {
    config: SacConfig,
    obs_dim: usize,
    num_envs: usize,
    action_dim: usize,
    counters: Counters,
    log_alpha: f64,
    alpha_optimizer: Option<ScalarAdam>,
    rng: RngState,
    collector: SessionState,
}

impl Sac {
    pub fn new(spec: &AlgorithmSpec) -> Result<Sac> {
        Self::with_shaper(spec, None)
    }

    /// A learner whose stored rewards come from `shaper` (see [`Shaping`]); `None` is `new`.
    pub fn with_shaper(spec: &AlgorithmSpec, shaper: Option<Box<dyn RewardShaper>>) -> Result<Sac> {
        let config: SacConfig = parse_config("sac", spec.params)?;
        config.validate()?;
        let bounds = match spec.action_space {
            Space::Box(b) if b.dtype == DType::Float32 && b.low.iter().chain(&b.high).all(|x| x.is_finite()) => b,
            other => {
                return Err(AgentError::Unsupported(format!(
                    "sac needs a bounded float32 Box action space, got {}",
                    other.describe()
                )))
            }
        };
        if spec.num_envs == 0 {
            return Err(invalid("num_envs", "must be at least 1"));
        }
        let action_dim = bounds.low.len();
        let kind = spec.policy.encoder(spec.observation_space)?;
        let device = Device::flex();
        device.seed(spec.seed);
        let autodiff = device.clone().autodiff();
        let mut rng = Generator::from_seed(spec.seed);
        let actor = GaussianActor::new(kind.clone(), &config.net_arch, action_dim, &mut rng, &autodiff)?;
        let critic = Critic::new(kind.clone(), &config.net_arch, action_dim, &mut rng, &autodiff)?;
        let collector_seed = rng.next_u64();
        let shaping = shaper.map(Shaping::new);
        let buffer = ReplayBuffer::new(ReplayConfig {
            capacity: config.buffer_size,
            obs_dim: kind.obs_dim(),
            action: ActionLayout::Continuous { dim: action_dim },
            num_envs: spec.num_envs,
            n_step: config.n_step,
            gamma: config.gamma,
            parts: shaping.as_ref().map_or(0, Shaping::parts),
        })?;
        let (log_alpha, alpha_optimizer) = match config.ent_coef {
            EntCoef::Auto { initial } => (initial.ln(), Some(ScalarAdam::default())),
            EntCoef::Fixed(alpha) => (alpha.ln(), None),
        };
        let target_entropy = match config.target_entropy {
            TargetEntropy::Auto => -(action_dim as f64),
            TargetEntropy::Value(value) => value,
        };
        let adam = || AdamConfig::new().with_epsilon(TORCH_ADAM_EPSILON).init();
        let (low, high): (Vec<f32>, Vec<f32>) =
            (bounds.low.iter().map(|&x| x as f32).collect(), bounds.high.iter().map(|&x| x as f32).collect());
        let acting = SquashedActing::new(&actor, &device, kind.obs_dim(), &low, &high, true);
        Ok(Sac {
            collector: Actor::new(Box::new(acting), spec.num_envs, collector_seed),
            runner: EnvRunner::default(),
            obs_dim: kind.obs_dim(),
            num_envs: spec.num_envs,
            action_dim,
            low,
            high,
            target_entropy,
            device,
            critic_target: critic.valid(),
            actor,
            critic,
            actor_optimizer: adam(),
            critic_optimizer: adam(),
            log_alpha,
            alpha_optimizer,
            buffer,
            rng,
            counters: Counters::default(),
            rows: Vec::new(),
            shaping,
            config,
        })
    }

    pub fn config(&self) -> &SacConfig {
        &self.config
    }

    /// The entropy coefficient now.
    pub fn alpha(&self) -> f64 {
        self.log_alpha.exp()
    }

    /// The actor frozen for acting (`random`: uniformly random actions instead).
    fn acting(&self, random: bool) -> SquashedActing {
        SquashedActing::new(&self.actor, &self.device, self.obs_dim, &self.low, &self.high, random)
    }

    /// `count` standard normal numbers from the training RNG.
    fn normals(&mut self, count: usize) -> Vec<f32> {
        (0..count).map(|_| self.rng.standard_normal() as f32).collect()
    }

    /// One gradient step on a sampled batch; adds its diagnostics to `means`.
    fn gradient_step(&mut self, means: &mut Means) -> Result<()> {
        let update = self.counters.updates;
        let (b, a) = (self.config.batch_size, self.action_dim);
        let layout = self.buffer.sample(b, &mut self.rng, &mut self.rows);
        let batch = layout.upload(&self.rows, &self.device);
        let noise = Tensor::<2>::from_data(TensorData::new(self.normals(b * 2 * a), [b, 2 * a]), &self.device);

        // The policy at s: a reparameterized action, in the graph of the actor.
        let (actions_pi, log_prob) = self.actor.distribution(batch.obs.clone()).rsample(noise.clone().narrow(1, 0, a));
        let log_prob = log_prob.reshape([b, 1]);
        let mean_log_prob = check_finite(download(log_prob.clone().inner().mean())?[0] as f64, "log_prob", update)?;

        // Entropy coefficient: this step uses the current alpha; then one Adam step on log alpha.
        let alpha = self.alpha();
        if let Some(adam) = &mut self.alpha_optimizer {
            let error = mean_log_prob + self.target_entropy;
            means.add("loss/alpha", -self.log_alpha * error);
            self.log_alpha =
                check_finite(adam.step(self.log_alpha, -error, self.config.learning_rate), "alpha", update)?;
        }

        // Critic target, without gradient: r + gamma^k (min Q_target(s', a') - alpha log pi(a'|s')).
        let next = self.actor.valid().distribution(batch.next_obs.clone());
        let (next_actions, next_log_prob) = next.rsample(noise.narrow(1, a, a));
        let (q1_next, q2_next) = self.critic_target.forward(batch.next_obs, next_actions);
        let next_q = q1_next.min_pair(q2_next) - next_log_prob.reshape([b, 1]).mul_scalar(alpha);
        let target = batch.rewards + batch.discounts * next_q;

        // Critics: both regress on the target.
        let (q1, q2) = self.critic.forward(batch.obs.clone(), batch.actions);
        let q_mean = (q1.clone().inner().mean() + q2.clone().inner().mean()).mul_scalar(0.5);
        let critic_loss = ((q1 - target.clone()).square().mean() + (q2 - target).square().mean()).mul_scalar(0.5);
        let critic_grads = GradientsParams::from_grads(critic_loss.backward(), &self.critic);
        self.critic = self.critic_optimizer.step(self.config.learning_rate, self.critic.clone(), critic_grads);

        // Actor: maximize min Q(s, a~) - alpha log pi(a~|s) under the updated critics. The
        // critics are constants here (`valid`): the gradient flows through a~ into the actor only.
        let (q1_pi, q2_pi) = self.critic.valid().forward(batch.obs, actions_pi);
        let actor_loss = (log_prob.mul_scalar(alpha) - q1_pi.min_pair(q2_pi)).mean();
        let values = download(Tensor::cat(vec![critic_loss.inner(), actor_loss.clone().inner(), q_mean], 0))?;
        let critic_loss = check_finite(values[0] as f64, "loss/critic", update)?;
        let actor_loss_value = check_finite(values[1] as f64, "loss/actor", update)?;
        let actor_grads = GradientsParams::from_grads(actor_loss.backward(), &self.actor);
        self.actor = self.actor_optimizer.step(self.config.learning_rate, self.actor.clone(), actor_grads);

        self.counters.gradient_steps += 1;
        if self.counters.gradient_steps.is_multiple_of(self.config.target_update_interval) {
            self.critic_target = polyak_update(&self.critic_target, &self.critic, self.config.tau);
        }

        means.add("loss/critic", critic_loss);
        means.add("loss/actor", actor_loss_value);
        means.add("q_mean", values[2] as f64);
        means.add("entropy", -mean_log_prob);
        Ok(())
    }
}

impl Algorithm for Sac {
    fn name(&self) -> &'static str {
        "sac"
    }

    fn update(&mut self, envs: &mut VecEnv) -> Result<Update> {
        check_envs(envs, self.obs_dim, self.num_envs)?;
        self.counters.updates += 1;
        let n = self.num_envs as u64;

        // 1. Collect `train_freq` vector steps (uniformly random actions before `learning_starts`).
        for _ in 0..self.config.train_freq {
            let random = self.counters.num_timesteps < self.config.learning_starts;
            self.collector.set_policy(Box::new(self.acting(random)))?;
            let batch = self.runner.step(envs, &mut self.collector)?;
            store_step(&batch, &mut self.buffer, self.shaping.as_mut(), self.counters.num_timesteps)?;
            self.counters.num_timesteps += n;
            self.counters.vector_steps += 1;
        }

        // 2. Learn, once past `learning_starts`.
        let collected = self.config.train_freq * n;
        let mut means = Means::default();
        if self.counters.num_timesteps > self.config.learning_starts && !self.buffer.is_empty() {
            for _ in 0..gradient_steps(self.config.gradient_steps, collected) {
                self.gradient_step(&mut means)?;
            }
            check_parameters(&self.actor, self.counters.updates)?;
            check_parameters(&self.critic, self.counters.updates)?;
        }

        let mut metrics = BTreeMap::new();
        means.write_into(&mut metrics);
        if let Some(shaping) = self.shaping.as_mut() {
            metrics.extend(shaping.take_metrics());
        }
        metrics.insert("alpha".into(), self.alpha());
        metrics.insert("learning_rate".into(), self.config.learning_rate);
        Ok(Update { env_steps: collected, metrics })
    }

    /// `tanh(mean)` (deterministic) or a sampled action, rescaled to the action bounds.
    fn policy(&self) -> Result<Box<dyn Acting>> {
        Ok(Box::new(self.acting(false)))
    }

    /// Writes `actor.bpk`, `critic.bpk`, `critic_target.bpk`, `actor_optimizer.bpk`,
    /// `critic_optimizer.bpk` (Adam's moments), `replay.json` + `replay.bin` and, last,
    /// `state.json` (config, counters, alpha and its Adam state, RNG states, manifest).
    fn save(&self, dir: &Path) -> Result<()> {
        let mut writer = CheckpointWriter::new(dir)?;
        writer.module("actor.bpk", &self.actor)?;
        writer.module("critic.bpk", &self.critic)?;
        writer.module("critic_target.bpk", &self.critic_target)?;
        writer.optimizer("actor_optimizer.bpk", &self.actor_optimizer)?;
        writer.optimizer("critic_optimizer.bpk", &self.critic_optimizer)?;
        save_replay(&mut writer, dir, &self.buffer, self.shaping.as_ref())?;
        let state = SacState {
            config: self.config.clone(),
            obs_dim: self.obs_dim,
            num_envs: self.num_envs,
            action_dim: self.action_dim,
            counters: self.counters,
            log_alpha: self.log_alpha,
            alpha_optimizer: self.alpha_optimizer,
            rng: RngState::of(&self.rng),
            collector: self.collector.save(),
        };
        writer.finish(FORMAT, &state)
    }

    /// Restores everything [`Sac::save`] wrote; the learner must have been built with the same
    /// config and spaces. Nothing changes unless every file loads.
    fn load(&mut self, dir: &Path) -> Result<()> {
        let (reader, state) = CheckpointReader::open::<SacState>(dir, FORMAT)?;
        let state_path = reader.path(STATE_FILE);
        let saved = (state.obs_dim, state.num_envs, state.action_dim);
        let this = (self.obs_dim, self.num_envs, self.action_dim);
        if saved != this {
            let message = format!("saved for (obs_dim, num_envs, action_dim) = {saved:?}, this learner has {this:?}");
            return Err(checkpoint_error(&state_path, message));
        }
        check_same_config(&state_path, &state.config, &self.config)?;
        if state.alpha_optimizer.is_some() != self.alpha_optimizer.is_some() || !state.log_alpha.is_finite() {
            return Err(checkpoint_error(&state_path, "entropy coefficient state does not fit ent_coef".into()));
        }
        let actor = reader.module("actor.bpk", self.actor.clone())?;
        let critic = reader.module("critic.bpk", self.critic.clone())?;
        let critic_target = reader.module("critic_target.bpk", self.critic_target.clone())?;
        let actor_optimizer = reader.optimizer("actor_optimizer.bpk", self.actor_optimizer.clone())?;
        let critic_optimizer = reader.optimizer("critic_optimizer.bpk", self.critic_optimizer.clone())?;
        let rng = state.rng.restore(&state_path)?;
        let mut collector = Actor::new(Box::new(self.acting(false)), self.num_envs, 0);
        collector.restore(&state.collector, &state_path)?;
        let buffer = load_replay(&reader, dir, self.buffer.config(), self.shaping.as_mut())?;
        (self.actor, self.critic, self.critic_target) = (actor, critic, critic_target);
        (self.actor_optimizer, self.critic_optimizer, self.buffer) = (actor_optimizer, critic_optimizer, buffer);
        (self.log_alpha, self.alpha_optimizer) = (state.log_alpha, state.alpha_optimizer);
        (self.rng, self.collector, self.counters) = (rng, collector, state.counters);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distributions::HALF_LN_2PI;

    #[test]
    fn ent_coef_and_target_entropy_parse_like_sb3() {
        let parse = |v: serde_json::Value| EntCoef::try_from(v);
        assert_eq!(parse("auto".into()), Ok(EntCoef::Auto { initial: 1.0 }));
        assert_eq!(parse("auto_0.1".into()), Ok(EntCoef::Auto { initial: 0.1 }));
        assert_eq!(parse(0.2.into()), Ok(EntCoef::Fixed(0.2)));
        assert!(parse("auto_x".into()).is_err() && parse((-1.0).into()).is_err() && parse("auto_0".into()).is_err());
        for coef in [EntCoef::Auto { initial: 1.0 }, EntCoef::Auto { initial: 0.1 }, EntCoef::Fixed(0.2)] {
            assert_eq!(parse(serde_json::Value::from(coef)), Ok(coef));
        }
        assert_eq!(TargetEntropy::try_from(serde_json::json!("auto")), Ok(TargetEntropy::Auto));
        assert_eq!(TargetEntropy::try_from(serde_json::json!(-2.5)), Ok(TargetEntropy::Value(-2.5)));
        assert!(TargetEntropy::try_from(serde_json::json!("manual")).is_err());
    }

    #[test]
    fn tanh_gaussian_density_integrates_to_one_and_matches_a_numeric_jacobian() {
        // p_A(a) for a = tanh(u), u ~ N(0.3, 0.8^2), from the log-probability SAC trains with.
        let (mean, std) = (0.3f64, 0.8f64);
        let device = Device::flex();
        let n = 20_000;
        let grid: Vec<f64> = (0..n).map(|i| -1.0 + 2.0 * (i as f64 + 0.5) / n as f64).collect();
        let pre_tanh: Vec<f32> = grid.iter().map(|a| a.atanh() as f32).collect();
        let dist =
            TanhGaussian::new(Tensor::<2>::full([n, 1], mean, &device), Tensor::<2>::full([n, 1], std.ln(), &device));
        let log_p =
            download(dist.log_prob_pre_tanh(Tensor::from_data(TensorData::new(pre_tanh, [n, 1]), &device))).unwrap();
        // Midpoint rule over (-1, 1): a density integrates to 1 (without the tanh correction it
        // would not).
        let integral: f64 = log_p.iter().map(|&lp| (lp as f64).exp() * 2.0 / n as f64).sum();
        assert!((integral - 1.0).abs() < 1e-3, "{integral}");
        // Change of variables with the Jacobian d atanh(a)/da taken by central differences.
        for (i, &a) in grid.iter().enumerate().step_by(997) {
            let h = 1e-3 * (1.0 - a.abs()); // small against the distance to the pole at |a| = 1
            let jacobian = ((a + h).atanh() - (a - h).atanh()) / (2.0 * h);
            let z = (a.atanh() - mean) / std;
            let expected = -0.5 * z * z - std.ln() - HALF_LN_2PI + jacobian.ln();
            assert!(
                (log_p[i] as f64 - expected).abs() < 1e-4 * (1.0 + expected.abs()),
                "a = {a}: {} vs {expected}",
                log_p[i]
            );
        }
    }

    #[test]
    fn scalar_adam_takes_bias_corrected_steps() {
        // First step: m_hat = g, v_hat = g^2, so x moves by lr * g / (|g| + eps).
        let mut adam = ScalarAdam::default();
        let x = adam.step(1.0, 4.0, 0.1);
        assert!((x - (1.0 - 0.1 * 4.0 / (4.0 + 1e-8))).abs() < 1e-12, "{x}");
        // Second step with gradient 2: m = 0.9*0.4 + 0.1*2 = 0.56, v = 0.999*0.016 + 0.001*4
        let x2 = adam.step(x, 2.0, 0.1);
        let (m_hat, v_hat) = (0.56 / (1.0 - 0.81), (0.999 * 0.016 + 0.004) / (1.0 - 0.998001));
        assert!((x2 - (x - 0.1 * m_hat / (f64::sqrt(v_hat) + 1e-8))).abs() < 1e-12, "{x2}");
    }

    #[test]
    fn squashed_actions_map_onto_the_bounds() {
        let space = Space::vector_box(&[-2.0, 0.0], &[2.0, 10.0], DType::Float32);
        let obs = Space::vector_box(&[-1.0], &[1.0], DType::Float32);
        let params = serde_json::json!({"net_arch": [4]});
        let spec = AlgorithmSpec {
            algo: "sac",
            params: &params,
            policy: &crate::policies::FEED_FORWARD,
            observation_space: &obs,
            action_space: &space,
            num_envs: 1,
            seed: 0,
            total_steps: 1_000,
        };
        let sac = Sac::new(&spec).unwrap();
        let squashed = [-1.0, -1.0, 0.0, 0.5, 1.0, 1.0];
        assert_eq!(unscale(&squashed, &sac.low, &sac.high), [-2.0, 0.0, 0.0, 7.5, 2.0, 10.0]);
        assert_eq!(sac.target_entropy, -2.0);
        assert_eq!(sac.alpha(), 1.0);
    }
}
