//! limbic-rewards: the registry of intrinsic rewards, internal cost functions that differ by
//! signal and change over development.
//!
//! - [`signal`]: the [`IntrinsicReward`] contract every signal implements;
//! - [`models`]: what the neural signals share (networks, trainer, state as bytes);
//! - [`signals`]: the built-in signals, one module each.

pub mod models;
pub mod signal;
pub mod signals;

pub use signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
