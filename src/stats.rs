//! Summary statistics for evaluation: mean, sample standard deviation and a Student-t
//! confidence interval of the mean.

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
}
