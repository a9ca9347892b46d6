//! RGBImgObs: the whole grid as an RGB picture in place of the agent's encoded view; and
//! [`PixelObs`], the wrapper it shares with `RGBImgPartialObs`.

use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::gridworld::minigrid::{GridConfig, GridEnv};
use crate::gridworld::render;
use crate::gridworld::world::World;
use crate::render::Frame;
use crate::space::{DType, Space};
use crate::value::Value;
use std::marker::PhantomData;
use std::ops::Range;

/// MiniGrid's `RGBImgObsWrapper(env, tile_size=8)`: `image` becomes the picture
/// `env.render()` would show (field of view lightened) at `tile_size` pixels a cell,
/// `Box(0, 255, (height * tile_size, width * tile_size, 3), uint8)`, rows top to bottom.
///
/// ```
/// use limbic_environments::gridworld::{self, wrappers::RGBImgObs};
/// use limbic_environments::{Env, Value};
/// let env = gridworld::make("MiniGrid-Empty-5x5-v0", &Default::default()).unwrap();
/// let mut env = RGBImgObs::new(env, 8).unwrap();
/// let (obs, _) = env.reset(Some(0), &Default::default()).unwrap();
/// assert!(matches!(obs.get("image"), Some(Value::U8(px)) if px.len() == 40 * 40 * 3));
/// ```
pub type RGBImgObs<E> = PixelObs<E, FullGrid>;

/// The tile size of MiniGrid's pixel-observation wrappers.
pub const DEFAULT_TILE_SIZE: usize = 8;

/// A picture of a gridworld that can stand in for its observation's `image`.
pub trait Picture: Send + 'static {
    /// The picture's size in cells: rows, then columns.
    fn cells(config: &GridConfig) -> (usize, usize);

    fn draw(world: &World, config: &GridConfig, tile_size: usize) -> Result<Frame>;
}

/// The whole grid, the agent's field of view lightened (`get_frame(highlight=True)`).
pub struct FullGrid;

impl Picture for FullGrid {
    fn cells(config: &GridConfig) -> (usize, usize) {
        (config.height, config.width)
    }

    fn draw(world: &World, config: &GridConfig, tile_size: usize) -> Result<Frame> {
        render::render_full(world, config, tile_size, true)
    }
}

/// An observation wrapper whose `image` is the picture `P` at `tile_size` pixels a cell, the
/// other keys untouched. The fast path keeps the inner env's fast path and writes the picture's
/// bytes into the image's place in the row.
pub struct PixelObs<E, P> {
    env: E,
    tile_size: usize,
    space: Space,
    flat_space: Space,
    flat_dim: usize,
    /// Per key but the image: where its numbers sit in the inner env's flat row, and in this one's.
    copies: Vec<(Range<usize>, Range<usize>)>,
    /// Where the image sits in this wrapper's flat row.
    image_at: Range<usize>,
    /// The inner env's flat row.
    scratch: Vec<f32>,
    picture: PhantomData<fn() -> P>,
}

impl<E: GridEnv, P: Picture> PixelObs<E, P> {
    /// Fails for a tile size out of `1..=MAX_TILE_SIZE` (or a picture too large), or an env whose
    /// observation has no `image`.
    pub fn new(env: E, tile_size: usize) -> Result<Self> {
        let (rows, columns) = P::cells(env.config());
        render::check_size(columns, rows, tile_size)?;
        let image = Space::uniform_box(0.0, 255.0, &[rows * tile_size, columns * tile_size, 3], DType::UInt8);
        let space = with_image(env.observation_space(), &image)?;
        let flat_space = with_image(env.flat_space(), &image)?;
        let (copies, image_at) = flat_plan(env.flat_space(), &flat_space)?;
        let scratch = vec![0.0; env.flat_space().flat_dim()?];
        let flat_dim = flat_space.flat_dim()?;
        Ok(PixelObs { env, tile_size, space, flat_space, flat_dim, copies, image_at, scratch, picture: PhantomData })
    }

    pub fn tile_size(&self) -> usize {
        self.tile_size
    }

    pub fn inner(&self) -> &E {
        &self.env
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    fn picture(&self) -> Result<Frame> {
        P::draw(self.env.world(), self.env.config(), self.tile_size)
    }

    /// The inner observation with the picture as its image.
    fn observation(&self, obs: Value) -> Result<Value> {
        let Value::Dict(mut items) = obs else {
            return Err(EnvError::BadSpace(format!("expected a Dict observation, got {obs}")));
        };
        let image = items.iter_mut().find(|(key, _)| key == "image");
        let (_, value) = image.ok_or_else(|| EnvError::BadSpace("the observation has no `image`".into()))?;
        *value = Value::U8(self.picture()?.pixels);
        Ok(Value::Dict(items))
    }

    /// This wrapper's flat row from the inner env's (in `scratch`) and the picture.
    fn write_flat(&self, out: &mut [f32]) -> Result<()> {
        for (from, to) in &self.copies {
            out[to.clone()].copy_from_slice(&self.scratch[from.clone()]);
        }
        let frame = self.picture()?;
        for (o, &v) in out[self.image_at.clone()].iter_mut().zip(&frame.pixels) {
            *o = v as f32;
        }
        Ok(())
    }

    fn check_buffer(&self, out: &[f32]) -> Result<()> {
        if out.len() == self.flat_dim {
            Ok(())
        } else {
            Err(EnvError::BadSpace(format!(
                "the observation buffer holds {} numbers, {} needs {}",
                out.len(),
                self.flat_space.describe(),
                self.flat_dim
            )))
        }
    }
}

/// `space`, a Dict with an `image`, with `image` in its place.
fn with_image(space: &Space, image: &Space) -> Result<Space> {
    let Space::Dict(items) = space else {
        return Err(EnvError::BadSpace(format!("expected a Dict observation space, got {}", space.describe())));
    };
    if !items.iter().any(|(key, _)| key == "image") {
        return Err(EnvError::BadSpace(format!("the observation space {} has no `image`", space.describe())));
    }
    let items = items.iter().map(|(key, s)| (key.clone(), if key == "image" { image.clone() } else { s.clone() }));
    Ok(Space::Dict(items.collect()))
}

/// Where each key's numbers move between the inner flat row and the wrapper's (the spaces have
/// the same keys in the same order), and where the image goes.
type FlatPlan = (Vec<(Range<usize>, Range<usize>)>, Range<usize>);

fn flat_plan(inner: &Space, outer: &Space) -> Result<FlatPlan> {
    let (Space::Dict(inner), Space::Dict(outer)) = (inner, outer) else {
        return Err(EnvError::BadSpace("pixel observations need Dict spaces".into()));
    };
    let (mut copies, mut image_at) = (Vec::new(), 0..0);
    let (mut from, mut to) = (0, 0);
    for ((key, a), (_, b)) in inner.iter().zip(outer) {
        let (a, b) = (a.flat_dim()?, b.flat_dim()?);
        if key == "image" {
            image_at = to..to + b;
        } else {
            copies.push((from..from + a, to..to + b));
        }
        (from, to) = (from + a, to + b);
    }
    Ok((copies, image_at))
}

impl<E: GridEnv, P: Picture> Env for PixelObs<E, P> {
    fn observation_space(&self) -> &Space {
        &self.space
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let (obs, info) = self.env.reset(seed, options)?;
        Ok((self.observation(obs)?, info))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let step = self.env.step(action)?;
        Ok(Step { obs: self.observation(step.obs)?, ..step })
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    /// The inner env's flat space with the picture as its image.
    fn flat_space(&self) -> &Space {
        &self.flat_space
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.check_buffer(obs)?;
        self.env.reset_into(seed, &mut self.scratch)?;
        self.write_flat(obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        self.check_buffer(obs)?;
        let t = self.env.step_into(action, &mut self.scratch)?;
        self.write_flat(obs)?;
        Ok(t)
    }
}

impl<E: GridEnv, P: Picture> GridEnv for PixelObs<E, P> {
    fn world(&self) -> &World {
        self.env.world()
    }

    fn config(&self) -> &GridConfig {
        self.env.config()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gridworld;

    fn image(obs: &Value) -> &[u8] {
        match obs.get("image") {
            Some(Value::U8(px)) => px,
            other => panic!("no image: {other:?}"),
        }
    }

    #[test]
    fn image_is_the_highlighted_full_render() {
        let env = gridworld::make("MiniGrid-DoorKey-6x6-v0", &Default::default()).unwrap();
        let mut env = RGBImgObs::new(env, 4).unwrap();
        let (obs, _) = env.reset(Some(3), &Options::new()).unwrap();
        assert!(env.observation_space().contains(&obs));
        let frame = render::render_full(env.world(), env.config(), 4, true).unwrap();
        assert_eq!(image(&obs), &frame.pixels[..]);
        assert_eq!(obs.get("direction"), Some(&Value::Int(env.world().agent_dir as i64)));
        assert!(
            matches!(obs.get("mission"), Some(Value::Text(m)) if m == "use the key to open the door and then get to the goal")
        );
        let Space::Dict(items) = env.observation_space() else { panic!() };
        assert_eq!(items[1].1.as_box().unwrap().shape, vec![24, 24, 3]);
    }

    #[test]
    fn fast_path_writes_the_slow_paths_numbers() {
        let make = || RGBImgObs::new(gridworld::make("MiniGrid-LavaGapS5-v0", &Default::default()).unwrap(), 3);
        let (mut slow, mut fast) = (make().unwrap(), make().unwrap());
        let mut row = vec![0.0; fast.flat_space().flat_dim().unwrap()];
        let mut expect = row.clone();
        let (obs, _) = slow.reset(Some(1), &Options::new()).unwrap();
        fast.reset_into(Some(1), &mut row).unwrap();
        slow.flat_space().flatten_into(&obs, &mut expect).unwrap();
        assert_eq!(row, expect);
        for a in [1, 2, 0, 2] {
            let step = slow.step(&Value::Int(a)).unwrap();
            let t = fast.step_into(&Value::Int(a), &mut row).unwrap();
            slow.flat_space().flatten_into(&step.obs, &mut expect).unwrap();
            assert_eq!((row.as_slice(), t.reward, t.terminated), (expect.as_slice(), step.reward, step.terminated));
        }
        assert!(fast.step_into(&Value::Int(0), &mut row[1..]).is_err());
    }

    #[test]
    fn bad_tile_sizes_are_errors() {
        let env = || gridworld::make("MiniGrid-Empty-5x5-v0", &Default::default()).unwrap();
        assert!(RGBImgObs::new(env(), 0).is_err());
        assert!(RGBImgObs::new(env(), render::MAX_TILE_SIZE + 1).is_err());
    }
}
