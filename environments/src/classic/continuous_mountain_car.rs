//! MountainCarContinuous, exactly as gymnasium 1.4.0's `continuous_mountain_car.py`.
//!
//! The reference mixes numpy float32, numpy float64 and Python floats, and numpy 2 (NEP 50)
//! computes `float32 op python_float` in float32. Its state is stored as float32 after every
//! step, so a step computes partly in f32 and partly in f64 depending on which number is which
//! type. [`Num`] carries that type along so every operation rounds where the reference's does.

use super::mountain_car::{position_velocity_space, reset_position, GRAVITY, MAX_POSITION, MAX_SPEED, MIN_POSITION};
use super::numerics::pow2;
use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::render::Frame;
use crate::rng::Generator;
use crate::space::{DType, Space};
use crate::value::Value;
use std::cmp::Ordering;
use std::ops::{Add, Mul, Sub};

const GOAL_POSITION: f64 = 0.45;
const POWER: f64 = 0.0015;

/// A car in a valley with a continuous engine: action in [-1, 1] (values beyond are clipped for
/// the dynamics but still cost `0.1 * a^2`). Reward +100 at the goal (0.45), minus the action cost.
///
/// After reset the state holds f64 numbers; after every step it holds f32 numbers.
#[derive(Clone, Debug)]
pub struct ContinuousMountainCar {
    state: Option<[Num; 2]>,
    rng: Option<Generator>,
    goal_velocity: f64,
    obs_space: Space,
    act_space: Space,
}

impl Default for ContinuousMountainCar {
    fn default() -> Self {
        Self::new(0.0)
    }
}

impl ContinuousMountainCar {
    /// `goal_velocity`: the least velocity that counts as reaching the goal.
    pub fn new(goal_velocity: f64) -> Self {
        ContinuousMountainCar {
            state: None,
            rng: None,
            goal_velocity,
            obs_space: position_velocity_space(),
            act_space: Space::uniform_box(-1.0, 1.0, &[1], DType::Float32),
        }
    }

    /// The internal state `[position, velocity]` (f64 after reset, f32 values after a step).
    pub fn state(&self) -> Option<[f64; 2]> {
        self.state.map(|s| s.map(Num::value))
    }

    fn do_reset(&mut self, seed: Option<u64>, options: &Options) -> Result<[f32; 2]> {
        let [position, velocity] = reset_position(&mut self.rng, seed, options)?;
        self.state = Some([Num::F64(position), Num::F64(velocity)]);
        Ok([position as f32, velocity as f32])
    }

    fn advance(&mut self, action: &Value) -> Result<([f32; 2], Transition)> {
        let a = super::scalar_action(&self.act_space, action)?;
        let [position, velocity] = self.state.ok_or(EnvError::NotReset)?;
        // `min(max(action[0], -1.0), 1.0)`: the float32 action, or the Python float bound.
        let force = if a < -1.0 {
            Num::Py(-1.0)
        } else if a > 1.0 {
            Num::Py(1.0)
        } else {
            Num::F32(a)
        };
        // `0.0025 * math.cos(3 * position)`: `math.cos` returns a Python float.
        let slope = Num::Py(GRAVITY * (Num::Py(3.0) * position).value().cos());
        let mut velocity = velocity + (force * Num::Py(POWER) - slope);
        if velocity.above(MAX_SPEED) {
            velocity = Num::Py(MAX_SPEED);
        }
        if velocity.below(-MAX_SPEED) {
            velocity = Num::Py(-MAX_SPEED);
        }
        let mut position = position + velocity;
        if position.above(MAX_POSITION) {
            position = Num::Py(MAX_POSITION);
        }
        if position.below(MIN_POSITION) {
            position = Num::Py(MIN_POSITION);
        }
        if position.equals(MIN_POSITION) && velocity.below(0.0) {
            velocity = Num::Py(0.0);
        }
        let terminated = position.at_least(GOAL_POSITION) && velocity.at_least(self.goal_velocity);
        // `math.pow(action[0], 2) * 0.1` of the unclipped action.
        let cost = pow2(f64::from(a)) * 0.1;
        let reward = if terminated { 100.0 - cost } else { 0.0 - cost };
        let state = [position.to_f32(), velocity.to_f32()];
        self.state = Some(state.map(Num::F32));
        Ok((state, Transition { reward, terminated, truncated: false }))
    }
}

/// A number with the type the reference gives it: a numpy float32 or float64 scalar, or a Python
/// float, which (NEP 50) adopts the type of a numpy operand.
#[derive(Clone, Copy, Debug)]
enum Num {
    F32(f32),
    F64(f64),
    Py(f64),
}

impl Num {
    fn value(self) -> f64 {
        match self {
            Num::F32(x) => f64::from(x),
            Num::F64(x) | Num::Py(x) => x,
        }
    }

    fn to_f32(self) -> f32 {
        match self {
            Num::F32(x) => x,
            Num::F64(x) | Num::Py(x) => x as f32,
        }
    }

    /// The operands as numpy promotes them.
    fn promote(self, other: Num) -> Promoted {
        match (self, other) {
            (Num::F32(a), Num::F32(b)) => Promoted::F32(a, b),
            (Num::F32(a), Num::Py(b)) => Promoted::F32(a, b as f32),
            (Num::Py(a), Num::F32(b)) => Promoted::F32(a as f32, b),
            (Num::Py(a), Num::Py(b)) => Promoted::Py(a, b),
            (a, b) => Promoted::F64(a.value(), b.value()),
        }
    }

    fn binary(self, other: Num, op32: fn(f32, f32) -> f32, op64: fn(f64, f64) -> f64) -> Num {
        match self.promote(other) {
            Promoted::F32(a, b) => Num::F32(op32(a, b)),
            Promoted::F64(a, b) => Num::F64(op64(a, b)),
            Promoted::Py(a, b) => Num::Py(op64(a, b)),
        }
    }

    /// Compares with a Python number (converted to float32 when `self` is a float32).
    fn compare(self, other: f64) -> Option<Ordering> {
        match self.promote(Num::Py(other)) {
            Promoted::F32(a, b) => a.partial_cmp(&b),
            Promoted::F64(a, b) | Promoted::Py(a, b) => a.partial_cmp(&b),
        }
    }

    fn above(self, other: f64) -> bool {
        self.compare(other) == Some(Ordering::Greater)
    }
    fn below(self, other: f64) -> bool {
        self.compare(other) == Some(Ordering::Less)
    }
    fn at_least(self, other: f64) -> bool {
        matches!(self.compare(other), Some(Ordering::Greater | Ordering::Equal))
    }
    fn equals(self, other: f64) -> bool {
        self.compare(other) == Some(Ordering::Equal)
    }
}

/// Two operands after numpy's type promotion.
enum Promoted {
    F32(f32, f32),
    F64(f64, f64),
    /// Two Python floats: the result stays a Python float.
    Py(f64, f64),
}

impl Add for Num {
    type Output = Num;
    fn add(self, other: Num) -> Num {
        self.binary(other, |a, b| a + b, |a, b| a + b)
    }
}

impl Sub for Num {
    type Output = Num;
    fn sub(self, other: Num) -> Num {
        self.binary(other, |a, b| a - b, |a, b| a - b)
    }
}

impl Mul for Num {
    type Output = Num;
    fn mul(self, other: Num) -> Num {
        self.binary(other, |a, b| a * b, |a, b| a * b)
    }
}

impl Env for ContinuousMountainCar {
    fn observation_space(&self) -> &Space {
        &self.obs_space
    }
    fn action_space(&self) -> &Space {
        &self.act_space
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let obs = self.do_reset(seed, options)?;
        Ok((Value::F32(obs.to_vec()), Info::new()))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let (obs, t) = self.advance(action)?;
        Ok(Step {
            obs: Value::F32(obs.to_vec()),
            reward: t.reward,
            terminated: t.terminated,
            truncated: false,
            info: Info::new(),
        })
    }
    fn reset_into(&mut self, seed: Option<u64>, out: &mut [f32]) -> Result<()> {
        let obs = self.do_reset(seed, &Options::new())?;
        out.iter_mut().zip(obs).for_each(|(o, x)| *o = x);
        Ok(())
    }
    fn step_into(&mut self, action: &Value, out: &mut [f32]) -> Result<Transition> {
        let (obs, t) = self.advance(action)?;
        out.iter_mut().zip(obs).for_each(|(o, x)| *o = x);
        Ok(t)
    }
    fn render(&self) -> Result<Frame> {
        let [position, _] = self.state.ok_or(EnvError::NotReset)?;
        Ok(crate::render::classic::mountain_car(position.value(), GOAL_POSITION))
    }
    fn render_fps(&self) -> u32 {
        30
    }
    fn observation_painter(&self) -> Option<crate::render::ObservationPainter> {
        Some(crate::render::classic::mountain_car_painter(GOAL_POSITION))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_floats_take_the_numpy_operands_type() {
        // np.float32(0.5) * 0.0015 is a float32 product: 0.000750000006519258 as a float64.
        let Num::F32(product) = Num::F32(0.5) * Num::Py(POWER) else { panic!("not a float32") };
        assert_eq!(f64::from(product), 0.000750000006519258);
        assert!(matches!(Num::F64(0.0) + Num::F32(1.0), Num::F64(_)));
        assert!(matches!(Num::Py(1.0) - Num::Py(2.0), Num::Py(_)));
        // np.float32(0.07) > 0.07 is False and == is True: 0.07 becomes a float32.
        assert!(!Num::F32(0.07).above(0.07) && Num::F32(0.07).equals(0.07));
        assert!(Num::F64(f64::from(0.07f32)).above(0.07));
    }
}
