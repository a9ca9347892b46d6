//! Checkpoint directories: one `state.json` plus data files, each written atomically.
//!
//! [`CheckpointWriter`] writes the data files first (networks as burnpack records, optimizer
//! moments, replay buffers) and `state.json` last. `state.json` holds the learner's own state
//! (counters, RNG states, ...) and a manifest of every data file with its length and checksum.
//! [`CheckpointReader`] checks each file against the manifest before parsing it, so a truncated
//! or corrupt file, or a directory where a crash mixed files of two saves, is an
//! [`AgentError::Checkpoint`] that names the file, never a panic or silently wrong weights.

use crate::error::{AgentError, Result};
use burn::module::Module;
use burn::optim::{ModuleOptimizer, OptimizerRecord};
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use limbic_environments::render::write_atomically;
use limbic_environments::rng::Generator;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The error for a checkpoint file.
pub fn checkpoint_error(path: &Path, message: String) -> AgentError {
    AgentError::Checkpoint { path: path.display().to_string(), message }
}

/// FNV-1a (64-bit) of `bytes`, as 16 hex digits: a cheap guard against damaged files.
pub fn checksum(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

/// Writes `bytes` to `path` atomically (temporary file + rename).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically(path, bytes).map_err(|e| checkpoint_error(path, e.to_string()))
}

pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| checkpoint_error(path, format!("cannot read: {e}")))
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| checkpoint_error(path, e.to_string()))?;
    write_file(path, text.as_bytes())
}

pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    parse_json(path, &read_file(path)?)
}

fn parse_json<T: DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| checkpoint_error(path, format!("corrupt or not a limbic file: {e}")))
}

/// Fails unless the saved config equals the learner's, naming the keys that differ: resuming
/// with other hyperparameters would not continue the saved run.
pub fn check_same_config<T: Serialize>(path: &Path, saved: &T, current: &T) -> Result<()> {
    let (saved, current) = (serde_json::to_value(saved), serde_json::to_value(current));
    let (Ok(serde_json::Value::Object(saved)), Ok(serde_json::Value::Object(current))) = (saved, current) else {
        return Err(checkpoint_error(path, "config is not a JSON object".into()));
    };
    let differing: Vec<String> = current
        .iter()
        .filter(|(key, value)| saved.get(*key) != Some(*value))
        .map(|(key, value)| format!("{key}: saved {}, now {value}", saved.get(key).unwrap_or(&serde_json::Value::Null)))
        .collect();
    if differing.is_empty() {
        Ok(())
    } else {
        Err(checkpoint_error(path, format!("saved with another config ({})", differing.join("; "))))
    }
}

/// A [`Generator`]'s exact state in JSON (128-bit numbers as decimal strings).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RngState {
    state: String,
    inc: String,
    buffered: Option<u32>,
}

impl RngState {
    pub fn of(rng: &Generator) -> Self {
        let (state, inc, buffered) = rng.state();
        RngState { state: state.to_string(), inc: inc.to_string(), buffered }
    }

    /// The generator back; `path` names the file for the error.
    pub fn restore(&self, path: &Path) -> Result<Generator> {
        let parse = |s: &str| s.parse::<u128>().ok();
        parse(&self.state)
            .zip(parse(&self.inc))
            .and_then(|(state, inc)| Generator::from_state(state, inc, self.buffered))
            .ok_or_else(|| checkpoint_error(path, "not a valid random generator state".into()))
    }
}

/// Length and checksum of one data file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Digest {
    bytes: usize,
    checksum: String,
}

/// `state.json`: the format tag, the manifest and the learner's own state.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile<T> {
    format: String,
    files: BTreeMap<String, Digest>,
    state: T,
}

/// The name of the file that completes a checkpoint.
pub const STATE_FILE: &str = "state.json";

/// Writes the files of one checkpoint; [`CheckpointWriter::finish`] completes it.
pub struct CheckpointWriter {
    dir: PathBuf,
    files: BTreeMap<String, Digest>,
}

impl CheckpointWriter {
    /// Creates `dir` if needed.
    pub fn new(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| checkpoint_error(dir, format!("cannot create: {e}")))?;
        Ok(CheckpointWriter { dir: dir.to_path_buf(), files: BTreeMap::new() })
    }

    /// Writes the data file `name`.
    pub fn bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        write_file(&self.dir.join(name), bytes)?;
        self.files.insert(name.into(), Digest { bytes: bytes.len(), checksum: checksum(bytes) });
        Ok(())
    }

    /// A module's parameters (with their ids, which the optimizer state is keyed by).
    pub fn module<M: Module>(&mut self, name: &str, module: &M) -> Result<()> {
        let path = self.dir.join(name);
        let bytes = module.clone().into_record().into_bytes().map_err(|e| checkpoint_error(&path, e.to_string()))?;
        self.bytes(name, &bytes)
    }

    /// An optimizer's per-parameter state (Adam's moments and step counts).
    pub fn optimizer(&mut self, name: &str, optimizer: &ModuleOptimizer) -> Result<()> {
        let path = self.dir.join(name);
        let bytes = optimizer.into_bytes().map_err(|e| checkpoint_error(&path, e.to_string()))?;
        self.bytes(name, &bytes)
    }

    /// Lists every file under the subfolder `name`, written by someone else (an
    /// `Algorithm::save` inside a larger checkpoint), in the manifest.
    pub fn adopt(&mut self, name: &str) -> Result<()> {
        let mut pending = vec![name.to_string()];
        while let Some(folder) = pending.pop() {
            let path = self.dir.join(&folder);
            let entries = std::fs::read_dir(&path).map_err(|e| checkpoint_error(&path, format!("cannot list: {e}")))?;
            for entry in entries {
                let entry = entry.map_err(|e| checkpoint_error(&path, format!("cannot list: {e}")))?;
                let child = format!("{folder}/{}", entry.file_name().to_string_lossy());
                if entry.path().is_dir() {
                    pending.push(child);
                } else {
                    let bytes = read_file(&entry.path())?;
                    self.files.insert(child, Digest { bytes: bytes.len(), checksum: checksum(&bytes) });
                }
            }
        }
        Ok(())
    }

    /// Writes `state.json` with the manifest and `state`, tagged `format`.
    pub fn finish<T: Serialize>(self, format: &str, state: &T) -> Result<()> {
        let file = StateFile { format: format.into(), files: self.files, state };
        write_json(&self.dir.join(STATE_FILE), &file)
    }
}

/// Reads the files of a checkpoint, each checked against the manifest.
pub struct CheckpointReader {
    dir: PathBuf,
    files: BTreeMap<String, Digest>,
}

impl CheckpointReader {
    /// Reads `state.json` from `dir`; its format must be `format`.
    pub fn open<T: DeserializeOwned>(dir: &Path, format: &str) -> Result<(Self, T)> {
        let path = dir.join(STATE_FILE);
        let file: StateFile<T> = read_json(&path)?;
        if file.format != format {
            return Err(checkpoint_error(&path, format!("a `{}` checkpoint, expected `{format}`", file.format)));
        }
        Ok((CheckpointReader { dir: dir.to_path_buf(), files: file.files }, file.state))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The data file `name`, verified.
    pub fn bytes(&self, name: &str) -> Result<Vec<u8>> {
        let path = self.path(name);
        let digest =
            self.files.get(name).ok_or_else(|| checkpoint_error(&path, format!("not listed in {STATE_FILE}")))?;
        let bytes = read_file(&path)?;
        if bytes.len() != digest.bytes {
            let message = format!("truncated or overlong: {} bytes, {STATE_FILE} says {}", bytes.len(), digest.bytes);
            return Err(checkpoint_error(&path, message));
        }
        if checksum(&bytes) != digest.checksum {
            return Err(checkpoint_error(&path, format!("corrupt: checksum does not match {STATE_FILE}")));
        }
        Ok(bytes)
    }

    /// Checks every file the manifest lists, without keeping them.
    pub fn verify_all(&self) -> Result<()> {
        self.files.keys().try_for_each(|name| self.bytes(name).map(drop))
    }

    /// A JSON data file.
    pub fn json<T: DeserializeOwned>(&self, name: &str) -> Result<T> {
        parse_json(&self.path(name), &self.bytes(name)?)
    }

    /// Loads the parameters saved as `name` into `module` (same architecture required).
    pub fn module<M: Module>(&self, name: &str, module: M) -> Result<M> {
        let path = self.path(name);
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(self.bytes(name)?))
            .map_err(|e| checkpoint_error(&path, e.to_string()))?;
        module.try_load_record(record).map_err(|e| checkpoint_error(&path, format!("does not fit this network: {e}")))
    }

    /// Restores the optimizer state saved as `name`.
    pub fn optimizer(&self, name: &str, optimizer: ModuleOptimizer) -> Result<ModuleOptimizer> {
        let path = self.path(name);
        let record = OptimizerRecord::from_bytes(Bytes::from_bytes_vec(self.bytes(name)?))
            .map_err(|e| checkpoint_error(&path, e.to_string()))?;
        Ok(optimizer.load_record(record))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh, empty directory under the system's temp dir (tests remove it when they pass).
    pub(crate) fn scratch_dir(name: &str) -> PathBuf {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("limbic-agents-{name}-{}-{unique}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn manifest_catches_damaged_and_missing_files() {
        let dir = scratch_dir("manifest");
        let mut writer = CheckpointWriter::new(&dir).unwrap();
        writer.bytes("a.bin", &[1, 2, 3, 4]).unwrap();
        let rng = Generator::from_seed(3);
        writer.finish("test-v1", &RngState::of(&rng)).unwrap();

        let (reader, state) = CheckpointReader::open::<RngState>(&dir, "test-v1").unwrap();
        assert_eq!(state.restore(&dir).unwrap(), rng);
        assert_eq!(reader.bytes("a.bin").unwrap(), [1, 2, 3, 4]);
        let error = CheckpointReader::open::<RngState>(&dir, "other-v1").err().unwrap().to_string();
        assert!(error.contains("state.json") && error.contains("other-v1"), "{error}");

        std::fs::write(dir.join("a.bin"), [1, 2, 3]).unwrap();
        let error = reader.bytes("a.bin").unwrap_err().to_string();
        assert!(error.contains("a.bin") && error.contains("truncated"), "{error}");
        std::fs::write(dir.join("a.bin"), [1, 2, 3, 5]).unwrap();
        let error = reader.bytes("a.bin").unwrap_err().to_string();
        assert!(error.contains("a.bin") && error.contains("corrupt"), "{error}");
        std::fs::remove_file(dir.join("a.bin")).unwrap();
        let error = reader.bytes("a.bin").unwrap_err().to_string();
        assert!(error.contains("a.bin") && error.contains("cannot read"), "{error}");
        let error = reader.bytes("b.bin").unwrap_err().to_string();
        assert!(error.contains("b.bin") && error.contains("not listed"), "{error}");

        std::fs::remove_file(dir.join(STATE_FILE)).unwrap();
        let error = CheckpointReader::open::<RngState>(&dir, "test-v1").err().unwrap();
        assert!(matches!(&error, AgentError::Checkpoint { path, .. } if path.ends_with(STATE_FILE)), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn adopted_files_are_verified_with_the_rest() {
        let dir = scratch_dir("adopt");
        std::fs::create_dir_all(dir.join("inner/deeper")).unwrap();
        std::fs::write(dir.join("inner/a.bin"), [1, 2]).unwrap();
        std::fs::write(dir.join("inner/deeper/b.bin"), [3]).unwrap();
        let mut writer = CheckpointWriter::new(&dir).unwrap();
        writer.adopt("inner").unwrap();
        writer.bytes("c.bin", &[4]).unwrap();
        writer.finish("test-v1", &0u8).unwrap();
        let (reader, _) = CheckpointReader::open::<u8>(&dir, "test-v1").unwrap();
        reader.verify_all().unwrap();
        assert_eq!(reader.bytes("inner/deeper/b.bin").unwrap(), [3]);
        std::fs::write(dir.join("inner/deeper/b.bin"), [5]).unwrap();
        let error = reader.verify_all().unwrap_err().to_string();
        assert!(error.contains("b.bin") && error.contains("corrupt"), "{error}");
        std::fs::remove_file(dir.join("inner/a.bin")).unwrap();
        let error = CheckpointReader::open::<u8>(&dir, "test-v1").unwrap().0.verify_all().unwrap_err();
        assert!(error.to_string().contains("a.bin") && error.to_string().contains("cannot read"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn checksum_is_fnv1a() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(checksum(b""), "cbf29ce484222325");
        assert_eq!(checksum(b"a"), "af63dc4c8601ec8c");
    }
}
