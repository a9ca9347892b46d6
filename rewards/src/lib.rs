//! limbic-rewards: the registry of intrinsic rewards, internal cost functions that differ by
//! signal and change over development.
//!
//! - [`signal`]: the [`IntrinsicReward`] contract every signal implements.

pub mod signal;

pub use signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
