//! Wrappers: owned, composable layers over an [`crate::Env`], one per file, as in Gymnasium.
//!
//! Each is a generic struct `Wrapper<E: Env>` that is itself an `Env`, so stacks nest without
//! boxing: `NormalizeReward::new(NormalizeObservation::new(TimeLimit::new(env, 500))?)`.
//! Wrappers that leave the observation alone forward the fast paths (`reset_into`/`step_into`)
//! untouched; those that change it work on the buffer where they can do so exactly.

mod absorb_after_done;
mod advised;
mod antialias;
mod append_to_obs;
mod clip_action;
mod flatten_observation;
mod frame_stack_observation;
mod mask_observation;
mod normalize_observation;
mod normalize_reward;
mod order_enforcing;
mod previous_action;
mod record_episode_statistics;
mod rescale_action;
mod running_mean_std;
mod spec;
mod time_limit;
mod transform_reward;

pub use absorb_after_done::AbsorbAfterDone;
pub use advised::Advised;
pub use antialias::Antialias;
pub use clip_action::ClipAction;
pub use flatten_observation::FlattenObservation;
pub use frame_stack_observation::{FrameStackObservation, Padding};
pub use mask_observation::MaskObservation;
pub use normalize_observation::NormalizeObservation;
pub use normalize_reward::NormalizeReward;
pub use order_enforcing::OrderEnforcing;
pub use previous_action::{null_action, PreviousAction};
pub use record_episode_statistics::{EpisodeStatistics, RecordEpisodeStatistics};
pub use rescale_action::RescaleAction;
pub use running_mean_std::{Precision, RunningMeanStd, INITIAL_COUNT};
pub use spec::{wrap, wrap_with, WrapperSpec};
pub use time_limit::TimeLimit;
pub use transform_reward::TransformReward;

use crate::env::{Env, Options, Transition};
use crate::error::{EnvError, Result};
use crate::space::{BoxSpace, DType, Space};
use crate::value::Value;

/// Whether the flat f32 encoding of this space's elements is exactly their numbers (Box of
/// float32, uint8 or int8; MultiBinary), so a wrapper can work on the fast path's buffer.
fn flat_is_exact(space: &Space) -> bool {
    match space {
        Space::Box(b) => matches!(b.dtype, DType::Float32 | DType::UInt8 | DType::Int8),
        Space::MultiBinary { .. } => true,
        _ => false,
    }
}

/// Refuses an observation buffer whose length is not the observation space's flat dimension.
pub(crate) fn check_buffer(buffer: &[f32], space: &Space) -> Result<()> {
    let dim = space.flat_dim()?;
    if buffer.len() == dim {
        Ok(())
    } else {
        Err(EnvError::BadSpace(format!(
            "observation buffer has {} numbers, the observation space {} needs {dim}",
            buffer.len(),
            space.describe()
        )))
    }
}

/// The Box inside an action space, or an error that names the wrapper needing it.
fn box_action_space<'a>(space: &'a Space, wrapper: &str) -> Result<&'a BoxSpace> {
    space
        .as_box()
        .ok_or_else(|| EnvError::BadSpace(format!("{wrapper} requires a Box action space, got {}", space.describe())))
}

/// `Box(-inf, inf)` of the same shape and dtype (the space of actions a wrapper accepts).
fn unbounded(b: &BoxSpace) -> Space {
    Space::uniform_box(f64::NEG_INFINITY, f64::INFINITY, &b.shape, b.dtype)
}

/// The error for a wrapper parameter out of its range.
pub(crate) fn bad_param(key: &str, message: impl Into<String>) -> EnvError {
    EnvError::BadKwarg { key: key.into(), message: message.into() }
}

/// The fast path done the slow way: `reset`, then flatten (for wrappers whose observation the
/// buffer cannot hold exactly while they work).
fn reset_via_value(env: &mut impl Env, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
    check_buffer(obs, env.observation_space())?;
    let (value, _) = env.reset(seed, &Options::new())?;
    env.observation_space().flatten_into(&value, obs)
}

/// `step`, then flatten: see [`reset_via_value`].
fn step_via_value(env: &mut impl Env, action: &Value, obs: &mut [f32]) -> Result<Transition> {
    check_buffer(obs, env.observation_space())?;
    let step = env.step(action)?;
    env.observation_space().flatten_into(&step.obs, obs)?;
    Ok(Transition { reward: step.reward, terminated: step.terminated, truncated: step.truncated })
}
