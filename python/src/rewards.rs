//! `limbic.rewards.register(name, cls)`: a Python class as a reward signal of the Rust learners.
//!
//! [`install_signal`] installs a [`SignalEntry`] for the whole process
//! ([`limbic_rewards::registry::install`]) whose build instantiates the class through
//! `limbic.rewards._build`; [`PySignal`] is the [`IntrinsicReward`] that forwards each call.
//! Each call takes the GIL once and hands the class the whole batch as numpy arrays (one bulk
//! copy per array, no Python object per element). What the class returns is checked (shape,
//! dtype, finite); an exception stops the run with its Python traceback in the error.

use crate::convert::{new_array, numpy_function};
use crate::{traceback, with_gil_pool};
use limbic_agents::shaping::Transitions;
use limbic_agents::{AgentError, Result};
use limbic_rewards::registry::install;
use limbic_rewards::signal::BuildSignal;
use limbic_rewards::{IntrinsicReward, Memory, Normalization, SignalContext, SignalEntry};
use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// Installs the signal `name` (a class `limbic.rewards` keeps under that name) for every run of
/// this process. Names and texts are leaked: a process registers a handful of signals.
#[pyfunction]
pub fn install_signal(py: Python<'_>, name: String, summary: String, weight: f64, exploration: bool) -> PyResult<()> {
    let name: &'static str = Box::leak(name.into_boxed_str());
    let build: &'static BuildSignal = Box::leak(Box::new(move |params: &serde_json::Value, ctx: &SignalContext| {
        with_gil_pool(|py| PySignal::build(py, name, params, ctx))
    }));
    let entry = SignalEntry {
        name,
        summary: Box::leak(summary.into_boxed_str()),
        params: &[],
        defaults: || serde_json::json!({}),
        weight,
        normalization: Normalization::Rms,
        exploration,
        episodic_counts: false,
        caveats: "a Python class (limbic.rewards.register): the process that trains, loads or evaluates a run with \
                  it registers it first",
        build,
    };
    install(entry).map_err(|e| crate::limbic_error(py, e.to_string()))?;
    PYTHON_SIGNALS.lock().unwrap_or_else(|e| e.into_inner()).insert(name);
    Ok(())
}

/// The names [`install_signal`] installed.
static PYTHON_SIGNALS: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

/// Whether `name` is a signal registered from Python.
pub fn is_python_signal(name: &str) -> bool {
    PYTHON_SIGNALS.lock().unwrap_or_else(|e| e.into_inner()).contains(name)
}

/// An instance of a registered Python class, called as an [`IntrinsicReward`].
struct PySignal {
    name: &'static str,
    object: PyObject,
    memory: Memory,
    keys: Option<Vec<String>>,
    /// What `reset_episode` raised (it cannot return an error): reported by the next call.
    failed: Option<AgentError>,
}

impl PySignal {
    /// `cls(context, **params)` through `limbic.rewards._build`, which also reads the class's
    /// `memory` and `keys`.
    fn build(
        py: Python<'_>,
        name: &'static str,
        params: &serde_json::Value,
        ctx: &SignalContext,
    ) -> Result<Box<dyn IntrinsicReward>> {
        let spaces = (ctx.observation_space.to_json_string(), ctx.action_space.to_json_string());
        let args = (name, params.to_string(), ctx.obs_dim, ctx.num_envs, ctx.seed, spaces.0, spaces.1);
        let built = (|| -> PyResult<(PyObject, bool, Option<Vec<String>>)> {
            py.import("limbic.rewards")?.getattr("_build")?.call1(args)?.extract()
        })();
        let (object, episodic, keys) = built.map_err(|e| python_error(py, name, "building it", e))?;
        let memory = if episodic { Memory::Episodic } else { Memory::Lifelong };
        Ok(Box::new(PySignal { name, object, memory, keys, failed: None }))
    }

    /// Calls method `method` with `args`; an exception becomes an error with its traceback.
    fn call<'py>(&self, py: Python<'py>, method: &str, args: impl IntoPy<Py<PyTuple>>) -> Result<&'py PyAny> {
        let result = self.object.call_method1(py, method, args);
        result.map(|r| r.into_ref(py)).map_err(|e| python_error(py, self.name, method, e))
    }

    /// Whether the instance has `method` (observe, update and reset_episode are optional).
    fn has(&self, py: Python<'_>, method: &str) -> bool {
        self.object.as_ref(py).hasattr(method).unwrap_or(false)
    }

    fn check_failed(&mut self) -> Result<()> {
        self.failed.take().map_or(Ok(()), Err)
    }

    /// The batch as `limbic.rewards.Batch` (numpy arrays `[T, N, ...]`).
    fn batch<'py>(&self, py: Python<'py>, batch: &Transitions) -> Result<&'py PyAny> {
        let made = (|| -> PyResult<&PyAny> {
            let (t, n) = (batch.steps, batch.envs);
            let flags = |flags: &[bool]| new_array(py, &flags.iter().map(|&f| f as u8).collect::<Vec<u8>>(), &[t, n]);
            let args = (
                new_array(py, batch.obs, &[t, n, batch.obs_dim])?,
                new_array(py, batch.actions, &[t, n, batch.action_dim])?,
                new_array(py, batch.rewards, &[t, n])?,
                new_array(py, batch.next_obs, &[t, n, batch.obs_dim])?,
                flags(batch.terminated)?,
                flags(batch.truncated)?,
                flags(batch.valid)?,
            );
            py.import("limbic.rewards")?.getattr("_batch")?.call1(args)
        })();
        made.map_err(|e| python_error(py, self.name, "passing the batch", e))
    }

    /// `compute`'s result into `out`: a float array of shape `(T, N)` with finite numbers (0 is
    /// written for invalid slots whatever the class returned there).
    fn read_bonuses(&self, py: Python<'_>, returned: &PyAny, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        let (t, n) = (batch.steps, batch.envs);
        let wrong = |got: String| {
            AgentError::Unsupported(format!(
                "python signal `{}`: compute must return a float array of shape (T, N) = ({t}, {n}), got {got}",
                self.name
            ))
        };
        let described = (|| -> PyResult<Option<(String, Vec<usize>)>> {
            if !returned.hasattr("dtype")? || !returned.hasattr("shape")? {
                return Ok(None);
            }
            Ok(Some((returned.getattr("dtype")?.str()?.to_string(), returned.getattr("shape")?.extract()?)))
        })();
        let (dtype, shape) = match described {
            Ok(Some(described)) => described,
            _ => return Err(wrong(format!("an object of type {}", returned.get_type().name().unwrap_or("?")))),
        };
        if !dtype.starts_with("float") || shape != [t, n] {
            return Err(wrong(format!("dtype {dtype}, shape {shape:?}")));
        }
        let copied = (|| -> PyResult<()> {
            let typed = numpy_function(py, "ascontiguousarray")?.call1((returned, "float32"))?;
            PyBuffer::<f32>::get(typed)?.copy_to_slice(py, out)
        })();
        copied.map_err(|e| python_error(py, self.name, "reading compute's result", e))?;
        for (slot, bonus) in out.iter_mut().enumerate() {
            if !batch.valid[slot] {
                *bonus = 0.0;
            } else if !bonus.is_finite() {
                return Err(AgentError::Unsupported(format!(
                    "python signal `{}`: compute returned {bonus} at step {}, sub-env {} (bonuses must be finite)",
                    self.name,
                    slot / n,
                    slot % n
                )));
            }
        }
        Ok(())
    }
}

impl IntrinsicReward for PySignal {
    fn name(&self) -> &str {
        self.name
    }

    fn memory(&self) -> Memory {
        self.memory
    }

    fn keys(&self) -> Option<Vec<String>> {
        self.keys.clone()
    }

    fn observe(&mut self, step: &Transitions) -> Result<()> {
        self.check_failed()?;
        with_gil_pool(|py| {
            if self.has(py, "observe") {
                self.call(py, "observe", (self.batch(py, step)?,))?;
            }
            Ok(())
        })
    }

    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        self.check_failed()?;
        with_gil_pool(|py| {
            let returned = self.call(py, "compute", (self.batch(py, batch)?,))?;
            self.read_bonuses(py, returned, batch, out)
        })
    }

    fn update(&mut self, batch: &Transitions) -> Result<BTreeMap<String, f64>> {
        self.check_failed()?;
        with_gil_pool(|py| {
            if !self.has(py, "update") {
                return Ok(BTreeMap::new());
            }
            let returned = self.call(py, "update", (self.batch(py, batch)?,))?;
            let metrics: Option<BTreeMap<String, f64>> = returned.extract().map_err(|_| {
                AgentError::Unsupported(format!(
                    "python signal `{}`: update must return None or a dict of str to numbers, got {}",
                    self.name,
                    returned.repr().map(|r| r.to_string()).unwrap_or_default()
                ))
            })?;
            Ok(metrics.unwrap_or_default())
        })
    }

    fn reset_episode(&mut self, env: usize) {
        let failed = with_gil_pool(|py| match self.has(py, "reset_episode") {
            true => self.call(py, "reset_episode", (env,)).err(),
            false => None,
        });
        self.failed = self.failed.take().or(failed);
    }

    fn save(&self) -> Result<Vec<u8>> {
        with_gil_pool(|py| {
            let saved = py.import("limbic.rewards").and_then(|m| m.getattr("_save")?.call1((&self.object,)));
            let saved = saved.map_err(|e| python_error(py, self.name, "save", e))?;
            let bytes = saved.downcast::<PyBytes>().map_err(|_| {
                AgentError::Unsupported(format!("python signal `{}`: save must return bytes", self.name))
            })?;
            Ok(bytes.as_bytes().to_vec())
        })
    }

    fn load(&mut self, bytes: &[u8]) -> Result<()> {
        with_gil_pool(|py| {
            let args = (&self.object, PyBytes::new(py, bytes));
            let loaded = py.import("limbic.rewards").and_then(|m| m.getattr("_load")?.call1(args));
            loaded.map(|_| ()).map_err(|e| python_error(py, self.name, "load", e))
        })
    }
}

/// A Python exception of signal `name` in `doing`, with its traceback, as the run's error.
fn python_error(py: Python<'_>, name: &str, doing: &str, error: PyErr) -> AgentError {
    AgentError::Unsupported(format!("python signal `{name}` raised in {doing}:\n{}", traceback(py, &error)))
}

/// Every signal runs can use (the built-ins, then those installed), as JSON text: name,
/// summary, default weight, exploration flag, default parameters and caveats.
#[pyfunction]
pub fn signals() -> String {
    let entries = limbic_rewards::Registry::installed();
    let rows: Vec<serde_json::Value> = entries
        .entries()
        .iter()
        .map(|e| {
            serde_json::json!({"name": e.name, "summary": e.summary, "weight": e.weight,
                "exploration": e.exploration, "params": (e.defaults)(), "caveats": e.caveats})
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}
