//! The [`Env`] contract, with Gymnasium 1.x meaning.

use crate::error::{EnvError, Result};
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;
use serde_json::Value as Json;

/// Free-form step/reset information, like Gymnasium's `info` dict.
pub type Info = serde_json::Map<String, Json>;

/// Reset options, like Gymnasium's `options` dict (e.g. `{"low": -0.1, "high": 0.1}`).
pub type Options = serde_json::Map<String, Json>;

/// The result of one `step`.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub obs: Value,
    pub reward: f64,
    /// The MDP reached a terminal state: do not bootstrap from `obs`.
    pub terminated: bool,
    /// The episode was cut outside the MDP (a time limit): bootstrap from `obs`.
    pub truncated: bool,
    pub info: Info,
}

/// The numbers of a step without its observation: what the fast, buffer-writing path returns.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Transition {
    pub reward: f64,
    pub terminated: bool,
    pub truncated: bool,
}

impl Transition {
    pub fn done(&self) -> bool {
        self.terminated || self.truncated
    }
}

/// An environment with Gymnasium's semantics.
///
/// `reset` and `step` are the general interface; `reset_into`/`step_into` write the observation
/// as flat f32 straight into a caller's buffer (the vector env's rows) and skip building a
/// [`Value`]. Their defaults go through `reset`/`step`; fast environments override them.
pub trait Env: Send {
    fn observation_space(&self) -> &Space;
    fn action_space(&self) -> &Space;

    /// `seed = Some(s)` re-creates the RNG as `np.random.default_rng(s)`; `None` keeps the
    /// current RNG (seeded from OS entropy on first use).
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)>;

    fn step(&mut self, action: &Value) -> Result<Step>;

    /// An RGB picture of the current state (Gymnasium's `render_mode="rgb_array"`).
    fn render(&self) -> Result<Frame> {
        Err(EnvError::Unsupported("this environment has no rgb_array rendering".into()))
    }

    /// Frames per second for videos of this environment (`metadata["render_fps"]`).
    fn render_fps(&self) -> u32 {
        30
    }

    /// The space whose flat f32 encoding `reset_into`/`step_into` write: the observation space,
    /// unless part of it has no flat encoding (MiniGrid drops its text mission there).
    fn flat_space(&self) -> &Space {
        self.observation_space()
    }

    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        let (value, _) = self.reset(seed, &Options::new())?;
        self.observation_space().flatten_into(&value, obs)
    }

    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        let step = self.step(action)?;
        self.observation_space().flatten_into(&step.obs, obs)?;
        Ok(Transition { reward: step.reward, terminated: step.terminated, truncated: step.truncated })
    }

    /// The gridworld state behind this env (MiniGrid and BabyAI envs, and the wrappers
    /// [`make`](crate::make) and vector envs put around them), for whoever reads the full state:
    /// scripted skills, goals that name cells, pictures that mark cells. `None` elsewhere.
    fn grid_world(&self) -> Option<&crate::gridworld::World> {
        None
    }

    /// How to draw a picture from one of this env's observation rows (the flat row
    /// `reset_into`/`step_into` write), where the row determines the picture: classic control
    /// and MiniGrid's own rows. `None` where it does not (a wrapper that changes the row).
    fn observation_painter(&self) -> Option<crate::render::ObservationPainter> {
        None
    }

    /// A privileged judge's score of the last step's action, for synthetic evaluative teachers
    /// only (never the policy, never a person): the [`Advised`](crate::wrappers::Advised)
    /// wrapper's +1 / -1, 0 where it has no judgement; `None` where the env is not advised or
    /// no step followed the last reset.
    fn advice(&self) -> Option<f32> {
        None
    }
}

impl<E: Env + ?Sized> Env for Box<E> {
    fn observation_space(&self) -> &Space {
        (**self).observation_space()
    }
    fn action_space(&self) -> &Space {
        (**self).action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        (**self).reset(seed, options)
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        (**self).step(action)
    }
    fn render(&self) -> Result<Frame> {
        (**self).render()
    }
    fn render_fps(&self) -> u32 {
        (**self).render_fps()
    }
    fn flat_space(&self) -> &Space {
        (**self).flat_space()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        (**self).reset_into(seed, obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        (**self).step_into(action, obs)
    }
    fn grid_world(&self) -> Option<&crate::gridworld::World> {
        (**self).grid_world()
    }
    fn observation_painter(&self) -> Option<crate::render::ObservationPainter> {
        (**self).observation_painter()
    }
    fn advice(&self) -> Option<f32> {
        (**self).advice()
    }
}

/// Checks an action against the action space, with a message that names the action.
pub fn check_action(space: &Space, action: &Value) -> Result<()> {
    space.check(action).map_err(|reason| EnvError::InvalidAction { action: action.to_string(), reason })
}

/// Reads a numeric reset option, or the default (Gymnasium's `maybe_parse_reset_bounds`).
pub fn option_f64(options: &Options, key: &str, default: f64) -> Result<f64> {
    match options.get(key) {
        None => Ok(default),
        Some(v) => v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| EnvError::BadOption {
            key: key.into(),
            message: format!("expected a finite number, got {v}"),
        }),
    }
}

/// Reset bounds `low`/`high` from options, checked, with defaults.
pub fn reset_bounds(options: &Options, low: f64, high: f64) -> Result<(f64, f64)> {
    let (low, high) = (option_f64(options, "low", low)?, option_f64(options, "high", high)?);
    if low > high {
        return Err(EnvError::BadOption {
            key: "low".into(),
            message: format!("lower bound ({low}) must not exceed upper bound ({high})"),
        });
    }
    // numpy's `uniform` refuses an infinite range ("Range exceeds valid bounds").
    if !(high - low).is_finite() {
        return Err(EnvError::BadOption {
            key: "high".into(),
            message: format!("the range high - low ({high} - {low}) is not finite"),
        });
    }
    Ok((low, high))
}

/// Rejects option keys an environment does not read.
pub fn check_option_keys(options: &Options, valid: &[&str]) -> Result<()> {
    match options.keys().find(|k| !valid.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(EnvError::BadOption {
            key: k.clone(),
            message: format!(
                "unknown reset option; valid options: {}",
                if valid.is_empty() { "(none)".to_string() } else { valid.join(", ") }
            ),
        }),
    }
}
