//! Observation and reward normalization inside a learner, as SB3's `VecNormalize` does it:
//! running statistics ([`RunningMeanStd`], Gymnasium's exact implementation) updated from the
//! training stream, applied to what the network sees and learns from, saved with the agent.

use crate::error::{AgentError, Result};
use limbic_environments::wrappers::{Precision, RunningMeanStd};
use serde::{Deserialize, Serialize};

/// Added to variances before the square root (SB3's `VecNormalize.epsilon`).
pub const EPSILON: f64 = 1e-8;

/// `RunningMeanStd`'s numbers, for checkpoints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RmsState {
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
    pub count: f64,
}

impl RmsState {
    fn of(rms: &RunningMeanStd) -> Self {
        RmsState { mean: rms.mean().to_vec(), var: rms.var().to_vec(), count: rms.count() }
    }

    fn restore(&self, dim: usize, what: &str) -> Result<RunningMeanStd> {
        if self.mean.len() != dim {
            return Err(AgentError::Config {
                field: what.into(),
                message: format!("saved statistics have {} dimensions, expected {dim}", self.mean.len()),
            });
        }
        Ok(RunningMeanStd::from_state(self.mean.clone(), self.var.clone(), self.count, Precision::F64)?)
    }
}

/// `clip((obs - mean) / sqrt(var + eps), -clip, clip)` with statistics of every observation
/// the training envs return. [`ObsNormalizer::partial`] leaves a row's tail as it is (indices
/// an embedding looks up, such as a mission's words).
#[derive(Clone, Debug)]
pub struct ObsNormalizer {
    rms: RunningMeanStd,
    /// Numbers per row; the first `rms.dim()` are standardized.
    width: usize,
    clip: f64,
    scratch: Vec<f64>,
}

impl ObsNormalizer {
    pub fn new(dim: usize, clip: f64) -> Self {
        Self::partial(dim, dim, clip)
    }

    /// Rows of `width` numbers of which the first `normalized` are standardized.
    pub fn partial(width: usize, normalized: usize, clip: f64) -> Self {
        let normalized = normalized.min(width);
        ObsNormalizer { rms: RunningMeanStd::new(normalized), width, clip, scratch: Vec::new() }
    }

    /// Adds a batch of rows to the statistics.
    pub fn observe(&mut self, rows: &[f32]) -> Result<()> {
        let n = self.rms.dim();
        self.scratch.clear();
        for row in rows.chunks_exact(self.width.max(1)) {
            self.scratch.extend(row[..n].iter().map(|&x| x as f64));
        }
        Ok(self.rms.update(&self.scratch)?)
    }

    /// Normalizes rows into `out` (same length) with the current statistics.
    pub fn normalize(&self, rows: &[f32], out: &mut [f32]) {
        let dim = self.rms.dim();
        let scale: Vec<f64> = self.rms.var().iter().map(|v| 1.0 / (v + EPSILON).sqrt()).collect();
        let width = self.width.max(1);
        for (row, out) in rows.chunks_exact(width).zip(out.chunks_exact_mut(width)) {
            for j in 0..dim {
                let z = (row[j] as f64 - self.rms.mean()[j]) * scale[j];
                out[j] = z.clamp(-self.clip, self.clip) as f32;
            }
            out[dim..].copy_from_slice(&row[dim..]);
        }
    }

    pub fn state(&self) -> RmsState {
        RmsState::of(&self.rms)
    }

    pub fn load(&mut self, state: &RmsState) -> Result<()> {
        self.rms = state.restore(self.rms.dim(), "obs_rms")?;
        Ok(())
    }
}

/// Scales rewards by the standard deviation of the discounted return (not the reward): SB3's
/// `VecNormalize(norm_reward=True)` and Gymnasium's `NormalizeReward`.
#[derive(Clone, Debug)]
pub struct RewardNormalizer {
    rms: RunningMeanStd,
    /// Running discounted return of each sub-env.
    returns: Vec<f64>,
    gamma: f64,
    clip: f64,
    scratch: Vec<f64>,
}

/// [`RewardNormalizer`]'s numbers, for checkpoints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RewardNormState {
    pub rms: RmsState,
    pub returns: Vec<f64>,
}

impl RewardNormalizer {
    pub fn new(num_envs: usize, gamma: f64, clip: f64) -> Self {
        RewardNormalizer { rms: RunningMeanStd::new(1), returns: vec![0.0; num_envs], gamma, clip, scratch: Vec::new() }
    }

    /// Normalizes one vector step's rewards into `out`. Rows where `valid` is false are not
    /// transitions (a NEXT_STEP reset) and get 0; `done` rows end their return.
    pub fn normalize(&mut self, rewards: &[f64], done: &[bool], valid: &[bool], out: &mut [f32]) -> Result<()> {
        self.scratch.clear();
        for i in 0..rewards.len() {
            if valid[i] {
                self.returns[i] = self.returns[i] * self.gamma + rewards[i];
                self.scratch.push(self.returns[i]);
            }
        }
        if !self.scratch.is_empty() {
            self.rms.update(&self.scratch)?;
        }
        let scale = 1.0 / (self.rms.var()[0] + EPSILON).sqrt();
        for i in 0..rewards.len() {
            out[i] = if valid[i] { (rewards[i] * scale).clamp(-self.clip, self.clip) as f32 } else { 0.0 };
            if done[i] {
                self.returns[i] = 0.0;
            }
        }
        Ok(())
    }

    pub fn state(&self) -> RewardNormState {
        RewardNormState { rms: RmsState::of(&self.rms), returns: self.returns.clone() }
    }

    pub fn load(&mut self, state: &RewardNormState) -> Result<()> {
        if state.returns.len() != self.returns.len() {
            return Err(AgentError::Config {
                field: "ret_rms".into(),
                message: format!("saved returns of {} envs, expected {}", state.returns.len(), self.returns.len()),
            });
        }
        self.rms = state.rms.restore(1, "ret_rms")?;
        self.returns = state.returns.clone();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_are_standardized_and_clipped() {
        let mut norm = ObsNormalizer::new(2, 5.0);
        let rows: Vec<f32> = (0..200).flat_map(|i| [i as f32, 100.0 + (i % 2) as f32 * 1e-6]).collect();
        norm.observe(&rows).unwrap();
        let mut out = vec![0.0; rows.len()];
        norm.normalize(&rows, &mut out);
        let column = |j: usize| out.iter().skip(j).step_by(2).map(|&x| x as f64).collect::<Vec<_>>();
        let c0 = column(0);
        let mean = c0.iter().sum::<f64>() / c0.len() as f64;
        let var = c0.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / c0.len() as f64;
        assert!(mean.abs() < 1e-4 && (var - 1.0).abs() < 1e-3, "{mean} {var}");
        // A column with almost no variance is blown up, then clipped.
        assert!(column(1).iter().all(|x| x.abs() <= 5.0));
        let mut restored = ObsNormalizer::new(2, 5.0);
        restored.load(&norm.state()).unwrap();
        let mut again = vec![0.0; rows.len()];
        restored.normalize(&rows, &mut again);
        assert_eq!(out, again);
        assert!(ObsNormalizer::new(3, 5.0).load(&norm.state()).is_err());
    }

    #[test]
    fn a_partial_normalizer_leaves_the_tail_as_it_is() {
        let mut norm = ObsNormalizer::partial(3, 1, 5.0);
        let rows = [1.0f32, 7.0, 3.0, 3.0, 9.0, 1.0];
        norm.observe(&rows).unwrap();
        // SB3's running statistics start from a count of 1e-4 at mean 0.
        assert_eq!(norm.state().mean.len(), 1);
        assert!((norm.state().mean[0] - 2.0).abs() < 1e-3);
        let mut out = [0.0f32; 6];
        norm.normalize(&rows, &mut out);
        assert!((out[0] + 1.0).abs() < 1e-3 && (out[3] - 1.0).abs() < 1e-3, "{out:?}");
        assert_eq!([out[1], out[2], out[4], out[5]], [7.0, 3.0, 9.0, 1.0]);
    }

    #[test]
    fn rewards_scale_by_the_return_std_and_skip_non_transitions() {
        let mut norm = RewardNormalizer::new(2, 0.9, 10.0);
        let mut out = [0.0f32; 2];
        norm.normalize(&[1.0, 5.0], &[false, false], &[true, false], &mut out).unwrap();
        assert_eq!(out[1], 0.0, "a reset step is no transition");
        assert_eq!(norm.returns, [1.0, 0.0]);
        norm.normalize(&[1.0, 1.0], &[true, false], &[true, true], &mut out).unwrap();
        // Returns seen: 1.0, then 1.9 and 1.0.
        let seen = [1.0, 1.9, 1.0];
        let mut rms = RunningMeanStd::new(1);
        rms.update(&seen[..1]).unwrap();
        rms.update(&seen[1..]).unwrap();
        let expected = (1.0 / (rms.var()[0] + EPSILON).sqrt()) as f32;
        assert_eq!(out, [expected, expected]);
        assert_eq!(norm.returns, [0.0, 1.0], "a done step ends the return");
    }
}
