//! The error type of the agents crate.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum AgentError {
    #[error(transparent)]
    Env(#[from] limbic_environments::EnvError),
    /// A configuration value that cannot work (names the field and says why).
    #[error("config `{field}`: {message}")]
    Config { field: String, message: String },
    /// Training produced NaN or infinity: names the quantity and the update.
    #[error("training diverged at update {update}: {quantity} is {value}")]
    NonFinite { update: u64, quantity: String, value: f64 },
    /// A checkpoint that is missing, truncated, corrupt or from another setup.
    #[error("checkpoint {path}: {message}")]
    Checkpoint { path: String, message: String },
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Io(String),
}

pub type Result<T, E = AgentError> = std::result::Result<T, E>;
