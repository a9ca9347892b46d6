//! FrameStackObservation: the last `stack_size` observations, stacked.

use super::{bad_param, check_buffer, flat_is_exact, reset_via_value, step_via_value};
use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::render::Frame;
use crate::space::{BoxSpace, DType, Space};
use crate::value::Value;
use std::collections::VecDeque;

/// What fills the stack after `reset` (Gymnasium's `padding_type`).
#[derive(Clone, Debug, PartialEq)]
pub enum Padding {
    /// The reset observation, repeated (Gymnasium's default, `"reset"`).
    Reset,
    /// The element of the space closest to zero (`"zero"`: `create_zero_array`).
    Zero,
    /// A given element of the observation space.
    Custom(Value),
}

/// Gymnasium 1.x's `FrameStackObservation(env, stack_size, padding_type)`: observations are the
/// last `stack_size` frames, oldest first, with shape `[stack_size, ...]`; after `reset` the
/// first `stack_size − 1` are padding. The space is Gymnasium's `batch_space`: a Box's bounds
/// repeated, `Discrete` → `MultiDiscrete`, `MultiDiscrete` → int64 `Box`, `MultiBinary` → int8
/// `Box`, `Dict` → stacked per key.
///
/// For Box (float32, uint8, int8) and MultiBinary observations the frames live in one flat f32
/// buffer that both paths share, and the fast path copies it out; other spaces keep values.
pub struct FrameStackObservation<E> {
    env: E,
    stack_size: usize,
    padding: Padding,
    space: Space,
    frames: Frames,
}

enum Frames {
    /// Flat frames, oldest first (`stack_size × dim`), and the flat padding frame.
    Flat { dim: usize, stack: Vec<f32>, pad: Vec<f32> },
    /// Frames as values, oldest first, and the padding value.
    Values { queue: VecDeque<Value>, pad: Value },
}

impl<E: Env> FrameStackObservation<E> {
    /// Fails for `stack_size == 0`, a custom padding outside the observation space, or a space
    /// that cannot be stacked (Text).
    pub fn new(env: E, stack_size: usize, padding: Padding) -> Result<Self> {
        if stack_size == 0 {
            return Err(bad_param("stack_size", "the stack_size needs to be greater than zero, got 0"));
        }
        let inner = env.observation_space();
        let space = stacked_space(inner, stack_size)?;
        let pad = match &padding {
            Padding::Custom(v) => {
                inner
                    .check(v)
                    .map_err(|e| bad_param("padding_type", format!("{v} is not in {}: {e}", inner.describe())))?;
                v.clone()
            }
            Padding::Reset | Padding::Zero => zero_value(inner)?,
        };
        let frames = if flat_is_exact(inner) {
            let dim = inner.flat_dim()?;
            let mut flat_pad = vec![0.0; dim];
            inner.flatten_into(&pad, &mut flat_pad)?;
            Frames::Flat { dim, stack: vec![0.0; dim * stack_size], pad: flat_pad }
        } else {
            Frames::Values { queue: VecDeque::with_capacity(stack_size), pad }
        };
        Ok(FrameStackObservation { env, stack_size, padding, space, frames })
    }

    pub fn stack_size(&self) -> usize {
        self.stack_size
    }

    pub fn padding(&self) -> &Padding {
        &self.padding
    }

    pub fn inner(&self) -> &E {
        &self.env
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    /// Starts a stack on the reset observation `obs`: padding, then `obs`.
    fn start(&mut self, obs: Value) -> Result<Value> {
        let reset_padding = self.padding == Padding::Reset;
        match &mut self.frames {
            Frames::Flat { dim, stack, pad } => {
                let last = stack.len() - *dim;
                self.env.observation_space().flatten_into(&obs, &mut stack[last..])?;
                pad_flat(stack, *dim, pad, reset_padding);
                Ok(flat_value(&self.space, stack))
            }
            Frames::Values { queue, pad } => {
                if reset_padding {
                    *pad = obs.clone();
                }
                queue.clear();
                queue.extend(std::iter::repeat_n(pad.clone(), self.stack_size - 1));
                queue.push_back(obs);
                stack_values(&self.space, &queue.iter().collect::<Vec<_>>())
            }
        }
    }

    /// Pushes the newest observation `obs` out of a step, dropping the oldest.
    fn push(&mut self, obs: Value) -> Result<Value> {
        match &mut self.frames {
            Frames::Flat { dim, stack, .. } => {
                stack.copy_within(*dim.., 0);
                let last = stack.len() - *dim;
                self.env.observation_space().flatten_into(&obs, &mut stack[last..])?;
                Ok(flat_value(&self.space, stack))
            }
            Frames::Values { queue, .. } => {
                queue.pop_front();
                queue.push_back(obs);
                stack_values(&self.space, &queue.iter().collect::<Vec<_>>())
            }
        }
    }
}

/// Fills all but the last frame with padding: the last frame itself for `Padding::Reset`.
fn pad_flat(stack: &mut [f32], dim: usize, pad: &[f32], reset_padding: bool) {
    let (earlier, last) = stack.split_at_mut(stack.len() - dim);
    let pad = if reset_padding { &*last } else { pad };
    for frame in earlier.chunks_exact_mut(dim) {
        frame.copy_from_slice(pad);
    }
}

/// The stacked value of flat frames (the stacked space is then a Box of an f32-exact dtype).
fn flat_value(space: &Space, stack: &[f32]) -> Value {
    let dtype = space.as_box().map_or(DType::Float32, |b| b.dtype);
    dtype.array(stack.iter().map(|&x| x as f64))
}

/// Gymnasium's `batch_space(space, n)`.
fn stacked_space(space: &Space, n: usize) -> Result<Space> {
    let repeat = |v: &[f64]| v.repeat(n);
    let with_stack = |shape: &[usize]| [&[n][..], shape].concat();
    Ok(match space {
        Space::Box(b) => Space::Box(BoxSpace {
            low: repeat(&b.low),
            high: repeat(&b.high),
            shape: with_stack(&b.shape),
            dtype: b.dtype,
        }),
        Space::Discrete { n: k, start } => Space::MultiDiscrete { nvec: vec![*k; n], start: vec![*start; n] },
        Space::MultiDiscrete { nvec, start } => {
            let low: Vec<f64> = start.iter().map(|&s| s as f64).collect();
            let high: Vec<f64> = start.iter().zip(nvec).map(|(&s, &k)| (s + k - 1) as f64).collect();
            let shape = with_stack(&[nvec.len()]);
            Space::Box(BoxSpace { low: repeat(&low), high: repeat(&high), shape, dtype: DType::Int64 })
        }
        Space::MultiBinary { shape } => {
            let shape = with_stack(shape);
            let len = shape.iter().product();
            Space::Box(BoxSpace { low: vec![0.0; len], high: vec![1.0; len], shape, dtype: DType::Int8 })
        }
        Space::Dict(items) => {
            Space::Dict(items.iter().map(|(k, s)| Ok((k.clone(), stacked_space(s, n)?))).collect::<Result<Vec<_>>>()?)
        }
        Space::Tuple(items) => Space::Tuple(items.iter().map(|s| stacked_space(s, n)).collect::<Result<_>>()?),
        Space::Text { .. } => {
            return Err(EnvError::Unsupported("FrameStackObservation cannot stack a Text space".into()))
        }
    })
}

/// Gymnasium's `concatenate` of frames into an element of the stacked space.
fn stack_values(stacked: &Space, frames: &[&Value]) -> Result<Value> {
    let mismatch = |v: &Value| EnvError::BadSpace(format!("cannot stack observation {v} into {}", stacked.describe()));
    Ok(match stacked {
        Space::Box(b) => {
            let mut nums = Vec::with_capacity(b.low.len());
            for v in frames {
                nums.extend(v.to_f64_vec().ok_or_else(|| mismatch(v))?);
            }
            b.dtype.array(nums)
        }
        Space::MultiDiscrete { .. } => {
            Value::I64(frames.iter().map(|v| v.as_int().ok_or_else(|| mismatch(v))).collect::<Result<_>>()?)
        }
        Space::Dict(items) => {
            let mut stacked_items = Vec::with_capacity(items.len());
            for (key, sub) in items {
                let parts = frames.iter().map(|v| v.get(key).ok_or_else(|| mismatch(v))).collect::<Result<Vec<_>>>()?;
                stacked_items.push((key.clone(), stack_values(sub, &parts)?));
            }
            Value::Dict(stacked_items)
        }
        Space::Tuple(items) => {
            let mut stacked_items = Vec::with_capacity(items.len());
            for (i, sub) in items.iter().enumerate() {
                let parts = frames
                    .iter()
                    .map(|v| match v {
                        Value::Tuple(elements) if elements.len() == items.len() => Ok(&elements[i]),
                        v => Err(mismatch(v)),
                    })
                    .collect::<Result<Vec<_>>>()?;
                stacked_items.push(stack_values(sub, &parts)?);
            }
            Value::Tuple(stacked_items)
        }
        other => return Err(EnvError::BadSpace(format!("cannot stack into {}", other.describe()))),
    })
}

/// Gymnasium's `create_zero_array`: zeros, moved into a Box's bounds; a discrete space's start.
fn zero_value(space: &Space) -> Result<Value> {
    Ok(match space {
        Space::Box(b) => b.dtype.array(b.low.iter().zip(&b.high).map(|(&lo, &hi)| {
            if lo > 0.0 {
                lo
            } else if hi < 0.0 {
                hi
            } else {
                0.0
            }
        })),
        Space::Discrete { start, .. } => Value::Int(*start),
        Space::MultiDiscrete { start, .. } => Value::I64(start.clone()),
        Space::MultiBinary { shape } => Value::I8(vec![0; shape.iter().product()]),
        Space::Dict(items) => {
            Value::Dict(items.iter().map(|(k, s)| Ok((k.clone(), zero_value(s)?))).collect::<Result<Vec<_>>>()?)
        }
        Space::Tuple(items) => Value::Tuple(items.iter().map(zero_value).collect::<Result<_>>()?),
        Space::Text { .. } => {
            return Err(EnvError::Unsupported("FrameStackObservation cannot stack a Text space".into()))
        }
    })
}

impl<E: Env> Env for FrameStackObservation<E> {
    fn observation_space(&self) -> &Space {
        &self.space
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let (obs, info) = self.env.reset(seed, options)?;
        Ok((self.start(obs)?, info))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let Step { obs, reward, terminated, truncated, info } = self.env.step(action)?;
        Ok(Step { obs: self.push(obs)?, reward, terminated, truncated, info })
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        let reset_padding = self.padding == Padding::Reset;
        let Frames::Flat { dim, stack, pad } = &mut self.frames else {
            return reset_via_value(self, seed, obs);
        };
        check_buffer(obs, &self.space)?;
        let last = stack.len() - *dim;
        self.env.reset_into(seed, &mut stack[last..])?;
        pad_flat(stack, *dim, pad, reset_padding);
        obs.copy_from_slice(stack);
        Ok(())
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        let Frames::Flat { dim, stack, .. } = &mut self.frames else {
            return step_via_value(self, action, obs);
        };
        check_buffer(obs, &self.space)?;
        // The oldest frame moves to the end, where the new one overwrites it.
        stack.rotate_left(*dim);
        let last = stack.len() - *dim;
        match self.env.step_into(action, &mut stack[last..]) {
            Ok(t) => {
                obs.copy_from_slice(stack);
                Ok(t)
            }
            Err(e) => {
                stack.rotate_right(*dim);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_padding_is_moved_into_the_bounds() {
        let b = Space::vector_box(&[1.0, -3.0, -1.0], &[2.0, -2.0, 1.0], DType::Float32);
        assert_eq!(zero_value(&b).unwrap(), Value::F32(vec![1.0, -2.0, 0.0]));
        assert_eq!(zero_value(&Space::Discrete { n: 3, start: 4 }).unwrap(), Value::Int(4));
    }

    #[test]
    fn stacked_spaces_are_batch_space() {
        let d = stacked_space(&Space::Discrete { n: 3, start: 1 }, 2).unwrap();
        assert_eq!(d, Space::MultiDiscrete { nvec: vec![3, 3], start: vec![1, 1] });
        let m = stacked_space(&Space::MultiDiscrete { nvec: vec![2, 5], start: vec![0, -1] }, 2).unwrap();
        let m = m.as_box().unwrap();
        assert_eq!((m.low.as_slice(), m.high.as_slice()), (&[0.0, -1.0, 0.0, -1.0][..], &[1.0, 3.0, 1.0, 3.0][..]));
        assert_eq!((m.shape.as_slice(), m.dtype), (&[2, 2][..], DType::Int64));
    }
}
