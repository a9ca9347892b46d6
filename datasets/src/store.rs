//! Reading and writing a dataset's folder: `metadata.json` and the episodes in the backend it
//! names, `arrow` (below) or `hdf5` ([`crate::hdf5`]). The arrow backend's files:
//!
//! ```text
//! <dataset>/data/metadata.json          the dataset's metadata (written last)
//! <dataset>/data/<id>/metadata.json     {"id", "total_steps", "seed", ...}
//! <dataset>/data/<id>/part-0.arrow      one Arrow IPC file: T+1 rows; actions, rewards,
//!                                       terminations, truncations padded by one filler row
//! ```
//!
//! limbic adds checksums ([`crate::seal`]): of each `.arrow` file in its episode's metadata,
//! and of every `metadata.json` in itself, so that flipped bytes in numbers, which Arrow and
//! JSON cannot notice, are caught too; Minari ignores the keys, and files without them (written
//! by Minari) get the structural checks only. Every episode read is checked against the
//! dataset's spaces.
//!
//! Writing assumes one writer per dataset (the `limbic` commands lock it, see limbic's `lock`
//! module): a dataset is assembled in `.<name>.limbic-new` beside it and swapped in by renames
//! through `.<name>.limbic-old`; a write interrupted between the renames is finished by the
//! next one.

use crate::columns::{decode, decode_bools, decode_numbers, encode, has_image_space};
use crate::episode::Episode;
use crate::error::{corrupt, io, DatasetError, Result};
use crate::metadata::{Metadata, DATA_FORMATS};
use crate::seal::{checksum, seal, unseal, ARROW_CHECKSUM_KEY};
use arrow_array::{ArrayRef, BooleanArray, Float64Array, RecordBatch};
use arrow_schema::{Field, Schema};
use serde_json::{json, Value as Json};
use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const METADATA_FILE: &str = "metadata.json";
const EPISODE_FILE: &str = "part-0.arrow";

/// Writes `metadata` and `episodes` as a Minari dataset at `path` (its `data/` folder inside),
/// in the backend `metadata.data_format` names (`arrow` or `hdf5`), atomically: everything goes
/// into a hidden sibling folder that is renamed to `path` at the end, so `path` never holds half
/// a dataset. An existing `path` is an error unless `overwrite`, and even then it is replaced
/// only if it is a dataset and nothing else ([`check_replaceable`]).
pub fn write(path: &Path, metadata: &Metadata, episodes: &[Episode], overwrite: bool) -> Result<()> {
    let (new, old) = staging(path)?;
    finish_interrupted(path, &new, &old)?;
    if path.exists() || fs::symlink_metadata(path).is_ok() {
        if !overwrite {
            return Err(DatasetError::Exists(path.to_path_buf()));
        }
        check_replaceable(path)?;
    }
    let result = write_into(&new, metadata, episodes).and_then(|_| replace(&new, &old, path));
    if result.is_err() {
        let _ = fs::remove_dir_all(&new);
    }
    result
}

/// The sibling folders a write of `path` goes through: `.<name>.limbic-new`, `.<name>.limbic-old`.
fn staging(path: &Path) -> Result<(PathBuf, PathBuf)> {
    let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| DatasetError::NotADataset {
        path: path.to_path_buf(),
        message: "the path has no folder name".into(),
    })?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io(parent))?;
    Ok((parent.join(format!(".{name}.limbic-new")), parent.join(format!(".{name}.limbic-old"))))
}

/// Cleans up after a write that was killed: a finished new dataset waiting to be renamed in is
/// renamed in (`old` exists only once `new` is complete), a half-written one is removed.
fn finish_interrupted(path: &Path, new: &Path, old: &Path) -> Result<()> {
    if old.exists() {
        if !path.exists() && new.exists() {
            fs::rename(new, path).map_err(io(path))?;
        } else if !path.exists() {
            fs::rename(old, path).map_err(io(path))?;
        }
        if old.exists() {
            fs::remove_dir_all(old).map_err(io(old))?;
        }
    }
    if new.exists() {
        fs::remove_dir_all(new).map_err(io(new))?;
    }
    Ok(())
}

/// Refuses unless `path` is a dataset folder in the layout limbic reads and writes, holding
/// nothing else (`data/` with `metadata.json` and episode folders of `metadata.json` and
/// `.arrow` files): `--force` may replace a dataset, never a user's other files.
pub fn check_replaceable(path: &Path) -> Result<()> {
    let refuse = |found: String| Err(DatasetError::NotReplaceable { path: path.to_path_buf(), found });
    let kind = fs::symlink_metadata(path).map_err(io(path))?;
    if kind.file_type().is_symlink() {
        return refuse("a symbolic link".into());
    }
    if !kind.is_dir() {
        return refuse(format!("a file of {} bytes", kind.len()));
    }
    let top = entries(path)?;
    if top != ["data"] {
        return refuse(format!("a folder holding {}", listing(&top)));
    }
    let data = path.join("data");
    if let Err(e) = read_metadata(path) {
        return refuse(format!("a folder whose data/metadata.json is not a dataset's ({e})"));
    }
    for name in entries(&data)? {
        let episode = data.join(&name);
        let expected = if name.parse::<u64>().is_ok() && episode.is_dir() {
            entries(&episode)?.into_iter().all(|f| f == METADATA_FILE || f.ends_with(".arrow"))
        } else {
            name == METADATA_FILE || name == crate::hdf5::FILE_NAME
        };
        if !expected {
            return refuse(format!("data/{name}, which a dataset does not hold"));
        }
    }
    Ok(())
}

/// The names in a folder, sorted.
fn entries(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        names.push(entry.map_err(io(dir))?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// "a, b, c" (the first few names, then how many more).
fn listing(names: &[String]) -> String {
    match names.len() {
        0 => "nothing".into(),
        n if n <= 5 => names.join(", "),
        n => format!("{} and {} more", names[..5].join(", "), n - 5),
    }
}

fn write_into(dir: &Path, metadata: &Metadata, episodes: &[Episode]) -> Result<()> {
    check_format(metadata, &dir.join("data").join(METADATA_FILE))?;
    let data = dir.join("data");
    fs::create_dir_all(&data).map_err(io(&data))?;
    let mut bytes_written = 0u64;
    for episode in episodes {
        episode.validate(&metadata.observation_space, &metadata.action_space)?;
        if metadata.data_format == "arrow" {
            bytes_written += write_episode(&data, metadata, episode)?;
        }
    }
    if metadata.data_format == "hdf5" {
        let bytes = crate::hdf5::file_bytes(metadata, episodes)?;
        write_file(&data.join(crate::hdf5::FILE_NAME), &bytes)?;
        bytes_written += bytes.len() as u64;
    }
    let mut metadata = metadata.clone();
    metadata.total_episodes = episodes.len();
    metadata.total_steps = episodes.iter().map(Episode::len).sum();
    metadata.jpeg_encoding = false;
    // Minari's `dataset_size`: megabytes, one decimal.
    metadata.extra.insert("dataset_size".into(), json!((bytes_written as f64 / 1e5).round() / 10.0));
    let Json::Object(object) = metadata.to_json() else { unreachable!("metadata is an object") };
    write_file(&data.join(METADATA_FILE), seal(object).as_bytes())
}

/// Writes one episode's folder; returns the bytes written.
fn write_episode(data: &Path, metadata: &Metadata, episode: &Episode) -> Result<u64> {
    let dir = data.join(episode.id.to_string());
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    let file = dir.join(EPISODE_FILE);
    let bytes = episode_bytes(metadata, episode).map_err(|e| corrupt(&file, Some(episode.id), e))?;
    write_file(&file, &bytes)?;
    let mut meta = episode.extra.clone();
    meta.insert("id".into(), json!(episode.id));
    meta.insert("total_steps".into(), json!(episode.len()));
    if let Some(seed) = episode.seed {
        meta.insert("seed".into(), json!(seed));
    }
    meta.insert(ARROW_CHECKSUM_KEY.into(), json!(checksum(&bytes)));
    let meta_text = seal(meta);
    write_file(&dir.join(METADATA_FILE), meta_text.as_bytes())?;
    Ok((bytes.len() + meta_text.len()) as u64)
}

/// The Arrow IPC file of one episode, with Minari's columns and padding.
fn episode_bytes(metadata: &Metadata, episode: &Episode) -> std::result::Result<Vec<u8>, String> {
    let observations: Vec<_> = episode.observations.iter().collect();
    let actions: Vec<_> = episode.actions.iter().collect();
    let padded = |v: &[f64]| Float64Array::from_iter_values(v.iter().copied().chain([0.0]));
    let flags = |v: &[bool]| BooleanArray::from_iter(v.iter().map(|&b| Some(b)).chain([Some(false)]));
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("observations", encode(&metadata.observation_space, &observations, 0)?),
        ("actions", encode(&metadata.action_space, &actions, 1)?),
        ("rewards", Arc::new(padded(&episode.rewards))),
        ("terminations", Arc::new(flags(&episode.terminations))),
        ("truncations", Arc::new(flags(&episode.truncations))),
    ];
    let fields: Vec<Field> = columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect())
        .map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    let mut writer = arrow_ipc::writer::FileWriter::try_new(&mut bytes, &schema).map_err(|e| e.to_string())?;
    writer.write(&batch).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    drop(writer);
    Ok(bytes)
}

/// Writes a file and flushes it to the disk (the folder is renamed into place afterwards).
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = fs::File::create(path).map_err(io(path))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io(path))
}

/// Moves the finished `new` folder to `path`, replacing what was there (through `old`).
fn replace(new: &Path, old: &Path, path: &Path) -> Result<()> {
    if path.exists() {
        fs::rename(path, old).map_err(io(path))?;
        fs::rename(new, path).map_err(io(path))?;
        fs::remove_dir_all(old).map_err(io(old))
    } else {
        fs::rename(new, path).map_err(io(path))
    }
}

/// The folder holding `metadata.json`: `path/data` (a dataset folder) or `path` itself.
pub fn data_dir(path: &Path) -> Result<PathBuf> {
    let not = |message: &str| DatasetError::NotADataset { path: path.to_path_buf(), message: message.into() };
    if !path.exists() {
        return Err(not("it does not exist"));
    }
    for dir in [path.join("data"), path.to_path_buf()] {
        if dir.join(METADATA_FILE).is_file() {
            return Ok(dir);
        }
    }
    Err(not("it has no data/metadata.json"))
}

/// Reads the dataset's metadata only.
pub fn read_metadata(path: &Path) -> Result<Metadata> {
    let file = data_dir(path)?.join(METADATA_FILE);
    let text = fs::read_to_string(&file).map_err(io(&file))?;
    let metadata = Metadata::from_object(unseal(&text, &file, None)?, &file)?;
    check_format(&metadata, &file)?;
    if metadata.jpeg_encoding
        && (has_image_space(&metadata.observation_space) || has_image_space(&metadata.action_space))
    {
        return Err(DatasetError::Unsupported(format!(
            "{}: image observations are JPEG-encoded (jpeg_encoding = true), which limbic does not decode; \
             write the dataset with jpeg_encoding=False",
            file.display()
        )));
    }
    Ok(metadata)
}

/// A backend limbic reads and writes, or an error naming the one it does not.
fn check_format(metadata: &Metadata, file: &Path) -> Result<()> {
    if DATA_FORMATS.contains(&metadata.data_format.as_str()) {
        return Ok(());
    }
    Err(DatasetError::Unsupported(format!(
        "{} uses Minari's `{}` backend; limbic reads and writes `arrow` and `hdf5` datasets \
         (convert it in Python: minari.create_dataset_from_buffers(..., data_format=\"arrow\"))",
        file.display(),
        metadata.data_format
    )))
}

/// Reads a whole dataset; any missing, truncated or altered file is an error naming it and the
/// episode.
pub fn read(path: &Path) -> Result<(Metadata, Vec<Episode>)> {
    let metadata = read_metadata(path)?;
    let data = data_dir(path)?;
    let episodes = if metadata.data_format == "hdf5" {
        crate::hdf5::read_episodes(&data.join(crate::hdf5::FILE_NAME), &metadata)?
    } else {
        (0..metadata.total_episodes as u64).map(|id| read_episode(&data, &metadata, id)).collect::<Result<Vec<_>>>()?
    };
    let steps: usize = episodes.iter().map(Episode::len).sum();
    if steps != metadata.total_steps {
        let file = data.join(METADATA_FILE);
        return Err(corrupt(
            &file,
            None,
            format!("says total_steps = {}, the episodes hold {steps}", metadata.total_steps),
        ));
    }
    Ok((metadata, episodes))
}

fn read_episode(data: &Path, metadata: &Metadata, id: u64) -> Result<Episode> {
    let dir = data.join(id.to_string());
    if !dir.is_dir() {
        let message =
            format!("the episode folder is missing (metadata.json lists {} episodes)", metadata.total_episodes);
        return Err(corrupt(&dir, Some(id), message));
    }
    let meta_file = dir.join(METADATA_FILE);
    let meta_text = fs::read_to_string(&meta_file).map_err(|e| corrupt(&meta_file, Some(id), e.to_string()))?;
    let mut meta = unseal(&meta_text, &meta_file, Some(id))?;
    if let Some(listed) = meta.get("id").filter(|listed| listed.as_u64() != Some(id)) {
        return Err(corrupt(&meta_file, Some(id), format!("says id {listed}, but it is episode {id}'s")));
    }
    let files = arrow_files(&dir)?;
    let Some(first) = files.first() else {
        return Err(corrupt(&dir, Some(id), "the episode folder has no .arrow file"));
    };
    let mut batches = Vec::new();
    let mut schema = None;
    for file in &files {
        let bytes = fs::read(file).map_err(|e| corrupt(file, Some(id), e.to_string()))?;
        if let (Some(expected), true) = (meta.get(ARROW_CHECKSUM_KEY).and_then(Json::as_str), files.len() == 1) {
            if checksum(&bytes) != expected {
                return Err(corrupt(file, Some(id), "checksum mismatch: the file was altered or damaged"));
            }
        }
        let reader = arrow_ipc::reader::FileReader::try_new(Cursor::new(bytes), None)
            .map_err(|e| corrupt(file, Some(id), format!("not a readable Arrow IPC file: {e}")))?;
        schema.get_or_insert_with(|| reader.schema());
        for batch in reader {
            batches.push(batch.map_err(|e| corrupt(file, Some(id), format!("damaged record batch: {e}")))?);
        }
    }
    let schema = schema.ok_or_else(|| corrupt(first, Some(id), "no schema"))?;
    let batch = arrow_select::concat::concat_batches(&schema, &batches)
        .map_err(|e| corrupt(first, Some(id), format!("record batches do not fit together: {e}")))?;
    let bad = |m: String| corrupt(first, Some(id), m);
    let rows = batch.num_rows();
    let steps =
        rows.checked_sub(1).ok_or_else(|| bad("the episode has no rows (not even the reset observation)".into()))?;
    if let Some(listed) = meta.get("total_steps").and_then(Json::as_u64) {
        if listed as usize != steps {
            return Err(bad(format!("{rows} rows hold {steps} steps, but metadata.json says total_steps = {listed}")));
        }
    }
    let column = |name: &str| batch.column_by_name(name).ok_or_else(|| bad(format!("no `{name}` column")));
    let in_column = |name: &'static str| move |e: String| bad(format!("column `{name}` {e}"));
    let observations = decode(&metadata.observation_space, column("observations")?.as_ref(), rows)
        .map_err(in_column("observations"))?;
    let actions = decode(&metadata.action_space, column("actions")?.as_ref(), steps).map_err(in_column("actions"))?;
    let rewards = decode_numbers(column("rewards")?.as_ref(), steps).map_err(in_column("rewards"))?;
    let terminations = decode_bools(column("terminations")?.as_ref(), steps).map_err(in_column("terminations"))?;
    let truncations = decode_bools(column("truncations")?.as_ref(), steps).map_err(in_column("truncations"))?;
    let seed = meta.get("seed").and_then(Json::as_u64);
    for key in ["id", "total_steps", "seed", ARROW_CHECKSUM_KEY] {
        meta.remove(key);
    }
    let episode = Episode { id, seed, observations, actions, rewards, terminations, truncations, extra: meta };
    // Values the declared spaces cannot hold (an action 1 in a `Discrete(1)`) are damage too.
    episode.validate(&metadata.observation_space, &metadata.action_space).map_err(|e| match e {
        DatasetError::BadEpisode { message, .. } => corrupt(first, Some(id), message),
        other => other,
    })?;
    Ok(episode)
}

/// The `.arrow` files of an episode folder in name order (pyarrow may split one episode).
fn arrow_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".arrow") && !name.starts_with(['.', '_']) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
