//! PositionOnlyPendulum and NoisyPositionOnlyPendulum (popgym `envs/position_only_pendulum.py`,
//! `noisy_position_only_pendulum.py`): gymnasium's Pendulum without the angular velocity.

use super::cartpole::add_noise;
use super::{Game, Obs};
use crate::classic::Pendulum;
use crate::env::{Env, Options, Transition};
use crate::error::{EnvError, Result};
use crate::space::{DType, Space};
use crate::value::Value;

/// Pendulum-v1's dynamics showing `[cos theta, sin theta]`, optionally with Gaussian noise
/// (clipped to [-1, 1]). The reward maps Pendulum's [-16.27, 0] onto [-1, 1], divided by L;
/// truncated after L steps.
#[derive(Clone, Debug)]
pub struct MaskedPendulum {
    pendulum: Pendulum,
    noise_sigma: Option<f64>,
    max_episode_length: usize,
    num_steps: usize,
    shown: [f32; 2],
}

/// popgym's bounds of Pendulum's reward.
const REWARD_LOW: f64 = -16.2736044;
const REWARD_HIGH: f64 = 0.0;

impl MaskedPendulum {
    pub fn new(noise_sigma: Option<f64>, max_episode_length: usize, g: f64) -> Result<Self> {
        if max_episode_length == 0 {
            return Err(EnvError::BadKwarg { key: "max_episode_length".into(), message: "must be at least 1".into() });
        }
        let pendulum = Pendulum::new(g);
        Ok(MaskedPendulum { pendulum, noise_sigma, max_episode_length, num_steps: 0, shown: [0.0; 2] })
    }

    fn show(&mut self, full: &[f32]) -> Result<()> {
        self.shown = [full[0], full[1]];
        if let Some(sigma) = self.noise_sigma {
            let rng = self.pendulum.rng_mut().ok_or(EnvError::NotReset)?;
            add_noise(&mut self.shown, sigma, rng, [[-1.0; 2], [1.0; 2]]);
        }
        Ok(())
    }

    /// popgym's `reward_transform`, operation for operation.
    fn transform(&self, reward: f64) -> f64 {
        let half = (REWARD_HIGH - REWARD_LOW) / 2.0;
        (reward + half) / half / self.max_episode_length as f64
    }
}

impl Game for MaskedPendulum {
    fn observation_space(&self) -> Space {
        Space::uniform_box(-1.0, 1.0, &[2], DType::Float32)
    }
    fn action_space(&self) -> Space {
        self.pendulum.action_space().clone()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<()> {
        self.num_steps = 0;
        let (obs, _) = self.pendulum.reset(seed, options)?;
        let full = obs.as_f32().ok_or_else(|| EnvError::BadSpace("Pendulum observation".into()))?.to_vec();
        self.show(&full)
    }
    fn step(&mut self, action: &Value) -> Result<Transition> {
        let mut full = [0.0f32; 3];
        let t = self.pendulum.step_into(action, &mut full)?;
        self.num_steps += 1;
        self.show(&full)?;
        let truncated = t.truncated || self.num_steps >= self.max_episode_length;
        Ok(Transition { reward: self.transform(t.reward), terminated: t.terminated, truncated })
    }
    fn obs(&self) -> Obs<'_> {
        Obs::Floats(&self.shown)
    }
}
