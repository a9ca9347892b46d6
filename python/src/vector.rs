//! N environments stepped together (what `limbic.make_vec` wraps): one call steps them all and
//! copies each result buffer once into numpy arrays the caller handed over, so Python reads
//! whole batches and never touches a sub-environment.

use crate::convert::{action_from_py, array, json_object};
use crate::env_err;
use crate::user_env::is_python_env;
use limbic_environments::{Autoreset, DType, Env, Space, Value, VecEnv};
use pyo3::buffer::{Element, PyBuffer};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;

#[pyclass(module = "limbic._limbic")]
pub struct RustVecEnv {
    envs: VecEnv,
    out: Outputs,
}

/// The caller's numpy arrays every call writes: `[N, D]` flat observations (D = the flat space's
/// size), rewards, flags (bool arrays seen as uint8), and SAME_STEP's terminal observations with
/// their mask; `arrays` holds the arrays themselves, in that order, for Python.
struct Outputs {
    arrays: Vec<PyObject>,
    obs: PyBuffer<f32>,
    rewards: PyBuffer<f64>,
    terminated: PyBuffer<u8>,
    truncated: PyBuffer<u8>,
    final_obs: PyBuffer<f32>,
    final_mask: PyBuffer<u8>,
}

#[pymethods]
impl RustVecEnv {
    /// `num_envs` copies of `make(id, **kwargs)`; autoreset is `next_step`, `same_step` or
    /// `disabled`; `threads` as in `VecEnv::with_threads` (1: the caller's thread only).
    #[new]
    #[pyo3(signature = (id, num_envs, kwargs="{}", autoreset="next_step", threads=1))]
    fn new(
        py: Python<'_>,
        id: &str,
        num_envs: usize,
        kwargs: &str,
        autoreset: &str,
        threads: Option<usize>,
    ) -> PyResult<Self> {
        let mode = match autoreset {
            "next_step" => Autoreset::NextStep,
            "same_step" => Autoreset::SameStep,
            "disabled" => Autoreset::Disabled,
            other => {
                let message = format!("unknown autoreset mode `{other}`; valid: next_step, same_step, disabled");
                return Err(PyValueError::new_err(message));
            }
        };
        if is_python_env(id) && threads != Some(1) {
            // Stepping threads would wait for the GIL this call holds.
            return Err(PyValueError::new_err(format!(
                "`{id}` is a Python environment: it steps on one thread (threads=1)"
            )));
        }
        let kwargs = json_object(kwargs, "kwargs")?;
        let envs = VecEnv::make(id, num_envs, &kwargs).and_then(|v| v.with_autoreset(mode).with_threads(threads));
        let envs = envs.map_err(|e| env_err(py, e))?;
        let (n, d) = (envs.num_envs(), envs.obs_dim());
        let mut arrays = Vec::new();
        let out = Outputs {
            obs: output(py, &[n, d], "float32", &mut arrays)?,
            rewards: output(py, &[n], "float64", &mut arrays)?,
            terminated: output(py, &[n], "uint8", &mut arrays)?,
            truncated: output(py, &[n], "uint8", &mut arrays)?,
            final_obs: output(py, &[n, d], "float32", &mut arrays)?,
            final_mask: output(py, &[n], "uint8", &mut arrays)?,
            arrays,
        };
        Ok(RustVecEnv { envs, out })
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

    /// The arrays every call writes: `(obs, rewards, terminated, truncated, final_obs,
    /// final_mask)`, the flags as uint8 (view them as bool).
    fn buffers(&self, py: Python<'_>) -> Vec<PyObject> {
        self.out.arrays.iter().map(|a| a.clone_ref(py)).collect()
    }

    /// Resets every sub-env (sub-env i with `seed + i`), or those where `mask` is set.
    #[pyo3(signature = (seed=None, options="{}", mask=None))]
    fn reset(&mut self, py: Python<'_>, seed: Option<u64>, options: &str, mask: Option<Vec<bool>>) -> PyResult<()> {
        let options = json_object(options, "options")?;
        self.envs.reset_with(seed, &options, mask.as_deref()).map_err(|e| env_err(py, e))?;
        self.out.obs.copy_from_slice(py, self.envs.last().obs)?;
        // A reset leaves no reward and no flags (and a masked reset keeps the others' rows).
        if mask.is_none() {
            let n = self.envs.num_envs();
            self.out.rewards.copy_from_slice(py, &vec![0.0; n])?;
            for flags in [&self.out.terminated, &self.out.truncated, &self.out.final_mask] {
                flags.copy_from_slice(py, &vec![0; n])?;
            }
        }
        Ok(())
    }

    /// Steps every sub-env: `actions` is an array of N actions (`[N]` integers for a Discrete
    /// action space, `[N, *shape]` for a float32 Box) or a list of N single actions otherwise.
    fn step(&mut self, py: Python<'_>, actions: &PyAny) -> PyResult<()> {
        let n = self.envs.num_envs();
        let space = self.envs.action_space().clone();
        let what = format!("{n} sub-environments of {}", space.describe());
        let result = match &space {
            Space::Discrete { .. } => self.envs.step_discrete(&array::<i64>(actions, &[n], DType::Int64, &what)?),
            Space::Box(b) if b.dtype == DType::Float32 => {
                let shape: Vec<usize> = std::iter::once(n).chain(b.shape.iter().copied()).collect();
                self.envs.step_continuous(&array::<f32>(actions, &shape, DType::Float32, &what)?)
            }
            _ => {
                let list = actions
                    .downcast::<PyList>()
                    .map_err(|_| PyValueError::new_err(format!("actions for {what} must be a list of {n} actions")))?;
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
        let (step, out) = (self.envs.last(), &self.out);
        out.obs.copy_from_slice(py, step.obs)?;
        out.rewards.copy_from_slice(py, step.rewards)?;
        out.terminated.copy_from_slice(py, &bytes(step.terminated))?;
        out.truncated.copy_from_slice(py, &bytes(step.truncated))?;
        if self.envs.autoreset() == Autoreset::SameStep {
            out.final_obs.copy_from_slice(py, step.final_obs)?;
            out.final_mask.copy_from_slice(py, &bytes(step.final_mask))?;
        }
        Ok(())
    }
}

/// A new zeroed numpy array of `shape` and `dtype` (kept in `arrays`), written through its buffer.
fn output<T: Element>(
    py: Python<'_>,
    shape: &[usize],
    dtype: &str,
    arrays: &mut Vec<PyObject>,
) -> PyResult<PyBuffer<T>> {
    let array = py.import("numpy")?.call_method1("zeros", (shape.to_vec(), dtype))?;
    arrays.push(array.into_py(py));
    PyBuffer::get(array)
}

fn bytes(flags: &[bool]) -> Vec<u8> {
    flags.iter().map(|&f| u8::from(f)).collect()
}
