//! Hierarchical controllers: a slower controller chooses what to do, a faster one does it.
//!
//! - [`option_critic`]: options (intra-option policies with their terminations) and a policy
//!   over options, one network trained end to end by PPO ([`option_network`]);
//!
//! The controller's choice (the option in force, the goal) is part of each row's state in the
//! acting session, so evaluation, GIFs, traces and checkpoints see it without knowing the
//! hierarchy; each step's choice also comes back in the acted batch's named traces.

pub mod goals;
pub mod option_critic;
pub mod option_network;
