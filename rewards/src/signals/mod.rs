//! The built-in signals, one file each; every file exports `pub const ENTRY: SignalEntry`.

pub mod disagreement;
pub mod e3b;
pub mod gail;
pub mod icm;
pub mod ngu;
pub mod re3;
pub mod ride;
pub mod rnd;
