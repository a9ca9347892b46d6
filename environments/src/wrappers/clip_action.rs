//! ClipAction: clip continuous actions into the action space's bounds.

use super::{box_action_space, unbounded};
use crate::env::{check_action, Env, Info, Options, Step, Transition};
use crate::error::Result;
use crate::render::Frame;
use crate::space::{BoxSpace, Space};
use crate::value::Value;

/// Gymnasium's `ClipAction`: an action is clipped elementwise into the wrapped env's Box bounds
/// (`np.clip`) before it is passed on; the action space becomes `Box(-inf, inf)` of the same
/// shape and dtype. Actions must still have that shape and dtype, and no NaN.
pub struct ClipAction<E> {
    env: E,
    bounds: BoxSpace,
    space: Space,
}

impl<E: Env> ClipAction<E> {
    /// Fails unless the action space is a Box.
    pub fn new(env: E) -> Result<Self> {
        let bounds = box_action_space(env.action_space(), "ClipAction")?.clone();
        Ok(ClipAction { space: unbounded(&bounds), bounds, env })
    }

    pub fn inner(&self) -> &E {
        &self.env
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    fn clip(&self, action: &Value) -> Result<Value> {
        check_action(&self.space, action)?;
        let nums = action.to_f64_vec().unwrap_or_default();
        let b = &self.bounds;
        // max then min, as np.clip: no panic on odd bounds, and exact for every dtype.
        Ok(b.dtype.array(nums.iter().zip(&b.low).zip(&b.high).map(|((&x, &lo), &hi)| x.max(lo).min(hi))))
    }
}

impl<E: Env> Env for ClipAction<E> {
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn flat_space(&self) -> &Space {
        self.env.flat_space()
    }
    fn action_space(&self) -> &Space {
        &self.space
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        self.env.reset(seed, options)
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let action = self.clip(action)?;
        self.env.step(&action)
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
        let action = self.clip(action)?;
        self.env.step_into(&action, obs)
    }
}
