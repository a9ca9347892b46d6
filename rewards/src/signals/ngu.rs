//! NGU's intrinsic reward (Badia et al. 2020, "Never Give Up"): an episodic novelty over
//! controllable embeddings, times a lifelong novelty factor from RND. Episodic.
//!
//! - The embedding `f` is trained by inverse dynamics (the paper's siamese action classifier).
//! - Each sub-env keeps an episodic memory of `f(x)` of its episode's observations (the first
//!   one included). A next observation `x'` is scored against it: its `k` nearest squared
//!   distances `d_i^2` are divided by a running mean `d_m^2` of such distances (all of them, over
//!   the run, updated first), reduced by the cluster distance `xi` and floored at 0, turned into
//!   similarities `K_i = eps / (d_i^2 / d_m^2 + eps)`, and
//!   `r_episodic = 1 / (sqrt(sum K_i) + c)`, or 0 when `sqrt(sum K_i) + c` exceeds the maximum
//!   similarity. Then `f(x')` joins the memory. Scored in
//!   [`observe`](IntrinsicReward::observe); a sub-env's memory is forgotten in
//!   [`reset_episode`](IntrinsicReward::reset_episode).
//! - The lifelong factor of `x'` is `min(max(alpha, 1), L)` with
//!   `alpha = 1 + (err(x') - mean) / std`, `err` the error of an internal RND (trained on the
//!   next observations it scores) and `mean`, `std` running statistics of all errors seen,
//!   updated with each batch before it is scored. Applied in
//!   [`compute`](IntrinsicReward::compute).
//!
//! The bonus is `r_episodic * factor`, raw: RLeXplore's NGU scales (normalizes and weights) each
//! factor before multiplying them, so its weight is applied twice; here the reward set weights
//! the product once. The running mean `d_m^2` is the mean over all distances seen (the paper
//! says "running average" without a rate).

use crate::models::{
    bad_param, check_batch, check_bonuses, check_envs, clear_output, encoder_kind, ends_inside,
    nearest_squared_distances, obs_then_next_obs, positive, to_json, train_dynamics, upload, valid_slots, ActionCoding,
    Archive, Dynamics, DynamicsTraining, NetShape, PendingScores, Trainer,
};
use crate::scaling::Normalization;
use crate::signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
use crate::signals::icm::{build_dynamics, validate_dynamics};
use crate::signals::rnd::{RndModel, RndParams};
use burn::prelude::*;
use limbic_agents::buffers::normalize::EPSILON;
use limbic_agents::core::checkpoint::RngState;
use limbic_agents::core::config::parse_config;
use limbic_agents::nets::download;
use limbic_agents::shaping::Transitions;
use limbic_agents::Result;
use limbic_environments::rng::Generator;
use limbic_environments::wrappers::{Precision, RunningMeanStd};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const NAME: &str = "ngu";

/// NGU's parameters; names and defaults of the kernel are the paper's (Table 1 / App. F).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NguParams {
    pub hidden: Vec<usize>,
    pub latent_dim: usize,
    pub head_hidden: Vec<usize>,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub epochs: usize,
    pub k: usize,
    pub kernel_epsilon: f64,
    pub cluster_distance: f64,
    pub pseudo_count: f64,
    pub max_similarity: f64,
    /// `L`, the largest lifelong factor.
    pub max_modulation: f64,
    /// Embeddings an episode's memory keeps (the oldest are overwritten beyond).
    pub memory_capacity: usize,
    /// The internal RND's parameters.
    pub rnd: RndParams,
}

impl Default for NguParams {
    fn default() -> Self {
        NguParams {
            hidden: vec![256],
            latent_dim: 32,
            head_hidden: vec![256],
            learning_rate: 1e-3,
            batch_size: 256,
            epochs: 1,
            k: 10,
            kernel_epsilon: 1e-4,
            cluster_distance: 0.008,
            pseudo_count: 1e-3,
            max_similarity: 8.0,
            max_modulation: 5.0,
            memory_capacity: 30_000,
            rnd: RndParams::default(),
        }
    }
}

pub const ENTRY: SignalEntry = SignalEntry {
    name: NAME,
    summary: "NGU (Badia et al. 2020): episodic kNN novelty of controllable embeddings times a lifelong RND factor",
    params: &[
        ("hidden", "hidden layer widths of the embedding f after the observation encoder (default [256])"),
        ("latent_dim", "width of the controllable embedding (default 32)"),
        ("head_hidden", "hidden layer widths of the inverse model (default [256])"),
        ("learning_rate", "Adam step size of the embedding (default 1e-3)"),
        ("batch_size", "transitions per gradient step of the embedding (default 256)"),
        ("epochs", "passes over each batch per update of the embedding (default 1)"),
        ("k", "nearest neighbours in the episodic memory (default 10)"),
        ("kernel_epsilon", "epsilon of the kernel eps / (d^2 / d_m^2 + eps) (default 1e-4)"),
        ("cluster_distance", "xi, subtracted from normalized distances (default 0.008)"),
        ("pseudo_count", "c, added to the square root of the summed similarities (default 1e-3)"),
        ("max_similarity", "similarity above which the episodic reward is 0 (default 8)"),
        ("max_modulation", "L, the largest lifelong factor min(max(alpha, 1), L) (default 5)"),
        ("memory_capacity", "embeddings an episode's memory keeps (default 30000)"),
        ("rnd", "the internal RND's parameters, as the rnd signal's (default: rnd's defaults)"),
    ],
    defaults: || to_json(&NguParams::default()),
    weight: 0.1,
    normalization: Normalization::Rms,
    exploration: true,
    episodic_counts: true,
    caveats: "MiniGrid DoorKey-8x8 (BENCHMARKS.md): with its episodic count factor (default) PPO solved it on seeds 0 and 1 within 500k frames (training return 0.9 after 258k and 303k; final eval deterministic 0.837 and 0.916, sampled 0.969 and 0.972; not run on more seeds); without the factor (weight 0.1) the entropy collapsed and seed 0 never solved it within 500k. The slowest signal per env step (kNN over the episode's memory)",
    build: &|params, context| Ok(Box::new(Ngu::new(params, context)?)),
};

/// One episode's embeddings, a ring of at most `capacity` rows.
#[derive(Clone, Debug, Default, PartialEq)]
struct EpisodicMemory {
    rows: Vec<f32>,
    /// Where the next row goes once the memory is full.
    cursor: usize,
}

impl EpisodicMemory {
    fn add(&mut self, row: &[f32], capacity: usize) {
        let d = row.len();
        if self.rows.len() < capacity * d {
            self.rows.extend_from_slice(row);
        } else {
            self.rows[self.cursor * d..(self.cursor + 1) * d].copy_from_slice(row);
            self.cursor = (self.cursor + 1) % capacity;
        }
    }
}

/// The NGU signal; see the [module docs](self).
pub struct Ngu {
    params: NguParams,
    obs_dim: usize,
    actions: ActionCoding,
    embedding: Trainer<Dynamics>,
    rnd: RndModel,
    memories: Vec<EpisodicMemory>,
    /// Sum and count of the k-NN squared distances seen (`d_m^2` = sum / count).
    distance_sum: f64,
    distance_count: u64,
    /// Running statistics of the RND errors.
    errors: RunningMeanStd,
    pending: PendingScores,
    rng: Generator,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NguState {
    cursors: Vec<usize>,
    distance_sum: f64,
    distance_count: u64,
    error_stats: (f64, f64, f64),
    pending: PendingScores,
    rng: RngState,
}

impl Ngu {
    pub fn new(params: &serde_json::Value, context: &SignalContext) -> Result<Ngu> {
        let p: NguParams = parse_config(NAME, params)?;
        validate_dynamics(NAME, &p.hidden, p.latent_dim, &p.head_hidden, p.learning_rate, p.batch_size, p.epochs)?;
        crate::models::at_least_one(NAME, "k", p.k)?;
        crate::models::at_least_one(NAME, "memory_capacity", p.memory_capacity)?;
        for (key, value) in [
            ("kernel_epsilon", p.kernel_epsilon),
            ("pseudo_count", p.pseudo_count),
            ("max_similarity", p.max_similarity),
        ] {
            positive(NAME, key, value)?;
        }
        if !(p.cluster_distance >= 0.0 && p.cluster_distance.is_finite()) {
            return Err(bad_param(NAME, "cluster_distance", format!("{} must be a number >= 0", p.cluster_distance)));
        }
        if !(p.max_modulation >= 1.0 && p.max_modulation.is_finite()) {
            return Err(bad_param(NAME, "max_modulation", format!("{} must be a number >= 1", p.max_modulation)));
        }
        p.rnd.validate("ngu.rnd")?;
        let mut rng = Generator::from_seed(context.seed);
        let phi = NetShape { hidden: p.hidden.clone(), out: p.latent_dim };
        let (embedding, actions) =
            build_dynamics(NAME, context, phi, &p.head_hidden, false, p.learning_rate, &mut rng)?;
        let rnd = RndModel::new(p.rnd.clone(), encoder_kind(NAME, context)?, &mut rng)?;
        Ok(Ngu {
            obs_dim: context.obs_dim,
            actions,
            embedding,
            rnd,
            memories: vec![EpisodicMemory::default(); context.num_envs],
            distance_sum: 0.0,
            distance_count: 0,
            errors: RunningMeanStd::new(1),
            pending: PendingScores::default(),
            rng,
            params: p,
        })
    }

    /// Embeddings in sub-env `env`'s episodic memory; for tests and diagnostics.
    pub fn memory_len(&self, env: usize) -> usize {
        self.memories.get(env).map_or(0, |m| m.rows.len() / self.params.latent_dim)
    }

    /// The episodic reward of embedding `query` against `memory`, updating `d_m^2`.
    fn episodic_reward(&mut self, query: &[f32], env: usize, nearest: &mut Vec<f32>) -> f32 {
        let p = &self.params;
        nearest_squared_distances(query, &self.memories[env].rows, p.k, nearest);
        self.distance_sum += nearest.iter().map(|&d| d as f64).sum::<f64>();
        self.distance_count += nearest.len() as u64;
        let mean = self.distance_sum / self.distance_count.max(1) as f64;
        let similarity: f64 = nearest
            .iter()
            .map(|&d| {
                let normalized = if mean > 0.0 { d as f64 / mean } else { 0.0 };
                let d = (normalized - p.cluster_distance).max(0.0);
                p.kernel_epsilon / (d + p.kernel_epsilon)
            })
            .sum();
        let s = similarity.sqrt() + p.pseudo_count;
        if s > p.max_similarity {
            0.0
        } else {
            (1.0 / s) as f32
        }
    }
}

impl IntrinsicReward for Ngu {
    fn name(&self) -> &str {
        NAME
    }

    fn memory(&self) -> Memory {
        Memory::Episodic
    }

    fn observe(&mut self, step: &Transitions) -> Result<()> {
        check_batch(NAME, step, self.obs_dim, Some(self.actions))?;
        check_envs(NAME, step, self.memories.len())?;
        let slots = valid_slots(step);
        let mut scores = vec![0.0f32; step.slots()];
        if !slots.is_empty() {
            let (d, rows) = (self.obs_dim, obs_then_next_obs(step, &slots));
            let f = download(self.embedding.inference().phi.forward(upload(rows, d, &Device::flex())))?;
            let latent = self.params.latent_dim;
            let (f_obs, f_next) = f.split_at(f.len() / 2);
            let (capacity, mut nearest) = (self.params.memory_capacity, Vec::new());
            for (j, &s) in slots.iter().enumerate() {
                let env = s % step.envs;
                if self.memories[env].rows.is_empty() {
                    self.memories[env].add(&f_obs[j * latent..(j + 1) * latent], capacity);
                }
                let query = &f_next[j * latent..(j + 1) * latent];
                scores[s] = self.episodic_reward(query, env, &mut nearest);
                self.memories[env].add(query, capacity);
                if ends_inside(step, s) {
                    self.reset_episode(env);
                }
            }
        }
        self.pending.push(&scores);
        Ok(())
    }

    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        check_batch(NAME, batch, self.obs_dim, Some(self.actions))?;
        clear_output(NAME, batch, out)?;
        let mut episodic = vec![0.0f32; batch.slots()];
        self.pending.take_into(NAME, batch, &mut episodic)?;
        let slots = valid_slots(batch);
        if slots.is_empty() {
            return Ok(());
        }
        let errors: Vec<f64> = self.rnd.errors(batch, &slots)?.into_iter().map(f64::from).collect();
        self.errors.update(&errors)?;
        let (mean, std) = (self.errors.mean()[0], (self.errors.var()[0] + EPSILON).sqrt());
        for (&s, e) in slots.iter().zip(errors) {
            let alpha = 1.0 + (e - mean) / std;
            out[s] = episodic[s] * alpha.clamp(1.0, self.params.max_modulation) as f32;
        }
        check_bonuses(NAME, out)
    }

    fn update(&mut self, batch: &Transitions) -> Result<BTreeMap<String, f64>> {
        check_batch(NAME, batch, self.obs_dim, Some(self.actions))?;
        let p = &self.params;
        let how = DynamicsTraining { epochs: p.epochs, batch_size: p.batch_size, inverse_coef: 1.0, forward_coef: 0.0 };
        let mut metrics = train_dynamics(NAME, &mut self.embedding, batch, self.actions, how, &mut self.rng)?;
        let rnd_loss = self.rnd.train(batch, &mut self.rng)?;
        metrics.insert("loss_rnd".into(), rnd_loss);
        Ok(metrics)
    }

    fn reset_episode(&mut self, env: usize) {
        if let Some(memory) = self.memories.get_mut(env) {
            *memory = EpisodicMemory::default();
        }
    }

    fn save(&self) -> Result<Vec<u8>> {
        let mut archive = Archive::new(NAME);
        self.embedding.save("embedding", &mut archive)?;
        self.rnd.save("rnd", &mut archive)?;
        for (env, memory) in self.memories.iter().enumerate() {
            let rows: Vec<f64> = memory.rows.iter().map(|&x| x as f64).collect();
            archive.put_floats(&format!("memory.{env}"), &rows);
        }
        let state = NguState {
            cursors: self.memories.iter().map(|m| m.cursor).collect(),
            distance_sum: self.distance_sum,
            distance_count: self.distance_count,
            error_stats: (self.errors.mean()[0], self.errors.var()[0], self.errors.count()),
            pending: self.pending.clone(),
            rng: RngState::of(&self.rng),
        };
        archive.put_json("state", &state)?;
        archive.encode()
    }

    fn load(&mut self, bytes: &[u8]) -> Result<()> {
        let archive = Archive::decode(NAME, bytes)?;
        let state: NguState = archive.json("state")?;
        let rng = state.rng.restore(std::path::Path::new(NAME))?;
        let (mean, var, count) = state.error_stats;
        let errors = RunningMeanStd::from_state(vec![mean], vec![var], count, Precision::F64)
            .map_err(|e| archive.error(format!("state: {e}")))?;
        if state.cursors.len() != self.memories.len() {
            return Err(archive.error(format!(
                "saved for {} sub-envs, this signal has {}",
                state.cursors.len(),
                self.memories.len()
            )));
        }
        let mut memories = Vec::with_capacity(self.memories.len());
        for (env, &cursor) in state.cursors.iter().enumerate() {
            let rows: Vec<f32> = archive.floats(&format!("memory.{env}"))?.into_iter().map(|x| x as f32).collect();
            let len = rows.len() / self.params.latent_dim;
            if !rows.len().is_multiple_of(self.params.latent_dim) || len > self.params.memory_capacity || cursor > len {
                return Err(archive.error(format!("memory.{env} does not fit this signal")));
            }
            memories.push(EpisodicMemory { rows, cursor });
        }
        let (mut embedding, mut rnd) = (self.embedding.clone(), self.rnd.clone());
        embedding.load("embedding", &archive)?;
        rnd.load("rnd", &archive)?;
        (self.embedding, self.rnd) = (embedding, rnd);
        (self.memories, self.errors, self.pending, self.rng) = (memories, errors, state.pending, rng);
        (self.distance_sum, self.distance_count) = (state.distance_sum, state.distance_count);
        Ok(())
    }
}
