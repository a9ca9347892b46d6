//! The run directory: everything a training run leaves, each file written so that a crash at
//! any moment leaves the directory consistent.
//!
//! ```text
//! RUN/
//!   config.json            the resolved RunConfig
//!   metrics.jsonl          one JSON object per update, appended and flushed line by line
//!   checkpoints/
//!     step_<N>/            the last `keep_checkpoints` checkpoints, N = env steps
//!       algorithm/         Algorithm::save
//!       trainer.json       the runner's counters and recent episodes
//!       envs.json          the training envs (seeds and actions of the running episodes)
//!     best/                the checkpoint with the best evaluation so far, plus its eval.json
//!   eval.json              the final evaluation summary
//!   learning_curve.png     returns over env steps
//!   reward_signals.png     per reward signal: mean reward and weight (runs with signals)
//!   episode.gif            one evaluation episode
//! ```
//!
//! Files are written to a temporary name and renamed; a checkpoint is assembled in a temporary
//! folder and renamed whole, so a `step_<N>` folder is always complete.

use crate::config::RunConfig;
use anyhow::{bail, Context, Result};
use limbic_environments::render::write_atomically;
use serde_json::{Map, Value as Json};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const CONFIG: &str = "config.json";
pub const METRICS: &str = "metrics.jsonl";
pub const EVAL: &str = "eval.json";
pub const LEARNING_CURVE: &str = "learning_curve.png";
/// Per reward signal: its mean reward and weight over env steps (runs with reward signals).
pub const REWARD_SIGNALS: &str = "reward_signals.png";
pub const EPISODE_GIF: &str = "episode.gif";
const CHECKPOINTS: &str = "checkpoints";
const BEST: &str = "best";
const STEP_PREFIX: &str = "step_";
/// Prefix of folders being assembled; they are removed when found.
const TMP_PREFIX: &str = ".tmp-";
/// Where `best/` waits while its successor is renamed in.
const OLD_BEST: &str = ".old-best";

/// A run directory (see the [module docs](self)).
#[derive(Clone, Debug)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// Makes a new run directory for `config`: `root` must not exist or be empty.
    pub fn create(root: &Path, config: &RunConfig) -> Result<RunDir> {
        if std::fs::read_dir(root).is_ok_and(|mut entries| entries.next().is_some()) {
            bail!(
                "{} already exists and is not empty: continue it with `limbic train --resume {0}` or choose another --out",
                root.display()
            );
        }
        std::fs::create_dir_all(root.join(CHECKPOINTS)).with_context(|| format!("cannot create {}", root.display()))?;
        let run = RunDir { root: root.to_path_buf() };
        run.write_json(CONFIG, &serde_json::to_value(config)?)?;
        Ok(run)
    }

    /// Opens an existing run directory and finishes any interrupted `best/` replacement.
    pub fn open(root: &Path) -> Result<RunDir> {
        if !root.join(CONFIG).is_file() {
            bail!("{} is not a run directory (no {CONFIG})", root.display());
        }
        let run = RunDir { root: root.to_path_buf() };
        run.recover()?;
        Ok(run)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    pub fn config(&self) -> Result<RunConfig> {
        RunConfig::load(&self.path(CONFIG))
    }

    /// Writes pretty JSON to file `name` of the run atomically.
    pub fn write_json(&self, name: &str, value: &Json) -> Result<()> {
        write_json_file(&self.path(name), value)
    }

    /// The metrics log, cut to its first `keep` lines (those up to the checkpoint a run
    /// continues from; 0 for a new run), open for appending.
    pub fn metrics_log(&self, keep: u64) -> Result<MetricsLog> {
        let path = self.path(METRICS);
        let lines = read_lines(&path)?;
        if (lines.len() as u64) < keep {
            bail!("{} has {} complete lines, but the checkpoint is at update {keep}", path.display(), lines.len());
        }
        if lines.len() as u64 != keep || !ends_with_newline(&path)? {
            let kept: String = lines.iter().take(keep as usize).map(|l| format!("{l}\n")).collect();
            write_atomically(&path, kept.as_bytes())?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&path);
        let file = file.with_context(|| format!("cannot open {}", path.display()))?;
        Ok(MetricsLog { file, path, lines: keep })
    }

    /// Every complete line of `metrics.jsonl` (a torn last line is left out).
    pub fn read_metrics(&self) -> Result<Vec<Map<String, Json>>> {
        let path = self.path(METRICS);
        let parse = |(i, line): (usize, String)| match serde_json::from_str(&line) {
            Ok(Json::Object(map)) => Ok(map),
            _ => bail!("{} line {}: not a JSON object", path.display(), i + 1),
        };
        read_lines(&path)?.into_iter().enumerate().map(parse).collect()
    }

    /// Writes checkpoint `step_<step>` with `write` (which fills the folder it is given), then
    /// removes all but the latest `keep` checkpoints.
    pub fn save_checkpoint(&self, step: u64, keep: usize, write: impl FnOnce(&Path) -> Result<()>) -> Result<PathBuf> {
        let name = format!("{STEP_PREFIX}{step}");
        let path = self.assemble(&name, write)?;
        for (_, old) in self.checkpoints()?.iter().rev().skip(keep) {
            std::fs::remove_dir_all(old).with_context(|| format!("cannot remove {}", old.display()))?;
        }
        Ok(path)
    }

    /// Replaces `best/` with a checkpoint written by `write`.
    pub fn save_best(&self, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
        let dir = self.path(CHECKPOINTS);
        let tmp = dir.join(format!("{TMP_PREFIX}{BEST}"));
        fill_fresh(&tmp, write)?;
        let (best, old) = (dir.join(BEST), dir.join(OLD_BEST));
        if best.exists() {
            std::fs::rename(&best, &old).with_context(|| format!("cannot move {}", best.display()))?;
        }
        std::fs::rename(&tmp, &best)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), best.display()))?;
        remove_if_present(&old)
    }

    /// The periodic checkpoints, oldest first, with their env steps.
    pub fn checkpoints(&self) -> Result<Vec<(u64, PathBuf)>> {
        let dir = self.path(CHECKPOINTS);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
        };
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(step) = name.strip_prefix(STEP_PREFIX).and_then(|s| s.parse::<u64>().ok()) {
                found.push((step, entry.path()));
            }
        }
        found.sort();
        Ok(found)
    }

    pub fn latest_checkpoint(&self) -> Result<Option<PathBuf>> {
        Ok(self.checkpoints()?.pop().map(|(_, path)| path))
    }

    pub fn best_checkpoint(&self) -> Option<PathBuf> {
        Some(self.path(CHECKPOINTS).join(BEST)).filter(|p| p.is_dir())
    }

    /// Builds folder `name` under `checkpoints/` in a temporary folder, then renames it in.
    fn assemble(&self, name: &str, write: impl FnOnce(&Path) -> Result<()>) -> Result<PathBuf> {
        let dir = self.path(CHECKPOINTS);
        let (tmp, path) = (dir.join(format!("{TMP_PREFIX}{name}")), dir.join(name));
        fill_fresh(&tmp, write)?;
        remove_if_present(&path)?;
        std::fs::rename(&tmp, &path)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
        Ok(path)
    }

    /// Cleans up after a crash: folders half assembled are removed, and if the crash came
    /// between the two renames of [`RunDir::save_best`], the previous `best/` is put back.
    fn recover(&self) -> Result<()> {
        let dir = self.path(CHECKPOINTS);
        let (best, old) = (dir.join(BEST), dir.join(OLD_BEST));
        if !best.exists() && old.exists() {
            std::fs::rename(&old, &best).with_context(|| format!("cannot restore {}", best.display()))?;
        }
        remove_if_present(&old)?;
        let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(()) };
        for entry in entries {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
                remove_if_present(&entry.path())?;
            }
        }
        Ok(())
    }
}

/// `metrics.jsonl`, open for appending: each line is written whole and flushed.
pub struct MetricsLog {
    file: File,
    path: PathBuf,
    lines: u64,
}

impl MetricsLog {
    pub fn append(&mut self, line: &Map<String, Json>) -> Result<()> {
        let text = serde_json::to_string(line)? + "\n";
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.flush())
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.lines += 1;
        Ok(())
    }

    /// Lines in the log.
    pub fn lines(&self) -> u64 {
        self.lines
    }
}

/// Writes pretty JSON to `path` atomically.
pub fn write_json_file(path: &Path, value: &Json) -> Result<()> {
    let text = serde_json::to_string_pretty(value)? + "\n";
    write_atomically(path, text.as_bytes())?;
    Ok(())
}

/// Complete (newline-terminated) lines of a file; none if it does not exist.
fn read_lines(path: &Path) -> Result<Vec<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    Ok(complete.lines().filter(|l| !l.is_empty()).map(str::to_string).collect())
}

fn ends_with_newline(path: &Path) -> Result<bool> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes.last().is_none_or(|&b| b == b'\n')),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Empties (or creates) folder `tmp` and lets `write` fill it; removes it if `write` fails.
fn fill_fresh(tmp: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    remove_if_present(tmp)?;
    std::fs::create_dir_all(tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    write(tmp).inspect_err(|_| {
        let _ = std::fs::remove_dir_all(tmp);
    })
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}
