//! NormalizeReward: scale rewards so their discounted sum has roughly unit variance.

use super::{bad_param, RunningMeanStd};
use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::Result;
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;

/// Gymnasium's `NormalizeReward(gamma=0.99, epsilon=1e-8)`, rule for rule:
/// `G = G·γ·(1 − terminated) + r`, then the running statistics take `G`, and the reward
/// returned is `r / sqrt(var(G) + ε)`, with no mean subtracted.
///
/// `G` is reset only by a *terminated* step (on that step itself), never by truncation or by
/// `reset`, exactly as in Gymnasium.
pub struct NormalizeReward<E> {
    env: E,
    return_rms: RunningMeanStd,
    discounted_return: f64,
    gamma: f64,
    epsilon: f64,
    update_running_mean: bool,
}

impl<E: Env> NormalizeReward<E> {
    /// With Gymnasium's defaults, `gamma = 0.99` and `epsilon = 1e-8`.
    pub fn new(env: E) -> Self {
        NormalizeReward {
            env,
            return_rms: RunningMeanStd::new(1),
            discounted_return: 0.0,
            gamma: 0.99,
            epsilon: 1e-8,
            update_running_mean: true,
        }
    }

    /// `gamma` in [0, 1] and `epsilon` > 0, as Gymnasium checks them.
    pub fn with_params(env: E, gamma: f64, epsilon: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&gamma) {
            return Err(bad_param("gamma", format!("should be in the interval [0, 1], got {gamma}")));
        }
        if !(epsilon > 0.0 && epsilon.is_finite()) {
            return Err(bad_param("epsilon", format!("should be strictly positive, got {epsilon}")));
        }
        Ok(NormalizeReward { gamma, epsilon, ..Self::new(env) })
    }

    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// Whether steps update the statistics (true); set false to freeze them for evaluation.
    pub fn update_running_mean(&self) -> bool {
        self.update_running_mean
    }

    pub fn set_update_running_mean(&mut self, update: bool) {
        self.update_running_mean = update;
    }

    /// The statistics of the discounted return `G` (dimension 1, f64).
    pub fn running_stats(&self) -> &RunningMeanStd {
        &self.return_rms
    }

    /// Restores statistics (e.g. from a checkpoint); they must have dimension 1.
    pub fn set_running_stats(&mut self, rms: RunningMeanStd) -> Result<()> {
        if rms.dim() != 1 {
            return Err(bad_param("return_rms", format!("must have dimension 1, got {}", rms.dim())));
        }
        self.return_rms = rms;
        Ok(())
    }

    /// The discounted return `G` accumulated so far (Gymnasium's `discounted_reward`).
    pub fn discounted_return(&self) -> f64 {
        self.discounted_return
    }

    pub fn set_discounted_return(&mut self, g: f64) {
        self.discounted_return = g;
    }

    pub fn inner(&self) -> &E {
        &self.env
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    fn normalize(&mut self, reward: f64, terminated: bool) -> Result<f64> {
        let keep = if terminated { 0.0 } else { 1.0 };
        self.discounted_return = self.discounted_return * self.gamma * keep + reward;
        if self.update_running_mean {
            self.return_rms.update(&[self.discounted_return])?;
        }
        // Dimension 1 is checked by every way in.
        Ok(reward / (self.return_rms.var()[0] + self.epsilon).sqrt())
    }
}

impl<E: Env> Env for NormalizeReward<E> {
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
        step.reward = self.normalize(step.reward, step.terminated)?;
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
        t.reward = self.normalize(t.reward, t.terminated)?;
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classic::CartPole;

    #[test]
    fn frozen_statistics_only_scale() {
        let mut env = NormalizeReward::new(CartPole::default());
        env.set_update_running_mean(false);
        env.reset(Some(0), &Options::new()).unwrap();
        let step = env.step(&Value::Int(1)).unwrap();
        assert_eq!(step.reward, 1.0 / (1.0f64 + 1e-8).sqrt());
        assert_eq!(env.discounted_return(), 1.0, "G is tracked even when frozen");
        assert_eq!(env.running_stats(), &RunningMeanStd::new(1));
    }
}
