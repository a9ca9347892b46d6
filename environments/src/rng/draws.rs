//! More of numpy's `Generator` draws, bit for bit: the ziggurat standard normal, float32
//! uniforms and `choice(..., replace=False)`. POPGym's noisy envs, bandits and MineSweeper use
//! them.

use super::ziggurat_tables::{FI, KI, NOR_INV_R, NOR_R, WI};
use super::Generator;

impl Generator {
    /// numpy's `standard_normal()`: the 256-block ziggurat of `random_standard_normal`, one
    /// 64-bit draw per sample 99.3% of the time. The rare wedge and tail draws call `exp` and
    /// `log1p`, which Rust and numpy both take from the platform's libm (glibc on Linux, where
    /// this is tested); another libm could differ in a last bit there.
    pub fn standard_normal_ziggurat(&mut self) -> f64 {
        loop {
            let r = self.next_u64();
            let idx = (r & 0xff) as usize;
            let r = r >> 8;
            let rabs = (r >> 1) & 0x000f_ffff_ffff_ffff;
            let mut x = rabs as f64 * WI[idx];
            if r & 1 == 1 {
                x = -x;
            }
            if rabs < KI[idx] {
                return x;
            }
            if idx == 0 {
                // The tail beyond NOR_R (1 - U avoids log(0)).
                loop {
                    let xx = -NOR_INV_R * (-self.random()).ln_1p();
                    let yy = -(-self.random()).ln_1p();
                    if yy + yy > xx * xx {
                        return if (rabs >> 8) & 1 == 1 { -(NOR_R + xx) } else { NOR_R + xx };
                    }
                }
            }
            if (FI[idx - 1] - FI[idx]) * self.random() + FI[idx] < (-0.5 * x * x).exp() {
                return x;
            }
        }
    }

    /// numpy's `normal(loc, scale)`: `loc + scale * standard_normal()`.
    pub fn normal(&mut self, loc: f64, scale: f64) -> f64 {
        loc + scale * self.standard_normal_ziggurat()
    }

    /// numpy's `random(dtype=np.float32)`: 24 bits of a 32-bit draw, in [0, 1).
    pub fn random_f32(&mut self) -> f32 {
        (self.bits.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
    }

    /// numpy's `choice(pop_size, size, replace=False)` (uniform, shuffled): Floyd's algorithm,
    /// then a Fisher-Yates shuffle of the picks, both with Lemire's bounded draws. This is the
    /// path numpy takes unless `pop_size > 10000` and `size > pop_size / 50`, which panics here.
    pub fn choice_without_replacement(&mut self, pop_size: usize, size: usize) -> Vec<usize> {
        assert!(size <= pop_size, "cannot choose {size} of {pop_size} without replacement");
        assert!(pop_size <= 10_000 || size <= pop_size / 50, "numpy takes its tail-shuffle path here");
        let mut picks: Vec<usize> = Vec::with_capacity(size);
        for j in pop_size - size..pop_size {
            let val = self.integers(0, j as i64 + 1) as usize;
            picks.push(if picks.contains(&val) { j } else { val });
        }
        for i in (1..size).rev() {
            let j = self.integers(0, i as i64 + 1) as usize;
            picks.swap(i, j);
        }
        picks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Values printed by numpy 2.4.6.
    #[test]
    fn standard_normal_matches_numpy() {
        // g = np.random.default_rng(0); [g.standard_normal() for _ in range(5)]
        let mut g = Generator::from_seed(0);
        let draws: Vec<f64> = (0..5).map(|_| g.standard_normal_ziggurat()).collect();
        assert_eq!(
            draws,
            [0.1257302210933933, -0.1321048632913019, 0.6404226504432821, 0.10490011715303971, -0.535669373161111]
        );
        // a = default_rng(0).standard_normal(200000): its largest |a| (index 36758) comes from the
        // tail, the wedges are taken thousands of times, and the stream stays aligned after.
        let mut g = Generator::from_seed(0);
        let draws: Vec<f64> = (0..200_000).map(|_| g.standard_normal_ziggurat()).collect();
        let (at, _) =
            draws.iter().enumerate().fold((0, 0.0f64), |m, (i, x)| if x.abs() > m.1 { (i, x.abs()) } else { m });
        assert_eq!((at, draws[at]), (36758, 4.731957688635529));
        assert_eq!(g.integers(0, 1000), 689);
        // default_rng(2**64 - 1).normal(0, np.full((2,), 0.3))
        let mut g = Generator::from_seed(u64::MAX);
        assert_eq!([g.normal(0.0, 0.3), g.normal(0.0, 0.3)], [0.2164009371230618, -0.291238850683954]);
    }

    #[test]
    fn float32_random_matches_numpy() {
        // g = default_rng(3); g.random(5, dtype=np.float32); g.integers(0, 100)
        let mut g = Generator::from_seed(3);
        // float32 values, printed as Python floats (exact in f64).
        let draws: Vec<f64> = (0..5).map(|_| f64::from(g.random_f32())).collect();
        assert_eq!(
            draws,
            [0.8115044832229614, 0.08564913272857666, 0.1794406771659851, 0.23681050539016724, 0.1813647747039795]
        );
        assert_eq!(g.integers(0, 100), 80);
    }

    #[test]
    fn choice_without_replacement_matches_numpy() {
        // g = default_rng(5); g.choice(np.arange(16), 2, replace=False);
        // g.choice(np.arange(64), 10, replace=False); g.integers(0, 1000)
        let mut g = Generator::from_seed(5);
        assert_eq!(g.choice_without_replacement(16, 2), [12, 10]);
        assert_eq!(g.choice_without_replacement(64, 10), [29, 24, 63, 36, 58, 3, 17, 44, 26, 16]);
        assert_eq!(g.integers(0, 1000), 750);
    }
}
