//! The scaling stage, applied once per signal by the reward set: reward normalization, the
//! optional observation normalization of the signal's input, and the weight schedule.
//!
//! Signals produce raw bonuses only; everything that changes their scale lives here, so a
//! weight is never applied twice (RLeXplore's NGU scales each factor before multiplying them).

use limbic_agents::buffers::normalize::{ObsNormalizer, RmsState, EPSILON};
use limbic_agents::core::config::invalid;
use limbic_agents::{AgentError, Result};
use limbic_environments::wrappers::{Precision, RunningMeanStd};
use serde::{Deserialize, Serialize};

/// How raw bonuses are normalized before weighting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Normalization {
    /// Divide by the running std of the discounted intrinsic return, accumulated per sub-env
    /// over time (RND's "reward forward filter"; no mean subtraction). CleanRL's RND once ran
    /// the filter across envs instead of time (cleanrl#360); here each sub-env keeps its own.
    Rms,
    /// Divide by the running std of the raw bonuses themselves.
    Std,
    /// `(r - min) / (max - min)` over the batch's transitions (0 when they are all equal).
    Minmax,
    /// Leave the raw bonuses as they are.
    None,
}

/// The reward normalizer of one signal.
#[derive(Clone, Debug)]
pub struct RewardScaler {
    kind: Normalization,
    gamma: f64,
    /// Running discounted return of each sub-env (`Rms`).
    returns: Vec<f64>,
    rms: RunningMeanStd,
}

/// [`RewardScaler`]'s numbers, for checkpoints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalerState {
    pub returns: Vec<f64>,
    pub rms: RmsState,
}

impl RewardScaler {
    pub fn new(kind: Normalization, gamma: f64, num_envs: usize) -> Self {
        RewardScaler {
            kind,
            gamma,
            returns: vec![0.0; num_envs],
            rms: RunningMeanStd::with_precision(1, Precision::F64),
        }
    }

    /// Normalizes `raw` (`[T, N]`) into `out`; invalid slots get 0. The statistics take in the
    /// whole batch first, then scale it (as RND does per rollout).
    pub fn apply(&mut self, raw: &[f64], valid: &[bool], envs: usize, out: &mut [f64]) -> Result<()> {
        let values = || raw.iter().zip(valid).filter(|(_, &v)| v).map(|(&r, _)| r);
        match self.kind {
            Normalization::None => out.copy_from_slice(raw),
            Normalization::Rms => {
                let mut discounted = Vec::with_capacity(raw.len());
                for (slot, (&r, &v)) in raw.iter().zip(valid).enumerate() {
                    if v {
                        let ret = &mut self.returns[slot % envs];
                        *ret = self.gamma * *ret + r;
                        discounted.push(*ret);
                    }
                }
                self.divide_by_std(&discounted, raw, out)?;
            }
            Normalization::Std => {
                let batch: Vec<f64> = values().collect();
                self.divide_by_std(&batch, raw, out)?;
            }
            Normalization::Minmax => {
                let (lo, hi) = values().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| (lo.min(r), hi.max(r)));
                let range = hi - lo;
                for (o, &r) in out.iter_mut().zip(raw) {
                    *o = if range > 0.0 { (r - lo) / range } else { 0.0 };
                }
            }
        }
        for (o, &v) in out.iter_mut().zip(valid) {
            if !v {
                *o = 0.0;
            }
        }
        Ok(())
    }

    fn divide_by_std(&mut self, batch: &[f64], raw: &[f64], out: &mut [f64]) -> Result<()> {
        if !batch.is_empty() {
            self.rms.update(batch)?;
        }
        let scale = 1.0 / (self.rms.var()[0] + EPSILON).sqrt();
        out.iter_mut().zip(raw).for_each(|(o, &r)| *o = r * scale);
        Ok(())
    }

    pub fn kind(&self) -> Normalization {
        self.kind
    }

    /// Normalizes `raw` with the statistics as they are, learning nothing (rewards of stored
    /// transitions scored again); invalid slots get 0. `minmax` depends on the batch, so it
    /// has no such scale and is an error.
    pub fn apply_frozen(&self, raw: &[f64], valid: &[bool], out: &mut [f64]) -> Result<()> {
        let scale = match self.kind {
            Normalization::None => 1.0,
            Normalization::Rms | Normalization::Std => 1.0 / (self.rms.var()[0] + EPSILON).sqrt(),
            Normalization::Minmax => {
                return Err(invalid(
                    "normalization",
                    "`minmax` scales each batch on its own: stored rewards cannot be scored again",
                ))
            }
        };
        for ((o, &r), &v) in out.iter_mut().zip(raw).zip(valid) {
            *o = if v { r * scale } else { 0.0 };
        }
        Ok(())
    }

    pub fn state(&self) -> ScalerState {
        let rms = RmsState { mean: self.rms.mean().to_vec(), var: self.rms.var().to_vec(), count: self.rms.count() };
        ScalerState { returns: self.returns.clone(), rms }
    }

    pub fn load(&mut self, state: &ScalerState) -> Result<()> {
        if state.returns.len() != self.returns.len() || state.rms.mean.len() != 1 {
            return Err(invalid("reward normalizer", "saved for another number of sub-envs"));
        }
        let rms = &state.rms;
        self.rms = RunningMeanStd::from_state(rms.mean.clone(), rms.var.clone(), rms.count, Precision::F64)?;
        self.returns = state.returns.clone();
        Ok(())
    }
}

/// Observation normalization of a signal's input: running mean and variance of the rows of
/// valid transitions, `clip((x - mean) / sqrt(var + 1e-8), -5, 5)`.
pub const OBS_CLIP: f64 = 5.0;

/// Creates the observation normalizer of a signal whose rows have `dim` numbers.
pub fn obs_normalizer(dim: usize) -> ObsNormalizer {
    ObsNormalizer::new(dim, OBS_CLIP)
}

/// How a weight develops over training, clocked by the learner's env steps (all sub-envs
/// together). A schedule gives a factor; the signal's effective weight is `weight * factor`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Schedule {
    /// Always 1.
    #[default]
    Constant,
    /// `from` until `start`, linearly to `to` at `end`, then `to` (rsl_rl's `linear`).
    Linear { from: f64, to: f64, start: u64, end: u64 },
    /// `(1 - kappa)^floor(steps / every)`: RLeXplore's `beta * (1 - kappa)^t` with `beta` the
    /// weight, but clocked by env steps (`every` = the rollout size reproduces RLeXplore).
    Exponential { kappa: f64, every: u64 },
    /// `before` until `at` env steps, then `after` (rsl_rl's `step`).
    Step { before: f64, after: f64, at: u64 },
    /// Linear between `[steps, factor]` points, flat before the first and after the last.
    Piecewise { points: Vec<(u64, f64)> },
    /// Development in phases: each phase holds its `weight` until its `until` (exclusive); the
    /// last phase may leave `until` out and holds forever (so does the last one given).
    /// `[{"until": 200000, "weight": 1.0}, {"weight": 0.0}]` switches a signal off at 200k.
    Phases { phases: Vec<Phase> },
}

/// One phase of [`Schedule::Phases`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    #[serde(default)]
    pub until: Option<u64>,
    pub weight: f64,
}

impl Schedule {
    /// The factor at `steps` env steps.
    pub fn factor(&self, steps: u64) -> f64 {
        match self {
            Schedule::Constant => 1.0,
            Schedule::Linear { from, to, start, end } => {
                let progress =
                    (steps.saturating_sub(*start) as f64 / end.saturating_sub(*start).max(1) as f64).min(1.0);
                from + (to - from) * progress
            }
            Schedule::Exponential { kappa, every } => (1.0 - kappa).powf((steps / (*every).max(1)) as f64),
            Schedule::Step { before, after, at } => {
                if steps < *at {
                    *before
                } else {
                    *after
                }
            }
            Schedule::Piecewise { points } => piecewise(points, steps),
            Schedule::Phases { phases } => {
                phases.iter().find(|p| p.until.is_none_or(|u| steps < u)).or(phases.last()).map_or(1.0, |p| p.weight)
            }
        }
    }

    /// Refuses schedules that cannot mean anything, naming what is wrong.
    pub fn validate(&self) -> Result<()> {
        let bad = |message: &str| Err(invalid("schedule", message));
        match self {
            Schedule::Linear { start, end, .. } if end <= start => bad("linear: `end` must be after `start`"),
            Schedule::Exponential { kappa, every } if !(0.0..1.0).contains(kappa) || *every == 0 => {
                bad("exponential: `kappa` must be in [0, 1) and `every` at least 1")
            }
            Schedule::Piecewise { points } if points.is_empty() || points.windows(2).any(|w| w[1].0 <= w[0].0) => {
                bad("piecewise: `points` must be [steps, factor] pairs with increasing steps")
            }
            Schedule::Phases { phases } if phases.is_empty() => bad("phases: give at least one phase"),
            Schedule::Phases { phases } => {
                let ends: Vec<Option<u64>> = phases.iter().map(|p| p.until).collect();
                let open_early = ends[..ends.len() - 1].iter().any(Option::is_none);
                let increasing = ends.iter().flatten().collect::<Vec<_>>().windows(2).all(|w| w[0] < w[1]);
                if open_early || !increasing {
                    bad("phases: every phase but the last needs an `until`, in increasing order")
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }
}

fn piecewise(points: &[(u64, f64)], steps: u64) -> f64 {
    let Some(&(first_step, first)) = points.first() else { return 1.0 };
    if steps <= first_step {
        return first;
    }
    for w in points.windows(2) {
        let ((s0, f0), (s1, f1)) = (w[0], w[1]);
        if steps <= s1 {
            return f0 + (f1 - f0) * (steps - s0) as f64 / (s1 - s0) as f64;
        }
    }
    points.last().map_or(1.0, |p| p.1)
}

/// Fails when a bonus is NaN or infinite, naming the signal and the update.
pub fn check_finite(values: &[f64], label: &str, what: &str, update: u64) -> Result<()> {
    match values.iter().find(|v| !v.is_finite()) {
        Some(&value) => Err(AgentError::NonFinite { update, quantity: format!("reward/{label}/{what}"), value }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(json: serde_json::Value) -> Schedule {
        let s: Schedule = serde_json::from_value(json).unwrap();
        s.validate().unwrap();
        s
    }

    #[test]
    fn schedules_by_hand() {
        let linear = schedule(serde_json::json!({"kind": "linear", "from": 1.0, "to": 0.0, "start": 100, "end": 300}));
        assert_eq!([0, 100, 200, 300, 1000].map(|s| linear.factor(s)), [1.0, 1.0, 0.5, 0.0, 0.0]);
        let exp = schedule(serde_json::json!({"kind": "exponential", "kappa": 0.5, "every": 10}));
        assert_eq!([0, 9, 10, 25].map(|s| exp.factor(s)), [1.0, 1.0, 0.5, 0.25]);
        let step = schedule(serde_json::json!({"kind": "step", "before": 2.0, "after": 0.5, "at": 50}));
        assert_eq!([49, 50].map(|s| step.factor(s)), [2.0, 0.5]);
        let piecewise = schedule(serde_json::json!({"kind": "piecewise", "points": [[10, 0.0], [20, 1.0], [40, 0.0]]}));
        assert_eq!([0, 15, 20, 30, 99].map(|s| piecewise.factor(s)), [0.0, 0.5, 1.0, 0.5, 0.0]);
        let phases = schedule(serde_json::json!({"kind": "phases", "phases": [
            {"until": 200000, "weight": 1.0}, {"until": 300000, "weight": 0.5}, {"weight": 0.0}]}));
        assert_eq!([0, 199_999, 200_000, 300_000].map(|s| phases.factor(s)), [1.0, 1.0, 0.5, 0.0]);
        assert_eq!(Schedule::default().factor(123), 1.0);
    }

    #[test]
    fn bad_schedules_say_why() {
        let unknown = serde_json::from_value::<Schedule>(serde_json::json!({"kind": "cosine"})).unwrap_err();
        assert!(unknown.to_string().contains("linear"), "{unknown}");
        let field = serde_json::from_value::<Schedule>(
            serde_json::json!({"kind": "step", "before": 1.0, "after": 0.0, "at": 1, "x": 1}),
        )
        .unwrap_err();
        assert!(field.to_string().contains('x'), "{field}");
        let early: Schedule =
            serde_json::from_value(serde_json::json!({"kind": "phases", "phases": [{"weight": 1.0}, {"weight": 0.0}]}))
                .unwrap();
        assert!(early.validate().unwrap_err().to_string().contains("until"));
    }

    /// The running variance after one batch, from the prior Gymnasium's `RunningMeanStd`
    /// starts with (mean 0, var 1, count 1e-4), by the parallel-variance formula.
    fn var_after(batch: &[f64]) -> f64 {
        let (n, prior) = (batch.len() as f64, 1e-4);
        let mean = batch.iter().sum::<f64>() / n;
        let var = batch.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / n;
        let total = prior + n;
        (prior * 1.0 + var * n + mean * mean * prior * n / total) / total
    }

    #[test]
    fn rms_divides_by_the_std_of_each_envs_discounted_return() {
        // Two envs, three steps, gamma 0.5; env 1's second slot is not a transition.
        let raw = [1.0, 2.0, 1.0, 9.0, 1.0, 2.0];
        let valid = [true, true, true, false, true, true];
        let mut scaler = RewardScaler::new(Normalization::Rms, 0.5, 2);
        let mut out = [0.0; 6];
        scaler.apply(&raw, &valid, 2, &mut out).unwrap();
        // Env 0 over time: 1, 1.5, 1.75; env 1: 2, (skipped), 3.
        let scale = 1.0 / (var_after(&[1.0, 2.0, 1.5, 1.75, 3.0]) + EPSILON).sqrt();
        let expected = [1.0 * scale, 2.0 * scale, 1.0 * scale, 0.0, 1.0 * scale, 2.0 * scale];
        for (o, e) in out.iter().zip(expected) {
            assert!((o - e).abs() < 1e-9, "{out:?} vs {expected:?}");
        }
        // The returns carry over to the next batch, per env.
        assert_eq!(scaler.state().returns, [1.75, 3.0]);
    }

    #[test]
    fn minmax_std_and_none() {
        let raw = [1.0, 3.0, 2.0, 100.0];
        let valid = [true, true, true, false];
        let mut out = [0.0; 4];
        RewardScaler::new(Normalization::Minmax, 0.99, 1).apply(&raw, &valid, 1, &mut out).unwrap();
        assert_eq!(out, [0.0, 1.0, 0.5, 0.0]);
        RewardScaler::new(Normalization::None, 0.99, 1).apply(&raw, &valid, 1, &mut out).unwrap();
        assert_eq!(out, [1.0, 3.0, 2.0, 0.0]);
        RewardScaler::new(Normalization::Std, 0.99, 1).apply(&raw, &valid, 1, &mut out).unwrap();
        let scale = 1.0 / (var_after(&[1.0, 3.0, 2.0]) + EPSILON).sqrt();
        assert!((out[1] - 3.0 * scale).abs() < 1e-9, "{out:?}");
    }
}
