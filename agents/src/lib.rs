//! limbic-agents: networks, policies and learners on burn (flex backend).
//!
//! [`Algorithm`] is the boundary with the platform: the runner in the root crate owns the vector
//! env, the run directory and the schedule of evaluations and checkpoints; an algorithm owns its
//! networks, optimizers, normalizers and RNG, and advances training one update at a time.

pub mod algorithm;
pub mod checkpoint;
pub mod distributions;
pub mod dqn;
pub mod error;
pub mod nets;
pub mod offpolicy;
pub mod replay;
pub mod sac;

pub use algorithm::{Algorithm, Update};
pub use error::{AgentError, Result};
