//! The policy contract every learner and every structured agent shares, and the feed-forward
//! actor-critic that implements it.
//!
//! A policy maps [`PolicyInput`] (observations, an optional recurrent state, an optional
//! goal/option vector) to [`PolicyOutput`] (the action distribution's parameters, one value per
//! reward stream, the next recurrent state, optional auxiliary outputs). One contract covers
//! what comes next without changing it:
//! - **several reward streams**: `values` is `[B, K]`, stream 0 the extrinsic reward and the
//!   others intrinsic signals, each with its own value head;
//! - **working memory**: a recurrent policy reads `state` and returns the next one;
//!   `episode_starts` says which rows begin a new episode (their state is reset);
//! - **hierarchical control**: a goal or option vector comes in `goal`;
//! - **world-model losses**: auxiliary predictions leave through `aux`, by name.
//!
//! Acting goes through [`ActorCritic::evaluate_rows`]: the whole vector-env batch in one tensor upload
//! on the inference (`valid()`) model, one download, actions drawn on the CPU with our own
//! generator.

use crate::distributions::{self, Categorical, DiagGaussian};
use crate::error::{AgentError, Result};
use crate::nets::{self, Activation, Encoder, EncoderKind, Init, Mlp, MlpConfig};
use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use limbic_environments::rng::Generator;
use limbic_environments::{DType, Space};
use serde::{Deserialize, Serialize};

/// The action space as a policy head sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum ActionKind {
    /// `Discrete(n, start)`: `n` logits; env actions are `start + index`.
    Discrete { n: usize, start: i64 },
    /// A float32 `Box` of `dim` elements: a diagonal Gaussian whose samples are clipped to
    /// `[low, high]` before they reach the env (SB3's behaviour; the unclipped sample is what
    /// the learner scores).
    Continuous { dim: usize, low: Vec<f32>, high: Vec<f32> },
}

impl ActionKind {
    pub fn for_space(space: &Space) -> Result<ActionKind> {
        match space {
            Space::Discrete { n, start } if *n > 0 => Ok(ActionKind::Discrete { n: *n as usize, start: *start }),
            Space::Box(b) if b.dtype == DType::Float32 && !b.low.is_empty() => Ok(ActionKind::Continuous {
                dim: b.low.len(),
                low: b.low.iter().map(|&x| x as f32).collect(),
                high: b.high.iter().map(|&x| x as f32).collect(),
            }),
            other => Err(AgentError::Unsupported(format!(
                "action space {}: policies handle Discrete and float32 Box actions",
                other.describe()
            ))),
        }
    }

    /// Width of the distribution parameters (logits or means).
    pub fn param_dim(&self) -> usize {
        match self {
            ActionKind::Discrete { n, .. } => *n,
            ActionKind::Continuous { dim, .. } => *dim,
        }
    }

    /// Numbers per stored action: 1 (the index) or `dim`.
    pub fn action_dim(&self) -> usize {
        match self {
            ActionKind::Discrete { .. } => 1,
            ActionKind::Continuous { dim, .. } => *dim,
        }
    }

    /// Width of the actions in a training minibatch: one-hot rows for discrete actions.
    pub fn encoded_dim(&self) -> usize {
        self.param_dim()
    }
}

/// A recurrent policy's memory: one `[B, H]` tensor per recurrent layer (an LSTM uses two).
#[derive(Clone, Debug)]
pub struct RecurrentState {
    pub tensors: Vec<Tensor<2>>,
}

/// What a policy reads.
#[derive(Clone, Debug)]
pub struct PolicyInput {
    /// `[B, D]` observation rows (normalized when the learner normalizes observations).
    pub obs: Tensor<2>,
    /// The recurrent state from the previous step; `None` = the initial state.
    pub state: Option<RecurrentState>,
    /// `[B, 1]`, 1.0 where a row begins an episode (a recurrent policy resets its state there).
    pub episode_starts: Option<Tensor<2>>,
    /// `[B, G]` goal or option vector of a hierarchical controller.
    pub goal: Option<Tensor<2>>,
}

impl PolicyInput {
    /// Observations only (a feed-forward policy without goals).
    pub fn obs(obs: Tensor<2>) -> Self {
        PolicyInput { obs, state: None, episode_starts: None, goal: None }
    }
}

/// Parameters of the action distribution.
// One per forward pass: boxing the larger variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum DistParams {
    /// Logits `[B, n]`.
    Categorical { logits: Tensor<2> },
    /// Means `[B, A]` and a log-std `[1, A]` (state-independent) or `[B, A]`.
    Gaussian { mean: Tensor<2>, log_std: Tensor<2> },
}

impl DistParams {
    /// Log-probability `[B]` of the actions in their minibatch encoding (one-hot rows for
    /// discrete actions, the raw vectors for continuous ones) and the entropy `[B]`.
    pub fn log_prob_entropy(&self, actions: Tensor<2>) -> (Tensor<1>, Tensor<1>) {
        match self {
            DistParams::Categorical { logits } => {
                let dist = Categorical::from_logits(logits.clone());
                (dist.log_prob_one_hot(actions), dist.entropy())
            }
            DistParams::Gaussian { mean, log_std } => {
                let dist = DiagGaussian::new(mean.clone(), log_std.clone());
                (dist.log_prob(actions), dist.entropy())
            }
        }
    }
}

/// What a policy returns.
#[derive(Clone, Debug)]
pub struct PolicyOutput {
    pub dist: DistParams,
    /// `[B, K]`: one value per reward stream.
    pub values: Tensor<2>,
    /// The next recurrent state (`None` for feed-forward policies).
    pub state: Option<RecurrentState>,
    /// Named auxiliary outputs (e.g. a world model's predictions) for auxiliary losses.
    pub aux: Vec<(String, Tensor<2>)>,
}

/// The contract: a burn module from [`PolicyInput`] to [`PolicyOutput`].
pub trait Policy: Module {
    fn forward(&self, input: PolicyInput) -> PolicyOutput;

    /// Number of value heads K.
    fn value_streams(&self) -> usize;

    /// Whether `forward` reads and returns a recurrent state.
    fn is_recurrent(&self) -> bool {
        false
    }
}

/// Hyperparameters of [`ActorCritic`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Hidden layers of the actor and of the critic (two separate torsos of this shape).
    pub net_arch: Vec<usize>,
    pub activation: Activation,
    /// Orthogonal initialization with CleanRL's gains (sqrt 2 hidden, 0.01 policy head, 1 value
    /// head); otherwise PyTorch's default initialization.
    pub ortho_init: bool,
    /// Number of value heads K (reward streams).
    pub value_streams: usize,
    /// Width of the goal/option vector concatenated to the features (0 = none).
    pub goal_dim: usize,
    /// Initial log standard deviation of continuous actions.
    pub log_std_init: f64,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            net_arch: vec![64, 64],
            activation: Activation::Tanh,
            ortho_init: true,
            value_streams: 1,
            goal_dim: 0,
            log_std_init: 0.0,
        }
    }
}

/// Feed-forward actor-critic: a shared encoder (identity or MiniGrid CNN), separate actor
/// and critic torsos, a policy head (logits or Gaussian means with a state-independent
/// log-std) and K value heads.
#[derive(Module, Debug)]
pub struct ActorCritic {
    pub encoder: Encoder,
    pub actor: Mlp,
    pub critic: Mlp,
    pub policy_head: Linear,
    pub value_head: Linear,
    /// `[1, A]` for continuous actions.
    pub log_std: Option<Param<Tensor<2>>>,
    #[module(skip)]
    pub continuous: bool,
    #[module(skip)]
    pub value_streams: usize,
    #[module(skip)]
    pub goal_dim: usize,
}

impl ActorCritic {
    /// Builds the network for `observation_space`/`action_space`, drawing every weight from
    /// `rng`.
    pub fn new(
        config: &PolicyConfig,
        encoder: EncoderKind,
        action: &ActionKind,
        rng: &mut Generator,
        device: &Device,
    ) -> Result<Self> {
        if config.value_streams == 0 {
            return Err(AgentError::Config { field: "value_streams".into(), message: "needs at least 1".into() });
        }
        let ortho = config.ortho_init;
        let encoder = Encoder::new(encoder, Init::orthogonal_hidden().or_default(ortho), rng, device)?;
        let mlp = MlpConfig { hidden: config.net_arch.clone(), activation: config.activation };
        let features = encoder.out_dim() + config.goal_dim;
        let actor = mlp.init(features, Init::orthogonal_hidden().or_default(ortho), rng, device);
        let critic = mlp.init(features, Init::orthogonal_hidden().or_default(ortho), rng, device);
        let policy_head = nets::linear(
            actor.out_dim(),
            action.param_dim(),
            Init::orthogonal_policy_head().or_default(ortho),
            rng,
            device,
        );
        let value_head = nets::linear(
            critic.out_dim(),
            config.value_streams,
            Init::orthogonal_value_head().or_default(ortho),
            rng,
            device,
        );
        let log_std = match action {
            ActionKind::Continuous { dim, .. } => {
                Some(Param::from_tensor(Tensor::full([1, *dim], config.log_std_init, device)))
            }
            ActionKind::Discrete { .. } => None,
        };
        Ok(ActorCritic {
            encoder,
            actor,
            critic,
            policy_head,
            value_head,
            continuous: log_std.is_some(),
            log_std,
            value_streams: config.value_streams,
            goal_dim: config.goal_dim,
        })
    }

    /// Acts on a whole batch: uploads `obs` (`[N, D]`), runs the model once and downloads the
    /// distribution parameters and values together. Call it on the `valid()` model.
    pub fn evaluate_rows(&self, obs: &[f32], rows: usize, device: &Device) -> Result<ActingOutput> {
        let dim = obs.len() / rows.max(1);
        let input = Tensor::<2>::from_data(TensorData::new(obs.to_vec(), [rows, dim]), device);
        let out = self.forward(PolicyInput::obs(input));
        let (params, log_std) = match out.dist {
            DistParams::Categorical { logits } => (logits, None),
            DistParams::Gaussian { mean, log_std } => (mean, Some(log_std)),
        };
        let param_dim = params.dims()[1];
        let joined = nets::download(Tensor::cat(vec![params, out.values], 1))?;
        let log_std = log_std.map(nets::download).transpose()?.unwrap_or_default();
        Ok(ActingOutput { joined, param_dim, value_streams: self.value_streams, log_std })
    }
}

impl Policy for ActorCritic {
    fn forward(&self, input: PolicyInput) -> PolicyOutput {
        let mut features = self.encoder.forward(input.obs);
        if let Some(goal) = input.goal {
            features = Tensor::cat(vec![features, goal], 1);
        }
        let params = self.policy_head.forward(self.actor.forward(features.clone()));
        let values = self.value_head.forward(self.critic.forward(features));
        let dist = match &self.log_std {
            Some(log_std) => DistParams::Gaussian { mean: params, log_std: log_std.val() },
            None => DistParams::Categorical { logits: params },
        };
        PolicyOutput { dist, values, state: None, aux: Vec::new() }
    }

    fn value_streams(&self) -> usize {
        self.value_streams
    }
}

/// A batch's distribution parameters and values, downloaded in one piece.
#[derive(Clone, Debug)]
pub struct ActingOutput {
    /// `[N, P + K]`: P distribution parameters, then K values, per row.
    joined: Vec<f32>,
    param_dim: usize,
    value_streams: usize,
    /// The shared log-std of continuous actions.
    log_std: Vec<f32>,
}

impl ActingOutput {
    pub fn rows(&self) -> usize {
        self.joined.len() / (self.param_dim + self.value_streams)
    }

    /// Logits or means of row `i`.
    pub fn params(&self, i: usize) -> &[f32] {
        let w = self.param_dim + self.value_streams;
        &self.joined[i * w..i * w + self.param_dim]
    }

    /// Values of row `i`, one per reward stream.
    pub fn values(&self, i: usize) -> &[f32] {
        let w = self.param_dim + self.value_streams;
        &self.joined[i * w + self.param_dim..(i + 1) * w]
    }

    /// Draws (or, `deterministic`, picks the mode of) the action of every row: writes
    /// `actions [N, action_dim]` (discrete: the index) and `log_probs [N]`.
    pub fn sample(
        &self,
        kind: &ActionKind,
        deterministic: bool,
        rng: &mut Generator,
        actions: &mut [f32],
        log_probs: &mut [f32],
    ) {
        let mut scratch = Vec::new();
        let a = kind.action_dim();
        for i in 0..self.rows() {
            let params = self.params(i);
            let out = &mut actions[i * a..(i + 1) * a];
            log_probs[i] = match kind {
                ActionKind::Discrete { .. } => {
                    let (index, lp) = if deterministic {
                        distributions::categorical_mode(params, &mut scratch)
                    } else {
                        distributions::sample_categorical(params, rng, &mut scratch)
                    };
                    out[0] = index as f32;
                    lp
                }
                ActionKind::Continuous { .. } if deterministic => {
                    out.copy_from_slice(params);
                    distributions::gaussian_log_prob(out, params, &self.log_std)
                }
                ActionKind::Continuous { .. } => distributions::sample_gaussian(params, &self.log_std, rng, out),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cartpole_like(k: usize) -> ActorCritic {
        let config = PolicyConfig { value_streams: k, ..PolicyConfig::default() };
        let action = ActionKind::Discrete { n: 2, start: 0 };
        ActorCritic::new(&config, EncoderKind::Flat { dim: 4 }, &action, &mut Generator::from_seed(0), &Device::flex())
            .unwrap()
    }

    #[test]
    fn output_shapes_follow_the_contract() {
        let device = Device::flex();
        let model = cartpole_like(3);
        let out = model.forward(PolicyInput::obs(Tensor::zeros([5, 4], &device)));
        assert_eq!(out.values.dims(), [5, 3]);
        assert!(matches!(&out.dist, DistParams::Categorical { logits } if logits.dims() == [5, 2]));
        assert!(out.state.is_none() && out.aux.is_empty() && !model.is_recurrent());
        // A goal vector is concatenated to the features.
        let config = PolicyConfig { goal_dim: 3, ..PolicyConfig::default() };
        let action = ActionKind::Continuous { dim: 2, low: vec![-1.0; 2], high: vec![1.0; 2] };
        let model =
            ActorCritic::new(&config, EncoderKind::Flat { dim: 4 }, &action, &mut Generator::from_seed(0), &device)
                .unwrap();
        let mut input = PolicyInput::obs(Tensor::zeros([5, 4], &device));
        input.goal = Some(Tensor::ones([5, 3], &device));
        let out = model.forward(input);
        assert!(
            matches!(&out.dist, DistParams::Gaussian { mean, log_std } if mean.dims() == [5, 2] && log_std.dims() == [1, 2])
        );
    }

    #[test]
    fn acting_matches_the_training_forward() {
        let device = Device::flex();
        let model = cartpole_like(1);
        let obs: Vec<f32> = (0..12).map(|i| (i as f32 * 0.37).sin()).collect();
        let acting = model.valid().evaluate_rows(&obs, 3, &device).unwrap();
        let mut actions = vec![0.0; 3];
        let mut log_probs = vec![0.0; 3];
        let kind = ActionKind::Discrete { n: 2, start: 0 };
        acting.sample(&kind, false, &mut Generator::from_seed(1), &mut actions, &mut log_probs);
        // The log-probs drawn on the CPU are those the loss computes on tensors.
        let out = model.forward(PolicyInput::obs(Tensor::from_data(TensorData::new(obs, [3, 4]), &device)));
        let one_hot: Vec<f32> =
            actions.iter().flat_map(|&a| [(a == 0.0) as u8 as f32, (a == 1.0) as u8 as f32]).collect();
        let (lp, _) = out.dist.log_prob_entropy(Tensor::from_data(TensorData::new(one_hot, [3, 2]), &device));
        let lp = lp.into_data().try_into_vec::<f32>().unwrap();
        for (a, b) in lp.iter().zip(&log_probs) {
            assert!((a - b).abs() < 1e-6, "{lp:?} vs {log_probs:?}");
        }
        let values = out.values.into_data().try_into_vec::<f32>().unwrap();
        assert_eq!((0..3).map(|i| acting.values(i)[0]).collect::<Vec<_>>(), values);
        // A near-uniform initial policy (policy head gain 0.01).
        assert!(log_probs.iter().all(|lp| (lp - 0.5f32.ln()).abs() < 0.05));
    }

    #[test]
    fn unsupported_action_space_is_an_error() {
        let space = Space::MultiBinary { shape: vec![3] };
        assert!(ActionKind::for_space(&space).unwrap_err().to_string().contains("MultiBinary"));
    }
}
