//! The learners: [`ppo`] (on-policy, any policy, recurrent on sequences), [`dqn`] and [`sac`]
//! (off-policy, sharing [`offpolicy`]), [`dreamer`] (a world model and imagination). Each update reads top to bottom in its own file.

pub mod dqn;
pub mod dreamer;
pub mod offpolicy;
pub mod ppo;
pub mod sac;
