//! The feed-forward actor-critic, and the heads every actor-critic policy shares.

use super::{ActionKind, DistParams, Policy, PolicyInput, PolicyOutput};
use crate::error::{AgentError, Result};
use crate::nets::{self, Activation, Encoder, EncoderSpec, Init, Mlp, MlpConfig};
use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};

/// Hyperparameters of the actor-critic networks.
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

/// Separate actor and critic torsos on shared features, a policy head (logits, or Gaussian
/// means with a state-independent log-std) and K value heads.
#[derive(Module, Debug)]
pub struct ActorCriticHeads {
    pub actor: Mlp,
    pub critic: Mlp,
    pub policy_head: Linear,
    pub value_head: Linear,
    /// `[1, A]` for continuous actions.
    pub log_std: Option<Param<Tensor<2>>>,
    #[module(skip)]
    pub value_streams: usize,
    /// The components of a MultiDiscrete action (empty otherwise).
    #[module(skip)]
    pub nvec: Vec<usize>,
}

impl ActorCriticHeads {
    /// Heads on `features` inputs, every weight drawn from `rng` (actor, critic, policy head,
    /// value head, in that order).
    pub fn new(
        features: usize,
        config: &PolicyConfig,
        action: &ActionKind,
        rng: &mut Generator,
        device: &Device,
    ) -> Result<Self> {
        Self::reading(features, features, config, action, rng, device)
    }

    /// Heads whose actor reads `actor_features` and critic `critic_features` inputs.
    pub fn reading(
        actor_features: usize,
        critic_features: usize,
        config: &PolicyConfig,
        action: &ActionKind,
        rng: &mut Generator,
        device: &Device,
    ) -> Result<Self> {
        if config.value_streams == 0 {
            return Err(AgentError::Config { field: "value_streams".into(), message: "needs at least 1".into() });
        }
        crate::core::config::layer_widths("net_arch", &config.net_arch)?;
        let ortho = config.ortho_init;
        let mlp = MlpConfig { hidden: config.net_arch.clone(), activation: config.activation };
        let actor = mlp.init(actor_features, Init::orthogonal_hidden().or_default(ortho), rng, device);
        let critic = mlp.init(critic_features, Init::orthogonal_hidden().or_default(ortho), rng, device);
        let head_init = Init::orthogonal_policy_head().or_default(ortho);
        let policy_head = nets::linear(actor.out_dim(), action.param_dim(), head_init, rng, device);
        let value_init = Init::orthogonal_value_head().or_default(ortho);
        let value_head = nets::linear(critic.out_dim(), config.value_streams, value_init, rng, device);
        let log_std = match action {
            ActionKind::Continuous { dim, .. } => {
                Some(Param::from_tensor(Tensor::full([1, *dim], config.log_std_init, device)))
            }
            ActionKind::Discrete { .. } | ActionKind::MultiDiscrete { .. } => None,
        };
        let (value_streams, nvec) = (config.value_streams, action.components().to_vec());
        Ok(ActorCriticHeads { actor, critic, policy_head, value_head, log_std, value_streams, nvec })
    }

    /// The distribution and (when asked) the values of `[B, F]` features.
    pub fn forward(&self, features: Tensor<2>, values: bool) -> (DistParams, Option<Tensor<2>>) {
        self.forward_apart(features.clone(), values.then_some(features))
    }

    /// The distribution of the actor's features and the values of the critic's, if given.
    pub fn forward_apart(
        &self,
        actor_features: Tensor<2>,
        critic_features: Option<Tensor<2>>,
    ) -> (DistParams, Option<Tensor<2>>) {
        let values = critic_features.map(|features| self.value_head.forward(self.critic.forward(features)));
        let params = self.policy_head.forward(self.actor.forward(actor_features));
        let dist = match &self.log_std {
            Some(log_std) => DistParams::Gaussian { mean: params, log_std: log_std.val() },
            None if !self.nvec.is_empty() => DistParams::MultiCategorical { logits: params, nvec: self.nvec.clone() },
            None => DistParams::Categorical { logits: params },
        };
        (dist, values)
    }
}

/// A policy's architecture in words: `core`, and how its encoder reads a mission if it does.
pub(crate) fn with_encoder(core: &str, encoder: &Encoder) -> String {
    match encoder.describe() {
        Some(reading) => format!("{core}, {reading}"),
        None => core.to_string(),
    }
}

/// Joins a goal vector to the features, where there is one.
pub(crate) fn with_goal(features: Tensor<2>, goal: Option<Tensor<2>>) -> Tensor<2> {
    match goal {
        Some(goal) => Tensor::cat(vec![features, goal], 1),
        None => features,
    }
}

/// Feed-forward actor-critic: an encoder (identity or MiniGrid CNN) and [`ActorCriticHeads`].
#[derive(Module, Debug)]
pub struct ActorCritic {
    pub encoder: Encoder,
    pub heads: ActorCriticHeads,
    #[module(skip)]
    pub goal_dim: usize,
}

impl ActorCritic {
    /// Builds the network, drawing every weight from `rng`.
    pub fn new(
        config: &PolicyConfig,
        encoder: impl Into<EncoderSpec>,
        action: &ActionKind,
        rng: &mut Generator,
        device: &Device,
    ) -> Result<Self> {
        let encoder = Encoder::new(encoder, Init::orthogonal_hidden().or_default(config.ortho_init), rng, device)?;
        let heads = ActorCriticHeads::new(encoder.out_dim() + config.goal_dim, config, action, rng, device)?;
        Ok(ActorCritic { encoder, heads, goal_dim: config.goal_dim })
    }
}

impl Policy for ActorCritic {
    fn forward(&self, input: PolicyInput) -> PolicyOutput {
        let features = with_goal(self.encoder.forward(input.obs), input.goal);
        let (dist, values) = self.heads.forward(features, input.values);
        PolicyOutput { dist, values, state: None, aux: Vec::new() }
    }

    fn value_streams(&self) -> usize {
        self.heads.value_streams
    }

    fn describe(&self) -> String {
        with_encoder("feed-forward", &self.encoder)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::nets::EncoderKind;
    use crate::policies::ActingRows;
    use limbic_environments::Space;

    pub(crate) fn cartpole_like(k: usize) -> ActorCritic {
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
        assert_eq!(out.values().dims(), [5, 3]);
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
        input.values = false;
        let out = model.forward(input);
        assert!(out.values.is_none());
        assert!(
            matches!(&out.dist, DistParams::Gaussian { mean, log_std } if mean.dims() == [5, 2] && log_std.dims() == [1, 2])
        );
    }

    #[test]
    fn acting_matches_the_training_forward() {
        let device = Device::flex();
        let model = cartpole_like(1);
        let obs: Vec<f32> = (0..12).map(|i| (i as f32 * 0.37).sin()).collect();
        let rows = ActingRows { obs: &obs, state: &[], starts: &[false; 3], goal: None, trace: false, envs: &[] };
        let acting = model.valid().act_rows(&rows, &device).unwrap();
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
        let values = out.values().into_data().try_into_vec::<f32>().unwrap();
        assert_eq!((0..3).map(|i| acting.values(i)[0]).collect::<Vec<_>>(), values);
        // A near-uniform initial policy (policy head gain 0.01).
        assert!(log_probs.iter().all(|lp| (lp - 0.5f32.ln()).abs() < 0.05));
    }

    #[test]
    fn unsupported_action_space_is_an_error() {
        let space = Space::MultiBinary { shape: vec![3] };
        assert!(ActionKind::for_space(&space).unwrap_err().to_string().contains("MultiBinary"));
    }

    #[test]
    fn multi_discrete_actions_are_independent_categoricals() {
        let device = Device::flex();
        let action = ActionKind::MultiDiscrete { nvec: vec![3, 2], start: vec![0, 5] };
        let model = ActorCritic::new(
            &PolicyConfig::default(),
            EncoderKind::Flat { dim: 4 },
            &action,
            &mut Generator::from_seed(2),
            &device,
        )
        .unwrap();
        let obs: Vec<f32> = (0..16).map(|i| (i as f32 * 0.71).cos()).collect();
        let rows = ActingRows { obs: &obs, state: &[], starts: &[false; 4], goal: None, trace: false, envs: &[] };
        let acting = model.valid().act_rows(&rows, &device).unwrap();
        let (mut actions, mut log_probs) = (vec![0.0; 8], vec![0.0; 4]);
        acting.sample(&action, false, &mut Generator::from_seed(3), &mut actions, &mut log_probs);
        assert!(actions.chunks(2).all(|a| a[0] < 3.0 && a[1] < 2.0 && a[0].fract() == 0.0));
        // The joint log-probability is the sum of the components', on the host and in the loss.
        let mut encoded = vec![0.0f32; 4 * 5];
        for (row, a) in encoded.chunks_mut(5).zip(actions.chunks(2)) {
            action.encode(a, row);
        }
        let out = model.forward(PolicyInput::obs(Tensor::from_data(TensorData::new(obs, [4, 4]), &device)));
        let (lp, entropy) = out.dist.log_prob_entropy(Tensor::from_data(TensorData::new(encoded, [4, 5]), &device));
        let lp = lp.into_data().try_into_vec::<f32>().unwrap();
        for (a, b) in lp.iter().zip(&log_probs) {
            assert!((a - b).abs() < 1e-5, "{lp:?} vs {log_probs:?}");
        }
        // Near-uniform at initialization: entropy ln 3 + ln 2.
        let h = entropy.into_data().try_into_vec::<f32>().unwrap();
        assert!(h.iter().all(|h| (h - (3.0f32.ln() + 2.0f32.ln())).abs() < 0.01), "{h:?}");
    }
}
