//! The policy contract every learner and every structured agent shares, and its
//! implementations.
//!
//! A policy is a burn module from [`PolicyInput`] (observations, the recurrent state, where
//! episodes start, an optional goal/option vector) to [`PolicyOutput`] (the action
//! distribution's parameters, one value per reward stream, the next state, named auxiliary
//! outputs). Learners are generic over [`Policy`]; none knows which network it trains.
//! - **several reward streams**: `values` is `[B, K]`, stream 0 the extrinsic reward and the
//!   others intrinsic signals, each with its own value head;
//! - **working memory**: a recurrent policy reads `state` and returns the next one, reset to
//!   zero where `episode_starts` is 1; [`Policy::forward_sequences`] unrolls chunks of
//!   consecutive steps for training (truncated backpropagation through time);
//! - **hierarchical control**: a goal or option vector comes in `goal`;
//! - **instructions**: a mission given as word indices in the observation is read by the
//!   observation encoder (`policy.instruction`, optionally `policy.film`; [`crate::nets`]), so
//!   every policy, with memory or without, follows instructions the same way;
//! - **auxiliary losses**: a policy names its own (the slot memory's write cost) in
//!   [`Policy::aux_losses`]; the learner adds them to its loss.
//!
//! Implementations: [`ActorCritic`] (feed-forward), [`MemoryActorCritic`] (a GRU, an LSTM or
//! the gated slot buffer between the encoder and the heads). Acting on host rows goes through
//! [`Policy::act_rows`] (one upload, one forward pass on the `valid()` model, one download), and
//! the acting sessions of [`acting`] on top of it.

pub mod acting;
pub mod actor_critic;
pub mod memory_actor_critic;

pub use acting::{
    Acted, Acting, ActingOutput, ActingRows, Actor, EnvActions, PolicyActing, RandomActing, SessionState,
};
pub use actor_critic::{ActorCritic, ActorCriticHeads, PolicyConfig};
pub use memory_actor_critic::MemoryActorCritic;

use crate::distributions::{Categorical, DiagGaussian};
use crate::error::{AgentError, Result};
use crate::nets;
use crate::nets::film::{deserialize_film, FilmConfig};
use crate::nets::instruction::InstructionConfig;
use crate::nets::memory::MemoryConfig;
use crate::nets::{EncoderKind, EncoderSpec};
use burn::prelude::*;
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
    /// `MultiDiscrete(nvec, start)`: one independent categorical per component (SB3's
    /// `MultiCategoricalDistribution`); env actions are `start[i] + index[i]`.
    MultiDiscrete { nvec: Vec<usize>, start: Vec<i64> },
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
            Space::MultiDiscrete { nvec, start } if !nvec.is_empty() && nvec.iter().all(|&n| n > 0) => {
                Ok(ActionKind::MultiDiscrete { nvec: nvec.iter().map(|&n| n as usize).collect(), start: start.clone() })
            }
            other => Err(AgentError::Unsupported(format!(
                "action space {}: policies handle Discrete, MultiDiscrete and float32 Box actions",
                other.describe()
            ))),
        }
    }

    /// Width of the distribution parameters (logits or means).
    pub fn param_dim(&self) -> usize {
        match self {
            ActionKind::Discrete { n, .. } => *n,
            ActionKind::Continuous { dim, .. } => *dim,
            ActionKind::MultiDiscrete { nvec, .. } => nvec.iter().sum(),
        }
    }

    /// Numbers per stored action: 1 (the index), `dim`, or one index per component.
    pub fn action_dim(&self) -> usize {
        match self {
            ActionKind::Discrete { .. } => 1,
            ActionKind::Continuous { dim, .. } => *dim,
            ActionKind::MultiDiscrete { nvec, .. } => nvec.len(),
        }
    }

    /// The components' sizes of a MultiDiscrete action (empty otherwise).
    pub fn components(&self) -> &[usize] {
        match self {
            ActionKind::MultiDiscrete { nvec, .. } => nvec,
            _ => &[],
        }
    }

    /// Width of the actions in a training minibatch: one-hot rows for discrete actions.
    pub fn encoded_dim(&self) -> usize {
        self.param_dim()
    }

    /// Writes the minibatch encoding of a stored action (`action_dim` numbers) into `out`
    /// (`encoded_dim` numbers, zero on entry): one-hot rows for discrete parts.
    pub fn encode(&self, action: &[f32], out: &mut [f32]) {
        match self {
            ActionKind::Discrete { .. } => out[action[0] as usize] = 1.0,
            ActionKind::Continuous { .. } => out.copy_from_slice(action),
            ActionKind::MultiDiscrete { nvec, .. } => {
                let mut offset = 0;
                for (&index, &n) in action.iter().zip(nvec) {
                    out[offset + index as usize] = 1.0;
                    offset += n;
                }
            }
        }
    }
}

/// The policy part of a run's config: `"policy": {"memory": {"kind": "gru", "size": 128}}`;
/// on observations with a mission in words, `"instruction": {"kind": "gru"}` and `"film": true`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicySpec {
    /// Working memory: `gru`, `lstm`, `slots` or `frame_stack` (none: a feed-forward policy).
    pub memory: Option<MemoryConfig>,
    /// What the critic of a policy with memory reads: the actor's memory (`shared`), a memory
    /// of its own of the same kind (`own`, SB3-contrib's `enable_critic_lstm`) or the encoded
    /// observation without memory (`none`).
    #[serde(skip_serializing_if = "CriticMemory::is_shared")]
    pub critic_memory: CriticMemory,
    /// How the mission is read when the observation gives it as word indices (a BabyAI
    /// level's `mission_words`): `gru` or `bow` ([`crate::nets::instruction`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<InstructionConfig>,
    /// BabyAI 1.1's FiLM image encoder conditioned on the instruction (`true`, or `{"channels":
    /// 64, "blocks": 2}`) instead of the MiniGrid CNN beside it ([`crate::nets::film`]).
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "deserialize_film")]
    pub film: Option<FilmConfig>,
}

/// A feed-forward policy (no memory).
pub const FEED_FORWARD: PolicySpec =
    PolicySpec { memory: None, critic_memory: CriticMemory::Shared, instruction: None, film: None };

/// What the critic of a policy with memory reads ([`PolicySpec::critic_memory`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CriticMemory {
    /// The actor's memory: one state, both heads on its output.
    #[default]
    Shared,
    /// A second memory of the same kind for the critic: the state holds both.
    Own,
    /// No memory: the critic reads the encoded observation.
    None,
}

impl CriticMemory {
    fn is_shared(&self) -> bool {
        *self == CriticMemory::Shared
    }
}

impl PolicySpec {
    /// Refuses a memory on a learner that cannot train one, naming both.
    pub fn refuse_memory(&self, algo: &str) -> Result<()> {
        match &self.memory {
            Some(memory) => Err(AgentError::Config {
                field: "policy.memory".into(),
                message: format!(
                    "{algo} cannot train a policy with memory ({}); policies with memory train with ppo and bc",
                    memory.kind()
                ),
            }),
            None => Ok(()),
        }
    }

    /// Refuses sizes that cannot work, naming the field.
    pub fn validate(&self) -> Result<()> {
        match &self.memory {
            Some(memory) => memory.validate()?,
            None if !self.critic_memory.is_shared() => {
                return Err(AgentError::Config {
                    field: "policy.critic_memory".into(),
                    message: "says how the critic reads a memory, but the policy has none: set policy.memory too"
                        .into(),
                })
            }
            None => {}
        }
        if let Some(instruction) = &self.instruction {
            instruction.validate()?;
        }
        match &self.film {
            Some(film) => film.validate(),
            None => Ok(()),
        }
    }

    /// The observation encoder for `space` with this spec's reading of the mission. A mission
    /// in words needs an `instruction`; an `instruction` needs a mission in words; `film` needs
    /// an `instruction`. Each refusal says what to set.
    pub fn encoder(&self, space: &Space) -> Result<EncoderSpec> {
        self.validate()?;
        let kind = EncoderKind::for_space(space)?;
        let config = |field: &str, message: String| Err(AgentError::Config { field: field.into(), message });
        match (&kind, &self.instruction) {
            (EncoderKind::MiniGridMission { .. }, None) => {
                return config(
                    "policy.instruction",
                    "the observation holds the mission as word indices (mission_words): set policy.instruction.kind (gru or bow) to read it".into(),
                )
            }
            (EncoderKind::MiniGridMission { .. }, Some(_)) => {}
            (_, Some(_)) => {
                return config(
                    "policy.instruction",
                    format!(
                        "reads the mission as word indices, but the observation ({}) has none; BabyAI levels give them with env_kwargs.mission_words=true",
                        space.describe()
                    ),
                )
            }
            (_, None) if self.film.is_some() => {
                return config("policy.film", "conditions the image on the instruction: set policy.instruction too".into())
            }
            _ => {}
        }
        Ok(EncoderSpec { kind, instruction: self.instruction.clone(), film: self.film.clone() })
    }
}

/// What a policy reads for one time step of a batch of rows.
#[derive(Clone, Debug)]
pub struct PolicyInput {
    /// `[B, D]` observation rows (normalized when the learner normalizes observations).
    pub obs: Tensor<2>,
    /// `[B, S]` the recurrent state from the previous step; `None` = the initial (zero) state.
    pub state: Option<Tensor<2>>,
    /// `[B, 1]`, 1.0 where a row begins an episode (a recurrent policy resets its state there).
    pub episode_starts: Option<Tensor<2>>,
    /// `[B, G]` goal or option vector of a hierarchical controller.
    pub goal: Option<Tensor<2>>,
    /// Compute the value heads (a learner that fits only the policy, as BC, skips them: a
    /// forward pass through parameters that get no gradient slows burn's autodiff).
    pub values: bool,
}

impl PolicyInput {
    /// Observations only (a feed-forward policy without goals), with values.
    pub fn obs(obs: Tensor<2>) -> Self {
        PolicyInput { obs, state: None, episode_starts: None, goal: None, values: true }
    }
}

/// Chunks of consecutive steps for training a recurrent policy: `C` chunks of `length` steps,
/// flattened chunk-major (row `c * length + t` is step `t` of chunk `c`).
#[derive(Clone, Debug)]
pub struct SequenceInput {
    /// `[C * L, D]`.
    pub obs: Tensor<2>,
    /// `L`.
    pub length: usize,
    /// `[C, S]` the state before each chunk's first step, as the rollout recorded it.
    pub state: Option<Tensor<2>>,
    /// `[C * L, 1]`, 1.0 where a step begins an episode (the state is reset before it).
    pub episode_starts: Option<Tensor<2>>,
    /// `[C * L, G]`.
    pub goal: Option<Tensor<2>>,
    /// `[C * L, 1]`, 1.0 where the state's gradient is cut before the step: the steps before
    /// it only refresh the state (R2D2's burn-in; the learner masks their outputs out of every
    /// loss).
    pub cut: Option<Tensor<2>>,
    pub values: bool,
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
    /// Logits `[B, sum(nvec)]` of independent categoricals, side by side.
    MultiCategorical { logits: Tensor<2>, nvec: Vec<usize> },
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
            DistParams::MultiCategorical { logits, nvec } => {
                // Independent components: log-probabilities and entropies add.
                let mut offset = 0;
                let mut parts = nvec.iter().map(|&n| {
                    let dist = Categorical::from_logits(logits.clone().narrow(1, offset, n));
                    let taken = actions.clone().narrow(1, offset, n);
                    offset += n;
                    (dist.log_prob_one_hot(taken), dist.entropy())
                });
                let first = parts.next().expect("a MultiDiscrete space has components");
                parts.fold(first, |(lp, h), (lp2, h2)| (lp + lp2, h + h2))
            }
        }
    }

    /// Logits or means, and the log-std of a Gaussian.
    pub fn into_parts(self) -> (Tensor<2>, Option<Tensor<2>>) {
        match self {
            DistParams::Categorical { logits } | DistParams::MultiCategorical { logits, .. } => (logits, None),
            DistParams::Gaussian { mean, log_std } => (mean, Some(log_std)),
        }
    }
}

/// What a policy returns.
#[derive(Clone, Debug)]
pub struct PolicyOutput {
    pub dist: DistParams,
    /// `[B, K]`: one value per reward stream (`None` when the input asked for none).
    pub values: Option<Tensor<2>>,
    /// The next recurrent state `[B, S]` (`None` for feed-forward policies; after a sequence,
    /// the state after each chunk's last step, `[C, S]`).
    pub state: Option<Tensor<2>>,
    /// Named auxiliary outputs `[B, *]` (a memory's gates, a world model's predictions).
    pub aux: Vec<(String, Tensor<2>)>,
}

impl PolicyOutput {
    /// The values, which the input asked for.
    pub fn values(&self) -> Tensor<2> {
        self.values.clone().expect("the policy input asked for no values")
    }
}

/// The contract: a burn module from [`PolicyInput`] to [`PolicyOutput`].
pub trait Policy: Module + 'static {
    /// One time step of a batch of rows.
    fn forward(&self, input: PolicyInput) -> PolicyOutput;

    /// Chunks of consecutive steps (see [`SequenceInput`]). A feed-forward policy evaluates
    /// every row at once, which is what this default does.
    fn forward_sequences(&self, input: SequenceInput) -> PolicyOutput {
        self.forward(PolicyInput {
            obs: input.obs,
            state: None,
            episode_starts: None,
            goal: input.goal,
            values: input.values,
        })
    }

    /// Numbers per row of the recurrent state (0: feed-forward).
    fn state_size(&self) -> usize {
        0
    }

    /// Number of value heads K.
    fn value_streams(&self) -> usize;

    /// Whether `forward` reads and returns a recurrent state.
    fn is_recurrent(&self) -> bool {
        self.state_size() > 0
    }

    /// The policy's own auxiliary losses, from the output of a training forward pass: each is
    /// added (already weighted) to the learner's loss and logged as `loss/<name>`.
    fn aux_losses(&self, _out: &PolicyOutput) -> Vec<(String, Tensor<1>)> {
        Vec::new()
    }

    /// The architecture in words (`feed-forward`, `gru 128`, ...): a checkpoint made with
    /// another one is refused with both names.
    fn describe(&self) -> String;

    /// Acts on host rows (call it on the `valid()` model): one upload of the observations (and
    /// state, starts, goal), one forward pass, one download of everything a caller needs.
    fn act_rows(&self, rows: &ActingRows, device: &Device) -> Result<ActingOutput> {
        let n = rows.starts.len();
        let upload =
            |values: &[f32], width: usize| Tensor::<2>::from_data(TensorData::new(values.to_vec(), [n, width]), device);
        let s = self.state_size();
        let recurrent = s > 0;
        let input = PolicyInput {
            obs: upload(rows.obs, rows.obs.len() / n.max(1)),
            state: recurrent.then(|| upload(rows.state, s)),
            episode_starts: recurrent
                .then(|| upload(&rows.starts.iter().map(|&b| b as u8 as f32).collect::<Vec<_>>(), 1)),
            goal: rows.goal.map(|g| upload(g, g.len() / n.max(1))),
            values: true,
        };
        let out = self.forward(input);
        let values = out.values.expect("acting asks for values");
        let (params, log_std) = out.dist.into_parts();
        let mut parts = vec![params, values];
        let mut widths = vec![parts[0].dims()[1], parts[1].dims()[1]];
        if let Some(state) = out.state {
            widths.push(state.dims()[1]);
            parts.push(state);
        }
        let mut trace_names = Vec::new();
        if rows.trace {
            for (name, tensor) in out.aux {
                widths.push(tensor.dims()[1]);
                trace_names.push(name);
                parts.push(tensor);
            }
        }
        let joined = nets::download(Tensor::cat(parts, 1))?;
        let log_std = log_std.map(nets::download).transpose()?.unwrap_or_default();
        Ok(ActingOutput::split(&joined, n, &widths, recurrent, trace_names, log_std))
    }
}

/// A policy network a learner can build for a run's spaces and policy spec.
pub trait BuildPolicy: Policy + Sized {
    fn build(
        spec: &crate::AlgorithmSpec,
        config: &PolicyConfig,
        rng: &mut limbic_environments::rng::Generator,
        device: &Device,
    ) -> Result<Self>;
}

impl BuildPolicy for ActorCritic {
    fn build(
        spec: &crate::AlgorithmSpec,
        config: &PolicyConfig,
        rng: &mut limbic_environments::rng::Generator,
        device: &Device,
    ) -> Result<Self> {
        let encoder = spec.policy.encoder(spec.observation_space)?;
        ActorCritic::new(config, encoder, &ActionKind::for_space(spec.action_space)?, rng, device)
    }
}

impl BuildPolicy for MemoryActorCritic {
    fn build(
        spec: &crate::AlgorithmSpec,
        config: &PolicyConfig,
        rng: &mut limbic_environments::rng::Generator,
        device: &Device,
    ) -> Result<Self> {
        let memory = spec.policy.memory.as_ref().ok_or_else(|| AgentError::Config {
            field: "policy.memory".into(),
            message: "a memory policy needs a memory (gru, lstm, slots or frame_stack)".into(),
        })?;
        let encoder = spec.policy.encoder(spec.observation_space)?;
        let action = ActionKind::for_space(spec.action_space)?;
        MemoryActorCritic::new(config, memory, spec.policy.critic_memory, encoder, &action, rng, device)
    }
}
