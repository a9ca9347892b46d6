//! `counts`: state-visitation counts, bonus `beta / sqrt(N(s'))` with `N(s')` the visits to the
//! next observation, this one included (so a first visit earns `beta`).
//!
//! - `exact`: observations are keyed by the bits of their flat row: right for discrete
//!   observations (Discrete, MultiDiscrete, MultiBinary, integer Boxes such as MiniGrid's
//!   image, and Dicts of those).
//! - `simhash`: Tang et al. 2017 (#Exploration): the key is `sign(A g(s))`, `A` a `k x D`
//!   matrix of standard Gaussian draws fixed at construction, `k` bits (default 32). `g` is the
//!   identity on the rows the signal receives (set `obs_norm` in the spec to standardize them
//!   first); the paper's learned autoencoder `g` is not implemented.
//! - `grid`: each number's cell among `bins` equal cells between its space's bounds (tile
//!   coding with one tiling): for low-dimensional bounded Boxes such as MountainCar's, where
//!   SimHash's hyperplanes through the origin only tell directions apart.
//! - `auto` (default) picks `exact` for discrete observation spaces, `grid` for float Boxes of
//!   at most [`GRID_MAX_DIMS`] numbers with finite bounds, and `simhash` otherwise.
//!
//! `memory: "episodic"` (default) keeps one table per sub-env, cleared when its episode ends;
//! `"lifelong"` counts over the whole run, shared by the sub-envs. Lifelong counts of
//! MiniGrid's egocentric view saturate early (the same wall views recur everywhere), and PPO
//! with them did not solve DoorKey-8x8 in 400k frames; episodic counts did (BENCHMARKS.md).
//!
//! The count is taken when the step is observed, so an episodic bonus uses the episode's
//! counts at that moment; `compute` returns the bonuses of the steps observed since the last
//! `compute`.

use crate::scaling::Normalization;
use crate::signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
use limbic_agents::core::config::{invalid, parse_config};
use limbic_agents::shaping::Transitions;
use limbic_agents::{AgentError, Result};
use limbic_environments::rng::Generator;
use limbic_environments::space::DType;
use limbic_environments::Space;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const NAME: &str = "counts";

pub const ENTRY: SignalEntry = SignalEntry {
    name: NAME,
    summary: "state-visitation counts, beta / sqrt(N(s')): exact for discrete observations, a grid for small bounded Boxes, SimHash otherwise",
    params: &[
        ("beta", "bonus scale: the bonus of a first visit"),
        (
            "mode",
            "`auto` (exact for discrete observation spaces, grid for small bounded float Boxes, else simhash), `exact`, `grid` or `simhash`",
        ),
        ("bits", "SimHash code length k (1..=64)"),
        ("bins", "grid cells per number between its bounds (2..=65536)"),
        ("memory", "`episodic` (per sub-env episode) or `lifelong` (counts over the whole run)"),
    ],
    defaults: || serde_json::to_value(Params::default()).unwrap_or_default(),
    weight: 0.1,
    normalization: Normalization::Rms,
    exploration: true,
    episodic_counts: false,
    caveats: "MountainCar-v0 with CleanRL's PPO values (4 envs x 128, no reward normalization) reached the goal on 5 of 5 seeds within 200k steps only with PPO's per_stream_advantage and normalize_obs (lifelong counts: 100% success at evaluation); without per-stream advantages the env's -1 per step drowned the bonus (BENCHMARKS.md)",
    build: &build,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Auto,
    Exact,
    Grid,
    Simhash,
}

/// The most numbers per row for which `auto` picks `grid` (beyond, cells are rarely revisited).
pub const GRID_MAX_DIMS: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemoryParam {
    Lifelong,
    Episodic,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub beta: f64,
    pub mode: Mode,
    pub bits: usize,
    pub bins: u32,
    pub memory: MemoryParam,
}

impl Default for Params {
    fn default() -> Self {
        Params { beta: 1.0, mode: Mode::Auto, bits: 32, bins: 16, memory: MemoryParam::Episodic }
    }
}

fn build(params: &serde_json::Value, ctx: &SignalContext) -> Result<Box<dyn IntrinsicReward>> {
    Ok(Box::new(Counts::new(parse_config(NAME, params)?, ctx)?))
}

impl Counts {
    pub fn new(p: Params, ctx: &SignalContext) -> Result<Counts> {
        if !(p.beta.is_finite() && p.beta > 0.0) {
            return Err(invalid("counts.beta", "must be a positive number"));
        }
        if !(1..=64).contains(&p.bits) {
            return Err(invalid("counts.bits", format!("must be within 1..=64, got {}", p.bits)));
        }
        if !(2..=65536).contains(&p.bins) {
            return Err(invalid("counts.bins", format!("must be within 2..=65536, got {}", p.bins)));
        }
        let grid_bounds = finite_float_bounds(&ctx.observation_space, ctx.obs_dim);
        let mode = match p.mode {
            Mode::Auto if is_discrete(&ctx.observation_space) => Mode::Exact,
            Mode::Auto if grid_bounds.is_some() && ctx.obs_dim <= GRID_MAX_DIMS => Mode::Grid,
            Mode::Auto => Mode::Simhash,
            chosen => chosen,
        };
        let coding = match mode {
            Mode::Grid => {
                let bounds = grid_bounds.ok_or_else(|| {
                    invalid(
                        "counts.mode",
                        "`grid` needs a float Box observation with finite bounds (standardized rows have none)",
                    )
                })?;
                Coding::Grid { bounds, bins: p.bins }
            }
            Mode::Simhash => {
                let mut rng = Generator::from_seed(ctx.seed);
                Coding::Simhash((0..p.bits * ctx.obs_dim).map(|_| rng.standard_normal() as f32).collect())
            }
            Mode::Exact | Mode::Auto => Coding::Exact,
        };
        let tables = match p.memory {
            MemoryParam::Lifelong => 1,
            MemoryParam::Episodic => ctx.num_envs,
        };
        Ok(Counts {
            beta: p.beta,
            memory: p.memory,
            bits: p.bits,
            obs_dim: ctx.obs_dim,
            coding,
            state: State { tables: vec![BTreeMap::new(); tables], pending: Vec::new() },
        })
    }
}

/// Whether every number of a flat row takes finitely many values (so exact counts mean
/// something).
pub fn is_discrete(space: &Space) -> bool {
    match space {
        Space::Discrete { .. } | Space::MultiDiscrete { .. } | Space::MultiBinary { .. } => true,
        Space::Box(b) => !matches!(b.dtype, DType::Float32 | DType::Float64),
        Space::Dict(items) => items.iter().all(|(_, s)| matches!(s, Space::Text { .. }) || is_discrete(s)),
        Space::Tuple(items) => items.iter().all(is_discrete),
        Space::Text { .. } => true,
    }
}

/// Each number's `(low, high)` when every part of the space is a float Box (a Box, or a Dict
/// or Tuple of them, in flat-row order), else `None`.
pub fn float_bounds(space: &Space) -> Option<Vec<(f64, f64)>> {
    match space {
        Space::Box(b) if matches!(b.dtype, DType::Float32 | DType::Float64) => {
            Some(b.low.iter().copied().zip(b.high.iter().copied()).collect())
        }
        Space::Dict(items) => {
            items.iter().map(|(_, s)| float_bounds(s)).collect::<Option<Vec<_>>>().map(|v| v.concat())
        }
        Space::Tuple(items) => items.iter().map(float_bounds).collect::<Option<Vec<_>>>().map(|v| v.concat()),
        _ => None,
    }
}

/// [`float_bounds`] as `f32`, when there are `dim` of them and all are finite.
fn finite_float_bounds(space: &Space, dim: usize) -> Option<Vec<(f32, f32)>> {
    let bounds: Vec<(f32, f32)> = float_bounds(space)?.into_iter().map(|(l, h)| (l as f32, h as f32)).collect();
    let finite = bounds.iter().all(|&(l, h)| l.is_finite() && h.is_finite() && h > l);
    (finite && bounds.len() == dim).then_some(bounds)
}

/// How a row becomes a table key.
enum Coding {
    /// The row's bits.
    Exact,
    /// Each number's cell index between its bounds.
    Grid { bounds: Vec<(f32, f32)>, bins: u32 },
    /// SimHash's `A`, `[k, D]`: the key is the signs of `A x`.
    Simhash(Vec<f32>),
}

/// A state count table keyed by an observation's code.
type Table = BTreeMap<Vec<u32>, u32>;

/// [`State`] as saved (JSON object keys must be strings, so tables are lists of pairs).
#[derive(Serialize, Deserialize)]
struct Saved {
    tables: Vec<Vec<(Vec<u32>, u32)>>,
    pending: Vec<f32>,
}

/// Everything that changes while training (saved).
#[derive(Clone, Debug, Default, PartialEq)]
struct State {
    /// One table (lifelong) or one per sub-env (episodic).
    tables: Vec<Table>,
    /// Bonuses of the steps observed since the last `compute`, in slot order.
    pending: Vec<f32>,
}

pub struct Counts {
    beta: f64,
    memory: MemoryParam,
    bits: usize,
    obs_dim: usize,
    coding: Coding,
    state: State,
}

impl Counts {
    fn key(&self, row: &[f32]) -> Vec<u32> {
        match &self.coding {
            Coding::Exact => row.iter().map(|x| x.to_bits()).collect(),
            Coding::Grid { bounds, bins } => row
                .iter()
                .zip(bounds)
                .map(|(&x, &(low, high))| (((x - low) / (high - low) * *bins as f32).max(0.0) as u32).min(bins - 1))
                .collect(),
            Coding::Simhash(a) => {
                let mut code = 0u64;
                for (j, weights) in a.chunks_exact(self.obs_dim).enumerate() {
                    let dot: f32 = weights.iter().zip(row).map(|(w, x)| w * x).sum();
                    code |= u64::from(dot >= 0.0) << j;
                }
                vec![code as u32, (code >> 32) as u32]
            }
        }
    }

    /// How many times `row` was seen by sub-env `env`'s table (for tests and diagnostics).
    pub fn count(&self, env: usize, row: &[f32]) -> u32 {
        let table = &self.state.tables[env.min(self.state.tables.len() - 1)];
        table.get(&self.key(row)).copied().unwrap_or(0)
    }

    /// SimHash code length, or 0 for exact counts.
    pub fn hash_bits(&self) -> usize {
        match self.coding {
            Coding::Simhash(_) => self.bits,
            _ => 0,
        }
    }
}

impl IntrinsicReward for Counts {
    fn name(&self) -> &str {
        NAME
    }

    fn memory(&self) -> Memory {
        match self.memory {
            MemoryParam::Lifelong => Memory::Lifelong,
            MemoryParam::Episodic => Memory::Episodic,
        }
    }

    fn observe(&mut self, step: &Transitions) -> Result<()> {
        let tables = self.state.tables.len();
        for slot in 0..step.slots() {
            let bonus = if step.valid[slot] {
                let key = self.key(step.next_obs_row(slot));
                let count = self.state.tables[(slot % step.envs).min(tables - 1)].entry(key).or_insert(0);
                *count += 1;
                (self.beta / (*count as f64).sqrt()) as f32
            } else {
                0.0
            };
            self.state.pending.push(bonus);
        }
        Ok(())
    }

    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        if self.state.pending.len() != batch.slots() {
            return Err(AgentError::Unsupported(format!(
                "counts: compute got {} slots but {} were observed since the last compute (observe every step)",
                batch.slots(),
                self.state.pending.len()
            )));
        }
        out[..batch.slots()].copy_from_slice(&self.state.pending);
        self.state.pending.clear();
        Ok(())
    }

    fn reset_episode(&mut self, env: usize) {
        if self.memory == MemoryParam::Episodic {
            if let Some(table) = self.state.tables.get_mut(env) {
                table.clear();
            }
        }
    }

    fn save(&self) -> Result<Vec<u8>> {
        let tables = self.state.tables.iter().map(|t| t.iter().map(|(k, &n)| (k.clone(), n)).collect()).collect();
        let saved = Saved { tables, pending: self.state.pending.clone() };
        serde_json::to_vec(&saved).map_err(|e| AgentError::Io(format!("counts: {e}")))
    }

    fn load(&mut self, bytes: &[u8]) -> Result<()> {
        let saved: Saved =
            serde_json::from_slice(bytes).map_err(|e| AgentError::Io(format!("counts: corrupt state: {e}")))?;
        let tables = saved.tables.into_iter().map(|t| t.into_iter().collect()).collect();
        let state = State { tables, pending: saved.pending };
        if state.tables.len() != self.state.tables.len() {
            return Err(AgentError::Io("counts: state saved for another memory mode or number of sub-envs".into()));
        }
        self.state = state;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(space: Space, num_envs: usize) -> SignalContext {
        let obs_dim = space.flat_dim().unwrap();
        SignalContext { obs_dim, observation_space: space, action_space: Space::discrete(2), num_envs, seed: 3 }
    }

    /// One vector step of `rows` (one per sub-env) as next observations.
    fn step<'a>(rows: &'a [f32], dim: usize, valid: &'a [bool], done: &'a [bool]) -> Transitions<'a> {
        let n = valid.len();
        Transitions {
            steps: 1,
            envs: n,
            obs_dim: dim,
            action_dim: 1,
            obs: rows,
            actions: &[0.0; 8][..n],
            rewards: &[0.0; 8][..n],
            next_obs: rows,
            terminated: done,
            truncated: &[false; 8][..n],
            valid,
            goal_dim: 0,
            goals: &[],
            next_goals: &[],
            advice: &[],
        }
    }

    fn bonuses(signal: &mut dyn IntrinsicReward, rows: &[f32], dim: usize, valid: &[bool]) -> Vec<f32> {
        let done = vec![false; valid.len()];
        let t = step(rows, dim, valid, &done);
        signal.observe(&t).unwrap();
        let mut out = vec![9.0; valid.len()];
        signal.compute(&t, &mut out).unwrap();
        out
    }

    #[test]
    fn counts_fall_with_visits() {
        let space = Space::MultiBinary { shape: vec![3] };
        let mut c = build(&serde_json::json!({"beta": 2.0, "memory": "lifelong"}), &ctx(space, 2)).unwrap();
        let (a, b) = ([1.0, 0.0, 1.0], [0.0, 1.0, 1.0]);
        let rows: Vec<f32> = a.iter().chain(&a).copied().collect();
        // Lifelong counts are shared by the sub-envs: visits 1 and 2 in one step.
        assert_eq!(bonuses(&mut *c, &rows, 3, &[true, true]), [2.0, 2.0 / 2f32.sqrt()]);
        let rows: Vec<f32> = a.iter().chain(&b).copied().collect();
        assert_eq!(bonuses(&mut *c, &rows, 3, &[true, true]), [2.0 / 3f32.sqrt(), 2.0]);
        // An invalid slot neither counts nor earns.
        assert_eq!(bonuses(&mut *c, &rows, 3, &[false, true]), [0.0, 2.0 / 2f32.sqrt()]);
    }

    #[test]
    fn episodic_counts_reset_per_sub_env() {
        let space = Space::discrete(4);
        let mut c = build(&serde_json::json!({"memory": "episodic"}), &ctx(space, 2)).unwrap();
        assert_eq!(c.memory(), Memory::Episodic);
        let rows = [0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0];
        assert_eq!(bonuses(&mut *c, &rows, 4, &[true, true]), [1.0, 1.0]);
        assert_eq!(bonuses(&mut *c, &rows, 4, &[true, true]), [1.0 / 2f32.sqrt(); 2]);
        c.reset_episode(1);
        assert_eq!(bonuses(&mut *c, &rows, 4, &[true, true]), [1.0 / 3f32.sqrt(), 1.0]);
    }

    #[test]
    fn simhash_for_continuous_rows_groups_near_states() {
        let space = Space::vector_box(&[-1.0; 4], &[1.0; 4], DType::Float32);
        let params = serde_json::json!({"bits": 16, "mode": "simhash"});
        let mut c = Counts::new(parse_config(NAME, &params).unwrap(), &ctx(space.clone(), 1)).unwrap();
        assert_eq!(c.hash_bits(), 16);
        let x = [0.3f32, -0.2, 0.5, 0.1];
        let near = x.map(|v| v * 1.001);
        assert_eq!(c.key(&x), c.key(&near), "scaling a row keeps its signs of A x");
        assert_ne!(c.key(&x), c.key(&x.map(|v| -v)));
        bonuses(&mut c, &x, 4, &[true]);
        assert_eq!(c.count(0, &near), 1);
        // Save and load restore the counts exactly.
        let bytes = c.save().unwrap();
        let mut d = Counts::new(parse_config(NAME, &params).unwrap(), &ctx(space, 1)).unwrap();
        d.load(&bytes).unwrap();
        assert_eq!(d.count(0, &x), 1);
        assert!(d.load(b"{").is_err());
    }

    #[test]
    fn auto_grids_small_bounded_boxes_and_hashes_the_rest() {
        // MountainCar's space: position and velocity, bounded.
        let space = Space::vector_box(&[-1.2, -0.07], &[0.6, 0.07], DType::Float32);
        let mut c = Counts::new(Params { bins: 4, ..Params::default() }, &ctx(space, 1)).unwrap();
        assert_eq!(c.hash_bits(), 0);
        // Cells are a quarter of each range wide: 0.45 long in position, 0.035 in velocity.
        assert_eq!(c.key(&[-1.2, -0.07]), [0, 0]);
        assert_eq!(c.key(&[-0.76, 0.0]), [0, 2]);
        assert_eq!(c.key(&[-0.74, 0.0]), [1, 2]);
        assert_eq!(c.key(&[0.6, 0.07]), [3, 3], "the upper bound is in the last cell");
        assert_eq!(c.key(&[9.0, -9.0]), [3, 0], "numbers out of bounds go to the edge cells");
        assert_eq!(c.key(&[f32::NAN, 0.0]), [0, 2], "a NaN is counted, not a panic");
        assert_eq!(bonuses(&mut c, &[-1.0, 0.01, -1.1, 0.02], 2, &[true, true]), [1.0, 1.0 / 2f32.sqrt()], "one cell");
        assert_eq!(c.count(0, &[-1.15, 0.015]), 2);
        let unbounded = Space::vector_box(&[f64::NEG_INFINITY; 2], &[f64::INFINITY; 2], DType::Float32);
        assert_eq!(Counts::new(Params::default(), &ctx(unbounded.clone(), 1)).unwrap().hash_bits(), 32);
        let wide = Space::vector_box(&[-1.0; 9], &[1.0; 9], DType::Float32);
        assert_eq!(Counts::new(Params::default(), &ctx(wide, 1)).unwrap().hash_bits(), 32, "9 numbers: simhash");
        let grid = Params { mode: Mode::Grid, ..Params::default() };
        let error = Counts::new(grid, &ctx(unbounded, 1)).err().unwrap().to_string();
        assert!(error.contains("finite bounds"), "{error}");
        assert!(Counts::new(Params { bins: 1, ..Params::default() }, &ctx(Space::discrete(2), 1)).is_err());
    }

    #[test]
    fn bad_params_list_the_valid_ones() {
        let error = build(&serde_json::json!({"betta": 1.0}), &ctx(Space::discrete(2), 1)).err().unwrap().to_string();
        assert!(error.contains("betta") && error.contains("beta") && error.contains("memory"), "{error}");
        let error =
            build(&serde_json::json!({"mode": "fuzzy"}), &ctx(Space::discrete(2), 1)).err().unwrap().to_string();
        assert!(error.contains("simhash"), "{error}");
        assert!(build(&serde_json::json!({"bits": 65}), &ctx(Space::discrete(2), 1)).is_err());
    }
}
