//! PositionOnlyCartPole, VelocityOnlyCartpole and NoisyPositionOnlyCartPole (popgym
//! `envs/position_only_cartpole.py`, `velocity_only_cartpole.py`,
//! `noisy_position_only_cartpole.py`): gymnasium's CartPole with half its state hidden.

use super::{Game, Obs};
use crate::classic::CartPole;
use crate::env::{Env, Options, Transition};
use crate::error::{EnvError, Result};
use crate::rng::Generator;
use crate::space::{DType, Space};
use crate::value::Value;

/// Which half of `[x, x_dot, theta, theta_dot]` a step shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CartPoleView {
    /// `[x, theta]`.
    Position,
    /// `[x_dot, theta_dot]` after each step. As in popgym, `reset` shows `[x, theta]`.
    Velocity,
}

/// CartPole-v1's dynamics showing two of the four numbers, optionally with Gaussian noise
/// (numpy's `normal`, drawn from the env's RNG after CartPole's own draws, then clipped to the
/// observation bounds). Each step gives 1/L (popgym's transform of CartPole's reward; -1 only
/// where CartPole gives 0); truncated after L steps, also on a terminating step.
#[derive(Clone, Debug)]
pub struct MaskedCartPole {
    cartpole: CartPole,
    view: CartPoleView,
    noise_sigma: Option<f64>,
    max_episode_length: usize,
    num_steps: usize,
    shown: [f32; 2],
    obs_space: Space,
    /// `[low, high]` of the observation (noise is clipped to them).
    bounds: [[f32; 2]; 2],
}

impl MaskedCartPole {
    pub fn new(
        view: CartPoleView,
        noise_sigma: Option<f64>,
        max_episode_length: usize,
        sutton_barto_reward: bool,
    ) -> Result<Self> {
        if max_episode_length == 0 {
            return Err(EnvError::BadKwarg { key: "max_episode_length".into(), message: "must be at least 1".into() });
        }
        let cartpole = CartPole::new(sutton_barto_reward);
        let full =
            cartpole.observation_space().as_box().cloned().ok_or_else(|| EnvError::BadSpace("CartPole".into()))?;
        let obs_space = match view {
            // popgym's bounds: twice the termination thresholds, as CartPole's own for x and theta.
            CartPoleView::Position => {
                Space::vector_box(&[full.low[0], full.low[2]], &[full.high[0], full.high[2]], DType::Float32)
            }
            CartPoleView::Velocity => Space::uniform_box(f64::NEG_INFINITY, f64::INFINITY, &[2], DType::Float32),
        };
        let bounds = [[full.low[0] as f32, full.low[2] as f32], [full.high[0] as f32, full.high[2] as f32]];
        Ok(MaskedCartPole {
            cartpole,
            view,
            noise_sigma,
            max_episode_length,
            num_steps: 0,
            shown: [0.0; 2],
            obs_space,
            bounds,
        })
    }

    /// Shows `[a, b]` of the full observation, with noise if this env has any.
    fn show(&mut self, full: &[f32], (a, b): (usize, usize)) -> Result<()> {
        self.shown = [full[a], full[b]];
        if let Some(sigma) = self.noise_sigma {
            let rng = self.cartpole.rng_mut().ok_or(EnvError::NotReset)?;
            add_noise(&mut self.shown, sigma, rng, self.bounds);
        }
        Ok(())
    }
}

/// popgym's `add_noise_to_obs`: `clip(obs + normal(0, sigma).astype(float32), low, high)`.
pub(super) fn add_noise(obs: &mut [f32; 2], sigma: f64, rng: &mut Generator, [low, high]: [[f32; 2]; 2]) {
    for (i, x) in obs.iter_mut().enumerate() {
        let noisy = *x + rng.normal(0.0, sigma) as f32;
        *x = noisy.max(low[i]).min(high[i]);
    }
}

impl Game for MaskedCartPole {
    fn observation_space(&self) -> Space {
        self.obs_space.clone()
    }
    fn action_space(&self) -> Space {
        self.cartpole.action_space().clone()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<()> {
        self.num_steps = 0;
        let (obs, _) = self.cartpole.reset(seed, options)?;
        let full = obs.as_f32().ok_or_else(|| EnvError::BadSpace("CartPole observation".into()))?.to_vec();
        self.show(&full, (0, 2))
    }
    fn step(&mut self, action: &Value) -> Result<Transition> {
        let mut full = [0.0f32; 4];
        let t = self.cartpole.step_into(action, &mut full)?;
        self.num_steps += 1;
        let truncated = t.truncated || self.num_steps >= self.max_episode_length;
        let reward = if t.reward == 0.0 { -1.0 } else { 1.0 / self.max_episode_length as f64 };
        let parts = match self.view {
            CartPoleView::Position => (0, 2),
            CartPoleView::Velocity => (1, 3),
        };
        self.show(&full, parts)?;
        Ok(Transition { reward, terminated: t.terminated, truncated })
    }
    fn obs(&self) -> Obs<'_> {
        Obs::Floats(&self.shown)
    }
}
