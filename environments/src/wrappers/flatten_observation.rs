//! FlattenObservation: observations as one flat Box.

use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::render::Frame;
use crate::space::{BoxSpace, DType, Space};
use crate::value::Value;

/// Gymnasium's `FlattenObservation`: the observation space becomes `flatten_space(space)` and
/// each observation `flatten(space, obs)`, keeping Gymnasium's dtypes and bounds:
///
/// | space | flattened |
/// |---|---|
/// | `Box(low, high, shape, dtype)` | `Box(low, high, (n,), dtype)`: the same numbers |
/// | `Discrete(n)` / `MultiDiscrete(nvec)` | one-hot `Box(0, 1, (n,) / (Σnvec,), int64)` |
/// | `MultiBinary(shape)` | `Box(0, 1, (n,), int8)` |
/// | `Dict` / `Tuple` | parts concatenated in key / element order, dtype `np.result_type` of theirs |
///
/// `Text` has no flat form in limbic (Gymnasium's is int32 character indices): an error.
/// The flat f32 encoding is the inner env's, so the fast paths are forwarded unchanged.
pub struct FlattenObservation<E> {
    env: E,
    space: Space,
    dtype: DType,
}

impl<E: Env> FlattenObservation<E> {
    pub fn new(env: E) -> Result<Self> {
        let flat = flatten_space(env.observation_space())?;
        Ok(FlattenObservation { dtype: flat.dtype, space: Space::Box(flat), env })
    }

    pub fn inner(&self) -> &E {
        &self.env
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    fn flatten(&self, obs: &Value) -> Result<Value> {
        let mut nums = Vec::with_capacity(self.space.flat_dim()?);
        flat_numbers(self.env.observation_space(), obs, &mut nums)?;
        Ok(self.dtype.array(nums))
    }
}

/// Gymnasium's `flatten_space`.
fn flatten_space(space: &Space) -> Result<BoxSpace> {
    let one_hot = |n: usize, dtype| BoxSpace { low: vec![0.0; n], high: vec![1.0; n], shape: vec![n], dtype };
    Ok(match space {
        Space::Box(b) => BoxSpace { shape: vec![b.low.len()], ..b.clone() },
        Space::Discrete { .. } | Space::MultiDiscrete { .. } => one_hot(space.flat_dim()?, DType::Int64),
        Space::MultiBinary { .. } => one_hot(space.flat_dim()?, DType::Int8),
        Space::Dict(items) => concatenate(space, items.iter().map(|(_, s)| s))?,
        Space::Tuple(items) => concatenate(space, items.iter())?,
        Space::Text { .. } => {
            return Err(EnvError::Unsupported(
                "FlattenObservation: a Text space has no flat numeric form in limbic; drop it first".into(),
            ))
        }
    })
}

/// The flat Boxes of a Dict's or Tuple's parts, one after the other, in their common dtype.
fn concatenate<'a>(space: &Space, subspaces: impl Iterator<Item = &'a Space>) -> Result<BoxSpace> {
    let parts = subspaces.map(flatten_space).collect::<Result<Vec<_>>>()?;
    let mut dtypes = parts.iter().map(|p| p.dtype);
    let empty = || EnvError::BadSpace(format!("cannot flatten an empty {}", space.type_name()));
    let first = dtypes.next().ok_or_else(empty)?;
    let dtype = dtypes.try_fold(first, result_type)?;
    let low: Vec<f64> = parts.iter().flat_map(|p| p.low.iter().copied()).collect();
    let high: Vec<f64> = parts.iter().flat_map(|p| p.high.iter().copied()).collect();
    Ok(BoxSpace { shape: vec![low.len()], low, high, dtype })
}

/// numpy's `result_type` for two of limbic's dtypes.
fn result_type(a: DType, b: DType) -> Result<DType> {
    use DType::*;
    Ok(match (a, b) {
        _ if a == b => a,
        (Float64, _) | (_, Float64) | (Float32, Int64) | (Int64, Float32) => Float64,
        (Float32, _) | (_, Float32) => Float32,
        (Int64, _) | (_, Int64) => Int64,
        // uint8 with int8: numpy gives int16, which limbic's spaces do not have.
        _ => {
            return Err(EnvError::Unsupported(format!(
                "FlattenObservation: {} with {} flattens to int16, which limbic does not support",
                a.name(),
                b.name()
            )))
        }
    })
}

/// Gymnasium's `flatten(space, value)` as f64 numbers: Box numbers as they are (exact for
/// every dtype), the one-hot parts through `Space::flatten_into`.
fn flat_numbers(space: &Space, value: &Value, out: &mut Vec<f64>) -> Result<()> {
    match (space, value) {
        (Space::Dict(items), Value::Dict(_)) => {
            for (key, sub) in items {
                let v = value.get(key).ok_or_else(|| EnvError::BadSpace(format!("observation lacks key `{key}`")))?;
                flat_numbers(sub, v, out)?;
            }
        }
        (Space::Tuple(items), Value::Tuple(values)) if items.len() == values.len() => {
            for (sub, v) in items.iter().zip(values) {
                flat_numbers(sub, v, out)?;
            }
        }
        (Space::Box(_), v) => {
            out.extend(v.to_f64_vec().ok_or_else(|| EnvError::BadSpace(format!("expected an array, got {v}")))?)
        }
        (s, v) => {
            let mut buf = vec![0.0f32; s.flat_dim()?];
            s.flatten_into(v, &mut buf)?;
            out.extend(buf.iter().map(|&x| x as f64));
        }
    }
    Ok(())
}

impl<E: Env> Env for FlattenObservation<E> {
    fn observation_space(&self) -> &Space {
        &self.space
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let (obs, info) = self.env.reset(seed, options)?;
        Ok((self.flatten(&obs)?, info))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let mut step = self.env.step(action)?;
        step.obs = self.flatten(&step.obs)?;
        Ok(step)
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.env.reset_into(seed, obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        self.env.step_into(action, obs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DType::*;

    #[test]
    fn result_type_is_numpys() {
        // np.result_type over limbic's dtypes.
        let table = [
            (Float32, UInt8, Float32),
            (Float32, Int8, Float32),
            (Float32, Int64, Float64),
            (Float64, UInt8, Float64),
            (Int64, UInt8, Int64),
            (Int8, Int64, Int64),
            (UInt8, UInt8, UInt8),
        ];
        for (a, b, want) in table {
            assert_eq!(result_type(a, b).unwrap(), want, "{a:?} with {b:?}");
            assert_eq!(result_type(b, a).unwrap(), want, "{b:?} with {a:?}");
        }
        assert!(result_type(UInt8, Int8).unwrap_err().to_string().contains("int16"));
    }

    #[test]
    fn one_hot_spaces_flatten_to_integer_boxes() {
        let d = flatten_space(&Space::Discrete { n: 3, start: 5 }).unwrap();
        assert_eq!((d.shape, d.dtype, d.high), (vec![3], Int64, vec![1.0; 3]));
        let m = flatten_space(&Space::MultiBinary { shape: vec![2, 2] }).unwrap();
        assert_eq!((m.shape, m.dtype), (vec![4], Int8));
        assert!(flatten_space(&Space::Dict(vec![])).is_err());
    }
}
