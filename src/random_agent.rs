//! The uniform-random baseline (`algo: "random"`): the reference point for normalized scores,
//! and a learner-free [`Algorithm`] that exercises the whole platform (runs, checkpoints,
//! resume, evaluation) in tests.

use crate::seeds::mix;
use limbic_agents::algorithm::AlgorithmSpec;
use limbic_agents::{AgentError, Algorithm, Update};
use limbic_environments::render::write_atomically;
use limbic_environments::rng::Generator;
use limbic_environments::vector::VecEnv;
use limbic_environments::{Space, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The name configs use for it.
pub const NAME: &str = "random";

/// Its one hyperparameter: env steps per sub-env in one update (rows of `metrics.jsonl`).
const PARAMS: [&str; 1] = ["n_steps"];
const STATE_FILE: &str = "random.json";

/// Uniform-random actions. Draws come from generators seeded by (seed, call counter), so the
/// whole state is a few counters and a run resumes exactly.
pub struct RandomAgent {
    action_space: Space,
    state: State,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    seed: u64,
    n_steps: usize,
    updates: u64,
    acts: u64,
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
        let state = State { seed: spec.seed, n_steps, updates: 0, acts: 0 };
        Ok(RandomAgent { action_space: spec.action_space.clone(), state })
    }

    /// A generator for draw number `counter` of one stream (updates or acts).
    fn generator(&self, stream: u64, counter: u64) -> Generator {
        Generator::from_seed(mix(mix(self.state.seed ^ stream) ^ counter))
    }
}

impl Algorithm for RandomAgent {
    fn name(&self) -> &'static str {
        NAME
    }

    fn update(&mut self, envs: &mut VecEnv) -> Result<Update, AgentError> {
        let mut rng = self.generator(0, self.state.updates);
        let mut reward_sum = 0.0;
        for _ in 0..self.state.n_steps {
            let actions: Vec<Value> = (0..envs.num_envs()).map(|_| self.action_space.sample(&mut rng)).collect();
            reward_sum += envs.step(&actions)?.rewards.iter().sum::<f64>();
        }
        self.state.updates += 1;
        let env_steps = (self.state.n_steps * envs.num_envs()) as u64;
        let metrics = BTreeMap::from([("reward_per_step".to_string(), reward_sum / env_steps as f64)]);
        Ok(Update { env_steps, metrics })
    }

    fn act(&mut self, obs: &[f32], episode_starts: &[bool], _deterministic: bool) -> Result<Vec<Value>, AgentError> {
        let mut rng = self.generator(1, self.state.acts);
        self.state.acts += 1;
        let rows = episode_starts.len();
        if rows == 0 || !obs.len().is_multiple_of(rows) {
            return Err(AgentError::Unsupported(format!("act: {} observation numbers for {rows} rows", obs.len())));
        }
        Ok((0..rows).map(|_| self.action_space.sample(&mut rng)).collect())
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
