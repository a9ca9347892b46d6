//! MiniGrid's wrappers (`minigrid/wrappers.py`), one per file, exact to MiniGrid 3.2.0.
//!
//! Each is a generic struct over the env it wraps. Those that read the world (the grid, the
//! agent) need a [`GridEnv`](super::GridEnv); those that only reshape the observation take any [`Env`] with
//! MiniGrid's Dict observation. Every wrapper is itself a `GridEnv` when its inner env is one,
//! so they stack in any order MiniGrid allows:
//!
//! ```
//! use limbic_environments::gridworld::{self, wrappers::{ImgObs, PositionBonus, ViewSize}};
//! use limbic_environments::{Env, Kwargs, Value};
//! let env = gridworld::make("MiniGrid-DoorKey-5x5-v0", &Kwargs::new()).unwrap();
//! let mut env = ImgObs::new(PositionBonus::new(ViewSize::new(env, 5).unwrap(), 1.0).unwrap()).unwrap();
//! let (obs, _) = env.reset(Some(0), &Default::default()).unwrap();
//! assert!(matches!(obs, Value::U8(ref image) if image.len() == 5 * 5 * 3));
//! // The first visit of a cell pays a bonus of 1 / sqrt(1).
//! assert_eq!(env.step(&Value::Int(0)).unwrap().reward, 1.0);
//! ```
//!
//! The fast paths (`reset_into`/`step_into`) write [`Env::flat_space`]: the observation without
//! its text mission, flattened. Wrappers that swap one entry of the Dict build their
//! row from the inner env's row and write only that entry; the others forward the inner row.

/// [`GridEnv`](crate::gridworld::GridEnv) for a wrapper over one: the world and config are the
/// inner env's (MiniGrid's wrappers read `env.unwrapped`). Each wrapper's file invokes it, as a
/// parent module cannot read its children's private fields.
macro_rules! forward_grid_env {
    ($wrapper:ident) => {
        impl<E: crate::gridworld::GridEnv> crate::gridworld::GridEnv for $wrapper<E> {
            fn world(&self) -> &crate::gridworld::World {
                self.env.world()
            }
            fn config(&self) -> &crate::gridworld::GridConfig {
                self.env.config()
            }
        }
    };
}

/// The `Env` of a wrapper that rewrites the observation and nothing else. The wrapper holds
/// `env`, its observation `space`, its `flat` space and `inner_row` (the inner env's flat row),
/// and has `observe(&mut Value) -> Result<()>` (the rewritten observation) and
/// `write_row(&mut [f32]) -> Result<()>` (its flat row, from `inner_row`).
macro_rules! rewrite_observation_env {
    ($wrapper:ident: $bound:path) => {
        impl<E: $bound> crate::env::Env for $wrapper<E> {
            fn observation_space(&self) -> &crate::space::Space {
                &self.space
            }
            fn action_space(&self) -> &crate::space::Space {
                self.env.action_space()
            }
            fn reset(
                &mut self,
                seed: Option<u64>,
                options: &crate::env::Options,
            ) -> crate::error::Result<(crate::value::Value, crate::env::Info)> {
                let (mut obs, info) = self.env.reset(seed, options)?;
                self.observe(&mut obs)?;
                Ok((obs, info))
            }
            fn step(&mut self, action: &crate::value::Value) -> crate::error::Result<crate::env::Step> {
                let mut step = self.env.step(action)?;
                self.observe(&mut step.obs)?;
                Ok(step)
            }
            fn render(&self) -> crate::error::Result<crate::render::Frame> {
                self.env.render()
            }
            fn render_fps(&self) -> u32 {
                self.env.render_fps()
            }
            fn flat_space(&self) -> &crate::space::Space {
                &self.flat
            }
            fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> crate::error::Result<()> {
                crate::wrappers::check_buffer(obs, &self.flat)?;
                self.env.reset_into(seed, &mut self.inner_row)?;
                self.write_row(obs)
            }
            fn step_into(
                &mut self,
                action: &crate::value::Value,
                obs: &mut [f32],
            ) -> crate::error::Result<crate::env::Transition> {
                crate::wrappers::check_buffer(obs, &self.flat)?;
                let t = self.env.step_into(action, &mut self.inner_row)?;
                self.write_row(obs)?;
                Ok(t)
            }
        }
    };
}

mod action_bonus;
mod dict_observation_space;
mod direction_obs;
mod flat_obs;
mod fully_obs;
mod img_obs;
mod no_death;
mod one_hot_partial_obs;
mod position_bonus;
mod reseed;
mod rgb_img_obs;
mod rgb_img_partial_obs;
mod skills;
mod symbolic_obs;
mod view_size;

pub use action_bonus::ActionBonus;
pub use dict_observation_space::{DictObservationSpace, MINIGRID_WORDS};
pub use direction_obs::{DirectionObs, DirectionType};
pub use flat_obs::{FlatObs, NUM_CHAR_CODES};
pub use fully_obs::FullyObs;
pub use img_obs::ImgObs;
pub use no_death::NoDeath;
pub use one_hot_partial_obs::{OneHotPartialObs, ONE_HOT_BITS};
pub use position_bonus::PositionBonus;
pub use reseed::Reseed;
pub use rgb_img_obs::{FullGrid, Picture, PixelObs, RGBImgObs, DEFAULT_TILE_SIZE};
pub use rgb_img_partial_obs::{AgentView, RGBImgPartialObs};
pub use skills::{
    LoadTrainedRun, NoTrainedRuns, ScriptedSkill, Skill, SkillEntry, SkillInput, Skills, TrainedRun, SKILL_NAMES,
};
pub use symbolic_obs::SymbolicObs;
pub use view_size::ViewSize;

use crate::env::Env;
use crate::error::{EnvError, Result};
use crate::space::Space;
use crate::value::Value;
use crate::wrappers::check_buffer;
use std::collections::HashMap;
use std::hash::Hash;

/// The space of `key` in a Dict observation space, or an error naming the wrapper that needs it.
fn dict_entry<'a>(space: &'a Space, key: &str, wrapper: &str) -> Result<&'a Space> {
    match space {
        Space::Dict(items) => items.iter().find(|(k, _)| k == key).map(|(_, s)| s),
        _ => None,
    }
    .ok_or_else(|| {
        EnvError::BadSpace(format!("{wrapper} needs a Dict observation with `{key}`, got {}", space.describe()))
    })
}

/// The value of `key` in a Dict observation, or an error naming the wrapper that needs it.
fn obs_entry<'a>(obs: &'a Value, key: &str, wrapper: &str) -> Result<&'a Value> {
    obs.get(key).ok_or_else(|| EnvError::BadSpace(format!("{wrapper} needs an observation with `{key}`, got {obs}")))
}

/// The bytes of a uint8 image entry.
fn image_bytes<'a>(obs: &'a Value, wrapper: &str) -> Result<&'a [u8]> {
    match obs_entry(obs, "image", wrapper)? {
        Value::U8(image) => Ok(image),
        other => Err(EnvError::BadSpace(format!("{wrapper} needs a uint8 image, got {other}"))),
    }
}

/// A Dict space with `key` given `space` (replaced, or added in sorted place), as Python's
/// `Dict({**spaces, key: space})`.
fn with_entry(dict: &Space, key: &str, space: Space) -> Result<Space> {
    let Space::Dict(items) = dict else {
        return Err(EnvError::BadSpace(format!("expected a Dict space, got {}", dict.describe())));
    };
    let mut items: Vec<(String, Space)> = items.iter().filter(|(k, _)| k != key).cloned().collect();
    items.push((key.to_string(), space));
    Ok(Space::dict(items))
}

/// Gives `key` the value `new` in a Dict observation (replaced, or added in sorted place), as
/// Python's `{**obs, key: new}`.
fn set_entry(obs: &mut Value, key: &str, new: Value) -> Result<()> {
    let Value::Dict(items) = obs else {
        return Err(EnvError::BadSpace(format!("expected a Dict observation, got {obs}")));
    };
    match items.binary_search_by(|(k, _)| k.as_str().cmp(key)) {
        Ok(i) => items[i].1 = new,
        Err(i) => items.insert(i, (key.to_string(), new)),
    }
    Ok(())
}

/// Where `key`'s encoding starts in the flat rows of the Dict space `flat`, and its length (0
/// for a key the Dict lacks): a Dict flattens to its keys' encodings in sorted order.
fn flat_segment(flat: &Space, key: &str) -> Result<(usize, usize)> {
    let Space::Dict(items) = flat else {
        return Err(EnvError::BadSpace(format!("expected a Dict flat space, got {}", flat.describe())));
    };
    let before = items.iter().take_while(|(k, _)| k.as_str() < key);
    let start = before.map(|(_, s)| s.flat_dim()).sum::<Result<usize>>()?;
    let len = match items.iter().find(|(k, _)| k == key) {
        Some((_, s)) => s.flat_dim()?,
        None => 0,
    };
    Ok((start, len))
}

/// Moves the value of `key` out of a Dict observation.
fn take_entry(obs: Value, key: &str, wrapper: &str) -> Result<Value> {
    match obs {
        Value::Dict(items) => items.into_iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
    .ok_or_else(|| EnvError::BadSpace(format!("{wrapper} needs a Dict observation with `{key}`")))
}

/// How a wrapper that gives one Dict key a new value builds its flat row from its inner env's:
/// the other keys keep their segments, the key's segment is swapped (or, for a new key,
/// inserted).
struct Splice {
    /// Where the key's segment starts, in both rows (the keys before it are the same).
    at: usize,
    inner_len: usize,
    outer_len: usize,
    inner_dim: usize,
}

impl Splice {
    /// The splice of `key` getting `space` in `inner_flat` (an inner env's flat space), and the
    /// wrapper's flat space.
    fn new(inner_flat: &Space, key: &str, space: &Space) -> Result<(Splice, Space)> {
        let (at, inner_len) = flat_segment(inner_flat, key)?;
        let splice = Splice { at, inner_len, outer_len: space.flat_dim()?, inner_dim: inner_flat.flat_dim()? };
        Ok((splice, with_entry(inner_flat, key, space.clone())?))
    }

    /// A zeroed buffer for the inner env's row.
    fn inner_row(&self) -> Vec<f32> {
        vec![0.0; self.inner_dim]
    }

    /// Copies the other keys' segments of `inner` into `out`; returns the key's segment of
    /// `inner` (empty for a new key) and its segment of `out`, to be written.
    fn apply<'a>(&self, inner: &'a [f32], out: &'a mut [f32]) -> (&'a [f32], &'a mut [f32]) {
        let (head, rest) = inner.split_at(self.at);
        let (old, tail) = rest.split_at(self.inner_len);
        let (out_head, out_rest) = out.split_at_mut(self.at);
        let (new, out_tail) = out_rest.split_at_mut(self.outer_len);
        out_head.copy_from_slice(head);
        out_tail.copy_from_slice(tail);
        (old, new)
    }
}

/// Visit counts for the exploration bonuses; never reset, as MiniGrid keeps them for the
/// wrapper's lifetime.
struct VisitCounts<K> {
    counts: HashMap<K, u64>,
}

impl<K: Eq + Hash> VisitCounts<K> {
    fn new() -> Self {
        VisitCounts { counts: HashMap::new() }
    }

    /// Counts a visit of `key`; returns `1 / sqrt(count)` with the visit included.
    fn visit(&mut self, key: K) -> f64 {
        let count = self.counts.entry(key).or_insert(0);
        *count += 1;
        1.0 / (*count as f64).sqrt()
    }

    /// How often `key` was visited.
    fn count(&self, key: &K) -> u64 {
        self.counts.get(key).copied().unwrap_or(0)
    }
}

/// The fast path done the slow way, for wrappers whose new entry is cheapest built as a value:
/// `reset`, then flatten the observation by `flat_space` (which skips the mission).
fn reset_flat(env: &mut impl Env, seed: Option<u64>, out: &mut [f32]) -> Result<()> {
    check_buffer(out, env.flat_space())?;
    let (obs, _) = env.reset(seed, &Default::default())?;
    env.flat_space().flatten_into(&obs, out)
}

/// `step`, then flatten: see [`reset_flat`].
fn step_flat(env: &mut impl Env, action: &Value, out: &mut [f32]) -> Result<crate::env::Transition> {
    check_buffer(out, env.flat_space())?;
    let step = env.step(action)?;
    env.flat_space().flatten_into(&step.obs, out)?;
    Ok(crate::env::Transition { reward: step.reward, terminated: step.terminated, truncated: step.truncated })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::DType;

    /// A MiniGrid flat space with a 2-number image.
    fn minigrid_flat() -> Space {
        Space::dict(vec![
            ("image".into(), Space::uniform_box(0.0, 255.0, &[2], DType::UInt8)),
            ("direction".into(), Space::discrete(4)),
        ])
    }

    #[test]
    fn splice_swaps_one_segment_and_keeps_the_others() {
        let flat = minigrid_flat();
        let bigger = Space::uniform_box(0.0, 1.0, &[3], DType::UInt8);
        let (splice, outer) = Splice::new(&flat, "image", &bigger).unwrap();
        assert_eq!(outer.flat_dim().unwrap(), 7);
        let inner = [0.0, 1.0, 0.0, 0.0, 5.0, 6.0];
        let mut out = [9.0; 7];
        let (old, new) = splice.apply(&inner, &mut out);
        assert_eq!(old, &[5.0, 6.0]);
        new.copy_from_slice(&[7.0, 8.0, 9.5]);
        assert_eq!(out, [0.0, 1.0, 0.0, 0.0, 7.0, 8.0, 9.5]);
    }

    #[test]
    fn splice_inserts_a_new_key_in_sorted_place() {
        let flat = minigrid_flat();
        let scalar = Space::uniform_box(-1.0, 1.0, &[], DType::Float64);
        let (splice, outer) = Splice::new(&flat, "goal_direction", &scalar).unwrap();
        let Space::Dict(items) = &outer else { panic!("not a dict") };
        let keys: Vec<&str> = items.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["direction", "goal_direction", "image"]);
        let inner = [0.0, 0.0, 1.0, 0.0, 5.0, 6.0];
        let mut out = [0.0; 7];
        let (old, new) = splice.apply(&inner, &mut out);
        assert!(old.is_empty());
        new[0] = -0.5;
        assert_eq!(out, [0.0, 0.0, 1.0, 0.0, -0.5, 5.0, 6.0]);
    }

    #[test]
    fn set_entry_replaces_or_inserts_in_key_order() {
        let mut obs =
            Value::Dict(vec![("direction".into(), Value::Int(1)), ("mission".into(), Value::Text("a".into()))]);
        set_entry(&mut obs, "image", Value::U8(vec![3])).unwrap();
        set_entry(&mut obs, "direction", Value::Int(2)).unwrap();
        let Value::Dict(items) = &obs else { panic!("not a dict") };
        let keys: Vec<&str> = items.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["direction", "image", "mission"]);
        assert_eq!(obs.get("direction"), Some(&Value::Int(2)));
        assert!(set_entry(&mut Value::Int(0), "image", Value::Int(1)).is_err());
    }
}
