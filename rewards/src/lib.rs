//! limbic-rewards: the registry of intrinsic rewards.
//!
//! Nothing is implemented here yet: the reward registry arrives with its own issue. The crate
//! exists so the workspace already has the shape `environments <- agents <- rewards <- limbic`.
