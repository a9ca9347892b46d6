//! limbic-environments: environments with Gymnasium 1.x semantics, run fast in native code.
//!
//! - [`Env`]: `reset(seed, options)` / `step(action)` with *terminated* and *truncated*;
//! - [`Space`] and [`Value`]: Gymnasium's spaces and their elements, with Minari's JSON form;
//! - [`rng`]: numpy's `SeedSequence`/`PCG64`, so seeds give Gymnasium's initial states;
//! - [`classic`]: CartPole, MountainCar, MountainCarContinuous, Acrobot, Pendulum;
//! - [`gridworld`]: MiniGrid's gridworlds (`MiniGrid-*` ids) and BabyAI levels (`BabyAI-*`), bit-exact
//!   with MiniGrid 3.2.0, with scripted experts (planners, the BabyAI bot);
//! - [`popgym`]: POPGym's memory tasks (`popgym-*` ids), exact to popgym 1.0.7;
//! - [`fourrooms`]: the option-critic paper's tabular four-rooms domain (`Fourrooms-v0`);
//! - [`wrappers`], [`registry`] (`make`, `register`), [`render`] (frames, PNG, GIF);
//! - [`vector`]: [`VecEnv`], N envs stepped together into contiguous buffers, optionally threaded.
//!
//! ```
//! use limbic_environments::{make, Env, Kwargs, Options, Value};
//! let mut env = make("CartPole-v1", &Kwargs::new()).unwrap();
//! let (obs, _info) = env.reset(Some(0), &Options::new()).unwrap();
//! // The same initial state as `gymnasium.make("CartPole-v1").reset(seed=0)`.
//! assert_eq!(obs, Value::F32(vec![0.013696169, -0.02302133, -0.045902647, -0.048347235]));
//! let step = env.step(&Value::Int(1)).unwrap();
//! assert_eq!(step.reward, 1.0);
//! ```

pub mod adapters;
pub mod classic;
pub mod env;
pub mod error;
pub mod experts;
pub mod fourrooms;
pub mod gridworld;
pub mod json;
pub mod popgym;
pub mod registry;
pub mod render;
pub mod rng;
pub mod space;
pub mod value;
pub mod vector;
pub mod wrappers;

pub use env::{Env, Info, Options, Step, Transition};
pub use error::{EnvError, Result};
pub use registry::{make, register, EnvSpec, Kwargs};
pub use render::Frame;
pub use space::{DType, Space};
pub use value::Value;
pub use vector::{Autoreset, Episode, VecEnv, VecStep};
