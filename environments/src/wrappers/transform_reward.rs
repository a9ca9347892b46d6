//! TransformReward: apply a function to every reward.

use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::Result;
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;

/// Replaces each reward `r` by `f(r)` (Gymnasium's `TransformReward(env, func)`).
///
/// ```
/// use limbic_environments::{classic::CartPole, wrappers::TransformReward, Env, Options, Value};
/// let mut env = TransformReward::new(CartPole::default(), |r| 0.5 * r);
/// env.reset(Some(0), &Options::new()).unwrap();
/// assert_eq!(env.step(&Value::Int(0)).unwrap().reward, 0.5);
/// ```
pub struct TransformReward<E, F> {
    env: E,
    f: F,
}

impl<E: Env, F: FnMut(f64) -> f64 + Send> TransformReward<E, F> {
    pub fn new(env: E, f: F) -> Self {
        TransformReward { env, f }
    }

    pub fn inner(&self) -> &E {
        &self.env
    }

    pub fn into_inner(self) -> E {
        self.env
    }
}

impl<E: Env, F: FnMut(f64) -> f64 + Send> Env for TransformReward<E, F> {
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn flat_space(&self) -> &Space {
        self.env.flat_space()
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        self.env.reset(seed, options)
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let mut step = self.env.step(action)?;
        step.reward = (self.f)(step.reward);
        Ok(step)
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.env.reset_into(seed, obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        let mut t = self.env.step_into(action, obs)?;
        t.reward = (self.f)(t.reward);
        Ok(t)
    }
}
