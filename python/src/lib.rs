//! `limbic._limbic`: the native half of the `limbic` Python package.
//!
//! It holds limbic environments and vector envs and converts at the boundary: actions from
//! Python objects into [`Value`](limbic_environments::Value)s (checked against the action space,
//! with a Python exception naming what was wrong), observations back into numpy arrays, and
//! [`EnvError`]s into the exception classes of `limbic.errors` (Gymnasium's where it has one).
//! The Gymnasium classes themselves (`gymnasium.Env`, `gymnasium.vector.VectorEnv`) are written in
//! Python on top of this module (python/limbic/). The other direction, Python code called by
//! Rust: [`rewards`] (a Python class as a reward signal) and [`user_env`] (a `gymnasium.Env` as a
//! limbic env); their exceptions come back as errors carrying the Python traceback.

// pyo3 0.19 (the version the `gymnasium-rs` adapter already pins; one `links = "python"` per
// lockfile) expands `#[pymethods]` into impls newer compilers flag.
#![allow(non_local_definitions)]

mod agent;
mod convert;
mod datasets;
mod env;
mod rewards;
mod user_env;
mod vector;

use limbic_environments::{registry, EnvError};
use pyo3::exceptions::PyRuntimeError;
use pyo3::marker::Ungil;
use pyo3::prelude::*;
use pyo3::types::PyType;

/// The Python exception for an environment error: the class from `limbic.errors` named after
/// the error's kind, carrying the Rust message.
pub(crate) fn env_err(py: Python<'_>, error: EnvError) -> PyErr {
    let class = match root_cause(&error) {
        EnvError::UnknownEnv { .. } => "UnknownEnv",
        EnvError::UnknownKwarg { .. } => "UnknownKwarg",
        EnvError::BadKwarg { .. } | EnvError::BadOption { .. } => "BadArgument",
        EnvError::InvalidAction { .. } => "InvalidAction",
        EnvError::NotReset | EnvError::EpisodeOver => "ResetNeeded",
        _ => "LimbicError",
    };
    exception(py, class, error.to_string())
}

/// Runs `f` holding the GIL, in a pool of its own, so the Python objects it makes are freed when
/// it returns. `Python::with_gil` adds no pool where the GIL is already held (inside a vector
/// step's batch scope, or a vector env stepped from Python): every object of every sub-env's
/// step would live until the scope ended.
pub(crate) fn with_gil_pool<F, R>(f: F) -> R
where
    F: for<'py> FnOnce(Python<'py>) -> R + Ungil,
{
    Python::with_gil(|py| py.with_pool(f))
}

/// `limbic.errors.LimbicError` with `message`.
pub(crate) fn limbic_error(py: Python<'_>, message: String) -> PyErr {
    exception(py, "LimbicError", message)
}

pub(crate) fn exception(py: Python<'_>, class: &str, message: String) -> PyErr {
    let class = py.import("limbic.errors").and_then(|m| m.getattr(class)).ok();
    match class.and_then(|c| c.downcast::<PyType>().ok()) {
        Some(class) => PyErr::from_type(class, message),
        None => PyRuntimeError::new_err(message),
    }
}

/// The text Python prints for an uncaught exception (`Traceback (most recent call last): ...`).
pub(crate) fn traceback(py: Python<'_>, error: &PyErr) -> String {
    let formatted = py.import("traceback").and_then(|t| {
        let args = (error.get_type(py), error.value(py), error.traceback(py));
        let lines: Vec<String> = t.getattr("format_exception")?.call1(args)?.extract()?;
        Ok(lines.concat())
    });
    formatted.unwrap_or_else(|_| error.to_string()).trim_end().to_string()
}

/// A sub-environment's error is classed by what went wrong inside it.
fn root_cause(error: &EnvError) -> &EnvError {
    match error {
        EnvError::SubEnv { source, .. } => root_cause(source),
        other => other,
    }
}

/// Every registered environment id, sorted.
#[pyfunction]
fn ids() -> Vec<String> {
    registry::specs().into_iter().map(|spec| spec.id).collect()
}

#[pymodule]
fn _limbic(_py: Python<'_>, m: &PyModule) -> PyResult<()> {
    m.add_class::<env::RustEnv>()?;
    m.add_class::<vector::RustVecEnv>()?;
    m.add_function(wrap_pyfunction!(ids, m)?)?;
    m.add_class::<agent::Agent>()?;
    m.add_function(wrap_pyfunction!(agent::train, m)?)?;
    m.add_function(wrap_pyfunction!(agent::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(agent::resume, m)?)?;
    m.add_function(wrap_pyfunction!(rewards::install_signal, m)?)?;
    m.add_function(wrap_pyfunction!(rewards::signals, m)?)?;
    m.add_function(wrap_pyfunction!(user_env::register_python_env, m)?)?;
    m.add_function(wrap_pyfunction!(datasets::read_metadata, m)?)?;
    m.add_function(wrap_pyfunction!(datasets::read_dataset, m)?)?;
    m.add_function(wrap_pyfunction!(datasets::record, m)?)?;
    Ok(())
}
