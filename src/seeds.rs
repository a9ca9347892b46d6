//! Seeds derived from a run's seed, for streams that must not overlap (training episodes,
//! the random baseline's draws).

/// SplitMix64's finalizer: a bijection of u64 that spreads nearby inputs (seed, seed + 1, ...)
/// over the whole range, so derived seeds of nearby runs share nothing.
pub fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_splitmix64() {
        // The first output of the reference SplitMix64 generator seeded with 0.
        assert_eq!(super::mix(0), 0xE220_A839_7B1D_CDAF);
    }
}
