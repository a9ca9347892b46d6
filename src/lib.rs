//! limbic: train reinforcement-learning agents shaped by internal cost functions.
//!
//! The platform crate. Today it holds the command line (`limbic`) over the environment layer;
//! the experiment runner, configs and run artifacts arrive with the training issue.
//!
//! - [`environments`]: Gymnasium-faithful environments, spaces, wrappers, vector envs, registry.

pub use limbic_environments as environments;
