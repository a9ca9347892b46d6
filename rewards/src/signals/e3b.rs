//! E3B, Exploration via Elliptical Episodic Bonuses (Henaff et al. 2022): an embedding `phi`
//! trained by inverse dynamics; per sub-env episode the matrix `C = lambda I + sum phi phi^T`
//! over the episode's next observations so far, and the bonus of a transition
//! `phi(s')^T C^-1 phi(s')` taken before `phi(s')` joins `C`. Episodic.
//!
//! `C^-1` is kept directly and updated by Sherman-Morrison,
//! `C^-1 <- C^-1 - (C^-1 phi)(C^-1 phi)^T / (1 + phi^T C^-1 phi)`, in plain Rust (`d^2` work per
//! step and sub-env; RLeXplore runs the same update in a Python double loop over the rollout).
//! The bonus is scored in [`observe`](IntrinsicReward::observe) with the embedding of that
//! moment and returned by [`compute`](IntrinsicReward::compute); `C^-1` of a sub-env goes back
//! to `I / lambda` in [`reset_episode`](IntrinsicReward::reset_episode).

use crate::models::{
    check_batch, check_envs, ends_inside, positive, to_json, train_dynamics, upload, valid_slots, ActionCoding,
    Archive, Dynamics, DynamicsTraining, NetShape, PendingScores, Trainer,
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
use std::collections::BTreeMap;

pub const NAME: &str = "e3b";

/// E3B's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct E3bParams {
    pub hidden: Vec<usize>,
    pub latent_dim: usize,
    pub head_hidden: Vec<usize>,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub epochs: usize,
    /// `lambda`, the ridge term of `C`.
    pub ridge: f64,
}

impl Default for E3bParams {
    fn default() -> Self {
        E3bParams {
            hidden: vec![256],
            latent_dim: 128,
            head_hidden: vec![256],
            learning_rate: 1e-3,
            batch_size: 256,
            epochs: 1,
            ridge: 0.1,
        }
    }
}

pub const ENTRY: SignalEntry = SignalEntry {
    name: NAME,
    summary:
        "E3B (Henaff et al. 2022): elliptical episodic bonus phi(s')^T C^-1 phi(s') on inverse-dynamics embeddings",
    params: &[
        ("hidden", "hidden layer widths of the embedding phi after the observation encoder (default [256])"),
        ("latent_dim", "width of the embedding (default 128)"),
        ("head_hidden", "hidden layer widths of the inverse model (default [256])"),
        ("learning_rate", "Adam step size (default 1e-3)"),
        ("batch_size", "transitions per gradient step (default 256)"),
        ("epochs", "passes over each batch per update (default 1)"),
        ("ridge", "lambda in C = lambda I + sum phi phi^T (default 0.1)"),
    ],
    defaults: || to_json(&E3bParams::default()),
    weight: 0.1,
    normalization: Normalization::Rms,
    exploration: true,
    episodic_counts: true,
    caveats: "MiniGrid DoorKey-8x8 (BENCHMARKS.md): with its episodic count factor (default) PPO's training return passed 0.9 on 5 of 5 seeds within 500k frames and the sampled final policy scores 0.94-0.97, but its mode (deterministic evaluation) loops in some layouts: 0.10-0.80 after 500k frames, 0.76 and 0.96 after 1M (seeds 0 and 1), 0.94-0.98 after 2M on seeds 0, 1 and 3, while seeds 2 and 4 never found the goal within 2M (the bonus held 85-98% of the advantage); without the factor (the elliptical bonus alone, weight 0.1) the entropy collapsed and seed 0 never solved it within 500k. ~3x the cost of counts per env step",
    build: &|params, context| Ok(Box::new(E3b::new(params, context)?)),
};

/// The E3B signal; see the [module docs](self).
pub struct E3b {
    params: E3bParams,
    obs_dim: usize,
    actions: ActionCoding,
    trainer: Trainer<Dynamics>,
    /// Per sub-env, `C^-1` (`d x d`, row-major).
    inverses: Vec<Vec<f64>>,
    pending: PendingScores,
    rng: Generator,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct E3bState {
    pending: PendingScores,
    rng: RngState,
}

impl E3b {
    pub fn new(params: &serde_json::Value, context: &SignalContext) -> Result<E3b> {
        let p: E3bParams = parse_config(NAME, params)?;
        validate_dynamics(NAME, &p.hidden, p.latent_dim, &p.head_hidden, p.learning_rate, p.batch_size, p.epochs)?;
        positive(NAME, "ridge", p.ridge)?;
        let mut rng = Generator::from_seed(context.seed);
        let phi = NetShape { hidden: p.hidden.clone(), out: p.latent_dim };
        let (trainer, actions) = build_dynamics(NAME, context, phi, &p.head_hidden, false, p.learning_rate, &mut rng)?;
        let mut e3b = E3b {
            obs_dim: context.obs_dim,
            actions,
            trainer,
            inverses: vec![Vec::new(); context.num_envs],
            pending: PendingScores::default(),
            rng,
            params: p,
        };
        (0..context.num_envs).for_each(|env| e3b.reset_episode(env));
        Ok(e3b)
    }

    /// `phi` of observation rows (`[rows, D]` in, `[rows, latent_dim]` out).
    pub fn embed(&mut self, rows: &[f32]) -> Result<Vec<f32>> {
        let x = upload(rows.to_vec(), self.obs_dim, &Device::flex());
        download(self.trainer.inference().phi.forward(x))
    }

    /// Sub-env `env`'s `C^-1`, row-major.
    pub fn inverse(&self, env: usize) -> Option<&[f64]> {
        self.inverses.get(env).map(Vec::as_slice)
    }
}

/// `phi^T C^-1 phi`, then `C^-1` updated for `C + phi phi^T` (Sherman-Morrison).
fn bonus_then_update(inverse: &mut [f64], phi: &[f32]) -> f64 {
    let d = phi.len();
    let u: Vec<f64> =
        inverse.chunks_exact(d).map(|row| row.iter().zip(phi).map(|(c, &p)| c * p as f64).sum()).collect();
    let bonus: f64 = u.iter().zip(phi).map(|(u, &p)| u * p as f64).sum();
    let scale = 1.0 / (1.0 + bonus);
    for (row, &ui) in inverse.chunks_exact_mut(d).zip(&u) {
        let factor = ui * scale;
        row.iter_mut().zip(&u).for_each(|(c, &uj)| *c -= factor * uj);
    }
    bonus
}

impl IntrinsicReward for E3b {
    fn name(&self) -> &str {
        NAME
    }

    fn memory(&self) -> Memory {
        Memory::Episodic
    }

    fn observe(&mut self, step: &Transitions) -> Result<()> {
        check_batch(NAME, step, self.obs_dim, Some(self.actions))?;
        check_envs(NAME, step, self.inverses.len())?;
        let slots = valid_slots(step);
        let mut scores = vec![0.0f32; step.slots()];
        if !slots.is_empty() {
            let mut rows = Vec::with_capacity(slots.len() * self.obs_dim);
            slots.iter().for_each(|&s| rows.extend_from_slice(step.next_obs_row(s)));
            let phi = self.embed(&rows)?;
            for (&s, phi) in slots.iter().zip(phi.chunks_exact(self.params.latent_dim)) {
                scores[s] = bonus_then_update(&mut self.inverses[s % step.envs], phi) as f32;
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
        let how = DynamicsTraining { epochs: p.epochs, batch_size: p.batch_size, inverse_coef: 1.0, forward_coef: 0.0 };
        train_dynamics(NAME, &mut self.trainer, batch, self.actions, how, &mut self.rng)
    }

    fn reset_episode(&mut self, env: usize) {
        let d = self.params.latent_dim;
        if let Some(inverse) = self.inverses.get_mut(env) {
            inverse.clear();
            inverse.resize(d * d, 0.0);
            (0..d).for_each(|i| inverse[i * d + i] = 1.0 / self.params.ridge);
        }
    }

    fn save(&self) -> Result<Vec<u8>> {
        let mut archive = Archive::new(NAME);
        self.trainer.save("dynamics", &mut archive)?;
        archive.put_floats("inverses", &self.inverses.concat());
        archive.put_json("state", &E3bState { pending: self.pending.clone(), rng: RngState::of(&self.rng) })?;
        archive.encode()
    }

    fn load(&mut self, bytes: &[u8]) -> Result<()> {
        let archive = Archive::decode(NAME, bytes)?;
        let state: E3bState = archive.json("state")?;
        let rng = state.rng.restore(std::path::Path::new(NAME))?;
        let flat = archive.floats("inverses")?;
        let d2 = self.params.latent_dim * self.params.latent_dim;
        if flat.len() != d2 * self.inverses.len() {
            return Err(archive.error(format!(
                "inverses: {} numbers, expected {} sub-envs x {d2}",
                flat.len(),
                self.inverses.len()
            )));
        }
        self.trainer.load("dynamics", &archive)?;
        self.inverses = flat.chunks_exact(d2).map(<[f64]>::to_vec).collect();
        (self.pending, self.rng) = (state.pending, rng);
        Ok(())
    }
}
