//! Gymnasium's classic-control environments, exact to gymnasium 1.4.0.

mod cartpole;

pub use cartpole::CartPole;
pub(crate) use cartpole::{dynamics, force, pole_trig};

use crate::rng::Generator;

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

use crate::env::Env;
use crate::registry::{kwarg_bool, EnvSpec};
use serde_json::json;

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
    vec![cartpole("CartPole-v0", 200, 195.0), cartpole("CartPole-v1", 500, 475.0)]
}
