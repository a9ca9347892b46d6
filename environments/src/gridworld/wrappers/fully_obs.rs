//! FullyObs: the whole grid as the image (MiniGrid's `FullyObsWrapper`).

use super::{dict_entry, set_entry, with_entry, Splice};
use crate::error::Result;
use crate::gridworld::minigrid::GridEnv;
use crate::gridworld::object::{Color, ObjType};
use crate::space::{DType, Space};
use crate::value::Value;

/// The image becomes the full grid's encoding (`Grid.encode()`, uint8 `[width, height, 3]`,
/// indexed `[x][y][channel]`) with the agent's cell written as `[10, 0, direction]` (type
/// "agent", colour "red"); direction and mission are kept.
pub struct FullyObs<E> {
    env: E,
    space: Space,
    flat: Space,
    splice: Splice,
    inner_row: Vec<f32>,
    image: Vec<u8>,
}

impl<E: GridEnv> FullyObs<E> {
    /// `env` must have MiniGrid's Dict observation (with an `image`).
    pub fn new(env: E) -> Result<Self> {
        let config = env.config();
        let image = Space::uniform_box(0.0, 255.0, &[config.width, config.height, 3], DType::UInt8);
        dict_entry(env.observation_space(), "image", "FullyObs")?;
        let space = with_entry(env.observation_space(), "image", image.clone())?;
        let (splice, flat) = Splice::new(env.flat_space(), "image", &image)?;
        Ok(FullyObs { inner_row: splice.inner_row(), env, space, flat, splice, image: Vec::new() })
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    /// Encodes the grid and the agent into `self.image`.
    fn encode(&mut self) {
        let world = self.env.world();
        world.grid.encode_into(&mut self.image);
        let (x, y) = world.agent_pos;
        let at = (x as usize * world.grid.height() as usize + y as usize) * 3;
        if let Some(cell) = self.image.get_mut(at..at + 3) {
            cell.copy_from_slice(&[ObjType::Agent as u8, Color::Red as u8, world.agent_dir as u8]);
        }
    }

    fn observe(&mut self, obs: &mut Value) -> Result<()> {
        self.encode();
        set_entry(obs, "image", Value::U8(self.image.clone()))
    }

    /// The flat row: the inner row with the grid for the image.
    fn write_row(&mut self, out: &mut [f32]) -> Result<()> {
        self.encode();
        let (_, image) = self.splice.apply(&self.inner_row, out);
        for (o, &v) in image.iter_mut().zip(&self.image) {
            *o = v as f32;
        }
        Ok(())
    }
}

rewrite_observation_env!(FullyObs: crate::gridworld::GridEnv);

forward_grid_env!(FullyObs);
