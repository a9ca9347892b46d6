//! What the off-policy learners (DQN, SAC, Dreamer) share, written once: storing the env runner's steps in the replay buffer
//! (every autoreset mode), their reward shaping, the counters that schedule collection and
//! learning, the check that a vector env fits the learner, and the replay buffer's and
//! shaper's place in a checkpoint.

use crate::buffers::replay::{ReplayBuffer, ReplayConfig};
use crate::core::checkpoint::{CheckpointReader, CheckpointWriter};
use crate::error::{AgentError, Result};
use crate::runner::StepBatch;
use crate::shaping::{RewardShaper, Transitions, SHAPER_DIR};
use limbic_environments::vector::VecEnv;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

const REPLAY_HEADER: &str = "replay.json";
const REPLAY_DATA: &str = "replay.bin";

/// Writes the replay buffer (`replay.json` + `replay.bin`) into a checkpoint, and the shaper's
/// state beside it in `dir/rewards`.
pub fn save_replay(
    writer: &mut CheckpointWriter,
    dir: &Path,
    buffer: &ReplayBuffer,
    shaping: Option<&Shaping>,
) -> Result<()> {
    let (header, bin) = buffer.encode()?;
    writer.bytes(REPLAY_HEADER, &header)?;
    writer.bytes(REPLAY_DATA, &bin)?;
    shaping.map_or(Ok(()), |shaping| shaping.shaper.save(&dir.join(SHAPER_DIR)))
}

/// Reads back what [`save_replay`] wrote: the buffer (for `config`), the shaper restored in
/// place. Call it once everything else has loaded, so a bad file changes nothing.
pub fn load_replay(
    reader: &CheckpointReader,
    dir: &Path,
    config: &ReplayConfig,
    shaping: Option<&mut Shaping>,
) -> Result<ReplayBuffer> {
    let (header, data) = (REPLAY_HEADER, REPLAY_DATA);
    let buffer = ReplayBuffer::decode(
        &reader.bytes(header)?,
        &reader.path(header),
        &reader.bytes(data)?,
        &reader.path(data),
        config,
    )?;
    if let Some(shaping) = shaping {
        shaping.shaper.load(&dir.join(SHAPER_DIR))?;
    }
    Ok(buffer)
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

/// The reward of every row of `batch` (0 for NEXT_STEP reset rows): the env's, or with
/// `shaping` the shaper's (see [`Shaping`]), with the schedules at `env_steps`.
pub fn shaped_rewards(batch: &StepBatch, shaping: Option<&mut Shaping>, env_steps: u64) -> Result<Vec<f32>> {
    let n = batch.rows();
    let valid: Vec<bool> = (0..n).map(|i| batch.is_transition(i)).collect();
    let rewards: Vec<f32> = (0..n).map(|i| if valid[i] { batch.rewards[i] as f32 } else { 0.0 }).collect();
    let Some(shaping) = shaping else { return Ok(rewards) };
    let received = match &batch.acted.env_actions {
        crate::policies::EnvActions::Continuous { values, .. } => values.clone(),
        _ => batch.acted.actions.clone(),
    };
    let transitions = Transitions {
        steps: 1,
        envs: n,
        obs_dim: batch.obs.len() / n,
        action_dim: received.len() / n,
        obs: &batch.raw_obs,
        actions: &received,
        rewards: &rewards,
        next_obs: &batch.next_obs,
        terminated: &batch.terminated,
        truncated: &batch.truncated,
        valid: &valid,
        goal_dim: 0,
        goals: &[],
        next_goals: &[],
    };
    shaping.step_rewards(&transitions, env_steps)
}

/// Stores every real transition of `batch` (`obs`, the stored action, reward, `next_obs`,
/// terminated, truncated) in `buffer`; NEXT_STEP reset rows are not transitions. With
/// `shaping`, the stored reward is the shaper's (see [`Shaping`]), with the schedules at
/// `env_steps`.
pub fn store_step(
    batch: &StepBatch,
    buffer: &mut ReplayBuffer,
    shaping: Option<&mut Shaping>,
    env_steps: u64,
) -> Result<()> {
    let n = batch.rows();
    let d = batch.obs.len() / n;
    let a = batch.acted.actions.len() / n;
    let rewards = shaped_rewards(batch, shaping, env_steps)?;
    for i in (0..n).filter(|&i| batch.is_transition(i)) {
        buffer.add(
            i,
            &batch.obs[i * d..(i + 1) * d],
            &batch.acted.actions[i * a..(i + 1) * a],
            rewards[i],
            &batch.next_obs[i * d..(i + 1) * d],
            batch.terminated[i],
            batch.truncated[i],
        );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buffers::replay::{ActionLayout, ReplayConfig};
    use crate::policies::{Acted, EnvActions};
    use crate::runner::{ActionSource, EnvRunner};
    use limbic_environments::rng::Generator;
    use limbic_environments::vector::Autoreset;
    use limbic_environments::{Env, Kwargs};

    /// Always pushes right.
    struct Right;

    impl<E: Env> ActionSource<E> for Right {
        fn choose(&mut self, _: &mut VecEnv<E>, obs: &[f32], _: &[bool]) -> Result<Acted> {
            let n = obs.len() / 4;
            Ok(Acted {
                actions: vec![1.0; n],
                env_actions: EnvActions::Discrete(vec![1; n]),
                log_probs: vec![0.0; n],
                values: Vec::new(),
                value_streams: 0,
                state_in: Vec::new(),
                state: Vec::new(),
                goals: Vec::new(),
                trace: Vec::new(),
            })
        }
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
        let mut runner = EnvRunner::default();
        for _ in 0..steps {
            let batch = runner.step(&mut envs, &mut Right).unwrap();
            store_step(&batch, &mut buffer, None, 0).unwrap();
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
