//! POPGym (Morad et al., ICLR 2023): partially observable tasks that need memory, exact to the
//! `popgym` 1.0.7 package from the same seed (observations, rewards, terminated, truncated).
//!
//! Each family is a [`Game`] (its rules, drawing from numpy's stream in popgym's order) run by
//! [`PopGym`], which is the [`Env`]: it checks the order of calls, builds observation values
//! and writes the flat one-hot encoding straight into a caller's buffer. [`specs`] registers
//! the 42 ids of `popgym.envs.ALL` (14 families in Easy, Medium and Hard; the Labyrinth ids
//! need `mazelib` and are not part of it). Like popgym's registrations, they have no
//! `TimeLimit`: each env ends its own episodes.
//!
//! Where limbic is stricter than popgym: keyword arguments that popgym's Medium/Hard classes
//! accept and silently ignore (`*args, **kwargs`) are refused, as are reset options the card
//! games would ignore, and `k = 0` in RepeatPrevious (popgym then compares with the first card).

mod autoencode;
mod battleship;
mod cartpole;
mod concentration;
mod count_recall;
mod deck;
mod higher_lower;
mod minesweeper;
mod multiarmed_bandit;
mod pendulum;
mod repeat_first;
mod repeat_previous;
mod specs;

pub use autoencode::Autoencode;
pub use battleship::Battleship;
pub use cartpole::{CartPoleView, MaskedCartPole};
pub use concentration::Concentration;
pub use count_recall::CountRecall;
pub use deck::DeckType;
pub use higher_lower::HigherLower;
pub use minesweeper::MineSweeper;
pub use multiarmed_bandit::MultiarmedBandit;
pub use pendulum::MaskedPendulum;
pub use repeat_first::RepeatFirst;
pub use repeat_previous::RepeatPrevious;
pub(crate) use specs::specs;

use crate::env::{check_action, check_option_keys, Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::rng::Generator;
use crate::space::Space;
use crate::value::Value;

/// The current observation of a [`Game`], borrowed from its state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Obs<'a> {
    /// An element of `Discrete(n)`.
    Index(i64),
    /// The parts of a `MultiDiscrete`, or of a `Tuple` of `Discrete`s.
    Indices(&'a [i64]),
    /// A float32 `Box`.
    Floats(&'a [f32]),
}

/// The rules of one POPGym family: what [`PopGym`] runs.
pub trait Game: Send {
    fn observation_space(&self) -> Space;
    fn action_space(&self) -> Space;
    /// popgym's `reset(seed=seed, options=options)`: a seed re-creates the RNG as
    /// `np.random.default_rng(seed)`, `None` continues it.
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<()>;
    /// One step with an action the game checks itself.
    fn step(&mut self, action: &Value) -> Result<Transition>;
    /// The observation after the last `reset` or `step`.
    fn obs(&self) -> Obs<'_>;
}

/// A POPGym environment: a [`Game`] behind Gymnasium's `Env` API.
///
/// ```
/// use limbic_environments::popgym::{PopGym, RepeatPrevious};
/// use limbic_environments::{Env, Options, Value};
/// let mut env = PopGym::new(RepeatPrevious::new(1, 4).unwrap());
/// let (obs, _) = env.reset(Some(0), &Options::new()).unwrap();
/// assert!(matches!(obs, Value::Int(0..=3)));
/// let step = env.step(&Value::Int(0)).unwrap();
/// assert_eq!(step.reward, 0.0); // no reward until k cards have been seen
/// ```
pub struct PopGym<G> {
    game: G,
    obs_space: Space,
    act_space: Space,
    /// Where each part's one-hot block starts in the flat encoding (discrete observations).
    offsets: Vec<usize>,
    flat_dim: usize,
    started: bool,
}

impl<G: Game> PopGym<G> {
    pub fn new(game: G) -> Self {
        let obs_space = game.observation_space();
        let offsets = one_hot_offsets(&obs_space);
        // Every POPGym observation space has a flat form (no Text).
        let flat_dim = obs_space.flat_dim().unwrap_or(0);
        PopGym { act_space: game.action_space(), obs_space, offsets, flat_dim, started: false, game }
    }

    pub fn game(&self) -> &G {
        &self.game
    }

    fn obs_value(&self) -> Value {
        match (self.game.obs(), &self.obs_space) {
            (Obs::Index(i), _) => Value::Int(i),
            (Obs::Indices(parts), Space::Tuple(_)) => Value::Tuple(parts.iter().map(|&i| Value::Int(i)).collect()),
            (Obs::Indices(parts), _) => Value::I64(parts.to_vec()),
            (Obs::Floats(x), _) => Value::F32(x.to_vec()),
        }
    }

    fn write_obs(&self, out: &mut [f32]) -> Result<()> {
        if out.len() != self.flat_dim {
            crate::wrappers::check_buffer(out, &self.obs_space)?;
        }
        match self.game.obs() {
            Obs::Floats(x) => out.copy_from_slice(x),
            Obs::Index(i) => {
                out.fill(0.0);
                out[i as usize] = 1.0;
            }
            Obs::Indices(parts) => {
                out.fill(0.0);
                for (&offset, &i) in self.offsets.iter().zip(parts) {
                    out[offset + i as usize] = 1.0;
                }
            }
        }
        Ok(())
    }

    fn advance(&mut self, action: &Value) -> Result<Transition> {
        if !self.started {
            return Err(EnvError::NotReset);
        }
        self.game.step(action)
    }
}

/// The start of each part's one-hot block in the flat encoding of a discrete space.
fn one_hot_offsets(space: &Space) -> Vec<usize> {
    let sizes: Vec<usize> = match space {
        Space::MultiDiscrete { nvec, .. } => nvec.iter().map(|&n| n as usize).collect(),
        Space::Tuple(parts) => parts.iter().map(|p| p.flat_dim().unwrap_or(0)).collect(),
        _ => return Vec::new(),
    };
    sizes.iter().scan(0, |offset, &n| Some(std::mem::replace(offset, *offset + n))).collect()
}

impl<G: Game> Env for PopGym<G> {
    fn observation_space(&self) -> &Space {
        &self.obs_space
    }
    fn action_space(&self) -> &Space {
        &self.act_space
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        self.game.reset(seed, options)?;
        self.started = true;
        Ok((self.obs_value(), Info::new()))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let t = self.advance(action)?;
        Ok(Step {
            obs: self.obs_value(),
            reward: t.reward,
            terminated: t.terminated,
            truncated: t.truncated,
            info: Info::new(),
        })
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.game.reset(seed, &Options::new())?;
        self.started = true;
        self.write_obs(obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        let t = self.advance(action)?;
        self.write_obs(obs)?;
        Ok(t)
    }
}

/// `super().reset(seed=seed)` of a card game or board game: no reset options are read.
fn reseed<'a>(rng: &'a mut Option<Generator>, seed: Option<u64>, options: &Options) -> Result<&'a mut Generator> {
    check_option_keys(options, &[])?;
    Ok(crate::classic::reseed(rng, seed))
}

/// A `Discrete(n)` action (start 0), checked.
#[inline]
fn discrete_action(space: &Space, action: &Value) -> Result<usize> {
    match (space, action) {
        (Space::Discrete { n, start: 0 }, Value::Int(a)) if (0..*n).contains(a) => Ok(*a as usize),
        _ => Err(refused(space, action)),
    }
}

/// A `MultiDiscrete([rows, cols])` action (a board cell), checked.
#[inline]
fn cell_action(space: &Space, action: &Value) -> Result<(usize, usize)> {
    match (space, action) {
        (Space::MultiDiscrete { nvec, .. }, Value::I64(a))
            if a.len() == 2 && (0..nvec[0]).contains(&a[0]) && (0..nvec[1]).contains(&a[1]) =>
        {
            Ok((a[0] as usize, a[1] as usize))
        }
        _ => Err(refused(space, action)),
    }
}

/// The error for an action outside `space`: why, and which space.
#[cold]
fn refused(space: &Space, action: &Value) -> EnvError {
    let why = check_action(space, action).err().map_or_else(String::new, |e| match e {
        EnvError::InvalidAction { reason, .. } => format!("{reason}; "),
        other => format!("{other}; "),
    });
    EnvError::InvalidAction {
        action: action.to_string(),
        reason: format!("{why}the action space is {}", space.describe()),
    }
}
