//! Learning from demonstrations: the in-memory [`Demonstrations`] every imitation learner
//! reads, and the learners themselves:
//! - [`bc`]: behavioural cloning (discrete and continuous actions), an [`crate::Algorithm`];
//! - [`dagger`]: DAgger (Ross et al. 2011) on top of BC, with an interactive [`Expert`];
//! - [`sqil`]: SQIL (Reddy et al. 2019) on DQN, an [`crate::Algorithm`] the runner trains.
//!
//! Datasets on disk (Minari's layout) are read elsewhere and arrive here as [`Episode`]s:
//! observations `T + 1` (the reset observation first), actions, rewards, terminations and
//! truncations `T`, which [`Demonstrations::from_episodes`] validates and flattens into
//! transitions.

pub mod bc;
pub mod dagger;
pub mod sqil;

pub use bc::{Bc, BcConfig, ContinuousLoss, EpochMetrics};
pub use dagger::{BetaSchedule, Dagger, DaggerConfig, Expert, RoundMetrics};
pub use sqil::Sqil;

use crate::error::{AgentError, Result};
use crate::policies::ActionKind;
use limbic_environments::rng::Generator;
use limbic_environments::Value;
use std::ops::Range;

/// The actions of one episode, as the env received them.
#[derive(Clone, Debug, PartialEq)]
pub enum EpisodeActions {
    /// `Discrete` actions as env values (`start + index`).
    Discrete(Vec<i64>),
    /// `Box` actions, `[T, dim]` row-major.
    Continuous(Vec<f32>),
}

/// One recorded episode in Minari's layout (flat observation rows).
#[derive(Clone, Debug, PartialEq)]
pub struct Episode {
    /// `[T + 1, D]`: the reset observation, then the observation after each step (the last one
    /// is the true final observation).
    pub observations: Vec<f32>,
    pub actions: EpisodeActions,
    /// `[T]`
    pub rewards: Vec<f64>,
    /// `[T]`: only the last step may be terminated or truncated.
    pub terminations: Vec<bool>,
    pub truncations: Vec<bool>,
}

/// Demonstrated transitions in flat rows, grouped into episodes.
///
/// Actions are stored as the learners use them: a discrete action as its index from 0
/// (`env action - start`, one number), a continuous one as its `dim` numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Demonstrations {
    obs_dim: usize,
    action: ActionKind,
    /// `[M, D]`
    obs: Vec<f32>,
    /// `[M, A]`, `A = action.action_dim()`.
    actions: Vec<f32>,
    /// `[M]`
    rewards: Vec<f32>,
    /// `[M, D]`
    next_obs: Vec<f32>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    /// Episode `e` is transitions `bounds[e]..bounds[e + 1]`; starts with 0.
    bounds: Vec<usize>,
}

fn data_error(message: String) -> AgentError {
    AgentError::Config { field: "demonstrations".into(), message }
}

impl Demonstrations {
    /// No transitions yet, for observation rows of `obs_dim` numbers and `action`'s actions.
    pub fn empty(obs_dim: usize, action: ActionKind) -> Result<Self> {
        if obs_dim == 0 {
            return Err(data_error("observation rows of 0 numbers".into()));
        }
        if let ActionKind::MultiDiscrete { nvec, .. } = &action {
            return Err(data_error(format!(
                "MultiDiscrete({nvec:?}) actions: demonstrations hold Discrete and Box actions"
            )));
        }
        Ok(Demonstrations {
            obs_dim,
            action,
            obs: Vec::new(),
            actions: Vec::new(),
            rewards: Vec::new(),
            next_obs: Vec::new(),
            terminated: Vec::new(),
            truncated: Vec::new(),
            bounds: vec![0],
        })
    }

    /// Validates every episode (shapes, finite numbers, actions inside the action space, no
    /// episode end before the last step) and flattens them into transitions. An error names
    /// the episode, the step and what is wrong.
    pub fn from_episodes(obs_dim: usize, action: ActionKind, episodes: &[Episode]) -> Result<Self> {
        let mut demos = Demonstrations::empty(obs_dim, action)?;
        for (e, episode) in episodes.iter().enumerate() {
            demos.push_episode(episode).map_err(|message| data_error(format!("episode {e}: {message}")))?;
        }
        Ok(demos)
    }

    fn push_episode(&mut self, episode: &Episode) -> std::result::Result<(), String> {
        let d = self.obs_dim;
        let t = episode.rewards.len();
        if t == 0 {
            return Err("no steps".into());
        }
        if episode.observations.len() != (t + 1) * d {
            return Err(format!(
                "{} observation numbers, expected (steps + 1) x {d} = {} for {t} steps",
                episode.observations.len(),
                (t + 1) * d
            ));
        }
        for (name, len) in [("terminations", episode.terminations.len()), ("truncations", episode.truncations.len())] {
            if len != t {
                return Err(format!("{len} {name} for {t} rewards"));
            }
        }
        if let Some(i) = episode.observations.iter().position(|x| !x.is_finite()) {
            return Err(format!("observation {} holds {}", i / d, episode.observations[i]));
        }
        if let Some(i) = episode.rewards.iter().position(|r| !r.is_finite()) {
            return Err(format!("reward of step {i} is {}", episode.rewards[i]));
        }
        if let Some(i) = (0..t - 1).find(|&i| episode.terminations[i] || episode.truncations[i]) {
            return Err(format!("step {i} ends the episode before its last step {}", t - 1));
        }
        let actions = self.encode_actions(&episode.actions, t)?;
        for i in 0..t {
            self.obs.extend_from_slice(&episode.observations[i * d..(i + 1) * d]);
            self.next_obs.extend_from_slice(&episode.observations[(i + 1) * d..(i + 2) * d]);
        }
        self.actions.extend_from_slice(&actions);
        self.rewards.extend(episode.rewards.iter().map(|&r| r as f32));
        self.terminated.extend_from_slice(&episode.terminations);
        self.truncated.extend_from_slice(&episode.truncations);
        self.bounds.push(self.rewards.len());
        Ok(())
    }

    /// `t` actions in the stored encoding, each checked against the action space.
    fn encode_actions(&self, actions: &EpisodeActions, t: usize) -> std::result::Result<Vec<f32>, String> {
        match (actions, &self.action) {
            (EpisodeActions::Discrete(values), ActionKind::Discrete { .. }) => {
                if values.len() != t {
                    return Err(format!("{} actions for {t} steps", values.len()));
                }
                values
                    .iter()
                    .enumerate()
                    .map(|(i, &a)| self.encode_discrete(a).map_err(|m| format!("step {i}: {m}")))
                    .collect()
            }
            (EpisodeActions::Continuous(values), ActionKind::Continuous { dim, .. }) => {
                if values.len() != t * dim {
                    return Err(format!("{} action numbers, expected {t} steps x {dim}", values.len()));
                }
                for (i, row) in values.chunks_exact(*dim).enumerate() {
                    self.check_continuous(row).map_err(|m| format!("step {i}: {m}"))?;
                }
                Ok(values.clone())
            }
            (EpisodeActions::Discrete(_), ActionKind::Continuous { dim, .. }) => {
                Err(format!("discrete actions, but the action space is a Box of {dim} numbers"))
            }
            (EpisodeActions::Continuous(_), ActionKind::Discrete { n, .. }) => {
                Err(format!("continuous actions, but the action space is Discrete({n})"))
            }
            (_, ActionKind::MultiDiscrete { nvec, .. }) => Err(format!("the action space is MultiDiscrete({nvec:?})")),
        }
    }

    fn encode_discrete(&self, action: i64) -> std::result::Result<f32, String> {
        match self.action {
            ActionKind::Discrete { n, start } if (start..start + n as i64).contains(&action) => {
                Ok((action - start) as f32)
            }
            ActionKind::Discrete { n, start } => Err(format!(
                "action {action} is outside Discrete({n}, start={start}): valid {start}..={}",
                start + n as i64 - 1
            )),
            ActionKind::Continuous { .. } => Err("a discrete action for a Box action space".into()),
            ActionKind::MultiDiscrete { .. } => Err("a Discrete action for a MultiDiscrete action space".into()),
        }
    }

    fn check_continuous(&self, row: &[f32]) -> std::result::Result<(), String> {
        let ActionKind::Continuous { low, high, .. } = &self.action else {
            return Err("a continuous action for a Discrete action space".into());
        };
        for (j, &x) in row.iter().enumerate() {
            if !(low[j]..=high[j]).contains(&x) {
                return Err(format!("action element {j} is {x}, outside the Box [{}, {}]", low[j], high[j]));
            }
        }
        Ok(())
    }

    /// An env action (`Value::Int` or `Value::F32`) in the stored encoding, checked.
    pub fn encode_action(&self, action: &Value) -> Result<Vec<f32>> {
        let encoded = match (action, &self.action) {
            (Value::Int(a), ActionKind::Discrete { .. }) => self.encode_discrete(*a).map(|a| vec![a]),
            (Value::F32(row), ActionKind::Continuous { dim, .. }) if row.len() == *dim => {
                self.check_continuous(row).map(|()| row.clone())
            }
            (other, kind) => Err(format!("action {other} does not fit {kind:?}")),
        };
        encoded.map_err(data_error)
    }

    /// Appends one transition to the last episode (a new episode when `new_episode`), checked
    /// like an episode's. `action` is an env action. DAgger aggregates its data this way.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        new_episode: bool,
        obs: &[f32],
        action: &Value,
        reward: f64,
        next_obs: &[f32],
        terminated: bool,
        truncated: bool,
    ) -> Result<()> {
        let d = self.obs_dim;
        if obs.len() != d || next_obs.len() != d {
            return Err(data_error(format!(
                "observation rows of {} and {} numbers, expected {d}",
                obs.len(),
                next_obs.len()
            )));
        }
        if obs.iter().chain(next_obs).any(|x| !x.is_finite()) || !reward.is_finite() {
            return Err(data_error("a NaN or infinite observation or reward".into()));
        }
        let action = self.encode_action(action)?;
        self.obs.extend_from_slice(obs);
        self.next_obs.extend_from_slice(next_obs);
        self.actions.extend_from_slice(&action);
        self.rewards.push(reward as f32);
        self.terminated.push(terminated);
        self.truncated.push(truncated);
        // `bounds` always ends at the current length.
        if new_episode || self.num_episodes() == 0 {
            self.bounds.push(self.len());
        } else if let Some(end) = self.bounds.last_mut() {
            *end = self.rewards.len();
        }
        Ok(())
    }

    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    pub fn action_kind(&self) -> &ActionKind {
        &self.action
    }

    /// Number of transitions M.
    pub fn len(&self) -> usize {
        self.rewards.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rewards.is_empty()
    }

    pub fn num_episodes(&self) -> usize {
        self.bounds.len() - 1
    }

    /// The transitions of episode `e`.
    pub fn episode(&self, e: usize) -> Range<usize> {
        self.bounds[e]..self.bounds[e + 1]
    }

    /// `[M, D]` observation rows.
    pub fn observations(&self) -> &[f32] {
        &self.obs
    }

    /// `[M, D]` next-observation rows.
    pub fn next_observations(&self) -> &[f32] {
        &self.next_obs
    }

    /// `[M, A]` actions (discrete: the index from 0).
    pub fn actions(&self) -> &[f32] {
        &self.actions
    }

    pub fn rewards(&self) -> &[f32] {
        &self.rewards
    }

    pub fn terminated(&self) -> &[bool] {
        &self.terminated
    }

    pub fn truncated(&self) -> &[bool] {
        &self.truncated
    }

    pub fn obs_row(&self, i: usize) -> &[f32] {
        &self.obs[i * self.obs_dim..(i + 1) * self.obs_dim]
    }

    pub fn next_obs_row(&self, i: usize) -> &[f32] {
        &self.next_obs[i * self.obs_dim..(i + 1) * self.obs_dim]
    }

    pub fn action_row(&self, i: usize) -> &[f32] {
        let a = self.action.action_dim();
        &self.actions[i * a..(i + 1) * a]
    }

    /// The undiscounted return of every episode.
    pub fn episode_returns(&self) -> Vec<f64> {
        (0..self.num_episodes()).map(|e| self.rewards[self.episode(e)].iter().map(|&r| r as f64).sum()).collect()
    }

    /// The episodes `indices` name, in that order.
    pub fn select(&self, indices: &[usize]) -> Result<Self> {
        let mut out = Demonstrations::empty(self.obs_dim, self.action.clone())?;
        let (d, a) = (self.obs_dim, self.action.action_dim());
        for &e in indices {
            if e >= self.num_episodes() {
                return Err(data_error(format!("episode {e} requested, there are {}", self.num_episodes())));
            }
            let r = self.episode(e);
            out.obs.extend_from_slice(&self.obs[r.start * d..r.end * d]);
            out.next_obs.extend_from_slice(&self.next_obs[r.start * d..r.end * d]);
            out.actions.extend_from_slice(&self.actions[r.start * a..r.end * a]);
            out.rewards.extend_from_slice(&self.rewards[r.clone()]);
            out.terminated.extend_from_slice(&self.terminated[r.clone()]);
            out.truncated.extend_from_slice(&self.truncated[r]);
            out.bounds.push(out.rewards.len());
        }
        Ok(out)
    }

    /// The first `k` episodes (`--n-demos K`); an error when there are fewer.
    pub fn first(&self, k: usize) -> Result<Self> {
        if k == 0 || k > self.num_episodes() {
            return Err(data_error(format!("{k} episodes requested, the demonstrations hold {}", self.num_episodes())));
        }
        self.select(&(0..k).collect::<Vec<_>>())
    }

    /// Splits by whole episodes into (train, validation): the episodes are shuffled with a
    /// generator seeded by `seed` and `round(fraction * episodes)` of them (at least one when
    /// `fraction > 0`) validate. With a single episode, or `fraction == 0`, the validation set
    /// is empty: transitions of one episode are not independent of each other.
    pub fn split(&self, fraction: f64, seed: u64) -> Result<(Self, Self)> {
        if !(0.0..1.0).contains(&fraction) {
            return Err(AgentError::Config {
                field: "validation_fraction".into(),
                message: format!("{fraction} is not in [0, 1)"),
            });
        }
        let episodes = self.num_episodes();
        let mut order: Vec<usize> = (0..episodes).collect();
        Generator::from_seed(seed).shuffle(&mut order);
        let n_val = if fraction == 0.0 || episodes < 2 {
            0
        } else {
            ((fraction * episodes as f64).round() as usize).clamp(1, episodes - 1)
        };
        let (val, train) = order.split_at(n_val);
        let (mut train, mut val) = (train.to_vec(), val.to_vec());
        train.sort_unstable();
        val.sort_unstable();
        Ok((self.select(&train)?, self.select(&val)?))
    }

    /// Appends all of `other`'s episodes (same observation and action layout).
    pub fn extend(&mut self, other: &Demonstrations) -> Result<()> {
        if other.obs_dim != self.obs_dim || other.action != self.action {
            return Err(data_error("demonstrations of another observation or action layout".into()));
        }
        let offset = self.len();
        self.obs.extend_from_slice(&other.obs);
        self.next_obs.extend_from_slice(&other.next_obs);
        self.actions.extend_from_slice(&other.actions);
        self.rewards.extend_from_slice(&other.rewards);
        self.terminated.extend_from_slice(&other.terminated);
        self.truncated.extend_from_slice(&other.truncated);
        self.bounds.extend(other.bounds[1..].iter().map(|b| b + offset));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cartpole_kind() -> ActionKind {
        ActionKind::Discrete { n: 2, start: 0 }
    }

    /// An episode of `t` steps on 2-number rows, observation i = [e, i].
    fn episode(e: usize, t: usize) -> Episode {
        Episode {
            observations: (0..=t).flat_map(|i| [e as f32, i as f32]).collect(),
            actions: EpisodeActions::Discrete((0..t).map(|i| (i % 2) as i64).collect()),
            rewards: vec![1.0; t],
            terminations: (0..t).map(|i| i + 1 == t).collect(),
            truncations: vec![false; t],
        }
    }

    #[test]
    fn episodes_flatten_into_transitions() {
        let demos = Demonstrations::from_episodes(2, cartpole_kind(), &[episode(0, 3), episode(1, 2)]).unwrap();
        assert_eq!((demos.len(), demos.num_episodes()), (5, 2));
        assert_eq!(demos.episode(1), 3..5);
        assert_eq!(demos.obs_row(3), [1.0, 0.0]);
        assert_eq!(demos.next_obs_row(3), [1.0, 1.0]);
        assert_eq!(demos.next_obs_row(2), [0.0, 3.0], "the final observation of episode 0");
        assert_eq!(demos.actions(), [0.0, 1.0, 0.0, 0.0, 1.0]);
        assert_eq!(demos.terminated(), [false, false, true, false, true]);
        assert_eq!(demos.episode_returns(), [3.0, 2.0]);
        let first = demos.first(1).unwrap();
        assert_eq!(first.len(), 3);
        assert!(demos.first(3).unwrap_err().to_string().contains("3 episodes requested"));
        // Discrete actions with an offset are stored from 0.
        let kind = ActionKind::Discrete { n: 3, start: -1 };
        let mut ep = episode(0, 2);
        ep.actions = EpisodeActions::Discrete(vec![-1, 1]);
        assert_eq!(Demonstrations::from_episodes(2, kind, &[ep]).unwrap().actions(), [0.0, 2.0]);
    }

    #[test]
    fn invalid_episodes_are_errors_naming_episode_and_problem() {
        let check = |mut change: Box<dyn FnMut(&mut Episode)>, expected: &[&str]| {
            let mut bad = episode(1, 3);
            change(&mut bad);
            let error =
                Demonstrations::from_episodes(2, cartpole_kind(), &[episode(0, 2), bad]).unwrap_err().to_string();
            for part in expected {
                assert!(error.contains(part), "{error} lacks {part}");
            }
            assert!(error.contains("episode 1"), "{error}");
        };
        check(Box::new(|e| e.observations.truncate(6)), &["6 observation numbers", "= 8"]);
        check(Box::new(|e| e.observations[3] = f32::NAN), &["observation 1", "NaN"]);
        check(Box::new(|e| e.rewards[2] = f64::INFINITY), &["reward of step 2", "inf"]);
        check(Box::new(|e| e.actions = EpisodeActions::Discrete(vec![0, 2, 1])), &["step 1", "action 2", "Discrete(2"]);
        check(Box::new(|e| e.actions = EpisodeActions::Discrete(vec![0])), &["1 actions for 3 steps"]);
        check(Box::new(|e| e.actions = EpisodeActions::Continuous(vec![0.0; 3])), &["continuous actions"]);
        check(Box::new(|e| e.truncations[0] = true), &["step 0 ends the episode"]);
        check(Box::new(|e| e.terminations.pop().map(|_| ()).unwrap_or(())), &["2 terminations for 3 rewards"]);
        check(Box::new(|e| *e = Episode { rewards: vec![], ..e.clone() }), &["no steps"]);
        // Continuous actions outside the Box.
        let kind = ActionKind::Continuous { dim: 1, low: vec![-1.0], high: vec![1.0] };
        let ep = Episode { actions: EpisodeActions::Continuous(vec![0.5, 1.5, 0.0]), ..episode(0, 3) };
        let error = Demonstrations::from_episodes(2, kind, &[ep]).unwrap_err().to_string();
        assert!(error.contains("step 1") && error.contains("1.5") && error.contains("[-1, 1]"), "{error}");
    }

    #[test]
    fn split_is_seeded_by_whole_episodes() {
        let episodes: Vec<Episode> = (0..10).map(|e| episode(e, 2 + e % 3)).collect();
        let demos = Demonstrations::from_episodes(2, cartpole_kind(), &episodes).unwrap();
        let (train, val) = demos.split(0.2, 7).unwrap();
        assert_eq!((train.num_episodes(), val.num_episodes()), (8, 2));
        assert_eq!(train.len() + val.len(), demos.len());
        assert_eq!(demos.split(0.2, 7).unwrap(), (train.clone(), val.clone()), "same seed, same split");
        let ids =
            |d: &Demonstrations| (0..d.num_episodes()).map(|e| d.obs_row(d.episode(e).start)[0]).collect::<Vec<_>>();
        let mut all = [ids(&train), ids(&val)].concat();
        all.sort_by(f32::total_cmp);
        assert_eq!(all, (0..10).map(|e| e as f32).collect::<Vec<_>>(), "every episode once, whole");
        let other_seeds: Vec<_> = (0..5).map(|s| ids(&demos.split(0.2, s).unwrap().1)).collect();
        assert!(other_seeds.iter().any(|v| *v != ids(&val)), "the seed decides the split");
        // One episode: nothing to validate on.
        let (train, val) = demos.first(1).unwrap().split(0.2, 0).unwrap();
        assert_eq!((train.num_episodes(), val.num_episodes()), (1, 0));
        assert!(demos.split(1.0, 0).is_err());
    }

    #[test]
    fn push_and_extend_aggregate_episodes() {
        let mut demos = Demonstrations::empty(2, cartpole_kind()).unwrap();
        demos.push(true, &[0.0, 0.0], &Value::Int(1), 1.0, &[0.0, 1.0], false, false).unwrap();
        demos.push(false, &[0.0, 1.0], &Value::Int(0), 1.0, &[0.0, 2.0], true, false).unwrap();
        demos.push(true, &[5.0, 0.0], &Value::Int(0), 1.0, &[5.0, 1.0], false, true).unwrap();
        assert_eq!((demos.num_episodes(), demos.episode(0), demos.episode(1)), (2, 0..2, 2..3));
        assert!(demos.push(false, &[0.0, 0.0], &Value::Int(2), 0.0, &[0.0, 0.0], false, false).is_err());
        assert!(demos.push(false, &[0.0], &Value::Int(0), 0.0, &[0.0, 0.0], false, false).is_err());
        let mut more = Demonstrations::from_episodes(2, cartpole_kind(), &[episode(9, 2)]).unwrap();
        more.extend(&demos).unwrap();
        assert_eq!((more.num_episodes(), more.len(), more.episode(2)), (3, 5, 4..5));
    }
}

/// Scripted experts and in-memory recording for the learners' tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use limbic_environments::{Env, Kwargs};

    /// CartPole's scripted expert: push towards where the pole falls.
    pub fn cartpole_expert(obs: &[f32]) -> Value {
        let [x, x_dot, theta, theta_dot] = [obs[0], obs[1], obs[2], obs[3]];
        Value::Int((theta + 0.5 * theta_dot + 0.01 * x + 0.1 * x_dot > 0.0) as i64)
    }

    /// MountainCarContinuous's scripted expert: push along the velocity (left from rest on
    /// the left slope).
    pub fn mountain_car_expert(obs: &[f32]) -> Value {
        let (position, velocity) = (obs[0], obs[1]);
        let right = velocity > 0.0 || (velocity == 0.0 && position < -0.5);
        Value::F32(vec![if right { 1.0 } else { -1.0 }])
    }

    /// `n` episodes of `policy` on `id`, reset seeds `seed..seed + n`.
    pub fn record(id: &str, n: usize, seed: u64, policy: fn(&[f32]) -> Value) -> (Demonstrations, Vec<Episode>) {
        let mut env = limbic_environments::make(id, &Kwargs::new()).unwrap();
        let d = env.flat_space().flat_dim().unwrap();
        let kind = ActionKind::for_space(env.action_space()).unwrap();
        let mut episodes = Vec::new();
        for s in 0..n as u64 {
            let mut obs = vec![0.0; d];
            env.reset_into(Some(seed + s), &mut obs).unwrap();
            let mut episode = Episode {
                observations: obs.clone(),
                actions: match kind {
                    ActionKind::Discrete { .. } => EpisodeActions::Discrete(Vec::new()),
                    _ => EpisodeActions::Continuous(Vec::new()),
                },
                rewards: Vec::new(),
                terminations: Vec::new(),
                truncations: Vec::new(),
            };
            loop {
                let action = policy(&obs);
                match (&mut episode.actions, &action) {
                    (EpisodeActions::Discrete(a), Value::Int(i)) => a.push(*i),
                    (EpisodeActions::Continuous(a), Value::F32(v)) => a.extend_from_slice(v),
                    _ => unreachable!("the expert's action fits the space"),
                }
                let step = env.step_into(&action, &mut obs).unwrap();
                episode.observations.extend_from_slice(&obs);
                episode.rewards.push(step.reward);
                episode.terminations.push(step.terminated);
                episode.truncations.push(step.truncated);
                if step.done() {
                    break;
                }
            }
            episodes.push(episode);
        }
        (Demonstrations::from_episodes(d, kind, &episodes).unwrap(), episodes)
    }

    /// The mean return of `algo` acting deterministically for `n` episodes (seeds from `seed`).
    pub fn mean_return(algo: &dyn crate::Algorithm, id: &str, n: usize, seed: u64) -> f64 {
        crate::runner::mean_return(algo.policy().unwrap(), id, n, seed).unwrap()
    }
}
