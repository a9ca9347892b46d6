//! TimeLimit: truncate an episode after a fixed number of steps.

use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::Result;
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;

/// Sets `truncated = true` once `max_episode_steps` steps have been taken since `reset`, also
/// on a step that is `terminated` (both flags can be true together, as in Gymnasium).
pub struct TimeLimit<E> {
    env: E,
    max_episode_steps: usize,
    elapsed: usize,
}

impl<E: Env> TimeLimit<E> {
    pub fn new(env: E, max_episode_steps: usize) -> Self {
        TimeLimit { env, max_episode_steps, elapsed: 0 }
    }

    pub fn max_episode_steps(&self) -> usize {
        self.max_episode_steps
    }

    pub fn elapsed_steps(&self) -> usize {
        self.elapsed
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    /// The wrapped env (for the vector env's batched CartPole kernel).
    pub(crate) fn inner_mut(&mut self) -> &mut E {
        &mut self.env
    }

    /// Counts a step; true once the limit is reached.
    pub(crate) fn count(&mut self) -> bool {
        self.elapsed += 1;
        self.elapsed >= self.max_episode_steps
    }
}

impl<E: Env> Env for TimeLimit<E> {
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        self.elapsed = 0;
        self.env.reset(seed, options)
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let mut step = self.env.step(action)?;
        step.truncated |= self.count();
        Ok(step)
    }
    fn render(&self) -> Result<Frame> {
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
        self.elapsed = 0;
        self.env.reset_into(seed, obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        let mut t = self.env.step_into(action, obs)?;
        t.truncated |= self.count();
        Ok(t)
    }
}
