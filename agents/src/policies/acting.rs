//! Acting: a frozen policy ([`Acting`]) and the sessions that act with it ([`Actor`]).
//!
//! Whoever acts (training collection, evaluation, demo recording, DAgger, a viewer) opens its
//! own [`Actor`]. The session owns each row's recurrent state and its own random generator; it
//! resets a row's state where the caller says an episode starts. A learner only hands out
//! frozen copies of its policy ([`crate::Algorithm::policy`]) and never keeps anybody's hidden
//! state.

use super::{ActionKind, Policy};
use crate::buffers::normalize::ObsNormalizer;
use crate::distributions;
use crate::error::{AgentError, Result};
use limbic_environments::rng::Generator;
use limbic_environments::vector::{VecEnv, VecStep};
use limbic_environments::{Env, Value};
use serde::{Deserialize, Serialize};

/// What a policy acts on: host rows of one vector step.
#[derive(Clone, Copy)]
pub struct ActingRows<'a> {
    /// `[N, D]` observation rows.
    pub obs: &'a [f32],
    /// `[N, S]` each row's state (empty for feed-forward policies).
    pub state: &'a [f32],
    /// `[N]` the row begins an episode.
    pub starts: &'a [bool],
    /// `[N, G]` goal or option vectors.
    pub goal: Option<&'a [f32]>,
    /// Also return the policy's auxiliary outputs (memory gates, ...).
    pub trace: bool,
    /// The sub-env of each row, for policies that read more than the observation (scripted
    /// skills, goals that name gridworld cells); empty when the caller has only observations.
    pub envs: &'a [&'a dyn Env],
}

impl std::fmt::Debug for ActingRows<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActingRows")
            .field("obs", &self.obs)
            .field("state", &self.state)
            .field("starts", &self.starts)
            .field("goal", &self.goal)
            .field("trace", &self.trace)
            .field("envs", &self.envs.len())
            .finish()
    }
}

/// A batch's distribution parameters, values, next states and traces, downloaded together.
#[derive(Clone, Debug, Default)]
pub struct ActingOutput {
    rows: usize,
    params: Vec<f32>,
    param_dim: usize,
    values: Vec<f32>,
    value_streams: usize,
    state: Vec<f32>,
    state_size: usize,
    /// Named `[N, width]` traces.
    trace: Vec<(String, Vec<f32>, usize)>,
    /// The shared log-std of continuous actions.
    log_std: Vec<f32>,
}

impl ActingOutput {
    /// Splits the joined download `[N, P + K (+ S) (+ traces...)]` by `widths`.
    pub(crate) fn split(
        joined: &[f32],
        rows: usize,
        widths: &[usize],
        has_state: bool,
        trace_names: Vec<String>,
        log_std: Vec<f32>,
    ) -> ActingOutput {
        let total: usize = widths.iter().sum();
        let column = |part: usize| {
            let start: usize = widths[..part].iter().sum();
            let w = widths[part];
            let mut out = Vec::with_capacity(rows * w);
            for row in joined.chunks_exact(total.max(1)).take(rows) {
                out.extend_from_slice(&row[start..start + w]);
            }
            out
        };
        let first_trace = if has_state { 3 } else { 2 };
        ActingOutput {
            rows,
            params: column(0),
            param_dim: widths[0],
            values: column(1),
            value_streams: widths[1],
            state: if has_state { column(2) } else { Vec::new() },
            state_size: if has_state { widths[2] } else { 0 },
            trace: trace_names
                .into_iter()
                .enumerate()
                .map(|(i, name)| (name, column(first_trace + i), widths[first_trace + i]))
                .collect(),
            log_std,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Logits or means of row `i`.
    pub fn params(&self, i: usize) -> &[f32] {
        &self.params[i * self.param_dim..(i + 1) * self.param_dim]
    }

    /// Values of row `i`, one per reward stream.
    pub fn values(&self, i: usize) -> &[f32] {
        &self.values[i * self.value_streams..(i + 1) * self.value_streams]
    }

    /// The next state of row `i` (empty for feed-forward policies).
    pub fn state(&self, i: usize) -> &[f32] {
        &self.state[i * self.state_size..(i + 1) * self.state_size]
    }

    /// The shared log-std of continuous actions (empty for discrete ones).
    pub fn log_std(&self) -> &[f32] {
        &self.log_std
    }

    /// The names of the traces returned.
    pub fn trace_names(&self) -> impl Iterator<Item = &str> {
        self.trace.iter().map(|(name, _, _)| name.as_str())
    }

    /// Row `i` of the trace `name`.
    pub fn trace(&self, i: usize, name: &str) -> Option<&[f32]> {
        let (_, values, w) = self.trace.iter().find(|(n, _, _)| n == name)?;
        Some(&values[i * w..(i + 1) * w])
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
        for i in 0..self.rows {
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
                ActionKind::MultiDiscrete { nvec, .. } => {
                    let (mut offset, mut total) = (0, 0.0);
                    for (slot, &n) in out.iter_mut().zip(nvec) {
                        let logits = &params[offset..offset + n];
                        let (index, lp) = if deterministic {
                            distributions::categorical_mode(logits, &mut scratch)
                        } else {
                            distributions::sample_categorical(logits, rng, &mut scratch)
                        };
                        (*slot, total, offset) = (index as f32, total + lp, offset + n);
                    }
                    total
                }
            };
        }
    }
}

/// The actions of one vector step as the env receives them.
#[derive(Clone, Debug, PartialEq)]
pub enum EnvActions {
    /// `Discrete` env values (`start + index`).
    Discrete(Vec<i64>),
    /// `[N, dim]` float32 Box actions, within the Box.
    Continuous { values: Vec<f32>, dim: usize },
    /// Actions of any space, one `Value` per row.
    Values(Vec<Value>),
}

impl EnvActions {
    /// Steps `envs` with these actions.
    pub fn step<'e, E: Env>(&self, envs: &'e mut VecEnv<E>) -> limbic_environments::Result<VecStep<'e>> {
        match self {
            EnvActions::Discrete(actions) => envs.step_discrete(actions),
            EnvActions::Continuous { values, .. } => envs.step_continuous(values),
            EnvActions::Values(values) => envs.step(values),
        }
    }

    /// One `Value` per row.
    pub fn to_values(&self) -> Vec<Value> {
        match self {
            EnvActions::Discrete(actions) => actions.iter().map(|&a| Value::Int(a)).collect(),
            EnvActions::Continuous { values, dim } => {
                values.chunks_exact(*dim).map(|row| Value::F32(row.to_vec())).collect()
            }
            EnvActions::Values(values) => values.clone(),
        }
    }

    /// Replaces row `i` with `action` (an env action of the same kind).
    pub fn set(&mut self, i: usize, action: &Value) -> Result<()> {
        match (self, action) {
            (EnvActions::Discrete(actions), Value::Int(a)) => actions[i] = *a,
            (EnvActions::Continuous { values, dim }, Value::F32(a)) if a.len() == *dim => {
                values[i * *dim..(i + 1) * *dim].copy_from_slice(a)
            }
            (EnvActions::Values(values), action) => values[i] = action.clone(),
            (_, other) => return Err(AgentError::Unsupported(format!("action {other:?} does not fit the space"))),
        }
        Ok(())
    }
}

/// What an acting session chose for one vector step.
#[derive(Clone, Debug)]
pub struct Acted {
    /// `[N, A]` the actions as a learner stores them: the index of a discrete action, the
    /// unclipped sample of a continuous one.
    pub actions: Vec<f32>,
    /// What the env receives.
    pub env_actions: EnvActions,
    /// `[N]` log-probabilities of `actions` (0 where a learner has none).
    pub log_probs: Vec<f32>,
    /// `[N, K]` value estimates per reward stream (K = 0 where a learner has none).
    pub values: Vec<f32>,
    pub value_streams: usize,
    /// `[N, S]` the state the policy read (zero where a row started an episode).
    pub state_in: Vec<f32>,
    /// `[N, S]` the state after this step.
    pub state: Vec<f32>,
    /// `[N, G]` the goal or option vectors the policy acted with (empty without).
    pub goals: Vec<f32>,
    /// Named `[N, *]` traces (when the session asked for them; a hierarchical controller
    /// always reports its decisions here).
    pub trace: Vec<(String, Vec<f32>)>,
}

impl Acted {
    /// `n` rows of chosen actions (encoded and as the env takes them) with nothing else: no
    /// log-probabilities (0), values, recurrent state, goals or traces. Scripted sources,
    /// value-based and random actors act this way.
    pub fn chosen(actions: Vec<f32>, env_actions: EnvActions, n: usize) -> Acted {
        Acted {
            actions,
            env_actions,
            log_probs: vec![0.0; n],
            values: Vec::new(),
            value_streams: 0,
            state_in: Vec::new(),
            state: Vec::new(),
            goals: Vec::new(),
            trace: Vec::new(),
        }
    }

    pub fn values_row(&self, i: usize) -> &[f32] {
        &self.values[i * self.value_streams..(i + 1) * self.value_streams]
    }

    /// The trace `name` (`[N, width]` numbers), if the policy reported it.
    pub fn trace(&self, name: &str) -> Option<&[f32]> {
        self.trace.iter().find(|(n, _)| n == name).map(|(_, values)| values.as_slice())
    }
}

/// A frozen policy as acting sessions use it.
pub trait Acting: Send {
    /// Numbers per observation row.
    fn obs_dim(&self) -> usize;

    /// Numbers per row of the recurrent state (0: feed-forward).
    fn state_size(&self) -> usize {
        0
    }

    /// Chooses the actions of every row of `rows` (its `state` already reset where rows start),
    /// sampling with `rng` unless `deterministic`.
    fn act(&self, rows: ActingRows, deterministic: bool, rng: &mut Generator) -> Result<Acted>;
}

/// A policy network frozen for acting (`valid()`), with the observation normalization its
/// learner applies, if any.
pub struct PolicyActing<P: Policy> {
    pub model: P,
    pub kind: ActionKind,
    pub obs_norm: Option<ObsNormalizer>,
    pub obs_dim: usize,
    pub device: burn::prelude::Device,
}

impl<P: Policy> Acting for PolicyActing<P> {
    fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    fn state_size(&self) -> usize {
        self.model.state_size()
    }

    fn act(&self, rows: ActingRows, deterministic: bool, rng: &mut Generator) -> Result<Acted> {
        let n = rows.starts.len();
        let normalized;
        let obs = match &self.obs_norm {
            Some(norm) => {
                let mut out = rows.obs.to_vec();
                norm.normalize(rows.obs, &mut out);
                normalized = out;
                &normalized[..]
            }
            None => rows.obs,
        };
        let out = self.model.act_rows(&ActingRows { obs, ..rows }, &self.device)?;
        let a = self.kind.action_dim();
        let (mut actions, mut log_probs) = (vec![0.0f32; n * a], vec![0.0f32; n]);
        out.sample(&self.kind, deterministic, rng, &mut actions, &mut log_probs);
        let env_actions = match &self.kind {
            ActionKind::Discrete { start, .. } => {
                EnvActions::Discrete(actions.iter().map(|&x| x as i64 + start).collect())
            }
            ActionKind::Continuous { dim, low, high } => EnvActions::Continuous {
                values: actions.iter().enumerate().map(|(j, &x)| x.clamp(low[j % dim], high[j % dim])).collect(),
                dim: *dim,
            },
            ActionKind::MultiDiscrete { nvec, start } => EnvActions::Values(
                actions
                    .chunks_exact(nvec.len())
                    .map(|row| Value::I64(row.iter().zip(start).map(|(&x, &s)| x as i64 + s).collect()))
                    .collect(),
            ),
        };
        let trace = out.trace.iter().map(|(name, values, _)| (name.clone(), values.clone())).collect();
        Ok(Acted {
            actions,
            env_actions,
            log_probs,
            values: out.values,
            value_streams: out.value_streams,
            state_in: Vec::new(),
            state: out.state,
            goals: rows.goal.map(<[f32]>::to_vec).unwrap_or_default(),
            trace,
        })
    }
}

/// Uniform draws from an action space (any space): the random baseline's policy.
pub struct RandomActing {
    pub space: limbic_environments::Space,
    pub obs_dim: usize,
}

impl Acting for RandomActing {
    fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    fn act(&self, rows: ActingRows, _deterministic: bool, rng: &mut Generator) -> Result<Acted> {
        let n = rows.starts.len();
        let values: Vec<Value> = (0..n).map(|_| self.space.sample(rng)).collect();
        Ok(Acted::chosen(Vec::new(), EnvActions::Values(values), n))
    }
}

/// Checks that `obs` holds `rows` whole rows of `obs_dim` numbers.
pub fn check_rows(obs: &[f32], rows: usize, obs_dim: usize) -> Result<()> {
    if rows == 0 || obs.len() != rows * obs_dim {
        return Err(AgentError::Unsupported(format!(
            "acting needs [{rows}, {obs_dim}] observations, got {} numbers",
            obs.len()
        )));
    }
    Ok(())
}

/// An acting session's own state, for checkpoints (training collection resumes mid-episode).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionState {
    /// `[N, S]` each row's recurrent state.
    pub state: Vec<f32>,
    pub rng: crate::core::checkpoint::RngState,
}

/// An acting session: `rows` rows, each with its recurrent state, and a random generator.
pub struct Actor {
    policy: Box<dyn Acting>,
    rows: usize,
    state: Vec<f32>,
    rng: Generator,
    deterministic: bool,
    trace: bool,
}

impl Actor {
    /// A session of `rows` rows, every state zero, sampling from a generator seeded `seed`.
    pub fn new(policy: Box<dyn Acting>, rows: usize, seed: u64) -> Actor {
        let state = vec![0.0; rows * policy.state_size()];
        Actor { policy, rows, state, rng: Generator::from_seed(seed), deterministic: false, trace: false }
    }

    /// Takes each distribution's mode instead of sampling (`true`), as evaluation does.
    pub fn deterministic(mut self, deterministic: bool) -> Actor {
        self.deterministic = deterministic;
        self
    }

    /// Also returns the policy's traces (memory gates, ...) with every step.
    pub fn with_trace(mut self) -> Actor {
        self.trace = true;
        self
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Samples from a generator seeded `seed` from now on (a skill's session, reseeded with
    /// each episode's seed).
    pub fn reseed(&mut self, seed: u64) {
        self.rng = Generator::from_seed(seed);
    }

    /// Acts with `policy` from now on (a learner's new weights), keeping every row's state.
    pub fn set_policy(&mut self, policy: Box<dyn Acting>) -> Result<()> {
        if policy.state_size() != self.policy.state_size() {
            return Err(AgentError::Unsupported(format!(
                "the new policy's state has {} numbers per row, the session's {}",
                policy.state_size(),
                self.policy.state_size()
            )));
        }
        self.policy = policy;
        Ok(())
    }

    /// Chooses actions for `obs` (`[rows, D]`) and moves every row's state on; rows where
    /// `starts` is set begin an episode and start from the zero state.
    pub fn act(&mut self, obs: &[f32], starts: &[bool]) -> Result<Acted> {
        self.act_in(&[], obs, starts)
    }

    /// [`Actor::act`] with each row's sub-env at hand (`envs`, one per row), for policies that
    /// read the env's state (scripted skills, gridworld goals).
    pub fn act_in(&mut self, envs: &[&dyn Env], obs: &[f32], starts: &[bool]) -> Result<Acted> {
        self.reset_rows(obs, starts)?;
        let rows = ActingRows { obs, state: &self.state, starts, goal: None, trace: self.trace, envs };
        let mut acted = self.policy.act(rows, self.deterministic, &mut self.rng)?;
        if acted.state.len() != self.state.len() {
            return Err(AgentError::Unsupported(format!(
                "the policy returned {} state numbers for {} rows of {}",
                acted.state.len(),
                self.rows,
                self.policy.state_size()
            )));
        }
        acted.state_in = std::mem::replace(&mut self.state, acted.state.clone());
        Ok(acted)
    }

    /// What the policy makes of `obs` with the rows' current states (the most likely actions,
    /// the values), without moving the states on or drawing from the generator: the values a
    /// rollout bootstraps from.
    pub fn peek(&mut self, obs: &[f32], starts: &[bool]) -> Result<Acted> {
        self.peek_in(&[], obs, starts)
    }

    /// [`Actor::peek`] with each row's sub-env at hand.
    pub fn peek_in(&mut self, envs: &[&dyn Env], obs: &[f32], starts: &[bool]) -> Result<Acted> {
        self.reset_rows(obs, starts)?;
        let rows = ActingRows { obs, state: &self.state, starts, goal: None, trace: false, envs };
        let mut unused = Generator::from_seed(0);
        self.policy.act(rows, true, &mut unused)
    }

    /// [`Actor::act`]'s env actions, one `Value` per row.
    pub fn actions(&mut self, obs: &[f32], starts: &[bool]) -> Result<Vec<Value>> {
        Ok(self.act(obs, starts)?.env_actions.to_values())
    }

    /// Checks the rows and zeroes the state of those that start an episode.
    fn reset_rows(&mut self, obs: &[f32], starts: &[bool]) -> Result<()> {
        check_rows(obs, self.rows, self.policy.obs_dim())?;
        if starts.len() != self.rows {
            return Err(AgentError::Unsupported(format!("{} episode starts for {} rows", starts.len(), self.rows)));
        }
        let s = self.policy.state_size();
        if s > 0 {
            for (row, _) in self.state.chunks_exact_mut(s).zip(starts).filter(|(_, &start)| start) {
                row.fill(0.0);
            }
        }
        Ok(())
    }

    /// `[rows, S]` the rows' current states.
    pub fn state(&self) -> &[f32] {
        &self.state
    }

    pub fn save(&self) -> SessionState {
        SessionState { state: self.state.clone(), rng: crate::core::checkpoint::RngState::of(&self.rng) }
    }

    /// Restores what [`Actor::save`] wrote; `path` names the file for errors.
    pub fn restore(&mut self, saved: &SessionState, path: &std::path::Path) -> Result<()> {
        if saved.state.len() != self.state.len() {
            return Err(crate::core::checkpoint::checkpoint_error(
                path,
                format!("acting state of {} numbers, the session has {}", saved.state.len(), self.state.len()),
            ));
        }
        self.rng = saved.rng.restore(path)?;
        self.state.copy_from_slice(&saved.state);
        Ok(())
    }
}

/// A fresh session's actions for every row of `obs` (tests).
#[cfg(test)]
pub(crate) fn act_once(algo: &dyn crate::Algorithm, obs: &[f32], deterministic: bool) -> Vec<Value> {
    let policy = algo.policy().unwrap();
    let rows = obs.len() / policy.obs_dim();
    Actor::new(policy, rows, 5).deterministic(deterministic).actions(obs, &vec![false; rows]).unwrap()
}
