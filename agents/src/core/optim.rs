//! What every gradient learner shares around its optimizer step: global-norm gradient clipping,
//! target-network averaging, finiteness checks and the running means of per-step diagnostics.

use crate::error::{AgentError, Result};
use crate::nets::download;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use std::collections::BTreeMap;

/// Adam's epsilon in PyTorch (1e-8), which SB3's DQN and SAC and the reference intrinsic-reward
/// implementations use; burn's default is 1e-5 (PPO's, SB3 and CleanRL alike).
pub const TORCH_ADAM_EPSILON: f32 = 1e-8;

/// Fails with [`AgentError::NonFinite`] when `value` is NaN or infinite.
pub fn check_finite(value: f64, quantity: &str, update: u64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(AgentError::NonFinite { update, quantity: quantity.into(), value })
    }
}

/// Clips the gradient to a global L2 norm of `max_norm` over all parameters of `module`
/// together, as `torch.nn.utils.clip_grad_norm_` does (burn's own clipping works per tensor):
/// when the norm exceeds `max_norm`, every gradient is scaled by `max_norm / (norm + 1e-6)`.
/// Returns the norm before clipping (NaN or infinite when a gradient is; nothing is scaled then).
pub fn clip_grad_norm<M: Module>(grads: &mut GradientsParams, module: &M, max_norm: f64) -> Result<f64> {
    struct SquaredNorms<'a> {
        grads: &'a GradientsParams,
        parts: Vec<Tensor<1>>,
    }
    impl ModuleVisitor for SquaredNorms<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(grad) = self.grads.get::<D>(param.id) {
                self.parts.push(grad.square().sum());
            }
        }
    }
    struct Scale<'a> {
        grads: &'a mut GradientsParams,
        factor: f64,
    }
    impl ModuleVisitor for Scale<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(grad) = self.grads.remove::<D>(param.id) {
                self.grads.register(param.id, grad.mul_scalar(self.factor));
            }
        }
    }
    let mut norms = SquaredNorms { grads, parts: Vec::new() };
    module.visit(&mut norms);
    if norms.parts.is_empty() {
        return Ok(0.0);
    }
    // One download; the squares are summed in f64.
    let squares = download(Tensor::cat(norms.parts, 0))?;
    let norm = squares.iter().map(|&s| s as f64).sum::<f64>().sqrt();
    let factor = max_norm / (norm + 1e-6);
    if factor < 1.0 && norm.is_finite() {
        module.visit(&mut Scale { grads, factor });
    }
    Ok(norm)
}

/// Every float parameter of a module, flattened, without autodiff, in visiting order.
fn flat_params<M: Module>(module: &M) -> Vec<Tensor<1>> {
    struct Flatten(Vec<Tensor<1>>);
    impl ModuleVisitor for Flatten {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let value = param.val().inner();
            let len = value.shape().num_elements();
            self.0.push(value.reshape([len]));
        }
    }
    let mut flatten = Flatten(Vec::new());
    module.visit(&mut flatten);
    flatten.0
}

/// `target <- (1 - tau) target + tau online` for every parameter (SB3's `polyak_update`);
/// `tau = 1` copies. `online` may live on the autodiff device, `target` does not. Both must
/// have the same architecture (their parameters are paired in visiting order).
pub fn polyak_update<M: Module>(target: &M, online: &M, tau: f64) -> M {
    struct Blend {
        online: std::vec::IntoIter<Tensor<1>>,
        tau: f64,
    }
    impl ModuleMapper for Blend {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let online = self.online.next().expect("target and online networks differ");
            let tau = self.tau;
            param.map(|target| {
                let online = online.reshape(target.dims());
                if tau == 1.0 {
                    online
                } else {
                    target.mul_scalar(1.0 - tau) + online.mul_scalar(tau)
                }
            })
        }
    }
    target.clone().map(&mut Blend { online: flat_params(online).into_iter(), tau })
}

/// Sum of `|p|` over all parameters: finite exactly when every parameter is (barring overflow
/// of the sum itself, which only a diverged network reaches).
pub fn parameter_magnitude<M: Module>(module: &M) -> Result<f64> {
    let parts: Vec<Tensor<1>> = flat_params(module).into_iter().map(|p| p.abs().sum()).collect();
    if parts.is_empty() {
        return Ok(0.0);
    }
    Ok(download(Tensor::cat(parts, 0))?.iter().map(|&x| x as f64).sum())
}

/// Fails with [`AgentError::NonFinite`] (quantity `parameters`) when a parameter of `module` is
/// NaN or infinite.
pub fn check_parameters<M: Module>(module: &M, update: u64) -> Result<()> {
    check_finite(parameter_magnitude(module)?, "parameters", update).map(|_| ())
}

/// Running means of per-gradient-step diagnostics over one update.
#[derive(Clone, Debug, Default)]
pub struct Means {
    sums: BTreeMap<String, (f64, u64)>,
}

impl Means {
    pub fn add(&mut self, name: &str, value: f64) {
        let entry = self.sums.entry(name.to_string()).or_insert((0.0, 0));
        entry.0 += value;
        entry.1 += 1;
    }

    /// Steps recorded under `name`.
    pub fn count(&self, name: &str) -> u64 {
        self.sums.get(name).map_or(0, |s| s.1)
    }

    /// The mean of `name` (0 when nothing was recorded).
    pub fn mean(&self, name: &str) -> f64 {
        self.sums.get(name).map_or(0.0, |&(sum, n)| sum / n as f64)
    }

    /// Writes each mean into `metrics`.
    pub fn write_into(self, metrics: &mut BTreeMap<String, f64>) {
        for (name, (sum, count)) in self.sums {
            metrics.insert(name, sum / count as f64);
        }
    }

    /// The means as a map.
    pub fn into_map(self) -> BTreeMap<String, f64> {
        let mut metrics = BTreeMap::new();
        self.write_into(&mut metrics);
        metrics
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nets::{linear, Init};
    use burn::nn::Linear;
    use limbic_environments::rng::Generator;

    fn values(layer: &Linear) -> Vec<f32> {
        download(layer.weight.val().inner().reshape([-1])).unwrap()
    }

    #[test]
    fn hard_and_polyak_target_updates() {
        let device = Device::flex();
        let mut rng = Generator::from_seed(0);
        let online = linear(3, 2, Init::TorchDefault, &mut rng, &device.clone().autodiff());
        let target = linear(3, 2, Init::TorchDefault, &mut rng, &device);
        let (w_online, w_target) = (values(&online), values(&target));
        assert_ne!(w_online, w_target);
        // tau = 0.25: every weight moves a quarter of the way.
        let blended = polyak_update(&target, &online, 0.25);
        for ((b, o), t) in values(&blended).iter().zip(&w_online).zip(&w_target) {
            let expected = 0.75 * t + 0.25 * o;
            assert!((b - expected).abs() <= 1e-6 * (1.0 + expected.abs()), "{b} vs {expected}");
        }
        assert!(!blended.weight.val().is_autodiff(), "the target stays off the autodiff device");
        // tau = 1: an exact copy.
        let copied = polyak_update(&target, &online, 1.0);
        assert_eq!(values(&copied), w_online);
        let bias = |l: &Linear| download(l.bias.as_ref().unwrap().val().inner()).unwrap();
        assert_eq!(bias(&copied), bias(&online));
    }

    #[test]
    fn clip_grad_norm_uses_the_global_norm() {
        let device = Device::flex().autodiff();
        let mut rng = Generator::from_seed(1);
        let layer = linear(2, 1, Init::TorchDefault, &mut rng, &device);
        // loss = sum(x W + b) with x = [3, 4]: dL/dW = [3, 4], dL/db = [1]; global norm sqrt(26).
        let x = Tensor::<2>::from_data(TensorData::new(vec![3.0f32, 4.0], [1, 2]), &device);
        let grads_of = || GradientsParams::from_grads(layer.forward(x.clone()).sum().backward(), &layer);
        let grad_values = |grads: &GradientsParams| {
            let w = download(grads.get::<2>(layer.weight.id).unwrap().reshape([-1])).unwrap();
            let b = download(grads.get::<1>(layer.bias.as_ref().unwrap().id).unwrap()).unwrap();
            [w, b].concat()
        };
        let mut grads = grads_of();
        let norm = clip_grad_norm(&mut grads, &layer, 100.0).unwrap();
        assert!((norm - 26f64.sqrt()).abs() < 1e-5, "{norm}");
        assert_eq!(grad_values(&grads), [3.0, 4.0, 1.0], "under the limit nothing changes");
        let mut grads = grads_of();
        clip_grad_norm(&mut grads, &layer, 1.0).unwrap();
        let clipped = grad_values(&grads);
        let scale = 1.0 / (26f64.sqrt() + 1e-6);
        for (c, g) in clipped.iter().zip([3.0, 4.0, 1.0]) {
            assert!((*c as f64 - g * scale).abs() < 1e-6, "{clipped:?}");
        }
        // Clipping twice leaves norm 1.
        let after = clip_grad_norm(&mut grads, &layer, 1e9).unwrap();
        assert!((after - 1.0).abs() < 1e-5, "{after}");
    }

    #[test]
    fn parameter_checks_catch_nan() {
        let device = Device::flex();
        let layer = linear(2, 2, Init::TorchDefault, &mut Generator::from_seed(2), &device);
        assert!(parameter_magnitude(&layer).unwrap() > 0.0);
        check_parameters(&layer, 3).unwrap();
        let poisoned = Linear { weight: Param::from_tensor(Tensor::full([2, 2], f32::NAN, &device)), ..layer };
        let error = check_parameters(&poisoned, 3).unwrap_err();
        assert!(matches!(error, AgentError::NonFinite { update: 3, ref quantity, .. } if quantity == "parameters"));
    }

    #[test]
    fn means_average_per_name() {
        let mut means = Means::default();
        means.add("a", 1.0);
        means.add("a", 3.0);
        means.add("b", -1.0);
        assert_eq!((means.mean("a"), means.count("a"), means.mean("missing")), (2.0, 2, 0.0));
        assert_eq!(means.into_map(), BTreeMap::from([("a".into(), 2.0), ("b".into(), -1.0)]));
    }
}
