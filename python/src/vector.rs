//! N environments stepped together (what `limbic.make_vec` wraps): one call steps them all and
//! copies each result buffer once into numpy arrays this object owns, so Python reads whole
//! batches and never touches a sub-environment.

use crate::convert::{action_from_py, array, json_object};
use crate::env_err;
use limbic_environments::{Autoreset, DType, Env, Space, Value, VecEnv};
use numpy::{PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;

#[pyclass(module = "limbic._limbic")]
pub struct RustVecEnv {
    envs: VecEnv,
    /// `[N, D]` flat observations (D = the flat space's size), rewards, flags, and SAME_STEP's
    /// terminal observations with their mask: the arrays Python reads.
    obs: Py<PyArray2<f32>>,
    rewards: Py<PyArray1<f64>>,
    terminated: Py<PyArray1<bool>>,
    truncated: Py<PyArray1<bool>>,
    final_obs: Py<PyArray2<f32>>,
    final_mask: Py<PyArray1<bool>>,
}

#[pymethods]
impl RustVecEnv {
    /// `num_envs` copies of `make(id, **kwargs)`; autoreset is `next_step`, `same_step` or
    /// `disabled`; `threads` as in `VecEnv::with_threads` (1: the caller's thread only).
    #[new]
    #[pyo3(signature = (id, num_envs, kwargs="{}", autoreset="next_step", threads=1))]
    fn new(py: Python<'_>, id: &str, num_envs: usize, kwargs: &str, autoreset: &str, threads: Option<usize>) -> PyResult<Self> {
        let mode = match autoreset {
            "next_step" => Autoreset::NextStep,
            "same_step" => Autoreset::SameStep,
            "disabled" => Autoreset::Disabled,
            other => {
                let message = format!("unknown autoreset mode `{other}`; valid: next_step, same_step, disabled");
                return Err(PyValueError::new_err(message));
            }
        };
        let kwargs = json_object(kwargs, "kwargs")?;
        let envs = VecEnv::make(id, num_envs, &kwargs).and_then(|v| v.with_autoreset(mode).with_threads(threads));
        let envs = envs.map_err(|e| env_err(py, e))?;
        let (n, d) = (envs.num_envs(), envs.obs_dim());
        Ok(RustVecEnv {
            envs,
            obs: PyArray2::zeros(py, [n, d], false).to_owned(),
            rewards: PyArray1::zeros(py, n, false).to_owned(),
            terminated: PyArray1::zeros(py, n, false).to_owned(),
            truncated: PyArray1::zeros(py, n, false).to_owned(),
            final_obs: PyArray2::zeros(py, [n, d], false).to_owned(),
            final_mask: PyArray1::zeros(py, n, false).to_owned(),
        })
    }

    #[getter]
    fn num_envs(&self) -> usize {
        self.envs.num_envs()
    }

    /// One sub-env's observation space (JSON), and the space its flat rows encode (MiniGrid's
    /// without the text mission).
    #[getter]
    fn observation_space_json(&self) -> String {
        self.envs.observation_space().to_json_string()
    }

    #[getter]
    fn flat_space_json(&self) -> String {
        self.envs.envs()[0].flat_space().to_json_string()
    }

    #[getter]
    fn action_space_json(&self) -> String {
        self.envs.action_space().to_json_string()
    }

    #[getter]
    fn render_fps(&self) -> u32 {
        self.envs.envs()[0].render_fps()
    }

    /// The arrays every call writes: `(obs, rewards, terminated, truncated, final_obs, final_mask)`.
    fn buffers(&self, py: Python<'_>) -> (PyObject, PyObject, PyObject, PyObject, PyObject, PyObject) {
        (
            self.obs.to_object(py),
            self.rewards.to_object(py),
            self.terminated.to_object(py),
            self.truncated.to_object(py),
            self.final_obs.to_object(py),
            self.final_mask.to_object(py),
        )
    }

    /// Resets every sub-env (sub-env i with `seed + i`), or those where `mask` is set.
    #[pyo3(signature = (seed=None, options="{}", mask=None))]
    fn reset(&mut self, py: Python<'_>, seed: Option<u64>, options: &str, mask: Option<PyReadonlyArray1<'_, bool>>) -> PyResult<()> {
        let options = json_object(options, "options")?;
        let mask = mask.as_ref().map(|m| m.as_slice()).transpose()?;
        self.envs.reset_with(seed, &options, mask).map_err(|e| env_err(py, e))?;
        let step = self.envs.last();
        write(py, &self.obs, step.obs)?;
        // A reset leaves no reward and no flags (and a masked reset keeps the others' rows).
        if mask.is_none() {
            self.clear_flags(py)?;
        }
        Ok(())
    }

    /// Steps every sub-env: `actions` is an array of N actions (`[N]` integers for a Discrete
    /// action space, `[N, *shape]` for a Box) or a list of N single actions for other spaces.
    fn step(&mut self, py: Python<'_>, actions: &PyAny) -> PyResult<()> {
        let n = self.envs.num_envs();
        let space = self.envs.action_space().clone();
        let what = format!("{n} sub-environments of {}", space.describe());
        let result = match &space {
            Space::Discrete { .. } => match actions.extract::<PyReadonlyArray1<'_, i64>>() {
                // The common case reads the caller's array in place.
                Ok(given) if given.len() == n => self.envs.step_discrete(given.as_slice()?),
                _ => self.envs.step_discrete(&array::<i64>(actions, &[n], DType::Int64, &what)?),
            },
            Space::Box(b) if b.dtype == DType::Float32 => {
                let shape: Vec<usize> = std::iter::once(n).chain(b.shape.iter().copied()).collect();
                self.envs.step_continuous(&array::<f32>(actions, &shape, DType::Float32, &what)?)
            }
            _ => {
                let list = actions.downcast::<PyList>().map_err(|_| {
                    PyValueError::new_err(format!("actions for {what} must be a list of {n} actions"))
                })?;
                let values: Vec<Value> = list.iter().map(|a| action_from_py(a, &space)).collect::<PyResult<_>>()?;
                self.envs.step(&values)
            }
        };
        result.map_err(|e| env_err(py, e))?;
        self.copy_step(py)
    }
}

impl RustVecEnv {
    /// Copies the last step's buffers into the numpy arrays, one copy per buffer.
    fn copy_step(&self, py: Python<'_>) -> PyResult<()> {
        let step = self.envs.last();
        write(py, &self.obs, step.obs)?;
        write(py, &self.rewards, step.rewards)?;
        write(py, &self.terminated, step.terminated)?;
        write(py, &self.truncated, step.truncated)?;
        if self.envs.autoreset() == Autoreset::SameStep {
            write(py, &self.final_obs, step.final_obs)?;
            write(py, &self.final_mask, step.final_mask)?;
        }
        Ok(())
    }

    fn clear_flags(&self, py: Python<'_>) -> PyResult<()> {
        self.rewards.as_ref(py).readwrite().as_slice_mut()?.fill(0.0);
        self.terminated.as_ref(py).readwrite().as_slice_mut()?.fill(false);
        self.truncated.as_ref(py).readwrite().as_slice_mut()?.fill(false);
        self.final_mask.as_ref(py).readwrite().as_slice_mut()?.fill(false);
        Ok(())
    }
}


fn write<T: numpy::Element + Copy, D: numpy::ndarray::Dimension>(
    py: Python<'_>,
    array: &Py<numpy::PyArray<T, D>>,
    data: &[T],
) -> PyResult<()> {
    array.as_ref(py).readwrite().as_slice_mut()?.copy_from_slice(data);
    Ok(())
}
