//! RGBImgPartialObs: the agent's view as an RGB picture in place of its encoding.

use super::rgb_img_obs::{Picture, PixelObs};
use crate::error::Result;
use crate::gridworld::minigrid::GridConfig;
use crate::gridworld::render;
use crate::gridworld::world::World;
use crate::render::Frame;

/// MiniGrid's `RGBImgPartialObsWrapper(env, tile_size=8)`: `image` becomes the agent's view
/// drawn at `tile_size` pixels a cell (`get_frame(agent_pov=True)`: facing up, what it sees
/// lightened), `Box(0, 255, (view * tile_size, view * tile_size, 3), uint8)`.
///
/// ```
/// use limbic_environments::gridworld::{self, wrappers::RGBImgPartialObs};
/// use limbic_environments::{Env, Value};
/// let env = gridworld::make("MiniGrid-DoorKey-8x8-v0", &Default::default()).unwrap();
/// let mut env = RGBImgPartialObs::new(env, 8).unwrap();
/// let (obs, _) = env.reset(Some(0), &Default::default()).unwrap();
/// assert!(matches!(obs.get("image"), Some(Value::U8(px)) if px.len() == 56 * 56 * 3));
/// ```
pub type RGBImgPartialObs<E> = PixelObs<E, AgentView>;

/// The agent's view, as `get_pov_render` draws it.
pub struct AgentView;

impl Picture for AgentView {
    fn cells(config: &GridConfig) -> (usize, usize) {
        (config.agent_view_size, config.agent_view_size)
    }

    fn draw(world: &World, config: &GridConfig, tile_size: usize) -> Result<Frame> {
        render::render_pov(world, config, tile_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{Env, Options};
    use crate::gridworld::{self, GridEnv};
    use crate::space::Space;
    use crate::value::Value;

    #[test]
    fn image_is_the_agents_view_at_its_size() {
        let kwargs = serde_json::json!({"agent_view_size": 5}).as_object().cloned().unwrap();
        let env = gridworld::make("MiniGrid-FourRooms-v0", &kwargs).unwrap();
        let mut env = RGBImgPartialObs::new(env, 6).unwrap();
        let Space::Dict(items) = env.observation_space() else { panic!() };
        assert_eq!(items[1].1.as_box().unwrap().shape, vec![30, 30, 3]);
        let (obs, _) = env.reset(Some(2), &Options::new()).unwrap();
        assert!(env.observation_space().contains(&obs));
        let step = env.step(&Value::Int(2)).unwrap();
        let pov = render::render_pov(env.world(), env.config(), 6).unwrap();
        assert_eq!(step.obs.get("image"), Some(&Value::U8(pov.pixels)));
        let mut row = vec![0.0; env.flat_space().flat_dim().unwrap()];
        env.reset_into(Some(2), &mut row).unwrap();
        assert_eq!(row.len(), 4 + 30 * 30 * 3);
    }
}
