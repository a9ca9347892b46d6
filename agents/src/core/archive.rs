//! [`Archive`]: a component's state (a reward signal's networks, optimizer moments, running
//! statistics, memories, generator) as named byte sections with a checksum each, in one file
//! of the checkpoint.

use crate::core::checkpoint::checksum;
use crate::error::{AgentError, Result};
use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A component's state as named byte sections: weights, optimizer moments, running statistics,
/// memories, RNG. Encoded as a length-prefixed JSON table of contents (names, lengths and
/// checksums) followed by the sections, so corrupt bytes are an error, never a panic.
pub struct Archive {
    signal: String,
    sections: BTreeMap<String, Vec<u8>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Contents {
    format: String,
    signal: String,
    sections: Vec<(String, usize, String)>,
}

const ARCHIVE_FORMAT: &str = "limbic-signal-v1";

impl Archive {
    pub fn new(signal: &str) -> Archive {
        Archive { signal: signal.into(), sections: BTreeMap::new() }
    }

    /// A checkpoint error about this signal's state.
    pub fn error(&self, message: String) -> AgentError {
        AgentError::Checkpoint { path: format!("signal `{}`", self.signal), message }
    }

    pub fn put(&mut self, name: &str, bytes: Vec<u8>) {
        self.sections.insert(name.into(), bytes);
    }

    pub fn put_json<T: Serialize>(&mut self, name: &str, value: &T) -> Result<()> {
        let bytes = serde_json::to_vec(value).map_err(|e| self.error(format!("{name}: {e}")))?;
        self.put(name, bytes);
        Ok(())
    }

    pub fn put_floats(&mut self, name: &str, values: &[f64]) {
        self.put(name, values.iter().flat_map(|v| v.to_le_bytes()).collect());
    }

    /// `values` as little-endian f32 (large arrays: a replay's records).
    pub fn put_f32s(&mut self, name: &str, values: &[f32]) {
        self.put(name, values.iter().flat_map(|v| v.to_le_bytes()).collect());
    }

    pub fn put_module<M: Module>(&mut self, name: &str, module: &M) -> Result<()> {
        let bytes =
            module.clone().into_record().into_bytes().map_err(|e| self.error(format!("{name}: cannot encode: {e}")))?;
        self.put(name, bytes.to_vec());
        Ok(())
    }

    pub fn get(&self, name: &str) -> Result<&[u8]> {
        self.sections.get(name).map(Vec::as_slice).ok_or_else(|| self.error(format!("no section `{name}`")))
    }

    pub fn json<T: DeserializeOwned>(&self, name: &str) -> Result<T> {
        serde_json::from_slice(self.get(name)?).map_err(|e| self.error(format!("{name}: {e}")))
    }

    pub fn floats(&self, name: &str) -> Result<Vec<f64>> {
        let bytes = self.get(name)?;
        if !bytes.len().is_multiple_of(8) {
            return Err(self.error(format!("{name}: {} bytes is not a list of f64", bytes.len())));
        }
        Ok(bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect())
    }

    pub fn f32s(&self, name: &str) -> Result<Vec<f32>> {
        let bytes = self.get(name)?;
        if !bytes.len().is_multiple_of(4) {
            return Err(self.error(format!("{name}: {} bytes is not a list of f32", bytes.len())));
        }
        Ok(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    /// Loads the parameters saved as `name` into `module` (same architecture required).
    pub fn module<M: Module>(&self, name: &str, module: M) -> Result<M> {
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(self.get(name)?.to_vec()))
            .map_err(|e| self.error(format!("{name}: {e}")))?;
        module.try_load_record(record).map_err(|e| self.error(format!("{name} does not fit this network: {e}")))
    }

    pub fn encode(&self) -> Result<Vec<u8>> {
        let sections = self.sections.iter().map(|(name, bytes)| (name.clone(), bytes.len(), checksum(bytes))).collect();
        let contents = Contents { format: ARCHIVE_FORMAT.into(), signal: self.signal.clone(), sections };
        let header = serde_json::to_vec(&contents).map_err(|e| self.error(e.to_string()))?;
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(&header);
        self.sections.values().for_each(|bytes| out.extend_from_slice(bytes));
        Ok(out)
    }

    /// Reads what [`Archive::encode`] wrote for signal `signal`.
    pub fn decode(signal: &str, bytes: &[u8]) -> Result<Archive> {
        let mut archive = Archive::new(signal);
        let corrupt = |archive: &Archive, what: &str| archive.error(format!("corrupt state: {what}"));
        let header_len = bytes.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes);
        let header_end = header_len.and_then(|n| usize::try_from(n).ok()).and_then(|n| n.checked_add(8));
        let header = header_end.and_then(|end| bytes.get(8..end)).ok_or_else(|| corrupt(&archive, "no header"))?;
        let contents: Contents = serde_json::from_slice(header).map_err(|e| corrupt(&archive, &e.to_string()))?;
        if contents.format != ARCHIVE_FORMAT || contents.signal != signal {
            let message = format!("a `{}` state of signal `{}`", contents.format, contents.signal);
            return Err(archive.error(format!("{message}, expected `{ARCHIVE_FORMAT}` of `{signal}`")));
        }
        let mut at = header_end.unwrap_or(0);
        for (name, len, sum) in contents.sections {
            let section = at.checked_add(len).and_then(|end| bytes.get(at..end));
            let section = section.ok_or_else(|| corrupt(&archive, &format!("section `{name}` is truncated")))?;
            if checksum(section) != sum {
                return Err(corrupt(&archive, &format!("section `{name}` fails its checksum")));
            }
            archive.sections.insert(name, section.to_vec());
            at += len;
        }
        if at != bytes.len() {
            return Err(corrupt(&archive, "trailing bytes"));
        }
        Ok(archive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_round_trips_and_rejects_damage() {
        let mut archive = Archive::new("x");
        archive.put("a", vec![1, 2, 3]);
        archive.put_floats("b", &[0.5, -2.0]);
        archive.put_f32s("f", &[1.5, -0.25]);
        let bytes = archive.encode().unwrap();
        let back = Archive::decode("x", &bytes).unwrap();
        assert_eq!(back.get("a").unwrap(), [1, 2, 3]);
        assert_eq!(back.floats("b").unwrap(), [0.5, -2.0]);
        assert_eq!(back.f32s("f").unwrap(), [1.5, -0.25]);
        assert!(back.f32s("a").is_err());
        assert!(back.get("c").unwrap_err().to_string().contains("no section `c`"));
        let error = Archive::decode("y", &bytes).err().unwrap().to_string();
        assert!(error.contains("expected") && error.contains("`y`"), "{error}");
        let mut damaged = bytes.clone();
        *damaged.last_mut().unwrap() ^= 1;
        assert!(Archive::decode("x", &damaged).err().unwrap().to_string().contains("checksum"));
        assert!(Archive::decode("x", &bytes[..bytes.len() - 1]).is_err());
        assert!(Archive::decode("x", &[1, 2]).is_err());
    }
}
