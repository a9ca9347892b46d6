//! NormalizeObservation: centre observations on their running mean, with unit variance.

use super::{bad_param, check_buffer, flat_is_exact, reset_via_value, step_via_value, Precision, RunningMeanStd};
use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::render::Frame;
use crate::space::{DType, Space};
use crate::value::Value;

/// Gymnasium's `NormalizeObservation(epsilon=1e-8)`: each observation (of `reset` and `step`)
/// first updates the running statistics, then comes out as float32 `(obs − mean) / sqrt(var + ε)`;
/// the observation space becomes `Box(-inf, inf, shape, float32)`.
///
/// The statistics are float32 arrays, as in Gymnasium (created with the space's float32 dtype),
/// and every operation follows numpy's precision rules, so outputs and statistics match
/// Gymnasium's bit for bit (integer observations promote them to float64, as numpy does).
pub struct NormalizeObservation<E> {
    env: E,
    space: Space,
    obs_rms: RunningMeanStd,
    epsilon: f64,
    update_running_mean: bool,
    /// numpy precision of the observation's mean and variance (integers are averaged in f64).
    moments: Precision,
    /// numpy precision of `obs − mean` (uint8/int8 with float32 stay float32).
    values: Precision,
    /// The fast path may normalize the inner env's buffer in place.
    in_place: bool,
    numbers: Vec<f64>,
}

impl<E: Env> NormalizeObservation<E> {
    /// With Gymnasium's default `epsilon = 1e-8`. The observation space must be an array space
    /// (Box, MultiBinary or MultiDiscrete).
    pub fn new(env: E) -> Result<Self> {
        Self::with_epsilon(env, 1e-8)
    }

    pub fn with_epsilon(env: E, epsilon: f64) -> Result<Self> {
        if !(epsilon > 0.0 && epsilon.is_finite()) {
            return Err(bad_param("epsilon", format!("should be strictly positive, got {epsilon}")));
        }
        let inner = env.observation_space();
        let (shape, dtype) = array_shape(inner)?;
        let (moments, values) = precisions(dtype);
        let space = Space::uniform_box(f64::NEG_INFINITY, f64::INFINITY, &shape, DType::Float32);
        let dim = shape.iter().product();
        Ok(NormalizeObservation {
            in_place: flat_is_exact(inner),
            obs_rms: RunningMeanStd::with_precision(dim, Precision::F32),
            space,
            epsilon,
            update_running_mean: true,
            moments,
            values,
            numbers: Vec::with_capacity(dim),
            env,
        })
    }

    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// Whether observations update the statistics (true); set false to freeze them for evaluation.
    pub fn update_running_mean(&self) -> bool {
        self.update_running_mean
    }

    pub fn set_update_running_mean(&mut self, update: bool) {
        self.update_running_mean = update;
    }

    /// The observation statistics (mean, var, count).
    pub fn running_stats(&self) -> &RunningMeanStd {
        &self.obs_rms
    }

    /// Restores statistics (e.g. from a checkpoint); their dimension must be the observation's.
    pub fn set_running_stats(&mut self, rms: RunningMeanStd) -> Result<()> {
        if rms.dim() != self.obs_rms.dim() {
            return Err(bad_param("obs_rms", format!("must have dimension {}, got {}", self.obs_rms.dim(), rms.dim())));
        }
        self.obs_rms = rms;
        Ok(())
    }

    pub fn inner(&self) -> &E {
        &self.env
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    /// Normalizes `self.numbers` into `out`, updating the statistics first.
    fn normalize_numbers(&mut self, out: &mut [f32]) -> Result<()> {
        if self.numbers.len() != self.obs_rms.dim() {
            return Err(EnvError::BadSpace(format!(
                "NormalizeObservation expected {} numbers per observation, got {}",
                self.obs_rms.dim(),
                self.numbers.len()
            )));
        }
        if self.update_running_mean {
            self.obs_rms.update_as(&self.numbers, self.moments)?;
        }
        self.obs_rms.normalize_into(&self.numbers, self.values, self.epsilon, out);
        Ok(())
    }

    fn normalize_value(&mut self, obs: &Value) -> Result<Value> {
        self.numbers = obs.to_f64_vec().ok_or_else(|| {
            EnvError::BadSpace(format!("NormalizeObservation expected an array observation, got {obs}"))
        })?;
        let mut out = vec![0.0; self.numbers.len()];
        self.normalize_numbers(&mut out)?;
        Ok(Value::F32(out))
    }

    /// Normalizes, in place, a buffer the inner env filled with the observation's numbers.
    fn normalize_buffer(&mut self, obs: &mut [f32]) -> Result<()> {
        self.numbers.clear();
        self.numbers.extend(obs.iter().map(|&x| x as f64));
        self.normalize_numbers(obs)
    }
}

/// Shape and dtype of an array space; Gymnasium needs a space with a shape.
fn array_shape(space: &Space) -> Result<(Vec<usize>, DType)> {
    match space {
        Space::Box(b) => Ok((b.shape.clone(), b.dtype)),
        Space::MultiBinary { shape } => Ok((shape.clone(), DType::Int8)),
        Space::MultiDiscrete { nvec, .. } => Ok((vec![nvec.len()], DType::Int64)),
        other => Err(EnvError::BadSpace(format!(
            "NormalizeObservation needs an array observation space (Box, MultiBinary, MultiDiscrete), got {}",
            other.describe()
        ))),
    }
}

/// numpy's precisions for observations of `dtype` against float32 statistics: `np.mean` of
/// integers is float64, and `obs − mean` promotes only int64 and float64 to float64.
fn precisions(dtype: DType) -> (Precision, Precision) {
    match dtype {
        DType::Float32 => (Precision::F32, Precision::F32),
        DType::UInt8 | DType::Int8 => (Precision::F64, Precision::F32),
        DType::Float64 | DType::Int64 => (Precision::F64, Precision::F64),
    }
}

impl<E: Env> Env for NormalizeObservation<E> {
    fn observation_space(&self) -> &Space {
        &self.space
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let (obs, info) = self.env.reset(seed, options)?;
        Ok((self.normalize_value(&obs)?, info))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let mut step = self.env.step(action)?;
        step.obs = self.normalize_value(&step.obs)?;
        Ok(step)
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        if !self.in_place {
            return reset_via_value(self, seed, obs);
        }
        check_buffer(obs, &self.space)?;
        self.env.reset_into(seed, obs)?;
        self.normalize_buffer(obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        if !self.in_place {
            return step_via_value(self, action, obs);
        }
        check_buffer(obs, &self.space)?;
        let t = self.env.step_into(action, obs)?;
        self.normalize_buffer(obs)?;
        Ok(t)
    }
}
