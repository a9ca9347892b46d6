//! Option-critic (Bacon, Harb & Precup 2017): K options, each an intra-option policy and a
//! termination function, and a policy over options, learned end to end, with the deliberation
//! cost of Harb et al. (2018) and an entropy bonus on the policy over options against option
//! collapse. `limbic train --env ID --algo option-critic`.
//!
//! The network is [`OptionCriticNet`] (its module docs give the losses); PPO trains it
//! ([`Ppo`] with an options [`Controller`]), so the intra-option policies take PPO's clipped
//! steps (as in PPOC, Klissarov et al. 2017) and the critic learns the option values from
//! lambda-returns. Acting is call-and-return ([`OptionActing`]): at every step the option in
//! force may terminate (drawn from its `beta`); where it does, or an episode starts, the policy
//! over options chooses again; the chosen option's policy then acts. The option in force is
//! each row's state in the acting session, so checkpoints keep it and evaluation, GIFs and
//! traces see it (`option`: the one-hot option; `options/beta`: every termination
//! probability; `options/switched`).
//!
//! Parameters: PPO's (SB3's names), and `options` (K), `option_policy` (`learned`: a softmax
//! head trained with a clipped surrogate on the critic's advantage; `epsilon_greedy`: the
//! paper's choice over the option values), `option_epsilon`, `deliberation_cost` (eta),
//! `termination_coef` and `option_ent_coef`.
//!
//! Metrics per update: `options/mean_length` (steps per choice of the policy over options),
//! `options/termination_rate` (terminations per step of a running option), and
//! `options/usage/<k>` (share of steps under option k).

use super::option_network::{OptionCriticNet, OptionLosses, OverOptions};
use crate::buffers::rollout::RolloutBuffer;
use crate::core::algorithm::{AlgorithmEntry, AlgorithmSpec};
use crate::core::config::{invalid, join_params, parse_config, unit};
use crate::distributions::{categorical_mode, log_softmax_row, sample_categorical};
use crate::error::{AgentError, Result};
use crate::learners::ppo::{self, stream_count, Controller, Ppo, PpoConfig};
use crate::nets::{self, EncoderKind};
use crate::policies::{Acted, Acting, ActingRows, ActionKind, EnvActions, PolicyActing};
use crate::shaping::RewardShaper;
use burn::prelude::*;
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How the policy over options chooses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionPolicy {
    /// A softmax head trained with a clipped surrogate (PPOC).
    #[default]
    Learned,
    /// Epsilon-greedy over the option values (the paper's).
    EpsilonGreedy,
}

/// Option-critic's own parameters (beside PPO's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptionCriticConfig {
    /// Number of options K.
    pub options: usize,
    pub option_policy: OptionPolicy,
    /// Epsilon of an epsilon-greedy policy over options.
    pub option_epsilon: f64,
    /// Deliberation cost eta (Harb et al. 2018): added to the termination advantage.
    pub deliberation_cost: f64,
    /// Weight of the termination loss.
    pub termination_coef: f64,
    /// Entropy bonus of a learned policy over options.
    pub option_ent_coef: f64,
}

impl Default for OptionCriticConfig {
    fn default() -> Self {
        OptionCriticConfig {
            options: 4,
            option_policy: OptionPolicy::Learned,
            option_epsilon: 0.01,
            deliberation_cost: 0.0,
            termination_coef: 1.0,
            option_ent_coef: 0.01,
        }
    }
}

const OWN_PARAMS: [(&str, &str); 6] = [
    ("options", "number of options K (at least 1)"),
    ("option_policy", "policy over options: learned (softmax, clipped surrogate) or epsilon_greedy (over Q)"),
    ("option_epsilon", "epsilon of the epsilon_greedy policy over options"),
    ("deliberation_cost", "eta: cost of switching options, added to the termination advantage"),
    ("termination_coef", "weight of the termination loss"),
    ("option_ent_coef", "entropy bonus of the learned policy over options"),
];

/// Option-critic's parameters and PPO's, as `limbic algorithms` lists them.
pub const PARAMS: [(&str, &str); OWN_PARAMS.len() + ppo::ENTRY.params.len()] =
    join_params(&OWN_PARAMS, ppo::ENTRY.params);

/// The registry's entry.
pub const ENTRY: AlgorithmEntry = AlgorithmEntry {
    name: "option-critic",
    summary: "option-critic (Bacon et al. 2017): K learned options trained end to end with PPO, \
              deliberation cost, entropy on the policy over options",
    params: &PARAMS,
    defaults: || {
        let mut defaults = crate::core::algorithm::defaults_json(&OptionCriticConfig::default());
        let ppo = (ppo::ENTRY.defaults)();
        if let (Some(own), Some(ppo)) = (defaults.as_object_mut(), ppo.as_object()) {
            own.extend(ppo.clone());
        }
        defaults
    },
    needs_demonstrations: false,
    memory: false,
    build: |spec, shaper| Ok(Box::new(build(spec, shaper)?)),
};

/// Option-critic's parameters and PPO's, from one JSON object.
pub fn parse(params: &serde_json::Value) -> Result<(OptionCriticConfig, PpoConfig)> {
    let (own, ppo) = super::split_params(ENTRY.name, params, &OWN_PARAMS)?;
    let config: OptionCriticConfig = parse_config(ENTRY.name, &own)?;
    if config.options == 0 {
        return Err(invalid("options", "must be at least 1"));
    }
    unit("option_epsilon", config.option_epsilon)?;
    for (field, value) in [
        ("deliberation_cost", config.deliberation_cost),
        ("termination_coef", config.termination_coef),
        ("option_ent_coef", config.option_ent_coef),
    ] {
        if !(value.is_finite() && value >= 0.0) {
            return Err(invalid(field, format!("{value} must be a number >= 0")));
        }
    }
    Ok((config, ppo))
}

/// An option-critic agent for `spec`: PPO over an [`OptionCriticNet`] with the options
/// controller.
pub fn build(spec: &AlgorithmSpec, shaper: Option<Box<dyn RewardShaper>>) -> Result<Ppo<OptionCriticNet>> {
    let (own, mut config) = parse(spec.params)?;
    config.value_streams = stream_count(&config, shaper.as_deref())?;
    let stream_coefs = match shaper.as_ref() {
        Some(shaper) => shaper.streams().iter().map(|s| s.advantage_coef).collect(),
        None => vec![1.0; config.value_streams],
    };
    let losses = OptionLosses {
        over_options: match own.option_policy {
            OptionPolicy::Learned => OverOptions::Learned,
            OptionPolicy::EpsilonGreedy => OverOptions::EpsilonGreedy(own.option_epsilon),
        },
        deliberation_cost: own.deliberation_cost,
        termination_coef: own.termination_coef,
        option_ent_coef: own.option_ent_coef,
        clip_range: config.clip_range,
        stream_coefs,
    };
    let kind = ActionKind::for_space(spec.action_space)?;
    let encoder = EncoderKind::for_space(spec.observation_space)?;
    let mut rng = Generator::from_seed(spec.seed);
    let device = Device::flex().autodiff();
    let net = OptionCriticNet::new(&config.policy(), own.options, &losses, encoder, &kind, &mut rng, &device)?;
    let controller = OptionController { options: own.options };
    Ppo::with_parts(spec, config, net, rng, Some(Box::new(controller)), shaper)
}

/// The options controller: call-and-return acting, the option context in the rollout, the
/// arrival values the rollout's end bootstraps from, the option metrics.
struct OptionController {
    options: usize,
}

impl Controller<OptionCriticNet> for OptionController {
    fn name(&self) -> &'static str {
        ENTRY.name
    }

    fn goal_dim(&self) -> usize {
        2 * self.options + 2
    }

    fn acting(&self, policy: PolicyActing<OptionCriticNet>) -> Box<dyn Acting> {
        Box::new(OptionActing { policy })
    }

    fn bootstrap(&self, last: &Acted, values: &mut [f32]) -> Result<()> {
        match last.trace(ARRIVAL_VALUES) {
            Some(arrival) if arrival.len() == values.len() => {
                values.copy_from_slice(arrival);
                Ok(())
            }
            _ => Err(AgentError::Unsupported(format!("option-critic: the acting policy reported no {ARRIVAL_VALUES}"))),
        }
    }

    fn metrics(&self, buffer: &RolloutBuffer) -> BTreeMap<String, f64> {
        let (k, g) = (self.options, buffer.goal_dim);
        let (mut steps, mut decisions, mut running, mut terminations) = (0u64, 0u64, 0u64, 0u64);
        let mut usage = vec![0u64; k];
        for slot in buffer.valid_slots() {
            let context = &buffer.goals[slot * g..(slot + 1) * g];
            let had_previous = context[k..2 * k].iter().any(|&x| x > 0.5);
            let decided = context[2 * k] > 0.5;
            steps += 1;
            decisions += decided as u64;
            running += had_previous as u64;
            terminations += (had_previous && decided) as u64;
            if let Some(option) = context[..k].iter().position(|&x| x > 0.5) {
                usage[option] += 1;
            }
        }
        let ratio = |a: u64, b: u64| a as f64 / b.max(1) as f64;
        let mut metrics = BTreeMap::new();
        metrics.insert("options/mean_length".into(), ratio(steps, decisions));
        metrics.insert("options/termination_rate".into(), ratio(terminations, running));
        for (option, &count) in usage.iter().enumerate() {
            metrics.insert(format!("options/usage/{option}"), ratio(count, steps));
        }
        metrics
    }
}

/// The trace with each row's arrival values `U(s, o_prev)` per stream.
const ARRIVAL_VALUES: &str = "options/arrival_values";

/// Call-and-return acting with an [`OptionCriticNet`]; see the [module docs](self). Each row's
/// state is its option in force plus one (0: none yet).
pub struct OptionActing {
    pub policy: PolicyActing<OptionCriticNet>,
}

/// One row's termination probabilities, policy-over-options logits and combined option values.
struct RowHeads<'a> {
    beta: &'a [f32],
    over: &'a [f32],
    combined: &'a [f32],
}

/// What one row did.
struct RowChoice {
    option: usize,
    previous: Option<usize>,
    decided: bool,
    /// Log-probability of the choice of `option` (0 where none was made).
    option_log_prob: f32,
}

impl OptionActing {
    fn net(&self) -> &OptionCriticNet {
        &self.policy.model
    }

    /// The probability of each option at a row: `p(o | s)` of the policy over options.
    fn option_probs(&self, over: &[f32], values: &[f32], out: &mut Vec<f64>) {
        let net = self.net();
        out.resize(net.options, 0.0);
        if net.epsilon < 0.0 {
            log_softmax_row(over, out);
            out.iter_mut().for_each(|p| *p = p.exp());
        } else {
            let best = argmax(values);
            let k = net.options as f64;
            out.iter_mut()
                .enumerate()
                .for_each(|(o, p)| *p = net.epsilon / k + (o == best) as u8 as f64 * (1.0 - net.epsilon));
        }
    }

    /// The options' values at a row, the streams weighted together.
    fn combined(&self, values: &[f32]) -> Vec<f32> {
        let net = self.net();
        values
            .chunks_exact(net.streams)
            .map(|q| q.iter().zip(&net.stream_coefs).map(|(&q, &c)| q * c as f32).sum())
            .collect()
    }

    /// Terminates or keeps the previous option, and chooses a new one where needed.
    fn choose(
        &self,
        previous: Option<usize>,
        row: RowHeads,
        deterministic: bool,
        rng: &mut Generator,
        scratch: &mut Vec<f64>,
    ) -> RowChoice {
        let RowHeads { beta, over, combined } = row;
        let net = self.net();
        let terminate = match previous {
            None => true,
            Some(o) if deterministic => beta[o] > 0.5,
            Some(o) => rng.random() < beta[o] as f64,
        };
        if !terminate {
            let option = previous.unwrap_or(0);
            return RowChoice { option, previous, decided: false, option_log_prob: 0.0 };
        }
        let (option, option_log_prob) = if net.epsilon < 0.0 {
            match deterministic {
                true => categorical_mode(over, scratch),
                false => sample_categorical(over, rng, scratch),
            }
        } else {
            let greedy = deterministic || rng.random() >= net.epsilon;
            let option = if greedy { argmax(combined) } else { rng.integers(0, net.options as i64) as usize };
            let mut probs = Vec::new();
            self.option_probs(over, combined, &mut probs);
            (option, probs[option].ln() as f32)
        };
        RowChoice { option, previous, decided: true, option_log_prob }
    }
}

fn argmax(values: &[f32]) -> usize {
    (0..values.len()).fold(0, |best, i| if values[i] > values[best] { i } else { best })
}

impl Acting for OptionActing {
    fn obs_dim(&self) -> usize {
        self.policy.obs_dim
    }

    fn state_size(&self) -> usize {
        1
    }

    fn act(&self, rows: ActingRows, deterministic: bool, rng: &mut Generator) -> Result<Acted> {
        let net = self.net();
        let (n, k, a, s) = (rows.starts.len(), net.options, net.actions, net.streams);
        let ActionKind::Discrete { start, .. } = self.policy.kind else {
            return Err(AgentError::Unsupported("option-critic acts on Discrete actions".into()));
        };
        let mut obs = rows.obs.to_vec();
        if let Some(norm) = &self.policy.obs_norm {
            norm.normalize(rows.obs, &mut obs);
        }
        let d = obs.len() / n.max(1);
        let heads = net.heads(Tensor::from_data(TensorData::new(obs, [n, d]), &self.policy.device));
        let joined = nets::download(Tensor::cat(vec![heads.logits, heads.beta, heads.over, heads.values], 1))?;
        let width = k * a + 2 * k + k * s;
        let context_dim = net.context_dim();
        let mut out = Acted {
            actions: vec![0.0; n],
            env_actions: EnvActions::Discrete(vec![0; n]),
            log_probs: vec![0.0; n],
            values: vec![0.0; n * s],
            value_streams: s,
            state_in: Vec::new(),
            state: vec![0.0; n],
            goals: vec![0.0; n * context_dim],
            trace: Vec::new(),
        };
        let (mut one_hot, mut betas, mut switched, mut arrival) =
            (vec![0.0; n * k], vec![0.0; n * k], vec![0.0; n], vec![0.0; n * s]);
        let (mut scratch, mut probs) = (Vec::new(), Vec::new());
        for (i, row) in joined.chunks_exact(width).enumerate().take(n) {
            let (logits, rest) = row.split_at(k * a);
            let (beta, rest) = rest.split_at(k);
            let (over, values) = rest.split_at(k);
            let combined = self.combined(values);
            let previous = match rows.state.get(i) {
                Some(&x) if x >= 1.0 && !rows.starts[i] => Some(x as usize - 1),
                _ => None,
            };
            let heads = RowHeads { beta, over, combined: &combined };
            let choice = self.choose(previous, heads, deterministic, rng, &mut scratch);
            let o = choice.option;
            let logits = &logits[o * a..(o + 1) * a];
            let (action, log_prob) = match deterministic {
                true => categorical_mode(logits, &mut scratch),
                false => sample_categorical(logits, rng, &mut scratch),
            };
            out.actions[i] = action as f32;
            if let EnvActions::Discrete(env) = &mut out.env_actions {
                env[i] = action as i64 + start;
            }
            out.log_probs[i] = log_prob;
            out.values[i * s..(i + 1) * s].copy_from_slice(&values[o * s..(o + 1) * s]);
            out.state[i] = (o + 1) as f32;
            let context = &mut out.goals[i * context_dim..(i + 1) * context_dim];
            context[o] = 1.0;
            if let Some(p) = choice.previous {
                context[k + p] = 1.0;
            }
            context[2 * k] = choice.decided as u8 as f32;
            context[2 * k + 1] = choice.option_log_prob;
            one_hot[i * k + o] = 1.0;
            betas[i * k..(i + 1) * k].copy_from_slice(beta);
            switched[i] = choice.decided as u8 as f32;
            // U(s, o_prev) = (1 - beta) Q(s, o_prev) + beta V(s), per stream.
            self.option_probs(over, &combined, &mut probs);
            for stream in 0..s {
                let v: f64 = (0..k).map(|o| probs[o] * values[o * s + stream] as f64).sum();
                arrival[i * s + stream] = match choice.previous {
                    Some(p) => ((1.0 - beta[p] as f64) * values[p * s + stream] as f64 + beta[p] as f64 * v) as f32,
                    None => v as f32,
                };
            }
        }
        out.trace = vec![
            ("option".into(), one_hot),
            ("options/beta".into(), betas),
            ("options/switched".into(), switched),
            (ARRIVAL_VALUES.into(), arrival),
        ];
        Ok(out)
    }
}
