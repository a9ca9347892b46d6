//! The stepping core: one contiguous chunk of sub-envs and their buffer rows, stepped in order.
//!
//! The single-threaded vector env runs it once over all sub-envs; the threaded one runs it over
//! one chunk per thread, so both compute the same thing the same way.

use super::{Autoreset, Buffers, Episode};
use crate::env::{Env, Options};
use crate::error::{EnvError, Result};
use crate::space::Space;
use crate::value::Value;
use std::ops::Range;

/// A batch of actions, in one of the forms the vector env accepts, already length-checked.
#[derive(Clone, Copy)]
pub(super) enum Actions<'a> {
    Values(&'a [Value]),
    Discrete(&'a [i64]),
    /// `[N, dim]` f32, row-major.
    Continuous {
        flat: &'a [f32],
        dim: usize,
    },
}

impl<'a> Actions<'a> {
    /// The actions of the sub-envs in `range`.
    pub(super) fn slice(self, range: Range<usize>) -> Self {
        match self {
            Actions::Values(v) => Actions::Values(&v[range]),
            Actions::Discrete(a) => Actions::Discrete(&a[range]),
            Actions::Continuous { flat, dim } => {
                Actions::Continuous { flat: &flat[range.start * dim..range.end * dim], dim }
            }
        }
    }
}

/// The rows one step writes for each sub-env; a [`Kernel`] fills them in.
pub(super) struct Rows<'a> {
    /// `[n, D]` observations, row-major.
    pub(super) obs: &'a mut [f32],
    pub(super) rewards: &'a mut [f64],
    pub(super) terminated: &'a mut [bool],
    pub(super) truncated: &'a mut [bool],
}

impl Rows<'_> {
    fn reborrow(&mut self) -> Rows<'_> {
        Rows { obs: self.obs, rewards: self.rewards, terminated: self.terminated, truncated: self.truncated }
    }
}

/// A batched way to step sub-envs of one type with discrete actions, bit-identical to stepping
/// them one by one: steps sub-env i of `envs` (global index `first + i`) with `actions[i]`
/// unless `skip[i]`, and writes its rows. The actions are already checked against the space.
pub(super) type Kernel<E> =
    fn(envs: &mut [E], actions: &[i64], skip: &[bool], first: usize, rows: Rows<'_>) -> Result<()>;

/// Sub-envs `first..first + envs.len()` with their rows of every buffer.
pub(super) struct Part<'a, E> {
    first: usize,
    /// The observation space, to flatten observations that come as values.
    space: &'a Space,
    obs_dim: usize,
    envs: &'a mut [E],
    rows: Rows<'a>,
    final_obs: &'a mut [f32],
    final_mask: &'a mut [bool],
    done: &'a mut [bool],
    returns: &'a mut [f64],
    lengths: &'a mut [u64],
    scratch: &'a mut [Value],
    /// Episodes finished in this part (moved in and out, so no allocation per call).
    pub(super) episodes: Vec<Episode>,
    /// What the last job on this part returned (threaded runs only).
    pub(super) result: Result<()>,
}

impl<'a, E: Env> Part<'a, E> {
    pub(super) fn new(
        envs: &'a mut [E],
        buf: &'a mut Buffers,
        space: &'a Space,
        obs_dim: usize,
        episodes: Vec<Episode>,
    ) -> Self {
        Part {
            first: 0,
            space,
            obs_dim,
            envs,
            rows: Rows {
                obs: &mut buf.obs,
                rewards: &mut buf.rewards,
                terminated: &mut buf.terminated,
                truncated: &mut buf.truncated,
            },
            final_obs: &mut buf.final_obs,
            final_mask: &mut buf.final_mask,
            done: &mut buf.done,
            returns: &mut buf.returns,
            lengths: &mut buf.lengths,
            scratch: &mut buf.scratch,
            episodes,
            result: Ok(()),
        }
    }

    /// The global indices of this part's sub-envs.
    pub(super) fn range(&self) -> Range<usize> {
        self.first..self.first + self.envs.len()
    }

    /// Splits off the sub-envs from local index `mid` on into a second part (with no episodes).
    pub(super) fn split_at(self, mid: usize) -> (Self, Self) {
        let d = self.obs_dim;
        let (envs, envs2) = self.envs.split_at_mut(mid);
        let (obs, obs2) = self.rows.obs.split_at_mut(mid * d);
        let (rewards, rewards2) = self.rows.rewards.split_at_mut(mid);
        let (terminated, terminated2) = self.rows.terminated.split_at_mut(mid);
        let (truncated, truncated2) = self.rows.truncated.split_at_mut(mid);
        let (final_obs, final_obs2) = self.final_obs.split_at_mut(mid * d);
        let (final_mask, final_mask2) = self.final_mask.split_at_mut(mid);
        let (done, done2) = self.done.split_at_mut(mid);
        let (returns, returns2) = self.returns.split_at_mut(mid);
        let (lengths, lengths2) = self.lengths.split_at_mut(mid);
        let (scratch, scratch2) = self.scratch.split_at_mut(mid.min(self.scratch.len()));
        let first = Part {
            envs,
            rows: Rows { obs, rewards, terminated, truncated },
            final_obs,
            final_mask,
            done,
            returns,
            lengths,
            scratch,
            ..self
        };
        let second = Part {
            first: self.first + mid,
            space: self.space,
            obs_dim: d,
            envs: envs2,
            rows: Rows { obs: obs2, rewards: rewards2, terminated: terminated2, truncated: truncated2 },
            final_obs: final_obs2,
            final_mask: final_mask2,
            done: done2,
            returns: returns2,
            lengths: lengths2,
            scratch: scratch2,
            episodes: Vec::new(),
            result: Ok(()),
        };
        (first, second)
    }

    /// Resets the sub-envs where `mask` is set (all without a mask).
    pub(super) fn reset(&mut self, seed: Option<u64>, options: &Options, mask: Option<&[bool]>) -> Result<()> {
        let d = self.obs_dim;
        for (i, (env, obs)) in self.envs.iter_mut().zip(self.rows.obs.chunks_exact_mut(d)).enumerate() {
            if mask.is_some_and(|m| !m[i]) {
                continue;
            }
            let index = self.first + i;
            let seed = seed.map(|s| seed_of(s, index)).transpose()?;
            let reset = if options.is_empty() {
                env.reset_into(seed, obs)
            } else {
                env.reset(seed, options).and_then(|(value, _)| self.space.flatten_into(&value, obs))
            };
            reset.map_err(|e| at(index, e))?;
            self.rows.rewards[i] = 0.0;
            self.rows.terminated[i] = false;
            self.rows.truncated[i] = false;
            self.final_mask[i] = false;
            self.done[i] = false;
            self.returns[i] = 0.0;
            self.lengths[i] = 0;
        }
        Ok(())
    }

    /// Steps every sub-env of the part once, or autoresets it (NEXT_STEP): first the autoresets,
    /// then the steps (through `kernel` when there is one for these actions), then the books.
    pub(super) fn step(&mut self, actions: Actions<'_>, mode: Autoreset, kernel: Option<Kernel<E>>) -> Result<()> {
        if mode == Autoreset::SameStep {
            self.final_mask.fill(false);
        }
        self.autoreset(mode)?;
        match (kernel, actions) {
            (Some(kernel), Actions::Discrete(ints)) => {
                kernel(self.envs, ints, self.done, self.first, self.rows.reborrow())?;
            }
            _ => self.step_each(actions)?,
        }
        self.record(mode)
    }

    /// Resets the sub-envs whose episode ended on the last step, with reward 0 and both flags
    /// false (DISABLED refuses them instead). Their `done` flag stays set for the rest of the
    /// step, so that they are not stepped.
    fn autoreset(&mut self, mode: Autoreset) -> Result<()> {
        let d = self.obs_dim;
        for (i, (env, obs)) in self.envs.iter_mut().zip(self.rows.obs.chunks_exact_mut(d)).enumerate() {
            if !self.done[i] {
                continue;
            }
            if mode == Autoreset::Disabled {
                return Err(at(self.first + i, EnvError::EpisodeOver));
            }
            env.reset_into(None, obs).map_err(|e| at(self.first + i, e))?;
            self.rows.rewards[i] = 0.0;
            self.rows.terminated[i] = false;
            self.rows.truncated[i] = false;
        }
        Ok(())
    }

    /// Steps each sub-env that is not `done` through [`Env::step_into`].
    fn step_each(&mut self, actions: Actions<'_>) -> Result<()> {
        let d = self.obs_dim;
        for (i, (env, obs)) in self.envs.iter_mut().zip(self.rows.obs.chunks_exact_mut(d)).enumerate() {
            if self.done[i] {
                continue;
            }
            let discrete;
            let action = match actions {
                Actions::Values(values) => &values[i],
                Actions::Discrete(ints) => {
                    discrete = Value::Int(ints[i]);
                    &discrete
                }
                Actions::Continuous { flat, dim } => {
                    let scratch = &mut self.scratch[i];
                    if let Value::F32(v) = scratch {
                        v.copy_from_slice(&flat[i * dim..(i + 1) * dim]);
                    }
                    scratch
                }
            };
            let t = env.step_into(action, obs).map_err(|e| at(self.first + i, e))?;
            self.rows.rewards[i] = t.reward;
            self.rows.terminated[i] = t.terminated;
            self.rows.truncated[i] = t.truncated;
        }
        Ok(())
    }

    /// Books the step: running returns and lengths, finished episodes, and what follows an end:
    /// a reset now that keeps the terminal obs (SAME_STEP) or on the next step (`done`).
    fn record(&mut self, mode: Autoreset) -> Result<()> {
        let d = self.obs_dim;
        for (i, (env, obs)) in self.envs.iter_mut().zip(self.rows.obs.chunks_exact_mut(d)).enumerate() {
            if std::mem::take(&mut self.done[i]) {
                continue; // autoreset on this step, not stepped
            }
            self.returns[i] += self.rows.rewards[i];
            self.lengths[i] += 1;
            if !(self.rows.terminated[i] || self.rows.truncated[i]) {
                continue;
            }
            let episode_return = std::mem::take(&mut self.returns[i]);
            let length = std::mem::take(&mut self.lengths[i]);
            self.episodes.push(Episode { env: self.first + i, episode_return, length });
            if mode == Autoreset::SameStep {
                self.final_obs[i * d..(i + 1) * d].copy_from_slice(obs);
                self.final_mask[i] = true;
                env.reset_into(None, obs).map_err(|e| at(self.first + i, e))?;
            } else {
                self.done[i] = true;
            }
        }
        Ok(())
    }
}

/// Sub-env `index`'s seed: `seed + index`.
fn seed_of(seed: u64, index: usize) -> Result<u64> {
    seed.checked_add(index as u64).ok_or_else(|| {
        at(index, EnvError::Unsupported(format!("seed {seed} + sub-env index {index} does not fit in 64 bits")))
    })
}

pub(super) fn at(index: usize, source: EnvError) -> EnvError {
    EnvError::SubEnv { index, source: Box::new(source) }
}
