//! Wrappers: owned, composable layers over an [`crate::Env`], one per file, as in Gymnasium.

mod order_enforcing;
mod time_limit;

pub use order_enforcing::OrderEnforcing;
pub use time_limit::TimeLimit;
