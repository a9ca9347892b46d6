//! Action distributions, written once for every learner.
//!
//! Two halves:
//! - tensor side ([`Categorical`], [`DiagGaussian`], [`TanhGaussian`]): log-probabilities and
//!   entropies inside the autodiff graph, for losses;
//! - row side ([`sample_categorical`], [`sample_gaussian`], [`sample_tanh_gaussian`], ...):
//!   sampling on plain `f32` rows with our own [`Generator`], for acting. The network's outputs
//!   are downloaded once per batch and every action is drawn on the CPU, so a seed fixes every
//!   action whatever burn's global RNG does.

use burn::prelude::*;
use burn::tensor::activation::{log_softmax, softplus};
use limbic_environments::rng::Generator;

/// `ln(2 pi) / 2`.
pub const HALF_LN_2PI: f64 = 0.918_938_533_204_672_7;

/// A batch of categorical distributions over `n` actions, held as normalized log-probabilities
/// `[B, n]`.
#[derive(Clone, Debug)]
pub struct Categorical {
    log_probs: Tensor<2>,
}

impl Categorical {
    /// From unnormalized logits `[B, n]`.
    pub fn from_logits(logits: Tensor<2>) -> Self {
        Categorical { log_probs: log_softmax(logits, 1) }
    }

    /// Normalized log-probabilities `[B, n]`.
    pub fn log_probs(&self) -> Tensor<2> {
        self.log_probs.clone()
    }

    pub fn probs(&self) -> Tensor<2> {
        self.log_probs.clone().exp()
    }

    /// Log-probability `[B]` of the actions given as one-hot rows `[B, n]` (one-hot rows upload
    /// with the rest of a float minibatch and need no gather).
    pub fn log_prob_one_hot(&self, one_hot: Tensor<2>) -> Tensor<1> {
        let [batch, _] = one_hot.dims();
        (self.log_probs.clone() * one_hot).sum_dim(1).reshape([batch])
    }

    /// Log-probability `[B]` of action indices `[B]`.
    pub fn log_prob(&self, actions: Tensor<1, Int>) -> Tensor<1> {
        let [batch] = actions.dims();
        self.log_probs.clone().gather(1, actions.reshape([batch, 1])).reshape([batch])
    }

    /// Entropy `[B]`: `-sum p ln p`.
    pub fn entropy(&self) -> Tensor<1> {
        let [batch, _] = self.log_probs.dims();
        let plogp = self.log_probs.clone().exp() * self.log_probs.clone();
        plogp.sum_dim(1).reshape([batch]).neg()
    }
}

/// A batch of diagonal Gaussians `[B, A]`; `log_std` may have one row shared by the batch (the
/// state-independent log-std of PPO) and is broadcast.
#[derive(Clone, Debug)]
pub struct DiagGaussian {
    mean: Tensor<2>,
    log_std: Tensor<2>,
}

impl DiagGaussian {
    /// `mean [B, A]`, `log_std [B, A]` or `[1, A]`.
    pub fn new(mean: Tensor<2>, log_std: Tensor<2>) -> Self {
        DiagGaussian { mean, log_std }
    }

    pub fn mean(&self) -> Tensor<2> {
        self.mean.clone()
    }

    pub fn log_std(&self) -> Tensor<2> {
        self.log_std.clone()
    }

    /// Log-density `[B]` of actions `[B, A]`, summed over the action dimensions.
    pub fn log_prob(&self, actions: Tensor<2>) -> Tensor<1> {
        let [batch, _] = actions.dims();
        let z = (actions - self.mean.clone()) * self.log_std.clone().neg().exp();
        let per_dim = z.square().mul_scalar(-0.5) - self.log_std.clone() - HALF_LN_2PI;
        per_dim.sum_dim(1).reshape([batch])
    }

    /// Entropy `[B]`: `sum (1/2 + ln(2 pi)/2 + log_std)`.
    pub fn entropy(&self) -> Tensor<1> {
        let [batch, _] = self.mean.dims();
        let [_, dim] = self.log_std.dims();
        let per_row = self.log_std.clone().sum_dim(1).add_scalar(dim as f64 * (0.5 + HALF_LN_2PI));
        per_row.expand([batch, 1]).reshape([batch])
    }

    /// `mean + std * noise`, differentiable in mean and log-std (the reparameterization trick);
    /// `noise [B, A]` is standard normal, drawn by the caller.
    pub fn rsample(&self, noise: Tensor<2>) -> Tensor<2> {
        self.mean.clone() + self.log_std.clone().exp() * noise
    }
}

/// A Gaussian squashed by `tanh` (SAC's policy): actions in (-1, 1).
#[derive(Clone, Debug)]
pub struct TanhGaussian {
    gaussian: DiagGaussian,
}

impl TanhGaussian {
    pub fn new(mean: Tensor<2>, log_std: Tensor<2>) -> Self {
        TanhGaussian { gaussian: DiagGaussian::new(mean, log_std) }
    }

    pub fn gaussian(&self) -> &DiagGaussian {
        &self.gaussian
    }

    /// A reparameterized sample and its log-density: `(tanh(u) [B, A], log p [B])` with
    /// `u = mean + std * noise`.
    pub fn rsample(&self, noise: Tensor<2>) -> (Tensor<2>, Tensor<1>) {
        let pre_tanh = self.gaussian.rsample(noise);
        let log_prob = self.log_prob_pre_tanh(pre_tanh.clone());
        (pre_tanh.tanh(), log_prob)
    }

    /// Log-density `[B]` of `tanh(u)` given the pre-squash value `u [B, A]`:
    /// `log N(u) - sum ln(1 - tanh(u)^2)`, with the correction in the stable form
    /// `ln(1 - tanh(u)^2) = 2 (ln 2 - u - softplus(-2u))` (no `1 - 1` cancellation for large u).
    pub fn log_prob_pre_tanh(&self, pre_tanh: Tensor<2>) -> Tensor<1> {
        let [batch, _] = pre_tanh.dims();
        let log_det = (pre_tanh.clone().neg().add_scalar(std::f64::consts::LN_2)
            - softplus(pre_tanh.clone().mul_scalar(-2.0), 1.0))
        .mul_scalar(2.0);
        self.gaussian.log_prob(pre_tanh) - log_det.sum_dim(1).reshape([batch])
    }

    /// The deterministic action: `tanh(mean)`.
    pub fn mode(&self) -> Tensor<2> {
        self.gaussian.mean().tanh()
    }
}

/// Log-probabilities of one row of logits (log-softmax in f64, max-shifted).
pub fn log_softmax_row(logits: &[f32], out: &mut [f64]) {
    let max = logits.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x)) as f64;
    let log_sum = logits.iter().map(|&x| (x as f64 - max).exp()).sum::<f64>().ln();
    out.iter_mut().zip(logits).for_each(|(o, &x)| *o = x as f64 - max - log_sum);
}

/// Draws an action from one row of logits by inverting the CDF at a uniform draw; returns the
/// action and its log-probability.
pub fn sample_categorical(logits: &[f32], rng: &mut Generator, scratch: &mut Vec<f64>) -> (usize, f32) {
    scratch.resize(logits.len(), 0.0);
    log_softmax_row(logits, scratch);
    let u = rng.random();
    let mut cumulative = 0.0;
    let mut chosen = logits.len() - 1;
    for (a, &lp) in scratch.iter().enumerate() {
        cumulative += lp.exp();
        if u < cumulative {
            chosen = a;
            break;
        }
    }
    (chosen, scratch[chosen] as f32)
}

/// The most likely action of one row of logits (the first on ties) and its log-probability.
pub fn categorical_mode(logits: &[f32], scratch: &mut Vec<f64>) -> (usize, f32) {
    scratch.resize(logits.len(), 0.0);
    log_softmax_row(logits, scratch);
    let best = (0..logits.len()).fold(0, |best, a| if logits[a] > logits[best] { a } else { best });
    (best, scratch[best] as f32)
}

/// Log-density of a diagonal Gaussian at `x`, summed over the dimensions.
pub fn gaussian_log_prob(x: &[f32], mean: &[f32], log_std: &[f32]) -> f32 {
    let total: f64 = x
        .iter()
        .zip(mean)
        .zip(log_std)
        .map(|((&x, &m), &ls)| {
            let z = (x as f64 - m as f64) / (ls as f64).exp();
            -0.5 * z * z - ls as f64 - HALF_LN_2PI
        })
        .sum();
    total as f32
}

/// Draws `mean + std * N(0, 1)` into `out` and returns its log-density.
pub fn sample_gaussian(mean: &[f32], log_std: &[f32], rng: &mut Generator, out: &mut [f32]) -> f32 {
    for ((o, &m), &ls) in out.iter_mut().zip(mean).zip(log_std) {
        *o = (m as f64 + (ls as f64).exp() * rng.standard_normal()) as f32;
    }
    gaussian_log_prob(out, mean, log_std)
}

/// Draws `tanh(mean + std * N(0, 1))` into `out` (SAC's squashed action) and returns its
/// log-density: the Gaussian's minus `sum ln(1 - tanh(u)^2)`, in the same stable form as
/// [`TanhGaussian::log_prob_pre_tanh`].
pub fn sample_tanh_gaussian(mean: &[f32], log_std: &[f32], rng: &mut Generator, out: &mut [f32]) -> f32 {
    let log_prob = sample_gaussian(mean, log_std, rng, out) as f64;
    let mut log_det = 0.0;
    for o in out.iter_mut() {
        let u = *o as f64;
        let x = -2.0 * u;
        let softplus = if x > 20.0 { x } else { x.exp().ln_1p() };
        log_det += 2.0 * (std::f64::consts::LN_2 - u - softplus);
        *o = u.tanh() as f32;
    }
    (log_prob - log_det) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> Device {
        Device::flex()
    }

    fn t2(rows: usize, cols: usize, v: &[f32]) -> Tensor<2> {
        Tensor::from_data(TensorData::new(v.to_vec(), [rows, cols]), &device())
    }

    fn vec1(t: Tensor<1>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().unwrap()
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    #[test]
    fn categorical_entropy_and_log_prob() {
        // Uniform over 4: entropy ln 4. Logits [0, ln 2, ln 3, ln 4] -> p = [1, 2, 3, 4] / 10.
        let logits = [0.0, 0.0, 0.0, 0.0, 0.0, 2f32.ln(), 3f32.ln(), 4f32.ln()];
        let dist = Categorical::from_logits(t2(2, 4, &logits));
        let h = vec1(dist.entropy());
        assert!(close(h[0] as f64, 4f64.ln(), 1e-6), "{h:?}");
        let p = [0.1f64, 0.2, 0.3, 0.4];
        let expected: f64 = -p.iter().map(|p| p * p.ln()).sum::<f64>();
        assert!(close(h[1] as f64, expected, 1e-6));
        let actions = Tensor::<1, Int>::from_data(TensorData::new(vec![3i64, 2], [2]), &device());
        let lp = vec1(dist.log_prob(actions));
        assert!(close(lp[0] as f64, 0.25f64.ln(), 1e-6) && close(lp[1] as f64, 0.3f64.ln(), 1e-6), "{lp:?}");
        let one_hot = t2(2, 4, &[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0]);
        assert_eq!(vec1(dist.log_prob_one_hot(one_hot)), lp);
    }

    #[test]
    fn gaussian_entropy_and_log_prob() {
        // Entropy of N(m, s^2) per dimension: ln(2 pi e s^2) / 2.
        let (s1, s2) = (0.5f64, 2.0f64);
        let log_std = t2(1, 2, &[s1.ln() as f32, s2.ln() as f32]);
        let dist = DiagGaussian::new(t2(3, 2, &[0.0, 1.0, -1.0, 2.0, 3.0, 0.5]), log_std);
        let expected_h = |s: f64| 0.5 * (2.0 * std::f64::consts::PI * std::f64::consts::E * s * s).ln();
        let h = vec1(dist.entropy());
        assert_eq!(h.len(), 3);
        assert!(h.iter().all(|&h| close(h as f64, expected_h(s1) + expected_h(s2), 1e-6)), "{h:?}");
        // log N(x; m, s) = -(x-m)^2 / (2 s^2) - ln s - ln(2 pi) / 2, summed over dimensions.
        let x = [0.3f32, -0.4, -1.0, 2.0, 2.0, 4.5];
        let means = [0.0, 1.0, -1.0, 2.0, 3.0, 0.5];
        let lp = vec1(dist.log_prob(t2(3, 2, &x)));
        for row in 0..3 {
            let expected: f64 = [s1, s2]
                .iter()
                .enumerate()
                .map(|(j, &s)| {
                    let d = x[row * 2 + j] as f64 - means[row * 2 + j];
                    -d * d / (2.0 * s * s) - s.ln() - HALF_LN_2PI
                })
                .sum();
            assert!(close(lp[row] as f64, expected, 1e-6), "row {row}: {} vs {expected}", lp[row]);
            let row_lp = gaussian_log_prob(
                &x[row * 2..row * 2 + 2],
                &[means[row * 2] as f32, means[row * 2 + 1] as f32],
                &[s1.ln() as f32, s2.ln() as f32],
            );
            assert!(close(row_lp as f64, expected, 1e-6));
        }
    }

    #[test]
    fn tanh_gaussian_log_prob_is_change_of_variables_and_stable() {
        let mean = t2(1, 2, &[0.2, -0.1]);
        let log_std = t2(1, 2, &[-0.3, 0.4]);
        let dist = TanhGaussian::new(mean, log_std);
        let noise = [0.5f32, -1.2];
        let (action, lp) = dist.rsample(t2(1, 2, &noise));
        let action = action.into_data().try_into_vec::<f32>().unwrap();
        let lp = vec1(lp)[0] as f64;
        let mut expected = 0.0;
        for (j, (&m, &ls)) in [0.2f64, -0.1].iter().zip(&[-0.3f64, 0.4]).enumerate() {
            let u = m + ls.exp() * noise[j] as f64;
            assert!(close(action[j] as f64, u.tanh(), 1e-6));
            let z = (u - m) / ls.exp();
            expected += -0.5 * z * z - ls - HALF_LN_2PI - (1.0 - u.tanh().powi(2)).ln();
        }
        assert!(close(lp, expected, 1e-5), "{lp} vs {expected}");
        // Far in the tail 1 - tanh(u)^2 rounds to 0 in f32; the stable form stays finite and
        // matches the asymptote ln(1 - tanh^2 u) ~ 2 ln 2 - 2|u|.
        let dist = TanhGaussian::new(t2(1, 1, &[0.0]), t2(1, 1, &[0.0]));
        let u = 30.0f64;
        let lp = vec1(dist.log_prob_pre_tanh(t2(1, 1, &[u as f32])))[0] as f64;
        let expected = -0.5 * u * u - HALF_LN_2PI - (2.0 * std::f64::consts::LN_2 - 2.0 * u);
        assert!(lp.is_finite() && close(lp, expected, 1e-5), "{lp} vs {expected}");
        assert_eq!(dist.mode().into_data().try_into_vec::<f32>().unwrap(), [0.0]);
    }

    #[test]
    fn categorical_sampling_follows_the_probabilities() {
        let logits = [0.0f32, 2f32.ln(), 3f32.ln(), 4f32.ln()];
        let mut rng = Generator::from_seed(5);
        let mut counts = [0usize; 4];
        let mut scratch = Vec::new();
        let n = 20_000;
        for _ in 0..n {
            let (a, lp) = sample_categorical(&logits, &mut rng, &mut scratch);
            assert!(close(lp as f64, ((a + 1) as f64 / 10.0).ln(), 1e-6));
            counts[a] += 1;
        }
        for (a, &c) in counts.iter().enumerate() {
            let p = (a + 1) as f64 / 10.0;
            // Five standard deviations of a binomial count.
            let sd = (n as f64 * p * (1.0 - p)).sqrt();
            assert!((c as f64 - n as f64 * p).abs() < 5.0 * sd, "action {a}: {c} of {n}");
        }
        assert_eq!(categorical_mode(&logits, &mut scratch).0, 3);
        // Same seed, same draws.
        let draw = |seed| {
            let mut rng = Generator::from_seed(seed);
            (0..50).map(|_| sample_categorical(&logits, &mut rng, &mut Vec::new()).0).collect::<Vec<_>>()
        };
        assert_eq!(draw(9), draw(9));
    }

    #[test]
    fn squashed_sampling_agrees_with_the_tensor_density() {
        let (mean, log_std) = ([0.3f32, -0.2], [-0.5f32, -1.0]);
        let mut rng = Generator::from_seed(4);
        let dist = TanhGaussian::new(t2(1, 2, &mean), t2(1, 2, &log_std));
        for _ in 0..20 {
            let mut action = [0.0f32; 2];
            let lp = sample_tanh_gaussian(&mean, &log_std, &mut rng, &mut action);
            assert!(action.iter().all(|a| a.abs() < 1.0));
            let pre: Vec<f32> = action.iter().map(|&a| (a as f64).atanh() as f32).collect();
            let expected = vec1(dist.log_prob_pre_tanh(t2(1, 2, &pre)))[0];
            assert!((lp - expected).abs() < 1e-4, "{lp} vs {expected}");
        }
    }

    #[test]
    fn gaussian_sampling_has_the_right_moments() {
        let mut rng = Generator::from_seed(1);
        let (mean, log_std) = ([1.5f32], [(0.5f32).ln()]);
        let n = 20_000;
        let mut out = [0.0f32];
        let draws: Vec<f64> = (0..n)
            .map(|_| {
                let lp = sample_gaussian(&mean, &log_std, &mut rng, &mut out);
                assert_eq!(lp, gaussian_log_prob(&out, &mean, &log_std));
                out[0] as f64
            })
            .collect();
        let m = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64;
        assert!((m - 1.5).abs() < 5.0 * 0.5 / (n as f64).sqrt(), "mean {m}");
        assert!((var - 0.25).abs() < 0.02, "var {var}");
    }
}
