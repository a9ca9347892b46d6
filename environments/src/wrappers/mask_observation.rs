//! MaskObservation: hide chosen entries of a Box observation (rl-zoo's MaskVelocityWrapper).

use super::check_buffer;
use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::render::Frame;
use crate::space::{DType, Space};
use crate::value::Value;

/// Multiplies the entries at `indices` of a float Box observation by 0 and the others by 1, as
/// rl_zoo3's `MaskVelocityWrapper` does (`observation * mask`, so a negative entry becomes
/// -0.0). The observation space is unchanged, as there. `CartPoleNoVel-v1` is CartPole-v1
/// with indices `[1, 3]` (the two velocities) masked.
///
/// ```
/// use limbic_environments::{classic::CartPole, wrappers::MaskObservation, Env, Options, Value};
/// let mut env = MaskObservation::new(CartPole::default(), &[1, 3]).unwrap();
/// let (obs, _) = env.reset(Some(0), &Options::new()).unwrap();
/// assert_eq!(obs, Value::F32(vec![0.013696169, -0.0, -0.045902647, -0.0]));
/// ```
pub struct MaskObservation<E> {
    env: E,
    indices: Vec<usize>,
}

impl<E: Env> MaskObservation<E> {
    /// `indices`: positions in the (row-major, flattened) observation to hide.
    pub fn new(env: E, indices: &[usize]) -> Result<Self> {
        let space = env.observation_space();
        let len = match space {
            Space::Box(b) if matches!(b.dtype, DType::Float32 | DType::Float64) => b.low.len(),
            other => {
                return Err(EnvError::BadSpace(format!(
                    "MaskObservation needs a float32 or float64 Box observation space, got {}",
                    other.describe()
                )))
            }
        };
        if let Some(&bad) = indices.iter().find(|&&i| i >= len) {
            return Err(super::bad_param(
                "indices",
                format!("index {bad} is outside the observation of {len} numbers ({})", space.describe()),
            ));
        }
        Ok(MaskObservation { env, indices: indices.to_vec() })
    }

    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    pub fn inner(&self) -> &E {
        &self.env
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    fn mask(&self, obs: Value) -> Value {
        match obs {
            Value::F32(mut v) => {
                self.indices.iter().for_each(|&i| v[i] *= 0.0);
                Value::F32(v)
            }
            Value::F64(mut v) => {
                self.indices.iter().for_each(|&i| v[i] *= 0.0);
                Value::F64(v)
            }
            other => other,
        }
    }
}

impl<E: Env> Env for MaskObservation<E> {
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn flat_space(&self) -> &Space {
        self.env.flat_space()
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let (obs, info) = self.env.reset(seed, options)?;
        Ok((self.mask(obs), info))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let step = self.env.step(action)?;
        Ok(Step { obs: self.mask(step.obs), ..step })
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    // The flat row holds the Box's numbers (cast to f32), so masking it there is exact.
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        check_buffer(obs, self.env.flat_space())?;
        self.env.reset_into(seed, obs)?;
        self.indices.iter().for_each(|&i| obs[i] *= 0.0);
        Ok(())
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        check_buffer(obs, self.env.flat_space())?;
        let t = self.env.step_into(action, obs)?;
        self.indices.iter().for_each(|&i| obs[i] *= 0.0);
        Ok(t)
    }
}
