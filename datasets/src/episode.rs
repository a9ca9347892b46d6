//! One episode in memory, and its flat f32 form for learners.

use crate::error::{DatasetError, Result};
use limbic_environments::{Space, Value};
use serde_json::{Map, Value as Json};

/// One episode as Minari stores it: `observations` has one more row than the steps (the reset
/// observation first; `next_obs = observations[1..]`), the other fields one row per step.
#[derive(Clone, Debug, PartialEq)]
pub struct Episode {
    /// The episode's index in the dataset (its folder name).
    pub id: u64,
    /// The seed `reset` was called with, if any.
    pub seed: Option<u64>,
    pub observations: Vec<Value>,
    pub actions: Vec<Value>,
    pub rewards: Vec<f64>,
    pub terminations: Vec<bool>,
    pub truncations: Vec<bool>,
    /// Further keys of the episode's `metadata.json` (e.g. Minari's `rewards_sum`), kept verbatim.
    pub extra: Map<String, Json>,
}

impl Episode {
    /// An episode that starts from `reset_obs`; add steps with [`Episode::push_step`].
    pub fn new(id: u64, seed: Option<u64>, reset_obs: Value) -> Episode {
        Episode {
            id,
            seed,
            observations: vec![reset_obs],
            actions: Vec::new(),
            rewards: Vec::new(),
            terminations: Vec::new(),
            truncations: Vec::new(),
            extra: Map::new(),
        }
    }

    /// Appends one step: the action taken and what the environment answered.
    pub fn push_step(&mut self, action: Value, obs: Value, reward: f64, terminated: bool, truncated: bool) {
        self.actions.push(action);
        self.observations.push(obs);
        self.rewards.push(reward);
        self.terminations.push(terminated);
        self.truncations.push(truncated);
    }

    /// The number of steps (actions) T.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// The undiscounted return.
    pub fn total_reward(&self) -> f64 {
        self.rewards.iter().sum()
    }

    /// Ended by the task with a positive last reward: MiniGrid's (and `run_episode`'s) success.
    pub fn success(&self) -> bool {
        self.terminations.last() == Some(&true) && self.rewards.last().is_some_and(|&r| r > 0.0)
    }

    /// Checks the row counts and that every observation and action lies in its space.
    pub fn validate(&self, observation_space: &Space, action_space: &Space) -> Result<()> {
        let bad = |message: String| Err(DatasetError::BadEpisode { episode: self.id, message });
        let steps = self.actions.len();
        if self.observations.len() != steps + 1 {
            return bad(format!(
                "{} observations for {steps} actions; expected {}",
                self.observations.len(),
                steps + 1
            ));
        }
        if [self.rewards.len(), self.terminations.len(), self.truncations.len()] != [steps; 3] {
            return bad(format!(
                "{steps} actions but {} rewards, {} terminations, {} truncations",
                self.rewards.len(),
                self.terminations.len(),
                self.truncations.len()
            ));
        }
        for (t, obs) in self.observations.iter().enumerate() {
            if let Err(reason) = observation_space.check(obs) {
                return bad(format!("observation {t}: {reason}"));
            }
        }
        for (t, action) in self.actions.iter().enumerate() {
            if let Err(reason) = action_space.check(action) {
                return bad(format!("action {t}: {reason}"));
            }
        }
        Ok(())
    }

    /// The episode as flat f32 rows (see [`FlatEpisode`]).
    pub fn flatten(&self, observation_space: &Space, action_space: &Space) -> Result<FlatEpisode> {
        let flat_space = flat_observation_space(observation_space);
        let err = |message: String| DatasetError::BadEpisode { episode: self.id, message };
        let obs_dim = flat_space.flat_dim().map_err(|e| err(e.to_string()))?;
        let mut observations = vec![0.0f32; self.observations.len() * obs_dim];
        for (row, obs) in observations.chunks_mut(obs_dim.max(1)).zip(&self.observations) {
            flat_space.flatten_into(&without_text(obs), row).map_err(|e| err(format!("observation: {e}")))?;
        }
        let actions = match action_space {
            Space::Discrete { .. } => Actions::Discrete(
                self.actions
                    .iter()
                    .map(|a| a.as_int().ok_or_else(|| err(format!("action {a} is not discrete"))))
                    .collect::<Result<_>>()?,
            ),
            Space::Box(b) => {
                let dim = b.low.len();
                let mut values = Vec::with_capacity(self.actions.len() * dim);
                for a in &self.actions {
                    let nums = a.to_f64_vec().filter(|n| n.len() == dim);
                    values.extend(
                        nums.ok_or_else(|| err(format!("action {a} is not a {dim}-vector")))?.iter().map(|&x| x as f32),
                    );
                }
                Actions::Continuous { dim, values }
            }
            other => {
                return Err(DatasetError::Unsupported(format!(
                    "flat actions exist for Discrete and Box action spaces, not {}",
                    other.describe()
                )))
            }
        };
        Ok(FlatEpisode {
            obs_dim,
            observations,
            actions,
            rewards: self.rewards.iter().map(|&r| r as f32).collect(),
            terminations: self.terminations.clone(),
            truncations: self.truncations.clone(),
        })
    }
}

/// An episode as learners read it: observations as rows of `obs_dim` f32 numbers in the flat
/// encoding of [`flat_observation_space`] (the same rows `Env::reset_into`/`step_into` write,
/// Discrete one-hot, Dict keys in order, Text dropped), T+1 rows; one action, reward,
/// termination and truncation per step.
#[derive(Clone, Debug, PartialEq)]
pub struct FlatEpisode {
    pub obs_dim: usize,
    /// `(T + 1) * obs_dim` numbers, row-major.
    pub observations: Vec<f32>,
    pub actions: Actions,
    pub rewards: Vec<f32>,
    pub terminations: Vec<bool>,
    pub truncations: Vec<bool>,
}

impl FlatEpisode {
    /// The number of steps T.
    pub fn len(&self) -> usize {
        self.rewards.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rewards.is_empty()
    }

    /// Observation row `t` (0..=T).
    pub fn observation(&self, t: usize) -> &[f32] {
        &self.observations[t * self.obs_dim..(t + 1) * self.obs_dim]
    }
}

/// The actions of a [`FlatEpisode`].
#[derive(Clone, Debug, PartialEq)]
pub enum Actions {
    /// Discrete indices (relative to the space's `start` as stored: Minari stores the value).
    Discrete(Vec<i64>),
    /// Box actions, `dim` numbers per step, row-major.
    Continuous { dim: usize, values: Vec<f32> },
}

/// The observation space without its Text parts (MiniGrid's mission), whose flat encoding is
/// the row learners read: what `Env::flat_space` is for limbic's environments.
pub fn flat_observation_space(space: &Space) -> Space {
    match space {
        Space::Dict(items) => Space::Dict(
            items
                .iter()
                .filter(|(_, s)| !matches!(s, Space::Text { .. }))
                .map(|(k, s)| (k.clone(), flat_observation_space(s)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn without_text(value: &Value) -> Value {
    match value {
        Value::Dict(items) => Value::Dict(
            items
                .iter()
                .filter(|(_, v)| !matches!(v, Value::Text(_)))
                .map(|(k, v)| (k.clone(), without_text(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}
