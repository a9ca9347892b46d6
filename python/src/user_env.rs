//! A user's own Python environment (a `gymnasium.Env` with Box/Discrete spaces) as a limbic
//! [`Env`], registered under an id so runs train, checkpoint and evaluate on it as on a native
//! one (`limbic.register_env(id, factory)`, `limbic.train(config, env=factory)`).
//!
//! A run lets the GIL go while Rust trains (see [`crate::agent::train`]). The id's batch scope
//! ([`EnvSpec::batch_scope`]) takes it back once per vector step (a reset or step of every
//! sub-env), so each sub-env's call finds it held; every call runs in a pool of its own
//! ([`with_gil_pool`]: what a step makes is freed when it returns). Between vector steps (the
//! policy, the learner's updates) other Python threads run.

use crate::convert::{action_from_py, json_to_py, value_to_py};
use crate::{traceback, with_gil_pool};
use limbic_environments::registry::{self, EnvSpec};
use limbic_environments::vector::BatchScope;
use limbic_environments::{Env, EnvError, Info, Kwargs, Options, Result, Space, Step, Value};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// Registers `id` for the factory `limbic.envs` keeps under it (once per process: the
/// Python side swaps factories for an id already registered).
#[pyfunction]
pub fn register_python_env(py: Python<'_>, id: String) -> PyResult<()> {
    let factory = {
        let id = id.clone();
        move |kwargs: &Kwargs| Ok(Box::new(PyEnv::make(&id, kwargs)?) as Box<dyn Env>)
    };
    let once_per_batch: BatchScope = Arc::new(|batch: &mut dyn FnMut()| Python::with_gil(|_| batch()));
    registry::register(EnvSpec::new(&id, factory).batch_scope(once_per_batch)).map_err(|e| crate::env_err(py, e))?;
    PYTHON_ENVS.lock().unwrap_or_else(|e| e.into_inner()).insert(id);
    Ok(())
}

/// The ids registered by [`register_python_env`].
static PYTHON_ENVS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Whether `id` is a Python environment (whose runs step on one thread).
pub fn is_python_env(id: &str) -> bool {
    PYTHON_ENVS.lock().unwrap_or_else(|e| e.into_inner()).contains(id)
}

/// One instance the factory built, with its spaces in limbic's form.
pub struct PyEnv {
    id: String,
    object: PyObject,
    obs_space: Space,
    act_space: Space,
}

impl PyEnv {
    /// Calls the factory through `limbic.envs._make`, which checks what it returned and writes
    /// its spaces as JSON (refusing those limbic cannot train on).
    fn make(id: &str, kwargs: &Kwargs) -> Result<PyEnv> {
        with_gil_pool(|py| {
            let made = (|| -> PyResult<(PyObject, String, String)> {
                let kwargs = serde_json::Value::Object(kwargs.clone()).to_string();
                py.import("limbic.envs")?.getattr("_make")?.call1((id, kwargs))?.extract()
            })();
            let (object, obs, act) = made.map_err(|e| python_error(py, id, "its factory", e))?;
            let (obs_space, act_space) = (Space::from_json_str(&obs)?, Space::from_json_str(&act)?);
            Ok(PyEnv { id: id.to_string(), object, obs_space, act_space })
        })
    }

    /// The observation the env returned, as a value of its space.
    fn observation(&self, py: Python<'_>, obs: &PyAny, method: &str) -> Result<Value> {
        action_from_py(obs, &self.obs_space).map_err(|e| {
            let message = e.value(py).to_string().replacen("action for", "observation of", 1);
            EnvError::Unsupported(format!("python env `{}`: {method} returned a bad observation: {message}", self.id))
        })
    }
}

impl Env for PyEnv {
    fn observation_space(&self) -> &Space {
        &self.obs_space
    }

    fn action_space(&self) -> &Space {
        &self.act_space
    }

    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        with_gil_pool(|py| {
            let returned = (|| -> PyResult<(&PyAny, &PyAny)> {
                let kwargs = PyDict::new(py);
                kwargs.set_item("seed", seed)?;
                if !options.is_empty() {
                    kwargs.set_item("options", json_to_py(py, &serde_json::Value::Object(options.clone()))?)?;
                }
                self.object.as_ref(py).call_method("reset", (), Some(kwargs))?.extract()
            })();
            let (obs, _info) = returned.map_err(|e| python_error(py, &self.id, "reset", e))?;
            Ok((self.observation(py, obs, "reset")?, Info::new()))
        })
    }

    fn step(&mut self, action: &Value) -> Result<Step> {
        with_gil_pool(|py| {
            let returned = (|| -> PyResult<(&PyAny, f64, bool, bool)> {
                let action = value_to_py(py, action.clone(), &self.act_space)?;
                let (obs, reward, terminated, truncated, _info): (&PyAny, f64, &PyAny, &PyAny, &PyAny) =
                    self.object.as_ref(py).call_method1("step", (action,))?.extract()?;
                // numpy.bool_ is no Python bool: read flags by truth value.
                Ok((obs, reward, terminated.is_true()?, truncated.is_true()?))
            })();
            let (obs, reward, terminated, truncated) = returned.map_err(|e| python_error(py, &self.id, "step", e))?;
            let obs = self.observation(py, obs, "step")?;
            Ok(Step { obs, reward, terminated, truncated, info: Info::new() })
        })
    }
}

/// A Python exception of env `id` in `doing`, with its traceback.
fn python_error(py: Python<'_>, id: &str, doing: &str, error: PyErr) -> EnvError {
    EnvError::Unsupported(format!("python env `{id}` raised in {doing}:\n{}", traceback(py, &error)))
}
