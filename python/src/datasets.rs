//! `limbic.datasets`: limbic's reader of Minari datasets (the `datasets` crate), from Python.
//!
//! [`read_dataset`] reads a whole dataset, which checks every checksum limbic wrote and every
//! episode against the spaces, and gives its episodes as Minari gives them (observations stacked
//! over time as numpy arrays, dicts, tuples of arrays or lists of strings); [`read_metadata`]
//! reads `metadata.json` alone. Errors become `limbic.errors.DatasetError` naming the file.
//! Reading never changes a dataset; [`record`] (`limbic demos record` from Python) writes a new
//! one and never replaces anything.

use crate::convert::{json_object, new_array};
use anyhow::bail;
use limbic::datasets::{store, Dataset, DatasetError, Episode, Metadata, DATA_FORMATS};
use limbic::demos::{self, DemoPolicy};
use limbic::lock::DirLock;
use limbic::recognize::describe;
use limbic_environments::{Space, Value};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use std::path::PathBuf;

/// `(data folder, metadata as JSON text)` of the dataset at `path` (a dataset folder or its
/// `data/` folder); the metadata's own checksum is checked.
#[pyfunction]
pub fn read_metadata(py: Python<'_>, path: PathBuf) -> PyResult<(String, String)> {
    let read = py.allow_threads(|| Ok::<_, DatasetError>((store::data_dir(&path)?, store::read_metadata(&path)?)));
    let (dir, metadata) = read.map_err(|e| dataset_err(py, e))?;
    Ok((dir.display().to_string(), metadata_json(&metadata)))
}

/// Reads the whole dataset at `path`, checking it; returns `(data folder, metadata JSON,
/// episodes)` where each episode is a dict of Minari's `EpisodeData` fields and `seed`, or None
/// for the episodes when `episodes` is false (a check only).
#[pyfunction]
pub fn read_dataset(py: Python<'_>, path: PathBuf, episodes: bool) -> PyResult<(String, String, Option<PyObject>)> {
    let read = py.allow_threads(|| Ok::<_, DatasetError>((store::data_dir(&path)?, Dataset::read(&path)?)));
    let (dir, dataset) = read.map_err(|e| dataset_err(py, e))?;
    let json = metadata_json(&dataset.metadata);
    let converted = match episodes {
        true => {
            let meta = &dataset.metadata;
            let items =
                dataset.episodes.into_iter().map(|e| episode_to_py(py, e, meta)).collect::<PyResult<Vec<_>>>()?;
            Some(PyList::new(py, items).into_py(py))
        }
        false => None,
    };
    Ok((dir.display().to_string(), json, converted))
}

/// Records `episodes` episodes of `policy` (`scripted`, `random` or a run directory) on `env`,
/// episode i reset with `seed + i`, into a new dataset at `out` (an error if anything is there),
/// as `limbic demos record` does; returns its path.
#[pyfunction]
#[pyo3(signature = (env, out, policy="scripted", episodes=10, seed=0, dataset_id=None, data_format="arrow", kwargs="{}"))]
#[allow(clippy::too_many_arguments)]
pub fn record(
    py: Python<'_>,
    env: &str,
    out: PathBuf,
    policy: &str,
    episodes: usize,
    seed: u64,
    dataset_id: Option<String>,
    data_format: &str,
    kwargs: &str,
) -> PyResult<String> {
    let kwargs = json_object(kwargs, "kwargs")?;
    let recorded = py.allow_threads(|| -> anyhow::Result<()> {
        if episodes == 0 {
            bail!("episodes must be at least 1");
        }
        if !DATA_FORMATS.contains(&data_format) {
            bail!("data_format `{data_format}`: limbic writes {}", DATA_FORMATS.join(" or "));
        }
        let policy_named = DemoPolicy::named(policy, env)?;
        let id = dataset_id.unwrap_or_else(|| demos::default_dataset_id(env, policy));
        // Owned from here to the end: nobody else writes the dataset meanwhile.
        let _lock = DirLock::acquire(&out)?;
        if std::fs::symlink_metadata(&out).is_ok() {
            bail!("{} already exists ({}): record into a new folder", out.display(), describe(&out));
        }
        let mut dataset = demos::record(env, &kwargs, &policy_named, episodes, seed, &id, None)?;
        dataset.metadata.data_format = data_format.to_string();
        dataset.write(&out, false)?;
        Ok(())
    });
    recorded.map_err(|e| crate::limbic_error(py, format!("{e:#}")))?;
    Ok(out.display().to_string())
}

fn metadata_json(metadata: &Metadata) -> String {
    metadata.to_json().to_string()
}

/// `limbic.errors.DatasetError` with the Rust error's message (which names the file).
fn dataset_err(py: Python<'_>, error: DatasetError) -> PyErr {
    crate::exception(py, "DatasetError", error.to_string())
}

/// One episode as a dict: `id`, `seed`, `observations` (T+1), `actions`, `rewards`,
/// `terminations`, `truncations` (T each), `infos` (empty: limbic records no infos).
fn episode_to_py(py: Python<'_>, episode: Episode, metadata: &Metadata) -> PyResult<PyObject> {
    let dict = PyDict::new(py);
    let steps = episode.rewards.len();
    dict.set_item("id", episode.id)?;
    dict.set_item("seed", episode.seed)?;
    dict.set_item("observations", stack(py, episode.observations, &metadata.observation_space)?)?;
    dict.set_item("actions", stack(py, episode.actions, &metadata.action_space)?)?;
    dict.set_item("rewards", new_array(py, &episode.rewards, &[steps])?)?;
    let flags = |flags: &[bool]| -> PyResult<PyObject> {
        let bytes: Vec<u8> = flags.iter().map(|&f| f as u8).collect();
        new_array(py, &bytes, &[steps])?.call_method1(py, "astype", ("bool",))
    };
    dict.set_item("terminations", flags(&episode.terminations)?)?;
    dict.set_item("truncations", flags(&episode.truncations)?)?;
    dict.set_item("infos", PyDict::new(py))?;
    Ok(dict.into_py(py))
}

/// Values of `space` over time as Minari decodes a column: an array `[T, *shape]` for Box,
/// MultiDiscrete, MultiBinary and Discrete spaces, a dict or tuple of such columns for Dict and
/// Tuple spaces, a list of strings for Text.
fn stack(py: Python<'_>, values: Vec<Value>, space: &Space) -> PyResult<PyObject> {
    let rows = values.len();
    let mut shape = vec![rows];
    match space {
        Space::Dict(spaces) => {
            let dict = PyDict::new(py);
            for ((key, sub), column) in spaces.iter().zip(columns(values, spaces.len())) {
                dict.set_item(key, stack(py, column, sub)?)?;
            }
            return Ok(dict.into_py(py));
        }
        Space::Tuple(spaces) => {
            let items: Vec<PyObject> = spaces
                .iter()
                .zip(columns(values, spaces.len()))
                .map(|(sub, column)| stack(py, column, sub))
                .collect::<PyResult<_>>()?;
            return Ok(PyTuple::new(py, items).into_py(py));
        }
        Space::Text { .. } => {
            let texts: Vec<String> =
                values.into_iter().map(|v| if let Value::Text(s) = v { s } else { v.to_string() }).collect();
            return Ok(PyList::new(py, texts).into_py(py));
        }
        Space::Discrete { .. } => {}
        Space::Box(b) => shape.extend(&b.shape),
        Space::MultiDiscrete { nvec, .. } => shape.push(nvec.len()),
        Space::MultiBinary { shape: element } => shape.extend(element),
    }
    // Every value was checked against the space when the dataset was read: one variant throughout.
    macro_rules! concat {
        ($variant:ident) => {{
            let numbers: Vec<_> =
                values.into_iter().flat_map(|v| if let Value::$variant(v) = v { v } else { Vec::new() }).collect();
            new_array(py, &numbers, &shape)
        }};
    }
    match values.first() {
        None | Some(Value::Int(_)) => {
            let ints: Vec<i64> = values.iter().map(|v| if let Value::Int(i) = v { *i } else { 0 }).collect();
            new_array(py, &ints, &shape)
        }
        Some(Value::F32(_)) => concat!(F32),
        Some(Value::F64(_)) => concat!(F64),
        Some(Value::U8(_)) => concat!(U8),
        Some(Value::I8(_)) => concat!(I8),
        Some(Value::I64(_)) => concat!(I64),
        Some(other) => {
            Err(pyo3::exceptions::PyValueError::new_err(format!("a value {other} in a column of {}", space.describe())))
        }
    }
}

/// The `count` columns of Dict or Tuple values (the i-th item of each value).
fn columns(values: Vec<Value>, count: usize) -> Vec<Vec<Value>> {
    let mut columns: Vec<Vec<Value>> = (0..count).map(|_| Vec::with_capacity(values.len())).collect();
    for value in values {
        let items: Vec<Value> = match value {
            Value::Dict(items) => items.into_iter().map(|(_, v)| v).collect(),
            Value::Tuple(items) => items,
            _ => Vec::new(),
        };
        for (column, item) in columns.iter_mut().zip(items) {
            column.push(item);
        }
    }
    columns
}
