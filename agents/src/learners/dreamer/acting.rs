//! Acting with a world model: the session's state per row is the model state `[h, z]` and the
//! last encoded action; each step filters the new observation into the state (the
//! posterior) and the actor chooses from it.

use super::behavior::ActorNet;
use crate::error::Result;
use crate::nets::download;
use crate::policies::{Acted, Acting, ActingRows, EnvActions};
use crate::world_model::{ActionInput, WorldModel};
use burn::prelude::*;
use limbic_environments::rng::Generator;

/// A frozen world model and actor (both `valid()`); with `random`, uniformly random actions
/// (Dreamer's prefill) while the state still follows the observations.
pub struct DreamerActing {
    pub model: WorldModel,
    pub actor: ActorNet,
    pub actions: ActionInput,
    /// The first discrete action's value in the env (`Discrete(n, start)`).
    pub start: i64,
    pub random: bool,
}

impl DreamerActing {
    fn widths(&self) -> (usize, usize, usize) {
        let dims = self.model.dims();
        (dims.deter, dims.stoch_dim(), self.actions.width())
    }
}

impl Acting for DreamerActing {
    fn obs_dim(&self) -> usize {
        self.model.coding.obs_dim()
    }

    fn state_size(&self) -> usize {
        let (deter, stoch, action) = self.widths();
        deter + stoch + action
    }

    fn act(&self, rows: ActingRows, deterministic: bool, rng: &mut Generator) -> Result<Acted> {
        let n = rows.starts.len();
        let (deter_dim, stoch_dim, action_dim) = self.widths();
        let device = self.model.reward.out.weight.val().device();
        let state = Tensor::<2>::from_data(TensorData::new(rows.state.to_vec(), [n, self.state_size()]), &device);
        let obs = Tensor::<2>::from_data(TensorData::new(rows.obs.to_vec(), [n, self.obs_dim()]), &device);
        let (deter, stoch, _) = self.model.observe_step(
            state.clone().narrow(1, 0, deter_dim),
            state.clone().narrow(1, deter_dim, stoch_dim),
            state.narrow(1, deter_dim + stoch_dim, action_dim),
            obs,
            (!deterministic).then_some(&mut *rng),
        )?;
        let features = Tensor::cat(vec![deter, stoch], 1);
        let encoded = match self.random {
            true => random_actions(&self.actions, n, rng),
            false => self.actor.rows(features.clone())?.sample(deterministic, rng),
        };
        let mut next = download(features)?;
        let f = deter_dim + stoch_dim;
        let mut state = Vec::with_capacity(n * self.state_size());
        for (row, action) in next.chunks_exact_mut(f).zip(encoded.chunks_exact(action_dim)) {
            state.extend_from_slice(row);
            state.extend_from_slice(action);
        }
        let (actions, env_actions) = match &self.actions {
            ActionInput::OneHot { .. } => {
                let index: Vec<f32> = encoded
                    .chunks_exact(action_dim)
                    .map(|row| row.iter().position(|&x| x > 0.5).unwrap_or(0) as f32)
                    .collect();
                let env = EnvActions::Discrete(index.iter().map(|&a| a as i64 + self.start).collect());
                (index, env)
            }
            ActionInput::Scaled { .. } => {
                let values = self.actions.unscale(&encoded);
                (values.clone(), EnvActions::Continuous { values, dim: action_dim })
            }
        };
        Ok(Acted { state, ..Acted::chosen(actions, env_actions, n) })
    }
}

/// Uniformly random encoded actions: one-hot indices, or uniform in `[-1, 1]`.
fn random_actions(actions: &ActionInput, n: usize, rng: &mut Generator) -> Vec<f32> {
    let width = actions.width();
    let mut out = vec![0.0f32; n * width];
    for row in out.chunks_exact_mut(width) {
        match actions {
            ActionInput::OneHot { n } => row[rng.integers(0, *n as i64) as usize] = 1.0,
            ActionInput::Scaled { .. } => row.iter_mut().for_each(|x| *x = rng.uniform(-1.0, 1.0) as f32),
        }
    }
    out
}
