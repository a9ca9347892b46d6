//! [`MiniGrid`]: one environment type for every layout family, implementing [`Env`].
//!
//! A family is a [`Task`]: it generates the layout on reset and may add its own rules around the
//! shared step, as MiniGrid's env classes override `_gen_grid` and `step`.
//!
//! # Observations
//!
//! `reset`/`step` return MiniGrid's dict, keys sorted: `{"direction": Int(0..4), "image":
//! U8(size * size * 3, indexed [x][y][channel]), "mission": Text}`.
//!
//! The fast paths `reset_into`/`step_into` write the numeric part as flat f32, in the order
//! [`Space::flatten_into`] gives for the dict without its mission: the direction one-hot (4),
//! then the image (`size * size * 3`). The mission has no flat encoding (MiniGrid's own
//! `FlatObsWrapper` needs a vocabulary for it); within one family its text only changes with
//! the layout, and callers that need it read it from [`GridEnv::world`] or use `reset`/`step`.
//! [`Env::flat_space`] is the space those rows belong to.
//!
//! An env built [`MiniGrid::with_mission_words`] (the BabyAI levels' `mission_words` kwarg)
//! says its mission as word indices instead (an int64 `Box`, see [`MissionWords`]), in the
//! observation and at the end of the flat row, so learners see the instruction.

use super::mission_words::MissionWords;
use super::render;
use super::view::{View, MAX_VIEW_SIZE};
use super::world::{Action, World};
use crate::env::{check_action, check_option_keys, Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::render::Frame;
use crate::rng::Generator;
use crate::space::{DType, Space};
use crate::value::Value;

/// The characters MiniGrid missions use, in `FlatObsWrapper`'s code order (`a`-`z`, space, comma).
pub const MISSION_CHARSET: &str = "abcdefghijklmnopqrstuvwxyz ,";

/// The longest mission `FlatObsWrapper` encodes.
pub const MISSION_MAX_LEN: usize = 96;

/// A layout family: MiniGrid's `_gen_grid`, and its `step` override if it has one.
pub trait Task: Send + 'static {
    /// Builds the grid, places the agent and sets the mission, drawing from `world.rng()` in
    /// MiniGrid's order. `world` arrives emptied, at the configured size.
    fn generate(&mut self, world: &mut World) -> Result<()>;

    /// One step; the default is MiniGrid's shared rules.
    fn step(&mut self, world: &mut World, action: Action) -> Transition {
        world.step(action)
    }

    /// What the env changes after the first observation of an episode was made (MiniGrid envs
    /// whose `reset` alters the state after `super().reset()` returned its observation, which
    /// then shows the state before the change).
    fn start(&mut self, _world: &mut World) {}

    /// The size of the action space (Dynamic-Obstacles uses only the first 3 actions).
    fn num_actions(&self) -> usize {
        7
    }

    /// The shortest and longest mission text (the observation space's `Text` bounds).
    fn mission_length(&self) -> (usize, usize) {
        (1, MISSION_MAX_LEN)
    }
}

/// The settings every MiniGrid env has (`MiniGridEnv.__init__`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridConfig {
    pub width: usize,
    pub height: usize,
    pub max_steps: u32,
    pub see_through_walls: bool,
    pub agent_view_size: usize,
}

impl GridConfig {
    /// A config with MiniGrid's defaults: opaque walls, a 7 x 7 view.
    pub fn new(width: usize, height: usize, max_steps: u32) -> GridConfig {
        GridConfig { width, height, max_steps, see_through_walls: false, agent_view_size: 7 }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let bad = |key: &str, message: String| Err(EnvError::BadKwarg { key: key.into(), message });
        if self.width < 3 || self.height < 3 || self.width > 1024 || self.height > 1024 {
            return bad("size", format!("the grid must be 3 to 1024 cells a side, got {}x{}", self.width, self.height));
        }
        if self.agent_view_size < 3 || self.agent_view_size.is_multiple_of(2) || self.agent_view_size > MAX_VIEW_SIZE {
            return bad(
                "agent_view_size",
                format!("must be odd, from 3 to {MAX_VIEW_SIZE}, got {}", self.agent_view_size),
            );
        }
        if self.max_steps == 0 {
            return bad("max_steps", "must be at least 1".into());
        }
        Ok(())
    }
}

/// A MiniGrid environment: a [`Task`] on the shared world, view and step rules.
pub struct MiniGrid<T> {
    task: T,
    config: GridConfig,
    world: World,
    view: View,
    seeded: bool,
    ready: bool,
    obs_space: Space,
    flat_space: Space,
    act_space: Space,
    /// The vocabulary of [`MiniGrid::with_mission_words`], with the mission last encoded.
    mission_words: Option<EncodedMission>,
}

/// A vocabulary, the mission it encoded last and its indices.
struct EncodedMission {
    words: MissionWords,
    text: String,
    indices: Vec<i64>,
}

/// Object-safe access to a MiniGrid env's state, for tests, tools and renderers.
pub trait GridEnv: Env {
    /// The episode state: grid, agent, carried object, mission.
    fn world(&self) -> &World;

    fn config(&self) -> &GridConfig;

    /// MiniGrid's `pprint_grid()`: the grid as text, two characters a cell, the agent as an arrow.
    fn to_text(&self) -> String {
        self.world().to_text()
    }
}

/// A boxed gridworld (what [`make`](super::make) returns) is one too, so wrappers over
/// [`GridEnv`] take it.
impl<G: GridEnv + ?Sized> GridEnv for Box<G> {
    fn world(&self) -> &World {
        (**self).world()
    }

    fn config(&self) -> &GridConfig {
        (**self).config()
    }

    fn to_text(&self) -> String {
        (**self).to_text()
    }
}

impl<T: Task> MiniGrid<T> {
    pub fn new(task: T, config: GridConfig) -> Result<MiniGrid<T>> {
        config.validate()?;
        let size = config.agent_view_size;
        let direction = ("direction".to_string(), Space::discrete(4));
        let image = ("image".to_string(), Space::uniform_box(0.0, 255.0, &[size, size, 3], DType::UInt8));
        let (min_length, max_length) = task.mission_length();
        let mission = Space::Text { min_length, max_length, charset: MISSION_CHARSET.into() };
        let act_space = Space::discrete(task.num_actions() as i64);
        Ok(MiniGrid {
            task,
            config,
            world: World::padded(config.width, config.height, config.max_steps, size - 1),
            view: View::new(size),
            seeded: false,
            ready: false,
            obs_space: Space::dict(vec![direction.clone(), image.clone(), ("mission".into(), mission)]),
            flat_space: Space::dict(vec![direction, image]),
            act_space,
            mission_words: None,
        })
    }

    /// The mission as word indices over `words` (an int64 `Box`), in the observation and at
    /// the end of the flat row, instead of text. A mission with a word outside the vocabulary
    /// (or too many words) makes `reset` an error.
    pub fn with_mission_words(mut self, words: MissionWords) -> MiniGrid<T> {
        let index_box = words.index_box();
        for space in [&mut self.obs_space, &mut self.flat_space] {
            let Space::Dict(items) = space else { unreachable!("MiniGrid observations are dicts") };
            items.retain(|(key, _)| key != "mission");
            items.push(("mission".into(), index_box.clone()));
        }
        self.mission_words = Some(EncodedMission { words, text: String::new(), indices: Vec::new() });
        self
    }

    pub fn task(&self) -> &T {
        &self.task
    }

    /// Length of a flat row: `4 + size * size * 3`.
    pub fn flat_dim(&self) -> usize {
        4 + self.view.image_len() + self.mission_words.as_ref().map_or(0, |m| m.words.max_words())
    }

    /// Encodes the mission into word indices (with [`MiniGrid::with_mission_words`]) when it
    /// changed: a task may say a new mission mid-episode.
    fn encode_mission(&mut self) -> Result<()> {
        match &mut self.mission_words {
            Some(m) if m.text != self.world.mission => {
                m.indices = m.words.encode(&self.world.mission)?;
                m.text.clone_from(&self.world.mission);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn begin(&mut self, seed: Option<u64>) -> Result<()> {
        self.ready = false;
        // Gymnasium's `reset(seed)`: a seed re-creates the RNG; `None` keeps it (or seeds one from
        // OS entropy the first time).
        match seed {
            Some(s) => self.world.set_rng(Generator::from_seed(s)),
            None if !self.seeded => self.world.set_rng(Generator::from_entropy()),
            None => {}
        }
        self.seeded = true;
        self.world.begin_episode(self.config.width, self.config.height);
        self.task.generate(&mut self.world)?;
        let start = self.world.agent_pos;
        if !self.world.grid.contains(start) || !self.world.grid.get(start).can_overlap() {
            return Err(EnvError::LayoutFailed(format!("the agent was not placed on a free cell (at {start:?})")));
        }
        self.view.observe(&self.world, self.config.see_through_walls);
        self.task.start(&mut self.world);
        self.encode_mission()?;
        self.ready = true;
        Ok(())
    }

    fn advance(&mut self, action: &Value) -> Result<Transition> {
        if !self.ready {
            return Err(EnvError::NotReset);
        }
        check_action(&self.act_space, action)?;
        let action = action.as_int().and_then(Action::from_index).ok_or_else(|| EnvError::InvalidAction {
            action: action.to_string(),
            reason: "not a MiniGrid action".into(),
        })?;
        let t = self.task.step(&mut self.world, action);
        self.view.observe(&self.world, self.config.see_through_walls);
        self.encode_mission()?;
        Ok(t)
    }

    fn obs(&self) -> Value {
        let mut image = vec![0; self.view.image_len()];
        self.view.write_u8(&mut image);
        Value::Dict(vec![
            ("direction".into(), Value::Int(self.world.agent_dir as i64)),
            ("image".into(), Value::U8(image)),
            (
                "mission".into(),
                match &self.mission_words {
                    Some(m) => Value::I64(m.indices.clone()),
                    None => Value::Text(self.world.mission.clone()),
                },
            ),
        ])
    }

    fn write_flat(&self, out: &mut [f32]) -> Result<()> {
        if out.len() != self.flat_dim() {
            return Err(EnvError::BadSpace(format!(
                "the observation buffer holds {} numbers, MiniGrid writes {} (direction one-hot, image, mission words if any)",
                out.len(),
                self.flat_dim()
            )));
        }
        let (direction, rest) = out.split_at_mut(4);
        direction.fill(0.0);
        direction[self.world.agent_dir % 4] = 1.0;
        let (image, mission) = rest.split_at_mut(self.view.image_len());
        self.view.write_f32(image);
        if let Some(m) = &self.mission_words {
            mission.iter_mut().zip(&m.indices).for_each(|(out, &index)| *out = index as f32);
        }
        Ok(())
    }
}

impl<T: Task> Env for MiniGrid<T> {
    fn observation_space(&self) -> &Space {
        &self.obs_space
    }

    fn action_space(&self) -> &Space {
        &self.act_space
    }

    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        check_option_keys(options, &[])?;
        self.begin(seed)?;
        Ok((self.obs(), Info::new()))
    }

    fn step(&mut self, action: &Value) -> Result<Step> {
        let t = self.advance(action)?;
        Ok(Step {
            obs: self.obs(),
            reward: t.reward,
            terminated: t.terminated,
            truncated: t.truncated,
            info: Info::new(),
        })
    }

    /// MiniGrid's `rgb_array` picture: the whole grid at 32 pixels a cell, the agent's field of
    /// view lightened.
    fn render(&self) -> Result<Frame> {
        if !self.ready {
            return Err(EnvError::NotReset);
        }
        render::full_frame(&self.world, &self.view, render::TILE_PIXELS, true)
    }

    fn render_fps(&self) -> u32 {
        10
    }

    fn grid_world(&self) -> Option<&World> {
        Some(&self.world)
    }

    /// The agent's view, drawn from the row's image as [`render::render_pov`] draws it.
    fn observation_painter(&self) -> Option<crate::render::ObservationPainter> {
        let (view, len) = (self.view.size(), self.flat_dim());
        Some(std::sync::Arc::new(move |obs, _| {
            crate::render::check_painted_row("MiniGrid", obs, len)?;
            let image: Vec<u8> = obs[4..4 + view * view * 3].iter().map(|&x| x as u8).collect();
            render::render_encoded_view(&image, view, render::TILE_PIXELS)
        }))
    }

    /// The observation without its mission: direction one-hot, then the image.
    fn flat_space(&self) -> &Space {
        &self.flat_space
    }

    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.begin(seed)?;
        self.write_flat(obs)
    }

    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        let t = self.advance(action)?;
        self.write_flat(obs)?;
        Ok(t)
    }
}

impl<T: Task> GridEnv for MiniGrid<T> {
    fn world(&self) -> &World {
        &self.world
    }

    fn config(&self) -> &GridConfig {
        &self.config
    }
}
