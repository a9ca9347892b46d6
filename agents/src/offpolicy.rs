//! What DQN and SAC share, written once: storing vector-env steps in the replay buffer (with
//! every autoreset mode), target-network updates, global-norm gradient clipping, finiteness
//! checks, the counters that schedule collection and learning, and config parsing.

use crate::error::{AgentError, Result};
use crate::nets::download;
use crate::replay::ReplayBuffer;
use crate::shaping::{RewardShaper, Transitions};
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use limbic_environments::vector::{Autoreset, VecEnv};
use limbic_environments::Options;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Parses an algorithm's hyperparameters: absent keys take their defaults; an unknown key is
/// an error that lists the valid ones (serde's `deny_unknown_fields` message).
pub fn parse_config<T: DeserializeOwned>(algo: &str, params: &serde_json::Value) -> Result<T> {
    let params = match params {
        serde_json::Value::Null => serde_json::Value::Object(Default::default()),
        other => other.clone(),
    };
    serde_json::from_value(params).map_err(|e| AgentError::Config { field: algo.into(), message: e.to_string() })
}

/// An error for a config value out of its range.
pub fn invalid(field: &str, message: impl Into<String>) -> AgentError {
    AgentError::Config { field: field.into(), message: message.into() }
}

/// Progress counters of an off-policy learner (all saved in checkpoints).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counters {
    /// Env steps taken, all sub-envs together (SB3's `num_timesteps`): `num_envs` per vector
    /// step, also for a sub-env that a NEXT_STEP autoreset only reset in that step.
    pub num_timesteps: u64,
    /// Calls to the vector env's `step` (SB3's `_n_calls`).
    pub vector_steps: u64,
    /// Calls to `update`.
    pub updates: u64,
    /// Gradient steps taken (SB3's `_n_updates`).
    pub gradient_steps: u64,
}

/// The env's actions for one vector step.
#[derive(Clone, Copy, Debug)]
pub enum EnvActions<'a> {
    Discrete(&'a [i64]),
    /// `[N, A]` row-major.
    Continuous(&'a [f32]),
}

/// Checks that `envs` is the vector env the learner was built for.
pub fn check_envs(envs: &VecEnv, obs_dim: usize, num_envs: usize) -> Result<()> {
    if envs.obs_dim() != obs_dim || envs.num_envs() != num_envs {
        return Err(AgentError::Unsupported(format!(
            "the learner was built for {num_envs} sub-envs with observation rows of {obs_dim}, \
             the vector env has {} with rows of {}",
            envs.num_envs(),
            envs.obs_dim()
        )));
    }
    Ok(())
}

/// Checks that `obs` holds whole rows of `obs_dim` numbers (at least one) for `act`.
pub fn check_obs_rows(obs: &[f32], obs_dim: usize) -> Result<()> {
    if obs.is_empty() || !obs.len().is_multiple_of(obs_dim) {
        return Err(AgentError::Unsupported(format!(
            "act needs [N, {obs_dim}] observations, got {} numbers",
            obs.len()
        )));
    }
    Ok(())
}

/// An off-policy learner's reward shaper, and the means of what it reported during the
/// current update.
///
/// Off-policy learners call the shaper once per vector step (`T = 1`: observe, then rewards,
/// which also trains the signals) and store the **sum of the streams** as the transition's
/// reward (one Q-function, no per-stream heads). Stored bonuses are not recomputed later, so
/// lifelong bonuses in the replay buffer go stale as the signal's model learns (as in
/// RLeXplore's off-policy mode).
pub struct Shaping {
    pub shaper: Box<dyn RewardShaper>,
    sums: BTreeMap<String, (f64, u32)>,
}

impl Shaping {
    pub fn new(shaper: Box<dyn RewardShaper>) -> Self {
        Shaping { shaper, sums: BTreeMap::new() }
    }

    /// The update's mean of every metric reported since the last call.
    pub fn take_metrics(&mut self) -> BTreeMap<String, f64> {
        std::mem::take(&mut self.sums).into_iter().map(|(k, (sum, n))| (k, sum / n as f64)).collect()
    }

    /// The rewards of one vector step, streams summed.
    fn step_rewards(&mut self, step: &Transitions, env_steps: u64) -> Result<Vec<f32>> {
        self.shaper.observe(step)?;
        let k = self.shaper.streams().len();
        let mut out = vec![0.0f32; step.envs * k];
        for (key, value) in self.shaper.rewards(step, env_steps, &mut out)? {
            let entry = self.sums.entry(key).or_insert((0.0, 0));
            (entry.0, entry.1) = (entry.0 + value, entry.1 + 1);
        }
        Ok(out.chunks_exact(k).map(|streams| streams.iter().sum()).collect())
    }
}

/// Steps every sub-env once and stores each real transition `(obs, action, reward, next obs,
/// terminated, truncated)` in `buffer`, with `stored` (`[N, A]`) as the buffer's form of the
/// actions and `obs` the observations the actions were chosen for.
///
/// - NEXT_STEP: a sub-env whose previous step ended its episode is reset by this step (its
///   action ignored, reward 0): no transition. On the done step itself the env returns the true
///   final observation, which becomes `next_obs`.
/// - SAME_STEP: the final observation comes from `final_obs`.
/// - DISABLED: finished sub-envs are reset here, after their last transition is stored.
///
/// With `shaping`, the stored reward is the shaper's (see [`Shaping`]), with the schedules at
/// `env_steps`.
pub fn step_and_store(
    envs: &mut VecEnv,
    obs: &[f32],
    actions: EnvActions<'_>,
    stored: &[f32],
    buffer: &mut ReplayBuffer,
    shaping: Option<&mut Shaping>,
    env_steps: u64,
) -> Result<()> {
    let (n, d) = (envs.num_envs(), envs.obs_dim());
    let a = stored.len() / n;
    let mode = envs.autoreset();
    let last = envs.last();
    let resetting: Vec<bool> =
        (0..n).map(|i| mode == Autoreset::NextStep && (last.terminated[i] || last.truncated[i])).collect();
    let step = match actions {
        EnvActions::Discrete(actions) => envs.step_discrete(actions)?,
        EnvActions::Continuous(actions) => envs.step_continuous(actions)?,
    };
    let next_row = |i: usize| {
        let rows = if step.final_mask[i] { step.final_obs } else { step.obs };
        &rows[i * d..(i + 1) * d]
    };
    let mut rewards: Vec<f32> = step.rewards.iter().map(|&r| r as f32).collect();
    if let Some(shaping) = shaping {
        let valid: Vec<bool> = resetting.iter().map(|r| !r).collect();
        let next_obs: Vec<f32> = (0..n).flat_map(next_row).copied().collect();
        let received = match actions {
            EnvActions::Discrete(_) => stored.to_vec(),
            EnvActions::Continuous(actions) => actions.to_vec(),
        };
        let env_rewards: Vec<f32> = (0..n).map(|i| if valid[i] { rewards[i] } else { 0.0 }).collect();
        let transitions = Transitions {
            steps: 1,
            envs: n,
            obs_dim: d,
            action_dim: received.len() / n,
            obs,
            actions: &received,
            rewards: &env_rewards,
            next_obs: &next_obs,
            terminated: step.terminated,
            truncated: step.truncated,
            valid: &valid,
        };
        rewards = shaping.step_rewards(&transitions, env_steps)?;
    }
    for i in (0..n).filter(|&i| !resetting[i]) {
        buffer.add(
            i,
            &obs[i * d..(i + 1) * d],
            &stored[i * a..(i + 1) * a],
            rewards[i],
            next_row(i),
            step.terminated[i],
            step.truncated[i],
        );
    }
    if mode == Autoreset::Disabled {
        let done: Vec<bool> = (0..n).map(|i| step.terminated[i] || step.truncated[i]).collect();
        if done.iter().any(|&d| d) {
            envs.reset_with(None, &Options::new(), Some(&done))?;
        }
    }
    Ok(())
}

/// Env steps `gradient_steps` stands for: SB3's `-1` means as many as were just collected.
pub fn gradient_steps(setting: i64, collected: u64) -> u64 {
    if setting < 0 {
        collected
    } else {
        setting as u64
    }
}

/// Fails with [`AgentError::NonFinite`] when `value` is NaN or infinite.
pub fn check_finite(value: f64, quantity: &str, update: u64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(AgentError::NonFinite { update, quantity: quantity.into(), value })
    }
}

/// Every float parameter of a module, flattened, without autodiff, in visiting order.
struct Flatten(Vec<Tensor<1>>);

impl ModuleVisitor for Flatten {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().inner();
        let len = value.shape().num_elements();
        self.0.push(value.reshape([len]));
    }
}

fn flat_params<M: Module>(module: &M) -> Vec<Tensor<1>> {
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
    Ok(download(Tensor::cat(parts, 0).sum())?[0] as f64)
}

/// The global L2 norm of all gradients of `module` (what `torch.nn.utils.clip_grad_norm_`
/// computes); when it exceeds `max_norm`, every gradient is scaled by
/// `max_norm / (norm + 1e-6)`, as torch does. burn's own clipping works per tensor, not on the
/// global norm. Returns the norm before clipping.
pub fn clip_grad_norm<M: Module>(grads: &mut GradientsParams, module: &M, max_norm: f64) -> Result<f64> {
    struct SquaredNorms<'a> {
        grads: &'a GradientsParams,
        parts: Vec<Tensor<1>>,
    }
    impl ModuleVisitor for SquaredNorms<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(grad) = self.grads.get::<D>(param.id) {
                let len = grad.shape().num_elements();
                self.parts.push(grad.reshape([len]).square().sum());
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
    let norm = (download(Tensor::cat(norms.parts, 0).sum())?[0] as f64).sqrt();
    let factor = max_norm / (norm + 1e-6);
    if factor < 1.0 {
        module.visit(&mut Scale { grads, factor });
    }
    Ok(norm)
}

/// Running means of per-gradient-step diagnostics over one update.
#[derive(Clone, Debug, Default)]
pub struct Means {
    sums: std::collections::BTreeMap<&'static str, (f64, u64)>,
}

impl Means {
    pub fn add(&mut self, name: &'static str, value: f64) {
        let entry = self.sums.entry(name).or_insert((0.0, 0));
        entry.0 += value;
        entry.1 += 1;
    }

    /// Writes each mean into `metrics`.
    pub fn write_into(self, metrics: &mut std::collections::BTreeMap<String, f64>) {
        for (name, (sum, count)) in self.sums {
            metrics.insert(name.into(), sum / count as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nets::{linear, Init};
    use crate::replay::{ActionLayout, ReplayConfig};
    use burn::nn::Linear;
    use limbic_environments::rng::Generator;
    use limbic_environments::Kwargs;

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
        let clipped_norm: f32 = clipped.iter().map(|g| g * g).sum::<f32>().sqrt();
        assert!((clipped_norm - 1.0).abs() < 1e-5);
    }

    fn cartpole_buffer(num_envs: usize) -> ReplayBuffer {
        let config = ReplayConfig {
            capacity: 1000,
            obs_dim: 4,
            action: ActionLayout::Discrete { n: 2 },
            num_envs,
            n_step: 1,
            gamma: 0.99,
        };
        ReplayBuffer::new(config).unwrap()
    }

    /// Pushes right for `steps` vector steps; returns the buffer and the finished episodes.
    fn collect(mode: Autoreset, steps: usize) -> (ReplayBuffer, Vec<limbic_environments::Episode>) {
        let mut envs = VecEnv::make("CartPole-v1", 2, &Kwargs::new()).unwrap().with_autoreset(mode);
        envs.reset(Some(3)).unwrap();
        let mut buffer = cartpole_buffer(2);
        for _ in 0..steps {
            let obs = envs.last().obs.to_vec();
            step_and_store(&mut envs, &obs, EnvActions::Discrete(&[1, 1]), &[1.0, 1.0], &mut buffer, None, 0).unwrap();
        }
        (buffer, envs.take_episodes())
    }

    #[test]
    fn stored_transitions_chain_and_end_with_the_final_observation() {
        for mode in [Autoreset::NextStep, Autoreset::SameStep, Autoreset::Disabled] {
            let (buffer, episodes) = collect(mode, 60);
            assert!(episodes.len() >= 4, "{mode:?}: pushing right topples the pole quickly");
            // Every stored transition is a real env step: as many as the episodes' lengths plus
            // the steps of the running episodes; each terminal one ends an episode.
            let rows = buffer.sample(2000, &mut Generator::from_seed(0), &mut Vec::new());
            assert_eq!(rows.width, 4 + 4 + 2 + 2);
            let finished: u64 = episodes.iter().map(|e| e.length).sum();
            assert!(buffer.len() as u64 >= finished && buffer.len() as u64 <= finished + 2 * 60);
            let mut data = Vec::new();
            buffer.sample(5000, &mut Generator::from_seed(0), &mut data);
            let mut terminal = 0;
            for row in data.chunks_exact(rows.width) {
                let (obs, next) = (&row[..4], &row[4..8]);
                // The cart keeps moving right and the pole keeps falling: x grows by tau * x_dot.
                assert!((next[0] - (obs[0] + 0.02 * obs[1])).abs() < 1e-5, "{mode:?}: {obs:?} -> {next:?}");
                if row[11] == 0.0 {
                    terminal += 1;
                    // The final observation is out of bounds (that is why it terminated).
                    assert!(next[2].abs() > 0.2095 || next[0].abs() > 2.4, "{mode:?}: {next:?}");
                }
            }
            assert!(terminal > 0, "{mode:?}");
        }
        // All three modes store the same transitions for the same seed.
        let (a, _) = collect(Autoreset::NextStep, 60);
        let (b, _) = collect(Autoreset::SameStep, 60);
        let (c, _) = collect(Autoreset::Disabled, 60);
        let sample = |buffer: &ReplayBuffer| {
            let mut rows = Vec::new();
            buffer.sample(50, &mut Generator::from_seed(9), &mut rows);
            rows
        };
        // NEXT_STEP spends one vector step per episode on the reset, so it stores fewer.
        assert!(a.len() < b.len());
        assert_eq!(b.len(), c.len());
        assert_eq!(sample(&b), sample(&c));
    }
}
