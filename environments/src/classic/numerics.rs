//! The floating-point functions where numpy does not compute what Rust's `std` computes.
//!
//! - `x ** 2` on a numpy scalar is the C library's `pow(x, 2.0)` (numpy's scalar math), which
//!   glibc does not always round like `x * x`: on 300 000 random f64 in [-20, 20], 261 differ by
//!   one ulp (and 208 of 300 000 f32 for `powf`). LLVM rewrites a literal `powf(2.0)` into
//!   `x * x`, so the exponent is hidden from it.
//! - `np.sin`/`np.cos` on float32 use numpy's own polynomial kernel on FMA machines (x86-64 with
//!   AVX2 or later, AArch64), not `sinf`/`cosf`: on [-4, 4] about 15% of the results differ from
//!   glibc's, and 0.1% from the correctly rounded value on [-0.1, 0.1]. float64 `np.sin`/`np.cos`
//!   call libm, exactly like `f64::sin`/`f64::cos`.

use std::hint::black_box;

/// numpy's `x ** 2` for a float64 scalar: `pow(x, 2.0)` from the C library.
pub(crate) fn pow2(x: f64) -> f64 {
    x.powf(black_box(2.0))
}

/// numpy's `x ** 2` for a float32 scalar: `powf(x, 2.0f)` from the C library.
pub(crate) fn pow2_f32(x: f32) -> f32 {
    x.powf(black_box(2.0))
}

/// numpy's float32 `np.cos`.
pub(crate) fn cos_f32(x: f32) -> f32 {
    sin_cos_f32(x, Trig::Cos)
}

/// numpy's float32 `np.sin`.
pub(crate) fn sin_f32(x: f32) -> f32 {
    sin_cos_f32(x, Trig::Sin)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Trig {
    Sin,
    Cos,
}

const TWO_OVER_PI: f32 = f32::from_bits(0x3f22_f983);
/// -pi/2 split in three parts for Cody-Waite reduction (high, medium, low).
const MINUS_PI_OVER_2: [f32; 3] =
    [f32::from_bits(0xbfc9_0fd8), f32::from_bits(0xb4a8_885a), f32::from_bits(0xa7c2_34c4)];
/// Adding and subtracting 1.5 * 2^23 rounds a float32 to the nearest integer.
const RINT_MAGIC: f32 = 12_582_912.0;
/// cos(r) on [-pi/4, pi/4]: coefficients of r^8, r^6, r^4, r^2, r^0.
const COS_POLY: [f32; 5] =
    [f32::from_bits(0x37cc_730b), f32::from_bits(0xbab6_036e), f32::from_bits(0x3d2a_aa9e), -0.5, 1.0];
/// sin(r) on [-pi/4, pi/4]: coefficients of r^9, r^7, r^5, r^3.
const SIN_POLY: [f32; 4] = [
    f32::from_bits(0x363e_9dde),
    f32::from_bits(0xb950_35dd),
    f32::from_bits(0x3c08_88cd),
    f32::from_bits(0xbe2a_aaab),
];

/// numpy 2.4's `simd_sincos_f32`: reduce by the nearest multiple of pi/2 with fused
/// multiply-adds, evaluate sin or cos of the remainder by quadrant; libm where the reduction is
/// inaccurate (|x| above 117435.992 for sin, 71476.0625 for cos).
fn sin_cos_f32(x: f32, op: Trig) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    // The float32 values of numpy's limits 117435.992f and 71476.0625f.
    let reducible = match op {
        Trig::Sin => x.abs() <= 117_435.99,
        Trig::Cos => x.abs() <= 71_476.06,
    };
    if !reducible {
        return match op {
            Trig::Sin => x.sin(),
            Trig::Cos => x.cos(),
        };
    }
    // The source multiplies, then adds; numpy's wheel is compiled with FP contraction, which fuses
    // the two (with a separate multiply, 49 of 100 000 inputs in [-2e5, 2e5] come out different).
    let quadrant = x.mul_add(TWO_OVER_PI, RINT_MAGIC) - RINT_MAGIC;
    let r = MINUS_PI_OVER_2.iter().fold(x, |r, &c| quadrant.mul_add(c, r));
    let r2 = r * r;
    let cos = COS_POLY[1..].iter().fold(COS_POLY[0], |acc, &c| acc.mul_add(r2, c));
    let sin_odd = SIN_POLY[1..].iter().fold(SIN_POLY[0], |acc, &c| acc.mul_add(r2, c));
    let sin = sin_odd.mul_add(r2, 0.0).mul_add(r, r);
    let k = quadrant as i32 + i32::from(op == Trig::Cos);
    let value = if k & 1 == 0 { sin } else { cos };
    if k & 2 == 2 {
        0.0 - value
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (x, np.cos(x), np.sin(x)) as float32 bits, printed by numpy 2.4.6 on x86-64 (AVX-512):
    /// inputs where numpy's kernel differs from the correctly rounded value, one whose
    /// quadrant needs the fused `x * 2/pi + magic`, both fallback limits, zeros, subnormals,
    /// infinities and NaN.
    const NUMPY: [(u32, u32, u32); 17] = [
        (0xbe06_1314, 0x3f7d_cf0d, 0xbe05_b118), // -0.13093215
        (0x3e3b_4419, 0x3f7b_bb29, 0x3e3a_3953), // 0.18287696
        (0x410b_4a75, 0xbf40_9d36, 0x3f28_a113), // 8.705678
        (0x4073_174a, 0xbf4a_c119, 0xbf1c_4a5a), // 3.7982965
        (0xc071_a2ab, 0xbf4e_418d, 0x3f17_a3a1), // -3.7755535
        (0x46cb_829a, 0x3f35_001f, 0xbf35_09c7), // 26049.3
        (0x0000_0000, 0x3f80_0000, 0x0000_0000), // 0.0
        (0x8000_0000, 0x3f80_0000, 0x8000_0000), // -0.0
        (0x7f80_0000, 0xffc0_0000, 0xffc0_0000), // inf
        (0xff80_0000, 0xffc0_0000, 0xffc0_0000), // -inf
        (0x7fc0_0000, 0x7fc0_0000, 0x7fc0_0000), // nan
        (0x478b_9a08, 0x3def_8fc6, 0xbf7e_3e19), // 71476.06 (last reduced cos)
        (0x478b_9a09, 0x3dff_71be, 0xbf7e_0039), // 71476.07 (libm cos)
        (0x47e5_5dff, 0xbf7e_3e64, 0xbdef_7be3), // 117435.99 (last reduced sin)
        (0x47e5_5e00, 0xbf7e_0089, 0xbdff_5de0), // 117436.0 (libm sin)
        (0x0001_16c2, 0x3f80_0000, 0x0001_16c2), // 1e-40
        (0x8000_0001, 0x3f80_0000, 0x8000_0001), // -1e-45
    ];

    #[test]
    fn float32_sin_cos_match_numpy() {
        for (x, cos, sin) in NUMPY {
            let x = f32::from_bits(x);
            let (c, s) = (cos_f32(x), sin_f32(x));
            assert!(c.to_bits() == cos || (c.is_nan() && f32::from_bits(cos).is_nan()), "cos({x}) = {c}");
            assert!(s.to_bits() == sin || (s.is_nan() && f32::from_bits(sin).is_nan()), "sin({x}) = {s}");
        }
    }

    #[test]
    fn squares_are_libm_pow() {
        // Opaque inputs, so that the compiler cannot fold the calls.
        // np.float64(-3.725699083812117) ** 2 is one ulp below the rounded product.
        let x = black_box(-3.725699083812117);
        assert_eq!(pow2(x), 13.880833663118446);
        assert_eq!(x * x, 13.880833663118448);
        // np.float32(2.6186523) ** 2 is one ulp above the rounded product.
        let u = black_box(2.618_652_3_f32);
        assert_eq!(pow2_f32(u), 6.857_340_3);
        assert_eq!(u * u, 6.857_34);
    }
}
