//! The run directory: everything a training run leaves, each file written so that a crash at
//! any moment leaves the directory consistent, and a reader never sees half of anything.
//!
//! ```text
//! RUN/
//!   config.json            the resolved RunConfig
//!   metrics.jsonl          one JSON object per update, appended and flushed line by line
//!   checkpoints/
//!     step_<N>/            the last `keep_checkpoints` checkpoints, N = env steps
//!       state.json         the manifest: length and checksum of every file below, the config
//!                          the checkpoint was written with, the digest of metrics.jsonl so far
//!       algorithm/         Algorithm::save
//!       trainer.json       the runner's counters and recent episodes
//!       envs.json          the training envs (seeds and actions of the running episodes)
//!     best/                the checkpoint with the best evaluation so far, plus its eval.json
//!   eval.json              the final evaluation summary
//!   learning_curve.png     returns over env steps
//!   reward_signals.png     per reward signal: raw and scaled bonus, advantage share, value
//!                          error, weight (runs with signals)
//!   episode.gif            one evaluation episode
//! ```
//!
//! Two roles: a [`RunDir`] reads (`eval`, `compare`, `demos record --policy`) and changes
//! nothing, not even leftovers of a crash; a [`RunWriter`] (`train`, `train --resume`,
//! `imitate --out`) owns the directory through a [`DirLock`] for as long as it writes, and
//! only it cleans up. Files are written to a temporary name and renamed; a checkpoint is
//! assembled in a temporary folder and renamed whole, and read back only after every file in
//! it matches its manifest (the one checkpoint format of `limbic_agents::core::checkpoint`).

use crate::config::RunConfig;
use crate::lock::DirLock;
use anyhow::{bail, Context, Result};
use limbic_agents::core::checkpoint::{checksum, CheckpointReader, CheckpointWriter};
use limbic_environments::render::write_atomically;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::ops::Deref;
use std::path::{Path, PathBuf};

pub const CONFIG: &str = "config.json";
pub const METRICS: &str = "metrics.jsonl";
pub const EVAL: &str = "eval.json";
pub const LEARNING_CURVE: &str = "learning_curve.png";
/// Per reward signal: its mean reward and weight over env steps (runs with reward signals).
pub const REWARD_SIGNALS: &str = "reward_signals.png";
pub const EPISODE_GIF: &str = "episode.gif";
/// What `limbic imitate --out` adds: its outcome.
pub const IMITATE: &str = "imitate.json";
pub const CHECKPOINTS: &str = "checkpoints";
/// The checkpoint subfolder holding the algorithm's own files.
pub const ALGORITHM_DIR: &str = "algorithm";
const BEST: &str = "best";
const STEP_PREFIX: &str = "step_";
/// Prefix of folders being assembled; the writer removes them when it finds them.
const TMP_PREFIX: &str = ".tmp-";
/// Where `best/` waits while its successor is renamed in.
const OLD_BEST: &str = ".old-best";
/// The tag of a run checkpoint's `state.json`.
const CHECKPOINT_FORMAT: &str = "limbic-run-checkpoint-1";

/// Everything limbic puts at the top of a run directory (besides temporary files).
pub const ENTRIES: [&str; 8] =
    [CONFIG, METRICS, CHECKPOINTS, EVAL, LEARNING_CURVE, REWARD_SIGNALS, EPISODE_GIF, IMITATE];

/// A run directory, for reading (see the [module docs](self)).
#[derive(Clone, Debug)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// A run directory to read: `root` must hold a `config.json`. Nothing is changed.
    pub fn open(root: &Path) -> Result<RunDir> {
        if !root.join(CONFIG).is_file() {
            if !root.exists() {
                bail!("{} does not exist", root.display());
            }
            bail!("{} is not a run directory (no {CONFIG})", root.display());
        }
        Ok(RunDir { root: root.to_path_buf() })
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

    /// The config as written, unchecked ([`RunConfig::read`]): to describe the run, not to build it.
    pub fn written_config(&self) -> Result<RunConfig> {
        RunConfig::read(&self.path(CONFIG))
    }

    /// Every complete line of `metrics.jsonl` (a torn last line is left out).
    pub fn read_metrics(&self) -> Result<Vec<Map<String, Json>>> {
        let path = self.path(METRICS);
        let parse = |(i, line): (usize, String)| match serde_json::from_str(&line) {
            Ok(Json::Object(map)) => Ok(map),
            _ => bail!("{} line {}: not a JSON object (the file is damaged)", path.display(), i + 1),
        };
        read_lines(&path)?.into_iter().enumerate().map(parse).collect()
    }

    /// The periodic checkpoints, oldest first, with their env steps.
    pub fn checkpoints(&self) -> Result<Vec<(u64, PathBuf)>> {
        let mut found = Vec::new();
        for (name, path) in self.checkpoint_entries()? {
            if let Some(step) = name.strip_prefix(STEP_PREFIX).and_then(|s| s.parse::<u64>().ok()) {
                found.push((step, path));
            }
        }
        found.sort();
        Ok(found)
    }

    pub fn latest_checkpoint(&self) -> Result<Option<PathBuf>> {
        Ok(self.checkpoints()?.pop().map(|(_, path)| path))
    }

    /// `best/`; while a writer replaces it (or after a crash in the middle), the previous one.
    pub fn best_checkpoint(&self) -> Option<PathBuf> {
        let dir = self.path(CHECKPOINTS);
        [dir.join(BEST), dir.join(OLD_BEST)].into_iter().find(|p| p.is_dir())
    }

    /// The checkpoint `which` names: `best` (the best, else the latest), `latest`, a folder
    /// name in `checkpoints/` (`step_3000`), or a path; an unknown name lists those there are.
    pub fn find_checkpoint(&self, which: &str) -> Result<PathBuf> {
        let found = match which {
            "best" => self.best_checkpoint().map_or_else(|| self.latest_checkpoint(), |best| Ok(Some(best)))?,
            "latest" => self.latest_checkpoint()?,
            name => [self.path(CHECKPOINTS).join(name), PathBuf::from(name)].into_iter().find(|p| p.is_dir()),
        };
        if let Some(path) = found {
            return Ok(path);
        }
        let names: Vec<String> = self.checkpoint_entries()?.into_iter().map(|(n, _)| n).collect();
        if names.is_empty() {
            bail!("{} has no checkpoint yet", self.root.display());
        }
        bail!(
            "{} has no checkpoint `{which}`; it has {} (or use best, latest, or a checkpoint folder's path)",
            self.root.display(),
            names.join(", ")
        )
    }

    /// Reads the checkpoint folder `path` after checking every file in it against its manifest.
    pub fn read_checkpoint(&self, path: &Path) -> Result<Checkpoint> {
        let manifest = path.join(limbic_agents::core::checkpoint::STATE_FILE);
        if path.is_dir() && !manifest.exists() {
            bail!(
                "checkpoint {} cannot be used: it has no {} listing its files (damaged, or written by a limbic \
                 from before checkpoints had checksums), so nothing in it can be trusted",
                path.display(),
                limbic_agents::core::checkpoint::STATE_FILE
            );
        }
        let (reader, state) = CheckpointReader::open::<CheckpointState>(path, CHECKPOINT_FORMAT)
            .with_context(|| format!("checkpoint {} cannot be used", path.display()))?;
        reader.verify_all().with_context(|| format!("checkpoint {} is damaged", path.display()))?;
        Ok(Checkpoint { path: path.to_path_buf(), reader, state })
    }

    /// Finds and reads the checkpoint `which` names ([`RunDir::find_checkpoint`]), and hands
    /// it to `load`. A writer training in the directory meanwhile may replace `best/` or
    /// remove an old checkpoint under the reader's feet: then the reader looks again.
    pub fn load_checkpoint<T>(&self, which: &str, mut load: impl FnMut(&Checkpoint) -> Result<T>) -> Result<T> {
        let mut attempts = 0;
        loop {
            let path = self.find_checkpoint(which)?;
            let before = stamp(&path);
            let result = self.read_checkpoint(&path).and_then(|checkpoint| load(&checkpoint));
            attempts += 1;
            // A changed or missing manifest: a writer replaced or is removing the folder.
            match result {
                Err(_) if attempts < 10 && (before.is_none() || stamp(&path) != before) => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                result => return result,
            }
        }
    }

    /// Names and paths of the entries of `checkpoints/` that a reader may use.
    fn checkpoint_entries(&self) -> Result<Vec<(String, PathBuf)>> {
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
            if !name.starts_with('.') {
                found.push((name, entry.path()));
            }
        }
        found.sort();
        Ok(found)
    }
}

/// What a run checkpoint's `state.json` holds besides the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointState {
    /// The config the checkpoint was written with: a continuation must agree with it.
    pub config: RunConfig,
    /// `metrics.jsonl` up to this checkpoint.
    pub metrics: MetricsDigest,
}

/// The first `lines` lines of `metrics.jsonl`: their length in bytes and checksum.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsDigest {
    pub lines: u64,
    pub bytes: u64,
    pub checksum: String,
}

/// A checkpoint whose files all match its manifest.
pub struct Checkpoint {
    pub path: PathBuf,
    reader: CheckpointReader,
    pub state: CheckpointState,
}

impl Checkpoint {
    /// A JSON file of the checkpoint (checked again as it is read).
    pub fn json<T: DeserializeOwned>(&self, name: &str) -> Result<T> {
        Ok(self.reader.json(name)?)
    }

    /// Whether the checkpoint holds file `name` (training checkpoints hold `trainer.json`).
    pub fn has(&self, name: &str) -> bool {
        self.reader.bytes(name).is_ok()
    }

    /// The folder [`limbic_agents::Algorithm::load`] reads.
    pub fn algorithm_dir(&self) -> PathBuf {
        self.path.join(ALGORITHM_DIR)
    }
}

/// What a checkpoint is made of: the algorithm's files (written by `save_algorithm` into the
/// folder it is given), JSON files of the runner, and the state of the run.
pub struct Snapshot<'a> {
    pub save_algorithm: &'a dyn Fn(&Path) -> Result<()>,
    pub files: Vec<(&'static str, Json)>,
    pub state: CheckpointState,
}

/// A run directory owned for writing (see the [module docs](self)); reading goes through
/// [`Deref`] to [`RunDir`].
#[derive(Debug)]
pub struct RunWriter {
    run: RunDir,
    _lock: DirLock,
}

impl Deref for RunWriter {
    type Target = RunDir;
    fn deref(&self) -> &RunDir {
        &self.run
    }
}

impl RunWriter {
    /// Makes a new run directory for `config`. `root` must not exist or be empty; with
    /// `replace`, it may also be a run directory limbic recognises, which is removed first.
    pub fn create(root: &Path, config: &RunConfig, replace: bool) -> Result<RunWriter> {
        let lock = DirLock::acquire(root)?;
        Self::check_contents(root, replace)?;
        if replace && root.exists() {
            std::fs::remove_dir_all(root).with_context(|| format!("cannot remove {}", root.display()))?;
        }
        std::fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;
        let writer = RunWriter { run: RunDir { root: root.to_path_buf() }, _lock: lock };
        // config.json first: from then on the directory is a run limbic recognises.
        writer.write_json(CONFIG, &serde_json::to_value(config)?)?;
        let checkpoints = writer.path(CHECKPOINTS);
        std::fs::create_dir_all(&checkpoints).with_context(|| format!("cannot create {}", checkpoints.display()))?;
        Ok(writer)
    }

    /// Refuses a `root` that [`RunWriter::create`] would refuse (checked again, under the
    /// lock, when it runs): for failing before the work rather than after.
    pub fn check_destination(root: &Path, replace: bool) -> Result<()> {
        // Another process writing it is the first thing to say.
        drop(DirLock::acquire(root)?);
        Self::check_contents(root, replace)
    }

    /// Refuses a non-empty `root`, unless `replace` and it is a run directory limbic wrote.
    fn check_contents(root: &Path, replace: bool) -> Result<()> {
        let empty = match std::fs::read_dir(root) {
            Ok(mut entries) => entries.next().is_none(),
            Err(_) => !root.exists(),
        };
        if empty {
            return Ok(());
        }
        if replace {
            return crate::recognize::check_replaceable(root, crate::recognize::Kind::Run);
        }
        bail!("{} already exists and is not empty: {}", root.display(), crate::recognize::next_steps(root))
    }

    /// Takes over an existing run directory to continue it, and cleans up what a crash left:
    /// half-assembled folders are removed, an interrupted replacement of `best/` is finished.
    pub fn open(root: &Path) -> Result<RunWriter> {
        RunDir::open(root)?;
        let lock = DirLock::acquire(root)?;
        let writer = RunWriter { run: RunDir::open(root)?, _lock: lock };
        writer.recover()?;
        Ok(writer)
    }

    /// Writes pretty JSON to file `name` of the run atomically.
    pub fn write_json(&self, name: &str, value: &Json) -> Result<()> {
        write_json_file(&self.path(name), value)
    }

    /// Writes `bytes` to file `name` of the run atomically.
    pub fn write_file(&self, name: &str, bytes: &[u8]) -> Result<()> {
        Ok(write_atomically(&self.path(name), bytes)?)
    }

    /// The metrics log, cut to the lines up to the checkpoint a run continues from (none for
    /// a new run), open for appending. Those lines must be the ones the checkpoint saw.
    pub fn metrics_log(&self, upto: &MetricsDigest) -> Result<MetricsLog> {
        let path = self.path(METRICS);
        let text = read_text(&path)?;
        let kept = prefix_lines(&text, upto.lines);
        let Some(kept) = kept else {
            let have = text.matches('\n').count();
            bail!(
                "{} has {have} complete lines, but the checkpoint was written after line {}: the file was cut \
                 short or removed since",
                path.display(),
                upto.lines
            );
        };
        if upto.lines > 0 && digest(kept, upto.lines) != *upto {
            bail!(
                "{} lines 1 to {} differ from what the checkpoint recorded: the file was damaged or edited since",
                path.display(),
                upto.lines
            );
        }
        if kept.len() != text.len() {
            write_atomically(&path, kept.as_bytes())?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&path);
        let file = file.with_context(|| format!("cannot open {}", path.display()))?;
        Ok(MetricsLog { file, path, lines: upto.lines })
    }

    /// Writes checkpoint `step_<step>`, then removes all but the latest `keep` checkpoints.
    pub fn save_checkpoint(&self, step: u64, keep: usize, snapshot: &Snapshot) -> Result<PathBuf> {
        let name = format!("{STEP_PREFIX}{step}");
        let path = self.assemble(&name, snapshot)?;
        for (_, old) in self.checkpoints()?.iter().rev().skip(keep) {
            std::fs::remove_dir_all(old).with_context(|| format!("cannot remove {}", old.display()))?;
        }
        Ok(path)
    }

    /// Replaces `best/` with a new checkpoint.
    pub fn save_best(&self, snapshot: &Snapshot) -> Result<()> {
        let dir = self.path(CHECKPOINTS);
        let tmp = dir.join(format!("{TMP_PREFIX}{BEST}"));
        fill_fresh(&tmp, snapshot)?;
        let (best, old) = (dir.join(BEST), dir.join(OLD_BEST));
        if best.exists() {
            std::fs::rename(&best, &old).with_context(|| format!("cannot move {}", best.display()))?;
        }
        std::fs::rename(&tmp, &best)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), best.display()))?;
        remove_if_present(&old)
    }

    /// Builds folder `name` under `checkpoints/` in a temporary folder, then renames it in.
    fn assemble(&self, name: &str, snapshot: &Snapshot) -> Result<PathBuf> {
        let dir = self.path(CHECKPOINTS);
        let (tmp, path) = (dir.join(format!("{TMP_PREFIX}{name}")), dir.join(name));
        fill_fresh(&tmp, snapshot)?;
        remove_if_present(&path)?;
        std::fs::rename(&tmp, &path)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
        Ok(path)
    }

    /// Cleans up after a crash: folders half assembled are removed, and if the crash came
    /// between the two renames of [`RunWriter::save_best`], the previous `best/` is put back.
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

    /// The digest of the log as written so far, for a checkpoint.
    pub fn digest(&self) -> Result<MetricsDigest> {
        let text = read_text(&self.path)?;
        let kept = prefix_lines(&text, self.lines).with_context(|| format!("{} was cut short", self.path.display()))?;
        Ok(digest(kept, self.lines))
    }
}

/// What changes when a writer replaces or removes a checkpoint folder: its manifest's identity.
fn stamp(checkpoint: &Path) -> Option<(std::time::SystemTime, u64)> {
    let meta = std::fs::metadata(checkpoint.join(limbic_agents::core::checkpoint::STATE_FILE)).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn digest(text: &str, lines: u64) -> MetricsDigest {
    MetricsDigest { lines, bytes: text.len() as u64, checksum: checksum(text.as_bytes()) }
}

/// The first `lines` newline-terminated lines of `text`, if it has that many.
fn prefix_lines(text: &str, lines: u64) -> Option<&str> {
    let mut end = 0;
    for _ in 0..lines {
        end += text[end..].find('\n')? + 1;
    }
    Some(&text[..end])
}

/// Writes pretty JSON to `path` atomically.
pub fn write_json_file(path: &Path, value: &Json) -> Result<()> {
    let text = serde_json::to_string_pretty(value)? + "\n";
    write_atomically(path, text.as_bytes())?;
    Ok(())
}

/// A file's text; empty if it does not exist.
fn read_text(path: &Path) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Complete (newline-terminated) lines of a file; none if it does not exist.
fn read_lines(path: &Path) -> Result<Vec<String>> {
    let text = read_text(path)?;
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    Ok(complete.lines().filter(|l| !l.is_empty()).map(str::to_string).collect())
}

/// Empties (or creates) folder `tmp` and writes `snapshot` into it: the algorithm's files,
/// the runner's, and last the manifest over all of them. Removes `tmp` if anything fails.
fn fill_fresh(tmp: &Path, snapshot: &Snapshot) -> Result<()> {
    remove_if_present(tmp)?;
    std::fs::create_dir_all(tmp.join(ALGORITHM_DIR)).with_context(|| format!("cannot create {}", tmp.display()))?;
    let write = || -> Result<()> {
        (snapshot.save_algorithm)(&tmp.join(ALGORITHM_DIR))?;
        let mut writer = CheckpointWriter::new(tmp)?;
        writer.adopt(ALGORITHM_DIR)?;
        for (name, value) in &snapshot.files {
            writer.bytes(name, (serde_json::to_string_pretty(value)? + "\n").as_bytes())?;
        }
        Ok(writer.finish(CHECKPOINT_FORMAT, &snapshot.state)?)
    };
    write().inspect_err(|_| {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_count_complete_lines() {
        assert_eq!(prefix_lines("a\nb\nc", 2), Some("a\nb\n"));
        assert_eq!(prefix_lines("a\nb\nc", 0), Some(""));
        assert_eq!(prefix_lines("a\nb\nc", 3), None);
    }
}
