//! What the neural signals share beyond the network blocks of `limbic_agents::nets::blocks`
//! (re-exported here with the archive and running means): parameter checks that name
//! `signal.key`, rows of a [`Transitions`] batch checked and uploaded as one tensor, dynamics
//! training on a batch, the per-sub-env scores of episodic signals, and k-nearest-neighbour
//! distances.

pub use limbic_agents::core::archive::Archive;
pub use limbic_agents::core::optim::Means;
pub use limbic_agents::nets::blocks::{
    action_loss, minibatches, squared_distance, ActionCoding, Dynamics, DynamicsLosses, DynamicsShape,
    DynamicsTraining, Embedding, Head, NetShape, Trainer, TransitionRows,
};

use burn::prelude::*;
use limbic_agents::core::config;
use limbic_agents::nets::{download, EncoderKind};
use limbic_agents::shaping::Transitions;
use limbic_agents::{AgentError, Result};
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An error for the parameter `key` of signal `signal`.
pub fn bad_param(signal: &str, key: &str, message: impl Into<String>) -> AgentError {
    AgentError::Config { field: format!("{signal}.{key}"), message: message.into() }
}

/// A signal's parameters as JSON (for [`SignalEntry::defaults`](crate::SignalEntry)).
pub fn to_json<T: Serialize>(params: &T) -> serde_json::Value {
    serde_json::to_value(params).unwrap_or(serde_json::Value::Null)
}

/// The config field of signal `signal`'s parameter `key`.
fn field(signal: &str, key: &str) -> String {
    format!("{signal}.{key}")
}

/// Checks that `value` is a positive finite number.
pub fn positive(signal: &str, key: &str, value: f64) -> Result<()> {
    config::positive(&field(signal, key), value)
}

/// Checks that `value` lies in `[low, high]`.
pub fn within(signal: &str, key: &str, value: f64, low: f64, high: f64) -> Result<()> {
    if (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(bad_param(signal, key, format!("{value} is not in [{low}, {high}]")))
    }
}

/// Checks that a count is at least 1.
pub fn at_least_one(signal: &str, key: &str, value: usize) -> Result<()> {
    config::at_least_one(&field(signal, key), value as u64)
}

/// Checks hidden layer widths (none may be 0).
pub fn layer_widths(signal: &str, key: &str, widths: &[usize]) -> Result<()> {
    config::layer_widths(&field(signal, key), widths)
}

/// The encoder for the signal's observation space, checked against the context's row width.
pub fn encoder_kind(signal: &str, context: &crate::SignalContext) -> Result<EncoderKind> {
    let kind = EncoderKind::for_space(&context.observation_space)?;
    if kind.obs_dim() != context.obs_dim {
        return Err(AgentError::Unsupported(format!(
            "{signal}: the observation space has rows of {}, the context says {}",
            kind.obs_dim(),
            context.obs_dim
        )));
    }
    Ok(kind)
}

/// Checks that `batch`'s rows fit what the signal was built for.
pub fn check_batch(signal: &str, batch: &Transitions, obs_dim: usize, actions: Option<ActionCoding>) -> Result<()> {
    let slots = batch.slots();
    let action_width = actions.map_or(batch.action_dim, |a| a.stored_width());
    let fits = batch.obs_dim == obs_dim
        && batch.obs.len() == slots * obs_dim
        && batch.next_obs.len() == slots * obs_dim
        && batch.action_dim == action_width
        && batch.actions.len() == slots * action_width
        && batch.terminated.len() == slots
        && batch.truncated.len() == slots
        && batch.valid.len() == slots;
    if fits {
        Ok(())
    } else {
        Err(AgentError::Unsupported(format!(
            "{signal} was built for observation rows of {obs_dim} and actions of {action_width} numbers; \
             the batch has rows of {} and actions of {} numbers for {} x {} slots (or arrays of the wrong length)",
            batch.obs_dim, batch.action_dim, batch.steps, batch.envs
        )))
    }
}

/// Checks that `out` has one number per slot of `batch` and zeroes it.
pub fn clear_output(signal: &str, batch: &Transitions, out: &mut [f32]) -> Result<()> {
    if out.len() != batch.slots() {
        return Err(AgentError::Unsupported(format!(
            "{signal}: the output has {} numbers for {} slots",
            out.len(),
            batch.slots()
        )));
    }
    out.iter_mut().for_each(|o| *o = 0.0);
    Ok(())
}

/// Checks that a step comes from the `num_envs` sub-envs an episodic signal keeps memories for.
pub fn check_envs(signal: &str, step: &Transitions, num_envs: usize) -> Result<()> {
    if step.envs == num_envs {
        Ok(())
    } else {
        Err(AgentError::Unsupported(format!(
            "{signal} keeps episodes of {num_envs} sub-envs, the step has {}",
            step.envs
        )))
    }
}

/// Fails when a bonus is NaN or infinite (the signal's model diverged), naming the signal.
pub fn check_bonuses(signal: &str, out: &[f32]) -> Result<()> {
    match out.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(slot) => Err(AgentError::NonFinite {
            update: 0,
            quantity: format!("{signal} bonus of slot {slot} (its model diverged)"),
            value: out[slot] as f64,
        }),
    }
}

/// Slot `slot` ends its sub-env's episode before the last step of `step`: an episodic signal
/// given several steps at once forgets the episode itself there (the reward set forgets it
/// after the last step).
pub fn ends_inside(step: &Transitions, slot: usize) -> bool {
    step.done(slot) && slot / step.envs + 1 < step.steps
}

/// The slots of `batch` that are transitions.
pub fn valid_slots(batch: &Transitions) -> Vec<usize> {
    (0..batch.slots()).filter(|&s| batch.valid[s]).collect()
}

/// `[rows, width]` numbers as one tensor.
pub fn upload(values: Vec<f32>, width: usize, device: &Device) -> Tensor<2> {
    let rows = values.len() / width.max(1);
    Tensor::from_data(TensorData::new(values, [rows, width]), device)
}

/// The next observations of `slots`, in one upload.
pub fn upload_next_obs(batch: &Transitions, slots: &[usize], device: &Device) -> Tensor<2> {
    let mut rows = Vec::with_capacity(slots.len() * batch.obs_dim);
    slots.iter().for_each(|&s| rows.extend_from_slice(batch.next_obs_row(s)));
    upload(rows, batch.obs_dim, device)
}

/// The observation rows of `slots`, then their next-observation rows (`[2 * slots, D]`): one
/// forward pass embeds both.
pub fn obs_then_next_obs(batch: &Transitions, slots: &[usize]) -> Vec<f32> {
    let mut rows = Vec::with_capacity(2 * slots.len() * batch.obs_dim);
    slots.iter().for_each(|&s| rows.extend_from_slice(batch.obs_row(s)));
    slots.iter().for_each(|&s| rows.extend_from_slice(batch.next_obs_row(s)));
    rows
}

/// `slots`' observations, next observations and encoded actions, uploaded.
pub fn upload_transitions(
    batch: &Transitions,
    slots: &[usize],
    coding: ActionCoding,
    device: &Device,
) -> Result<TransitionRows> {
    let mut actions = vec![0.0f32; slots.len() * coding.width()];
    for (row, &s) in actions.chunks_exact_mut(coding.width()).zip(slots) {
        coding.encode(batch.action_row(s), row)?;
    }
    Ok(TransitionRows {
        states: upload(obs_then_next_obs(batch, slots), batch.obs_dim, device),
        actions: upload(actions, coding.width(), device),
        rows: slots.len(),
    })
}

/// Rows scored per forward pass when scoring a batch (bounds the memory of a large window).
pub const SCORE_CHUNK: usize = 4096;

/// Trains `trainer`'s dynamics model on `batch`'s valid transitions; returns `loss`,
/// `loss_inverse` and (with a forward model) `loss_forward`, averaged over minibatches.
pub fn train_dynamics(
    signal: &str,
    trainer: &mut Trainer<Dynamics>,
    batch: &Transitions,
    coding: ActionCoding,
    how: DynamicsTraining,
    rng: &mut Generator,
) -> Result<BTreeMap<String, f64>> {
    let device = trainer.model.inverse.out.weight.val().device();
    let mut means = Means::default();
    for chunk in minibatches(&valid_slots(batch), how.epochs, how.batch_size, rng) {
        let rows = upload_transitions(batch, &chunk, coding, &device)?;
        let losses = trainer.model.losses(rows, coding);
        let mut parts = vec![losses.inverse.clone().detach()];
        let mut loss = losses.inverse.mul_scalar(how.inverse_coef);
        if let Some(forward) = losses.forward {
            parts.push(forward.clone().detach());
            loss = loss + forward.mul_scalar(how.forward_coef);
        }
        let parts = download(Tensor::cat(parts, 0))?;
        means.add("loss", trainer.step(loss, &format!("{signal} dynamics loss"))?);
        means.add("loss_inverse", parts[0] as f64);
        if let Some(&forward) = parts.get(1) {
            means.add("loss_forward", forward as f64);
        }
    }
    Ok(means.into_map())
}

/// Bonuses an episodic signal scored in `observe`, waiting for `compute` (`[steps, N]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PendingScores {
    scores: Vec<f32>,
}

impl PendingScores {
    pub fn push(&mut self, step_scores: &[f32]) {
        self.scores.extend_from_slice(step_scores);
    }

    /// Moves the scores of the steps observed since the last call into `out` (invalid slots
    /// set to 0). `batch` must be those steps.
    pub fn take_into(&mut self, signal: &str, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        let slots = batch.slots();
        if self.scores.len() != slots || out.len() != slots {
            let observed = self.scores.len() / batch.envs.max(1);
            return Err(AgentError::Unsupported(format!(
                "{signal} scores steps as they happen: compute must get the {observed} step(s) observed \
                 since the last compute, got {} step(s) (and an output of {} for {slots} slots)",
                batch.steps,
                out.len()
            )));
        }
        for (s, o) in out.iter_mut().enumerate() {
            *o = if batch.valid[s] { self.scores[s] } else { 0.0 };
        }
        self.scores.clear();
        check_bonuses(signal, out)
    }
}

/// The nearest `k` squared Euclidean distances from `query` to the rows of `memory` (rows of
/// `query.len()` numbers), ascending, into `out`.
pub fn nearest_squared_distances(query: &[f32], memory: &[f32], k: usize, out: &mut Vec<f32>) {
    let d = query.len();
    out.clear();
    out.extend(memory.chunks_exact(d.max(1)).map(|row| squared_l2(query, row)));
    let k = k.min(out.len());
    if k < out.len() {
        out.select_nth_unstable_by(k, f32::total_cmp);
        out.truncate(k);
    }
    out.sort_unstable_by(f32::total_cmp);
}

/// `||a - b||^2`.
pub fn squared_l2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_distances_are_the_smallest_ascending() {
        let memory = [0.0f32, 0.0, 3.0, 4.0, 1.0, 0.0, 0.0, 2.0];
        let mut out = Vec::new();
        nearest_squared_distances(&[0.0, 0.0], &memory, 2, &mut out);
        assert_eq!(out, [0.0, 1.0]);
        nearest_squared_distances(&[0.0, 0.0], &memory, 10, &mut out);
        assert_eq!(out, [0.0, 1.0, 4.0, 25.0]);
    }
}

/// A scalar score of a state-action pair: an embedding of s, then a head on (embedding, encoded
/// action). GAIL's discriminator and the feedback signals' reward models.
#[derive(Module, Debug)]
pub struct PairScorer {
    pub embed: Embedding,
    pub head: Head,
}

impl PairScorer {
    /// Hidden widths `hidden` for both parts (the embedding is as wide as the last one).
    pub fn new(
        kind: EncoderKind,
        hidden: &[usize],
        action_width: usize,
        rng: &mut Generator,
        device: &Device,
    ) -> Result<PairScorer> {
        let width = hidden.last().copied().unwrap_or(64);
        let embed = Embedding::new(kind, &NetShape { hidden: hidden.to_vec(), out: width }, rng, device)?;
        let head = Head::new(width + action_width, &NetShape { hidden: hidden.to_vec(), out: 1 }, rng, device)?;
        Ok(PairScorer { embed, head })
    }

    /// `[rows, 1]` scores of `obs` `[rows, D]` and encoded `actions` `[rows, A]`.
    pub fn forward(&self, obs: Tensor<2>, actions: Tensor<2>) -> Tensor<2> {
        self.head.forward(Tensor::cat(vec![self.embed.forward(obs), actions], 1))
    }
}
