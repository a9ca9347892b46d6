//! What the off-policy learners (DQN, SAC, Dreamer) share, written once: storing the env runner's steps in the replay buffer
//! (every autoreset mode), their reward shaping, the counters that schedule collection and
//! learning, the check that a vector env fits the learner, and the replay buffer's and
//! shaper's place in a checkpoint.

use crate::buffers::replay::{ReplayBuffer, ReplayConfig, Step};
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
/// reward (one Q-function, no per-stream heads). The shares of the signals the shaper
/// relabels (rewards learned from a teacher's labels) are kept apart in the replay, and when
/// such a signal's model changes every stored transition's share is scored again with the new
/// model before the next gradient step (PEBBLE, Lee et al. 2021). Other stored bonuses are not
/// recomputed, so lifelong bonuses in the replay go stale as their model learns (as in
/// RLeXplore's off-policy mode).
pub struct Shaping {
    pub shaper: Box<dyn RewardShaper>,
    sums: BTreeMap<String, (f64, u32)>,
    /// The signals whose shares the replay keeps apart (its `parts`, in order).
    relabelled: Vec<String>,
    /// Transitions relabelled during the current update, per relabelled signal.
    relabels: Vec<u64>,
}

/// Transitions scored at a time when the replay is relabelled.
pub const RELABEL_CHUNK: usize = 8192;

impl Shaping {
    pub fn new(shaper: Box<dyn RewardShaper>) -> Self {
        let relabelled = shaper.relabelled();
        let relabels = vec![0; relabelled.len()];
        Shaping { shaper, sums: BTreeMap::new(), relabelled, relabels }
    }

    /// Shares of the reward the replay keeps apart (its config's `parts`).
    pub fn parts(&self) -> usize {
        self.relabelled.len()
    }

    /// The update's mean of every metric reported since the last call, and the transitions
    /// relabelled per relabelled signal (`feedback/<signal>/relabelled`).
    pub fn take_metrics(&mut self) -> BTreeMap<String, f64> {
        let mut metrics: BTreeMap<String, f64> =
            std::mem::take(&mut self.sums).into_iter().map(|(k, (sum, n))| (k, sum / n as f64)).collect();
        for (name, count) in self.relabelled.iter().zip(&mut self.relabels) {
            metrics.insert(format!("feedback/{name}/relabelled"), std::mem::take(count) as f64);
        }
        metrics
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

    /// The relabelled shares of the last step's `rows` rows, `[N, P]`.
    fn last_parts(&self, rows: usize) -> Result<&[f32]> {
        let parts = self.shaper.parts();
        if parts.len() != rows * self.parts() {
            return Err(AgentError::Unsupported(format!(
                "the reward shaper gave {} relabelled shares for {rows} rows of {} signals",
                parts.len(),
                self.parts()
            )));
        }
        Ok(parts)
    }

    /// Relabels `buffer` for every signal whose model changed since the last call.
    fn relabel_changed(&mut self, buffer: &mut ReplayBuffer, env_steps: u64) -> Result<()> {
        for part in self.shaper.changed() {
            let shaper = &mut self.shaper;
            let mut score = |batch: &Transitions, out: &mut [f32]| shaper.rescore(part, batch, env_steps, out);
            self.relabels[part] += buffer.relabel(part, RELABEL_CHUNK, &mut score)? as u64;
        }
        Ok(())
    }
}

/// The actions the env received in `batch` (what reward signals see): the clipped values of
/// continuous actions, the indices of discrete ones.
fn received_actions(batch: &StepBatch) -> &[f32] {
    match &batch.acted.env_actions {
        crate::policies::EnvActions::Continuous { values, .. } => values,
        _ => &batch.acted.actions,
    }
}

/// The reward of every row of `batch` (0 for NEXT_STEP reset rows): the env's, or with
/// `shaping` the shaper's (see [`Shaping`]), with the schedules at `env_steps`.
pub fn shaped_rewards(batch: &StepBatch, shaping: Option<&mut Shaping>, env_steps: u64) -> Result<Vec<f32>> {
    let n = batch.rows();
    let valid: Vec<bool> = (0..n).map(|i| batch.is_transition(i)).collect();
    let rewards: Vec<f32> = (0..n).map(|i| if valid[i] { batch.rewards[i] as f32 } else { 0.0 }).collect();
    let Some(shaping) = shaping else { return Ok(rewards) };
    let received = received_actions(batch);
    let transitions = Transitions {
        steps: 1,
        envs: n,
        obs_dim: batch.obs.len() / n,
        action_dim: received.len() / n,
        obs: &batch.raw_obs,
        actions: received,
        rewards: &rewards,
        next_obs: &batch.next_obs,
        terminated: &batch.terminated,
        truncated: &batch.truncated,
        valid: &valid,
        goal_dim: 0,
        goals: &[],
        next_goals: &[],
        advice: &batch.advice,
    };
    shaping.step_rewards(&transitions, env_steps)
}

/// Stores every real transition of `batch` (`obs`, the stored action, reward, `next_obs`,
/// terminated, truncated) in `buffer`; NEXT_STEP reset rows are not transitions. With
/// `shaping`, the stored reward is the shaper's (see [`Shaping`]), with the schedules at
/// `env_steps`, and the replay is relabelled when a relabelled signal's model changed (its
/// step's own share included).
pub fn store_step(
    batch: &StepBatch,
    buffer: &mut ReplayBuffer,
    mut shaping: Option<&mut Shaping>,
    env_steps: u64,
) -> Result<()> {
    let n = batch.rows();
    let d = batch.obs.len() / n;
    let a = batch.acted.actions.len() / n;
    let p = buffer.config().parts;
    let rewards = shaped_rewards(batch, shaping.as_deref_mut(), env_steps)?;
    let parts = match (&shaping, p) {
        (_, 0) => &[][..],
        (Some(shaping), _) => shaping.last_parts(n)?,
        (None, _) => {
            return Err(AgentError::Unsupported("a replay with relabelled parts needs a reward shaper".into()))
        }
    };
    let received = received_actions(batch);
    for i in (0..n).filter(|&i| batch.is_transition(i)) {
        let shares = &parts[i * p..(i + 1) * p];
        let fixed = rewards[i] as f64 - shares.iter().map(|&x| x as f64).sum::<f64>();
        let step = Step {
            obs: &batch.obs[i * d..(i + 1) * d],
            action: &batch.acted.actions[i * a..(i + 1) * a],
            reward: if p == 0 { rewards[i] } else { fixed as f32 },
            parts: shares,
            env_action: &received[i * a..(i + 1) * a],
            env_reward: batch.rewards[i] as f32,
            next_obs: &batch.next_obs[i * d..(i + 1) * d],
            terminated: batch.terminated[i],
            truncated: batch.truncated[i],
        };
        buffer.push(i, &step);
    }
    match shaping {
        Some(shaping) if p > 0 => shaping.relabel_changed(buffer, env_steps),
        _ => Ok(()),
    }
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
            Ok(Acted::chosen(vec![1.0; n], EnvActions::Discrete(vec![1; n]), n))
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
            parts: 0,
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

    /// A shaper with the env's reward and one relabelled share, `version * x + a` (the cart's
    /// position and the action), whose model version the test changes.
    struct Learned {
        version: std::sync::Arc<std::sync::atomic::AtomicU64>,
        seen: u64,
        parts: Vec<f32>,
        streams: Vec<crate::shaping::Stream>,
    }

    impl Learned {
        fn share(&self, t: &Transitions, slot: usize) -> f32 {
            let version = self.version.load(std::sync::atomic::Ordering::SeqCst) as f32;
            if t.valid[slot] {
                version * t.obs_row(slot)[0] + t.action_row(slot)[0]
            } else {
                0.0
            }
        }
    }

    impl RewardShaper for Learned {
        fn streams(&self) -> &[crate::shaping::Stream] {
            &self.streams
        }
        fn observe(&mut self, _: &Transitions) -> Result<()> {
            Ok(())
        }
        fn rewards(&mut self, batch: &Transitions, _: u64, out: &mut [f32]) -> Result<BTreeMap<String, f64>> {
            self.parts = (0..batch.slots()).map(|s| self.share(batch, s)).collect();
            (0..batch.slots()).for_each(|s| out[s] = batch.rewards[s] + self.parts[s]);
            Ok(BTreeMap::new())
        }
        fn save(&self, _: &Path) -> Result<()> {
            Ok(())
        }
        fn load(&mut self, _: &Path) -> Result<()> {
            Ok(())
        }
        fn relabelled(&self) -> Vec<String> {
            vec!["learned".into()]
        }
        fn parts(&self) -> &[f32] {
            &self.parts
        }
        fn changed(&mut self) -> Vec<usize> {
            let version = self.version.load(std::sync::atomic::Ordering::SeqCst);
            if version == self.seen {
                return Vec::new();
            }
            self.seen = version;
            vec![0]
        }
        fn rescore(&mut self, _: usize, batch: &Transitions, _: u64, out: &mut [f32]) -> Result<()> {
            (0..batch.slots()).for_each(|s| out[s] = self.share(batch, s));
            Ok(())
        }
    }

    /// A stored step: (env, obs, action, env reward, next obs, terminated, truncated).
    type Recorded = (usize, Vec<f32>, f32, f32, Vec<f32>, bool, bool);

    #[test]
    fn a_changed_model_relabels_the_whole_replay_and_an_unchanged_one_nothing() {
        use std::sync::atomic::{AtomicU64, Ordering};
        for n_step in [1, 3] {
            let version = std::sync::Arc::new(AtomicU64::new(1));
            let stream =
                crate::shaping::Stream { name: "extrinsic".into(), gamma: 0.99, advantage_coef: 1.0, episodic: true };
            let learned = Learned { version: version.clone(), seen: 1, parts: Vec::new(), streams: vec![stream] };
            let mut shaping = Shaping::new(Box::new(learned));
            let config = ReplayConfig { n_step, parts: shaping.parts(), ..cartpole_buffer(2).config().clone() };
            let mut buffer = ReplayBuffer::new(config.clone()).unwrap();
            let mut envs = VecEnv::make("CartPole-v1", 2, &Kwargs::new()).unwrap();
            envs.reset(Some(3)).unwrap();
            let mut runner = EnvRunner::default();
            // Every real transition: (env, obs, action, env reward, next obs, terminated, truncated).
            let mut steps = Vec::new();
            let mut collect = |buffer: &mut ReplayBuffer, shaping: &mut Shaping, count: usize| {
                for _ in 0..count {
                    let batch = runner.step(&mut envs, &mut Right).unwrap();
                    store_step(&batch, buffer, Some(shaping), 0).unwrap();
                    for i in (0..2).filter(|&i| batch.is_transition(i)) {
                        let (obs, next) =
                            (batch.obs[i * 4..(i + 1) * 4].to_vec(), batch.next_obs[i * 4..(i + 1) * 4].to_vec());
                        steps.push((
                            i,
                            obs,
                            batch.acted.actions[i],
                            batch.rewards[i] as f32,
                            next,
                            batch.terminated[i],
                            batch.truncated[i],
                        ));
                    }
                }
                steps.clone()
            };
            // What a buffer holds whose every reward came from model `v`.
            let expected = |steps: &[Recorded], v: f32| {
                let mut reference = ReplayBuffer::new(ReplayConfig { parts: 0, ..config.clone() }).unwrap();
                for (env, obs, action, reward, next, terminated, truncated) in steps {
                    let r = reward + v * obs[0] + action;
                    reference.add(*env, obs, &[*action], r, next, *terminated, *truncated);
                }
                reference.rewards().to_vec()
            };
            let close = |a: &[f32], b: &[f32]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5);

            let first = collect(&mut buffer, &mut shaping, 40);
            assert!(close(buffer.rewards(), &expected(&first, 1.0)), "n = {n_step}");
            assert_eq!(shaping.take_metrics()["feedback/learned/relabelled"], 0.0);
            // No new model: nothing is relabelled.
            let before = buffer.clone();
            shaping.relabel_changed(&mut buffer, 0).unwrap();
            assert_eq!(buffer, before);

            // A new model: the next stored step relabels every transition before it, and the
            // steps that follow carry the new model's shares.
            version.store(2, Ordering::SeqCst);
            let all = collect(&mut buffer, &mut shaping, 20);
            assert!(buffer.len() > 30, "n = {n_step}: {}", buffer.len());
            assert!(close(buffer.rewards(), &expected(&all, 2.0)), "n = {n_step}");
            assert!(!close(buffer.rewards(), &expected(&all, 1.0)), "n = {n_step}");
            assert!(shaping.take_metrics()["feedback/learned/relabelled"] as usize > first.len() / 2, "n = {n_step}");
        }
    }
}
