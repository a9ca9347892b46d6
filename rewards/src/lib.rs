//! limbic-rewards: the registry of intrinsic rewards, internal cost functions that differ by
//! signal and change over development.
//!
//! - [`feedback`]: what passes between a social-feedback signal and its teacher;
//! - [`teachers`]: synthetic teachers (B-Pref's kinds, noisy/delayed/sparse evaluators);
//! - [`labels`]: a run's label file, and [`labels::Recorded`], a teacher whose labels land in it;
//! - [`asking`], [`learned`]: what the feedback signals share (clips, asking within a budget,
//!   the learned reward ensemble);
//! - [`signal`]: the [`IntrinsicReward`] contract every signal implements, and [`SignalEntry`],
//!   how a signal is named, documented and built;
//! - [`registry`]: [`Registry`], signals by name (built-ins and a user's own);
//! - [`signals`]: the built-in signals, one file each;
//! - [`models`]: what the neural signals share (networks, trainer, state as bytes);
//! - [`scaling`]: the scaling stage (reward normalization, observation normalization, weight
//!   schedules), applied once per signal;
//! - [`set`]: [`RewardSet`], a run's signals and their combination behind the learners'
//!   [`limbic_agents::shaping::RewardShaper`] hook.

pub mod asking;
pub mod feedback;
pub mod labels;
pub mod learned;
pub mod models;
pub mod registry;
pub mod scaling;
pub mod set;
pub mod signal;
pub mod signals;
pub mod teachers;

pub use registry::Registry;
pub use scaling::{Normalization, Schedule};
pub use set::{RewardSet, RewardSpec, StreamMode};
pub use signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
