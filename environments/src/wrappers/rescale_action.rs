//! RescaleAction: expose a Box action space affinely rescaled to new bounds.

use super::{bad_param, box_action_space, unbounded, Precision};
use crate::env::{check_action, Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::render::Frame;
use crate::space::{BoxSpace, DType, Space};
use crate::value::Value;

/// Gymnasium's `RescaleAction(env, min_action, max_action)`: the action space becomes
/// `Box(min_action, max_action)` (same shape and dtype) and an action `a` reaches the wrapped
/// env as `(a − intercept) / gradient`, with Gymnasium's `rescale_box` coefficients:
/// `gradient = (max − min) / (high − low)` and `intercept = gradient·(−low) + min` (or
/// `max − high` where only the max is finite; infinite bounds must match the env's).
///
/// Coefficients are rounded to the Box's dtype, operation by operation as numpy does. One
/// difference: Gymnasium divides by `high − low` in `np.float128` (x87 extended precision),
/// limbic in f64. For float32 Boxes the results agree (a differing f32 rounding needs a quotient
/// within 2^-29 of a rounding midpoint); for float64 Boxes the gradient can differ in its last bit.
///
/// Actions are checked for shape, dtype and NaN only: like Gymnasium, the wrapper passes an
/// action outside `[min, max]` on (rescaled), and the env decides.
pub struct RescaleAction<E> {
    env: E,
    space: Space,
    unbounded: Space,
    gradient: Vec<f64>,
    intercept: Vec<f64>,
    dtype: DType,
}

impl<E: Env> RescaleAction<E> {
    /// Rescales every component to `[min_action, max_action]`.
    pub fn new(env: E, min_action: f64, max_action: f64) -> Result<Self> {
        let dim = box_action_space(env.action_space(), "RescaleAction")?.low.len();
        Self::with_bounds(env, vec![min_action; dim], vec![max_action; dim])
    }

    /// Per-component bounds, one per element of the action (row-major).
    pub fn with_bounds(env: E, min_action: Vec<f64>, max_action: Vec<f64>) -> Result<Self> {
        let b = box_action_space(env.action_space(), "RescaleAction")?;
        let p = match b.dtype {
            DType::Float32 => Precision::F32,
            DType::Float64 => Precision::F64,
            other => {
                return Err(EnvError::BadSpace(format!(
                    "RescaleAction requires a float Box action space, got dtype {}",
                    other.name()
                )))
            }
        };
        check_bounds(b, &min_action, &max_action)?;
        let (gradient, intercept) = coefficients(b, &min_action, &max_action, p);
        let low: Vec<f64> = min_action.iter().map(|&x| p.round(x)).collect();
        let high: Vec<f64> = max_action.iter().map(|&x| p.round(x)).collect();
        if low.iter().zip(&high).any(|(lo, hi)| lo == hi) {
            return Err(bad_param(
                "min_action",
                format!(
                    "min action ({min_action:?}) must be strictly smaller than max action ({max_action:?}), \
                     the rescaling has no inverse where they are equal"
                ),
            ));
        }
        let space = Space::Box(BoxSpace { low, high, shape: b.shape.clone(), dtype: b.dtype });
        Ok(RescaleAction { unbounded: unbounded(b), space, gradient, intercept, dtype: b.dtype, env })
    }

    pub fn inner(&self) -> &E {
        &self.env
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    /// `(action − intercept) / gradient` in the Box's precision, as numpy computes it.
    fn rescale(&self, action: &Value) -> Result<Value> {
        check_action(&self.unbounded, action)?;
        let p = if self.dtype == DType::Float32 { Precision::F32 } else { Precision::F64 };
        let nums = action.to_f64_vec().unwrap_or_default();
        let out = nums.iter().zip(&self.intercept).zip(&self.gradient).map(|((&a, &c), &g)| inverse(a, c, g, p));
        Ok(self.dtype.array(out))
    }
}

/// `rescale_box`'s backward map of one component, `(a − intercept) / gradient`, in precision `p`.
fn inverse(a: f64, intercept: f64, gradient: f64, p: Precision) -> f64 {
    p.round(p.round(a - intercept) / gradient)
}

/// Gymnasium's `rescale_box` checks, in its order.
fn check_bounds(b: &BoxSpace, min: &[f64], max: &[f64]) -> Result<()> {
    for (name, v) in [("min_action", min), ("max_action", max)] {
        if v.len() != b.low.len() {
            return Err(bad_param(
                name,
                format!("expected {} numbers (shape {:?}), got {}", b.low.len(), b.shape, v.len()),
            ));
        }
    }
    let unmatched_inf =
        |new: &[f64], old: &[f64]| new.iter().zip(old).any(|(n, o)| (n.is_infinite() || o.is_infinite()) && n != o);
    if unmatched_inf(min, &b.low) || unmatched_inf(max, &b.high) {
        return Err(bad_param(
            "min_action",
            "for unbounded components, the target bounds must match the original infinity bounds",
        ));
    }
    if !min.iter().zip(max).all(|(lo, hi)| lo <= hi) {
        return Err(bad_param("min_action", format!("expected min_action <= max_action, got {min:?} and {max:?}")));
    }
    if !b.low.iter().zip(&b.high).all(|(lo, hi)| lo <= hi) {
        return Err(EnvError::BadSpace("RescaleAction: the action space's low exceeds its high".into()));
    }
    Ok(())
}

/// `rescale_box`'s gradient and intercept, rounded to the Box's precision `p`.
fn coefficients(b: &BoxSpace, min: &[f64], max: &[f64], p: Precision) -> (Vec<f64>, Vec<f64>) {
    let mut gradient = vec![1.0; min.len()];
    let mut intercept = vec![0.0; min.len()];
    for i in 0..min.len() {
        let (min_finite, max_finite) = (min[i].is_finite(), max[i].is_finite());
        if min_finite && max_finite {
            gradient[i] = p.round((max[i] - min[i]) / (b.high[i] - b.low[i]));
        }
        // Where both are finite, the min's formula wins (it is assigned last).
        if min_finite {
            intercept[i] = p.round(p.round(gradient[i] * -b.low[i]) + min[i]);
        } else if max_finite {
            intercept[i] = p.round(max[i] - b.high[i]);
        }
    }
    (gradient, intercept)
}

impl<E: Env> Env for RescaleAction<E> {
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn flat_space(&self) -> &Space {
        self.env.flat_space()
    }
    fn action_space(&self) -> &Space {
        &self.space
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        self.env.reset(seed, options)
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let action = self.rescale(action)?;
        self.env.step(&action)
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.env.reset_into(seed, obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        let action = self.rescale(action)?;
        self.env.step_into(&action, obs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infinite_components_match_gymnasium() {
        // Gymnasium: rescale_box(Box([-inf, -inf, 0.1], [5, inf, 0.7], float32),
        //   [-inf, -inf, -1], [1, inf, 1]) maps [0.5, 2.0, 0.25] back to [4.5, 2.0, 0.475].
        let low = [f64::NEG_INFINITY, f64::NEG_INFINITY, 0.1f32 as f64];
        let high = [5.0, f64::INFINITY, 0.7f32 as f64];
        let b = BoxSpace { low: low.to_vec(), high: high.to_vec(), shape: vec![3], dtype: DType::Float32 };
        let (min, max) = ([f64::NEG_INFINITY, f64::NEG_INFINITY, -1.0], [1.0, f64::INFINITY, 1.0]);
        check_bounds(&b, &min, &max).unwrap();
        let (g, c) = coefficients(&b, &min, &max, Precision::F32);
        assert_eq!(g, [1.0, 1.0, 3.3333335f32 as f64]);
        let back: Vec<f32> =
            [0.5, 2.0, 0.25].iter().enumerate().map(|(i, &a)| inverse(a, c[i], g[i], Precision::F32) as f32).collect();
        assert_eq!(back, [4.5, 2.0, 0.475]);
    }

    #[test]
    fn infinite_bounds_must_match() {
        let b = BoxSpace { low: vec![f64::NEG_INFINITY], high: vec![1.0], shape: vec![1], dtype: DType::Float32 };
        assert!(check_bounds(&b, &[-1.0], &[1.0]).unwrap_err().to_string().contains("infinity"));
        assert!(check_bounds(&b, &[f64::NEG_INFINITY], &[f64::INFINITY]).is_err());
        assert!(check_bounds(&b, &[f64::NEG_INFINITY], &[3.0]).is_ok());
    }
}
