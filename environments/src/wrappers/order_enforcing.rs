//! OrderEnforcing: no `step` before `reset`, and none after the episode ended.

use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;

/// Refuses `step` before the first `reset` (as Gymnasium's `OrderEnforcing` does) and, stricter
/// than Gymnasium, after a step that returned `terminated` or `truncated`: such a step has
/// undefined results in Gymnasium, so limbic makes it an error instead of a warning.
pub struct OrderEnforcing<E> {
    env: E,
    state: Phase,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    NeverReset,
    Running,
    Over,
}

impl<E: Env> OrderEnforcing<E> {
    pub fn new(env: E) -> Self {
        OrderEnforcing { env, state: Phase::NeverReset }
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    fn ready(&self) -> Result<()> {
        match self.state {
            Phase::NeverReset => Err(EnvError::NotReset),
            Phase::Over => Err(EnvError::EpisodeOver),
            Phase::Running => Ok(()),
        }
    }

    fn after_step(&mut self, done: bool) {
        if done {
            self.state = Phase::Over;
        }
    }
}

impl<E: Env> Env for OrderEnforcing<E> {
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let out = self.env.reset(seed, options)?;
        self.state = Phase::Running;
        Ok(out)
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        self.ready()?;
        let step = self.env.step(action)?;
        self.after_step(step.terminated || step.truncated);
        Ok(step)
    }
    fn render(&self) -> Result<Frame> {
        if self.state == Phase::NeverReset {
            return Err(EnvError::NotReset);
        }
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn grid_world(&self) -> Option<&crate::gridworld::World> {
        self.env.grid_world()
    }
    fn observation_painter(&self) -> Option<crate::render::ObservationPainter> {
        self.env.observation_painter()
    }
    fn flat_space(&self) -> &Space {
        self.env.flat_space()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.env.reset_into(seed, obs)?;
        self.state = Phase::Running;
        Ok(())
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        self.ready()?;
        let t = self.env.step_into(action, obs)?;
        self.after_step(t.done());
        Ok(t)
    }
}
