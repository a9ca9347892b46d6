//! ActionBonus: a count-based bonus for rare (position, direction, action) triples (MiniGrid's
//! `ActionBonus`).

use super::VisitCounts;
use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::Result;
use crate::gridworld::grid::Pos;
use crate::gridworld::minigrid::GridEnv;
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;

/// Adds `1 / sqrt(n)` to each step's reward, where `n` counts the steps (this one included) that
/// ended with the agent at the same position and direction after the same action. Counts
/// persist across episodes, as in MiniGrid.
pub struct ActionBonus<E> {
    env: E,
    counts: VisitCounts<(Pos, usize, i64)>,
}

impl<E: GridEnv> ActionBonus<E> {
    pub fn new(env: E) -> Self {
        ActionBonus { env, counts: VisitCounts::new() }
    }

    /// How many steps ended at `pos` facing `dir` after `action`.
    pub fn count(&self, pos: Pos, dir: usize, action: i64) -> u64 {
        self.counts.count(&(pos, dir, action))
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    /// The bonus for the step just taken with `action` (a valid action: the step succeeded).
    fn bonus(&mut self, action: &Value) -> f64 {
        let world = self.env.world();
        self.counts.visit((world.agent_pos, world.agent_dir, action.as_int().unwrap_or(-1)))
    }
}

impl<E: GridEnv> Env for ActionBonus<E> {
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
        step.reward += self.bonus(action);
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
        t.reward += self.bonus(action);
        Ok(t)
    }
}

forward_grid_env!(ActionBonus);
