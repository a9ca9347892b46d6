//! Manager-worker with goals (the FeUdal / HIRO family): `limbic train --env ID --algo
//! manager-worker`.
//!
//! A **manager** chooses a goal ([`GoalSpace`]: a gridworld cell near the agent, or a target
//! for observation features) when a row's episode starts, when its goal is `period` steps old,
//! and (with `replan_on_reach`) when the worker reached it. The **worker** is a goal-conditioned
//! actor-critic: it sees the goal relative to where it stands (the policy contract's `goal`
//! input) and is trained by PPO on the reward signals of the run, among them `goal_reaching`
//! (the rewards crate), which reads each step's goal before and after the step from the
//! rollout; with `"stream": "own"` it gets its own value head and discount. The manager is a
//! second PPO learner on its own timescale: one transition per goal, rewarded with the env's
//! reward summed over the goal's steps (discounted by `manager_gamma` per env step), advantages
//! by GAE over its decisions. A rollout's last goal of each row is cut at the rollout's end and
//! bootstraps from the manager's value there; time limits end a goal as termination does (the
//! sparse gridworlds pay nothing at a time limit). HIRO's off-policy relabelling is not
//! implemented (both levels learn on-policy).
//!
//! Both levels act in one acting session ([`ManagerWorkerActing`]); each row's state is its
//! target and the steps left, so checkpoints keep it and evaluation, GIFs and traces see the
//! goal (`goal/target`, `goal/relative`, `goal/decided`). Checkpoints hold both learners.
//!
//! Parameters: PPO's for the worker (SB3's names), and `period` (c), `goal` (the goal space),
//! `replan_on_reach`, `manager_gamma`, `manager` (PPO parameters of the manager; `n_steps` is
//! the worker's). Metrics: `goals/decisions`, `goals/mean_length` (steps per goal),
//! `goals/reach_rate` (goals the worker reached), and the manager's losses as `manager/...`.

use super::goals::{GoalConfig, GoalSpace};
use crate::buffers::rollout::RolloutBuffer;
use crate::core::algorithm::{AlgorithmEntry, AlgorithmSpec};
use crate::core::checkpoint::{CheckpointReader, CheckpointWriter, RngState};
use crate::core::config::{invalid, join_params, parse_config, unit};
use crate::error::{AgentError, Result};
use crate::learners::ppo::{self, stream_count, Controller, Ppo, PpoConfig, PpoLearner};
use crate::nets::EncoderKind;
use crate::policies::{Acted, Acting, ActingRows, ActionKind, ActorCritic, PolicyActing, PolicyConfig};
use crate::runner::StepBatch;
use crate::shaping::RewardShaper;
use burn::prelude::*;
use limbic_environments::rng::Generator;
use limbic_environments::Env;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Manager-worker's own parameters (beside the worker's PPO ones).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ManagerWorkerConfig {
    /// Steps a goal lasts at most (c).
    pub period: usize,
    /// The goal space.
    pub goal: GoalConfig,
    /// The manager chooses again as soon as the worker reached its goal.
    pub replan_on_reach: bool,
    /// The manager's discount per env step.
    pub manager_gamma: f64,
    /// PPO parameters of the manager.
    pub manager: serde_json::Value,
}

impl Default for ManagerWorkerConfig {
    fn default() -> Self {
        ManagerWorkerConfig {
            period: 8,
            goal: GoalConfig::Cell { radius: 3, tolerance: 0.5 },
            replan_on_reach: true,
            manager_gamma: 0.99,
            manager: serde_json::json!({}),
        }
    }
}

const OWN_PARAMS: [(&str, &str); 5] = [
    ("period", "c: steps a goal lasts at most (at least 1)"),
    ("goal", "goal space: {\"kind\": \"cell\", \"radius\", \"tolerance\"} or {\"kind\": \"observation\", \"indices\", \"scale\", \"tolerance\"}"),
    ("replan_on_reach", "the manager chooses again once the worker reached the goal"),
    ("manager_gamma", "the manager's discount per env step"),
    ("manager", "PPO parameters of the manager (its n_steps is the worker's)"),
];

/// Manager-worker's parameters and PPO's, as `limbic algorithms` lists them.
pub const PARAMS: [(&str, &str); OWN_PARAMS.len() + ppo::ENTRY.params.len()] =
    join_params(&OWN_PARAMS, ppo::ENTRY.params);

/// The registry's entry.
pub const ENTRY: AlgorithmEntry = AlgorithmEntry {
    name: "manager-worker",
    summary: "a manager choosing goals every `period` steps for a goal-conditioned worker \
              (rewarded by the goal_reaching signal), both trained with PPO",
    params: &PARAMS,
    defaults: || {
        let mut defaults = crate::core::algorithm::defaults_json(&ManagerWorkerConfig::default());
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

/// Manager-worker's parameters, the worker's PPO ones and the manager's, from one JSON object.
pub fn parse(params: &serde_json::Value) -> Result<(ManagerWorkerConfig, PpoConfig, PpoConfig)> {
    let (own, worker) = super::split_params(ENTRY.name, params, &OWN_PARAMS)?;
    let config: ManagerWorkerConfig = parse_config(ENTRY.name, &own)?;
    if config.period == 0 {
        return Err(invalid("period", "must be at least 1 (the manager chooses every `period` steps)"));
    }
    unit("manager_gamma", config.manager_gamma)?;
    let manager = match &config.manager {
        serde_json::Value::Object(_) | serde_json::Value::Null => {
            PpoConfig::from_json(&config.manager).map_err(|e| match e {
                AgentError::Config { field, message } => {
                    AgentError::Config { field: format!("manager.{field}"), message }
                }
                other => other,
            })?
        }
        other => return Err(invalid("manager", format!("PPO parameters as a JSON object, got {other}"))),
    };
    Ok((config, worker, manager))
}

/// A manager-worker agent for `spec`: PPO over a goal-conditioned worker, with the manager
/// controller.
pub fn build(spec: &AlgorithmSpec, shaper: Option<Box<dyn RewardShaper>>) -> Result<Ppo<ActorCritic>> {
    let (own, params, manager_params) = parse(spec.params)?;
    let Some(shaper) = shaper else {
        return Err(invalid(
            "rewards",
            "manager-worker's worker learns from the goal_reaching reward signal: add it \
             (--reward goal_reaching, or rewards: [{\"name\": \"goal_reaching\", \"stream\": \"own\"}])",
        ));
    };
    let encoder = EncoderKind::for_space(spec.observation_space)?;
    let obs_dim = encoder.obs_dim();
    let space = GoalSpace::new(&own.goal, obs_dim)?;
    if !space.is_cell() && (params.normalize_obs || manager_params.normalize_obs) {
        return Err(invalid(
            "goal",
            "observation goals are targets for the rows as the env returns them: set normalize_obs false",
        ));
    }
    let mut worker_config = params;
    worker_config.value_streams = stream_count(&worker_config, Some(shaper.as_ref()))?;
    let mut rng = Generator::from_seed(spec.seed);
    let device = Device::flex().autodiff();
    let worker_policy = PolicyConfig { goal_dim: space.dim(), ..worker_config.policy() };
    let action = ActionKind::for_space(spec.action_space)?;
    let worker = ActorCritic::new(&worker_policy, encoder, &action, &mut rng, &device)?;
    let manager_kind = space.manager_actions();
    let manager_model = ActorCritic::new(&manager_params.policy(), encoder, &manager_kind, &mut rng, &device)?;
    let manager = PpoLearner::new(manager_params.clone(), manager_model, manager_kind.clone(), vec![1.0], device);
    let buffer = RolloutBuffer::new(worker_config.n_steps, spec.num_envs, obs_dim, manager_kind.action_dim(), 1);
    let controller = ManagerController {
        config: own,
        space,
        manager,
        kind: manager_kind,
        buffer,
        segments: vec![Segment::default(); spec.num_envs * worker_config.n_steps],
        open: vec![None; spec.num_envs],
        rng: Generator::from_seed(spec.seed.wrapping_add(2)),
        updates: 0,
        total_steps: spec.total_steps,
        env_steps: 0,
    };
    Ppo::with_parts(spec, worker_config, worker, rng, Some(Box::new(controller)), Some(shaper))
}

/// What a manager decision's goal became over its steps.
#[derive(Clone, Copy, Debug, Default)]
struct Segment {
    /// `manager_gamma` to the power of the goal's steps.
    discount: f64,
    steps: u64,
    reached: bool,
}

/// The manager: its learner, its decisions of the rollout being collected (one slot per
/// decision, at the step it was made), and where each row's current goal began.
struct ManagerController {
    config: ManagerWorkerConfig,
    space: GoalSpace,
    manager: PpoLearner<ActorCritic>,
    kind: ActionKind,
    buffer: RolloutBuffer,
    /// `[T, N]` per decision slot.
    segments: Vec<Segment>,
    /// Each row's open decision slot.
    open: Vec<Option<usize>>,
    rng: Generator,
    updates: u64,
    total_steps: u64,
    env_steps: u64,
}

/// Trace names.
const TARGET: &str = "goal/target";
const RELATIVE: &str = "goal/relative";
const DECIDED: &str = "goal/decided";
const MANAGER_ACTION: &str = "manager/action";
const MANAGER_LOG_PROB: &str = "manager/log_prob";
const MANAGER_VALUE: &str = "manager/value";

fn trace<'a>(acted: &'a Acted, name: &str) -> Result<&'a [f32]> {
    acted
        .trace(name)
        .ok_or_else(|| AgentError::Unsupported(format!("manager-worker: the acting policy reported no {name}")))
}

impl ManagerController {
    /// Starts the decisions of a new rollout.
    fn clear(&mut self) {
        let b = &mut self.buffer;
        for flags in [&mut b.valid, &mut b.terminated, &mut b.truncated] {
            flags.fill(false);
        }
        b.rewards.fill(0.0);
        self.segments.fill(Segment::default());
        self.open.fill(None);
    }

    /// The manager's GAE over each row's decisions, its rollout cut at the end where
    /// `last_values` (the manager's values there) bootstrap.
    fn advantages(&mut self, last_values: &[f32]) {
        let (n, lambda) = (self.buffer.n_envs, self.manager.config.gae_lambda);
        let b = &mut self.buffer;
        b.advantages.fill(0.0);
        b.returns.fill(0.0);
        for (env, &last) in last_values.iter().enumerate().take(n) {
            let (mut next_value, mut next_advantage) = (last as f64, 0.0f64);
            for t in (0..b.n_steps).rev() {
                let slot = t * n + env;
                if !b.valid[slot] {
                    continue;
                }
                let done = b.terminated[slot] || b.truncated[slot];
                let discount = self.segments[slot].discount;
                let bootstrap = if done { 0.0 } else { discount * next_value };
                let carry = if done { 0.0 } else { discount * lambda * next_advantage };
                let value = b.values[slot] as f64;
                let advantage = b.rewards[slot] as f64 + bootstrap - value + carry;
                b.advantages[slot] = advantage as f32;
                b.returns[slot] = (advantage + value) as f32;
                (next_value, next_advantage) = (value, advantage);
            }
        }
    }
}

impl Controller<ActorCritic> for ManagerController {
    fn name(&self) -> &'static str {
        ENTRY.name
    }

    fn goal_dim(&self) -> usize {
        self.space.dim()
    }

    fn check_envs(&self, envs: &[&dyn Env]) -> Result<()> {
        if self.space.is_cell() && envs.iter().any(|env| env.grid_world().is_none()) {
            return Err(invalid(
                "goal",
                "kind `cell` needs a gridworld (MiniGrid or BabyAI) and its state; use {\"kind\": \"observation\"} \
                 for other environments",
            ));
        }
        Ok(())
    }

    fn acting(&self, worker: PolicyActing<ActorCritic>) -> Box<dyn Acting> {
        let manager = PolicyActing {
            model: self.manager.model.valid(),
            kind: self.kind.clone(),
            obs_norm: worker.obs_norm.clone(),
            obs_dim: worker.obs_dim,
            device: worker.device.clone(),
        };
        Box::new(ManagerWorkerActing {
            worker,
            manager,
            space: self.space.clone(),
            period: self.config.period,
            replan_on_reach: self.config.replan_on_reach,
        })
    }

    fn observe(&mut self, t: usize, batch: &StepBatch, envs: &[&dyn Env], rollout: &mut RolloutBuffer) -> Result<()> {
        if t == 0 {
            self.clear();
        }
        let (n, g, d) = (batch.rows(), self.space.dim(), self.buffer.obs_dim);
        let a = self.kind.action_dim();
        let (target, decided) = (trace(&batch.acted, TARGET)?, trace(&batch.acted, DECIDED)?);
        let (action, log_prob, value) = (
            trace(&batch.acted, MANAGER_ACTION)?,
            trace(&batch.acted, MANAGER_LOG_PROB)?,
            trace(&batch.acted, MANAGER_VALUE)?,
        );
        for i in 0..n {
            let slot = t * n + i;
            let target = &target[i * g..(i + 1) * g];
            let pose = self.space.locate(envs.get(i).copied(), &batch.next_obs[i * d..(i + 1) * d])?;
            let after = self.space.relative(target, &pose);
            if let Some(raw) = rollout.raw.as_mut() {
                raw.next_goals[slot * g..(slot + 1) * g].copy_from_slice(&after);
            }
            if !batch.is_transition(i) {
                continue;
            }
            let b = &mut self.buffer;
            if decided[i] > 0.5 {
                b.obs[slot * d..(slot + 1) * d].copy_from_slice(&batch.obs[i * d..(i + 1) * d]);
                b.actions[slot * a..(slot + 1) * a].copy_from_slice(&action[i * a..(i + 1) * a]);
                (b.log_probs[slot], b.values[slot], b.valid[slot]) = (log_prob[i], value[i], true);
                self.segments[slot] = Segment { discount: 1.0, steps: 0, reached: false };
                self.open[i] = Some(slot);
            }
            let Some(open) = self.open[i] else { continue };
            let segment = &mut self.segments[open];
            b.rewards[open] += (segment.discount * batch.rewards[i]) as f32;
            segment.discount *= self.config.manager_gamma;
            segment.steps += 1;
            segment.reached |= self.space.reached(&after);
            if batch.done(i) {
                (b.terminated[open], b.truncated[open]) = (batch.terminated[i], batch.truncated[i]);
                self.open[i] = None;
            }
        }
        Ok(())
    }

    fn learn(&mut self, last: &Acted, env_steps: u64) -> Result<BTreeMap<String, f64>> {
        self.env_steps = env_steps;
        self.advantages(trace(last, MANAGER_VALUE)?);
        let c = &self.manager.config;
        let remaining = (1.0 - env_steps as f64 / self.total_steps.max(1) as f64).max(0.0);
        let learning_rate = c.learning_rate * if c.anneal_lr { remaining } else { 1.0 };
        let clip_range = c.clip_range * if c.anneal_clip { remaining } else { 1.0 };
        let update = self.updates + 1;
        let mut metrics = BTreeMap::new();
        if learning_rate > 0.0 && self.buffer.valid.iter().any(|&v| v) {
            let learned = self.manager.learn(&self.buffer, &mut self.rng, learning_rate, clip_range, update)?;
            metrics.extend(learned.into_iter().map(|(k, v)| (format!("manager/{k}"), v)));
        }
        crate::core::optim::check_parameters(&self.manager.model, update)?;
        self.updates = update;
        Ok(metrics)
    }

    fn metrics(&self, _: &RolloutBuffer) -> BTreeMap<String, f64> {
        let decided: Vec<&Segment> =
            self.segments.iter().zip(&self.buffer.valid).filter(|(_, &v)| v).map(|(s, _)| s).collect();
        let count = decided.len().max(1) as f64;
        let mut metrics = BTreeMap::new();
        metrics.insert("goals/decisions".into(), decided.len() as f64);
        metrics.insert("goals/mean_length".into(), decided.iter().map(|s| s.steps as f64).sum::<f64>() / count);
        metrics.insert("goals/reach_rate".into(), decided.iter().filter(|s| s.reached).count() as f64 / count);
        metrics
    }

    fn save(&self, dir: &Path) -> Result<()> {
        let mut writer = CheckpointWriter::new(dir)?;
        writer.module("manager_model.bpk", &self.manager.model)?;
        writer.optimizer("manager_optimizer.bpk", &self.manager.optimizer)?;
        let state = ManagerState {
            config: self.manager.config.clone(),
            own: self.config.clone(),
            updates: self.updates,
            env_steps: self.env_steps,
            rng: RngState::of(&self.rng),
        };
        writer.finish(MANAGER_FORMAT, &state)
    }

    fn load(&mut self, dir: &Path) -> Result<()> {
        let (reader, state) = CheckpointReader::open::<ManagerState>(dir, MANAGER_FORMAT)?;
        let path = reader.path(crate::core::checkpoint::STATE_FILE);
        crate::core::checkpoint::check_same_config(&path, &state.config, &self.manager.config)?;
        crate::core::checkpoint::check_same_config(&path, &state.own, &self.config)?;
        let model = reader.module("manager_model.bpk", self.manager.model.clone())?;
        let fresh = burn::optim::AdamConfig::new().with_epsilon(self.manager.config.adam_epsilon as f32).init();
        let optimizer = reader.optimizer("manager_optimizer.bpk", fresh)?;
        let rng = state.rng.restore(&path)?;
        (self.manager.model, self.manager.optimizer, self.rng) = (model, optimizer, rng);
        (self.updates, self.env_steps) = (state.updates, state.env_steps);
        Ok(())
    }
}

/// Tag of the manager's state file.
const MANAGER_FORMAT: &str = "limbic-manager-1";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManagerState {
    config: PpoConfig,
    own: ManagerWorkerConfig,
    updates: u64,
    env_steps: u64,
    rng: RngState,
}

/// Both levels acting together; see the [module docs](self). A row's state is its target
/// (`G` numbers) and the steps its goal has left.
pub struct ManagerWorkerActing {
    pub worker: PolicyActing<ActorCritic>,
    pub manager: PolicyActing<ActorCritic>,
    pub space: GoalSpace,
    pub period: usize,
    pub replan_on_reach: bool,
}

impl Acting for ManagerWorkerActing {
    fn obs_dim(&self) -> usize {
        self.worker.obs_dim
    }

    fn state_size(&self) -> usize {
        self.space.dim() + 1
    }

    fn act(&self, rows: ActingRows, deterministic: bool, rng: &mut Generator) -> Result<Acted> {
        let (n, g, d) = (rows.starts.len(), self.space.dim(), self.worker.obs_dim);
        let s = g + 1;
        let plain = ActingRows { goal: None, trace: false, ..rows };
        let manager = self.manager.act(plain, deterministic, rng)?;
        let a = self.manager.kind.action_dim();
        let (mut state, mut target, mut relative) = (vec![0.0f32; n * s], vec![0.0f32; n * g], vec![0.0f32; n * g]);
        let mut decided = vec![0.0f32; n];
        for i in 0..n {
            let pose = self.space.locate(rows.envs.get(i).copied(), &rows.obs[i * d..(i + 1) * d])?;
            let before = rows.state.get(i * s..(i + 1) * s).unwrap_or(&[]);
            let (mut goal, mut left) = match before.split_last() {
                Some((&left, goal)) if !rows.starts[i] => (goal.to_vec(), left),
                _ => (vec![0.0; g], 0.0),
            };
            let reached = left > 0.0 && self.replan_on_reach && self.space.reached(&self.space.relative(&goal, &pose));
            if left <= 0.0 || reached {
                goal = self.space.target(&pose, &manager.actions[i * a..(i + 1) * a]);
                left = self.period as f32;
                decided[i] = 1.0;
            }
            target[i * g..(i + 1) * g].copy_from_slice(&goal);
            relative[i * g..(i + 1) * g].copy_from_slice(&self.space.relative(&goal, &pose));
            state[i * s..(i + 1) * s - 1].copy_from_slice(&goal);
            state[(i + 1) * s - 1] = left - 1.0;
        }
        let mut acted = self.worker.act(ActingRows { goal: Some(&relative), ..rows }, deterministic, rng)?;
        acted.state = state;
        acted.trace.extend([
            (TARGET.to_string(), target),
            (RELATIVE.to_string(), relative),
            (DECIDED.to_string(), decided),
            (MANAGER_ACTION.to_string(), manager.actions),
            (MANAGER_LOG_PROB.to_string(), manager.log_probs),
            (MANAGER_VALUE.to_string(), manager.values),
        ]);
        Ok(acted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(extra: serde_json::Value) -> serde_json::Value {
        let mut p = serde_json::json!({"n_steps": 16, "batch_size": 32, "n_epochs": 1, "net_arch": [16]});
        p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        p
    }

    /// Acting with observation goals on 2-number rows, `period` 3, reached within `tolerance`.
    fn acting(tolerance: f64) -> ManagerWorkerActing {
        let device = Device::flex();
        let mut rng = Generator::from_seed(1);
        let encoder = EncoderKind::Flat { dim: 2 };
        let config = PolicyConfig { net_arch: vec![4], ..PolicyConfig::default() };
        let worker_kind = ActionKind::Discrete { n: 3, start: 0 };
        let space = GoalSpace::new(&GoalConfig::Observation { indices: None, scale: 1.0, tolerance }, 2).unwrap();
        let manager_kind = space.manager_actions();
        let worker_config = PolicyConfig { goal_dim: 2, ..config.clone() };
        let worker = ActorCritic::new(&worker_config, encoder, &worker_kind, &mut rng, &device).unwrap();
        let manager = ActorCritic::new(&config, encoder, &manager_kind, &mut rng, &device).unwrap();
        let policy = |model, kind| PolicyActing { model, kind, obs_norm: None, obs_dim: 2, device: device.clone() };
        ManagerWorkerActing {
            worker: policy(worker, worker_kind),
            manager: policy(manager, manager_kind),
            space,
            period: 3,
            replan_on_reach: true,
        }
    }

    /// Steps one row through `starts` (the obs fixed), returning the `goal/decided` trace and
    /// the worker's goal rows.
    fn run(acting: &ManagerWorkerActing, starts: &[bool]) -> (Vec<f32>, Vec<Vec<f32>>) {
        let (mut rng, mut state, obs) = (Generator::from_seed(2), vec![0.0f32; 3], [0.5f32, -0.5]);
        let (mut decided, mut goals) = (Vec::new(), Vec::new());
        for &start in starts {
            let rows = ActingRows { obs: &obs, state: &state, starts: &[start], goal: None, trace: false, envs: &[] };
            let acted = acting.act(rows, false, &mut rng).unwrap();
            decided.push(acted.trace(DECIDED).unwrap()[0]);
            goals.push(acted.goals.clone());
            assert_eq!(acted.trace(TARGET).unwrap(), &state_target(&acted.state)[..]);
            state = acted.state;
        }
        (decided, goals)
    }

    fn state_target(state: &[f32]) -> Vec<f32> {
        state[..2].to_vec()
    }

    #[test]
    fn the_manager_chooses_at_starts_and_every_period_steps() {
        // Nothing reached (tolerance 0 and offsets that are never exactly 0).
        let (decided, goals) = run(&acting(0.0), &[true, false, false, false, false, true, false]);
        assert_eq!(decided, [1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
        // The worker sees target - features, the same for a goal's steps (the obs stays put).
        assert_eq!(goals[0], goals[1]);
        assert_eq!(goals[0], goals[2]);
        assert!(goals[0].iter().all(|g| g.abs() <= 1.0 + 1e-6), "within scale: {:?}", goals[0]);
    }

    #[test]
    fn a_reached_goal_is_replaced_at_once() {
        // Every target within [-1, 1] of the obs is reached at tolerance 2: a new goal each step.
        let (decided, _) = run(&acting(2.0), &[true, false, false, false]);
        assert_eq!(decided, [1.0; 4]);
    }

    #[test]
    fn bad_parameters_name_their_field() {
        let err = |extra| parse(&params(extra)).unwrap_err().to_string();
        assert!(err(serde_json::json!({"period": 0})).contains("period"));
        assert!(err(serde_json::json!({"manager_gamma": 1.5})).contains("manager_gamma"));
        assert!(err(serde_json::json!({"manager": {"learning_rate": -1.0}})).contains("manager.learning_rate"));
        let (own, worker, manager) =
            parse(&params(serde_json::json!({"period": 4, "manager": {"n_epochs": 2}}))).unwrap();
        assert_eq!((own.period, worker.n_steps, manager.n_epochs), (4, 16, 2));
    }
}
