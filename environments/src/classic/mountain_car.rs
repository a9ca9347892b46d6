//! MountainCar (Moore 1990), exactly as gymnasium 1.4.0's `mountain_car.py`.

use super::discrete_action;
use crate::env::{check_option_keys, reset_bounds, Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::render::Frame;
use crate::rng::Generator;
use crate::space::{DType, Space};
use crate::value::Value;

pub(crate) const MIN_POSITION: f64 = -1.2;
pub(crate) const MAX_POSITION: f64 = 0.6;
pub(crate) const MAX_SPEED: f64 = 0.07;
const GOAL_POSITION: f64 = 0.5;
const FORCE: f64 = 0.001;
pub(crate) const GRAVITY: f64 = 0.0025;
/// The reset position is drawn from this range (`options` `low`/`high` override it).
pub(crate) const RESET_RANGE: (f64, f64) = (-0.6, -0.4);

/// A car in a valley, too weak to drive up: accelerate left (0), not at all (1) or right (2),
/// and rock back and forth to reach the flag at 0.5. Reward -1 per step.
///
/// State `[position, velocity]` is kept in f64; observations are its f32 rounding.
#[derive(Clone, Debug)]
pub struct MountainCar {
    state: Option<[f64; 2]>,
    rng: Option<Generator>,
    goal_velocity: f64,
    obs_space: Space,
    act_space: Space,
}

impl Default for MountainCar {
    fn default() -> Self {
        Self::new(0.0)
    }
}

impl MountainCar {
    /// `goal_velocity`: the least velocity that counts as reaching the goal.
    pub fn new(goal_velocity: f64) -> Self {
        MountainCar {
            state: None,
            rng: None,
            goal_velocity,
            obs_space: position_velocity_space(),
            act_space: Space::discrete(3),
        }
    }

    /// The internal f64 state `[position, velocity]`, once reset.
    pub fn state(&self) -> Option<[f64; 2]> {
        self.state
    }

    fn do_reset(&mut self, seed: Option<u64>, options: &Options) -> Result<[f64; 2]> {
        let state = reset_position(&mut self.rng, seed, options)?;
        self.state = Some(state);
        Ok(state)
    }

    fn advance(&mut self, action: &Value) -> Result<([f64; 2], Transition)> {
        let action = discrete_action(&self.act_space, action)?;
        let [position, velocity] = self.state.ok_or(EnvError::NotReset)?;
        let push = (action - 1) as f64 * FORCE;
        let velocity = (velocity + (push + (3.0 * position).cos() * (-GRAVITY))).clamp(-MAX_SPEED, MAX_SPEED);
        let position = (position + velocity).clamp(MIN_POSITION, MAX_POSITION);
        // The left wall is inelastic.
        let velocity = if position == MIN_POSITION && velocity < 0.0 { 0.0 } else { velocity };
        let state = [position, velocity];
        self.state = Some(state);
        let terminated = position >= GOAL_POSITION && velocity >= self.goal_velocity;
        Ok((state, Transition { reward: -1.0, terminated, truncated: false }))
    }
}

/// Both mountain cars' observation space: position in [-1.2, 0.6], velocity in [-0.07, 0.07],
/// bounds rounded to float32 as Gymnasium's `np.array(..., dtype=np.float32)` does.
pub(crate) fn position_velocity_space() -> Space {
    let round = |x: f64| x as f32 as f64;
    Space::vector_box(
        &[round(MIN_POSITION), round(-MAX_SPEED)],
        &[round(MAX_POSITION), round(MAX_SPEED)],
        DType::Float32,
    )
}

/// Both mountain cars' reset: `[uniform(low, high), 0]`.
pub(crate) fn reset_position(rng: &mut Option<Generator>, seed: Option<u64>, options: &Options) -> Result<[f64; 2]> {
    check_option_keys(options, &["low", "high"])?;
    let (low, high) = reset_bounds(options, RESET_RANGE.0, RESET_RANGE.1)?;
    Ok([super::reseed(rng, seed).uniform(low, high), 0.0])
}

fn obs(state: &[f64; 2]) -> Value {
    Value::F32(state.iter().map(|&s| s as f32).collect())
}

impl Env for MountainCar {
    fn observation_space(&self) -> &Space {
        &self.obs_space
    }
    fn action_space(&self) -> &Space {
        &self.act_space
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let state = self.do_reset(seed, options)?;
        Ok((obs(&state), Info::new()))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let (state, t) = self.advance(action)?;
        Ok(Step { obs: obs(&state), reward: t.reward, terminated: t.terminated, truncated: false, info: Info::new() })
    }
    fn reset_into(&mut self, seed: Option<u64>, out: &mut [f32]) -> Result<()> {
        let state = self.do_reset(seed, &Options::new())?;
        super::write_f32(&state, out);
        Ok(())
    }
    fn step_into(&mut self, action: &Value, out: &mut [f32]) -> Result<Transition> {
        let (state, t) = self.advance(action)?;
        super::write_f32(&state, out);
        Ok(t)
    }
    fn render(&self) -> Result<Frame> {
        let [position, _] = self.state.ok_or(EnvError::NotReset)?;
        Ok(crate::render::classic::mountain_car(position, GOAL_POSITION))
    }
    fn render_fps(&self) -> u32 {
        30
    }
    fn observation_painter(&self) -> Option<crate::render::ObservationPainter> {
        Some(crate::render::classic::mountain_car_painter(GOAL_POSITION))
    }
}
