//! Reseed: every reset takes the next seed of a fixed list (MiniGrid's `ReseedWrapper`).

use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::Result;
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;
use crate::wrappers::bad_param;

/// Resets with `seeds[i]`, then `seeds[i + 1]`, ..., cycling, so the env only ever shows the
/// layouts of those seeds. A seed passed to `reset` is ignored (MiniGrid logs a warning).
pub struct Reseed<E> {
    env: E,
    seeds: Vec<u64>,
    next: usize,
}

impl<E: Env> Reseed<E> {
    /// Cycles through `seeds` from `seeds[seed_idx]`; `seeds` must not be empty.
    pub fn new(env: E, seeds: Vec<u64>, seed_idx: usize) -> Result<Self> {
        if seeds.is_empty() {
            return Err(bad_param("seeds", "must hold at least one seed"));
        }
        if seed_idx >= seeds.len() {
            return Err(bad_param("seed_idx", format!("must index the {} seeds, got {seed_idx}", seeds.len())));
        }
        Ok(Reseed { env, seeds, next: seed_idx })
    }

    /// The index of the seed the next reset uses.
    pub fn seed_idx(&self) -> usize {
        self.next
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    fn next_seed(&mut self) -> u64 {
        let seed = self.seeds[self.next];
        self.next = (self.next + 1) % self.seeds.len();
        seed
    }
}

impl<E: Env> Env for Reseed<E> {
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, _seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let seed = self.next_seed();
        self.env.reset(Some(seed), options)
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        self.env.step(action)
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
    fn reset_into(&mut self, _seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        let seed = self.next_seed();
        self.env.reset_into(Some(seed), obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        self.env.step_into(action, obs)
    }
}

forward_grid_env!(Reseed);
