//! The sequence replay: each sub-env's experience as one stream of steps, sampled as chunks of
//! consecutive steps that never mix sub-envs.
//!
//! A step is Dreamer's record `(o_t, a_{t-1}, r_t, first_t, terminal_t)`: the observation,
//! the action that led to it, the reward received on arriving, whether it begins an episode
//! (then the action is zero and the reward 0) and whether the episode terminated there. A
//! chunk may run across an episode's end: the step after it is `first`, where the model
//! resets its state, so nothing flows from one episode into the next (the episode boundary is
//! respected inside the chunk rather than by cutting chunks short, which short episodes would
//! not survive). Each stream is a ring of `capacity / num_envs` steps; chunks are drawn
//! uniformly among all positions that hold `seq_len` consecutive steps.
//!
//! [`SequenceReplay::add`] takes transitions as the env runner and reward signals see them
//! (`o_t, a_t, r, o_{t+1}`, flags) and writes the records, starting a stream's episode with a
//! `first` record whenever the previous one ended (or the stream is new).

use crate::core::archive::Archive;
use crate::core::config::invalid;
use crate::error::Result;
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};

/// A batch of `batch` chunks of `length` steps, time-major (row `t * batch + b`).
#[derive(Clone, Debug, PartialEq)]
pub struct SequenceBatch {
    pub batch: usize,
    pub length: usize,
    pub obs_dim: usize,
    pub action_dim: usize,
    /// `[L * B, obs_dim]`
    pub obs: Vec<f32>,
    /// `[L * B, action_dim]` the encoded action that led to each step (zero at `first`).
    pub actions: Vec<f32>,
    /// `[L * B]`
    pub rewards: Vec<f32>,
    pub firsts: Vec<bool>,
    pub terminals: Vec<bool>,
}

impl SequenceBatch {
    /// Rows `L * B`.
    pub fn rows(&self) -> usize {
        self.batch * self.length
    }
}

/// One sub-env's ring of records.
#[derive(Clone, Debug, Default, PartialEq)]
struct Stream {
    /// `[capacity, width]` records.
    data: Vec<f32>,
    /// Where the next record goes.
    pos: usize,
    len: usize,
    /// The next transition begins an episode.
    needs_first: bool,
}

/// Sub-env streams of steps; see the [module docs](self).
#[derive(Clone, Debug, PartialEq)]
pub struct SequenceReplay {
    obs_dim: usize,
    action_dim: usize,
    /// Steps each stream keeps.
    capacity: usize,
    streams: Vec<Stream>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    obs_dim: usize,
    action_dim: usize,
    capacity: usize,
    /// Per stream: steps held (oldest first in the data) and whether an episode start is due.
    streams: Vec<(usize, bool)>,
}

impl SequenceReplay {
    /// A replay of `capacity` steps in all for `num_envs` streams, sampled in chunks of
    /// `seq_len`: a chunk longer than a stream holds is an error.
    pub fn new(capacity: usize, num_envs: usize, seq_len: usize, obs_dim: usize, action_dim: usize) -> Result<Self> {
        if num_envs == 0 || seq_len == 0 {
            return Err(invalid("seq_len", "the replay needs at least one sub-env and chunks of at least 1 step"));
        }
        let per_env = capacity / num_envs;
        if seq_len > per_env {
            return Err(invalid(
                "seq_len",
                format!(
                    "chunks of {seq_len} steps are longer than the replay holds per sub-env \
                     ({capacity} steps / {num_envs} sub-envs = {per_env}); raise buffer_size or lower seq_len"
                ),
            ));
        }
        let stream = Stream { needs_first: true, ..Stream::default() };
        Ok(SequenceReplay { obs_dim, action_dim, capacity: per_env, streams: vec![stream; num_envs] })
    }

    fn width(&self) -> usize {
        self.obs_dim + self.action_dim + 3
    }

    /// Steps held, all streams together.
    pub fn len(&self) -> usize {
        self.streams.iter().map(|s| s.len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends one record to stream `env`.
    fn push(&mut self, env: usize, obs: &[f32], action: &[f32], reward: f32, first: bool, terminal: bool) {
        let (width, capacity) = (self.width(), self.capacity);
        let stream = &mut self.streams[env];
        if stream.data.len() < capacity * width {
            stream.data.resize(capacity * width, 0.0);
        }
        let row = &mut stream.data[stream.pos * width..(stream.pos + 1) * width];
        let (d, a) = (obs.len(), action.len());
        row[..d].copy_from_slice(obs);
        row[d..d + a].copy_from_slice(action);
        row[d + a] = reward;
        row[d + a + 1] = first as u8 as f32;
        row[d + a + 2] = terminal as u8 as f32;
        stream.pos = (stream.pos + 1) % capacity;
        stream.len = (stream.len + 1).min(capacity);
    }

    /// Records sub-env `env`'s transition `o_t -a_t-> (r, o_{t+1})` (`action` already encoded
    /// for the model); see the [module docs](self).
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        env: usize,
        obs: &[f32],
        action: &[f32],
        reward: f32,
        next_obs: &[f32],
        terminated: bool,
        truncated: bool,
    ) {
        if self.streams[env].needs_first {
            let zeros = vec![0.0; self.action_dim];
            self.push(env, obs, &zeros, 0.0, true, false);
        }
        self.push(env, next_obs, action, reward, false, terminated);
        self.streams[env].needs_first = terminated || truncated;
    }

    /// Whether every stream's next transition starts an episode after an outside reset.
    pub fn restart_episodes(&mut self) {
        self.streams.iter_mut().for_each(|s| s.needs_first = true);
    }

    /// Chunks of `length` steps that can be drawn now.
    pub fn chunks(&self, length: usize) -> usize {
        self.streams.iter().map(|s| (s.len + 1).saturating_sub(length)).sum()
    }

    /// Draws `batch` chunks of `length` steps uniformly (with replacement) among all positions;
    /// `None` while no stream holds `length` steps.
    pub fn sample(&self, batch: usize, length: usize, rng: &mut Generator) -> Option<SequenceBatch> {
        let total = self.chunks(length);
        if total == 0 || batch == 0 {
            return None;
        }
        let (d, a, width) = (self.obs_dim, self.action_dim, self.width());
        let rows = batch * length;
        let mut out = SequenceBatch {
            batch,
            length,
            obs_dim: d,
            action_dim: a,
            obs: vec![0.0; rows * d],
            actions: vec![0.0; rows * a],
            rewards: vec![0.0; rows],
            firsts: vec![false; rows],
            terminals: vec![false; rows],
        };
        for b in 0..batch {
            let mut pick = rng.interval(total as u64 - 1) as usize;
            let (stream, start) = self
                .streams
                .iter()
                .find_map(|s| {
                    let here = (s.len + 1).saturating_sub(length);
                    if pick < here {
                        Some((s, pick))
                    } else {
                        pick -= here;
                        None
                    }
                })
                .expect("a pick below the total lands in a stream");
            let oldest = (stream.pos + self.capacity - stream.len) % self.capacity;
            for t in 0..length {
                let at = (oldest + start + t) % self.capacity;
                let record = &stream.data[at * width..(at + 1) * width];
                let row = t * batch + b;
                out.obs[row * d..(row + 1) * d].copy_from_slice(&record[..d]);
                out.actions[row * a..(row + 1) * a].copy_from_slice(&record[d..d + a]);
                out.rewards[row] = record[d + a];
                out.firsts[row] = record[d + a + 1] > 0.5;
                out.terminals[row] = record[d + a + 2] > 0.5;
            }
        }
        Some(out)
    }

    /// The replay's contents into `archive` (`{name}.header`, `{name}.data`: each stream's
    /// records oldest first, as little-endian f32).
    pub fn save(&self, name: &str, archive: &mut Archive) -> Result<()> {
        let width = self.width();
        let mut data = Vec::with_capacity(self.len() * width);
        for stream in &self.streams {
            let oldest = (stream.pos + self.capacity - stream.len) % self.capacity;
            for i in 0..stream.len {
                let at = (oldest + i) % self.capacity;
                data.extend_from_slice(&stream.data[at * width..(at + 1) * width]);
            }
        }
        let header = Header {
            obs_dim: self.obs_dim,
            action_dim: self.action_dim,
            capacity: self.capacity,
            streams: self.streams.iter().map(|s| (s.len, s.needs_first)).collect(),
        };
        archive.put_json(&format!("{name}.header"), &header)?;
        archive.put_f32s(&format!("{name}.data"), &data);
        Ok(())
    }

    /// Restores what [`SequenceReplay::save`] wrote into a replay of the same shape; nothing
    /// changes on error.
    pub fn load(&mut self, name: &str, archive: &Archive) -> Result<()> {
        let header: Header = archive.json(&format!("{name}.header"))?;
        let shape = (header.obs_dim, header.action_dim, header.capacity, header.streams.len());
        let this = (self.obs_dim, self.action_dim, self.capacity, self.streams.len());
        if shape != this {
            return Err(archive.error(format!(
                "replay saved for (obs_dim, action_dim, steps per sub-env, sub-envs) = {shape:?}, this one is {this:?}"
            )));
        }
        let values = archive.f32s(&format!("{name}.data"))?;
        let width = self.width();
        let held: usize = header.streams.iter().map(|s| s.0).sum();
        if header.streams.iter().any(|s| s.0 > self.capacity) || values.len() != held * width {
            return Err(archive.error(format!("replay data of {} numbers does not fit its header", values.len())));
        }
        let mut values = values.into_iter();
        let mut streams = Vec::with_capacity(self.streams.len());
        for &(len, needs_first) in &header.streams {
            let mut data: Vec<f32> = values.by_ref().take(len * width).collect();
            data.resize(self.capacity * width, 0.0);
            streams.push(Stream { data, pos: len % self.capacity, len, needs_first });
        }
        self.streams = streams;
        Ok(())
    }
}

/// When to train: `train_ratio` replayed steps per env step, in gradient steps of `batch x
/// seq_len` replayed steps, once `learning_starts` env steps were taken. The fraction of a
/// gradient step not yet due carries over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSchedule {
    /// Gradient steps owed (fractional).
    owed: f64,
}

impl TrainSchedule {
    /// Gradient steps due after `env_steps` more env steps (`total` taken so far, these
    /// included).
    pub fn due(&mut self, env_steps: u64, total: u64, learning_starts: u64, train_ratio: f64, replayed: usize) -> u64 {
        if total < learning_starts {
            return 0;
        }
        self.owed += env_steps as f64 * train_ratio / replayed.max(1) as f64;
        let due = self.owed.floor();
        self.owed -= due;
        due as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Env 0 plays episodes of 3 steps (observation = step index within the episode + 10 *
    /// episode), env 1 one long episode.
    fn filled() -> SequenceReplay {
        let mut replay = SequenceReplay::new(40, 2, 4, 1, 2).unwrap();
        for episode in 0..3 {
            for t in 0..3 {
                let obs = (10 * episode + t) as f32;
                replay.add(0, &[obs], &[1.0, 0.0], 0.5, &[obs + 1.0], t == 2, false);
            }
        }
        for t in 0..6 {
            replay.add(1, &[100.0 + t as f32], &[0.0, 1.0], 1.0, &[101.0 + t as f32], false, false);
        }
        replay
    }

    #[test]
    fn records_mark_episode_starts_and_chunks_stay_in_one_stream() {
        let replay = filled();
        // Env 0: 3 episodes of first + 3 steps; env 1: first + 6 steps.
        assert_eq!(replay.len(), 12 + 7);
        assert_eq!(replay.chunks(4), (12 - 3) + (7 - 3));
        let mut rng = Generator::from_seed(1);
        let mut seen_first_inside = false;
        for _ in 0..50 {
            let batch = replay.sample(3, 4, &mut rng).unwrap();
            for b in 0..3 {
                let column: Vec<usize> = (0..4).map(|t| t * 3 + b).collect();
                let obs: Vec<f32> = column.iter().map(|&r| batch.obs[r]).collect();
                let long = obs[0] >= 100.0;
                assert!(obs.iter().all(|&o| (o >= 100.0) == long), "chunks never mix streams: {obs:?}");
                for (i, &r) in column.iter().enumerate() {
                    let first = batch.firsts[r];
                    // A first record has a zero action and reward, and follows a terminal one.
                    if first {
                        assert_eq!((&batch.actions[r * 2..r * 2 + 2], batch.rewards[r]), (&[0.0, 0.0][..], 0.0));
                        if i > 0 {
                            assert!(batch.terminals[column[i - 1]]);
                            seen_first_inside = true;
                        }
                    } else if i > 0 {
                        assert_eq!(obs[i], obs[i - 1] + 1.0, "consecutive steps");
                    }
                }
            }
        }
        assert!(seen_first_inside, "chunks run across episode ends, which the first flags mark");
    }

    #[test]
    fn a_chunk_longer_than_a_stream_holds_is_an_error() {
        let error = SequenceReplay::new(100, 4, 64, 3, 1).unwrap_err().to_string();
        assert!(
            error.contains("seq_len") && error.contains("longer than the replay holds") && error.contains("25"),
            "{error}"
        );
        let replay = SequenceReplay::new(100, 1, 10, 3, 1).unwrap();
        assert!(replay.sample(2, 10, &mut Generator::from_seed(0)).is_none(), "nothing to draw yet");
    }

    #[test]
    fn the_ring_keeps_the_newest_steps_and_saves_them() {
        let mut replay = SequenceReplay::new(5, 1, 2, 1, 1).unwrap();
        for t in 0..9 {
            replay.add(0, &[t as f32], &[1.0], 0.0, &[t as f32 + 1.0], false, false);
        }
        assert_eq!(replay.len(), 5);
        let batch = replay.sample(20, 5, &mut Generator::from_seed(0)).unwrap();
        assert_eq!(batch.obs[..1], [5.0], "the oldest step kept is the 5th");
        let mut archive = Archive::new("test");
        replay.save("replay", &mut archive).unwrap();
        let mut restored = SequenceReplay::new(5, 1, 2, 1, 1).unwrap();
        restored.load("replay", &archive).unwrap();
        let draw = |r: &SequenceReplay| r.sample(4, 3, &mut Generator::from_seed(7)).unwrap();
        assert_eq!(draw(&restored), draw(&replay));
        restored.add(0, &[9.0], &[1.0], 0.0, &[10.0], false, false);
        replay.add(0, &[9.0], &[1.0], 0.0, &[10.0], false, false);
        assert_eq!(draw(&restored), draw(&replay));
        let mut other = SequenceReplay::new(6, 1, 2, 1, 1).unwrap();
        assert!(other.load("replay", &archive).unwrap_err().to_string().contains("replay saved for"));
    }

    #[test]
    fn the_schedule_keeps_the_train_ratio() {
        let mut schedule = TrainSchedule::default();
        // 64 replayed steps per gradient step, ratio 16: one gradient step every 4 env steps.
        let mut total = 0;
        let due: u64 = (1..=40)
            .map(|step| {
                total = step;
                schedule.due(1, total, 8, 16.0, 64)
            })
            .sum();
        assert_eq!(due, (40 - 8 + 1) / 4, "from the 8th env step on");
    }
}
