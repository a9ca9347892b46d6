//! NoDeath: dying on chosen object types costs reward instead of ending the episode
//! (MiniGrid's `NoDeath`).

use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::Result;
use crate::gridworld::minigrid::GridEnv;
use crate::gridworld::object::ObjType;
use crate::gridworld::world::Action;
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;
use crate::wrappers::bad_param;

/// Every object type, to look names up in.
const TYPES: [ObjType; 11] = [
    ObjType::Unseen,
    ObjType::Empty,
    ObjType::Wall,
    ObjType::Floor,
    ObjType::Door,
    ObjType::Key,
    ObjType::Ball,
    ObjType::Box,
    ObjType::Goal,
    ObjType::Lava,
    ObjType::Agent,
];

/// A step that terminates while the agent moves forward onto one of `no_death_types` (checked
/// on the cell it faced before the step, as Dynamic-Obstacles moves its balls during the step)
/// or stands on one after it, does not terminate: `death_cost` is added to its reward instead.
///
/// Types are MiniGrid's names (`"lava"`, `"ball"`, ...); `"goal"` is refused, as MiniGrid
/// asserts. `"empty"` never matches: MiniGrid's empty cells hold no object.
pub struct NoDeath<E> {
    env: E,
    /// Bit `t` set: type `t` does not kill.
    types: u16,
    death_cost: f64,
}

impl<E: GridEnv> NoDeath<E> {
    /// MiniGrid's default `death_cost` is -1.
    pub fn new(env: E, no_death_types: &[&str], death_cost: f64) -> Result<Self> {
        if !death_cost.is_finite() {
            return Err(bad_param("death_cost", format!("must be a finite number, got {death_cost}")));
        }
        let mut types = 0;
        for &name in no_death_types {
            let kind = TYPES.iter().find(|t| t.name() == name).ok_or_else(|| {
                let names: Vec<&str> = TYPES.iter().map(|t| t.name()).collect();
                bad_param("no_death_types", format!("unknown object type {name:?}; types: {}", names.join(", ")))
            })?;
            if *kind == ObjType::Goal {
                return Err(bad_param("no_death_types", "goal cannot be a death cell"));
            }
            if *kind != ObjType::Empty {
                types |= 1 << *kind as u16;
            }
        }
        Ok(NoDeath { env, types, death_cost })
    }

    pub fn death_cost(&self) -> f64 {
        self.death_cost
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    fn spares(&self, kind: ObjType) -> bool {
        self.types >> kind as u16 & 1 == 1
    }

    /// Whether `action` moves the agent onto a spared type (read before the step).
    fn going_to_death(&self, action: &Value) -> bool {
        let world = self.env.world();
        action.as_int() == Some(Action::Forward as i64) && self.spares(world.grid.get(world.front_pos()).kind)
    }

    /// Turns a death into a cost: `(reward, terminated)` after the step.
    fn spare(&self, going_to_death: bool, reward: &mut f64, terminated: &mut bool) {
        let world = self.env.world();
        let in_death = self.spares(world.grid.get(world.agent_pos).kind);
        if *terminated && (going_to_death || in_death) {
            *terminated = false;
            *reward += self.death_cost;
        }
    }
}

impl<E: GridEnv> Env for NoDeath<E> {
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        self.env.reset(seed, options)
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let going = self.going_to_death(action);
        let mut step = self.env.step(action)?;
        self.spare(going, &mut step.reward, &mut step.terminated);
        Ok(step)
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn flat_space(&self) -> &Space {
        self.env.flat_space()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.env.reset_into(seed, obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        let going = self.going_to_death(action);
        let mut t = self.env.step_into(action, obs)?;
        self.spare(going, &mut t.reward, &mut t.terminated);
        Ok(t)
    }
}

forward_grid_env!(NoDeath);
