//! What every sweep shares (`limbic sweep`, `limbic imitate sweep`): runs as child processes
//! `--jobs` at a time, each printing one JSON line; a results file of JSON lines that an
//! interrupted sweep resumes from.

use crate::progress::Progress;
use anyhow::{bail, Context, Result};
use serde::de::DeserializeOwned;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The finished rows of a JSON-lines results file (none when it does not exist; a torn last
/// line, from a kill, is ignored).
pub fn read_rows<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).with_context(|| format!("{} line {} is corrupt", path.display(), i + 1)))
        .collect()
}

/// Appends one line to a results file in a single `O_APPEND` write, synced: concurrent writers
/// (threads, processes, nodes sharing the folder) never interleave within a line.
pub fn append_line(path: &Path, line: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    file.write_all(format!("{}\n", line.trim()).as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.sync_data()?;
    Ok(())
}

/// Runs `run` on every job, `jobs` threads at a time, with a progress bar of finished jobs
/// (`run` returns the score the bar shows). Failures are reported together at the end.
pub fn run_parallel<J: Sync>(
    todo: &[J],
    jobs: usize,
    quiet: bool,
    describe: impl Fn(&J) -> String + Sync,
    run: impl Fn(&J) -> Result<f64> + Sync,
) -> Result<()> {
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let progress = Progress::episodes(todo.len() as u64, quiet);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(todo.len()) {
            scope.spawn(|| {
                while let Some(job) = todo.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let result = run(job);
                    let done = finished.fetch_add(1, Ordering::SeqCst) as u64 + 1;
                    match result {
                        Ok(score) => progress.episode_done(done, score),
                        Err(e) => {
                            if let Ok(mut f) = failures.lock() {
                                f.push(format!("{}: {e:#}", describe(job)));
                            }
                        }
                    }
                }
            });
        }
    });
    progress.finish();
    let failures = failures.into_inner().unwrap_or_default();
    if !failures.is_empty() {
        bail!("{} run(s) failed (rerun the sweep to retry them):\n{}", failures.len(), failures.join("\n"));
    }
    Ok(())
}

/// Runs a child command to its end and returns the last JSON object line it printed (its
/// stderr's last line as the error when it fails).
pub fn child_json_line(command: &mut Command) -> Result<String> {
    let output = command.output().with_context(|| format!("cannot start {:?}", command.get_program()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("{}", stderr.trim().lines().last().unwrap_or("exited with an error"));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().rev().find(|l| l.trim_start().starts_with('{')).context("no JSON line in the output")?;
    Ok(line.trim().to_string())
}
