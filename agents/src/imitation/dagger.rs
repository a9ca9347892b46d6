//! DAgger (Ross, Gordon & Bagnell 2011, "A Reduction of Imitation Learning and Structured
//! Prediction to No-Regret Online Learning"), with BC as the supervised learner.
//!
//! Round `i` (from 0):
//! 1. collect at least `min_episodes_per_round` episodes and `min_steps_per_round` steps; at
//!    every step the expert labels the state, and the action taken is the expert's with
//!    probability `beta_i` (a coin per step, as `imitation`'s `InteractiveTrajectoryCollector`
//!    flips it), otherwise the current policy's most likely action;
//! 2. the labelled states join everything collected in earlier rounds (and any initial
//!    demonstrations);
//! 3. BC trains `epochs_per_round` epochs on the aggregate, continuing from its weights.
//!
//! `beta_0 = 1`, so round 0 collects pure expert demonstrations. Schedules ([`BetaSchedule`]):
//! `linear` (`imitation`'s `LinearBetaSchedule`: `beta_i = clamp((R - i) / R, 0, 1)`, default
//! `R = 15`) or `exponential` (Ross et al.'s `beta_i = p^i`).
//!
//! Collection goes through the env runner over a vector env of [`Expert`]s (an env that can
//! label its own current state: the scripted experts of `limbic-environments` are one); the
//! learner acts in its own acting session, so recurrent policies work too.

use super::bc::{Bc, BcConfig, EpochMetrics};
use super::Demonstrations;
use crate::core::algorithm::{Algorithm, AlgorithmSpec};
use crate::core::config::{invalid, parse_config};
use crate::error::{AgentError, Result};
use crate::nets::EncoderKind;
use crate::policies::{Acted, ActionKind, Actor, ActorCritic, BuildPolicy, Policy};
use crate::runner::{ActionSource, EnvRunner};
use limbic_environments::experts::ExpertEnv;
use limbic_environments::rng::Generator;
use limbic_environments::vector::VecEnv;
use limbic_environments::{Env, Value};
use serde::{Deserialize, Serialize};

/// An env that can say what its expert would do in its current state: DAgger's oracle.
/// Episodes must end (the env's time limit), or a round never finishes.
pub trait Expert: Env {
    /// The expert's action in the current state (an env action: `Value::Int` or `Value::F32`).
    fn expert_action(&mut self) -> Result<Value>;
}

impl Expert for ExpertEnv {
    fn expert_action(&mut self) -> Result<Value> {
        Ok(ExpertEnv::expert_action(self)?)
    }
}

/// How `beta`, the probability of acting with the expert, falls over rounds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BetaSchedule {
    /// `clamp((rampdown_rounds - round) / rampdown_rounds, 0, 1)` (imitation's default, 15).
    Linear { rampdown_rounds: usize },
    /// `decay^round` (Ross et al.'s `p^(i-1)` with rounds counted from 1).
    Exponential { decay: f64 },
}

impl BetaSchedule {
    /// Beta of round `round` (from 0).
    pub fn beta(&self, round: usize) -> f64 {
        match *self {
            BetaSchedule::Linear { rampdown_rounds } => {
                ((rampdown_rounds as f64 - round as f64) / rampdown_rounds as f64).clamp(0.0, 1.0)
            }
            BetaSchedule::Exponential { decay } => decay.powi(round.min(i32::MAX as usize) as i32),
        }
    }
}

/// DAgger's hyperparameters (defaults: `imitation`'s `SimpleDAggerTrainer`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaggerConfig {
    /// Rounds [`Dagger::train`] runs.
    pub rounds: usize,
    /// Episodes collected per round at least. imitation: 3.
    pub min_episodes_per_round: usize,
    /// Steps collected per round at least. imitation: 500.
    pub min_steps_per_round: usize,
    /// BC epochs on the aggregate after each round. imitation: 4.
    pub epochs_per_round: usize,
    /// Probability of acting with the expert per round.
    pub beta: BetaSchedule,
    /// The BC learner (its `validation_fraction` and `patience` are not used: rounds train a
    /// fixed number of epochs on all data).
    pub bc: BcConfig,
}

impl Default for DaggerConfig {
    fn default() -> Self {
        DaggerConfig {
            rounds: 15,
            min_episodes_per_round: 3,
            min_steps_per_round: 500,
            epochs_per_round: 4,
            beta: BetaSchedule::Linear { rampdown_rounds: 15 },
            bc: BcConfig { validation_fraction: 0.0, patience: 0, ..BcConfig::default() },
        }
    }
}

impl DaggerConfig {
    pub fn from_json(params: &serde_json::Value) -> Result<Self> {
        let config: DaggerConfig = parse_config("dagger", params)?;
        match config.beta {
            BetaSchedule::Linear { rampdown_rounds: 0 } => {
                return Err(invalid("beta.rampdown_rounds", "must be at least 1"))
            }
            BetaSchedule::Exponential { decay } if !(0.0..=1.0).contains(&decay) => {
                return Err(invalid("beta.decay", format!("{decay} is not in [0, 1]")))
            }
            _ => {}
        }
        if config.epochs_per_round == 0 || config.min_episodes_per_round == 0 {
            return Err(invalid("dagger", "epochs_per_round and min_episodes_per_round must be at least 1"));
        }
        Ok(config)
    }
}

/// What one round did.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundMetrics {
    /// From 0.
    pub round: usize,
    pub beta: f64,
    pub episodes: usize,
    pub steps: usize,
    /// Share of the round's steps on which the expert's action was taken.
    pub expert_share: f64,
    /// Mean return of the round's episodes (under the mixed policy).
    pub mean_return: f64,
    /// Transitions in the aggregate BC trained on.
    pub transitions: usize,
    /// The last BC epoch of the round.
    pub bc: EpochMetrics,
}

/// A DAgger learner; see the [module docs](self).
pub struct Dagger<P: Policy = ActorCritic> {
    config: DaggerConfig,
    bc: Bc<P>,
    data: Demonstrations,
    round: usize,
    /// Reset seeds: `seed + episodes so far`.
    seed: u64,
    episodes: u64,
    /// The per-step expert coin.
    rng: Generator,
}

impl<P: BuildPolicy> Dagger<P> {
    /// A learner for `spec` (params: [`DaggerConfig`]); `initial` demonstrations, if any, are
    /// part of the aggregate from the first round on.
    pub fn new(spec: &AlgorithmSpec, initial: Option<&Demonstrations>) -> Result<Self> {
        let config = DaggerConfig::from_json(spec.params)?;
        let bc_params = serde_json::to_value(&config.bc).map_err(|e| AgentError::Io(e.to_string()))?;
        let bc = Bc::new(&AlgorithmSpec { algo: "bc", params: &bc_params, ..spec.clone() })?;
        let obs_dim = EncoderKind::for_space(spec.observation_space)?.obs_dim();
        let mut data = Demonstrations::empty(obs_dim, ActionKind::for_space(spec.action_space)?)?;
        if let Some(initial) = initial {
            data.extend(initial)?;
        }
        let rng = Generator::from_seed(spec.seed.wrapping_add(0xda66e4));
        Ok(Dagger { config, bc, data, round: 0, seed: spec.seed, episodes: 0, rng })
    }
}

/// The round's actions: the expert's with probability `beta` (a coin per step), otherwise the
/// learner's; every state labelled with the expert's action.
struct Mixture<'a> {
    learner: Actor,
    beta: f64,
    coin: &'a mut Generator,
    /// The last step's labels, and whether the expert acted.
    labels: Vec<Value>,
    expert_acted: Vec<bool>,
}

impl<E: Expert> ActionSource<E> for Mixture<'_> {
    fn choose(&mut self, envs: &mut VecEnv<E>, obs: &[f32], starts: &[bool]) -> Result<Acted> {
        let mut acted = self.learner.act(obs, starts)?;
        self.labels.clear();
        self.expert_acted.clear();
        for (i, env) in envs.envs_mut().iter_mut().enumerate() {
            let label = env.expert_action()?;
            let expert_acts = self.coin.random() < self.beta;
            if expert_acts {
                acted.env_actions.set(i, &label)?;
            }
            self.labels.push(label);
            self.expert_acted.push(expert_acts);
        }
        Ok(acted)
    }
}

impl<P: Policy> Dagger<P> {
    pub fn config(&self) -> &DaggerConfig {
        &self.config
    }

    /// The policy trained so far (an [`Algorithm`]: act, save, load).
    pub fn policy(&self) -> &Bc<P> {
        &self.bc
    }

    pub fn into_policy(self) -> Bc<P> {
        self.bc
    }

    /// Everything collected so far.
    pub fn data(&self) -> &Demonstrations {
        &self.data
    }

    /// Rounds done.
    pub fn rounds(&self) -> usize {
        self.round
    }

    /// Runs the configured number of rounds on `envs` (one sub-env).
    pub fn train<E: Expert>(&mut self, envs: &mut VecEnv<E>) -> Result<Vec<RoundMetrics>> {
        (0..self.config.rounds).map(|_| self.round(envs)).collect()
    }

    /// One round on `envs` (one sub-env): collect with the mixed policy, aggregate, retrain BC.
    pub fn round<E: Expert>(&mut self, envs: &mut VecEnv<E>) -> Result<RoundMetrics> {
        if envs.num_envs() != 1 {
            return Err(invalid("envs", format!("DAgger steps one env at a time, got {}", envs.num_envs())));
        }
        let beta = self.config.beta.beta(self.round);
        let learner = Actor::new(self.bc.policy()?, 1, self.seed.wrapping_add(self.round as u64)).deterministic(true);
        let mut mixture = Mixture { learner, beta, coin: &mut self.rng, labels: Vec::new(), expert_acted: Vec::new() };
        let mut runner = EnvRunner::default();
        let (mut steps, mut expert_steps, mut returns) = (0usize, 0usize, Vec::new());
        while returns.len() < self.config.min_episodes_per_round || steps < self.config.min_steps_per_round {
            envs.reset(Some(self.seed.wrapping_add(self.episodes)))?;
            self.episodes += 1;
            let mut episode_return = 0.0;
            loop {
                let batch = runner.step(envs, &mut mixture)?;
                let (label, first) = (&mixture.labels[0], batch.starts[0]);
                let (terminated, truncated) = (batch.terminated[0], batch.truncated[0]);
                self.data.push(first, &batch.obs, label, batch.rewards[0], &batch.next_obs, terminated, truncated)?;
                steps += 1;
                expert_steps += mixture.expert_acted[0] as usize;
                episode_return += batch.rewards[0];
                if batch.done(0) {
                    break;
                }
            }
            returns.push(episode_return);
        }
        self.bc.set_demonstrations(&self.data)?;
        let history = self.bc.train_epochs(self.config.epochs_per_round)?;
        let bc = history.into_iter().last().ok_or_else(|| invalid("epochs_per_round", "must be at least 1"))?;
        let metrics = RoundMetrics {
            round: self.round,
            beta,
            episodes: returns.len(),
            steps,
            expert_share: expert_steps as f64 / steps as f64,
            mean_return: returns.iter().sum::<f64>() / returns.len() as f64,
            transitions: self.data.len(),
            bc,
        };
        self.round += 1;
        Ok(metrics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use limbic_environments::{DType, Space};

    #[test]
    fn beta_schedules() {
        let linear = BetaSchedule::Linear { rampdown_rounds: 15 };
        assert_eq!([0, 5, 15, 20].map(|r| linear.beta(r)), [1.0, 10.0 / 15.0, 0.0, 0.0]);
        let exponential = BetaSchedule::Exponential { decay: 0.5 };
        assert_eq!([0, 1, 3].map(|r| exponential.beta(r)), [1.0, 0.5, 0.125]);
        let config = DaggerConfig::from_json(&serde_json::json!({"beta": {"kind": "exponential", "decay": 0.8}}));
        assert_eq!(config.unwrap().beta, BetaSchedule::Exponential { decay: 0.8 });
        assert!(DaggerConfig::from_json(&serde_json::json!({"beta": {"kind": "exponential", "decay": 2.0}})).is_err());
        let error = DaggerConfig::from_json(&serde_json::json!({"round": 3})).unwrap_err().to_string();
        assert!(error.contains("rounds"), "{error}");
    }

    /// A chain of positions 0..=20 with the goal at 10. Observation `[pos / 20]`; actions
    /// 0 (left) and 1 (right); reaching the goal ends the episode with reward 1; 30 steps at
    /// most. The expert walks towards the goal. Episode `seed` starts at `seed % 21`.
    struct Chain {
        pos: i64,
        t: usize,
        spaces: (Space, Space),
    }

    const GOAL: i64 = 10;

    impl Chain {
        fn new() -> Chain {
            Chain { pos: 0, t: 0, spaces: (Space::vector_box(&[0.0], &[1.0], DType::Float32), Space::discrete(2)) }
        }

        fn obs(&self) -> Value {
            Value::F32(vec![self.pos as f32 / 20.0])
        }
    }

    impl Env for Chain {
        fn observation_space(&self) -> &Space {
            &self.spaces.0
        }
        fn action_space(&self) -> &Space {
            &self.spaces.1
        }
        fn reset(
            &mut self,
            seed: Option<u64>,
            _: &limbic_environments::Options,
        ) -> limbic_environments::Result<(Value, limbic_environments::Info)> {
            (self.pos, self.t) = ((seed.unwrap_or(0) % 21) as i64, 0);
            Ok((self.obs(), Default::default()))
        }
        fn step(&mut self, action: &Value) -> limbic_environments::Result<limbic_environments::Step> {
            self.pos = (self.pos + if action.as_int() == Some(1) { 1 } else { -1 }).clamp(0, 20);
            self.t += 1;
            let terminated = self.pos == GOAL;
            Ok(limbic_environments::Step {
                obs: self.obs(),
                reward: terminated as u8 as f64,
                terminated,
                truncated: self.t >= 30,
                info: Default::default(),
            })
        }
    }

    impl Expert for Chain {
        fn expert_action(&mut self) -> Result<Value> {
            Ok(Value::Int((self.pos < GOAL) as i64))
        }
    }

    fn chain_envs() -> VecEnv<Chain> {
        VecEnv::new(vec![Chain::new()]).unwrap()
    }

    /// Share of the 21 start positions (other than the goal) from which `policy` reaches it.
    fn success_rate(policy: &Bc) -> f64 {
        let mut chain = Chain::new();
        let starts: Vec<u64> = (0..21).filter(|&s| s != GOAL as u64).collect();
        let mut actor = Actor::new(policy.policy().unwrap(), 1, 0).deterministic(true);
        let mut successes = 0;
        for &s in &starts {
            let (mut obs, _) = chain.reset(Some(s), &Default::default()).unwrap();
            loop {
                let row = obs.as_f32().unwrap().to_vec();
                let action = actor.actions(&row, &[false]).unwrap().remove(0);
                let step = chain.step(&action).unwrap();
                if step.terminated || step.truncated {
                    successes += step.terminated as usize;
                    break;
                }
                obs = step.obs;
            }
        }
        successes as f64 / starts.len() as f64
    }

    fn spec<'a>(params: &'a serde_json::Value, obs: &'a Space, act: &'a Space) -> AlgorithmSpec<'a> {
        AlgorithmSpec {
            algo: "dagger",
            params,
            policy: &crate::policies::FEED_FORWARD,
            observation_space: obs,
            action_space: act,
            num_envs: 1,
            total_steps: 0,
            seed: 3,
        }
    }

    #[test]
    fn dagger_recovers_where_bc_from_one_narrow_demonstration_fails() {
        let obs_space = Space::vector_box(&[0.0], &[1.0], DType::Float32);
        let act_space = Space::discrete(2);
        // One expert demonstration from position 0: every label says "right".
        let mut chain = Chain::new();
        let mut demo = Demonstrations::empty(1, ActionKind::Discrete { n: 2, start: 0 }).unwrap();
        let (mut obs, _) = chain.reset(Some(0), &Default::default()).unwrap();
        for t in 0.. {
            let label = chain.expert_action().unwrap();
            let step = chain.step(&label).unwrap();
            let (row, next) = (obs.as_f32().unwrap().to_vec(), step.obs.as_f32().unwrap().to_vec());
            demo.push(t == 0, &row, &label, step.reward, &next, step.terminated, step.truncated).unwrap();
            if step.terminated {
                break;
            }
            obs = step.obs;
        }
        assert_eq!(demo.len(), 10);

        let bc_params = serde_json::json!({"learning_rate": 0.01, "validation_fraction": 0.0, "max_epochs": 60});
        let mut bc = Bc::with_demonstrations(&spec(&bc_params, &obs_space, &act_space), &demo).unwrap();
        let history = bc.fit().unwrap();
        assert!(history.last().unwrap().neglogp < 0.05, "BC fits its demonstration: {:?}", history.last());
        let bc_success = success_rate(&bc);

        // DAgger from the same demonstration: the states right of the goal get labelled.
        let params = serde_json::json!({
            "rounds": 4, "min_episodes_per_round": 5, "min_steps_per_round": 0, "epochs_per_round": 30,
            "beta": {"kind": "exponential", "decay": 0.0},
            "bc": {"learning_rate": 0.01, "validation_fraction": 0.0, "patience": 0},
        });
        let mut dagger: Dagger = Dagger::new(&spec(&params, &obs_space, &act_space), Some(&demo)).unwrap();
        let rounds = dagger.train(&mut chain_envs()).unwrap();
        assert_eq!(rounds[0].beta, 1.0);
        assert_eq!(rounds[0].expert_share, 1.0);
        assert!(rounds[1..].iter().all(|r| r.beta == 0.0 && r.expert_share == 0.0));
        assert!(rounds.windows(2).all(|w| w[1].transitions > w[0].transitions), "the data aggregates");
        let dagger_success = success_rate(dagger.policy());
        eprintln!("chain: BC success {bc_success:.2}, DAgger success {dagger_success:.2}");
        assert!(bc_success <= 0.6, "BC only saw states left of the goal: {bc_success}");
        assert_eq!(dagger_success, 1.0);
    }
}
