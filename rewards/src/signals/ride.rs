//! RIDE, Rewarding Impact-Driven Exploration (Raileanu & Rocktäschel 2020): an embedding `phi`
//! trained with ICM's inverse and forward losses; the bonus of a transition is how far it moves
//! the embedding, discounted by how often the episode has seen the next observation:
//! `||phi(s') - phi(s)||_2 / sqrt(N_ep(s'))`.
//!
//! `N_ep` counts exact observation rows within the sub-env's current episode, the episode's
//! first observation included, this visit of `s'` included (so a first visit divides by 1).
//! The counts key on the exact rows the signal receives, so its input should not go through a
//! running observation normalization (the same state would get a new row as the statistics move).
//! The bonus is scored in [`observe`](IntrinsicReward::observe) with the embedding of that
//! moment and returned by [`compute`](IntrinsicReward::compute); the counts of a sub-env are
//! forgotten in [`reset_episode`](IntrinsicReward::reset_episode). The loss weights default to
//! the authors' code (`forward_loss_coef` 10, `inverse_loss_coef` 0.1), which the paper leaves
//! unstated.

use crate::models::{
    check_batch, check_envs, ends_inside, obs_then_next_obs, positive, squared_l2, to_json, train_dynamics, upload,
    valid_slots, ActionCoding, Archive, Dynamics, DynamicsTraining, NetShape, PendingScores, Trainer,
};
use crate::scaling::Normalization;
use crate::signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
use crate::signals::icm::{build_dynamics, validate_dynamics};
use burn::prelude::*;
use limbic_agents::core::checkpoint::RngState;
use limbic_agents::core::config::parse_config;
use limbic_agents::nets::download;
use limbic_agents::shaping::Transitions;
use limbic_agents::Result;
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

pub const NAME: &str = "ride";

/// RIDE's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RideParams {
    pub hidden: Vec<usize>,
    pub latent_dim: usize,
    pub head_hidden: Vec<usize>,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub epochs: usize,
    pub forward_coef: f64,
    pub inverse_coef: f64,
}

impl Default for RideParams {
    fn default() -> Self {
        RideParams {
            hidden: vec![256],
            latent_dim: 128,
            head_hidden: vec![256],
            learning_rate: 1e-3,
            batch_size: 256,
            epochs: 1,
            forward_coef: 10.0,
            inverse_coef: 0.1,
        }
    }
}

pub const ENTRY: SignalEntry = SignalEntry {
    name: NAME,
    summary: "RIDE (Raileanu & Rocktaeschel 2020): embedding change ||phi(s') - phi(s)|| over sqrt of the episodic count of s'",
    params: &[
        ("hidden", "hidden layer widths of the embedding phi after the observation encoder (default [256])"),
        ("latent_dim", "width of the embedding (default 128)"),
        ("head_hidden", "hidden layer widths of the inverse and forward models (default [256])"),
        ("learning_rate", "Adam step size (default 1e-3)"),
        ("batch_size", "transitions per gradient step (default 256)"),
        ("epochs", "passes over each batch per update (default 1)"),
        ("forward_coef", "weight of the forward-dynamics loss (default 10, the authors' code)"),
        ("inverse_coef", "weight of the inverse-dynamics loss (default 0.1, the authors' code)"),
    ],
    defaults: || to_json(&RideParams::default()),
    weight: 0.1,
    normalization: Normalization::Rms,
    exploration: true,
    episodic_counts: false,
    caveats: "at weight 0.1 in its own stream PPO did not solve MiniGrid DoorKey-8x8 within 1M frames (seed 0; plain PPO solves it by ~850k): its entropy collapsed while the bonus held 50-70% of the advantage (BENCHMARKS.md). It divides by the root of its episodic count already, so it has no `episodic_counts` default; not tuned further",
    build: &|params, context| Ok(Box::new(Ride::new(params, context)?)),
};

/// An observation row as an exact key (its bit patterns).
fn row_key(row: &[f32]) -> Vec<u32> {
    row.iter().map(|x| x.to_bits()).collect()
}

/// One sub-env's episode: visit counts of its observations.
#[derive(Clone, Debug, Default)]
struct EpisodeCounts {
    counts: HashMap<Vec<u32>, u32>,
}

impl EpisodeCounts {
    /// Counts a visit of `row`; returns the visits so far, this one included.
    fn visit(&mut self, row: &[f32]) -> u32 {
        let count = self.counts.entry(row_key(row)).or_insert(0);
        *count += 1;
        *count
    }
}

/// The RIDE signal; see the [module docs](self).
pub struct Ride {
    params: RideParams,
    obs_dim: usize,
    actions: ActionCoding,
    trainer: Trainer<Dynamics>,
    episodes: Vec<EpisodeCounts>,
    pending: PendingScores,
    rng: Generator,
}

/// What `save` writes besides the weights.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RideState {
    /// Per sub-env, the (row bits, count) pairs, sorted.
    counts: Vec<Vec<(Vec<u32>, u32)>>,
    pending: PendingScores,
    rng: RngState,
}

impl Ride {
    pub fn new(params: &serde_json::Value, context: &SignalContext) -> Result<Ride> {
        let p: RideParams = parse_config(NAME, params)?;
        validate_dynamics(NAME, &p.hidden, p.latent_dim, &p.head_hidden, p.learning_rate, p.batch_size, p.epochs)?;
        positive(NAME, "forward_coef", p.forward_coef)?;
        positive(NAME, "inverse_coef", p.inverse_coef)?;
        let mut rng = Generator::from_seed(context.seed);
        let phi = NetShape { hidden: p.hidden.clone(), out: p.latent_dim };
        let (trainer, actions) = build_dynamics(NAME, context, phi, &p.head_hidden, true, p.learning_rate, &mut rng)?;
        Ok(Ride {
            params: p,
            obs_dim: context.obs_dim,
            actions,
            trainer,
            episodes: vec![EpisodeCounts::default(); context.num_envs],
            pending: PendingScores::default(),
            rng,
        })
    }

    /// Visits of `row` so far in sub-env `env`'s episode (0 if unseen); for tests and
    /// diagnostics.
    pub fn episode_count(&self, env: usize, row: &[f32]) -> u32 {
        self.episodes.get(env).and_then(|e| e.counts.get(&row_key(row))).copied().unwrap_or(0)
    }
}

impl IntrinsicReward for Ride {
    fn name(&self) -> &str {
        NAME
    }

    fn memory(&self) -> Memory {
        Memory::Episodic
    }

    fn observe(&mut self, step: &Transitions) -> Result<()> {
        check_batch(NAME, step, self.obs_dim, Some(self.actions))?;
        check_envs(NAME, step, self.episodes.len())?;
        let slots = valid_slots(step);
        let mut scores = vec![0.0f32; step.slots()];
        if !slots.is_empty() {
            // phi of every valid s, then every valid s', in one forward pass.
            let (d, rows) = (self.obs_dim, obs_then_next_obs(step, &slots));
            let phi = download(self.trainer.inference().phi.forward(upload(rows, d, &Device::flex())))?;
            let (phi_s, phi_next) = phi.split_at(phi.len() / 2);
            let latent = self.params.latent_dim;
            for (j, &s) in slots.iter().enumerate() {
                let episode = &mut self.episodes[s % step.envs];
                if episode.counts.is_empty() {
                    episode.visit(step.obs_row(s));
                }
                let count = episode.visit(step.next_obs_row(s));
                let (a, b) = (&phi_s[j * latent..(j + 1) * latent], &phi_next[j * latent..(j + 1) * latent]);
                scores[s] = squared_l2(a, b).sqrt() / (count as f32).sqrt();
                if ends_inside(step, s) {
                    self.reset_episode(s % step.envs);
                }
            }
        }
        self.pending.push(&scores);
        Ok(())
    }

    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        self.pending.take_into(NAME, batch, out)
    }

    fn update(&mut self, batch: &Transitions) -> Result<BTreeMap<String, f64>> {
        check_batch(NAME, batch, self.obs_dim, Some(self.actions))?;
        let p = &self.params;
        let how = DynamicsTraining {
            epochs: p.epochs,
            batch_size: p.batch_size,
            inverse_coef: p.inverse_coef,
            forward_coef: p.forward_coef,
        };
        train_dynamics(NAME, &mut self.trainer, batch, self.actions, how, &mut self.rng)
    }

    fn reset_episode(&mut self, env: usize) {
        if let Some(episode) = self.episodes.get_mut(env) {
            episode.counts.clear();
        }
    }

    fn save(&self) -> Result<Vec<u8>> {
        let mut archive = Archive::new(NAME);
        self.trainer.save("dynamics", &mut archive)?;
        let counts = self
            .episodes
            .iter()
            .map(|e| {
                let mut pairs: Vec<(Vec<u32>, u32)> = e.counts.iter().map(|(k, &v)| (k.clone(), v)).collect();
                pairs.sort();
                pairs
            })
            .collect();
        let state = RideState { counts, pending: self.pending.clone(), rng: RngState::of(&self.rng) };
        archive.put_json("state", &state)?;
        archive.encode()
    }

    fn load(&mut self, bytes: &[u8]) -> Result<()> {
        let archive = Archive::decode(NAME, bytes)?;
        let state: RideState = archive.json("state")?;
        let rng = state.rng.restore(std::path::Path::new(NAME))?;
        if state.counts.len() != self.episodes.len() {
            return Err(archive.error(format!(
                "saved for {} sub-envs, this signal has {}",
                state.counts.len(),
                self.episodes.len()
            )));
        }
        self.trainer.load("dynamics", &archive)?;
        self.episodes =
            state.counts.into_iter().map(|pairs| EpisodeCounts { counts: pairs.into_iter().collect() }).collect();
        (self.pending, self.rng) = (state.pending, rng);
        Ok(())
    }
}
