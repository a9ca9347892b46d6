//! Goal spaces: what a manager's choice means, how a worker sees its goal, and when a goal is
//! reached.
//!
//! A goal is a **target**, fixed when the manager chooses it: a gridworld cell (`cell`), or a
//! point of some observation features (`observation`, HIRO's targets in observation space).
//! The worker sees it **relative to where it stands** at every step (HIRO's goal transition
//! `g' = s + g - s'`): for cells, the offset to the target in the agent's own frame (cells
//! ahead, cells to the right), which is how MiniGrid's egocentric views see the world; for
//! observations, `target - features`. A goal is reached when that offset is within
//! `tolerance` of zero.
//!
//! The manager's action space follows: one of the `(2 r + 1)^2` cells within `radius` of the
//! agent, in its frame (`Discrete`); or an offset in `[-1, 1]^G` scaled by `scale`, added to
//! the features where it chooses (`Box`).

use crate::core::config::invalid;
use crate::error::{AgentError, Result};
use crate::policies::ActionKind;
use limbic_environments::gridworld::DIR_TO_VEC;
use limbic_environments::Env;
use serde::{Deserialize, Serialize};

/// A goal space as configs write it (`params.goal`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum GoalConfig {
    /// A gridworld cell within `radius` cells of the agent (forward/backward, left/right).
    Cell {
        #[serde(default = "default_radius")]
        radius: usize,
        #[serde(default = "default_tolerance")]
        tolerance: f64,
    },
    /// A target for the observation features at `indices` (all of them when absent): the
    /// features where the manager chooses plus `scale` times its action in `[-1, 1]`.
    Observation {
        #[serde(default)]
        indices: Option<Vec<usize>>,
        #[serde(default = "default_scale")]
        scale: f64,
        #[serde(default = "default_tolerance")]
        tolerance: f64,
    },
}

fn default_radius() -> usize {
    3
}

fn default_tolerance() -> f64 {
    0.5
}

fn default_scale() -> f64 {
    1.0
}

/// A checked goal space for observation rows of `obs_dim` numbers.
#[derive(Clone, Debug, PartialEq)]
pub enum GoalSpace {
    Cell { radius: usize, tolerance: f64 },
    Observation { indices: Vec<usize>, scale: f32, tolerance: f64 },
}

impl GoalSpace {
    /// Checks `config` (the field `goal` in errors).
    pub fn new(config: &GoalConfig, obs_dim: usize) -> Result<GoalSpace> {
        let tolerance_ok = |t: f64| t.is_finite() && t >= 0.0;
        match config {
            GoalConfig::Cell { radius, tolerance } => {
                if *radius == 0 || *radius > 16 {
                    return Err(invalid("goal.radius", format!("{radius}: a radius of 1 to 16 cells")));
                }
                if !tolerance_ok(*tolerance) {
                    return Err(invalid("goal.tolerance", format!("{tolerance} must be a number >= 0")));
                }
                Ok(GoalSpace::Cell { radius: *radius, tolerance: *tolerance })
            }
            GoalConfig::Observation { indices, scale, tolerance } => {
                let indices = indices.clone().unwrap_or_else(|| (0..obs_dim).collect());
                if indices.is_empty() || indices.iter().any(|&i| i >= obs_dim) {
                    return Err(invalid(
                        "goal.indices",
                        format!("{indices:?}: indices of observation features, 0 to {}", obs_dim.saturating_sub(1)),
                    ));
                }
                if !(scale.is_finite() && *scale > 0.0) {
                    return Err(invalid("goal.scale", format!("{scale} must be a positive number")));
                }
                if !tolerance_ok(*tolerance) {
                    return Err(invalid("goal.tolerance", format!("{tolerance} must be a number >= 0")));
                }
                Ok(GoalSpace::Observation { indices, scale: *scale as f32, tolerance: *tolerance })
            }
        }
    }

    /// Numbers per target and per worker goal row.
    pub fn dim(&self) -> usize {
        match self {
            GoalSpace::Cell { .. } => 2,
            GoalSpace::Observation { indices, .. } => indices.len(),
        }
    }

    /// The manager's actions.
    pub fn manager_actions(&self) -> ActionKind {
        match self {
            GoalSpace::Cell { radius, .. } => ActionKind::Discrete { n: (2 * radius + 1).pow(2), start: 0 },
            GoalSpace::Observation { indices, .. } => ActionKind::Continuous {
                dim: indices.len(),
                low: vec![-1.0; indices.len()],
                high: vec![1.0; indices.len()],
            },
        }
    }

    /// Where a row stands: the agent's cell and direction `[x, y, dir]` (from the env's world),
    /// or the observation features.
    pub fn locate(&self, env: Option<&dyn Env>, obs: &[f32]) -> Result<Vec<f32>> {
        match self {
            GoalSpace::Cell { .. } => {
                let world = env.and_then(|e| e.grid_world()).ok_or_else(|| {
                    AgentError::Unsupported(
                        "goal kind `cell` needs a gridworld (MiniGrid or BabyAI) and its state; \
                         use {\"kind\": \"observation\"} for other environments"
                            .into(),
                    )
                })?;
                let (x, y) = world.agent_pos;
                Ok(vec![x as f32, y as f32, (world.agent_dir % 4) as f32])
            }
            GoalSpace::Observation { indices, .. } => Ok(indices.iter().map(|&i| obs[i]).collect()),
        }
    }

    /// The target a manager's `action` (as the env-facing action: an index, or a vector within
    /// `[-1, 1]`) names from `pose`.
    pub fn target(&self, pose: &[f32], action: &[f32]) -> Vec<f32> {
        match self {
            GoalSpace::Cell { radius, .. } => {
                let side = 2 * *radius as i64 + 1;
                let index = action[0] as i64;
                let (ahead, right) = (index / side - *radius as i64, index % side - *radius as i64);
                let ((fx, fy), (rx, ry)) = frame(pose[2]);
                vec![pose[0] + (ahead * fx + right * rx) as f32, pose[1] + (ahead * fy + right * ry) as f32]
            }
            GoalSpace::Observation { scale, .. } => {
                pose.iter().zip(action).map(|(&x, &a)| x + scale * a.clamp(-1.0, 1.0)).collect()
            }
        }
    }

    /// The worker's goal row: `target` seen from `pose`.
    pub fn relative(&self, target: &[f32], pose: &[f32]) -> Vec<f32> {
        match self {
            GoalSpace::Cell { .. } => {
                let (dx, dy) = ((target[0] - pose[0]) as i64, (target[1] - pose[1]) as i64);
                let ((fx, fy), (rx, ry)) = frame(pose[2]);
                vec![(dx * fx + dy * fy) as f32, (dx * rx + dy * ry) as f32]
            }
            GoalSpace::Observation { .. } => target.iter().zip(pose).map(|(&t, &x)| t - x).collect(),
        }
    }

    /// The manager action that names `target` from `pose`, if one does (HIRO's relabelling).
    pub fn action_for(&self, pose: &[f32], target: &[f32]) -> Option<Vec<f32>> {
        let offset = self.relative(target, pose);
        match self {
            GoalSpace::Cell { radius, .. } => {
                let r = *radius as i64;
                let (ahead, right) = (offset[0] as i64, offset[1] as i64);
                (ahead.abs() <= r && right.abs() <= r).then(|| vec![((ahead + r) * (2 * r + 1) + right + r) as f32])
            }
            GoalSpace::Observation { scale, .. } => {
                let action: Vec<f32> = offset.iter().map(|&o| o / scale).collect();
                action.iter().all(|a| a.abs() <= 1.0).then_some(action)
            }
        }
    }

    /// Whether a goal row says the goal is reached.
    pub fn reached(&self, goal: &[f32]) -> bool {
        let tolerance = match self {
            GoalSpace::Cell { tolerance, .. } | GoalSpace::Observation { tolerance, .. } => *tolerance,
        };
        goal.iter().map(|&g| (g as f64).powi(2)).sum::<f64>().sqrt() <= tolerance
    }

    /// Whether targets are gridworld cells.
    pub fn is_cell(&self) -> bool {
        matches!(self, GoalSpace::Cell { .. })
    }
}

/// The agent's forward and right unit steps for direction `dir` (MiniGrid's `dir_vec` and
/// `right_vec`).
fn frame(dir: f32) -> ((i64, i64), (i64, i64)) {
    let d = dir as usize % 4;
    let forward = DIR_TO_VEC[d];
    let right = DIR_TO_VEC[(d + 1) % 4];
    ((forward.0 as i64, forward.1 as i64), (right.0 as i64, right.1 as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_chosen_and_seen_in_the_agents_frame() {
        let space = GoalSpace::new(&GoalConfig::Cell { radius: 2, tolerance: 0.5 }, 151).unwrap();
        assert_eq!(space.manager_actions(), ActionKind::Discrete { n: 25, start: 0 });
        // Facing down (dir 1) at (3, 3): 2 ahead and 1 to the right is (2, 5).
        let pose = [3.0, 3.0, 1.0];
        let action = space.action_for(&pose, &[2.0, 5.0]).unwrap();
        assert_eq!(space.target(&pose, &action), [2.0, 5.0]);
        assert_eq!(space.relative(&[2.0, 5.0], &pose), [2.0, 1.0]);
        // Facing east (dir 0) at (3, 5): one cell behind.
        assert_eq!(space.relative(&[2.0, 5.0], &[3.0, 5.0, 0.0]), [-1.0, 0.0]);
        assert!(space.reached(&space.relative(&[2.0, 5.0], &[2.0, 5.0, 3.0])));
        assert_eq!(space.action_for(&pose, &[9.0, 3.0]), None, "beyond the radius");
        for index in 0..25 {
            let target = space.target(&pose, &[index as f32]);
            assert_eq!(space.action_for(&pose, &target), Some(vec![index as f32]));
        }
        assert!(space.locate(None, &[]).unwrap_err().to_string().contains("gridworld"));
    }

    #[test]
    fn observation_targets_are_offsets_from_the_features() {
        let config = GoalConfig::Observation { indices: Some(vec![0, 2]), scale: 2.0, tolerance: 0.1 };
        let space = GoalSpace::new(&config, 3).unwrap();
        let pose = space.locate(None, &[1.0, 9.0, -1.0]).unwrap();
        assert_eq!(pose, [1.0, -1.0]);
        let target = space.target(&pose, &[0.5, -2.0]);
        assert_eq!(target, [2.0, -3.0], "actions are clipped to [-1, 1]");
        assert_eq!(space.relative(&target, &pose), [1.0, -2.0]);
        assert_eq!(space.action_for(&pose, &target), Some(vec![0.5, -1.0]));
        for bad in [
            GoalConfig::Observation { indices: Some(vec![3]), scale: 1.0, tolerance: 0.1 },
            GoalConfig::Observation { indices: None, scale: 0.0, tolerance: 0.1 },
            GoalConfig::Cell { radius: 0, tolerance: 0.5 },
        ] {
            assert!(GoalSpace::new(&bad, 3).unwrap_err().to_string().contains("goal."));
        }
    }
}
