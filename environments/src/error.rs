//! The one error type of the environment layer.

use thiserror::Error;

/// Everything that can go wrong when building, resetting or stepping an environment.
///
/// Messages are written for the person who passed the bad input: they name the value and say
/// what was expected.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum EnvError {
    #[error("unknown environment id `{id}`{}", suggest(.suggestions))]
    UnknownEnv { id: String, suggestions: Vec<String> },
    #[error("environment `{id}` has no keyword argument `{key}`; valid keys: {}", list(.valid))]
    UnknownKwarg { id: String, key: String, valid: Vec<String> },
    #[error("keyword argument `{key}`: {message}")]
    BadKwarg { key: String, message: String },
    #[error("reset option `{key}`: {message}")]
    BadOption { key: String, message: String },
    #[error("invalid action {action}: {reason}")]
    InvalidAction { action: String, reason: String },
    #[error("step() called before reset(); call reset() first")]
    NotReset,
    #[error("step() called after the episode ended (terminated or truncated); call reset() first")]
    EpisodeOver,
    #[error("environment `{id}` is already registered")]
    AlreadyRegistered { id: String },
    /// A random layout could not be generated (MiniGrid would raise or loop forever).
    #[error("could not generate the layout: {0}")]
    LayoutFailed(String),
    #[error("invalid space: {0}")]
    BadSpace(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Io(String),
    /// An error of one sub-environment of a vector env, with its index.
    #[error("sub-environment {index}: {source}")]
    SubEnv { index: usize, source: Box<EnvError> },
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_string()
    } else {
        items.join(", ")
    }
}

fn suggest(items: &[String]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", items.join(" or "))
    }
}

impl From<std::io::Error> for EnvError {
    fn from(e: std::io::Error) -> Self {
        EnvError::Io(e.to_string())
    }
}

pub type Result<T, E = EnvError> = std::result::Result<T, E>;
