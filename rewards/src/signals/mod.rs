//! The built-in signals, one file each; every file exports `pub const ENTRY: SignalEntry`,
//! listed in [`crate::registry::Registry::builtins`].

pub mod counts;
pub mod disagreement;
pub mod e3b;
pub mod evaluative;
pub mod extrinsic;
pub mod gail;
pub mod goal_reaching;
pub mod icm;
pub mod latent_disagreement;
pub mod model_error;
pub mod ngu;
pub mod preferences;
pub mod re3;
pub mod ride;
pub mod rnd;
