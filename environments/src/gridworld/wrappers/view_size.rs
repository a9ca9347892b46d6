//! ViewSize: another side for the agent's view (MiniGrid's `ViewSizeWrapper`).

use super::{dict_entry, set_entry, with_entry, Splice};
use crate::error::Result;
use crate::gridworld::minigrid::GridEnv;
use crate::gridworld::view::{View, MAX_VIEW_SIZE};
use crate::space::{DType, Space};
use crate::value::Value;
use crate::wrappers::bad_param;

/// The image becomes the agent's view of side `agent_view_size` (uint8 `[n, n, 3]`), computed
/// as MiniGrid's `gen_obs_grid(agent_view_size)` does; direction and mission are kept.
///
/// As in MiniGrid, the inner env still computes its own view, and its `agent_view_size` (in
/// [`GridEnv::config`]) is unchanged. Building the env with the `agent_view_size` kwarg gives
/// the same observations for the cost of one view.
pub struct ViewSize<E> {
    env: E,
    view: View,
    space: Space,
    flat: Space,
    splice: Splice,
    inner_row: Vec<f32>,
}

impl<E: GridEnv> ViewSize<E> {
    /// `agent_view_size` must be odd and at least 3 (MiniGrid's asserts), and at most 63.
    pub fn new(env: E, agent_view_size: usize) -> Result<Self> {
        let n = agent_view_size;
        if n < 3 || n.is_multiple_of(2) || n > MAX_VIEW_SIZE {
            return Err(bad_param("agent_view_size", format!("must be odd, from 3 to {MAX_VIEW_SIZE}, got {n}")));
        }
        let image = Space::uniform_box(0.0, 255.0, &[n, n, 3], DType::UInt8);
        dict_entry(env.observation_space(), "image", "ViewSize")?;
        let space = with_entry(env.observation_space(), "image", image.clone())?;
        let (splice, flat) = Splice::new(env.flat_space(), "image", &image)?;
        Ok(ViewSize { inner_row: splice.inner_row(), env, view: View::new(n), space, flat, splice })
    }

    pub fn agent_view_size(&self) -> usize {
        self.view.size()
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    fn look(&mut self) {
        self.view.observe(self.env.world(), self.env.config().see_through_walls);
    }

    fn observe(&mut self, obs: &mut Value) -> Result<()> {
        self.look();
        let mut image = vec![0; self.view.image_len()];
        self.view.write_u8(&mut image);
        set_entry(obs, "image", Value::U8(image))
    }

    /// The flat row: the inner row with this view for the image.
    fn write_row(&mut self, out: &mut [f32]) -> Result<()> {
        self.look();
        let (_, image) = self.splice.apply(&self.inner_row, out);
        self.view.write_f32(image);
        Ok(())
    }
}

rewrite_observation_env!(ViewSize: crate::gridworld::GridEnv);

forward_grid_env!(ViewSize);
