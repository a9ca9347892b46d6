//! `goal_reaching`: the reward of a hierarchical worker for reaching the goal its manager set
//! (`limbic train --algo manager-worker`), a signal like any other, so it combines with the
//! env's reward and with curiosity, and with `"stream": "own"` gets its own value head and
//! discount.
//!
//! It reads each step's goal as the transitions carry it: `g`, the goal relative to where the
//! step began, and `g'`, the same goal relative to where it ended (HIRO's goal transition
//! `s + g - s'`, zero where the step reached it). Modes:
//! - `reached` (default): 1 when `|g'| <= tolerance`, else 0 (a sparse goal-conditioned reward);
//! - `distance`: `-|g'|` (HIRO's low-level reward);
//! - `progress`: `|g| - |g'|`, how much closer the step came;
//! - `direction`: `cos(g - g', g)`, the cosine between the step's movement and the goal's
//!   direction (FeUdal's intrinsic reward over one step; 0 where nothing moved).
//!
//! Transitions without goals (a learner that sets none) are an error.

use crate::scaling::Normalization;
use crate::signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
use limbic_agents::core::config::{invalid, parse_config};
use limbic_agents::shaping::Transitions;
use limbic_agents::Result;
use serde::{Deserialize, Serialize};

pub const NAME: &str = "goal_reaching";

pub const ENTRY: SignalEntry = SignalEntry {
    name: NAME,
    summary:
        "a hierarchical worker's reward for reaching its manager's goal (reached, distance, progress or direction)",
    params: &[
        ("mode", "`reached` (1 within tolerance), `distance` (-|g'|), `progress` (|g| - |g'|) or `direction` (cos)"),
        ("tolerance", "how close counts as reached (`reached` mode), in the goal's units"),
    ],
    defaults: || serde_json::to_value(Params::default()).unwrap_or_default(),
    weight: 1.0,
    normalization: Normalization::Rms,
    exploration: false,
    episodic_counts: false,
    caveats: "",
    build: &build,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Reached,
    Distance,
    Progress,
    Direction,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub mode: Mode,
    pub tolerance: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params { mode: Mode::Reached, tolerance: 0.5 }
    }
}

fn build(params: &serde_json::Value, _: &SignalContext) -> Result<Box<dyn IntrinsicReward>> {
    let params: Params = parse_config(NAME, params)?;
    if !(params.tolerance.is_finite() && params.tolerance >= 0.0) {
        return Err(invalid("goal_reaching.tolerance", format!("{} must be a number >= 0", params.tolerance)));
    }
    Ok(Box::new(GoalReaching { params }))
}

/// See the [module docs](self).
pub struct GoalReaching {
    params: Params,
}

fn norm(x: &[f32]) -> f64 {
    x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt()
}

impl GoalReaching {
    /// The raw reward of a step with goal `g` before and `after` it.
    pub fn reward(&self, g: &[f32], after: &[f32]) -> f64 {
        match self.params.mode {
            Mode::Reached => (norm(after) <= self.params.tolerance) as u8 as f64,
            Mode::Distance => -norm(after),
            Mode::Progress => norm(g) - norm(after),
            Mode::Direction => {
                let moved: Vec<f32> = g.iter().zip(after).map(|(&a, &b)| a - b).collect();
                let (m, n) = (norm(&moved), norm(g));
                if m == 0.0 || n == 0.0 {
                    return 0.0;
                }
                moved.iter().zip(g).map(|(&a, &b)| a as f64 * b as f64).sum::<f64>() / (m * n)
            }
        }
    }
}

impl IntrinsicReward for GoalReaching {
    fn name(&self) -> &str {
        NAME
    }

    fn memory(&self) -> Memory {
        Memory::Lifelong
    }

    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        if batch.goal_dim == 0 {
            return Err(invalid(
                "rewards.goal_reaching",
                "the learner's steps carry no goals: goal_reaching rewards the worker of a hierarchy \
                 (--algo manager-worker with goals)",
            ));
        }
        for (slot, o) in out.iter_mut().enumerate().take(batch.slots()) {
            let (g, after) = batch.goal_rows(slot);
            *o = if batch.valid[slot] { self.reward(g, after) as f32 } else { 0.0 };
        }
        Ok(())
    }

    fn save(&self) -> Result<Vec<u8>> {
        Ok(Vec::new())
    }

    fn load(&mut self, _bytes: &[u8]) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(mode: Mode) -> GoalReaching {
        GoalReaching { params: Params { mode, tolerance: 0.5 } }
    }

    #[test]
    fn each_mode_scores_a_step_towards_the_goal() {
        // Goal 3 cells ahead; the step moves one cell forward (g' = [2, 0]), or arrives.
        let (g, closer, there) = ([3.0, 0.0], [2.0, 0.0], [0.0, 0.0]);
        assert_eq!(signal(Mode::Reached).reward(&g, &closer), 0.0);
        assert_eq!(signal(Mode::Reached).reward(&[1.0, 0.0], &there), 1.0);
        assert_eq!(signal(Mode::Distance).reward(&g, &closer), -2.0);
        assert_eq!(signal(Mode::Progress).reward(&g, &closer), 1.0);
        assert_eq!(signal(Mode::Direction).reward(&g, &closer), 1.0);
        // Sideways is orthogonal; standing still is 0.
        assert!(signal(Mode::Direction).reward(&g, &[3.0, 1.0]).abs() < 1e-12);
        assert_eq!(signal(Mode::Direction).reward(&g, &g), 0.0);
    }

    #[test]
    fn steps_without_goals_are_an_error_and_invalid_slots_score_zero() {
        let zeros = [0.0f32; 4];
        let flags = [false; 2];
        let mut batch = Transitions {
            steps: 2,
            envs: 1,
            obs_dim: 1,
            action_dim: 1,
            obs: &zeros[..2],
            actions: &zeros[..2],
            rewards: &zeros[..2],
            next_obs: &zeros[..2],
            terminated: &flags,
            truncated: &flags,
            valid: &[true, false],
            goal_dim: 0,
            goals: &[],
            next_goals: &[],
            advice: &[],
        };
        let mut out = [9.0f32; 2];
        let mut s = signal(Mode::Reached);
        assert!(s.compute(&batch, &mut out).unwrap_err().to_string().contains("manager-worker"));
        let goals = [1.0, 0.0, 1.0, 0.0];
        batch.goal_dim = 2;
        batch.goals = &goals;
        batch.next_goals = &zeros;
        s.compute(&batch, &mut out).unwrap();
        assert_eq!(out, [1.0, 0.0]);
    }
}
