//! SymbolicObs: the whole grid as `(x, y, object type)` triples (MiniGrid's `SymbolicObsWrapper`).

use super::{dict_entry, set_entry, with_entry, Splice};
use crate::error::Result;
use crate::gridworld::minigrid::GridEnv;
use crate::gridworld::object::ObjType;
use crate::space::{BoxSpace, DType, Space};
use crate::value::Value;

/// The image becomes int64 `[width, height, 3]`: cell `[x][y]` holds `x`, `y` and the index of
/// the object there (-1 for an empty cell, 10 for the agent's cell). Direction and mission are
/// kept.
pub struct SymbolicObs<E> {
    env: E,
    space: Space,
    flat: Space,
    splice: Splice,
    inner_row: Vec<f32>,
    image: Vec<i64>,
}

impl<E: GridEnv> SymbolicObs<E> {
    /// `env` must have MiniGrid's Dict observation (with an `image`).
    pub fn new(env: E) -> Result<Self> {
        let (w, h) = (env.config().width, env.config().height);
        let low = [0.0, 0.0, -1.0].repeat(w * h);
        let high = [(w - 1) as f64, (h - 1) as f64, ObjType::Agent as u8 as f64].repeat(w * h);
        let image = Space::Box(BoxSpace { low, high, shape: vec![w, h, 3], dtype: DType::Int64 });
        dict_entry(env.observation_space(), "image", "SymbolicObs")?;
        let space = with_entry(env.observation_space(), "image", image.clone())?;
        let (splice, flat) = Splice::new(env.flat_space(), "image", &image)?;
        Ok(SymbolicObs { inner_row: splice.inner_row(), env, space, flat, splice, image: Vec::new() })
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    /// The triples, `[x][y][3]`, into `self.image`.
    fn encode(&mut self) {
        let world = self.env.world();
        let grid = &world.grid;
        self.image.clear();
        for x in 0..grid.width() {
            for y in 0..grid.height() {
                let kind = match grid.get((x, y)).kind {
                    _ if (x, y) == world.agent_pos => ObjType::Agent as i64,
                    ObjType::Empty => -1,
                    kind => kind as i64,
                };
                self.image.extend_from_slice(&[x as i64, y as i64, kind]);
            }
        }
    }

    fn observe(&mut self, obs: &mut Value) -> Result<()> {
        self.encode();
        set_entry(obs, "image", Value::I64(self.image.clone()))
    }

    fn write_row(&mut self, out: &mut [f32]) -> Result<()> {
        self.encode();
        let (_, image) = self.splice.apply(&self.inner_row, out);
        for (o, &v) in image.iter_mut().zip(&self.image) {
            *o = v as f32;
        }
        Ok(())
    }
}

rewrite_observation_env!(SymbolicObs: crate::gridworld::GridEnv);

forward_grid_env!(SymbolicObs);
