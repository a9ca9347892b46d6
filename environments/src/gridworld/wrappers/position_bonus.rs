//! PositionBonus: a count-based bonus for rarely visited cells (MiniGrid's `PositionBonus`,
//! formerly `StateBonus`).

use super::VisitCounts;
use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::Result;
use crate::gridworld::grid::Pos;
use crate::gridworld::minigrid::GridEnv;
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;
use crate::wrappers::bad_param;

/// Adds `scale / sqrt(n)` (computed as `(1 / sqrt(n)) * scale`) to each step's reward, where
/// `n` counts the steps (this one included) that ended with the agent on the same cell. Counts
/// persist across episodes, as in MiniGrid.
pub struct PositionBonus<E> {
    env: E,
    scale: f64,
    counts: VisitCounts<Pos>,
}

impl<E: GridEnv> PositionBonus<E> {
    /// MiniGrid's default `scale` is 1.
    pub fn new(env: E, scale: f64) -> Result<Self> {
        if !scale.is_finite() {
            return Err(bad_param("scale", format!("must be a finite number, got {scale}")));
        }
        Ok(PositionBonus { env, scale, counts: VisitCounts::new() })
    }

    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// How many steps ended at `pos`.
    pub fn count(&self, pos: Pos) -> u64 {
        self.counts.count(&pos)
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    fn bonus(&mut self) -> f64 {
        self.counts.visit(self.env.world().agent_pos) * self.scale
    }
}

impl<E: GridEnv> Env for PositionBonus<E> {
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        self.env.reset(seed, options)
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let mut step = self.env.step(action)?;
        step.reward += self.bonus();
        Ok(step)
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn flat_space(&self) -> &Space {
        self.env.flat_space()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.env.reset_into(seed, obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        let mut t = self.env.step_into(action, obs)?;
        t.reward += self.bonus();
        Ok(t)
    }
}

forward_grid_env!(PositionBonus);
