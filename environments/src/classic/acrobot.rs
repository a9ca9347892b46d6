//! Acrobot (Sutton 1996; Sutton & Barto's book dynamics), exactly as gymnasium 1.4.0's
//! `acrobot.py`.

use super::discrete_action;
use super::numerics::{cos_f32, pow2, sin_f32};
use crate::env::{check_option_keys, reset_bounds, Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::render::Frame;
use crate::rng::Generator;
use crate::space::{DType, Space};
use crate::value::Value;
use std::f64::consts::PI;

/// Integration step [s].
const DT: f64 = 0.2;
const LINK_LENGTH_1: f64 = 1.0;
const LINK_MASS_1: f64 = 1.0;
const LINK_MASS_2: f64 = 1.0;
/// Positions of the links' centres of mass.
const LINK_COM_POS_1: f64 = 0.5;
const LINK_COM_POS_2: f64 = 0.5;
/// Moment of inertia of either link.
const LINK_MOI: f64 = 1.0;
const G: f64 = 9.8;
const MAX_VEL_1: f64 = 4.0 * PI;
const MAX_VEL_2: f64 = 9.0 * PI;
/// The torque of actions 0, 1 and 2.
const AVAIL_TORQUE: [f64; 3] = [-1.0, 0.0, 1.0];
/// `wrap` shifts an angle one turn at a time, as the reference does; beyond this many radians
/// (reachable only with extreme reset options, where the reference loops for minutes or
/// forever) it first takes the remainder.
const WRAP_LOOP_LIMIT: f64 = 1e6;

/// Two links hanging from a pivot, torque on the joint between them: apply -1 (0), 0 (1) or
/// +1 (2) to swing the free end above the bar. Reward -1 per step until it is.
///
/// State `[theta1, theta2, dtheta1, dtheta2]` in f64 (the reset draws are rounded to f32, as in
/// the reference); observation `[cos theta1, sin theta1, cos theta2, sin theta2, dtheta1,
/// dtheta2]` in f32.
#[derive(Clone, Debug)]
pub struct Acrobot {
    state: Option<[f64; 4]>,
    rng: Option<Generator>,
    obs_space: Space,
    act_space: Space,
}

impl Default for Acrobot {
    fn default() -> Self {
        Self::new()
    }
}

impl Acrobot {
    pub fn new() -> Self {
        let high: Vec<f64> = [1.0, 1.0, 1.0, 1.0, MAX_VEL_1, MAX_VEL_2].iter().map(|&h| h as f32 as f64).collect();
        let low: Vec<f64> = high.iter().map(|h| -h).collect();
        Acrobot {
            state: None,
            rng: None,
            obs_space: Space::vector_box(&low, &high, DType::Float32),
            act_space: Space::discrete(3),
        }
    }

    /// The internal f64 state `[theta1, theta2, dtheta1, dtheta2]`, once reset.
    pub fn state(&self) -> Option<[f64; 4]> {
        self.state
    }

    /// Draws `uniform(low, high, size=4).astype(float32)`; the observation is computed in
    /// float32 (numpy's float32 `cos`/`sin`) because the state is float32 until the first step.
    fn do_reset(&mut self, seed: Option<u64>, options: &Options) -> Result<[f32; 6]> {
        check_option_keys(options, &["low", "high"])?;
        let (low, high) = reset_bounds(options, -0.1, 0.1)?;
        let rng = super::reseed(&mut self.rng, seed);
        let s = [(); 4].map(|_| rng.uniform(low, high) as f32);
        self.state = Some(s.map(f64::from));
        Ok([cos_f32(s[0]), sin_f32(s[0]), cos_f32(s[1]), sin_f32(s[1]), s[2], s[3]])
    }

    fn advance(&mut self, action: &Value) -> Result<([f64; 4], Transition)> {
        let action = discrete_action(&self.act_space, action)?;
        let s = self.state.ok_or(EnvError::NotReset)?;
        let torque = usize::try_from(action).ok().and_then(|a| AVAIL_TORQUE.get(a)).copied().unwrap_or(0.0);
        let ns = rk4([s[0], s[1], s[2], s[3], torque]);
        let state = [wrap(ns[0]), wrap(ns[1]), bound(ns[2], MAX_VEL_1), bound(ns[3], MAX_VEL_2)];
        self.state = Some(state);
        let terminated = -state[0].cos() - (state[1] + state[0]).cos() > 1.0;
        let reward = if terminated { 0.0 } else { -1.0 };
        Ok((state, Transition { reward, terminated, truncated: false }))
    }
}

/// One classic Runge-Kutta step of `DT` over `[theta1, theta2, dtheta1, dtheta2, torque]`, in
/// the operation order of the reference's `rk4` (numpy element-wise arithmetic).
fn rk4(y0: [f64; 5]) -> [f64; 4] {
    let dt2 = DT / 2.0;
    let shifted = |k: &[f64; 5], h: f64| std::array::from_fn(|i| y0[i] + h * k[i]);
    let k1 = derivatives(&y0);
    let k2 = derivatives(&shifted(&k1, dt2));
    let k3 = derivatives(&shifted(&k2, dt2));
    let k4 = derivatives(&shifted(&k3, DT));
    std::array::from_fn(|i| y0[i] + DT / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
}

/// The reference's `_dsdt` with the book's equations (`book_or_nips = "book"`). Every `**2` of a
/// numpy number is libm's `pow` ([`pow2`]); those of Python constants are exact.
fn derivatives(s: &[f64; 5]) -> [f64; 5] {
    let (m1, m2, l1, lc1, lc2) = (LINK_MASS_1, LINK_MASS_2, LINK_LENGTH_1, LINK_COM_POS_1, LINK_COM_POS_2);
    let (i1, i2) = (LINK_MOI, LINK_MOI);
    let [theta1, theta2, dtheta1, dtheta2, a] = *s;
    let d1 = m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2.0 * l1 * lc2 * theta2.cos()) + i1 + i2;
    let d2 = m2 * (lc2 * lc2 + l1 * lc2 * theta2.cos()) + i2;
    let phi2 = m2 * lc2 * G * (theta1 + theta2 - PI / 2.0).cos();
    let phi1 = -m2 * l1 * lc2 * pow2(dtheta2) * theta2.sin() - 2.0 * m2 * l1 * lc2 * dtheta2 * dtheta1 * theta2.sin()
        + (m1 * lc1 + m2 * l1) * G * (theta1 - PI / 2.0).cos()
        + phi2;
    let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * pow2(dtheta1) * theta2.sin() - phi2)
        / (m2 * (lc2 * lc2) + i2 - pow2(d2) / d1);
    let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    [dtheta1, dtheta2, ddtheta1, ddtheta2, 0.0]
}

/// The reference's `wrap(x, -pi, pi)`: whole turns added or subtracted until x is in [-pi, pi].
fn wrap(x: f64) -> f64 {
    let turn = PI - (-PI);
    let mut x = if x.abs() > WRAP_LOOP_LIMIT { x % turn } else { x };
    while x > PI {
        x -= turn;
    }
    while x < -PI {
        x += turn;
    }
    x
}

/// The reference's `bound(x, -limit, limit)`: Python's `min(max(x, -limit), limit)`, which
/// passes NaN through.
fn bound(x: f64, limit: f64) -> f64 {
    let x = if -limit > x { -limit } else { x };
    if limit < x {
        limit
    } else {
        x
    }
}

fn obs(s: &[f64; 4]) -> [f32; 6] {
    [s[0].cos(), s[0].sin(), s[1].cos(), s[1].sin(), s[2], s[3]].map(|x| x as f32)
}

impl Env for Acrobot {
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
        let (state, t) = self.advance(action)?;
        Ok(Step {
            obs: Value::F32(obs(&state).to_vec()),
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
        let (state, t) = self.advance(action)?;
        out.iter_mut().zip(obs(&state)).for_each(|(o, x)| *o = x);
        Ok(t)
    }
    fn render(&self) -> Result<Frame> {
        Ok(crate::render::classic::acrobot(&self.state.ok_or(EnvError::NotReset)?))
    }
    fn render_fps(&self) -> u32 {
        15
    }
    fn observation_painter(&self) -> Option<crate::render::ObservationPainter> {
        Some(std::sync::Arc::new(crate::render::classic::paint_acrobot))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_shifts_by_whole_turns_and_ends_on_any_input() {
        let turn = 2.0 * PI;
        assert_eq!(wrap(3.5), 3.5 - turn);
        assert_eq!(wrap(-10.0), -10.0 + turn + turn);
        assert_eq!(wrap(PI), PI);
        for huge in [1e7, -3e12, f64::MAX] {
            assert!(wrap(huge).abs() <= PI, "{huge}");
        }
        assert!(wrap(f64::INFINITY).is_nan() && wrap(f64::NAN).is_nan());
    }

    #[test]
    fn bound_clips_like_python_min_max() {
        assert_eq!(bound(100.0, MAX_VEL_1), MAX_VEL_1);
        assert_eq!(bound(-100.0, MAX_VEL_2), -MAX_VEL_2);
        assert_eq!(bound(1.5, MAX_VEL_1), 1.5);
        assert!(bound(f64::NAN, MAX_VEL_1).is_nan());
    }
}
