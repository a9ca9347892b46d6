//! The vector env's own bookkeeping, taken out and put back: half of what resuming a run needs.
//!
//! A [`VecEnv`] holds, besides its sub-envs, the buffers of the last call, which sub-envs await
//! their NEXT_STEP autoreset, and each running episode's return and length. [`VecEnvState`] is
//! that, so a caller that can also rebuild each sub-env's own state (for example by replaying
//! its episode from a known seed) can put a vector env back exactly where it was.

use super::VecEnv;
use crate::env::Env;
use crate::error::{EnvError, Result};

/// Everything a [`VecEnv`] keeps between calls apart from its sub-envs and finished episodes
/// not yet taken; rows as in [`super::VecStep`], N (or N × D) entries per field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VecEnvState {
    pub obs: Vec<f32>,
    pub rewards: Vec<f64>,
    pub terminated: Vec<bool>,
    pub truncated: Vec<bool>,
    pub final_obs: Vec<f32>,
    pub final_mask: Vec<bool>,
    /// Sub-envs whose episode ended and that reset on their next step (NEXT_STEP).
    pub done: Vec<bool>,
    /// Return and length of each sub-env's running episode.
    pub returns: Vec<f64>,
    pub lengths: Vec<u64>,
}

impl<E: Env> VecEnv<E> {
    /// The vector env's bookkeeping as it stands (see [`VecEnvState`]).
    pub fn state(&self) -> VecEnvState {
        let b = &self.buf;
        VecEnvState {
            obs: b.obs.clone(),
            rewards: b.rewards.clone(),
            terminated: b.terminated.clone(),
            truncated: b.truncated.clone(),
            final_obs: b.final_obs.clone(),
            final_mask: b.final_mask.clone(),
            done: b.done.clone(),
            returns: b.returns.clone(),
            lengths: b.lengths.clone(),
        }
    }

    /// Puts back bookkeeping taken by [`VecEnv::state`] from a vector env of the same shape. The
    /// sub-envs are left as they are: restoring them is the caller's part.
    pub fn set_state(&mut self, state: VecEnvState) -> Result<()> {
        let (n, d) = (self.num_envs(), self.obs_dim);
        let sizes = [
            ("obs", state.obs.len(), n * d),
            ("rewards", state.rewards.len(), n),
            ("terminated", state.terminated.len(), n),
            ("truncated", state.truncated.len(), n),
            ("final_obs", state.final_obs.len(), n * d),
            ("final_mask", state.final_mask.len(), n),
            ("done", state.done.len(), n),
            ("returns", state.returns.len(), n),
            ("lengths", state.lengths.len(), n),
        ];
        if let Some((field, got, expected)) = sizes.into_iter().find(|(_, got, expected)| got != expected) {
            return Err(EnvError::Unsupported(format!(
                "vector env state: `{field}` has {got} entries, expected {expected} ({n} sub-envs, observation size {d})"
            )));
        }
        let b = &mut self.buf;
        b.obs = state.obs;
        b.rewards = state.rewards;
        b.terminated = state.terminated;
        b.truncated = state.truncated;
        b.final_obs = state.final_obs;
        b.final_mask = state.final_mask;
        b.done = state.done;
        b.returns = state.returns;
        b.lengths = state.lengths;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Kwargs;

    #[test]
    fn a_restored_vector_env_continues_like_the_original() {
        let step_all = |envs: &mut VecEnv, n: usize| {
            let mut rows = Vec::new();
            for t in 0..n {
                let actions: Vec<i64> = (0..envs.num_envs()).map(|i| ((t + i) % 2) as i64).collect();
                rows.push(envs.step_discrete(&actions).unwrap().obs.to_vec());
            }
            rows
        };
        let mut original = VecEnv::make("CartPole-v1", 3, &Kwargs::new()).unwrap();
        original.reset(Some(7)).unwrap();
        step_all(&mut original, 40);
        // A twin stepped the same way has the same sub-env states; give it the bookkeeping of a
        // fresh vector env, then put the original's back.
        let mut twin = VecEnv::make("CartPole-v1", 3, &Kwargs::new()).unwrap();
        twin.reset(Some(7)).unwrap();
        step_all(&mut twin, 40);
        let saved = twin.state();
        twin.set_state(VecEnv::make("CartPole-v1", 3, &Kwargs::new()).unwrap().state()).unwrap();
        assert_ne!(twin.state(), saved);
        twin.set_state(saved).unwrap();
        original.take_episodes();
        twin.take_episodes();
        assert_eq!(step_all(&mut twin, 60), step_all(&mut original, 60));
        assert_eq!(twin.take_episodes(), original.take_episodes());
    }

    #[test]
    fn a_state_of_another_shape_is_refused_by_name() {
        let mut envs = VecEnv::make("CartPole-v1", 2, &Kwargs::new()).unwrap();
        let other = VecEnv::make("CartPole-v1", 3, &Kwargs::new()).unwrap().state();
        let err = envs.set_state(other).unwrap_err().to_string();
        assert!(err.contains("`obs` has 12 entries, expected 8"), "{err}");
    }
}
