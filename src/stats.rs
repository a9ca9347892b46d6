//! Summary statistics for evaluation: mean, sample standard deviation and a Student-t
//! confidence interval of the mean; for the imitation protocol (`RESULTS.md` 1.4) the
//! normalized score, the interquartile mean and percentile-bootstrap confidence intervals
//! across seeds (Agarwal et al. 2021, "Deep RL at the Edge of the Statistical Precipice").

use limbic_environments::rng::Generator;

/// The arithmetic mean (0 for no values).
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// The sample standard deviation (divisor n - 1; 0 for fewer than two values).
pub fn sample_std(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
}

/// The 95% confidence interval of the mean, `mean ± t(0.975, n-1) · s / √n`; `None` for fewer
/// than two values (no spread to estimate).
pub fn ci95(xs: &[f64]) -> Option<[f64; 2]> {
    if xs.len() < 2 {
        return None;
    }
    let n = xs.len() as f64;
    let half = student_t_quantile(0.975, n - 1.0) * sample_std(xs) / n.sqrt();
    let m = mean(xs);
    Some([m - half, m + half])
}

/// The `p`-quantile (0.5 < p < 1) of Student's t distribution with `df` degrees of freedom,
/// by bisection on the CDF (relative error below 1e-12).
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    let (mut low, mut high) = (0.0, 1.0);
    while student_t_cdf(high, df) < p {
        high *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (low + high);
        if student_t_cdf(mid, df) < p {
            low = mid;
        } else {
            high = mid;
        }
        if high - low <= 1e-14 * high {
            break;
        }
    }
    0.5 * (low + high)
}

/// P(T ≤ t) for Student's t with `df` degrees of freedom, via the regularized incomplete beta
/// function: for t ≥ 0, 1 - I_x(df/2, 1/2) / 2 with x = df / (df + t²).
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * incomplete_beta(df / (df + t * t), 0.5 * df, 0.5);
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The regularized incomplete beta function I_x(a, b), by its continued fraction (modified
/// Lentz), on the side of x where that converges quickly.
fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(x, a, b) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(1.0 - x, b, a) / b
    }
}

fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let clamp = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / clamp(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..1000 {
        let m = m as f64;
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 / clamp(1.0 + even * d);
        c = clamp(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 / clamp(1.0 + odd * d);
        c = clamp(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// D4RL's and Minari's normalized score `(agent - random) / (expert - random)`: 0 is the
/// uniform-random policy's mean return, 1 the expert's. Equal reference scores leave it
/// undefined: an error.
pub fn normalized_score(agent: f64, random: f64, expert: f64) -> anyhow::Result<f64> {
    if !(random.is_finite() && expert.is_finite()) {
        anyhow::bail!("reference scores must be finite numbers: random {random}, expert {expert}");
    }
    if expert == random {
        anyhow::bail!(
            "the expert's and the random policy's reference scores are both {expert}: the normalized score \
             (agent - random) / (expert - random) is undefined"
        );
    }
    Ok((agent - random) / (expert - random))
}

/// The interquartile mean: the mean of the middle 50% of the sorted values, with fractional
/// weights at the boundaries when `n` is not a multiple of 4.
///
/// Exactly: sorted value `x_(i)` (`i = 1..n`) covers the interval `[i - 1, i]`; its weight is
/// the length of that interval inside `[n/4, 3n/4]`, and `IQM = sum(w_i x_(i)) / (n/2)`. For
/// `n` divisible by 4 this is the mean after dropping `n/4` values at each end, which is
/// rliable's IQM (`scipy.stats.trim_mean(x, 0.25)`); for other `n` scipy drops `floor(n/4)`
/// whole values at each end instead ([`trim_mean`]). `None` for no values.
pub fn iqm(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let sorted = sorted(xs);
    let n = sorted.len() as f64;
    let (low, high) = (n / 4.0, 3.0 * n / 4.0);
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let weight = (high.min(i as f64 + 1.0) - low.max(i as f64)).max(0.0);
            weight * x
        })
        .sum();
    Some(weighted / (n / 2.0))
}

/// `scipy.stats.trim_mean(xs, proportion)`: drops `floor(proportion * n)` values at each end of
/// the sorted values and averages the rest. `None` for no values or `proportion` outside
/// `[0, 0.5)`.
pub fn trim_mean(xs: &[f64], proportion: f64) -> Option<f64> {
    if xs.is_empty() || !(0.0..0.5).contains(&proportion) {
        return None;
    }
    let sorted = sorted(xs);
    let cut = (proportion * sorted.len() as f64) as usize;
    Some(mean(&sorted[cut..sorted.len() - cut]))
}

fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
}

/// The `q`-quantile (`0 <= q <= 1`) of already sorted values, interpolating linearly between
/// the two nearest ranks (numpy's default `percentile` method). `sorted` must not be empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let position = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let fraction = position - below as f64;
    sorted[below] + fraction * (sorted[above] - sorted[below])
}

/// Resamples [`bootstrap_ci`] draws unless told otherwise.
pub const BOOTSTRAP_RESAMPLES: usize = 10_000;

/// The percentile-bootstrap 95% confidence interval of `statistic` over `xs` (e.g. returns
/// or normalized scores, one per seed): `resamples` samples of `n` values drawn with
/// replacement by a generator seeded with `seed`, `statistic` of each, and the 2.5th and
/// 97.5th percentiles of those ([`quantile_sorted`]). `None` for no values or no resamples.
pub fn bootstrap_ci(xs: &[f64], statistic: impl Fn(&[f64]) -> f64, resamples: usize, seed: u64) -> Option<[f64; 2]> {
    if xs.is_empty() || resamples == 0 {
        return None;
    }
    let mut rng = Generator::from_seed(seed);
    let n = xs.len();
    let mut sample = vec![0.0; n];
    let mut estimates: Vec<f64> = (0..resamples)
        .map(|_| {
            sample.iter_mut().for_each(|x| *x = xs[rng.integers(0, n as i64) as usize]);
            statistic(&sample)
        })
        .collect();
    estimates.sort_by(f64::total_cmp);
    Some([quantile_sorted(&estimates, 0.025), quantile_sorted(&estimates, 0.975)])
}

/// [`bootstrap_ci`] of the mean with [`BOOTSTRAP_RESAMPLES`] resamples.
pub fn bootstrap_ci_mean(xs: &[f64], seed: u64) -> Option<[f64; 2]> {
    bootstrap_ci(xs, mean, BOOTSTRAP_RESAMPLES, seed)
}

/// [`bootstrap_ci`] of the [`iqm`] with [`BOOTSTRAP_RESAMPLES`] resamples.
pub fn bootstrap_ci_iqm(xs: &[f64], seed: u64) -> Option<[f64; 2]> {
    bootstrap_ci(xs, |sample| iqm(sample).unwrap_or(f64::NAN), BOOTSTRAP_RESAMPLES, seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Computed with mpmath at 30 digits (root of 1 - betainc(df/2, 1/2, 0, x)/2 = 0.975).
        let table = [
            (1.0, 12.706204736174705),
            (2.0, 4.302652729749464),
            (4.0, 2.7764451051977944),
            (9.0, 2.2621571627982055),
            (19.0, 2.0930240544083098),
            (29.0, 2.0452296421327043),
            (49.0, 2.0095752371292397),
            (1000.0, 1.9623390808264085),
        ];
        for (df, expected) in table {
            let got = student_t_quantile(0.975, df);
            assert!((got - expected).abs() < 1e-11 * expected, "df {df}: {got} vs {expected}");
        }
    }

    #[test]
    fn the_cdf_is_symmetric_and_centred() {
        assert!((student_t_cdf(0.0, 3.0) - 0.5).abs() < 1e-15);
        for t in [0.3, 1.0, 4.0] {
            assert!((student_t_cdf(t, 5.0) + student_t_cdf(-t, 5.0) - 1.0).abs() < 1e-14);
        }
        // df = 1 is the Cauchy distribution: P(T <= 1) = 3/4.
        assert!((student_t_cdf(1.0, 1.0) - 0.75).abs() < 1e-14);
    }

    #[test]
    fn summary_of_a_hand_computed_sample() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean(&xs), 5.0);
        // Squared deviations sum to 32; 32 / 7.
        assert!((sample_std(&xs) - (32.0f64 / 7.0).sqrt()).abs() < 1e-15);
        let [low, high] = ci95(&xs).unwrap();
        let half = 2.3646242515927853 * (32.0f64 / 7.0).sqrt() / 8f64.sqrt(); // t(0.975, 7)
        assert!((low - (5.0 - half)).abs() < 1e-9 && (high - (5.0 + half)).abs() < 1e-9);
        assert_eq!(ci95(&[3.0]), None);
        assert_eq!(sample_std(&[3.0]), 0.0);
    }

    #[test]
    fn normalized_score_of_hand_computed_cases() {
        // CartPole-v1's reference scores (RESULTS.md): random 24.96, expert 500.
        assert!((normalized_score(500.0, 24.96, 500.0).unwrap() - 1.0).abs() < 1e-15);
        assert_eq!(normalized_score(24.96, 24.96, 500.0).unwrap(), 0.0);
        assert!((normalized_score(262.48, 24.96, 500.0).unwrap() - 0.5).abs() < 1e-12);
        // Negative returns (Pendulum-v1): higher is still better.
        assert!((normalized_score(-670.975, -1197.18, -144.77).unwrap() - 0.5).abs() < 1e-12);
        let error = normalized_score(1.0, -200.0, -200.0).unwrap_err().to_string();
        assert!(error.contains("-200") && error.contains("undefined"), "{error}");
        assert!(normalized_score(1.0, f64::NAN, 2.0).is_err());
    }

    #[test]
    fn iqm_weights_the_boundary_values_fractionally() {
        // n divisible by 4: the mean of the middle half, x3..x6 of 1..8.
        assert_eq!(iqm(&[8.0, 1.0, 7.0, 2.0, 6.0, 3.0, 5.0, 4.0]), Some(4.5));
        // n = 9: [2.25, 6.75] covers 3/4 of x3, x4..x6, 3/4 of x7: (2.25 + 15 + 5.25) / 4.5.
        assert_eq!(iqm(&[100.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]), Some(5.0));
        // n = 5: [1.25, 3.75]: (0.75 * 2 + 4 + 0.75 * 8) / 2.5 = 4.6; scipy's trim_mean drops
        // one value at each end instead: (2 + 4 + 8) / 3.
        let xs = [16.0, 1.0, 2.0, 4.0, 8.0];
        assert!((iqm(&xs).unwrap() - 4.6).abs() < 1e-12);
        assert!((trim_mean(&xs, 0.25).unwrap() - 14.0 / 3.0).abs() < 1e-12);
        // n = 3: [0.75, 2.25]: (0.25 * 0 + 3 + 0.25 * 12) / 1.5 = 4.
        assert!((iqm(&[0.0, 3.0, 12.0]).unwrap() - 4.0).abs() < 1e-12);
        assert_eq!(iqm(&[7.0]), Some(7.0));
        assert_eq!(iqm(&[1.0, 2.0]), Some(1.5));
        assert_eq!(iqm(&[]), None);
        assert_eq!(trim_mean(&[1.0, 2.0, 3.0, 4.0, 100.0, -50.0, 2.5, 3.5], 0.25), Some(2.75));
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let xs = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&xs, 0.25), 1.75);
        assert_eq!(quantile_sorted(&xs, 0.975), 3.925);
        assert_eq!(quantile_sorted(&xs, 0.0), 1.0);
        assert_eq!(quantile_sorted(&xs, 1.0), 4.0);
        assert_eq!(quantile_sorted(&[5.0], 0.3), 5.0);
    }

    #[test]
    fn bootstrap_intervals_of_hand_computed_cases() {
        assert_eq!(bootstrap_ci_mean(&[3.0; 10], 0), Some([3.0, 3.0]));
        assert_eq!(bootstrap_ci_iqm(&[2.0], 0), Some([2.0, 2.0]));
        assert_eq!(bootstrap_ci_mean(&[], 0), None);
        // Two values: a resample's mean is 0, 5 or 10 with probability 1/4, 1/2, 1/4, so the
        // 2.5th and 97.5th percentiles of 10,000 resamples are the two values themselves.
        assert_eq!(bootstrap_ci_mean(&[0.0, 10.0], 1), Some([0.0, 10.0]));
        // Seeded: the same seed gives the same interval, another seed another one.
        let xs: Vec<f64> = (0..20).map(|i| ((i * 7919) % 31) as f64).collect();
        let a = bootstrap_ci_mean(&xs, 5).unwrap();
        assert_eq!(bootstrap_ci_mean(&xs, 5).unwrap(), a);
        assert_ne!(bootstrap_ci_mean(&xs, 6).unwrap(), a);
        // For a mean the interval is close to the normal one, +-1.96 s / sqrt(n) (the
        // bootstrap's spread uses the divisor n: s * sqrt((n - 1) / n)).
        let half = 1.96 * sample_std(&xs) * (19.0f64 / 20.0).sqrt() / 20f64.sqrt();
        let m = mean(&xs);
        assert!(a[0] < m && m < a[1], "{a:?} around {m}");
        assert!(((a[1] - a[0]) / 2.0 / half - 1.0).abs() < 0.1, "{a:?} vs +-{half}");
        // One outlying seed widens the mean's interval far more than the IQM's.
        let scores = vec![0.9, 0.92, 0.95, 0.93, 0.91, 0.94, 0.96, 0.9, 0.92, 0.0];
        let mean_ci = bootstrap_ci_mean(&scores, 0).unwrap();
        let iqm_ci = bootstrap_ci_iqm(&scores, 0).unwrap();
        assert!(iqm_ci[1] - iqm_ci[0] < 0.5 * (mean_ci[1] - mean_ci[0]), "{iqm_ci:?} vs {mean_ci:?}");
        assert!(iqm_ci[0] <= iqm(&scores).unwrap() && iqm(&scores).unwrap() <= iqm_ci[1]);
    }
}
