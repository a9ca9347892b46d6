//! The uniform-random baseline (`algo: "random"`): the reference point for normalized scores,
//! and a learner-free [`Algorithm`] that exercises the whole platform (runs, checkpoints,
//! resume, evaluation) in tests.

use crate::seeds::mix;
use limbic_agents::core::algorithm::AlgorithmEntry;
use limbic_agents::policies::{Acting, Actor, RandomActing};
use limbic_agents::runner::EnvRunner;
use limbic_agents::AlgorithmSpec;
use limbic_agents::{AgentError, Algorithm, Update};
use limbic_environments::render::write_atomically;
use limbic_environments::vector::VecEnv;
use limbic_environments::Space;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The name configs use for it.
pub const NAME: &str = "random";

/// Its one hyperparameter: env steps per sub-env in one update (rows of `metrics.jsonl`).
const PARAMS: [&str; 1] = ["n_steps"];

/// The registry's entry.
pub const ENTRY: AlgorithmEntry = AlgorithmEntry {
    name: NAME,
    summary: "uniformly random actions: the baseline of normalized scores",
    params: &[("n_steps", "env steps per sub-env in one update")],
    defaults: || serde_json::json!({"n_steps": 128}),
    needs_demonstrations: false,
    memory: false,
    build: |spec, _| Ok(Box::new(RandomAgent::new(spec)?)),
};
const STATE_FILE: &str = "random.json";

/// Uniform-random actions. Each update's draws come from a session seeded by (seed, update
/// counter), so the whole state is a few counters and a run resumes exactly.
pub struct RandomAgent {
    action_space: Space,
    obs_dim: usize,
    state: State,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    seed: u64,
    n_steps: usize,
    updates: u64,
}

impl RandomAgent {
    pub fn new(spec: &AlgorithmSpec) -> Result<Self, AgentError> {
        let params = spec.params.as_object().ok_or_else(|| config_error("params", "expected a JSON object"))?;
        if let Some(key) = params.keys().find(|k| !PARAMS.contains(&k.as_str())) {
            return Err(config_error(
                key,
                &format!("unknown hyperparameter of `random`; valid: {}", PARAMS.join(", ")),
            ));
        }
        let n_steps = match params.get("n_steps") {
            None => 128,
            Some(v) => {
                v.as_u64().filter(|&n| n > 0).ok_or_else(|| config_error("n_steps", "expected a positive integer"))?
                    as usize
            }
        };
        let state = State { seed: spec.seed, n_steps, updates: 0 };
        let obs_dim = spec.observation_space.flat_dim().map_err(|e| AgentError::Unsupported(e.to_string()))?;
        Ok(RandomAgent { action_space: spec.action_space.clone(), obs_dim, state })
    }

    fn acting(&self) -> Box<dyn Acting> {
        Box::new(RandomActing { space: self.action_space.clone(), obs_dim: self.obs_dim })
    }
}

impl Algorithm for RandomAgent {
    fn name(&self) -> &'static str {
        NAME
    }

    fn update(&mut self, envs: &mut VecEnv) -> Result<Update, AgentError> {
        let seed = mix(mix(self.state.seed) ^ self.state.updates);
        let mut actor = Actor::new(self.acting(), envs.num_envs(), seed);
        let mut runner = EnvRunner::default();
        let mut reward_sum = 0.0;
        for _ in 0..self.state.n_steps {
            reward_sum += runner.step(envs, &mut actor)?.rewards.iter().sum::<f64>();
        }
        self.state.updates += 1;
        let env_steps = (self.state.n_steps * envs.num_envs()) as u64;
        let metrics = BTreeMap::from([("reward_per_step".to_string(), reward_sum / env_steps as f64)]);
        Ok(Update { env_steps, metrics })
    }

    fn policy(&self) -> Result<Box<dyn Acting>, AgentError> {
        Ok(self.acting())
    }

    fn save(&self, dir: &Path) -> Result<(), AgentError> {
        let text = serde_json::to_string_pretty(&self.state).map_err(|e| AgentError::Io(e.to_string()))?;
        write_atomically(&dir.join(STATE_FILE), text.as_bytes())?;
        Ok(())
    }

    fn load(&mut self, dir: &Path) -> Result<(), AgentError> {
        let path = dir.join(STATE_FILE);
        let checkpoint_error = |message: String| AgentError::Checkpoint { path: path.display().to_string(), message };
        let text = std::fs::read_to_string(&path).map_err(|e| checkpoint_error(format!("cannot read: {e}")))?;
        let state: State = serde_json::from_str(&text).map_err(|e| checkpoint_error(format!("corrupt: {e}")))?;
        if state.n_steps != self.state.n_steps {
            return Err(checkpoint_error(format!(
                "saved with n_steps {}, this run has {}",
                state.n_steps, self.state.n_steps
            )));
        }
        self.state = state;
        Ok(())
    }
}

fn config_error(field: &str, message: &str) -> AgentError {
    AgentError::Config { field: field.to_string(), message: message.to_string() }
}
