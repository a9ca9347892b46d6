//! Minari's `hdf5` backend (`minari/dataset/_storages/hdf5_storage.py`), read and written with
//! the pure-Rust `hdf5-pure` crate (no libhdf5):
//!
//! ```text
//! <dataset>/data/metadata.json       the dataset's metadata
//! <dataset>/data/main_data.hdf5      one group per episode, `episode_<id>`:
//!     attributes   id, total_steps, seed (if any), further keys (options/...)
//!     observations a dataset of T+1 rows, or a group with one member per Dict key
//!     actions      T rows (a group for Dict actions)
//!     rewards      T float64; terminations, truncations: T booleans (h5py's enum FALSE/TRUE)
//! ```
//!
//! Spaces map to datasets as h5py stores numpy arrays: Discrete as int64 `[rows]`, Box and
//! MultiDiscrete as `[rows, *shape]` of their dtype, MultiBinary as int8, Text as
//! variable-length UTF-8 strings. Reading accepts any numeric dtype h5py may have chosen (a
//! Box written as float64 reads into a float32 space) and checks the row counts.

use crate::episode::Episode;
use crate::error::{corrupt, DatasetError, Result};
use crate::metadata::Metadata;
use hdf5_pure::{AttrValue, DType, Dataset as H5Dataset, EnumTypeBuilder, File, FileBuilder, GroupBuilder};
use limbic_environments::{Space, Value};
use serde_json::{json, Map, Value as Json};
use std::path::Path;

/// The one file of an hdf5 dataset, beside `metadata.json`.
pub const FILE_NAME: &str = "main_data.hdf5";

type H5Result<T> = std::result::Result<T, String>;

/// Reads the `total_episodes` episodes of `file`.
pub fn read_episodes(file: &Path, metadata: &Metadata) -> Result<Vec<Episode>> {
    let h5 = File::open(file).map_err(|e| corrupt(file, None, format!("not a readable HDF5 file: {e}")))?;
    let root = h5.root();
    (0..metadata.total_episodes as u64)
        .map(|id| {
            let group = root.group(&format!("episode_{id}")).map_err(|e| {
                corrupt(
                    file,
                    Some(id),
                    format!("no group episode_{id} ({e}); metadata.json lists {} episodes", metadata.total_episodes),
                )
            })?;
            read_episode(&group, metadata, id).map_err(|m| corrupt(file, Some(id), m))
        })
        .collect()
}

fn read_episode(group: &hdf5_pure::Group, metadata: &Metadata, id: u64) -> H5Result<Episode> {
    let mut attrs = Map::new();
    for (key, value) in group.attrs().map_err(|e| format!("attributes: {e}"))? {
        attrs.insert(key, attr_json(&value));
    }
    let rows_of = |name: &str| -> H5Result<usize> {
        let shape = group.dataset(name).and_then(|d| d.shape()).map_err(|e| format!("`{name}`: {e}"))?;
        shape.first().map(|&n| n as usize).ok_or_else(|| format!("`{name}` is a scalar"))
    };
    let steps = rows_of("rewards")?;
    if let Some(listed) = attrs.get("total_steps").and_then(Json::as_u64) {
        if listed as usize != steps {
            return Err(format!("{steps} rewards, but the attribute total_steps = {listed}"));
        }
    }
    let within = |name: &'static str| move |e: String| format!("`{name}` {e}");
    let observations =
        decode(group, "observations", &metadata.observation_space, steps + 1).map_err(within("observations"))?;
    let actions = decode(group, "actions", &metadata.action_space, steps).map_err(within("actions"))?;
    let rewards = numbers(&dataset(group, "rewards")?, steps).map_err(within("rewards"))?;
    let flags = |name: &'static str| -> H5Result<Vec<bool>> {
        Ok(numbers(&dataset(group, name)?, steps).map_err(within(name))?.into_iter().map(|x| x != 0.0).collect())
    };
    let (terminations, truncations) = (flags("terminations")?, flags("truncations")?);
    let seed = attrs.get("seed").and_then(Json::as_u64);
    for key in ["id", "total_steps", "seed"] {
        attrs.remove(key);
    }
    Ok(Episode { id, seed, observations, actions, rewards, terminations, truncations, extra: attrs })
}

fn dataset(group: &hdf5_pure::Group, name: &str) -> H5Result<H5Dataset> {
    group.dataset(name).map_err(|e| format!("no dataset `{name}`: {e}"))
}

/// The first `rows` elements of `space` stored under `name` in `group`.
fn decode(group: &hdf5_pure::Group, name: &str, space: &Space, rows: usize) -> H5Result<Vec<Value>> {
    if let Space::Dict(items) = space {
        let sub = group.group(name).map_err(|e| format!("is not a group of Dict keys: {e}"))?;
        let mut columns = Vec::with_capacity(items.len());
        for (key, item) in items {
            columns.push(decode(&sub, key, item, rows).map_err(|e| format!("/{key}: {e}"))?);
        }
        return Ok((0..rows)
            .map(|i| Value::Dict(items.iter().zip(&columns).map(|((k, _), c)| (k.clone(), c[i].clone())).collect()))
            .collect());
    }
    let data = dataset(group, name)?;
    if let Space::Text { .. } = space {
        let texts = data.read_string().map_err(|e| format!("is not a string dataset: {e}"))?;
        if texts.len() < rows {
            return Err(format!("has {} rows, expected {rows}", texts.len()));
        }
        return Ok(texts.into_iter().take(rows).map(Value::Text).collect());
    }
    let size = element_size(space);
    let values = numbers(&data, rows * size)?;
    Ok(values
        .chunks_exact(size)
        .map(|row| match space {
            Space::Discrete { .. } => Value::Int(row[0] as i64),
            Space::Box(b) => b.dtype.array(row.to_vec()),
            Space::MultiDiscrete { .. } => Value::I64(row.iter().map(|&x| x as i64).collect()),
            _ => Value::I8(row.iter().map(|&x| x as i8).collect()),
        })
        .collect())
}

/// How many numbers one element of a non-Dict, non-Text space holds.
fn element_size(space: &Space) -> usize {
    match space {
        Space::Box(b) => b.low.len(),
        Space::MultiDiscrete { nvec, .. } => nvec.len(),
        Space::MultiBinary { shape } => shape.iter().product(),
        _ => 1,
    }
}

/// The first `count` numbers of a numeric (or boolean) dataset, as f64 (exact for every integer
/// a space holds).
fn numbers(data: &H5Dataset, count: usize) -> H5Result<Vec<f64>> {
    let dtype = data.dtype().map_err(|e| e.to_string())?;
    let read = |e: hdf5_pure::Error| format!("unreadable: {e}");
    let all: Vec<f64> = match dtype {
        DType::F32 => data.read_f32().map_err(read)?.into_iter().map(f64::from).collect(),
        DType::F64 => data.read_f64().map_err(read)?,
        DType::I8 => data.read_i8().map_err(read)?.into_iter().map(f64::from).collect(),
        DType::I16 => data.read_i16().map_err(read)?.into_iter().map(f64::from).collect(),
        DType::I32 => data.read_i32().map_err(read)?.into_iter().map(f64::from).collect(),
        DType::I64 => data.read_i64().map_err(read)?.into_iter().map(|x| x as f64).collect(),
        DType::U8 => data.read_u8().map_err(read)?.into_iter().map(f64::from).collect(),
        DType::U16 => data.read_u16().map_err(read)?.into_iter().map(f64::from).collect(),
        DType::U32 => data.read_u32().map_err(read)?.into_iter().map(f64::from).collect(),
        DType::U64 => data.read_u64().map_err(read)?.into_iter().map(|x| x as f64).collect(),
        // numpy booleans: h5py's enum FALSE = 0, TRUE = 1 over one byte.
        DType::Enum(_) => data.read_raw().map_err(read)?.into_iter().map(f64::from).collect(),
        other => return Err(format!("has type {other}, not numbers")),
    };
    if all.len() < count {
        return Err(format!("holds {} numbers, expected {count}", all.len()));
    }
    Ok(all[..count].to_vec())
}

fn attr_json(value: &AttrValue) -> Json {
    match value {
        AttrValue::I64(v) => json!(v),
        AttrValue::I32(v) => json!(v),
        AttrValue::U64(v) => json!(v),
        AttrValue::U32(v) => json!(v),
        AttrValue::F64(v) => json!(v),
        AttrValue::F32(v) => json!(v),
        AttrValue::String(s) | AttrValue::AsciiString(s) => json!(s),
        other => json!(format!("{other:?}")),
    }
}

// ----- Writing. -----

/// The bytes of `main_data.hdf5` for `episodes`.
pub fn file_bytes(metadata: &Metadata, episodes: &[Episode]) -> Result<Vec<u8>> {
    let mut file = FileBuilder::new();
    for episode in episodes {
        let group = episode_group(&mut file, metadata, episode)
            .map_err(|m| DatasetError::BadEpisode { episode: episode.id, message: m })?;
        file.add_group(group);
    }
    file.finish().map_err(|e| DatasetError::Unsupported(format!("cannot encode the HDF5 file: {e}")))
}

fn episode_group(file: &mut FileBuilder, metadata: &Metadata, episode: &Episode) -> H5Result<hdf5_pure::FinishedGroup> {
    let mut group = file.create_group(&format!("episode_{}", episode.id));
    group.set_attr("id", AttrValue::I64(episode.id as i64));
    group.set_attr("total_steps", AttrValue::I64(episode.len() as i64));
    if let Some(seed) = episode.seed {
        group.set_attr("seed", AttrValue::I64(seed as i64));
    }
    for (key, value) in &episode.extra {
        match value {
            Json::String(s) => group.set_attr(key, AttrValue::String(s.clone())),
            Json::Number(n) if n.is_i64() => group.set_attr(key, AttrValue::I64(n.as_i64().unwrap_or_default())),
            Json::Number(n) => group.set_attr(key, AttrValue::F64(n.as_f64().unwrap_or_default())),
            _ => {
                return Err(format!(
                    "the episode key `{key}` holds {value}, which limbic stores only in arrow datasets"
                ))
            }
        }
    }
    let observations: Vec<&Value> = episode.observations.iter().collect();
    let actions: Vec<&Value> = episode.actions.iter().collect();
    encode(&mut group, "observations", &metadata.observation_space, &observations)?;
    encode(&mut group, "actions", &metadata.action_space, &actions)?;
    group.create_dataset("rewards").with_f64_data(&episode.rewards);
    let boolean = EnumTypeBuilder::with_base(hdf5_pure::make_i8_type())
        .value("FALSE", 0)
        .value("TRUE", 1)
        .build()
        .map_err(|e| e.to_string())?;
    for (name, flags) in [("terminations", &episode.terminations), ("truncations", &episode.truncations)] {
        let bytes: Vec<u8> = flags.iter().map(|&b| u8::from(b)).collect();
        group.create_dataset(name).with_enum_u8_data(boolean.clone(), &bytes);
    }
    Ok(group.finish())
}

/// Stores `values` (elements of `space`) under `name`: a dataset, or a group for a Dict.
fn encode(group: &mut GroupBuilder, name: &str, space: &Space, values: &[&Value]) -> H5Result<()> {
    let mismatch = |v: &Value| format!("{v} is not an element of {}", space.describe());
    match space {
        Space::Dict(items) => {
            let mut sub = group.create_group(name);
            for (key, item) in items {
                let column =
                    values.iter().map(|v| v.get(key).ok_or_else(|| mismatch(v))).collect::<H5Result<Vec<_>>>()?;
                encode(&mut sub, key, item, &column)?;
            }
            group.add_group(sub.finish());
        }
        Space::Text { .. } => {
            let texts = values
                .iter()
                .map(|v| match v {
                    Value::Text(s) => Ok(s.as_str()),
                    v => Err(mismatch(v)),
                })
                .collect::<H5Result<Vec<_>>>()?;
            group.create_dataset(name).with_vlen_strings(&texts);
        }
        Space::Discrete { .. } => {
            let ints = values.iter().map(|v| v.as_int().ok_or_else(|| mismatch(v))).collect::<H5Result<Vec<_>>>()?;
            group.create_dataset(name).with_i64_data(&ints);
        }
        _ => {
            let size = element_size(space);
            let shape: Vec<u64> = std::iter::once(values.len() as u64)
                .chain(match space {
                    Space::Box(b) => b.shape.iter().map(|&d| d as u64).collect::<Vec<_>>(),
                    Space::MultiBinary { shape } => shape.iter().map(|&d| d as u64).collect(),
                    _ => vec![size as u64],
                })
                .collect();
            let data = group.create_dataset(name);
            match concat(values, size).map_err(mismatch)? {
                Value::F32(v) => data.with_f32_data(&v),
                Value::F64(v) => data.with_f64_data(&v),
                Value::U8(v) => data.with_u8_data(&v),
                Value::I8(v) => data.with_i8_data(&v),
                Value::I64(v) => data.with_i64_data(&v),
                other => return Err(format!("cannot store {other} as numbers")),
            }
            .with_shape(&shape);
        }
    }
    Ok(())
}

/// The array values of one space, end to end, in the values' own type.
fn concat<'v>(values: &[&'v Value], size: usize) -> std::result::Result<Value, &'v Value> {
    let mut out: Option<Value> = None;
    for &v in values {
        match (&mut out, v) {
            (_, v) if v.to_f64_vec().is_none_or(|n| n.len() != size) => return Err(v),
            (None, v) => out = Some(v.clone()),
            (Some(Value::F32(a)), Value::F32(b)) => a.extend(b),
            (Some(Value::F64(a)), Value::F64(b)) => a.extend(b),
            (Some(Value::U8(a)), Value::U8(b)) => a.extend(b),
            (Some(Value::I8(a)), Value::I8(b)) => a.extend(b),
            (Some(Value::I64(a)), Value::I64(b)) => a.extend(b),
            (_, v) => return Err(v),
        }
    }
    Ok(out.unwrap_or(Value::F32(Vec::new())))
}
