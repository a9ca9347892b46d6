//! MiniGrid-compatible gridworlds, bit-exact with MiniGrid 3.2.0: the same layout, mission,
//! observations, rewards and flags for the same seed and actions.
//!
//! - [`object`]: world objects and MiniGrid's index tables;
//! - [`grid`]: the grid and its full encoding;
//! - [`world`]: episode state, the shared step rules, and the random helpers layouts use (each
//!   draws from numpy's stream exactly as its MiniGrid namesake does);
//! - [`view`]: the agent's egocentric, occluded view;
//! - [`minigrid`]: [`MiniGrid`], the [`Env`](crate::Env) over a layout family ([`Task`]);
//! - [`mission_words`]: missions as word indices over a closed vocabulary (MiniGrid's
//!   tokenizer), for instruction-conditioned learners;
//! - [`roomgrid`]: rooms joined by doors, the base of several families;
//! - [`envs`]: the families; [`registry`]: the `MiniGrid-*` and `BabyAI-*` ids;
//! - [`babyai`]: the BabyAI levels (instructions in the Baby Language, their verifier, the
//!   levels' generators) and the BabyAI bot;
//! - [`render`]: MiniGrid's pictures (full grid, agent's view) and a terminal rendering;
//! - [`wrappers`]: MiniGrid's wrappers (image only, full grid, view size, one-hot, flat, bonuses, ...).
//! - [`experts`]: scripted experts, planners over the full state, for every family.
//!
//! ```
//! use limbic_environments::{make, Env, Kwargs, Value};
//! let mut env = make("MiniGrid-DoorKey-5x5-v0", &Kwargs::new()).unwrap();
//! let (obs, _) = env.reset(Some(42), &Default::default()).unwrap();
//! // As `gym.make("MiniGrid-DoorKey-5x5-v0").reset(seed=42)`: the agent faces down.
//! assert_eq!(obs.get("direction"), Some(&Value::Int(1)));
//! // pickup, left, toggle, forward, forward, right, forward: the goal, on step 7.
//! let mut last = None;
//! for a in [3, 0, 5, 2, 2, 1, 2] {
//!     last = Some(env.step(&Value::Int(a)).unwrap());
//! }
//! let last = last.unwrap();
//! assert!(last.terminated);
//! assert_eq!(last.reward, 1.0 - 0.9 * (7.0 / 250.0));
//! ```

pub mod babyai;
pub mod envs;
pub mod experts;
pub mod grid;
pub mod minigrid;
pub mod mission_words;
pub mod object;
pub mod registry;
pub mod render;
pub mod roomgrid;
pub mod view;
pub mod world;
pub mod wrappers;

pub use grid::{Grid, Pos};
pub use minigrid::{GridConfig, GridEnv, MiniGrid, Task};
pub use object::{Color, Obj, ObjType, COLOR_NAMES, PICKABLE_TYPES};
pub use registry::{ids, make, make_level};
pub use roomgrid::Rooms;
pub use world::{Action, Tries, World, DIR_TO_VEC};

pub(crate) use registry::specs;
