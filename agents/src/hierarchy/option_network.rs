//! The option-critic network: one encoder, an actor torso carrying the K intra-option policies,
//! the K termination functions and the policy over options, and a critic torso carrying the
//! option values `Q(s, o)` (one per reward stream). It implements the [`Policy`] contract, the
//! option context coming in as its `goal`, so PPO's learner trains it end to end.
//!
//! **The option context** (`goal`, `2K + 2` numbers per row): the one-hot option `o_t` in force
//! at the step, the one-hot option `o_{t-1}` it arrived with (zeros where an episode starts),
//! whether `o_t` was chosen at this step, and the log-probability of that choice. With it,
//! `forward` returns the chosen option's action distribution and values, and the policy's own
//! losses ([`Policy::aux_losses`]) are those of Bacon et al. (2017) beside PPO's:
//! - **termination gradient** at the state the previous option arrived in:
//!   `beta_{o_{t-1}}(s_t) * (Q(s_t, o_{t-1}) - V(s_t) + eta)`, with the advantage held fixed
//!   and `eta` the deliberation cost of Harb et al. (2018): an option ends only where it is
//!   worse than the policy over options by more than `eta`;
//! - **policy over options** (when learned): PPO's clipped surrogate on the choices made at
//!   the step, with the advantage `Q(s, o) - V(s)` from the critic, and an entropy bonus over
//!   every row that keeps the options from collapsing into one;
//! - `V(s) = sum_o p(o | s) Q(s, o)` under the policy over options (its softmax, or the
//!   epsilon-greedy choice over `Q`), every stream weighted by its advantage coefficient.
//!
//! PPO's own losses then train the intra-option policies (the clipped surrogate with GAE
//! advantages over the option values: `Q_U(s, o, a) - Q(s, o)`, Bacon's baseline) and the
//! critic (the value loss on the lambda-returns of `Q(s_t, o_t)`).

use crate::error::{AgentError, Result};
use crate::nets::{self, Encoder, EncoderKind, Init, Mlp, MlpConfig};
use crate::policies::{ActionKind, DistParams, Policy, PolicyConfig, PolicyInput, PolicyOutput};
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, sigmoid, softmax};
use limbic_environments::rng::Generator;

/// How the policy over options chooses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OverOptions {
    /// A softmax head trained with the clipped surrogate (PPOC, Klissarov et al. 2017).
    Learned,
    /// Epsilon-greedy over the option values (the paper's).
    EpsilonGreedy(f64),
}

/// The settings of the option-critic losses.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionLosses {
    pub over_options: OverOptions,
    /// Deliberation cost `eta`.
    pub deliberation_cost: f64,
    /// Weight of the termination loss.
    pub termination_coef: f64,
    /// Entropy bonus of the learned policy over options.
    pub option_ent_coef: f64,
    /// Clip range of the policy over options' surrogate.
    pub clip_range: f64,
    /// Weight of each reward stream in the option values the losses compare.
    pub stream_coefs: Vec<f64>,
}

/// See the [module docs](self).
#[derive(Module, Debug)]
pub struct OptionCriticNet {
    pub encoder: Encoder,
    pub actor: Mlp,
    pub critic: Mlp,
    /// `K * A` logits: option k's action logits at `[k * A, (k + 1) * A)`.
    pub intra: Linear,
    /// `K` termination logits.
    pub termination: Linear,
    /// `K` logits of the policy over options.
    pub over: Linear,
    /// `K * S` option values: option k's streams at `[k * S, (k + 1) * S)`.
    pub values: Linear,
    #[module(skip)]
    pub options: usize,
    #[module(skip)]
    pub actions: usize,
    #[module(skip)]
    pub streams: usize,
    /// Epsilon of an epsilon-greedy policy over options (negative: learned).
    #[module(skip)]
    pub epsilon: f64,
    #[module(skip)]
    pub deliberation_cost: f64,
    #[module(skip)]
    pub termination_coef: f64,
    #[module(skip)]
    pub option_ent_coef: f64,
    #[module(skip)]
    pub clip_range: f64,
    #[module(skip)]
    pub stream_coefs: Vec<f64>,
}

/// Every head of a batch of rows.
pub struct OptionHeads {
    /// `[B, K * A]`.
    pub logits: Tensor<2>,
    /// `[B, K]` termination probabilities.
    pub beta: Tensor<2>,
    /// `[B, K]` logits of the policy over options.
    pub over: Tensor<2>,
    /// `[B, K * S]`.
    pub values: Tensor<2>,
}

impl OptionCriticNet {
    /// `options` options for `action`'s discrete actions, every weight drawn from `rng`.
    pub fn new(
        config: &PolicyConfig,
        options: usize,
        losses: &OptionLosses,
        encoder: EncoderKind,
        action: &ActionKind,
        rng: &mut Generator,
        device: &Device,
    ) -> Result<Self> {
        let ActionKind::Discrete { n: actions, .. } = *action else {
            return Err(AgentError::Unsupported(
                "option-critic: intra-option policies over Box actions are not implemented; use a Discrete action space"
                    .into(),
            ));
        };
        if options == 0 {
            return Err(AgentError::Config { field: "options".into(), message: "must be at least 1".into() });
        }
        crate::core::config::layer_widths("net_arch", &config.net_arch)?;
        let ortho = config.ortho_init;
        let encoder = Encoder::new(encoder, Init::orthogonal_hidden().or_default(ortho), rng, device)?;
        let mlp = MlpConfig { hidden: config.net_arch.clone(), activation: config.activation };
        let actor = mlp.init(encoder.out_dim(), Init::orthogonal_hidden().or_default(ortho), rng, device);
        let critic = mlp.init(encoder.out_dim(), Init::orthogonal_hidden().or_default(ortho), rng, device);
        let head = Init::orthogonal_policy_head().or_default(ortho);
        let intra = nets::linear(actor.out_dim(), options * actions, head, rng, device);
        let termination = nets::linear(actor.out_dim(), options, head, rng, device);
        let over = nets::linear(actor.out_dim(), options, head, rng, device);
        let value_init = Init::orthogonal_value_head().or_default(ortho);
        let values = nets::linear(critic.out_dim(), options * config.value_streams, value_init, rng, device);
        Ok(OptionCriticNet {
            encoder,
            actor,
            critic,
            intra,
            termination,
            over,
            values,
            options,
            actions,
            streams: config.value_streams,
            epsilon: match losses.over_options {
                OverOptions::Learned => -1.0,
                OverOptions::EpsilonGreedy(epsilon) => epsilon,
            },
            deliberation_cost: losses.deliberation_cost,
            termination_coef: losses.termination_coef,
            option_ent_coef: losses.option_ent_coef,
            clip_range: losses.clip_range,
            stream_coefs: losses.stream_coefs.clone(),
        })
    }

    /// Every head for observation rows `[B, D]`.
    pub fn heads(&self, obs: Tensor<2>) -> OptionHeads {
        let features = self.encoder.forward(obs);
        let hidden = self.actor.forward(features.clone());
        OptionHeads {
            logits: self.intra.forward(hidden.clone()),
            beta: sigmoid(self.termination.forward(hidden.clone())),
            over: self.over.forward(hidden),
            values: self.values.forward(self.critic.forward(features)),
        }
    }

    /// Width of the option context.
    pub fn context_dim(&self) -> usize {
        2 * self.options + 2
    }

    /// `[B, K * W]` per-option blocks reduced to the block of each row's one-hot `option`
    /// `[B, K]`: `[B, W]`.
    fn select(&self, blocks: Tensor<2>, option: Tensor<2>, width: usize) -> Tensor<2> {
        let rows = blocks.dims()[0];
        let picked = blocks.reshape([rows, self.options, width]) * option.reshape([rows, self.options, 1]);
        picked.sum_dim(1).reshape([rows, width])
    }

    /// `[B, K]` option values with the streams weighted together.
    fn combined(&self, values: Tensor<2>) -> Tensor<2> {
        let rows = values.dims()[0];
        let device = values.device();
        let coefs: Vec<f32> = self.stream_coefs.iter().map(|&c| c as f32).collect();
        let coefs = Tensor::<1>::from_data(TensorData::new(coefs, [self.streams]), &device);
        let weighted = values.reshape([rows, self.options, self.streams]) * coefs.reshape([1, 1, self.streams]);
        weighted.sum_dim(2).reshape([rows, self.options])
    }

    /// `[B, K]` the probability of each option under the policy over options.
    fn option_probs(&self, over: Tensor<2>, values: Tensor<2>) -> Tensor<2> {
        if self.epsilon < 0.0 {
            return softmax(over, 1);
        }
        let k = self.options as f64;
        let best = values.clone().equal(values.max_dim(1).repeat_dim(1, self.options)).float();
        // Ties share the greedy mass (the acting side takes the first; the difference is moot).
        let greedy = best.clone() / best.sum_dim(1);
        greedy * (1.0 - self.epsilon) + self.epsilon / k
    }
}

impl Policy for OptionCriticNet {
    fn forward(&self, input: PolicyInput) -> PolicyOutput {
        let rows = input.obs.dims()[0];
        let device = input.obs.device();
        // Without a context, every row acts under option 0 (the contract's goal-less call).
        let context = input.goal.unwrap_or_else(|| {
            let mut first = vec![0.0f32; rows * self.context_dim()];
            first.iter_mut().step_by(self.context_dim()).for_each(|x| *x = 1.0);
            Tensor::from_data(TensorData::new(first, [rows, self.context_dim()]), &device)
        });
        let heads = self.heads(input.obs);
        let option = context.clone().narrow(1, 0, self.options);
        let logits = self.select(heads.logits, option.clone(), self.actions);
        let values = self.select(heads.values.clone(), option, self.streams);
        PolicyOutput {
            dist: DistParams::Categorical { logits },
            values: input.values.then_some(values),
            state: None,
            aux: vec![
                ("options/beta".into(), heads.beta),
                ("options/over".into(), heads.over),
                ("options/q".into(), self.combined(heads.values)),
                ("options/context".into(), context),
            ],
        }
    }

    fn value_streams(&self) -> usize {
        self.streams
    }

    fn aux_losses(&self, out: &PolicyOutput) -> Vec<(String, Tensor<1>)> {
        let aux = |name: &str| out.aux.iter().find(|(n, _)| n == name).map(|(_, t)| t.clone());
        let (Some(beta), Some(over), Some(q), Some(context)) =
            (aux("options/beta"), aux("options/over"), aux("options/q"), aux("options/context"))
        else {
            return Vec::new();
        };
        let (rows, k) = (context.dims()[0], self.options);
        let q = q.detach();
        let probs = self.option_probs(over.clone(), q.clone());
        let v = (probs.detach() * q.clone()).sum_dim(1);
        let current = context.clone().narrow(1, 0, k);
        let previous = context.clone().narrow(1, k, k);
        // Termination gradient: lower beta where the previous option is still good.
        let advantage = (q.clone() - v.clone() + self.deliberation_cost).detach();
        let termination = (previous * beta * advantage).sum_dim(1).mean().reshape([1]) * self.termination_coef;
        let mut losses = vec![("options/termination".to_string(), termination)];
        if self.epsilon < 0.0 {
            let decided = context.clone().narrow(1, 2 * k, 1).reshape([rows]);
            let old_log_prob = context.narrow(1, 2 * k + 1, 1).reshape([rows]);
            let log_probs = log_softmax(over, 1);
            let log_prob = (log_probs.clone() * current.clone()).sum_dim(1).reshape([rows]);
            let advantage = ((q * current).sum_dim(1) - v).reshape([rows]).detach();
            let ratio = (log_prob - old_log_prob).exp();
            let clipped = ratio.clone().clamp(1.0 - self.clip_range, 1.0 + self.clip_range) * advantage.clone();
            let surrogate = (ratio * advantage).min_pair(clipped);
            let count = decided.clone().sum().clamp_min(1.0);
            let policy = (surrogate * decided).sum().neg() / count;
            let negative_entropy = (log_probs.clone().exp() * log_probs).sum_dim(1).mean().reshape([1]);
            losses.push(("options/policy".into(), policy));
            losses.push(("options/entropy".into(), negative_entropy * self.option_ent_coef));
        }
        losses
    }

    fn describe(&self) -> String {
        let over = match self.epsilon < 0.0 {
            true => "learned".to_string(),
            false => format!("epsilon-greedy {}", self.epsilon),
        };
        format!(
            "option-critic: {} options, policy over options {over}, deliberation cost {}, termination coef {}, \
             option entropy {}",
            self.options, self.deliberation_cost, self.termination_coef, self.option_ent_coef
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(options: usize, over_options: OverOptions) -> OptionCriticNet {
        let losses = OptionLosses {
            over_options,
            deliberation_cost: 0.01,
            termination_coef: 1.0,
            option_ent_coef: 0.01,
            clip_range: 0.2,
            stream_coefs: vec![1.0],
        };
        let action = ActionKind::Discrete { n: 3, start: 0 };
        let config = PolicyConfig { net_arch: vec![8], ..PolicyConfig::default() };
        let mut rng = Generator::from_seed(0);
        OptionCriticNet::new(
            &config,
            options,
            &losses,
            EncoderKind::Flat { dim: 5 },
            &action,
            &mut rng,
            &Device::flex(),
        )
        .unwrap()
    }

    fn download(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().unwrap()
    }

    #[test]
    fn the_context_selects_each_rows_option() {
        let net = net(3, OverOptions::Learned);
        let device = Device::flex();
        let obs: Vec<f32> = (0..10).map(|i| (i as f32 * 0.3).sin()).collect();
        let obs = Tensor::<2>::from_data(TensorData::new(obs, [2, 5]), &device);
        let heads = net.heads(obs.clone());
        let (logits, values) = (download(heads.logits), download(heads.values));
        // Row 0 under option 2, row 1 under option 0 (arrived with option 1).
        let mut context = vec![0.0f32; 2 * 8];
        context[2] = 1.0;
        context[8] = 1.0;
        context[8 + 3 + 1] = 1.0;
        let goal = Tensor::<2>::from_data(TensorData::new(context, [2, 8]), &device);
        let out = net.forward(PolicyInput { goal: Some(goal), ..PolicyInput::obs(obs) });
        let DistParams::Categorical { logits: picked } = out.dist.clone() else { panic!() };
        let picked = download(picked);
        assert_eq!(&picked[..3], &logits[6..9]);
        assert_eq!(&picked[3..], &logits[9..12]);
        assert_eq!(download(out.values()), [values[2], values[3]]);
        assert_eq!(out.aux.len(), 4);
        let names: Vec<String> = net.aux_losses(&out).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["options/termination", "options/policy", "options/entropy"]);
    }

    #[test]
    fn termination_loss_follows_the_previous_options_advantage() {
        // Without a previous option nothing is asked of the terminations; with one, the loss
        // is beta_prev * (Q(prev) - V + eta), V under the epsilon-greedy policy over options.
        let net = net(2, OverOptions::EpsilonGreedy(0.1));
        let device = Device::flex();
        let obs = Tensor::<2>::from_data(TensorData::new(vec![0.2, -0.1, 0.4, 0.0, 0.3], [1, 5]), &device);
        let heads = net.heads(obs.clone());
        let (beta, q) = (download(heads.beta), download(heads.values));
        let loss = |context: Vec<f32>| {
            let goal = Tensor::<2>::from_data(TensorData::new(context, [1, 6]), &device);
            let out = net.forward(PolicyInput { goal: Some(goal), ..PolicyInput::obs(obs.clone()) });
            let losses = net.aux_losses(&out);
            assert_eq!(losses.len(), 1, "epsilon-greedy: no policy loss");
            losses[0].1.clone().into_data().try_into_vec::<f32>().unwrap()[0]
        };
        assert_eq!(loss(vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]), 0.0);
        let best = if q[0] >= q[1] { 0 } else { 1 };
        let p = [0.05 + 0.9 * (best == 0) as u8 as f32, 0.05 + 0.9 * (best == 1) as u8 as f32];
        let v = p[0] * q[0] + p[1] * q[1];
        let expected = beta[1] * (q[1] - v + 0.01);
        let got = loss(vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0]);
        assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
    }
}
