//! Gymnasium's classic-control environments, exact to gymnasium 1.4.0.

mod acrobot;
mod cartpole;
mod continuous_mountain_car;
pub mod experts;
mod mountain_car;
mod no_velocity;
mod numerics;
mod pendulum;

pub use acrobot::Acrobot;
pub use cartpole::CartPole;
pub(crate) use cartpole::{dynamics, force, pole_trig};
pub use continuous_mountain_car::ContinuousMountainCar;
pub use mountain_car::MountainCar;
pub use pendulum::Pendulum;

use crate::env::{check_action, Env};
use crate::error::{EnvError, Result};
use crate::registry::{kwarg_bool, kwarg_f64, EnvSpec};
use crate::rng::Generator;
use crate::space::Space;
use crate::value::Value;
use serde_json::json;

/// Gymnasium's `super().reset(seed)`: a seed re-creates the RNG, `None` keeps it (or seeds one
/// from OS entropy the first time).
pub(crate) fn reseed(rng: &mut Option<Generator>, seed: Option<u64>) -> &mut Generator {
    match seed {
        Some(s) => rng.insert(Generator::from_seed(s)),
        None => rng.get_or_insert_with(Generator::from_entropy),
    }
}

/// Writes f64 state as the f32 observation numpy's `astype(float32)` gives.
pub(crate) fn write_f32(state: &[f64], out: &mut [f32]) {
    for (o, &s) in out.iter_mut().zip(state) {
        *o = s as f32;
    }
}

/// A discrete action, checked against its space.
pub(crate) fn discrete_action(space: &Space, action: &Value) -> Result<i64> {
    check_action(space, action)?;
    action
        .as_int()
        .ok_or_else(|| EnvError::InvalidAction { action: action.to_string(), reason: "not an integer".into() })
}

/// The one number of a `Box(shape=(1,), float32)` action. Values outside the bounds are accepted,
/// as Gymnasium's continuous envs accept and clip them; NaN and infinities are refused.
pub(crate) fn scalar_action(space: &Space, action: &Value) -> Result<f32> {
    let invalid = |reason: &str| EnvError::InvalidAction { action: action.to_string(), reason: reason.into() };
    match action.as_f32() {
        Some(&[a]) if a.is_finite() => Ok(a),
        Some(&[_]) => Err(invalid("the action must be a finite number")),
        _ => Err(invalid(&format!("expected a float32 array of shape [1] (an element of {})", space.describe()))),
    }
}

/// The registry entries of the classic-control environments, with Gymnasium's limits.
pub(crate) fn specs() -> Vec<EnvSpec> {
    let cartpole = |id: &str, steps: usize, threshold: f64| {
        EnvSpec::new(
            id,
            |kw| Ok(Box::new(CartPole::new(kwarg_bool(kw, "sutton_barto_reward", false)?)) as Box<dyn Env>),
        )
        .max_episode_steps(steps)
        .reward_threshold(threshold)
        .kwarg("sutton_barto_reward", json!(false), "reward 0 per step and -1 on termination")
    };
    const GOAL_VELOCITY_DOC: &str = "the car must reach the goal with at least this velocity";
    vec![
        cartpole("CartPole-v0", 200, 195.0),
        cartpole("CartPole-v1", 500, 475.0),
        EnvSpec::new("MountainCar-v0", |kw| {
            Ok(Box::new(MountainCar::new(kwarg_f64(kw, "goal_velocity", 0.0)?)) as Box<dyn Env>)
        })
        .max_episode_steps(200)
        .reward_threshold(-110.0)
        .kwarg("goal_velocity", json!(0), GOAL_VELOCITY_DOC),
        EnvSpec::new("MountainCarContinuous-v0", |kw| {
            Ok(Box::new(ContinuousMountainCar::new(kwarg_f64(kw, "goal_velocity", 0.0)?)) as Box<dyn Env>)
        })
        .max_episode_steps(999)
        .reward_threshold(90.0)
        .kwarg("goal_velocity", json!(0), GOAL_VELOCITY_DOC),
        EnvSpec::new("Acrobot-v1", |_| Ok(Box::new(Acrobot::new()) as Box<dyn Env>))
            .max_episode_steps(500)
            .reward_threshold(-100.0),
        EnvSpec::new("Pendulum-v1", |kw| Ok(Box::new(Pendulum::new(kwarg_f64(kw, "g", 10.0)?)) as Box<dyn Env>))
            .max_episode_steps(200)
            .kwarg("g", json!(10.0), "gravitational acceleration"),
    ]
    .into_iter()
    .chain(no_velocity::specs())
    .collect()
}
