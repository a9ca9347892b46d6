//! numpy-compatible random numbers: `SeedSequence` -> `PCG64` -> `Generator`.
//!
//! Gymnasium seeds every environment with `np.random.Generator(PCG64(SeedSequence(seed)))` and
//! draws its reset states with `uniform` and `integers`. Reproducing that stream bit for bit is
//! what makes `reset(seed=s)` here give the same initial state and layout as Gymnasium/MiniGrid.

mod draws;
mod ziggurat_tables;

const POOL_SIZE: usize = 4;
const INIT_A: u32 = 0x43b0_d7e5;
const MULT_A: u32 = 0x931e_8875;
const INIT_B: u32 = 0x8b51_f9dd;
const MULT_B: u32 = 0x58f3_8ded;
const MIX_MULT_L: u32 = 0xca01_f9dd;
const MIX_MULT_R: u32 = 0x4973_f715;
const XSHIFT: u32 = 16;
const PCG_MULT: u128 = (2_549_297_995_355_413_924u128 << 64) + 4_865_540_595_714_422_341u128;

/// numpy's `SeedSequence(seed)` (no spawn key): hashes the seed into an entropy pool.
#[derive(Clone, Debug)]
pub struct SeedSequence {
    pool: [u32; POOL_SIZE],
}

impl SeedSequence {
    pub fn new(seed: u64) -> Self {
        // The entropy integer as little-endian 32-bit words; 0 becomes [0].
        let words: Vec<u32> = if seed >> 32 == 0 { vec![seed as u32] } else { vec![seed as u32, (seed >> 32) as u32] };
        let mut hash_const = INIT_A;
        let mut hashmix = |value: u32| {
            let mut v = value ^ hash_const;
            hash_const = hash_const.wrapping_mul(MULT_A);
            v = v.wrapping_mul(hash_const);
            v ^ (v >> XSHIFT)
        };
        let mix = |x: u32, y: u32| {
            let r = MIX_MULT_L.wrapping_mul(x).wrapping_sub(MIX_MULT_R.wrapping_mul(y));
            r ^ (r >> XSHIFT)
        };
        let mut pool = [0u32; POOL_SIZE];
        for (i, slot) in pool.iter_mut().enumerate() {
            *slot = hashmix(words.get(i).copied().unwrap_or(0));
        }
        for src in 0..POOL_SIZE {
            for dst in 0..POOL_SIZE {
                if src != dst {
                    pool[dst] = mix(pool[dst], hashmix(pool[src]));
                }
            }
        }
        for &word in words.iter().skip(POOL_SIZE) {
            for slot in pool.iter_mut() {
                *slot = mix(*slot, hashmix(word));
            }
        }
        SeedSequence { pool }
    }

    /// `generate_state(n, np.uint64)`.
    pub fn generate_u64(&self, n: usize) -> Vec<u64> {
        let mut hash_const = INIT_B;
        let mut next = |i: usize| {
            let mut v = self.pool[i % POOL_SIZE] ^ hash_const;
            hash_const = hash_const.wrapping_mul(MULT_B);
            v = v.wrapping_mul(hash_const);
            v ^ (v >> XSHIFT)
        };
        (0..n)
            .map(|i| {
                let lo = next(2 * i) as u64;
                let hi = next(2 * i + 1) as u64;
                lo | (hi << 32)
            })
            .collect()
    }
}

/// numpy's `PCG64` bit generator (XSL-RR 128/64), with numpy's buffered 32-bit halves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pcg64 {
    state: u128,
    inc: u128,
    buffered_u32: Option<u32>,
}

impl Pcg64 {
    pub fn from_seed_sequence(seq: &SeedSequence) -> Self {
        let w = seq.generate_u64(4);
        let init_state = ((w[0] as u128) << 64) | w[1] as u128;
        let init_seq = ((w[2] as u128) << 64) | w[3] as u128;
        let mut rng = Pcg64 { state: 0, inc: (init_seq << 1) | 1, buffered_u32: None };
        rng.advance();
        rng.state = rng.state.wrapping_add(init_state);
        rng.advance();
        rng
    }

    #[inline]
    fn advance(&mut self) {
        self.state = self.state.wrapping_mul(PCG_MULT).wrapping_add(self.inc);
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.advance();
        let x = ((self.state >> 64) as u64) ^ (self.state as u64);
        x.rotate_right((self.state >> 122) as u32)
    }

    /// Low half first; the high half waits in a buffer that 64-bit draws do not touch.
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        if let Some(v) = self.buffered_u32.take() {
            return v;
        }
        let v = self.next_u64();
        self.buffered_u32 = Some((v >> 32) as u32);
        v as u32
    }
}

/// `np.random.Generator` over [`Pcg64`]: the draw kinds Gymnasium and MiniGrid use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generator {
    bits: Pcg64,
}

impl Generator {
    /// `np.random.default_rng(seed)`, which is also what `gymnasium.utils.seeding.np_random(seed)` builds.
    pub fn from_seed(seed: u64) -> Self {
        Generator { bits: Pcg64::from_seed_sequence(&SeedSequence::new(seed)) }
    }

    /// A generator seeded from OS entropy, as Gymnasium does for `reset(seed=None)` on a fresh env.
    pub fn from_entropy() -> Self {
        Self::from_seed(entropy_seed())
    }

    pub fn next_u64(&mut self) -> u64 {
        self.bits.next_u64()
    }

    /// The whole state, to save and later continue the same stream with
    /// [`Generator::from_state`]: `(state, increment, buffered 32-bit half)`.
    pub fn state(&self) -> (u128, u128, Option<u32>) {
        (self.bits.state, self.bits.inc, self.bits.buffered_u32)
    }

    /// A generator that continues where the one whose [`Generator::state`] this is stopped.
    /// `None` when `inc` is even (PCG increments are always odd: such a state was not saved
    /// from a generator).
    pub fn from_state(state: u128, inc: u128, buffered_u32: Option<u32>) -> Option<Self> {
        (inc & 1 == 1).then_some(Generator { bits: Pcg64 { state, inc, buffered_u32 } })
    }

    /// `random()`: 53-bit float in [0, 1).
    #[inline]
    pub fn random(&mut self) -> f64 {
        (self.bits.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `uniform(low, high)`.
    #[inline]
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.random()
    }

    /// `integers(low, high)` (high exclusive) for ranges up to 2^32, by Lemire's method on
    /// 32-bit draws, as numpy does for int64 output in that range.
    pub fn integers(&mut self, low: i64, high: i64) -> i64 {
        assert!(high > low, "integers: empty range [{low}, {high})");
        let span = (high - low - 1) as u64;
        if span == 0 {
            return low;
        }
        if span > u32::MAX as u64 {
            return low + self.wide_integer(span) as i64;
        }
        if span == u32::MAX as u64 {
            return low + self.bits.next_u32() as i64;
        }
        let range = span + 1;
        let mut m = self.bits.next_u32() as u64 * range;
        let mut leftover = m & 0xffff_ffff;
        if leftover < range {
            let threshold = (range.wrapping_neg() & 0xffff_ffff) % range;
            while leftover < threshold {
                m = self.bits.next_u32() as u64 * range;
                leftover = m & 0xffff_ffff;
            }
        }
        low + (m >> 32) as i64
    }

    /// Lemire's method on 64-bit draws (numpy's path for spans above 2^32).
    fn wide_integer(&mut self, span: u64) -> u64 {
        let range = span as u128 + 1;
        let mut m = self.bits.next_u64() as u128 * range;
        let mut leftover = m as u64;
        if (leftover as u128) < range {
            let threshold = ((range as u64).wrapping_neg()) % range as u64;
            while leftover < threshold {
                m = self.bits.next_u64() as u128 * range;
                leftover = m as u64;
            }
        }
        (m >> 64) as u64
    }

    /// numpy's `random_interval(max)`: a uniform integer in `[0, max]` by masking to the smallest
    /// covering power of two and rejecting draws above `max` (32-bit draws while `max` fits).
    pub fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mask = u64::MAX >> max.leading_zeros();
        loop {
            let value = if max <= u32::MAX as u64 { self.bits.next_u32() as u64 } else { self.bits.next_u64() };
            if value & mask <= max {
                return value & mask;
            }
        }
    }

    /// `shuffle(x)` in place: numpy's Fisher-Yates from the back, `j = interval(i)` for each `i`.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.interval(i as u64) as usize;
            items.swap(i, j);
        }
    }

    /// A standard normal draw (Box-Muller on two `random()` draws).
    ///
    /// numpy uses a ziggurat here, so this stream differs from numpy's; no Gymnasium or MiniGrid
    /// environment dynamics use normals, only unbounded `Box.sample()` does. numpy's own stream is
    /// [`Generator::standard_normal_ziggurat`] (POPGym's noisy envs draw from it).
    pub fn standard_normal(&mut self) -> f64 {
        let u1 = 1.0 - self.random();
        let u2 = self.random();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// A standard exponential draw (inversion; numpy uses a ziggurat, see `standard_normal`).
    pub fn standard_exponential(&mut self) -> f64 {
        -(1.0 - self.random()).ln()
    }
}

fn entropy_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Values printed by numpy 2.4.6.
    #[test]
    fn raw_stream_matches_numpy() {
        let mut g = Generator::from_seed(0);
        let raw: Vec<u64> = (0..3).map(|_| g.next_u64()).collect();
        assert_eq!(raw, [11749869230777074271, 4976686463289251617, 755828109848996024]);
        // A seed wider than 32 bits takes two entropy words.
        let mut g = Generator::from_seed((1 << 40) + 7);
        assert_eq!([g.next_u64(), g.next_u64()], [15307346044642009514, 4709548916763817589]);
    }

    #[test]
    fn mixed_draws_match_numpy() {
        // g = np.random.default_rng(42); two uniforms, five integers(0, 7), integers(0, 2**40),
        // three integers(3, 1000).
        let mut g = Generator::from_seed(42);
        assert_eq!(g.uniform(-0.05, 0.05), 0.027395604855596334);
        assert_eq!(g.uniform(-0.05, 0.05), -0.006112156024794771);
        let ints: Vec<i64> = (0..5).map(|_| g.integers(0, 7)).collect();
        assert_eq!(ints, [3, 6, 0, 4, 1]);
        assert_eq!(g.integers(0, 1 << 40), 1072708119942);
        let ints: Vec<i64> = (0..3).map(|_| g.integers(3, 1000)).collect();
        assert_eq!(ints, [96, 736, 761]);
    }

    #[test]
    fn state_round_trip_continues_the_stream() {
        let mut g = Generator::from_seed(21);
        g.integers(0, 10); // leaves a buffered 32-bit half
        let (state, inc, buffered) = g.state();
        assert!(buffered.is_some());
        let mut resumed = Generator::from_state(state, inc, buffered).unwrap();
        for _ in 0..5 {
            assert_eq!(resumed.integers(0, 1000), g.integers(0, 1000));
            assert_eq!(resumed.random(), g.random());
        }
        assert!(Generator::from_state(state, inc & !1, None).is_none());
    }

    #[test]
    fn shuffle_matches_numpy() {
        // g = np.random.default_rng(7); l = list(range(10)); g.shuffle(l); g.integers(0, 1000)
        let mut g = Generator::from_seed(7);
        let mut l: Vec<u32> = (0..10).collect();
        g.shuffle(&mut l);
        assert_eq!(l, [8, 0, 7, 1, 3, 6, 2, 4, 5, 9]);
        assert_eq!(g.integers(0, 1000), 873);
        // A buffered 32-bit half from `integers` is consumed by the shuffle first.
        let mut g = Generator::from_seed(11);
        assert_eq!(g.integers(0, 5), 0);
        let mut l: Vec<u32> = (0..6).collect();
        g.shuffle(&mut l);
        assert_eq!(l, [3, 1, 4, 5, 2, 0]);
        assert_eq!([g.integers(0, 100), g.integers(0, 100)], [2, 48]);
        let mut g = Generator::from_seed(3);
        let mut l: Vec<u32> = (0..300).collect();
        g.shuffle(&mut l);
        assert_eq!((&l[..8], &l[297..]), (&[98, 162, 161, 171, 246, 291, 238, 158][..], &[261, 147, 248][..]));
    }
}
