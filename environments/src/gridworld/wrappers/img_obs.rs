//! ImgObs: the image alone as the observation (MiniGrid's `ImgObsWrapper`).

use super::{dict_entry, flat_segment, take_entry};
use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::Result;
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;
use crate::wrappers::check_buffer;
use std::ops::Range;

/// The observation is the Dict's `image` alone (uint8 `[7, 7, 3]` for a default MiniGrid env),
/// without direction or mission; its space is the image's space.
pub struct ImgObs<E> {
    env: E,
    space: Space,
    /// Where the image sits in the inner env's flat row.
    image: Range<usize>,
    inner_row: Vec<f32>,
}

impl<E: Env> ImgObs<E> {
    /// `env` must have a Dict observation with an `image`.
    pub fn new(env: E) -> Result<Self> {
        let space = dict_entry(env.observation_space(), "image", "ImgObs")?.clone();
        dict_entry(env.flat_space(), "image", "ImgObs's fast path")?;
        let (start, len) = flat_segment(env.flat_space(), "image")?;
        let inner_row = vec![0.0; env.flat_space().flat_dim()?];
        Ok(ImgObs { env, space, image: start..start + len, inner_row })
    }

    pub fn into_inner(self) -> E {
        self.env
    }
}

impl<E: Env> Env for ImgObs<E> {
    fn observation_space(&self) -> &Space {
        &self.space
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let (obs, info) = self.env.reset(seed, options)?;
        Ok((take_entry(obs, "image", "ImgObs")?, info))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let mut step = self.env.step(action)?;
        step.obs = take_entry(step.obs, "image", "ImgObs")?;
        Ok(step)
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        check_buffer(obs, &self.space)?;
        self.env.reset_into(seed, &mut self.inner_row)?;
        obs.copy_from_slice(&self.inner_row[self.image.clone()]);
        Ok(())
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        check_buffer(obs, &self.space)?;
        let t = self.env.step_into(action, &mut self.inner_row)?;
        obs.copy_from_slice(&self.inner_row[self.image.clone()]);
        Ok(t)
    }
}

forward_grid_env!(ImgObs);
