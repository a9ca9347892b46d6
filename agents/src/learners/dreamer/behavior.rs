//! Dreamer's actor and critic, trained on imagined rollouts (DreamerV3 sections 3-4).
//!
//! One step ([`Behavior::train`]), from the model states of a replayed chunk batch:
//! 1. **imagine** `horizon` steps from each start with the frozen world model and actor
//!    (actions and prior latents drawn on the host): no gradient flows through the model, so
//!    this runs without autodiff;
//! 2. rewards, continuation probabilities and the critic's values of every imagined state;
//!    `lambda`-returns `R_t = r_{t+1} + g c_{t+1} ((1 - lambda) v_{t+1} + lambda R_{t+1})`,
//!    `R_H = v_H`; trajectory weights `w_t = c_0 prod_{k=1..t} g c_k` (a state after a
//!    predicted termination counts less);
//! 3. **return normalization**: `S` = exponential moving averages (decay 0.99) of the 5th and
//!    95th percentiles of the returns, advantages `(R_t - v_t) / max(1, S_95 - S_5)`;
//! 4. **actor**: for `Discrete` actions REINFORCE, `-w_t (ln pi(a_t | s_t) sg(adv_t) + eta
//!    H[pi(s_t)])`; for `Box` actions by default the return's own gradient through the model
//!    (`-w_t (R_t / S + eta H[pi(s_t)])`, the imagined rollout rerun with autodiff and
//!    reparameterized actions), as DreamerV3's first release did (`actor_grad_cont: backprop`);
//!    its current code uses REINFORCE for both, which `continuous_actor_grad = "reinforce"`
//!    selects (at this crate's budgets it does not learn: the critic lags the returns, every
//!    advantage is negative on the negative-reward tasks and the std climbs to its bound; see
//!    BENCHMARKS.md). Adam, global-norm clip;
//! 5. **critic**: two-hot `symlog` distribution over returns: `-w_t (ln p(R_t | s_t) +
//!    slowreg ln p(v^slow_t | s_t))`, regularized towards a slow EMA copy of itself, which
//!    then moves `slow_fraction` of the way to the critic.
//!
//! Actors: categorical logits with a 1% uniform mix for `Discrete` actions; for `Box`
//! actions a Gaussian in `[-1, 1]` units (mean `tanh`, std in `[0.1, 1]`, DreamerV3's bounds),
//! samples clipped to the unit box and scaled to the env's bounds.

use crate::core::archive::Archive;
use crate::core::optim::{check_finite, polyak_update};
use crate::error::Result;
use crate::nets::blocks::Trainer;
use crate::nets::download;
use crate::world_model::math::TwoHot;
use crate::world_model::nets::MlpHead;
use crate::world_model::WorldModel;
use burn::prelude::*;
use burn::tensor::activation::{sigmoid, softmax};
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// DreamerV3's bounds of a continuous actor's standard deviation.
const MIN_STD: f64 = 0.1;
const MAX_STD: f64 = 1.0;
/// The actor's uniform mix for discrete actions.
const ACTOR_UNIMIX: f64 = 0.01;

/// What the actor outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActorKind {
    /// `n` logits.
    Discrete { n: usize },
    /// Means and standard deviations of `dim` actions in `[-1, 1]`.
    Continuous { dim: usize },
}

impl ActorKind {
    /// Numbers per encoded action (one-hot or the vector).
    pub fn width(self) -> usize {
        match self {
            ActorKind::Discrete { n } => n,
            ActorKind::Continuous { dim } => dim,
        }
    }

    fn outputs(self) -> usize {
        match self {
            ActorKind::Discrete { n } => n,
            ActorKind::Continuous { dim } => 2 * dim,
        }
    }
}

/// How a continuous actor's gradient is estimated; see the [module docs](self).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorGrad {
    /// Through the world model, from reparameterized actions.
    #[default]
    Backprop,
    /// The score function with the critic as baseline.
    Reinforce,
}

/// The policy network on model states `[h, z]`.
#[derive(Module, Debug)]
pub struct ActorNet {
    pub head: MlpHead,
    #[module(skip)]
    pub kind: ActorKind,
}

/// An action distribution's parameters on the host, one row per state.
pub struct ActorRows {
    pub kind: ActorKind,
    /// Discrete: probabilities `[N, n]` (mixed); continuous: means then stds `[N, 2 dim]`.
    pub params: Vec<f32>,
}

impl ActorNet {
    pub fn new(
        kind: ActorKind,
        features: usize,
        units: usize,
        layers: usize,
        rng: &mut Generator,
        device: &Device,
    ) -> Self {
        ActorNet { head: MlpHead::new(features, units, layers, kind.outputs(), false, rng, device), kind }
    }

    /// Discrete: mixed log-probabilities `[N, n]`; continuous: `[mean, std]` `[N, 2 dim]`.
    pub fn forward(&self, features: Tensor<2>) -> Tensor<2> {
        let out = self.head.forward(features);
        match self.kind {
            ActorKind::Discrete { n } => {
                let probs = softmax(out, 1).mul_scalar(1.0 - ACTOR_UNIMIX).add_scalar(ACTOR_UNIMIX / n as f64);
                probs.log()
            }
            ActorKind::Continuous { dim } => {
                let mean = out.clone().narrow(1, 0, dim).tanh();
                let std =
                    sigmoid(out.narrow(1, dim, dim).add_scalar(2.0)).mul_scalar(MAX_STD - MIN_STD).add_scalar(MIN_STD);
                Tensor::cat(vec![mean, std], 1)
            }
        }
    }

    /// The distribution of each row on the host.
    pub fn rows(&self, features: Tensor<2>) -> Result<ActorRows> {
        let out = self.forward(features);
        let params = match self.kind {
            ActorKind::Discrete { .. } => download(out.exp())?,
            ActorKind::Continuous { .. } => download(out)?,
        };
        Ok(ActorRows { kind: self.kind, params })
    }

    /// Continuous actors: actions `mean + std * noise` clipped to the unit box, differentiable
    /// in the actor's outputs (the noise `[N, dim]` drawn from `rng`).
    fn reparameterized(&self, features: Tensor<2>, rng: &mut Generator) -> Tensor<2> {
        let [n, _] = features.dims();
        let dim = self.kind.width();
        let out = self.forward(features);
        let noise: Vec<f32> = (0..n * dim).map(|_| rng.standard_normal() as f32).collect();
        let noise = Tensor::<2>::from_data(TensorData::new(noise, [n, dim]), &out.device());
        (out.clone().narrow(1, 0, dim) + out.narrow(1, dim, dim) * noise).clamp(-1.0, 1.0)
    }

    /// `ln pi(a | s)` `[N]` of encoded actions `[N, width]` (one-hot, or in `[-1, 1]`) and the
    /// entropy `[N]`.
    pub fn log_prob_entropy(&self, features: Tensor<2>, actions: Tensor<2>) -> (Tensor<1>, Tensor<1>) {
        let [n, _] = features.dims();
        let out = self.forward(features);
        match self.kind {
            ActorKind::Discrete { .. } => {
                let log_prob = (out.clone() * actions).sum_dim(1).reshape([n]);
                let entropy = (out.clone().exp() * out).sum_dim(1).reshape([n]).neg();
                (log_prob, entropy)
            }
            ActorKind::Continuous { dim } => {
                let (mean, std) = (out.clone().narrow(1, 0, dim), out.narrow(1, dim, dim));
                let log_std = std.clone().log();
                let z = (actions - mean) / std;
                let half_ln_2pi = crate::distributions::HALF_LN_2PI;
                let log_prob =
                    (z.square().mul_scalar(-0.5) - log_std.clone()).sub_scalar(half_ln_2pi).sum_dim(1).reshape([n]);
                let entropy = log_std.add_scalar(0.5 + half_ln_2pi).sum_dim(1).reshape([n]);
                (log_prob, entropy)
            }
        }
    }
}

impl ActorRows {
    /// Draws (or, `deterministic`, takes the mode of) each row's action, encoded for the
    /// model: one-hot, or clipped to `[-1, 1]`.
    pub fn sample(&self, deterministic: bool, rng: &mut Generator) -> Vec<f32> {
        match self.kind {
            ActorKind::Discrete { n } => {
                let rng = (!deterministic).then_some(rng);
                crate::world_model::math::one_hot_draws(&self.params, n, rng)
            }
            ActorKind::Continuous { dim } => {
                let mut out = Vec::with_capacity(self.params.len() / 2);
                for row in self.params.chunks_exact(2 * dim) {
                    let (mean, std) = row.split_at(dim);
                    for (&m, &s) in mean.iter().zip(std) {
                        let x = if deterministic { m as f64 } else { m as f64 + s as f64 * rng.standard_normal() };
                        out.push(x.clamp(-1.0, 1.0) as f32);
                    }
                }
                out
            }
        }
    }
}

/// The critic: two-hot logits of the `symlog` return.
#[derive(Module, Debug)]
pub struct CriticNet {
    pub head: MlpHead,
}

impl CriticNet {
    pub fn new(features: usize, units: usize, layers: usize, rng: &mut Generator, device: &Device) -> Self {
        CriticNet { head: MlpHead::new(features, units, layers, TwoHot::default().len(), true, rng, device) }
    }

    pub fn forward(&self, features: Tensor<2>) -> Tensor<2> {
        self.head.forward(features)
    }

    /// The predicted return of each row (host).
    pub fn value(&self, features: Tensor<2>) -> Result<Vec<f32>> {
        TwoHot::default().mean(self.forward(features))
    }
}

/// The actor-critic's settings (part of Dreamer's config).
#[derive(Clone, Debug, PartialEq)]
pub struct BehaviorConfig {
    pub horizon: usize,
    pub gamma: f64,
    pub lambda: f64,
    pub entropy_coef: f64,
    pub slow_fraction: f64,
    pub slowreg: f64,
    pub return_norm_decay: f64,
    /// Start states per step (0: every state of the chunk batch).
    pub imag_starts: usize,
    /// How a `Box` actor learns.
    pub continuous_grad: ActorGrad,
}

/// Moving 5th and 95th percentiles of the returns (DreamerV3's `perc_ema`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnNorm {
    pub low: f64,
    pub high: f64,
}

impl ReturnNorm {
    /// Moves the percentiles towards those of `returns`; returns the scale `max(1, high - low)`.
    pub fn update(&mut self, returns: &[f32], decay: f64) -> f64 {
        let mut sorted: Vec<f32> = returns.iter().copied().filter(|x| x.is_finite()).collect();
        if !sorted.is_empty() {
            sorted.sort_by(f32::total_cmp);
            let quantile = |q: f64| {
                // numpy's default (linear interpolation between the closest ranks).
                let at = q * (sorted.len() - 1) as f64;
                let (i, frac) = (at.floor() as usize, at - at.floor());
                let next = sorted[(i + 1).min(sorted.len() - 1)] as f64;
                sorted[i] as f64 * (1.0 - frac) + next * frac
            };
            self.low = decay * self.low + (1.0 - decay) * quantile(0.05);
            self.high = decay * self.high + (1.0 - decay) * quantile(0.95);
        }
        self.scale()
    }

    pub fn scale(&self) -> f64 {
        (self.high - self.low).max(1.0)
    }
}

/// An imagined batch of trajectories, on the host, time-major (row `t * N + n`).
pub struct Imagined {
    pub starts: usize,
    /// `[(H + 1) * N, features]`
    pub features: Vec<f32>,
    /// `[H * N, action]` the encoded actions taken at steps `0..H`.
    pub actions: Vec<f32>,
    /// `[(H + 1) * N]`
    pub rewards: Vec<f32>,
    pub conts: Vec<f32>,
}

/// Rolls `horizon` steps out from `starts` (`[N, deter]`, `[N, stoch_dim]`, no autodiff) with
/// `actor`; `start_conts` are the starts' continuation flags (1 - terminal).
pub fn imagine(
    model: &WorldModel,
    actor: &ActorNet,
    starts: (Tensor<2>, Tensor<2>),
    start_conts: &[f32],
    horizon: usize,
    rng: &mut Generator,
) -> Result<Imagined> {
    let [n, _] = starts.0.dims();
    let width = actor.kind.width();
    let (all, actions) = roll_out(model, starts, horizon, rng, |features, rng| {
        let chosen = actor.rows(features.clone())?.sample(false, rng);
        Ok(Tensor::from_data(TensorData::new(chosen, [n, width]), &features.device()))
    })?;
    let rewards = model.predict_reward(all.clone())?;
    let mut conts = model.predict_cont(all.clone())?;
    conts[..n].copy_from_slice(start_conts);
    Ok(Imagined { starts: n, features: download(all)?, actions, rewards, conts })
}

/// Steps the model `horizon` times from `starts` with the actions `act` chooses from each
/// state's features: every state's features `[(H + 1) * N, F]` (time-major, on the starts'
/// device, differentiable where they are) and the encoded actions on the host.
fn roll_out(
    model: &WorldModel,
    starts: (Tensor<2>, Tensor<2>),
    horizon: usize,
    rng: &mut Generator,
    mut act: impl FnMut(Tensor<2>, &mut Generator) -> Result<Tensor<2>>,
) -> Result<(Tensor<2>, Vec<f32>)> {
    let (mut deter, mut stoch) = starts;
    let mut features = vec![Tensor::cat(vec![deter.clone(), stoch.clone()], 1)];
    let mut actions = Vec::new();
    for _ in 0..horizon {
        let action = act(features.last().expect("one state").clone(), rng)?;
        actions.extend(download(action.clone().detach())?);
        (deter, stoch) = model.rssm.imagine_step(deter, stoch, action, Some(rng))?;
        features.push(Tensor::cat(vec![deter.clone(), stoch.clone()], 1));
    }
    Ok((Tensor::cat(features, 0), actions))
}

/// [`lambda_returns`]'s returns `[H * N]` as a tensor, differentiable in the rewards, the
/// continuation probabilities and the values (`[(H + 1) * N]` each).
fn lambda_return_tensor(
    rewards: Tensor<1>,
    conts: Tensor<1>,
    values: Tensor<1>,
    n: usize,
    gamma: f64,
    lambda: f64,
) -> Tensor<1> {
    let horizon = values.dims()[0] / n - 1;
    let at = |x: &Tensor<1>, t: usize| x.clone().narrow(0, t * n, n);
    let mut next = at(&values, horizon);
    let mut returns = Vec::with_capacity(horizon);
    for t in (0..horizon).rev() {
        let bootstrap = at(&values, t + 1).mul_scalar(1.0 - lambda) + next.mul_scalar(lambda);
        next = at(&rewards, t + 1) + at(&conts, t + 1).mul_scalar(gamma) * bootstrap;
        returns.push(next.clone());
    }
    returns.reverse();
    Tensor::cat(returns, 0)
}

/// `lambda`-returns `[H * N]` and trajectory weights `[H * N]` of an imagined batch with
/// values `[(H + 1) * N]`; see the [module docs](self).
pub fn lambda_returns(imagined: &Imagined, values: &[f32], gamma: f64, lambda: f64) -> (Vec<f32>, Vec<f32>) {
    let n = imagined.starts;
    let horizon = values.len() / n - 1;
    let mut returns = vec![0.0f32; horizon * n];
    let mut weights = vec![0.0f32; horizon * n];
    for i in 0..n {
        let mut next = values[horizon * n + i] as f64;
        for t in (0..horizon).rev() {
            let after = (t + 1) * n + i;
            let discount = gamma * imagined.conts[after] as f64;
            let bootstrap = (1.0 - lambda) * values[after] as f64 + lambda * next;
            next = imagined.rewards[after] as f64 + discount * bootstrap;
            returns[t * n + i] = next as f32;
        }
        let mut weight = imagined.conts[i] as f64;
        for t in 0..horizon {
            if t > 0 {
                weight *= gamma * imagined.conts[t * n + i] as f64;
            }
            weights[t * n + i] = weight as f32;
        }
    }
    (returns, weights)
}

/// The actor, the critic and its slow copy, with their optimizers; see the [module docs](self).
#[derive(Clone)]
pub struct Behavior {
    pub config: BehaviorConfig,
    pub actor: Trainer<ActorNet>,
    pub critic: Trainer<CriticNet>,
    /// The slow critic (no autodiff).
    pub slow_critic: CriticNet,
    pub return_norm: ReturnNorm,
}

impl Behavior {
    pub fn new(config: BehaviorConfig, actor: Trainer<ActorNet>, critic: Trainer<CriticNet>) -> Behavior {
        let slow_critic = critic.model.valid();
        Behavior { config, actor, critic, slow_critic, return_norm: ReturnNorm::default() }
    }

    /// One actor and one critic step on imagination from `starts`; `model` is the world model
    /// without autodiff, `trainable` the same on the autodiff device (a `Box` actor learning by
    /// backprop imagines through it); `update` names a non-finite loss.
    pub fn train(
        &mut self,
        model: &WorldModel,
        trainable: &WorldModel,
        starts: (Tensor<2>, Tensor<2>),
        start_conts: &[f32],
        rng: &mut Generator,
        update: u64,
    ) -> Result<BTreeMap<String, f64>> {
        let c = self.config.clone();
        let kind = self.actor.model.kind;
        let (imagined, differentiable) =
            if matches!(kind, ActorKind::Continuous { .. }) && c.continuous_grad == ActorGrad::Backprop {
                let (imagined, returns) = self.imagine_with_gradient(trainable, starts, start_conts, rng)?;
                (imagined, Some(returns))
            } else {
                let actor = self.actor.inference().clone();
                (imagine(model, &actor, starts, start_conts, c.horizon, rng)?, None)
            };
        let n = imagined.starts;
        let f = imagined.features.len() / ((c.horizon + 1) * n);
        let device = Device::flex();
        let all = Tensor::<2>::from_data(TensorData::new(imagined.features.clone(), [(c.horizon + 1) * n, f]), &device);
        let values = self.critic.inference().value(all.clone())?;
        let slow = self.slow_critic.value(all.narrow(0, 0, c.horizon * n))?;
        let (returns, weights) = lambda_returns(&imagined, &values, c.gamma, c.lambda);
        let scale = self.return_norm.update(&returns, c.return_norm_decay);
        let advantages: Vec<f32> =
            returns.iter().zip(&values).map(|(&r, &v)| ((r as f64 - v as f64) / scale) as f32).collect();

        // Actor and critic see the first H states as constants on the autodiff device.
        let rows = c.horizon * n;
        let ad = Device::flex().autodiff();
        let upload =
            |values: Vec<f32>, width: usize| Tensor::<2>::from_data(TensorData::new(values, [rows, width]), &ad);
        let states = upload(imagined.features[..rows * f].to_vec(), f);
        let weight = upload(weights.clone(), 1).reshape([rows]);
        let (log_prob, entropy) =
            self.actor.model.log_prob_entropy(states.clone(), upload(imagined.actions.clone(), kind.width()));
        let objective = match differentiable {
            // The return itself, its gradient through the model (the baseline is a constant).
            Some(returns) => returns.div_scalar(scale),
            None => log_prob * upload(advantages.clone(), 1).reshape([rows]),
        };
        let actor_loss = ((objective + entropy.clone().mul_scalar(c.entropy_coef)) * weight.clone()).mean().neg();
        let two_hot = TwoHot::default();
        let logits = self.critic.model.forward(states);
        let critic_loss = ((TwoHot::loss(logits.clone(), two_hot.encode_rows(&returns, &ad))
            + TwoHot::loss(logits, two_hot.encode_rows(&slow, &ad)).mul_scalar(c.slowreg))
            * weight)
            .mean();
        let entropy = download(entropy.inner().mean())?[0] as f64;
        let actor_value = self.actor.step(actor_loss, "actor/loss").map_err(|e| renumber(e, update))?;
        let critic_value = self.critic.step(critic_loss, "critic/loss").map_err(|e| renumber(e, update))?;
        self.slow_critic = polyak_update(&self.slow_critic, &self.critic.model, c.slow_fraction);

        let mean = |x: &[f32]| x.iter().map(|&v| v as f64).sum::<f64>() / x.len().max(1) as f64;
        let mut metrics = BTreeMap::new();
        metrics.insert("actor/loss".into(), actor_value);
        metrics.insert("actor/entropy".into(), check_finite(entropy, "actor/entropy", update)?);
        metrics.insert("actor/grad_norm".into(), self.actor.last_grad_norm());
        metrics.insert("critic/loss".into(), critic_value);
        metrics.insert("critic/grad_norm".into(), self.critic.last_grad_norm());
        metrics.insert("critic/value".into(), mean(&values[..rows]));
        metrics.insert("imagined/return".into(), mean(&returns));
        metrics.insert("imagined/reward".into(), mean(&imagined.rewards[n..]));
        metrics.insert("imagined/cont".into(), mean(&imagined.conts[n..]));
        metrics.insert("imagined/advantage".into(), mean(&advantages));
        metrics.insert("return_scale".into(), scale);
        Ok(metrics)
    }

    /// The imagined batch of a `Box` actor learning by backprop: the rollout with autodiff
    /// through `model` (on the autodiff device) and reparameterized actions, and its
    /// `lambda`-returns `[H * N]` as a tensor differentiable in the actor.
    fn imagine_with_gradient(
        &self,
        model: &WorldModel,
        starts: (Tensor<2>, Tensor<2>),
        start_conts: &[f32],
        rng: &mut Generator,
    ) -> Result<(Imagined, Tensor<1>)> {
        let c = &self.config;
        let ad = Device::flex().autodiff();
        let lift = |x: Tensor<2>| -> Result<Tensor<2>> {
            let dims = x.dims();
            Ok(Tensor::from_data(TensorData::new(download(x)?, dims), &ad))
        };
        let [n, _] = starts.0.dims();
        let actor = &self.actor.model;
        let (all, actions) = roll_out(model, (lift(starts.0)?, lift(starts.1)?), c.horizon, rng, |features, rng| {
            Ok(actor.reparameterized(features, rng))
        })?;
        let two_hot = TwoHot::default();
        let rewards = two_hot.mean_tensor(model.reward.forward(all.clone()));
        let conts = sigmoid(model.cont.forward(all.clone())).reshape([(c.horizon + 1) * n]);
        let values = two_hot.mean_tensor(self.critic.model.forward(all.clone()));
        let returns = lambda_return_tensor(rewards.clone(), conts.clone(), values, n, c.gamma, c.lambda);
        let mut host_conts = download(conts.detach())?;
        host_conts[..n].copy_from_slice(start_conts);
        let imagined = Imagined {
            starts: n,
            features: download(all.detach())?,
            actions,
            rewards: download(rewards.detach())?,
            conts: host_conts,
        };
        Ok((imagined, returns))
    }

    /// Everything into `archive`.
    pub fn save(&self, archive: &mut Archive) -> Result<()> {
        self.actor.save("actor", archive)?;
        self.critic.save("critic", archive)?;
        archive.put_module("slow_critic", &self.slow_critic)?;
        archive.put_json("return_norm", &self.return_norm)
    }

    /// Restores what [`Behavior::save`] wrote; nothing changes on error.
    pub fn load(&mut self, archive: &Archive) -> Result<()> {
        let (mut actor, mut critic) = (self.actor.clone(), self.critic.clone());
        actor.load("actor", archive)?;
        critic.load("critic", archive)?;
        let slow_critic = archive.module("slow_critic", self.slow_critic.clone())?;
        let return_norm = archive.json("return_norm")?;
        (self.actor, self.critic, self.slow_critic, self.return_norm) = (actor, critic, slow_critic, return_norm);
        Ok(())
    }
}

/// `error` with Dreamer's update number where it names a non-finite quantity.
pub fn renumber(error: crate::error::AgentError, update: u64) -> crate::error::AgentError {
    match error {
        crate::error::AgentError::NonFinite { quantity, value, .. } => {
            crate::error::AgentError::NonFinite { update, quantity, value }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_returns_match_a_hand_computation() {
        // Two starts, horizon 2; start 1 terminates at step 1 (cont 0).
        let imagined = Imagined {
            starts: 2,
            features: Vec::new(),
            actions: Vec::new(),
            rewards: vec![0.0, 0.0, 1.0, 2.0, 3.0, 4.0],
            conts: vec![1.0, 1.0, 1.0, 0.0, 1.0, 1.0],
        };
        let values = [10.0f32, 20.0, 30.0, 40.0, 50.0, 60.0];
        let (g, l) = (0.9f64, 0.5f64);
        let (returns, weights) = lambda_returns(&imagined, &values, g, l);
        // Start 0: R_2 = v_2 = 50; R_1 = r_2 + g c_2 ((1-l) v_2 + l R_2) = 3 + 0.9 * 50 = 48;
        // R_0 = r_1 + g c_1 ((1-l) v_1 + l R_1) = 1 + 0.9 (15 + 24) = 36.1.
        assert!((returns[2] - 48.0).abs() < 1e-4 && (returns[0] - 36.1).abs() < 1e-4, "{returns:?}");
        // Start 1: R_1 = 4 + 0.9 * 60 = 58; R_0 = 2 + 0.9 * 0 * ... = 2.
        assert!((returns[3] - 58.0).abs() < 1e-4 && (returns[1] - 2.0).abs() < 1e-6, "{returns:?}");
        // Weights: w_0 = c_0, w_1 = c_0 g c_1.
        assert_eq!(weights, [1.0, 1.0, 0.9, 0.0]);
    }

    #[test]
    fn the_differentiable_returns_equal_the_host_ones() {
        let imagined = Imagined {
            starts: 2,
            features: Vec::new(),
            actions: Vec::new(),
            rewards: vec![0.0, 0.0, 1.0, 2.0, 3.0, 4.0],
            conts: vec![1.0, 1.0, 0.5, 0.0, 1.0, 0.9],
        };
        let values = [10.0f32, 20.0, 30.0, 40.0, 50.0, 60.0];
        let (host, _) = lambda_returns(&imagined, &values, 0.9, 0.5);
        let device = Device::flex();
        let tensor = |x: &[f32]| Tensor::<1>::from_data(TensorData::new(x.to_vec(), [x.len()]), &device);
        let (rewards, conts) = (tensor(&imagined.rewards), tensor(&imagined.conts));
        let returns = download(lambda_return_tensor(rewards, conts, tensor(&values), 2, 0.9, 0.5)).unwrap();
        assert_eq!(returns.len(), host.len());
        for (a, b) in returns.iter().zip(&host) {
            assert!((a - b).abs() < 1e-4, "{returns:?} != {host:?}");
        }
    }

    #[test]
    fn return_norm_tracks_the_percentile_range_and_never_scales_up() {
        let mut norm = ReturnNorm::default();
        let returns: Vec<f32> = (0..=100).map(|i| i as f32).collect();
        let scale = norm.update(&returns, 0.0);
        assert!((norm.low - 5.0).abs() < 1e-9 && (norm.high - 95.0).abs() < 1e-9 && (scale - 90.0).abs() < 1e-9);
        let scale = norm.update(&[0.0, 0.1], 0.5);
        assert!((scale - ((47.5 + 0.5 * 0.095) - (2.5 + 0.5 * 0.005))).abs() < 1e-6, "{scale}");
        let mut small = ReturnNorm::default();
        assert_eq!(small.update(&[0.0, 0.5], 0.0), 1.0, "returns within 1 are not scaled up");
    }

    #[test]
    fn actor_distributions_sample_and_score() {
        let device = Device::flex();
        let mut rng = Generator::from_seed(0);
        let discrete = ActorNet::new(ActorKind::Discrete { n: 3 }, 4, 8, 1, &mut rng, &device);
        let features = Tensor::<2>::ones([2, 4], &device);
        let rows = discrete.rows(features.clone()).unwrap();
        for row in rows.params.chunks(3) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5 && row.iter().all(|&p| p >= 0.01 / 3.0 - 1e-6));
        }
        let actions = rows.sample(false, &mut rng);
        assert_eq!(actions.iter().sum::<f32>(), 2.0);
        let (log_prob, entropy) =
            discrete.log_prob_entropy(features.clone(), Tensor::from_data(TensorData::new(actions, [2, 3]), &device));
        assert!(download(log_prob).unwrap().iter().all(|&lp| lp < 0.0));
        assert!(download(entropy).unwrap().iter().all(|&h| h > 0.0 && h <= 3f32.ln() + 1e-5));
        let continuous = ActorNet::new(ActorKind::Continuous { dim: 2 }, 4, 8, 1, &mut rng, &device);
        let rows = continuous.rows(features.clone()).unwrap();
        for row in rows.params.chunks(4) {
            assert!(row[..2].iter().all(|m| m.abs() <= 1.0) && row[2..].iter().all(|&s| (0.1..=1.0).contains(&s)));
        }
        let sampled = rows.sample(false, &mut rng);
        assert!(sampled.iter().all(|a| a.abs() <= 1.0));
        let mode = rows.sample(true, &mut rng);
        assert_eq!(mode, [rows.params[0], rows.params[1], rows.params[4], rows.params[5]]);
        // The log-density at the mean is -sum(ln std) - dim ln(2 pi)/2.
        let (log_prob, _) =
            continuous.log_prob_entropy(features, Tensor::from_data(TensorData::new(mode, [2, 2]), &device));
        let expected =
            -(rows.params[2] as f64).ln() - (rows.params[3] as f64).ln() - 2.0 * crate::distributions::HALF_LN_2PI;
        assert!((download(log_prob).unwrap()[0] as f64 - expected).abs() < 1e-4);
    }
}
