//! The numerics of DreamerV3's heads and latents: `symlog`/`symexp`, two-hot targets over
//! bins evenly spaced in symlog space, categorical latents with a uniform mix and their KL
//! divergence, straight-through one-hot samples drawn with limbic's own generator.

use crate::error::Result;
use crate::nets::download;
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, softmax};
use limbic_environments::rng::Generator;

/// `sign(x) ln(1 + |x|)`: squashes large magnitudes, the identity near 0.
pub fn symlog(x: f32) -> f32 {
    x.signum() * x.abs().ln_1p()
}

/// The inverse of [`symlog`]: `sign(x) (exp(|x|) - 1)`.
pub fn symexp(x: f32) -> f32 {
    x.signum() * x.abs().exp_m1()
}

/// [`symlog`] of every element of a tensor (inputs of the vector encoder).
pub fn symlog_tensor<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.clone().sign() * x.abs().add_scalar(1.0).log()
}

/// Two-hot regression: a scalar is the expectation of a categorical over `bins` values evenly
/// spaced in symlog space over `[low, high]` (DreamerV3: 255 bins over `[-20, 20]`); a target
/// puts its weight on the two bins around its symlog, in proportion to the distance.
#[derive(Clone, Debug, PartialEq)]
pub struct TwoHot {
    bins: Vec<f32>,
}

/// DreamerV3's bins.
pub const TWO_HOT_BINS: usize = 255;
pub const TWO_HOT_LIMIT: f32 = 20.0;

impl Default for TwoHot {
    fn default() -> Self {
        TwoHot::new(TWO_HOT_BINS, -TWO_HOT_LIMIT, TWO_HOT_LIMIT)
    }
}

impl TwoHot {
    pub fn new(count: usize, low: f32, high: f32) -> TwoHot {
        let step = (high - low) / (count - 1) as f32;
        TwoHot { bins: (0..count).map(|i| low + step * i as f32).collect() }
    }

    pub fn len(&self) -> usize {
        self.bins.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bins.is_empty()
    }

    /// The bin values as a `[1, K]` tensor.
    pub fn bins(&self, device: &Device) -> Tensor<2> {
        Tensor::from_data(TensorData::new(self.bins.clone(), [1, self.bins.len()]), device)
    }

    /// Writes the two-hot encoding of `symlog(value)` into `out` (`K` zeros on entry); values
    /// beyond the outer bins go to the outer bin.
    pub fn encode(&self, value: f32, out: &mut [f32]) {
        let y = symlog(value);
        let (first, last) = (self.bins[0], self.bins[self.bins.len() - 1]);
        // (NaN too; the world model refuses non-finite rewards when they are recorded.)
        if y <= first || y.is_nan() {
            out[0] = 1.0;
            return;
        }
        if y >= last {
            out[self.bins.len() - 1] = 1.0;
            return;
        }
        let step = self.bins[1] - first;
        let below = (((y - first) / step) as usize).min(self.bins.len() - 2);
        let above_weight = ((y - self.bins[below]) / step).clamp(0.0, 1.0);
        out[below] = 1.0 - above_weight;
        out[below + 1] = above_weight;
    }

    /// `[N, K]` two-hot rows of `values`.
    pub fn encode_rows(&self, values: &[f32], device: &Device) -> Tensor<2> {
        let k = self.len();
        let mut rows = vec![0.0f32; values.len() * k];
        for (row, &v) in rows.chunks_exact_mut(k).zip(values) {
            self.encode(v, row);
        }
        Tensor::from_data(TensorData::new(rows, [values.len(), k]), device)
    }

    /// The predicted value of each row of `logits [N, K]`: `symexp(sum softmax(logits) * bins)`,
    /// on the host.
    pub fn mean(&self, logits: Tensor<2>) -> Result<Vec<f32>> {
        Ok(download(self.symlog_mean(logits))?.into_iter().map(symexp).collect())
    }

    /// [`TwoHot::mean`] as a tensor `[N]`, differentiable where `logits` are.
    pub fn mean_tensor(&self, logits: Tensor<2>) -> Tensor<1> {
        let y = self.symlog_mean(logits);
        y.clone().sign() * y.abs().exp().sub_scalar(1.0)
    }

    /// `sum softmax(logits) * bins` of each row: the prediction in symlog space.
    fn symlog_mean(&self, logits: Tensor<2>) -> Tensor<1> {
        let device = logits.device();
        let [n, _] = logits.dims();
        (softmax(logits, 1) * self.bins(&device)).sum_dim(1).reshape([n])
    }

    /// `-ln p(target)` of each row: the two-hot cross-entropy `[N]`.
    pub fn loss(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        let [n, _] = logits.dims();
        (log_softmax(logits, 1) * targets).sum_dim(1).reshape([n]).neg()
    }
}

/// A batch of `stoch` categorical latents of `classes` classes each, `[N, stoch * classes]`,
/// their probabilities mixed with 1% uniform (DreamerV3's unimix) so no class ever has
/// probability 0 and the KL stays finite.
#[derive(Clone, Debug)]
pub struct Latents {
    /// `[N, stoch, classes]` log-probabilities after the mix.
    pub log_probs: Tensor<3>,
}

impl Latents {
    /// From logits `[N, stoch * classes]`: `probs = (1 - unimix) softmax + unimix / classes`.
    pub fn from_logits(logits: Tensor<2>, stoch: usize, classes: usize, unimix: f64) -> Latents {
        let [n, _] = logits.dims();
        let probs = softmax(logits.reshape([n, stoch, classes]), 2);
        let probs =
            if unimix > 0.0 { probs.mul_scalar(1.0 - unimix).add_scalar(unimix / classes as f64) } else { probs };
        Latents { log_probs: probs.log() }
    }

    pub fn dims(&self) -> [usize; 3] {
        self.log_probs.dims()
    }

    /// `[N, stoch * classes]` probabilities.
    pub fn probs(&self) -> Tensor<2> {
        let [n, s, c] = self.dims();
        self.log_probs.clone().exp().reshape([n, s * c])
    }

    /// `KL(self || other)` of each row `[N]`, summed over the latents.
    pub fn kl(&self, other: &Latents) -> Tensor<1> {
        let [n, _, _] = self.dims();
        let p = self.log_probs.clone().exp();
        (p * (self.log_probs.clone() - other.log_probs.clone())).sum_dim(2).sum_dim(1).reshape([n])
    }

    /// Entropy of each row `[N]`, summed over the latents.
    pub fn entropy(&self) -> Tensor<1> {
        let [n, _, _] = self.dims();
        (self.log_probs.clone().exp() * self.log_probs.clone()).sum_dim(2).sum_dim(1).reshape([n]).neg()
    }

    /// A one-hot sample `[N, stoch * classes]` per latent (the mode when `rng` is `None`), with
    /// the straight-through gradient: `sample + probs - stop_gradient(probs)`.
    pub fn sample(&self, rng: Option<&mut Generator>) -> Result<Tensor<2>> {
        let [n, s, c] = self.dims();
        let probs = self.probs();
        let host = download(probs.clone().detach())?;
        let one_hot = one_hot_draws(&host, c, rng);
        let one_hot = Tensor::<2>::from_data(TensorData::new(one_hot, [n, s * c]), &probs.device());
        Ok(if probs.is_autodiff() { one_hot + probs.clone() - probs.detach() } else { one_hot })
    }
}

/// One-hot draws from rows of `classes` probabilities (the most likely class when `rng` is
/// `None`; ties go to the first).
pub fn one_hot_draws(probs: &[f32], classes: usize, mut rng: Option<&mut Generator>) -> Vec<f32> {
    let mut out = vec![0.0f32; probs.len()];
    for (row, p) in out.chunks_exact_mut(classes).zip(probs.chunks_exact(classes)) {
        let chosen = match rng.as_deref_mut() {
            Some(rng) => {
                let total: f64 = p.iter().map(|&x| x as f64).sum();
                let u = rng.random() * total;
                let mut cumulative = 0.0;
                p.iter().position(|&x| {
                    cumulative += x as f64;
                    u < cumulative
                })
            }
            None => None,
        };
        let chosen = chosen.unwrap_or_else(|| (0..classes).fold(0, |best, j| if p[j] > p[best] { j } else { best }));
        row[chosen] = 1.0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlog_and_symexp_are_inverse() {
        for x in [-1e6f32, -20.0, -1.0, -1e-3, 0.0, 0.5, 3.0, 1e4] {
            let back = symexp(symlog(x));
            assert!((back - x).abs() <= 1e-4 * (1.0 + x.abs()), "{x} -> {back}");
        }
        assert_eq!(symlog(0.0), 0.0);
        assert!((symlog(std::f32::consts::E - 1.0) - 1.0).abs() < 1e-6);
        let device = Device::flex();
        let t = symlog_tensor(Tensor::<1>::from_data(TensorData::new(vec![-3.0f32, 0.0, 3.0], [3]), &device));
        assert_eq!(download(t).unwrap(), [-symlog(3.0), 0.0, symlog(3.0)]);
    }

    #[test]
    fn two_hot_encodes_between_neighbours_and_decodes_back() {
        let two_hot = TwoHot::new(5, -2.0, 2.0); // bins -2, -1, 0, 1, 2
        let mut row = [0.0f32; 5];
        two_hot.encode(symexp(0.25), &mut row);
        assert!((row[2] - 0.75).abs() < 1e-6 && (row[3] - 0.25).abs() < 1e-6, "{row:?}");
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let mut row = [0.0f32; 5];
        two_hot.encode(1e9, &mut row);
        assert_eq!(row, [0.0, 0.0, 0.0, 0.0, 1.0]);
        let mut row = [0.0f32; 5];
        two_hot.encode(f32::NAN, &mut row);
        assert_eq!(row[0], 1.0, "NaN goes to an outer bin, never out of bounds");
        // Logits equal to ln(two-hot weights) decode to the encoded value.
        let device = Device::flex();
        let two_hot = TwoHot::default();
        for value in [-300.0f32, -1.5, 0.0, 0.1, 42.0] {
            let mut weights = vec![0.0f32; two_hot.len()];
            two_hot.encode(value, &mut weights);
            let logits: Vec<f32> = weights.iter().map(|&w| if w > 0.0 { w.ln() } else { -1e4 }).collect();
            let logits = Tensor::<2>::from_data(TensorData::new(logits, [1, two_hot.len()]), &device);
            let mean = two_hot.mean(logits.clone()).unwrap();
            assert!((mean[0] - value).abs() <= 1e-3 * (1.0 + value.abs()), "{value} -> {}", mean[0]);
            let tensor = download(two_hot.mean_tensor(logits)).unwrap();
            assert!((tensor[0] - mean[0]).abs() <= 1e-5 * (1.0 + value.abs()), "{} != {}", tensor[0], mean[0]);
        }
    }

    #[test]
    fn two_hot_loss_is_smallest_at_the_target() {
        let device = Device::flex();
        let two_hot = TwoHot::new(5, -2.0, 2.0);
        let targets = two_hot.encode_rows(&[symexp(0.5)], &device);
        let loss_of = |logits: Vec<f32>| {
            download(TwoHot::loss(Tensor::from_data(TensorData::new(logits, [1, 5]), &device), targets.clone()))
                .unwrap()[0]
        };
        let good = loss_of(vec![-9.0, -9.0, 0.0, 0.0, -9.0]);
        let bad = loss_of(vec![0.0, -9.0, -9.0, -9.0, 0.0]);
        assert!(good < bad && (good - 2f32.ln()).abs() < 1e-3, "{good} {bad}");
    }

    #[test]
    fn unimix_keeps_probabilities_positive_and_kl_matches_by_hand() {
        let device = Device::flex();
        // Two latents of 3 classes; the first row is extremely peaked.
        let logits = vec![50.0f32, -50.0, -50.0, 0.0, 0.0, 0.0];
        let a = Latents::from_logits(Tensor::from_data(TensorData::new(logits, [1, 6]), &device), 2, 3, 0.01);
        let probs = download(a.probs()).unwrap();
        assert!(probs.iter().all(|&p| p >= 0.01 / 3.0 - 1e-7), "{probs:?}");
        assert!((probs[0] - (0.99 + 0.01 / 3.0)).abs() < 1e-6);
        let b = Latents::from_logits(Tensor::from_data(TensorData::new(vec![0.0f32; 6], [1, 6]), &device), 2, 3, 0.01);
        let q = download(b.probs()).unwrap();
        let by_hand: f64 = probs.iter().zip(&q).map(|(&p, &q)| p as f64 * (p as f64 / q as f64).ln()).sum();
        let kl = download(a.kl(&b)).unwrap()[0] as f64;
        assert!((kl - by_hand).abs() < 1e-5, "{kl} vs {by_hand}");
        assert!(download(b.kl(&b)).unwrap()[0].abs() < 1e-6);
        let entropy = download(b.entropy()).unwrap()[0] as f64;
        assert!((entropy - 2.0 * 3f64.ln()).abs() < 1e-5);
    }

    #[test]
    fn samples_are_one_hot_with_straight_through_gradients() {
        let device = Device::flex().autodiff();
        let logits = Tensor::<2>::from_data(TensorData::new(vec![2.0f32, 0.0, -1.0, 0.0, 3.0, 0.0], [1, 6]), &device)
            .require_grad();
        let latents = Latents::from_logits(logits.clone(), 2, 3, 0.01);
        let mode = latents.sample(None).unwrap();
        // One-hot up to rounding: the straight-through sum `p + (onehot - p)` is not exact.
        let values = download(mode.clone().inner()).unwrap();
        let expected = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
        assert!(values.iter().zip(expected).all(|(v, e)| (v - e).abs() < 1e-6), "{values:?}");
        // The gradient reaches the logits through the probabilities.
        let weights = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [1, 6]), &device);
        let grads = (mode * weights).sum().backward();
        let grad = download(logits.grad(&grads).unwrap()).unwrap();
        assert!(grad.iter().any(|g| g.abs() > 1e-3), "{grad:?}");
        // Draws follow the probabilities.
        let mut rng = Generator::from_seed(0);
        let mut counts = [0usize; 3];
        for _ in 0..20_000 {
            let draw = one_hot_draws(&[0.2, 0.5, 0.3], 3, Some(&mut rng));
            counts[draw.iter().position(|&x| x == 1.0).unwrap()] += 1;
        }
        for (count, p) in counts.iter().zip([0.2, 0.5, 0.3]) {
            assert!((*count as f64 / 20_000.0 - p).abs() < 0.015, "{counts:?}");
        }
    }
}
