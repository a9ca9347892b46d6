//! What is at a path a command would write, and whether `--force` may replace it: only what
//! limbic itself wrote and recognises, a run directory or a dataset, holding nothing else.
//! Anything else (a user's folder, a file, a run directory given where a dataset goes) is
//! refused with a message saying what is there.

use crate::config::RunConfig;
use crate::run_dir::{self, RunDir};
use anyhow::{bail, Result};
use std::path::Path;

/// The kinds of directory limbic writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A run directory (`limbic train`, `limbic imitate --out`).
    Run,
    /// A dataset in Minari's layout (`limbic demos record`).
    Dataset,
}

/// Refuses unless `path` holds a directory of `kind` in the layout limbic writes, and nothing
/// else: what `--force` may replace.
pub fn check_replaceable(path: &Path, kind: Kind) -> Result<()> {
    match kind {
        Kind::Dataset => Ok(limbic_datasets::store::check_replaceable(path)?),
        Kind::Run => match unexpected_in_run(path) {
            None => Ok(()),
            Some(found) => bail!(
                "{} is {found}, not a run directory limbic recognises: --force replaces only a run directory \
                 (move or remove it yourself if you mean to replace it)",
                path.display()
            ),
        },
    }
}

/// What to do about an existing, non-empty `root` where a new run was to go.
pub fn next_steps(root: &Path) -> String {
    if unexpected_in_run(root).is_some() {
        return format!("it is {}, not a run directory; choose another --out", describe(root));
    }
    let run = RunDir::open(root).ok();
    let resumable = run.as_ref().is_some_and(|r| r.latest_checkpoint().is_ok_and(|c| c.is_some()));
    let imitation = run.as_ref().is_some_and(|r| r.config().is_ok_and(|c| c.algo == "bc"));
    if resumable && !imitation {
        format!(
            "continue it with `limbic train --resume {}`, replace it with --force, or choose another --out",
            root.display()
        )
    } else {
        "it is a run directory that cannot be continued; replace it with --force or choose another --out".into()
    }
}

/// A short description of what is at `path`: `a file of 12 bytes`, `a folder holding a, b`.
pub fn describe(path: &Path) -> String {
    match std::fs::symlink_metadata(path) {
        Err(_) => "nothing".into(),
        Ok(m) if m.file_type().is_symlink() => "a symbolic link".into(),
        Ok(m) if !m.is_dir() => format!("a file of {} bytes", m.len()),
        Ok(_) => match names(path) {
            Ok(names) if names.is_empty() => "an empty folder".into(),
            Ok(names) => format!("a folder holding {}", listing(&names)),
            Err(_) => "a folder that cannot be listed".into(),
        },
    }
}

/// None if `path` is a run directory limbic wrote and holds nothing else; else what it is.
fn unexpected_in_run(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if meta.file_type().is_symlink() || !meta.is_dir() {
        return Some(describe(path));
    }
    let top = names(path).ok()?;
    // A run killed before its config.json was in place holds only limbic's temporary files.
    let unborn = !top.is_empty() && top.iter().all(|n| n.starts_with('.') && is_run_entry(n));
    if unborn && !path.join(run_dir::CONFIG).exists() {
        return None;
    }
    // Read, not validated: a run this process cannot build (an env from Python) is still a run.
    if let Err(e) = RunConfig::read(&path.join(run_dir::CONFIG)) {
        return Some(format!("{} (its {} is not a run's: {e:#})", describe(path), run_dir::CONFIG));
    }
    let strange: Vec<String> = top.into_iter().filter(|n| !is_run_entry(n)).collect();
    if !strange.is_empty() {
        return Some(format!("a run directory with other files in it ({})", listing(&strange)));
    }
    let checkpoints = names(&path.join(run_dir::CHECKPOINTS)).unwrap_or_default();
    let strange: Vec<String> = checkpoints.into_iter().filter(|n| !is_checkpoint_entry(n)).collect();
    if !strange.is_empty() {
        return Some(format!("a run directory with other files in checkpoints/ ({})", listing(&strange)));
    }
    None
}

/// A name limbic puts at the top of a run directory, or one of its temporary files
/// (`.eval.json.tmp1234`, left by a crash).
fn is_run_entry(name: &str) -> bool {
    let temporary = name.strip_prefix('.').and_then(|n| n.rsplit_once(".tmp")).map(|(base, _)| base);
    run_dir::ENTRIES.contains(&temporary.unwrap_or(name))
}

/// `step_<N>`, `best`, or a folder being assembled or replaced.
fn is_checkpoint_entry(name: &str) -> bool {
    name == "best"
        || name.starts_with(".tmp-")
        || name == ".old-best"
        || name.strip_prefix("step_").is_some_and(|n| n.parse::<u64>().is_ok())
}

fn names(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    names.sort();
    Ok(names)
}

/// "a, b, c" (the first few names, then how many more).
fn listing(names: &[String]) -> String {
    match names.len() {
        n if n <= 5 => names.join(", "),
        n => format!("{} and {} more", names[..5].join(", "), n - 5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_run_directory_and_nothing_else_is_replaceable() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("x");
        std::fs::create_dir_all(dir.join("checkpoints/step_10")).unwrap();
        std::fs::write(dir.join("notes.txt"), "keep").unwrap();
        let message = format!("{:#}", check_replaceable(&dir, Kind::Run).unwrap_err());
        assert!(message.contains("notes.txt") && message.contains("not a run directory"), "{message}");

        let config = serde_json::to_string(&RunConfig::default()).unwrap();
        std::fs::write(dir.join("config.json"), config).unwrap();
        let message = format!("{:#}", check_replaceable(&dir, Kind::Run).unwrap_err());
        assert!(message.contains("other files in it (notes.txt)"), "{message}");
        std::fs::remove_file(dir.join("notes.txt")).unwrap();
        std::fs::write(dir.join(".eval.json.tmp42"), "").unwrap();
        check_replaceable(&dir, Kind::Run).unwrap();
        std::fs::create_dir(dir.join("checkpoints/mine")).unwrap();
        assert!(check_replaceable(&dir, Kind::Run).is_err());

        let file = tmp.path().join("file");
        std::fs::write(&file, "data").unwrap();
        let message = format!("{:#}", check_replaceable(&file, Kind::Run).unwrap_err());
        assert!(message.contains("a file of 4 bytes"), "{message}");
        let message = format!("{:#}", check_replaceable(&dir, Kind::Dataset).unwrap_err());
        assert!(message.contains("not a dataset"), "{message}");

        // Killed while writing its first config.json: only the temporary file is there.
        let unborn = tmp.path().join("unborn");
        std::fs::create_dir(&unborn).unwrap();
        std::fs::write(unborn.join(".config.json.tmp7"), "{\"se").unwrap();
        check_replaceable(&unborn, Kind::Run).unwrap();
        std::fs::write(unborn.join(".notes.tmp1"), "").unwrap();
        assert!(check_replaceable(&unborn, Kind::Run).is_err());
    }
}
