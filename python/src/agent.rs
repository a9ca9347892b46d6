//! Training from Python: `train` (a run directory, as `limbic train` writes it), `load` (an
//! [`Agent`] acting with a run's checkpoint) and `evaluate` (as `limbic eval`). The training loop,
//! checkpoints and evaluation are the root crate's; this file only crosses the boundary.

use crate::convert::{action_from_py, json_object, new_array, value_to_py};
use crate::rewards::is_python_signal;
use crate::user_env::is_python_env;
use anyhow::{bail, Context};
use limbic::config::{algorithms, resolve, FromPython, Layer, RunConfig};
use limbic::env_maker::EnvMaker;
use limbic::evaluate::evaluate_with;
use limbic::run_dir::RunDir;
use limbic::runner::{self, build_algorithm, load_policy, Options};
use limbic_agents::policies::acting::{Acting, ActingRows};
use limbic_environments::rng::Generator;
use limbic_environments::{Env, Space};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::path::{Path, PathBuf};

/// A Python exception (`limbic.errors.LimbicError`) with the whole chain of an error's context.
fn run_err(py: Python<'_>, error: anyhow::Error) -> PyErr {
    crate::limbic_error(py, format!("{error:#}"))
}

/// Trains a run from a config file and/or a JSON config (lowest priority first, over the
/// defaults and the env's preset, as `limbic train` resolves them) into `out` (default
/// `runs/ENV-ALGO-seedSEED`); returns the run directory.
#[pyfunction]
#[pyo3(signature = (path=None, config="{}", overrides="{}", out=None, force=false, quiet=true))]
pub fn train(
    py: Python<'_>,
    path: Option<PathBuf>,
    config: &str,
    overrides: &str,
    out: Option<PathBuf>,
    force: bool,
    quiet: bool,
) -> PyResult<String> {
    let (config, overrides) = (json_object(config, "config")?, json_object(overrides, "keyword arguments")?);
    let resolved = (|| {
        let mut layers = Vec::new();
        if let Some(path) = &path {
            layers.push(Layer::from_file(path)?);
        }
        layers.push(Layer::new("the config dict", config)?);
        layers.push(Layer::new("the keyword arguments", overrides)?);
        let config = resolve(layers)?;
        if algorithms().get(&config.algo)?.needs_demonstrations {
            bail!("`{}` learns from demonstrations: train it with `limbic imitate`", config.algo);
        }
        Ok(config)
    })();
    let mut config = resolved.map_err(|e| run_err(py, e))?;
    config.from_python = from_python(&config);
    let dir = out.unwrap_or_else(|| runner::new_run_dir(Path::new("runs"), &config));
    let options = Options { quiet, replace: force, gif: false, ..Options::default() };
    if is_python_env(&config.env) && config.threads != 1 {
        let message = format!("`{}` is a Python environment: it steps on one thread (threads = 1)", config.env);
        return Err(run_err(py, anyhow::anyhow!(message)));
    }
    // The GIL is let go while Rust trains (other Python threads keep running); a Python env
    // takes it back once per vector step (its batch scope), a Python reward signal once per call.
    let outcome = py.allow_threads(|| runner::train(&config, &dir, &build_algorithm, &options));
    Ok(outcome.map_err(|e| run_err(py, e))?.dir.display().to_string())
}

/// Continues the run in `run` from its latest checkpoint, to `total_steps` if given (as `limbic
/// train --resume RUN --steps N`); returns the run directory.
#[pyfunction]
#[pyo3(signature = (run, total_steps=None, quiet=true))]
pub fn resume(py: Python<'_>, run: PathBuf, total_steps: Option<u64>, quiet: bool) -> PyResult<String> {
    let options = Options { quiet, gif: false, ..Options::default() };
    let outcome = py.allow_threads(|| runner::resume(&run, total_steps, &build_algorithm, &options));
    Ok(outcome.map_err(|e| run_err(py, e))?.dir.display().to_string())
}

/// What of `config` this process registered from Python: recorded in the run's config, so
/// that a process without it (the command line) says how to open the run from Python.
fn from_python(config: &RunConfig) -> FromPython {
    let mut rewards: Vec<String> =
        config.rewards.iter().map(|spec| spec.name.clone()).filter(|name| is_python_signal(name)).collect();
    rewards.sort();
    rewards.dedup();
    FromPython { env: is_python_env(&config.env), rewards }
}

/// Evaluates checkpoint `checkpoint` of a run over `episodes` episodes from `seed` (the run's
/// defaults when None); returns `eval.json`'s fields as JSON text.
#[pyfunction]
#[pyo3(signature = (run, episodes=None, seed=None, checkpoint="best", deterministic=true))]
pub fn evaluate(
    py: Python<'_>,
    run: PathBuf,
    episodes: Option<usize>,
    seed: Option<u64>,
    checkpoint: &str,
    deterministic: bool,
) -> PyResult<String> {
    let summary = py.allow_threads(|| -> anyhow::Result<String> {
        let run = RunDir::open(&run)?;
        let (config, algo, _) = load_policy(&run, checkpoint, &build_algorithm)?;
        let episodes = episodes.unwrap_or(config.eval_episodes);
        if episodes == 0 {
            bail!("episodes must be at least 1");
        }
        let env = EnvMaker::of(&config);
        let seed = seed.unwrap_or(config.eval_seed());
        let summary = evaluate_with(algo.as_ref(), &env, episodes, seed, config.threads, deterministic)?;
        Ok(serde_json::to_string(&summary)?)
    });
    summary.map_err(|e| run_err(py, e))
}

/// A trained policy, acting on one observation at a time (`limbic.load(run_dir)`).
#[pyclass(module = "limbic._limbic", unsendable)]
pub struct Agent {
    policy: Box<dyn Acting>,
    rng: Generator,
    config: RunConfig,
    checkpoint: PathBuf,
    obs_space: Space,
    flat_space: Space,
    act_space: Space,
}

#[pymethods]
impl Agent {
    #[new]
    #[pyo3(signature = (run, checkpoint="best", seed=0))]
    fn new(py: Python<'_>, run: PathBuf, checkpoint: &str, seed: u64) -> PyResult<Self> {
        let loaded = (|| -> anyhow::Result<Agent> {
            let (config, algo, checkpoint) = load_policy(&RunDir::open(&run)?, checkpoint, &build_algorithm)?;
            let env = EnvMaker::of(&config).make().context("building the run's environment")?;
            let (obs_space, act_space) = (env.observation_space().clone(), env.action_space().clone());
            let flat_space = env.flat_space().clone();
            let policy = algo.policy()?;
            Ok(Agent { policy, rng: Generator::from_seed(seed), config, checkpoint, obs_space, flat_space, act_space })
        })();
        loaded.map_err(|e| run_err(py, e))
    }

    /// `(action, state)` for one observation of the run's environment. `state` is None at an
    /// episode's first step; pass back the state this returned for the next (None for
    /// feed-forward policies, an array for recurrent ones).
    #[pyo3(signature = (obs, state=None, deterministic=true))]
    fn act(
        &mut self,
        py: Python<'_>,
        obs: &PyAny,
        state: Option<Vec<f32>>,
        deterministic: bool,
    ) -> PyResult<(PyObject, PyObject)> {
        let value = action_from_py(obs, &self.obs_space).map_err(|e| observation_error(py, e))?;
        let mut flat = vec![0.0; self.policy.obs_dim()];
        let flattened = self.flat_space.flatten_into(&value, &mut flat);
        flattened.map_err(|e| run_err(py, e.into()))?;
        let size = self.policy.state_size();
        let starts = [state.is_none()];
        let state = state.unwrap_or_else(|| vec![0.0; size]);
        if state.len() != size {
            let message = format!("state must hold {size} numbers (the array act returned), got {}", state.len());
            return Err(PyValueError::new_err(message));
        }
        let rows = ActingRows { obs: &flat, state: &state, starts: &starts, goal: None, trace: false, envs: &[] };
        let acted = self.policy.act(rows, deterministic, &mut self.rng).map_err(|e| run_err(py, e.into()))?;
        let action = acted.env_actions.to_values().remove(0);
        let next = if size == 0 { py.None() } else { new_array(py, &acted.state, &[size])? };
        Ok((value_to_py(py, action, &self.act_space)?, next))
    }

    /// The run's resolved config, as JSON text.
    #[getter]
    fn config_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.config).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    #[getter]
    fn checkpoint(&self) -> String {
        self.checkpoint.display().to_string()
    }

    #[getter]
    fn observation_space_json(&self) -> String {
        self.obs_space.to_json_string()
    }

    #[getter]
    fn action_space_json(&self) -> String {
        self.act_space.to_json_string()
    }
}

/// An observation that does not fit the run's observation space (the converter speaks of actions).
fn observation_error(py: Python<'_>, error: PyErr) -> PyErr {
    let message = error.value(py).to_string().replacen("action for", "observation of", 1);
    PyErr::from_type(error.get_type(py), message)
}
