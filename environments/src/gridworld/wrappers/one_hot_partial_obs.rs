//! OneHotPartialObs: each image cell as one-hot type, colour and state (MiniGrid's
//! `OneHotPartialObsWrapper`).

use super::{dict_entry, image_bytes, set_entry, with_entry, Splice};
use crate::env::Env;
use crate::error::{EnvError, Result};
use crate::space::{DType, Space};
use crate::value::Value;

/// `len(OBJECT_TO_IDX)`, `len(COLOR_TO_IDX)`, `len(STATE_TO_IDX)`.
const NUM_TYPES: usize = 11;
const NUM_COLORS: usize = 6;
const NUM_STATES: usize = 3;

/// Channels per cell: the object types, then the colours, then the states.
pub const ONE_HOT_BITS: usize = NUM_TYPES + NUM_COLORS + NUM_STATES;

/// The image `[w, h, 3]` becomes uint8 `[w, h, 20]`: in each cell, channel `type`, channel
/// `11 + colour` and channel `17 + state` are 1, the others 0 (so an unseen cell, `[0, 0, 0]`,
/// has channels 0, 11 and 17 set, as in MiniGrid). Direction and mission are kept.
///
/// A code outside MiniGrid's tables (a state above 2, as FullyObs writes for an agent facing
/// up) is an error; MiniGrid raises there or sets a neighbouring field's bit.
pub struct OneHotPartialObs<E> {
    env: E,
    space: Space,
    flat: Space,
    splice: Splice,
    inner_row: Vec<f32>,
}

impl<E: Env> OneHotPartialObs<E> {
    /// `env` must have a Dict observation whose `image` is a Box `[w, h, 3]`.
    pub fn new(env: E) -> Result<Self> {
        let image = dict_entry(env.observation_space(), "image", "OneHotPartialObs")?;
        let (w, h) = match image.as_box().map(|b| b.shape.as_slice()) {
            Some(&[w, h, 3]) => (w, h),
            _ => {
                return Err(EnvError::BadSpace(format!(
                    "OneHotPartialObs needs an image Box of shape [w, h, 3], got {}",
                    image.describe()
                )))
            }
        };
        let one_hot = Space::uniform_box(0.0, 255.0, &[w, h, ONE_HOT_BITS], DType::UInt8);
        let space = with_entry(env.observation_space(), "image", one_hot.clone())?;
        let (splice, flat) = Splice::new(env.flat_space(), "image", &one_hot)?;
        Ok(OneHotPartialObs { inner_row: splice.inner_row(), env, space, flat, splice })
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    fn observe(&self, obs: &mut Value) -> Result<()> {
        let image = image_bytes(obs, "OneHotPartialObs")?;
        let mut out = vec![0u8; image.len() / 3 * ONE_HOT_BITS];
        write_one_hot(image, &mut out, [0, 1], |v| v as usize)?;
        set_entry(obs, "image", Value::U8(out))
    }

    /// The flat row: the inner row with its image one-hot encoded.
    fn write_row(&self, out: &mut [f32]) -> Result<()> {
        let (image, one_hot) = self.splice.apply(&self.inner_row, out);
        write_one_hot(image, one_hot, [0.0, 1.0], |v| v as usize)
    }
}

/// Writes the one-hot encoding of `codes` (type, colour, state per cell) into `out`.
fn write_one_hot<T: Copy>(codes: &[T], out: &mut [T], [zero, one]: [T; 2], code: impl Fn(T) -> usize) -> Result<()> {
    out.fill(zero);
    for (i, (cell, bits)) in codes.chunks_exact(3).zip(out.chunks_exact_mut(ONE_HOT_BITS)).enumerate() {
        let (kind, color, state) = (code(cell[0]), code(cell[1]), code(cell[2]));
        if kind >= NUM_TYPES || color >= NUM_COLORS || state >= NUM_STATES {
            return Err(EnvError::Unsupported(format!(
                "OneHotPartialObs: image cell {i} is [{kind}, {color}, {state}], outside MiniGrid's \
                 {NUM_TYPES} types, {NUM_COLORS} colours and {NUM_STATES} states"
            )));
        }
        bits[kind] = one;
        bits[NUM_TYPES + color] = one;
        bits[NUM_TYPES + NUM_COLORS + state] = one;
    }
    Ok(())
}

rewrite_observation_env!(OneHotPartialObs: crate::env::Env);

forward_grid_env!(OneHotPartialObs);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_set_one_bit_per_field() {
        let mut out = [9u8; 2 * ONE_HOT_BITS];
        write_one_hot(&[2, 5, 0, 4, 4, 2], &mut out, [0, 1], |v| v as usize).unwrap();
        let set: Vec<usize> = out.iter().enumerate().filter(|(_, &b)| b == 1).map(|(i, _)| i).collect();
        assert_eq!(set, [2, 16, 17, 20 + 4, 20 + 15, 20 + 19]);
        assert!(out.iter().all(|&b| b <= 1));
        let err = write_one_hot(&[10, 0, 3], &mut out[..ONE_HOT_BITS], [0, 1], |v| v as usize).unwrap_err();
        assert!(err.to_string().contains("[10, 0, 3]"), "{err}");
    }
}
