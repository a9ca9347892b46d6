//! Pendulum swing-up, exactly as gymnasium 1.4.0's `pendulum.py`.

use super::numerics::{pow2, pow2_f32};
use crate::env::{check_option_keys, option_f64, Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::render::Frame;
use crate::rng::Generator;
use crate::space::{DType, Space};
use crate::value::Value;
use std::f64::consts::PI;

const MAX_SPEED: f64 = 8.0;
const MAX_TORQUE: f32 = 2.0;
const DT: f64 = 0.05;
const M: f64 = 1.0;
const L: f64 = 1.0;
/// Default reset bounds: theta in [-pi, pi], theta_dot in [-1, 1].
const DEFAULT_X: f64 = PI;
const DEFAULT_Y: f64 = 1.0;

/// A pendulum with a weak motor: apply a torque in [-2, 2] (values beyond are clipped) to swing it
/// up and hold it upright (theta = 0). Never terminates; the reward is minus a cost of angle,
/// speed and torque.
///
/// State `[theta, theta_dot]` in f64 (theta is not wrapped); observation `[cos theta, sin theta,
/// theta_dot]` in f32.
#[derive(Clone, Debug)]
pub struct Pendulum {
    state: Option<[f64; 2]>,
    /// The clipped torque of the last step, for rendering.
    last_u: Option<f32>,
    rng: Option<Generator>,
    g: f64,
    obs_space: Space,
    act_space: Space,
}

impl Default for Pendulum {
    fn default() -> Self {
        Self::new(10.0)
    }
}

impl Pendulum {
    /// `g`: the gravitational acceleration (Gymnasium's default 10.0).
    pub fn new(g: f64) -> Self {
        let high = [1.0, 1.0, MAX_SPEED];
        let low = high.map(|h| -h);
        Pendulum {
            state: None,
            last_u: None,
            rng: None,
            g,
            obs_space: Space::vector_box(&low, &high, DType::Float32),
            act_space: Space::uniform_box(-f64::from(MAX_TORQUE), f64::from(MAX_TORQUE), &[1], DType::Float32),
        }
    }

    /// The env's RNG (numpy's `np_random`), once reset: wrappers that draw from the same
    /// stream (POPGym's observation noise) continue it.
    pub(crate) fn rng_mut(&mut self) -> Option<&mut Generator> {
        self.rng.as_mut()
    }

    /// The internal f64 state `[theta, theta_dot]`, once reset.
    pub fn state(&self) -> Option<[f64; 2]> {
        self.state
    }

    /// Draws `uniform(-high, high)` for `high = [x_init, y_init]` (defaults pi and 1).
    fn do_reset(&mut self, seed: Option<u64>, options: &Options) -> Result<[f64; 2]> {
        check_option_keys(options, &["x_init", "y_init"])?;
        let (x, y) = (half_width(options, "x_init", DEFAULT_X)?, half_width(options, "y_init", DEFAULT_Y)?);
        let rng = super::reseed(&mut self.rng, seed);
        let state = [rng.uniform(-x, x), rng.uniform(-y, y)];
        self.state = Some(state);
        self.last_u = None;
        Ok(state)
    }

    fn advance(&mut self, action: &Value) -> Result<([f64; 2], Transition)> {
        let u = super::scalar_action(&self.act_space, action)?.clamp(-MAX_TORQUE, MAX_TORQUE);
        let [th, thdot] = self.state.ok_or(EnvError::NotReset)?;
        self.last_u = Some(u);
        // `0.001 * (u**2)` and `3.0 / (m * l**2) * u` are float32 products (u is a float32).
        let costs = pow2(angle_normalize(th)) + 0.1 * pow2(thdot) + f64::from(0.001 * pow2_f32(u));
        let torque_acc = f64::from((3.0 / (M * (L * L))) as f32 * u);
        let newthdot = thdot + (3.0 * self.g / (2.0 * L) * th.sin() + torque_acc) * DT;
        let newthdot = newthdot.clamp(-MAX_SPEED, MAX_SPEED);
        let newth = th + newthdot * DT;
        let state = [newth, newthdot];
        self.state = Some(state);
        Ok((state, Transition { reward: -costs, terminated: false, truncated: false }))
    }
}

/// An `x_init`/`y_init` reset option: the half-width of the range drawn from.
fn half_width(options: &Options, key: &str, default: f64) -> Result<f64> {
    let x = option_f64(options, key, default)?;
    // numpy's `uniform` refuses an infinite range `high - low`.
    if (x - (-x)).is_finite() {
        Ok(x)
    } else {
        Err(EnvError::BadOption { key: key.into(), message: format!("{x} makes the range [-{x}, {x}] infinite") })
    }
}

/// `((x + pi) % (2 pi)) - pi` with numpy's floored remainder (the sign of the divisor).
fn angle_normalize(x: f64) -> f64 {
    let turn = 2.0 * PI;
    let r = (x + PI) % turn;
    let r = if r < 0.0 {
        r + turn
    } else if r == 0.0 {
        0.0
    } else {
        r
    };
    r - PI
}

fn obs(s: &[f64; 2]) -> [f32; 3] {
    [s[0].cos(), s[0].sin(), s[1]].map(|x| x as f32)
}

impl Env for Pendulum {
    fn observation_space(&self) -> &Space {
        &self.obs_space
    }
    fn action_space(&self) -> &Space {
        &self.act_space
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let state = self.do_reset(seed, options)?;
        Ok((Value::F32(obs(&state).to_vec()), Info::new()))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let (state, t) = self.advance(action)?;
        Ok(Step {
            obs: Value::F32(obs(&state).to_vec()),
            reward: t.reward,
            terminated: false,
            truncated: false,
            info: Info::new(),
        })
    }
    fn reset_into(&mut self, seed: Option<u64>, out: &mut [f32]) -> Result<()> {
        let state = self.do_reset(seed, &Options::new())?;
        out.iter_mut().zip(obs(&state)).for_each(|(o, x)| *o = x);
        Ok(())
    }
    fn step_into(&mut self, action: &Value, out: &mut [f32]) -> Result<Transition> {
        let (state, t) = self.advance(action)?;
        out.iter_mut().zip(obs(&state)).for_each(|(o, x)| *o = x);
        Ok(t)
    }
    fn render(&self) -> Result<Frame> {
        let [theta, _] = self.state.ok_or(EnvError::NotReset)?;
        Ok(crate::render::classic::pendulum(theta, self.last_u.map(f64::from)))
    }
    fn render_fps(&self) -> u32 {
        30
    }
    fn observation_painter(&self) -> Option<crate::render::ObservationPainter> {
        Some(std::sync::Arc::new(crate::render::classic::paint_pendulum))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angle_normalize_is_numpys_floored_remainder() {
        // `((x + np.pi) % (2 * np.pi)) - np.pi` on np.float64, printed by numpy 2.4.6.
        let cases = [
            (-4.0, 2.2831853071795862),
            (7.5, 1.2168146928204138),
            (-PI, -PI),
            (PI, -PI),
            (100.25, -0.28096491487337616),
        ];
        for (x, want) in cases {
            assert_eq!(angle_normalize(x), want, "{x}");
        }
    }
}
