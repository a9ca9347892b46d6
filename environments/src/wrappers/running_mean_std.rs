//! RunningMeanStd: a running mean and variance, exactly Gymnasium's `wrappers.utils.RunningMeanStd`
//! (Chan et al.'s parallel update), shared by the normalizing wrappers and by learners.

use crate::error::{EnvError, Result};

/// The floating-point type numpy computes in.
///
/// Numbers are kept as f64 either way: f32 arithmetic is emulated by rounding every f64 result
/// to f32, which is exact for `+ - * / sqrt` (f64 has more than the 2·24 + 2 bits that makes
/// double rounding harmless).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    F32,
    F64,
}

impl Precision {
    /// Rounds `x` to this precision.
    pub fn round(self, x: f64) -> f64 {
        match self {
            Precision::F32 => x as f32 as f64,
            Precision::F64 => x,
        }
    }

    /// numpy's promotion: f32 with f32 stays f32, anything with f64 is f64.
    pub fn max(self, other: Precision) -> Precision {
        if self == Precision::F32 && other == Precision::F32 {
            Precision::F32
        } else {
            Precision::F64
        }
    }
}

/// Tracks the mean, variance and count of vectors of a fixed dimension.
///
/// Starts at mean 0, variance 1 and count 1e-4 (Gymnasium's `epsilon`), so the first update
/// is not a division by zero. Its arrays have a numpy [`Precision`]: `F64` is Gymnasium's
/// default, `F32` what `NormalizeObservation` uses (its arrays are created with the float32
/// dtype of its observation space). As in numpy, an update with f64 data promotes an f32
/// instance to f64 for good.
///
/// ```
/// use limbic_environments::wrappers::RunningMeanStd;
/// let mut rms = RunningMeanStd::new(2);
/// rms.update(&[1.0, 2.0, 3.0, 6.0]).unwrap(); // two rows of dimension 2
/// assert_eq!(rms.count(), 2.0001);
/// assert!((rms.mean()[0] - 2.0 * 2.0 / 2.0001).abs() < 1e-12);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RunningMeanStd {
    mean: Vec<f64>,
    var: Vec<f64>,
    count: f64,
    precision: Precision,
}

/// Gymnasium's initial count (`RunningMeanStd(epsilon=1e-4)`).
pub const INITIAL_COUNT: f64 = 1e-4;

impl RunningMeanStd {
    /// An f64 instance of dimension `dim` (use 1 for scalars such as returns).
    pub fn new(dim: usize) -> Self {
        Self::with_precision(dim, Precision::F64)
    }

    pub fn with_precision(dim: usize, precision: Precision) -> Self {
        RunningMeanStd { mean: vec![0.0; dim], var: vec![1.0; dim], count: INITIAL_COUNT, precision }
    }

    /// Rebuilds a saved state (e.g. from a checkpoint); values are rounded to `precision`.
    pub fn from_state(mean: Vec<f64>, var: Vec<f64>, count: f64, precision: Precision) -> Result<Self> {
        if mean.len() != var.len() {
            return Err(bad("var", format!("has {} numbers, mean has {}", var.len(), mean.len())));
        }
        if let Some(v) = var.iter().find(|v| v.is_nan() || **v < 0.0) {
            return Err(bad("var", format!("variances must be non-negative, got {v}")));
        }
        if !(count > 0.0 && count.is_finite()) {
            return Err(bad("count", format!("must be a positive finite number, got {count}")));
        }
        let round = |v: Vec<f64>| v.into_iter().map(|x| precision.round(x)).collect();
        Ok(RunningMeanStd { mean: round(mean), var: round(var), count, precision })
    }

    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    pub fn var(&self) -> &[f64] {
        &self.var
    }

    pub fn count(&self) -> f64 {
        self.count
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Updates from a batch of rows (row-major, `dim` numbers each) in this instance's precision:
    /// Gymnasium's `update(x)` with `np.mean(x, axis=0)` and `np.var(x, axis=0)`.
    pub fn update(&mut self, batch: &[f64]) -> Result<()> {
        self.update_as(batch, self.precision)
    }

    /// Like [`RunningMeanStd::update`] for data of numpy precision `data` (integer data counts
    /// as `F64`: numpy takes its mean in float64).
    pub fn update_as(&mut self, batch: &[f64], data: Precision) -> Result<()> {
        let dim = self.dim();
        if dim == 0 || batch.is_empty() || !batch.len().is_multiple_of(dim) {
            return Err(bad("batch", format!("expected whole rows of {dim} numbers, got {} numbers", batch.len())));
        }
        let rows = batch.len() / dim;
        let n = data.round(rows as f64);
        for j in 0..dim {
            let x = |i: usize| batch[i * dim + j];
            let mean = data.round(numpy_sum(&x, rows, dim, data) / n);
            let square = |i: usize| {
                let d = data.round(x(i) - mean);
                data.round(d * d)
            };
            let var = data.round(numpy_sum(&square, rows, dim, data) / n);
            self.update_column(j, mean, var, rows as f64, data);
        }
        self.finish_update(rows as f64, data);
        Ok(())
    }

    /// Gymnasium's `update_from_moments` with moments in this instance's precision.
    pub fn update_from_moments(&mut self, batch_mean: &[f64], batch_var: &[f64], batch_count: f64) -> Result<()> {
        self.check_dim("batch_mean", batch_mean.len())?;
        self.check_dim("batch_var", batch_var.len())?;
        for j in 0..self.dim() {
            self.update_column(j, batch_mean[j], batch_var[j], batch_count, self.precision);
        }
        self.finish_update(batch_count, self.precision);
        Ok(())
    }

    /// `update_mean_var_count_from_moments` for column `j`, operation by operation in numpy's
    /// order and precision: terms of the stored arrays in their own precision, the rest
    /// promoted; the counts are Python floats, rounded where they meet the arrays.
    fn update_column(&mut self, j: usize, batch_mean: f64, batch_var: f64, batch_count: f64, data: Precision) {
        let (own, promoted) = (self.precision, self.precision.max(data));
        let r = |x: f64| promoted.round(x);
        let (count, bc) = (self.count, batch_count);
        let tot = count + bc;
        let delta = r(batch_mean - self.mean[j]);
        let m_a = own.round(self.var[j] * own.round(count));
        let m_b = data.round(batch_var * data.round(bc));
        let m2 = r(r(m_a + m_b) + r(r(r(r(delta * delta) * r(count)) * r(bc)) / r(tot)));
        self.mean[j] = r(self.mean[j] + r(r(delta * r(bc)) / r(tot)));
        self.var[j] = r(m2 / r(tot));
    }

    /// The count and precision after every column is updated.
    fn finish_update(&mut self, batch_count: f64, data: Precision) {
        self.count += batch_count;
        self.precision = self.precision.max(data);
    }

    /// `(x - mean) / sqrt(var + epsilon)` as numpy computes it for data of precision `data`,
    /// cast to f32: what `NormalizeObservation` returns.
    pub fn normalize_into(&self, x: &[f64], data: Precision, epsilon: f64, out: &mut [f32]) {
        let r = |v: f64| self.precision.max(data).round(v);
        let eps = self.precision.round(epsilon);
        for (((o, &x), &m), &v) in out.iter_mut().zip(x).zip(&self.mean).zip(&self.var) {
            let std = self.precision.round(self.precision.round(v + eps).sqrt());
            *o = (r(r(x - m) / std)) as f32;
        }
    }

    fn check_dim(&self, name: &str, len: usize) -> Result<()> {
        if len == self.dim() {
            Ok(())
        } else {
            Err(bad(name, format!("expected {} numbers, got {len}", self.dim())))
        }
    }
}

fn bad(key: &str, message: String) -> EnvError {
    super::bad_param(&format!("RunningMeanStd {key}"), message)
}

/// numpy's `np.add.reduce` over axis 0 of a `(rows, dim)` array, column `x(0..rows)`: row by
/// row when `dim > 1`, pairwise (numpy's blocked pairwise summation) when the column is
/// contiguous (`dim == 1`).
fn numpy_sum(x: &impl Fn(usize) -> f64, rows: usize, dim: usize, p: Precision) -> f64 {
    if dim > 1 {
        (0..rows).fold(0.0, |s, i| p.round(s + x(i)))
    } else {
        pairwise_sum(x, 0, rows, p)
    }
}

/// numpy's `pairwise_sum` of `x(start..start + n)`: sequential below 8 numbers, 8 interleaved
/// accumulators up to 128, halves (cut at a multiple of 8) above.
fn pairwise_sum(x: &impl Fn(usize) -> f64, start: usize, n: usize, p: Precision) -> f64 {
    let add = |a: f64, b: f64| p.round(a + b);
    if n < 8 {
        (start..start + n).fold(0.0, |s, i| add(s, x(i)))
    } else if n <= 128 {
        let mut r: [f64; 8] = std::array::from_fn(|k| x(start + k));
        let whole = n - n % 8;
        for block in (8..whole).step_by(8) {
            for (k, acc) in r.iter_mut().enumerate() {
                *acc = add(*acc, x(start + block + k));
            }
        }
        let res = add(add(add(r[0], r[1]), add(r[2], r[3])), add(add(r[4], r[5]), add(r[6], r[7])));
        (start + whole..start + n).fold(res, |s, i| add(s, x(i)))
    } else {
        let half = n / 2 - (n / 2) % 8;
        add(pairwise_sum(x, start, half, p), pairwise_sum(x, start + half, n - half, p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected numbers printed by gymnasium 1.4.0's `RunningMeanStd` (numpy 2.4.6).

    #[test]
    fn f64_updates_match_gymnasium() {
        let mut rms = RunningMeanStd::new(3);
        rms.update(&[1.0, -2.0, 0.5]).unwrap();
        rms.update(&[0.3, 0.1, -0.7, 2.5, -1.25, 4.0]).unwrap();
        assert_eq!(rms.mean(), [1.266624445851805, -1.0499650011666275, 1.266624445851805]);
        assert_eq!(rms.var(), [0.8422809592224063, 0.755044913944576, 3.9755098515926606]);
        assert_eq!(rms.count(), 3.0000999999999998);
    }

    #[test]
    fn f32_updates_match_gymnasium() {
        let mut rms = RunningMeanStd::with_precision(2, Precision::F32);
        rms.update(&[0.1f32 as f64, -0.2f32 as f64]).unwrap();
        rms.update(&[0.3f32 as f64, 0.7f32 as f64]).unwrap();
        assert_eq!(rms.mean(), [0.19999000430107117, 0.24998752772808075]);
        assert_eq!(rms.var(), [0.010051499120891094, 0.20254302024841309]);
        assert_eq!(rms.count(), 2.0000999999999998);
    }

    #[test]
    fn pairwise_sum_blocks_like_numpy() {
        // Exact integers: any order gives the same sum, so this checks coverage of every element.
        for n in [1, 7, 8, 9, 16, 17, 128, 129, 300] {
            let x = |i: usize| (i + 1) as f64;
            assert_eq!(pairwise_sum(&x, 0, n, Precision::F64), (n * (n + 1) / 2) as f64, "n = {n}");
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let mut rms = RunningMeanStd::new(2);
        assert!(rms.update(&[1.0, 2.0, 3.0]).unwrap_err().to_string().contains("whole rows of 2"));
        assert!(rms.update(&[]).is_err());
        assert!(rms.update_from_moments(&[0.0], &[1.0, 1.0], 1.0).is_err());
        assert_eq!(rms, RunningMeanStd::new(2), "a failed call leaves the state alone");
        let from = |mean: Vec<f64>, var: Vec<f64>, count| RunningMeanStd::from_state(mean, var, count, Precision::F32);
        assert!(from(vec![0.0], vec![1.0, 1.0], 1.0).is_err());
        assert!(from(vec![0.0; 2], vec![-1.0, f64::NAN], 1.0).is_err());
        assert!(from(vec![0.0; 2], vec![1.0; 2], 0.0).unwrap_err().to_string().contains("count"));
        let rms = from(vec![0.1, 1.5], vec![2.0, 3.0], 7.0).unwrap();
        assert_eq!((rms.mean(), rms.var(), rms.count()), (&[0.1f32 as f64, 1.5][..], &[2.0, 3.0][..], 7.0));
    }
}
