//! SQIL (Reddy, Dragan & Levine 2019, "SQIL: Imitation Learning via Reinforcement Learning
//! with Sparse Rewards") on [`Dqn`].
//!
//! The demonstrations sit in their own replay buffer with reward 1 on every transition; the
//! agent's own transitions keep going into DQN's buffer and are replayed with reward 0
//! (whatever the env paid). Each gradient step's batch is half demonstrations
//! (`batch_size / 2`, rounded down) and half the agent's transitions, as in the paper and in
//! `imitation`'s `SQILReplayBuffer`; everything else is DQN as configured
//! ([`DqnConfig`](crate::learners::dqn::DqnConfig)'s params: exploration, targets, n-step returns; a demonstration episode's last step counts as
//! a truncation when it has neither flag, so n-step sums close there).
//!
//! The paper's agent is soft Q-learning; like `imitation` we use DQN's hard max. Terminal
//! demonstration steps do not bootstrap (DQN's rule), as in `imitation` (the paper's absorbing
//! state is not modelled).
//!
//! **Checkpoints**: `sqil_demos.json` + `sqil_demos.bin` (the demonstration buffer, with its own
//! checksum), then DQN's files with `state.json` last.

use super::Demonstrations;
use crate::buffers::replay::{BatchLayout, ReplayBuffer, ReplayConfig};
use crate::core::algorithm::{defaults_json, Algorithm, AlgorithmEntry, AlgorithmSpec, Update};
use crate::core::checkpoint::{checkpoint_error, read_file};
use crate::core::config::invalid;
use crate::error::{AgentError, Result};
use crate::learners::dqn::{BatchSampler, Dqn, DqnConfig};
use crate::policies::{Acting, ActionKind};
use limbic_environments::rng::Generator;
use limbic_environments::vector::VecEnv;
use std::path::Path;
use std::sync::Arc;

/// The registry's entry (built without demonstrations, SQIL can only load a checkpoint and
/// act; `limbic imitate` trains it).
pub const ENTRY: AlgorithmEntry = AlgorithmEntry {
    name: "sqil",
    summary: "SQIL (Reddy et al. 2019) on DQN: demonstrations rewarded 1, the agent's transitions 0",
    params: crate::learners::dqn::ENTRY.params,
    defaults: || defaults_json(&DqnConfig::default()),
    needs_demonstrations: true,
    memory: false,
    build: |spec, _| Ok(Box::new(Sqil::without_demonstrations(spec)?)),
};

/// Stem of the demonstration buffer's files in a checkpoint.
const DEMOS_STEM: &str = "sqil_demos";

/// A SQIL learner; see the [module docs](self).
pub struct Sqil {
    dqn: Dqn,
    /// The demonstrations (reward 1), shared with DQN's batch sampler.
    demos: Option<Arc<ReplayBuffer>>,
}

/// DQN's batches half from the demonstrations, half from the agent's replay.
struct SqilSampler(Arc<ReplayBuffer>);

impl BatchSampler for SqilSampler {
    fn sample(&self, replay: &ReplayBuffer, batch: usize, rng: &mut Generator, rows: &mut Vec<f32>) -> BatchLayout {
        sample_batch(&self.0, replay, batch, rng, rows)
    }
}

impl Sqil {
    /// A learner for `spec` (params: [`DqnConfig`]) imitating `demos`.
    pub fn new(spec: &AlgorithmSpec, demos: &Demonstrations) -> Result<Self> {
        let mut sqil = Sqil::without_demonstrations(spec)?;
        let buffer = demo_buffer(sqil.dqn.replay_config(), demos)?;
        sqil.set_demonstrations(buffer);
        Ok(sqil)
    }

    /// A learner whose demonstrations come with [`Algorithm::load`] (to act, or resume).
    pub fn without_demonstrations(spec: &AlgorithmSpec) -> Result<Self> {
        Ok(Sqil { dqn: Dqn::new(spec)?, demos: None })
    }

    fn set_demonstrations(&mut self, buffer: ReplayBuffer) {
        let demos = Arc::new(buffer);
        self.dqn.set_sampler(Box::new(SqilSampler(demos.clone())));
        self.demos = Some(demos);
    }

    pub fn dqn(&self) -> &Dqn {
        &self.dqn
    }
}

/// The demonstrations in a replay buffer of DQN's shape (one feeding env), reward 1 each.
fn demo_buffer(agent: &ReplayConfig, demos: &Demonstrations) -> Result<ReplayBuffer> {
    if demos.is_empty() {
        return Err(invalid("demonstrations", "no transitions"));
    }
    if demos.obs_dim() != agent.obs_dim {
        return Err(invalid(
            "demonstrations",
            format!("rows of {} numbers, the Q-network reads {}", demos.obs_dim(), agent.obs_dim),
        ));
    }
    let n = agent.action.sampled_width();
    match demos.action_kind() {
        ActionKind::Discrete { n: m, .. } if *m == n => {}
        other => return Err(invalid("demonstrations", format!("actions {other:?}, DQN has Discrete({n})"))),
    }
    let config = ReplayConfig { capacity: demos.len(), num_envs: 1, parts: 0, ..agent.clone() };
    let mut buffer = ReplayBuffer::new(config)?;
    for e in 0..demos.num_episodes() {
        let steps = demos.episode(e);
        let last = steps.end - 1;
        for i in steps {
            let truncated = demos.truncated()[i] || (i == last && !demos.terminated()[i]);
            let (obs, next) = (demos.obs_row(i), demos.next_obs_row(i));
            buffer.add(0, obs, demos.action_row(i), 1.0, next, demos.terminated()[i], truncated);
        }
    }
    Ok(buffer)
}

/// A SQIL batch into `rows` (DQN's row layout): `batch / 2` demonstration rows (reward 1),
/// then the agent's rows with their reward set to 0.
fn sample_batch(
    demos: &ReplayBuffer,
    agent: &ReplayBuffer,
    batch: usize,
    rng: &mut Generator,
    rows: &mut Vec<f32>,
) -> BatchLayout {
    let expert = batch / 2;
    let mut agent_rows = Vec::new();
    let layout = agent.sample(batch - expert, rng, &mut agent_rows);
    let reward = 2 * layout.obs_dim + layout.action_dim;
    for row in agent_rows.chunks_exact_mut(layout.width) {
        row[reward] = 0.0;
    }
    if expert > 0 {
        demos.sample(expert, rng, rows);
    } else {
        rows.clear();
    }
    rows.extend_from_slice(&agent_rows);
    BatchLayout { batch, ..layout }
}

impl Algorithm for Sqil {
    fn name(&self) -> &'static str {
        "sqil"
    }

    fn update(&mut self, envs: &mut VecEnv) -> Result<Update> {
        if self.demos.is_none() {
            return Err(AgentError::Unsupported("sqil needs demonstrations: build it with Sqil::new".into()));
        }
        self.dqn.update(envs)
    }

    fn policy(&self) -> Result<Box<dyn Acting>> {
        self.dqn.policy()
    }

    fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| AgentError::Io(format!("cannot create {}: {e}", dir.display())))?;
        if let Some(demos) = &self.demos {
            demos.save(dir, DEMOS_STEM)?;
        }
        self.dqn.save(dir)
    }

    fn load(&mut self, dir: &Path) -> Result<()> {
        let header = read_file(&dir.join(format!("{DEMOS_STEM}.json")))?;
        let config: serde_json::Value = serde_json::from_slice(&header)
            .map_err(|e| checkpoint_error(&dir.join(format!("{DEMOS_STEM}.json")), e.to_string()))?;
        let capacity = config["config"]["capacity"].as_u64().unwrap_or(0) as usize;
        let expected = ReplayConfig { capacity, num_envs: 1, parts: 0, ..self.dqn.replay_config().clone() };
        let demos = ReplayBuffer::load(dir, DEMOS_STEM, &expected)?;
        self.dqn.load(dir)?;
        self.set_demonstrations(demos);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imitation::fixtures::{cartpole_expert, mean_return, record};
    use limbic_environments::Kwargs;

    fn params() -> serde_json::Value {
        serde_json::json!({
            "learning_rate": 1e-3, "batch_size": 64, "learning_starts": 200, "train_freq": 1,
            "gradient_steps": 1, "target_update_interval": 250, "exploration_fraction": 0.2,
            "buffer_size": 10_000,
        })
    }

    fn cartpole() -> VecEnv {
        let mut envs = VecEnv::make("CartPole-v1", 1, &Kwargs::new()).unwrap();
        envs.reset(Some(0)).unwrap();
        envs
    }

    fn spec<'a>(envs: &'a VecEnv, params: &'a serde_json::Value, total_steps: u64) -> AlgorithmSpec<'a> {
        AlgorithmSpec {
            algo: "sqil",
            params,
            policy: &crate::policies::FEED_FORWARD,
            observation_space: envs.observation_space(),
            action_space: envs.action_space(),
            num_envs: 1,
            total_steps,
            seed: 0,
        }
    }

    #[test]
    fn batches_are_half_demonstrations_with_reward_one() {
        let (demos, _) = record("CartPole-v1", 1, 0, cartpole_expert);
        let envs = cartpole();
        let params = params();
        let sqil = Sqil::new(&spec(&envs, &params, 1000), &demos).unwrap();
        let demo_buffer = sqil.demos.as_deref().unwrap();
        assert_eq!(demo_buffer.len(), demos.len());
        let mut agent = ReplayBuffer::new(sqil.dqn.replay_config().clone()).unwrap();
        agent.add(0, &[9.0; 4], &[1.0], 5.0, &[9.0; 4], false, false);
        let mut rows = Vec::new();
        let layout = sample_batch(demo_buffer, &agent, 7, &mut Generator::from_seed(0), &mut rows);
        assert_eq!((layout.batch, rows.len()), (7, 7 * layout.width));
        let reward = 2 * layout.obs_dim + layout.action_dim;
        for (i, row) in rows.chunks_exact(layout.width).enumerate() {
            let from_agent = row[0] == 9.0;
            assert_eq!(from_agent, i >= 3, "3 demonstration rows, then 4 of the agent's");
            assert_eq!(row[reward], if from_agent { 0.0 } else { 1.0 });
        }
    }

    #[test]
    fn learns_cartpole_from_expert_demonstrations() {
        let (demos, _) = record("CartPole-v1", 4, 0, cartpole_expert);
        let (held_out, _) = record("CartPole-v1", 2, 100, cartpole_expert);
        let mut envs = cartpole();
        let params = params();
        let total = 6_000;
        let mut sqil = Sqil::new(&spec(&envs, &params, total), &demos).unwrap();
        let mut steps = 0;
        while steps < total {
            steps += sqil.update(&mut envs).unwrap().env_steps;
        }
        let actions = crate::policies::acting::act_once(&sqil, held_out.observations(), true);
        let agree = actions.iter().enumerate().filter(|(i, a)| a.as_int() == Some(held_out.action_row(*i)[0] as i64));
        let agreement = agree.count() as f64 / held_out.len() as f64;
        let score = mean_return(&sqil, "CartPole-v1", 3, 1000);
        eprintln!("SQIL after {steps} steps: agreement with the expert {agreement:.3}, mean return {score}");
        assert!(agreement > 0.7, "{agreement}");
        // A uniformly random policy averages about 22.
        assert!(score > 150.0, "{score}");
    }

    #[test]
    fn checkpoint_keeps_the_demonstrations() {
        let (demos, _) = record("CartPole-v1", 1, 0, cartpole_expert);
        let (mut envs_a, mut envs_b) = (cartpole(), cartpole());
        let params = params();
        let mut a = Sqil::new(&spec(&envs_a, &params, 2000), &demos).unwrap();
        let mut b = Sqil::new(&spec(&envs_b, &params, 2000), &demos).unwrap();
        for _ in 0..300 {
            assert_eq!(a.update(&mut envs_a).unwrap(), b.update(&mut envs_b).unwrap());
        }
        let dir = crate::core::checkpoint::tests::scratch_dir("sqil");
        a.save(&dir).unwrap();
        let mut resumed = Sqil::without_demonstrations(&spec(&envs_b, &params, 2000)).unwrap();
        assert!(resumed.update(&mut cartpole()).unwrap_err().to_string().contains("demonstrations"));
        resumed.load(&dir).unwrap();
        for _ in 0..20 {
            assert_eq!(a.update(&mut envs_a).unwrap(), resumed.update(&mut envs_b).unwrap());
        }
        std::fs::write(dir.join("sqil_demos.bin"), b"x").unwrap();
        assert!(resumed.load(&dir).unwrap_err().to_string().contains("sqil_demos.bin"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
