//! One writer per directory: a command that writes a run directory or a dataset (`train`,
//! `train --resume`, `imitate --out`, `imitate sweep`, `demos record`, `play --record`) owns it
//! for as long as it writes, through an advisory lock on a file beside it.
//!
//! The lock file is `.<name>.lock` in the directory's parent, not inside it, so that it exists
//! before the directory does and survives a dataset being replaced by a rename. It holds the
//! owner's pid and command line for the message a second writer gets. The lock is the
//! operating system's (`flock` on Unix, `LockFileEx` on Windows, through std's
//! [`File::try_lock`]): it is released when the owner exits in any way, `kill -9` included, so
//! a lock file left behind by a dead process does not block anyone; the next writer takes it
//! over. Readers (`eval`, `compare`, `demos info`, `demos record --policy RUN`) take no lock.

use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Ownership of a directory, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DirLock {
    file: File,
    path: PathBuf,
}

impl DirLock {
    /// Takes ownership of `dir` (which need not exist yet; its parent is created), or fails
    /// naming the process that owns it.
    pub fn acquire(dir: &Path) -> Result<DirLock> {
        let path = lock_path(dir)?;
        // A lock file removed by its previous owner between our open and our lock is not the
        // lock any more: take the one at the path again.
        for _ in 0..100 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .with_context(|| format!("cannot create the lock file {}", path.display()))?;
            match file.try_lock() {
                Ok(()) if same_file(&file, &path) => {
                    record_owner(&mut file).with_context(|| format!("cannot write {}", path.display()))?;
                    return Ok(DirLock { file, path });
                }
                Ok(()) => continue,
                Err(std::fs::TryLockError::WouldBlock) => bail!(
                    "{} is being written by another limbic process ({}); two writers would corrupt it: \
                     wait for that process to finish or stop it",
                    dir.display(),
                    owner(&mut file)
                ),
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("cannot lock {}", path.display()))
                }
            }
        }
        bail!("cannot lock {}: its lock file keeps being replaced", path.display())
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Removed while still held, so nobody can take a lock on a file that is going away
        // (a process that opened it before is sent back to the path by `same_file`).
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// `.<name>.lock` beside `dir`, with `dir` resolved to an absolute path without symbolic
/// links, so every spelling of one directory has one lock.
fn lock_path(dir: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(dir).with_context(|| format!("cannot resolve {}", dir.display()))?;
    let resolved = match absolute.canonicalize() {
        Ok(path) => path,
        Err(_) => {
            let (Some(parent), Some(name)) = (absolute.parent(), absolute.file_name()) else {
                bail!("{} has no folder name to lock", dir.display());
            };
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
            parent.canonicalize().with_context(|| format!("cannot resolve {}", parent.display()))?.join(name)
        }
    };
    let (Some(parent), Some(name)) = (resolved.parent(), resolved.file_name()) else {
        bail!("{} is a root folder: limbic writes only into a named folder", dir.display());
    };
    Ok(parent.join(format!(".{}.lock", name.to_string_lossy())))
}

/// Whether `path` still names the file `file` has open.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// Writes this process's pid and command line into the lock file.
fn record_owner(file: &mut File) -> std::io::Result<()> {
    let command: Vec<String> = std::env::args().collect();
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    writeln!(file, "pid {}\ncommand {}", std::process::id(), command.join(" "))?;
    file.flush()
}

/// "pid N: COMMAND" from a lock file, as far as it can be read.
fn owner(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.seek(SeekFrom::Start(0)).and_then(|_| file.read_to_string(&mut text));
    let field = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).map(str::trim).map(str::to_string);
    match (field("pid "), field("command ")) {
        (Some(pid), Some(command)) => format!("pid {pid}: {command}"),
        (Some(pid), None) => format!("pid {pid}"),
        _ => "its pid is not yet written".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_with_the_owners_pid_until_the_first_is_done() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        let first = DirLock::acquire(&dir).unwrap();
        // Another spelling of the same directory is the same lock.
        let other_spelling = tmp.path().join(".").join("run");
        let message = format!("{:#}", DirLock::acquire(&other_spelling).unwrap_err());
        assert!(message.contains(&format!("pid {}", std::process::id())), "{message}");
        assert!(message.contains("being written by another limbic process"), "{message}");
        let lock_file = tmp.path().join(".run.lock");
        assert!(lock_file.is_file());
        drop(first);
        assert!(!lock_file.exists(), "the lock file is removed on release");
        let again = DirLock::acquire(&dir).unwrap();
        drop(again);
    }

    #[test]
    fn a_lock_file_left_by_a_dead_process_does_not_block() {
        let tmp = tempfile::tempdir().unwrap();
        // What `kill -9` leaves: the file with a pid, but no lock held on it.
        std::fs::write(tmp.path().join(".run.lock"), "pid 999999\ncommand limbic train\n").unwrap();
        let lock = DirLock::acquire(&tmp.path().join("run")).unwrap();
        let text = std::fs::read_to_string(tmp.path().join(".run.lock")).unwrap();
        assert!(text.starts_with(&format!("pid {}\n", std::process::id())), "{text}");
        drop(lock);
    }

    #[test]
    fn a_root_folder_is_not_locked() {
        assert!(DirLock::acquire(Path::new("/")).is_err());
    }
}
