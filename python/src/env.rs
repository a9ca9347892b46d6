//! One environment, built by id from the registry (what `limbic.make` wraps).

use crate::convert::{action_from_py, json_object, json_to_py, new_array, value_to_py};
use crate::env_err;
use limbic_environments::{make, Env, Kwargs, Options, Space};
use pyo3::prelude::*;

#[pyclass(module = "limbic._limbic")]
pub struct RustEnv {
    env: Box<dyn Env>,
    obs_space: Space,
    act_space: Space,
    renders: bool,
}

#[pymethods]
impl RustEnv {
    /// `make(id, **kwargs)`, the kwargs as a JSON object.
    #[new]
    fn new(py: Python<'_>, id: &str, kwargs: &str) -> PyResult<Self> {
        let kwargs = json_object(kwargs, "kwargs")?;
        let env = make(id, &kwargs).map_err(|e| env_err(py, e))?;
        let (obs_space, act_space) = (env.observation_space().clone(), env.action_space().clone());
        let renders = renders(id, &kwargs);
        Ok(RustEnv { env, obs_space, act_space, renders })
    }

    /// Whether the environment draws `rgb_array` frames (`metadata["render_modes"]`).
    #[getter]
    fn renders(&self) -> bool {
        self.renders
    }

    /// The observation space in Gymnasium/Minari JSON form.
    #[getter]
    fn observation_space_json(&self) -> String {
        self.obs_space.to_json_string()
    }

    #[getter]
    fn action_space_json(&self) -> String {
        self.act_space.to_json_string()
    }

    #[getter]
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }

    /// `(obs, info)`; options as a JSON object.
    #[pyo3(signature = (seed=None, options="{}"))]
    fn reset(&mut self, py: Python<'_>, seed: Option<u64>, options: &str) -> PyResult<(PyObject, PyObject)> {
        let options = json_object(options, "options")?;
        let (obs, info) = self.env.reset(seed, &options).map_err(|e| env_err(py, e))?;
        Ok((value_to_py(py, obs, &self.obs_space)?, json_to_py(py, &serde_json::Value::Object(info))?))
    }

    /// `(obs, reward, terminated, truncated, info)`.
    fn step(&mut self, py: Python<'_>, action: &PyAny) -> PyResult<(PyObject, f64, bool, bool, PyObject)> {
        let action = action_from_py(action, &self.act_space)?;
        let step = self.env.step(&action).map_err(|e| env_err(py, e))?;
        let obs = value_to_py(py, step.obs, &self.obs_space)?;
        let info = json_to_py(py, &serde_json::Value::Object(step.info))?;
        Ok((obs, step.reward, step.terminated, step.truncated, info))
    }

    /// The current frame as a `[height, width, 3]` uint8 array.
    fn render(&self, py: Python<'_>) -> PyResult<PyObject> {
        let frame = self.env.render().map_err(|e| env_err(py, e))?;
        new_array(py, &frame.pixels, &[frame.height, frame.width, 3])
    }
}

/// Whether envs of this id render, asked of a second instance (resetting the user's own env would
/// seed it, and its first unseeded reset must stay random).
fn renders(id: &str, kwargs: &Kwargs) -> bool {
    let probe = make(id, kwargs).and_then(|mut env| env.reset(Some(0), &Options::new()).map(|_| env));
    probe.is_ok_and(|env| env.render().is_ok())
}
