//! The one error type of the dataset layer: every message names the file (and the episode) at fault.

use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DatasetError {
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// A file of the dataset exists but does not hold what the layout says it must.
    #[error("{}{}: {message}", .path.display(), episode_text(.episode))]
    Corrupt { path: PathBuf, episode: Option<u64>, message: String },
    #[error("{} already exists; pass --force to replace it", .0.display())]
    Exists(PathBuf),
    /// Something at a dataset's path that `--force` must not replace.
    #[error(
        "{} is {found}, not a dataset limbic recognises: --force replaces only a dataset (move or remove it yourself if you mean to replace it)",
        .path.display()
    )]
    NotReplaceable { path: PathBuf, found: String },
    #[error("{} is not a Minari dataset: {message}", .path.display())]
    NotADataset { path: PathBuf, message: String },
    /// Data that cannot be stored or read by limbic (a space or encoding it lacks).
    #[error("{0}")]
    Unsupported(String),
    /// An episode handed to the writer that does not fit the dataset.
    #[error("episode {episode}: {message}")]
    BadEpisode { episode: u64, message: String },
}

fn episode_text(episode: &Option<u64>) -> String {
    episode.map(|e| format!(" (episode {e})")).unwrap_or_default()
}

pub type Result<T> = std::result::Result<T, DatasetError>;

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DatasetError + '_ {
    move |source| DatasetError::Io { path: path.to_path_buf(), source }
}

pub(crate) fn corrupt(path: &Path, episode: Option<u64>, message: impl Into<String>) -> DatasetError {
    DatasetError::Corrupt { path: path.to_path_buf(), episode, message: message.into() }
}
