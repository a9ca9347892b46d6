//! Checksums that let a reader tell a file limbic wrote from one that was damaged or edited.
//!
//! An `.arrow` file's checksum sits in its episode's `metadata.json` (`limbic_checksum`). A
//! `metadata.json` carries the checksum of its own content (`limbic_metadata_checksum`, taken
//! over the object without that key, keys sorted, numbers as serde_json writes them), so a
//! flipped digit in a seed or a reference score is caught too, and names its writer
//! (`limbic_writer`): a file with the one but not the other lost a key to damage. Files with
//! neither (written by Minari) get the structural checks only.

use crate::error::{corrupt, Result};
use serde_json::{Map, Value as Json};
use std::path::Path;

/// The key of an episode's `.arrow` checksum in its `metadata.json`.
pub const ARROW_CHECKSUM_KEY: &str = "limbic_checksum";
/// The key of a `metadata.json`'s checksum of itself.
pub const METADATA_CHECKSUM_KEY: &str = "limbic_metadata_checksum";
/// The key naming the program that wrote a sealed `metadata.json`.
pub const WRITER_KEY: &str = "limbic_writer";

/// 64-bit FNV-1a of `bytes`, as hex.
pub fn checksum(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    format!("fnv1a64:{hash:016x}")
}

/// `object` as JSON text with its writer and checksum added.
pub fn seal(mut object: Map<String, Json>) -> String {
    object.remove(METADATA_CHECKSUM_KEY);
    object.insert(WRITER_KEY.into(), Json::String(format!("limbic-datasets {}", env!("CARGO_PKG_VERSION"))));
    let sum = checksum(canonical(&Json::Object(object.clone())).as_bytes());
    object.insert(METADATA_CHECKSUM_KEY.into(), Json::String(sum));
    Json::Object(object).to_string()
}

/// Parses a `metadata.json` and checks its checksum, if limbic wrote it; returns the object
/// without the writer and the checksum. `path` and `episode` name the file in errors.
pub fn unseal(text: &str, path: &Path, episode: Option<u64>) -> Result<Map<String, Json>> {
    let bad = |m: String| corrupt(path, episode, m);
    let mut object = match serde_json::from_str(text) {
        Ok(Json::Object(object)) => object,
        Ok(_) => return Err(bad("expected a JSON object".into())),
        Err(e) => return Err(bad(format!("not valid JSON: {e}"))),
    };
    let expected = checksum(canonical(&Json::Object(without(&object, METADATA_CHECKSUM_KEY))).as_bytes());
    let written_by_limbic = object.contains_key(WRITER_KEY);
    object.remove(WRITER_KEY);
    match object.remove(METADATA_CHECKSUM_KEY) {
        None if written_by_limbic => {
            Err(bad(format!("`{WRITER_KEY}` without `{METADATA_CHECKSUM_KEY}`: the file was damaged (if you edited it, delete `{WRITER_KEY}` too)")))
        }
        None => Ok(object),
        Some(Json::String(sum)) if sum == expected => Ok(object),
        Some(_) => Err(bad(format!(
            "checksum mismatch: the file was changed after limbic wrote it (damaged, or edited by hand or by \
             another tool); if the change was intended, delete its `{METADATA_CHECKSUM_KEY}` and `{WRITER_KEY}` entries"
        ))),
    }
}

fn without(object: &Map<String, Json>, key: &str) -> Map<String, Json> {
    let mut copy = object.clone();
    copy.remove(key);
    copy
}

/// JSON text with object keys sorted at every level, whatever order the map keeps.
fn canonical(value: &Json) -> String {
    match value {
        Json::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> =
                keys.iter().map(|k| format!("{}:{}", Json::String((*k).clone()), canonical(&map[*k]))).collect();
            format!("{{{}}}", fields.join(","))
        }
        Json::Array(items) => format!("[{}]", items.iter().map(canonical).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_sealed_object_reads_back_and_any_change_is_caught() {
        let object = json!({"seed": 12, "b": [1.5, {"z": 1, "a": null}], "id": 0});
        let text = seal(object.as_object().unwrap().clone());
        let path = Path::new("metadata.json");
        assert_eq!(Json::Object(unseal(&text, path, Some(0)).unwrap()), object);
        let edited = text.replace("12", "13");
        let error = unseal(&edited, path, Some(0)).unwrap_err().to_string();
        assert!(
            error.contains("metadata.json") && error.contains("episode 0") && error.contains("checksum"),
            "{error}"
        );
        // Without a checksum (Minari's files): accepted as is.
        assert_eq!(Json::Object(unseal(&object.to_string(), path, None).unwrap()), object);
        // A damaged key name: the writer's mark without the checksum, or the other way round.
        for damaged in [
            text.replace("limbic_metadata_checksum", "limbic_meta`ata_checksum"),
            text.replace("limbic_writer", "limbic_wrhter"),
        ] {
            assert!(unseal(&damaged, path, None).unwrap_err().to_string().contains("damaged"), "{damaged}");
        }
    }

    #[test]
    fn checksum_is_fnv1a() {
        assert_eq!(checksum(b"a"), "fnv1a64:af63dc4c8601ec8c");
    }
}
