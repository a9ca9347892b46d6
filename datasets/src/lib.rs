//! limbic-datasets: demonstrations stored in Farama Minari's dataset layout, so that datasets
//! limbic records load with Python's `minari.load_dataset` and datasets Minari writes load here.
//!
//! A dataset is a folder `<dataset>/data/` with `metadata.json` (spaces in Gymnasium's JSON
//! form, env spec, counts, reference scores) and one folder per episode. An episode holds
//! observations for T+1 states (the reset observation first), and T actions, rewards,
//! terminations and truncations ([`Episode`]).
//!
//! ## Backends: `arrow` and `hdf5`
//!
//! Minari 0.5 stores episodes with one of three backends: `hdf5` (its default, and that of most
//! published datasets), `arrow` and `parquet`. limbic reads and writes `arrow` (its default:
//! Minari writes it uncompressed, so the pure-Rust `arrow-ipc` crate without codecs does it) and
//! `hdf5` ([`hdf5`]). HDF5 goes through `hdf5-pure`, a maintained pure-Rust implementation of
//! the format, rather than the `hdf5` crates that link HDF5's C library: with the C library a
//! fresh machine would need `apt-get install libhdf5-dev` before `cargo build`, or a cargo
//! feature that `cargo test` and `cargo run` would have to agree on; in pure Rust hdf5 is simply
//! there in every build. Which backend a dataset is written in is its metadata's `data_format`.
//! `parquet` is named in an error (pyarrow compresses it with snappy: a codec for no gain at
//! demonstration sizes).
//!
//! ## Use
//!
//! ```
//! use limbic_datasets::{Dataset, Episode};
//! use limbic_environments::{make, Env, Kwargs, Options, Value};
//! let mut env = make("CartPole-v1", &Kwargs::new()).unwrap();
//! let mut dataset = Dataset::for_env("limbic/cartpole/demo-v0", "CartPole-v1").unwrap();
//! let (obs, _) = env.reset(Some(0), &Options::new()).unwrap();
//! let mut episode = Episode::new(0, Some(0), obs);
//! let step = env.step(&Value::Int(1)).unwrap();
//! episode.push_step(Value::Int(1), step.obs, step.reward, step.terminated, step.truncated);
//! dataset.push(episode).unwrap();
//! let dir = tempfile::tempdir().unwrap();
//! dataset.write(&dir.path().join("demo"), false).unwrap();
//! let back = Dataset::read(&dir.path().join("demo")).unwrap();
//! assert_eq!(back.episodes, dataset.episodes);
//! // Learners read flat f32 rows: observation rows, actions, rewards, ends.
//! let flat = back.flat_episodes().unwrap();
//! assert_eq!((flat[0].obs_dim, flat[0].len()), (4, 1));
//! ```

pub mod columns;
pub mod episode;
pub mod error;
pub mod hdf5;
pub mod metadata;
pub mod seal;
pub mod store;

pub use episode::{flat_observation_space, Actions, Episode, FlatEpisode};
pub use error::{DatasetError, Result};
pub use metadata::{Metadata, DATA_FORMAT, DATA_FORMATS, MINARI_VERSION};

use limbic_environments::Space;
use serde_json::{json, Value as Json};
use std::path::Path;

/// A dataset in memory: its metadata and its episodes, in id order.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub metadata: Metadata,
    pub episodes: Vec<Episode>,
}

impl Dataset {
    /// An empty dataset over the given spaces.
    pub fn new(dataset_id: &str, observation_space: Space, action_space: Space, env_spec: Option<Json>) -> Dataset {
        Dataset { metadata: Metadata::new(dataset_id, observation_space, action_space, env_spec), episodes: Vec::new() }
    }

    /// An empty dataset for a registered environment: its spaces and its spec in Gymnasium's
    /// JSON form (id, time limit, reward threshold, kwargs).
    pub fn for_env(dataset_id: &str, env_id: &str) -> Result<Dataset> {
        Dataset::for_env_with(dataset_id, env_id, &Default::default())
    }

    /// [`Dataset::for_env`] for the env made with `kwargs` (its spaces, and the kwargs in
    /// `env_spec`): a BabyAI level's `mission_words` changes its observation space.
    pub fn for_env_with(dataset_id: &str, env_id: &str, kwargs: &limbic_environments::Kwargs) -> Result<Dataset> {
        let fail = |e: limbic_environments::EnvError| DatasetError::Unsupported(e.to_string());
        let env = limbic_environments::make(env_id, kwargs).map_err(fail)?;
        let spec = limbic_environments::registry::spec(env_id).map_err(fail)?;
        let mut env_spec = env_spec_json(&spec);
        env_spec["kwargs"] = Json::Object(kwargs.clone());
        Ok(Dataset::new(dataset_id, env.observation_space().clone(), env.action_space().clone(), Some(env_spec)))
    }

    /// How the dataset's spaces differ from those of the env its metadata names (made with the
    /// recorded kwargs), if they do: a dataset claiming `Discrete(1)` actions for CartPole is
    /// damaged or mislabelled. Observations are compared as learners see them, without their
    /// Text parts (Minari writes a MiniGrid mission's charset in another order). None when they
    /// agree, or when the env is not one limbic has.
    pub fn env_mismatch(&self) -> Option<String> {
        let id = self.metadata.env_id()?;
        let kwargs =
            self.metadata.env_spec.as_ref()?.get("kwargs").and_then(Json::as_object).cloned().unwrap_or_default();
        let env = limbic_environments::make(id, &kwargs).ok()?;
        let (meta, mut differences) = (&self.metadata, Vec::new());
        for (what, recorded, actual) in [
            ("observation", &meta.observation_space, env.observation_space()),
            ("action", &meta.action_space, env.action_space()),
        ] {
            if flat_observation_space(recorded) != flat_observation_space(actual) {
                differences.push(format!(
                    "its {what} space is {}, {id}'s is {}",
                    recorded.describe(),
                    actual.describe()
                ));
            }
        }
        (!differences.is_empty()).then(|| differences.join("; "))
    }

    /// Appends an episode after checking it fits the spaces; its id becomes its index.
    pub fn push(&mut self, mut episode: Episode) -> Result<()> {
        episode.id = self.episodes.len() as u64;
        episode.validate(&self.metadata.observation_space, &self.metadata.action_space)?;
        self.metadata.total_episodes += 1;
        self.metadata.total_steps += episode.len();
        self.episodes.push(episode);
        Ok(())
    }

    /// Reads the dataset at `path` (the dataset folder or its `data/` folder).
    pub fn read(path: &Path) -> Result<Dataset> {
        let (metadata, episodes) = store::read(path)?;
        Ok(Dataset { metadata, episodes })
    }

    /// Writes the dataset to `path` atomically; see [`store::write`].
    pub fn write(&self, path: &Path, overwrite: bool) -> Result<()> {
        store::write(path, &self.metadata, &self.episodes, overwrite)
    }

    /// Every episode as flat f32 rows, in order (see [`FlatEpisode`]).
    pub fn flat_episodes(&self) -> Result<Vec<FlatEpisode>> {
        let (obs, act) = (&self.metadata.observation_space, &self.metadata.action_space);
        self.episodes.iter().map(|e| e.flatten(obs, act)).collect()
    }

    /// The first `n` episodes (the protocol's "n demonstrations"), or all if there are fewer.
    pub fn first(&self, n: usize) -> Dataset {
        let episodes: Vec<Episode> = self.episodes.iter().take(n).cloned().collect();
        let mut metadata = self.metadata.clone();
        metadata.total_episodes = episodes.len();
        metadata.total_steps = episodes.iter().map(Episode::len).sum();
        Dataset { metadata, episodes }
    }

    /// Whether episodes end by reaching a goal (MiniGrid), so a success rate means something.
    pub fn is_goal_task(&self) -> bool {
        self.metadata.env_id().is_some_and(|id| id.starts_with("MiniGrid-") || id.starts_with("BabyAI-"))
    }

    /// Episode count, step count and return statistics.
    pub fn summary(&self) -> Summary {
        let returns: Vec<f64> = self.episodes.iter().map(Episode::total_reward).collect();
        let n = returns.len() as f64;
        let mean = if returns.is_empty() { 0.0 } else { returns.iter().sum::<f64>() / n };
        let var = if returns.is_empty() { 0.0 } else { returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n };
        Summary {
            episodes: self.episodes.len(),
            steps: self.episodes.iter().map(Episode::len).sum(),
            return_mean: mean,
            return_std: var.sqrt(),
            return_min: returns.iter().copied().fold(f64::INFINITY, f64::min),
            return_max: returns.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            successes: self.is_goal_task().then(|| self.episodes.iter().filter(|e| e.success()).count()),
        }
    }
}

/// What `limbic demos info` prints about the episodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub episodes: usize,
    pub steps: usize,
    pub return_mean: f64,
    /// Population standard deviation (numpy's `std`).
    pub return_std: f64,
    pub return_min: f64,
    pub return_max: f64,
    /// Episodes ended by the task with a positive final reward, for goal tasks (MiniGrid ids);
    /// None where ending is failure (CartPole) or success is not defined.
    pub successes: Option<usize>,
}

/// Gymnasium's `EnvSpec.to_json()` fields for a limbic spec. `entry_point` is Gymnasium's for
/// the classic-control ids (so Minari's `recover_environment` works), null otherwise.
pub fn env_spec_json(spec: &limbic_environments::EnvSpec) -> Json {
    let entry_point = match spec.id.as_str() {
        "CartPole-v1" => json!("gymnasium.envs.classic_control.cartpole:CartPoleEnv"),
        "MountainCar-v0" => json!("gymnasium.envs.classic_control.mountain_car:MountainCarEnv"),
        "MountainCarContinuous-v0" => {
            json!("gymnasium.envs.classic_control.continuous_mountain_car:Continuous_MountainCarEnv")
        }
        "Acrobot-v1" => json!("gymnasium.envs.classic_control.acrobot:AcrobotEnv"),
        "Pendulum-v1" => json!("gymnasium.envs.classic_control.pendulum:PendulumEnv"),
        _ => Json::Null,
    };
    json!({
        "id": spec.id,
        "entry_point": entry_point,
        "reward_threshold": spec.reward_threshold,
        "nondeterministic": false,
        "max_episode_steps": spec.max_episode_steps,
        "order_enforce": true,
        "disable_env_checker": false,
        "kwargs": {},
        "additional_wrappers": [],
        "vector_entry_point": null,
    })
}
