//! Dreamer (DreamerV3, Hafner et al. 2023): a world model learned from replayed sequences,
//! and an actor-critic trained on rollouts imagined with it.
//!
//! One [`Algorithm::update`] reads top to bottom:
//! 1. **act**: vector steps through the env runner with the acting session (whose state per
//!    row is the model state and the last action, [`acting`]); uniformly random actions until
//!    `learning_starts` env steps; every transition into the world model's sequence replay
//!    (with the reward shaper's rewards, streams summed, when the run has signals). An
//!    update takes as many vector steps as make one gradient step due at `train_ratio`;
//! 2. **learn**, as many times as the train ratio says: one world-model step on `batch_size`
//!    chunks of `seq_len` steps ([`crate::world_model`]), then one actor and one critic step
//!    on `horizon`-step rollouts imagined from every state of those chunks ([`behavior`]);
//! 3. publish the new model to the run's reward signals, if they share it; diagnostics.
//!
//! **Checkpoints**: `dreamer.bin` (the world model, its Adam moments and replay, the actor,
//! the critic and the slow critic with their optimizers, the return normalizer) and
//! `state.json` (config, counters, generators, the acting session's states), through the
//! shared [`CheckpointWriter`]; the shaper's state in `rewards/`. `load` then `update`
//! continues exactly.
//!
//! **Sharing the model**: built with a reward shaper, Dreamer offers it its world model
//! ([`RewardShaper::share_world_model`]); the model-based signals (`latent_disagreement`,
//! `model_error`) then read it instead of training a second one.

pub mod acting;
pub mod behavior;

use crate::core::algorithm::{defaults_json, Algorithm, AlgorithmEntry, AlgorithmSpec, Update};
use crate::core::archive::Archive;
use crate::core::checkpoint::{check_same_config, checkpoint_error, CheckpointReader, CheckpointWriter, RngState};
use crate::core::config::{at_least_one, invalid, parse_config, positive, unit};
use crate::core::optim::check_parameters;
use crate::error::Result;
use crate::learners::offpolicy::{check_envs, shaped_rewards, Counters, Shaping};
use crate::nets::blocks::Trainer;
use crate::policies::{Acting, Actor, SessionState};
use crate::runner::EnvRunner;
use crate::shaping::{RewardShaper, SHAPER_DIR};
use crate::world_model::{ActionInput, ReplaySettings, SharedWorldModel, WorldModelConfig, WorldModelLearner};
use acting::DreamerActing;
use behavior::{ActorGrad, ActorKind, ActorNet, Behavior, BehaviorConfig, CriticNet};
use burn::prelude::*;
use limbic_environments::rng::Generator;
use limbic_environments::vector::VecEnv;
use limbic_environments::Space;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Dreamer's hyperparameters: DreamerV3's names and values where they apply, networks sized
/// for a CPU.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DreamerConfig {
    /// The world model: `{deter, stoch, classes, units, layers, unimix, free_nats, dyn_scale,
    /// rep_scale, learning_rate, max_grad_norm}`.
    pub world_model: WorldModelConfig,
    /// Steps the sequence replay keeps, all sub-envs together (DreamerV3: 1e6).
    pub buffer_size: usize,
    /// Chunks per gradient step (16).
    pub batch_size: usize,
    /// Steps per chunk (64).
    pub seq_len: usize,
    /// Replayed steps per env step: one gradient step every `batch_size * seq_len /
    /// train_ratio` env steps.
    pub train_ratio: f64,
    /// Env steps of uniformly random actions before the first gradient step.
    pub learning_starts: u64,
    /// Imagination horizon (15).
    pub horizon: usize,
    /// Discount (1 - 1/333).
    pub gamma: f64,
    /// Return lambda (0.95).
    pub lambda: f64,
    /// Actor entropy coefficient (3e-4).
    pub entropy_coef: f64,
    /// Hidden width and layers of the actor and the critic.
    pub units: usize,
    pub layers: usize,
    /// Adam step sizes of the actor and the critic (3e-5).
    pub actor_lr: f64,
    pub critic_lr: f64,
    /// Global gradient-norm clip of the actor and of the critic (100).
    pub max_grad_norm: f64,
    /// How far the slow critic moves towards the critic after each step (0.02).
    pub slow_critic_fraction: f64,
    /// Weight of the critic's regularizer towards the slow critic (1).
    pub slowreg: f64,
    /// Decay of the return percentiles' moving averages (0.99).
    pub return_norm_decay: f64,
    /// Imagination start states per gradient step, drawn from the chunk batch's states (0:
    /// all `batch_size * seq_len`).
    pub imag_starts: usize,
    /// How an actor of `Box` actions learns: `backprop` (the return's gradient through the
    /// model) or `reinforce`.
    pub continuous_actor_grad: ActorGrad,
}

impl Default for DreamerConfig {
    fn default() -> Self {
        DreamerConfig {
            world_model: WorldModelConfig::default(),
            buffer_size: 1_000_000,
            batch_size: 16,
            seq_len: 64,
            train_ratio: 512.0,
            learning_starts: 1024,
            horizon: 15,
            gamma: 1.0 - 1.0 / 333.0,
            lambda: 0.95,
            entropy_coef: 3e-4,
            units: 128,
            layers: 2,
            actor_lr: 3e-5,
            critic_lr: 3e-5,
            max_grad_norm: 100.0,
            slow_critic_fraction: 0.02,
            slowreg: 1.0,
            return_norm_decay: 0.99,
            imag_starts: 0,
            continuous_actor_grad: ActorGrad::Backprop,
        }
    }
}

impl DreamerConfig {
    fn validate(&self) -> Result<()> {
        self.world_model.validate()?;
        self.replay().validate()?;
        for (field, value) in [("horizon", self.horizon), ("units", self.units), ("layers", self.layers)] {
            at_least_one(field, value as u64)?;
        }
        for (field, value) in
            [("gamma", self.gamma), ("lambda", self.lambda), ("return_norm_decay", self.return_norm_decay)]
        {
            unit(field, value)?;
        }
        if !(self.slow_critic_fraction > 0.0 && self.slow_critic_fraction <= 1.0) {
            return Err(invalid("slow_critic_fraction", format!("{} is not in (0, 1]", self.slow_critic_fraction)));
        }
        for (field, value) in
            [("actor_lr", self.actor_lr), ("critic_lr", self.critic_lr), ("max_grad_norm", self.max_grad_norm)]
        {
            positive(field, value)?;
        }
        for (field, value) in [("entropy_coef", self.entropy_coef), ("slowreg", self.slowreg)] {
            if !(value >= 0.0 && value.is_finite()) {
                return Err(invalid(field, format!("{value} must be a finite number >= 0")));
            }
        }
        Ok(())
    }

    fn replay(&self) -> ReplaySettings {
        ReplaySettings {
            buffer_size: self.buffer_size,
            batch_size: self.batch_size,
            seq_len: self.seq_len,
            train_ratio: self.train_ratio,
            learning_starts: self.learning_starts,
        }
    }

    fn behavior(&self) -> BehaviorConfig {
        BehaviorConfig {
            horizon: self.horizon,
            gamma: self.gamma,
            lambda: self.lambda,
            entropy_coef: self.entropy_coef,
            slow_fraction: self.slow_critic_fraction,
            slowreg: self.slowreg,
            return_norm_decay: self.return_norm_decay,
            imag_starts: self.imag_starts,
            continuous_grad: self.continuous_actor_grad,
        }
    }
}

/// The registry's entry.
pub const ENTRY: AlgorithmEntry = AlgorithmEntry {
    name: "dreamer",
    summary: "DreamerV3 (Hafner et al. 2023): RSSM world model, actor-critic trained in imagination",
    params: &[
        (
            "world_model",
            "the RSSM: {deter, stoch, classes, units, layers, unimix, free_nats, dyn_scale, rep_scale, learning_rate, max_grad_norm}",
        ),
        ("buffer_size", "steps the sequence replay keeps (all sub-envs together)"),
        ("batch_size", "chunks per gradient step"),
        ("seq_len", "steps per chunk"),
        ("train_ratio", "replayed steps per env step (batch_size * seq_len per gradient step)"),
        ("learning_starts", "env steps of uniformly random actions before learning"),
        ("horizon", "imagination horizon"),
        ("gamma", "discount factor"),
        ("lambda", "return lambda"),
        ("entropy_coef", "actor entropy coefficient"),
        ("units", "hidden width of the actor and the critic"),
        ("layers", "hidden layers of the actor and the critic"),
        ("actor_lr", "Adam step size of the actor"),
        ("critic_lr", "Adam step size of the critic"),
        ("max_grad_norm", "global gradient-norm clip of the actor and of the critic"),
        ("slow_critic_fraction", "how far the slow critic moves towards the critic per step"),
        ("slowreg", "weight of the critic's regularizer towards the slow critic"),
        ("return_norm_decay", "decay of the moving 5th/95th return percentiles"),
        ("imag_starts", "imagination starts per gradient step (0: every state of the chunk batch)"),
        ("continuous_actor_grad", "how an actor of Box actions learns: backprop (through the model) or reinforce"),
    ],
    defaults: || defaults_json(&DreamerConfig::default()),
    needs_demonstrations: false,
    memory: false,
    build: |spec, shaper| Ok(Box::new(Dreamer::with_shaper(spec, shaper)?)),
};

/// Adam's epsilon for the actor and the critic in DreamerV3 (the world model's is 1e-8).
const ACTOR_CRITIC_ADAM_EPSILON: f32 = 1e-5;

const FORMAT: &str = "limbic-dreamer-v1";
/// The archive of networks, optimizers and replay in a checkpoint.
const ARCHIVE_FILE: &str = "dreamer.bin";

/// `state.json`'s payload.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DreamerState {
    config: DreamerConfig,
    obs_dim: usize,
    num_envs: usize,
    counters: Counters,
    rng: RngState,
    collector: SessionState,
}

/// The Dreamer learner; see the [module docs](self).
pub struct Dreamer {
    config: DreamerConfig,
    model: WorldModelLearner,
    behavior: Behavior,
    actions: ActionInput,
    /// The first discrete action's env value.
    start: i64,
    collector: Actor,
    runner: EnvRunner,
    /// Imagination's draws (actions, latents, start subsets).
    rng: Generator,
    counters: Counters,
    num_envs: usize,
    /// Vector steps per update.
    steps_per_update: u64,
    shaping: Option<Shaping>,
    shared: Option<SharedWorldModel>,
}

impl Dreamer {
    pub fn new(spec: &AlgorithmSpec) -> Result<Self> {
        Self::with_shaper(spec, None)
    }

    pub fn with_shaper(spec: &AlgorithmSpec, shaper: Option<Box<dyn RewardShaper>>) -> Result<Self> {
        let config: DreamerConfig = parse_config("dreamer", spec.params)?;
        config.validate()?;
        let model = WorldModelLearner::new(
            &config.world_model,
            &config.replay(),
            spec.observation_space,
            spec.action_space,
            spec.num_envs,
            spec.seed,
        )?;
        let actions = model.actions.clone();
        let start = match spec.action_space {
            Space::Discrete { start, .. } => *start,
            _ => 0,
        };
        let kind = match &actions {
            ActionInput::OneHot { n } => ActorKind::Discrete { n: *n },
            ActionInput::Scaled { low, .. } => ActorKind::Continuous { dim: low.len() },
        };
        let mut rng = Generator::from_seed(spec.seed.wrapping_add(1));
        let device = Device::flex().autodiff();
        let features = model.trainable().dims().features();
        let (units, layers) = (config.units, config.layers);
        let actor = crate::nets::blocks::canonical(ActorNet::new(kind, features, units, layers, &mut rng, &device))?;
        let critic = crate::nets::blocks::canonical(CriticNet::new(features, units, layers, &mut rng, &device))?;
        // DreamerV3 (paper, table of hyperparameters): the actor's and critic's Adam epsilon.
        let eps = ACTOR_CRITIC_ADAM_EPSILON;
        let clip = Some(config.max_grad_norm);
        let behavior = Behavior::new(
            config.behavior(),
            Trainer::with_adam(actor, config.actor_lr, eps, clip),
            Trainer::with_adam(critic, config.critic_lr, eps, clip),
        );
        let replayed = config.replay().replayed() as f64;
        let per_vector_step = config.train_ratio * spec.num_envs as f64;
        let steps_per_update = ((replayed / per_vector_step).floor() as u64).max(1);
        let mut dreamer = Dreamer {
            collector: Actor::new(
                Box::new(placeholder(&model, &behavior, &actions, start)),
                spec.num_envs,
                spec.seed.wrapping_add(2),
            ),
            config,
            model,
            behavior,
            actions,
            start,
            runner: EnvRunner::default(),
            rng,
            counters: Counters::default(),
            num_envs: spec.num_envs,
            steps_per_update,
            shaping: shaper.map(Shaping::new),
            shared: None,
        };
        dreamer.share_with_shaper()?;
        Ok(dreamer)
    }

    /// Offers the world model to the reward shaper's signals.
    fn share_with_shaper(&mut self) -> Result<()> {
        let Some(shaping) = self.shaping.as_mut() else { return Ok(()) };
        let shared = SharedWorldModel::new(self.model.model().clone());
        let takers = shaping.shaper.share_world_model(&shared)?;
        if !takers.is_empty() {
            tracing::info!("the world model is shared with {}", takers.join(", "));
            self.shared = Some(shared);
        }
        Ok(())
    }

    pub fn config(&self) -> &DreamerConfig {
        &self.config
    }

    /// The acting policy now (`random`: uniformly random actions).
    fn acting(&mut self, random: bool) -> DreamerActing {
        DreamerActing {
            model: self.model.model().clone(),
            actor: self.behavior.actor.inference().clone(),
            actions: self.actions.clone(),
            start: self.start,
            random,
        }
    }

    /// One world-model step and one actor-critic step; adds their diagnostics to `sums`.
    fn gradient_step(&mut self, sums: &mut BTreeMap<String, (f64, u32)>) -> Result<()> {
        let update = self.counters.updates;
        let Some(step) = self.model.train_step(update)? else { return Ok(()) };
        let rows = step.batch.rows();
        let conts: Vec<f32> = step.batch.terminals.iter().map(|&t| (!t) as u8 as f32).collect();
        let (deter, stoch) = (step.observed.deter.detach().inner(), step.observed.stoch.detach().inner());
        let picked: Option<Vec<usize>> = match self.config.imag_starts {
            k if k == 0 || k >= rows => None,
            k => Some(self.rng.choice_without_replacement(rows, k)),
        };
        let (starts, start_conts) = match picked {
            None => ((deter, stoch), conts),
            Some(rows) => {
                let index = Tensor::<1, Int>::from_data(
                    TensorData::new(rows.iter().map(|&r| r as i64).collect::<Vec<_>>(), [rows.len()]),
                    &deter.device(),
                );
                let conts = rows.iter().map(|&r| conts[r]).collect();
                ((deter.select(0, index.clone()), stoch.select(0, index)), conts)
            }
        };
        let model = self.model.model().clone();
        let trainable = self.model.trainable().clone();
        let behavior = self.behavior.train(&model, &trainable, starts, &start_conts, &mut self.rng, update)?;
        for (key, value) in step.metrics.into_iter().chain(behavior) {
            let entry = sums.entry(key).or_insert((0.0, 0));
            (entry.0, entry.1) = (entry.0 + value, entry.1 + 1);
        }
        self.counters.gradient_steps += 1;
        Ok(())
    }
}

/// The acting policy of a learner being built (the collector is created before `self`).
fn placeholder(model: &WorldModelLearner, behavior: &Behavior, actions: &ActionInput, start: i64) -> DreamerActing {
    DreamerActing {
        model: model.trainable().valid(),
        actor: behavior.actor.model.valid(),
        actions: actions.clone(),
        start,
        random: true,
    }
}

impl Algorithm for Dreamer {
    fn name(&self) -> &'static str {
        "dreamer"
    }

    fn update(&mut self, envs: &mut VecEnv) -> Result<Update> {
        check_envs(envs, self.model.obs_dim(), self.num_envs)?;
        self.counters.updates += 1;
        let n = self.num_envs as u64;

        // 1. Act and record.
        let random = self.counters.num_timesteps < self.config.learning_starts;
        let acting = self.acting(random);
        self.collector.set_policy(Box::new(acting))?;
        for _ in 0..self.steps_per_update {
            let batch = self.runner.step(envs, &mut self.collector)?;
            let rewards = shaped_rewards(&batch, self.shaping.as_mut(), self.counters.num_timesteps)?;
            let d = self.model.obs_dim();
            let a = self.actions.env_width();
            for i in (0..batch.rows()).filter(|&i| batch.is_transition(i)) {
                self.model.add(
                    i,
                    &batch.raw_obs[i * d..(i + 1) * d],
                    &batch.acted.actions[i * a..(i + 1) * a],
                    rewards[i],
                    &batch.next_obs[i * d..(i + 1) * d],
                    batch.terminated[i],
                    batch.truncated[i],
                )?;
            }
            self.counters.num_timesteps += n;
            self.counters.vector_steps += 1;
        }
        let collected = self.steps_per_update * n;

        // 2. Learn as often as the train ratio says.
        let mut sums = BTreeMap::new();
        let due = self.model.due(collected, self.counters.num_timesteps);
        for _ in 0..due {
            self.gradient_step(&mut sums)?;
        }
        if due > 0 {
            self.model.check_parameters(self.counters.updates)?;
            check_parameters(&self.behavior.actor.model, self.counters.updates)?;
            check_parameters(&self.behavior.critic.model, self.counters.updates)?;
            // 3. Publish the model to the signals that read it.
            if let Some(shared) = &self.shared {
                shared.set(self.model.model().clone());
            }
        }

        let mut metrics: BTreeMap<String, f64> =
            sums.into_iter().map(|(k, (sum, count))| (k, sum / count as f64)).collect();
        if let Some(shaping) = self.shaping.as_mut() {
            metrics.extend(shaping.take_metrics());
        }
        metrics.insert("gradient_steps".into(), self.counters.gradient_steps as f64);
        let replayed = (self.counters.gradient_steps * self.config.replay().replayed() as u64) as f64;
        metrics.insert("train_ratio".into(), replayed / self.counters.num_timesteps.max(1) as f64);
        metrics.insert("replay_steps".into(), self.model.replay_len() as f64);
        Ok(Update { env_steps: collected, metrics })
    }

    /// The actor's mode on the posterior's mode (deterministic) or samples of both.
    fn policy(&self) -> Result<Box<dyn Acting>> {
        Ok(Box::new(DreamerActing {
            model: self.model.trainable().valid(),
            actor: self.behavior.actor.model.valid(),
            actions: self.actions.clone(),
            start: self.start,
            random: false,
        }))
    }

    fn world_model(&self) -> Option<crate::world_model::WorldModel> {
        Some(self.model.trainable().valid())
    }

    /// Writes `dreamer.bin` (networks, optimizers, replay, return normalizer) and, last,
    /// `state.json` (config, counters, generators, the acting session).
    fn save(&self, dir: &Path) -> Result<()> {
        let mut writer = CheckpointWriter::new(dir)?;
        let mut archive = Archive::new("dreamer");
        self.model.save(&mut archive)?;
        self.behavior.save(&mut archive)?;
        writer.bytes(ARCHIVE_FILE, &archive.encode()?)?;
        if let Some(shaping) = &self.shaping {
            shaping.shaper.save(&dir.join(SHAPER_DIR))?;
        }
        let state = DreamerState {
            config: self.config.clone(),
            obs_dim: self.model.obs_dim(),
            num_envs: self.num_envs,
            counters: self.counters,
            rng: RngState::of(&self.rng),
            collector: self.collector.save(),
        };
        writer.finish(FORMAT, &state)
    }

    /// Restores everything [`Dreamer::save`] wrote, into a learner built with the same config
    /// and spaces; nothing changes unless every file loads.
    fn load(&mut self, dir: &Path) -> Result<()> {
        let (reader, state) = CheckpointReader::open::<DreamerState>(dir, FORMAT)?;
        let state_path = reader.path(crate::core::checkpoint::STATE_FILE);
        let (saved, this) = ((state.obs_dim, state.num_envs), (self.model.obs_dim(), self.num_envs));
        if saved != this {
            let message = format!("saved for (obs_dim, num_envs) = {saved:?}, this learner has {this:?}");
            return Err(checkpoint_error(&state_path, message));
        }
        check_same_config(&state_path, &state.config, &self.config)?;
        let archive = Archive::decode("dreamer", &reader.bytes(ARCHIVE_FILE)?)
            .map_err(|e| checkpoint_error(&reader.path(ARCHIVE_FILE), e.to_string()))?;
        let rng = state.rng.restore(&state_path)?;
        let archive_error = |e: crate::error::AgentError| checkpoint_error(&reader.path(ARCHIVE_FILE), e.to_string());
        // Into copies first, so that a failure leaves this learner as it was.
        let mut model = self.model.clone();
        model.load(&archive).map_err(archive_error)?;
        let mut behavior = self.behavior.clone();
        behavior.load(&archive).map_err(archive_error)?;
        let acting = DreamerActing {
            model: model.trainable().valid(),
            actor: behavior.actor.model.valid(),
            actions: self.actions.clone(),
            start: self.start,
            random: false,
        };
        let mut collector = Actor::new(Box::new(acting), self.num_envs, 0);
        collector.restore(&state.collector, &state_path)?;
        if let Some(shaping) = self.shaping.as_mut() {
            shaping.shaper.load(&dir.join(SHAPER_DIR))?;
        }
        if let Some(shared) = &self.shared {
            shared.set(model.trainable().valid());
        }
        (self.model, self.behavior) = (model, behavior);
        (self.rng, self.collector, self.counters) = (rng, collector, state.counters);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policies::{EnvActions, FEED_FORWARD};
    use crate::AgentError;
    use limbic_environments::Kwargs;

    fn spec_for<'a>(envs: &'a VecEnv, params: &'a serde_json::Value, seed: u64) -> AlgorithmSpec<'a> {
        AlgorithmSpec {
            algo: "dreamer",
            params,
            policy: &FEED_FORWARD,
            observation_space: envs.envs()[0].flat_space(),
            action_space: envs.action_space(),
            num_envs: envs.num_envs(),
            seed,
            total_steps: 10_000,
        }
    }

    /// A model small enough to train in a test: a gradient step every 4 env steps from the
    /// 32nd on.
    fn tiny() -> serde_json::Value {
        serde_json::json!({
            "world_model": {"deter": 16, "stoch": 4, "classes": 4, "units": 16, "layers": 1},
            "units": 16, "layers": 1, "batch_size": 4, "seq_len": 8, "train_ratio": 8,
            "learning_starts": 32, "horizon": 5, "buffer_size": 1000, "imag_starts": 12,
        })
    }

    fn envs(id: &str, n: usize, seed: u64) -> VecEnv {
        let mut envs = VecEnv::make(id, n, &Kwargs::new()).unwrap();
        envs.reset(Some(seed)).unwrap();
        envs
    }

    #[test]
    fn it_trains_and_logs_every_loss_part() {
        let params = tiny();
        let mut envs = envs("CartPole-v1", 2, 0);
        let mut dreamer = Dreamer::new(&spec_for(&envs, &params, 0)).unwrap();
        let mut last = BTreeMap::new();
        for _ in 0..40 {
            last = dreamer.update(&mut envs).unwrap().metrics;
        }
        for key in ["recon", "reward", "cont", "kl_dyn", "kl_rep"] {
            let value = last[&format!("world_model/{key}")];
            assert!(value.is_finite(), "world_model/{key} = {value}");
        }
        for key in ["actor/loss", "actor/entropy", "critic/loss", "imagined/return", "return_scale"] {
            assert!(last[key].is_finite(), "{key}");
        }
        // 2 env steps a vector step, 4 env steps a gradient step: 2 vector steps an update.
        assert_eq!(dreamer.counters.num_timesteps, 160);
        assert_eq!(dreamer.counters.gradient_steps, (160 - 32 + 4) / 4);
        assert!((last["train_ratio"] - 33.0 * 32.0 / 160.0).abs() < 1e-9);
        // The free bits hold the KL losses at 1 nat at least.
        assert!(last["world_model/kl_dyn"] >= 1.0 && last["world_model/kl_rep"] >= 1.0);
    }

    #[test]
    fn checkpoint_resumes_exactly() {
        let params = tiny();
        let (mut envs_a, mut envs_b) = (envs("CartPole-v1", 2, 3), envs("CartPole-v1", 2, 3));
        let mut a = Dreamer::new(&spec_for(&envs_a, &params, 5)).unwrap();
        let mut b = Dreamer::new(&spec_for(&envs_b, &params, 5)).unwrap();
        for _ in 0..20 {
            assert_eq!(a.update(&mut envs_a).unwrap(), b.update(&mut envs_b).unwrap());
        }
        let dir = crate::core::checkpoint::tests::scratch_dir("dreamer");
        a.save(&dir).unwrap();
        let mut resumed = Dreamer::new(&spec_for(&envs_b, &params, 5)).unwrap();
        resumed.load(&dir).unwrap();
        for _ in 0..6 {
            let (ua, ub) = (a.update(&mut envs_a).unwrap(), resumed.update(&mut envs_b).unwrap());
            assert!(ua.metrics.contains_key("world_model/recon"));
            assert_eq!(ua, ub, "metrics differ after resuming");
        }
        let obs = envs_a.last().obs.to_vec();
        assert_eq!(
            crate::policies::acting::act_once(&a, &obs, false),
            crate::policies::acting::act_once(&resumed, &obs, false)
        );
        // Damage is named, and the learner is left as it was.
        let archive = std::fs::read(dir.join(ARCHIVE_FILE)).unwrap();
        let mut flipped = archive.clone();
        flipped[archive.len() / 2] ^= 0x10;
        std::fs::write(dir.join(ARCHIVE_FILE), &flipped).unwrap();
        let error = resumed.load(&dir).unwrap_err().to_string();
        assert!(error.contains(ARCHIVE_FILE) && error.contains("corrupt"), "{error}");
        let other = serde_json::json!({"world_model": {"deter": 16, "stoch": 4, "classes": 4, "units": 16, "layers": 1, "free_nats": 0.5}});
        std::fs::write(dir.join(ARCHIVE_FILE), &archive).unwrap();
        let mut different = Dreamer::new(&spec_for(&envs_b, &other, 5)).unwrap();
        let error = different.load(&dir).unwrap_err().to_string();
        assert!(error.contains("another config"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn continuous_actions_stay_in_the_box_and_minigrid_is_encoded() {
        let mut params = tiny();
        params["learning_starts"] = 8.into();
        let mut pendulum = envs("Pendulum-v1", 1, 0);
        let mut dreamer = Dreamer::new(&spec_for(&pendulum, &params, 1)).unwrap();
        for _ in 0..12 {
            dreamer.update(&mut pendulum).unwrap();
        }
        let mut actor = Actor::new(dreamer.policy().unwrap(), 1, 0);
        for _ in 0..20 {
            let acted = actor.act(pendulum.last().obs, &[false]).unwrap();
            let EnvActions::Continuous { values, .. } = &acted.env_actions else { panic!("continuous") };
            assert!(values.iter().all(|a| (-2.0..=2.0).contains(a)), "{values:?}");
        }
        // Evaluation acts for several sub-envs at once: one action each.
        let three = envs("Pendulum-v1", 3, 1);
        let acted = Actor::new(dreamer.policy().unwrap(), 3, 0).act(three.last().obs, &[true; 3]).unwrap();
        let EnvActions::Continuous { values, .. } = &acted.env_actions else { panic!("continuous") };
        assert_eq!(values.len(), 3, "{values:?}");
        let mut doorkey = envs("MiniGrid-DoorKey-5x5-v0", 2, 0);
        let mut dreamer = Dreamer::new(&spec_for(&doorkey, &params, 1)).unwrap();
        for _ in 0..8 {
            let metrics = dreamer.update(&mut doorkey).unwrap().metrics;
            if let Some(recon) = metrics.get("world_model/recon") {
                assert!(recon.is_finite() && *recon > 0.0);
            }
        }
        assert!(dreamer.counters.gradient_steps > 0);
    }

    #[test]
    fn a_box_actor_learns_through_the_model_or_by_reinforce() {
        let mut actions = Vec::new();
        for grad in ["backprop", "reinforce"] {
            let mut params = tiny();
            params["learning_starts"] = 8.into();
            params["continuous_actor_grad"] = grad.into();
            let mut pendulum = envs("Pendulum-v1", 1, 0);
            let mut dreamer = Dreamer::new(&spec_for(&pendulum, &params, 1)).unwrap();
            let mut grad_norms = Vec::new();
            for _ in 0..12 {
                grad_norms.extend(dreamer.update(&mut pendulum).unwrap().metrics.get("actor/grad_norm").copied());
            }
            assert!(
                !grad_norms.is_empty() && grad_norms.iter().all(|g| g.is_finite() && *g > 0.0),
                "{grad}: {grad_norms:?}"
            );
            actions.push(crate::policies::acting::act_once(&dreamer, &[1.0, 0.0, 0.0], true));
        }
        assert_ne!(actions[0], actions[1], "the two estimators train different actors");
        let mut params = tiny();
        params["continuous_actor_grad"] = "sideways".into();
        let pendulum = envs("Pendulum-v1", 1, 0);
        let error = Dreamer::new(&spec_for(&pendulum, &params, 0)).err().unwrap().to_string();
        assert!(error.contains("sideways") && error.contains("backprop"), "{error}");
    }

    #[test]
    fn bad_input_is_named() {
        let cartpole = envs("CartPole-v1", 4, 0);
        let mut params = tiny();
        params["seq_len"] = 300.into();
        let error = Dreamer::new(&spec_for(&cartpole, &params, 0)).err().unwrap().to_string();
        assert!(error.contains("seq_len") && error.contains("longer than the replay holds"), "{error}");
        let params = serde_json::json!({"horizon": 0});
        assert!(Dreamer::new(&spec_for(&cartpole, &params, 0)).err().unwrap().to_string().contains("horizon"));
        let params = serde_json::json!({"world_model": {"stoch_size": 3}});
        let error = Dreamer::new(&spec_for(&cartpole, &params, 0)).err().unwrap().to_string();
        assert!(error.contains("stoch_size") && error.contains("classes"), "{error}");
        // An observation space the model cannot encode is named.
        let pixels = VecEnv::make("MiniGrid-Empty-5x5-v0", 1, &Kwargs::new()).unwrap();
        let image =
            limbic_environments::Space::uniform_box(0.0, 255.0, &[40, 40, 3], limbic_environments::DType::UInt8);
        let params = tiny();
        let spec = AlgorithmSpec { observation_space: &image, ..spec_for(&pixels, &params, 0) };
        let error = Dreamer::new(&spec).err().unwrap().to_string();
        assert!(error.contains("cannot encode the observation space") && error.contains("40"), "{error}");
    }

    #[test]
    fn a_nan_loss_stops_training_with_its_name_and_update() {
        let params = tiny();
        let mut envs = envs("CartPole-v1", 1, 0);
        let mut dreamer = Dreamer::new(&spec_for(&envs, &params, 0)).unwrap();
        // A poisoned observation in the replay: every chunk through it has a NaN loss.
        let nan = [f32::NAN; 4];
        for _ in 0..64 {
            dreamer.model.add(0, &nan, &[0.0], 0.0, &nan, false, false).unwrap();
        }
        let error = (0..100).find_map(|_| dreamer.update(&mut envs).err()).expect("training stops");
        match &error {
            AgentError::NonFinite { quantity, update, .. } => {
                assert!(quantity.starts_with("world_model/"), "{error}");
                assert_eq!(*update, dreamer.counters.updates, "{error}");
            }
            other => panic!("{other}"),
        }
    }
}
