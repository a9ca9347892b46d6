//! Hand-coded experts for the classic-control environments: a rule from the observation to an
//! action that meets Gymnasium's reward threshold, for demonstrations, DAgger's labels and
//! reference scores without training. The rules are those of `scripted_experts.py` in the
//! reference material; over reset seeds 0..99 they score CartPole-v1 500.00,
//! MountainCar-v0 -108.76, MountainCarContinuous-v0 90.80, Acrobot-v1 -84.35 and
//! Pendulum-v1 -144.77 (mean return).
//!
//! The arithmetic is float32, as numpy 2 does it on the float32 observation (a Python float
//! times a `np.float32` stays float32), so decisions on the boundary fall the same way.

use crate::error::{EnvError, Result};
use crate::value::Value;

/// An expert: the action for a flat float32 observation.
pub type ClassicExpert = fn(&[f32]) -> Value;

/// The classic-control ids that have an expert.
pub const EXPERT_IDS: [&str; 5] =
    ["CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1", "Pendulum-v1"];

/// The expert for a classic-control id.
pub fn expert_for(id: &str) -> Result<ClassicExpert> {
    Ok(match id {
        "CartPole-v1" => cartpole,
        "MountainCar-v0" => mountain_car,
        "MountainCarContinuous-v0" => mountain_car_continuous,
        "Acrobot-v1" => acrobot,
        "Pendulum-v1" => pendulum,
        other => {
            return Err(EnvError::Unsupported(format!(
                "no scripted expert for `{other}`; classic-control experts exist for: {}",
                EXPERT_IDS.join(", ")
            )))
        }
    })
}

/// Push the cart towards where the pole is falling, with a little damping of position and
/// velocity: `th + 0.5 thd + 0.01 x + 0.1 xd > 0` pushes right.
pub fn cartpole(obs: &[f32]) -> Value {
    let [x, xd, th, thd] = first::<4>(obs);
    Value::Int((th + 0.5 * thd + 0.01 * x + 0.1 * xd > 0.0) as i64)
}

/// Pump energy: accelerate along the velocity; from rest in the left half, push right.
fn push_right(obs: &[f32]) -> bool {
    let [position, velocity] = first::<2>(obs);
    velocity > 0.0 || (velocity == 0.0 && position < -0.5)
}

pub fn mountain_car(obs: &[f32]) -> Value {
    Value::Int(if push_right(obs) { 2 } else { 0 })
}

pub fn mountain_car_continuous(obs: &[f32]) -> Value {
    Value::F32(vec![if push_right(obs) { 1.0 } else { -1.0 }])
}

/// Torque with the sign of the second joint's angular velocity (index 5 of the observation).
pub fn acrobot(obs: &[f32]) -> Value {
    let dtheta2 = obs.get(5).copied().unwrap_or(0.0);
    Value::Int(if dtheta2 > 0.0 { 2 } else { 0 })
}

/// Energy pumping, then a PD controller near the top. With g = 10 and m = l = 1 the energy
/// relative to upright is `0.5 w^2 - 15 (1 - cos th)`: below zero, push along the swing; above,
/// brake; within `cos th > 0.9, |w| < 4`, `u = -(10 th + 2 w)`; clipped to [-2, 2].
pub fn pendulum(obs: &[f32]) -> Value {
    let [c, s, w] = first::<3>(obs);
    let th = s.atan2(c);
    let energy = 0.5 * w * w - 15.0 * (1.0 - c);
    let u = if c > 0.9 && w.abs() < 4.0 {
        -(10.0 * th + 2.0 * w)
    } else if energy < 0.0 {
        2.0 * sign(if w != 0.0 { w } else { 1.0 })
    } else {
        -2.0 * sign(w)
    };
    Value::F32(vec![u.clamp(-2.0, 2.0)])
}

/// numpy's `sign`: 0 at 0.
fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// The first `N` numbers of an observation (zeros where it is shorter: the env checks shapes).
fn first<const N: usize>(obs: &[f32]) -> [f32; N] {
    std::array::from_fn(|i| obs.get(i).copied().unwrap_or(0.0))
}
