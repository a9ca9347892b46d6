//! `data/metadata.json`: what Minari records about a whole dataset.

use crate::error::{corrupt, Result};
use limbic_environments::Space;
use serde_json::{json, Map, Value as Json};
use std::path::Path;

/// The Minari version whose layout limbic writes (and claims in `minari_version`).
pub const MINARI_VERSION: &str = "0.5.4";

/// The storage backend limbic writes unless told otherwise (see the crate docs for why).
pub const DATA_FORMAT: &str = "arrow";

/// The storage backends limbic reads and writes.
pub const DATA_FORMATS: [&str; 2] = ["arrow", "hdf5"];

/// The dataset's `metadata.json`. Keys limbic does not interpret stay in `extra` and are written
/// back unchanged.
#[derive(Clone, Debug, PartialEq)]
pub struct Metadata {
    /// Minari's id, `(namespace/)(env_name/)dataset_name-v<N>`.
    pub dataset_id: String,
    pub observation_space: Space,
    pub action_space: Space,
    /// Gymnasium's `EnvSpec` as JSON (`id`, `max_episode_steps`, `kwargs`, ...), if known.
    pub env_spec: Option<Json>,
    pub total_episodes: usize,
    pub total_steps: usize,
    /// `arrow`, `parquet` or `hdf5`; limbic reads and writes `arrow` and `hdf5`, and writes in
    /// the one named here.
    pub data_format: String,
    /// Whether Minari JPEG-encoded image spaces (its default is true; limbic writes false).
    pub jpeg_encoding: bool,
    /// Mean return of a uniform random policy (Minari: 100 episodes, first reset seed 123).
    pub ref_min_score: Option<f64>,
    /// Mean return of the expert policy, measured the same way.
    pub ref_max_score: Option<f64>,
    pub num_episodes_average_score: Option<usize>,
    pub algorithm_name: Option<String>,
    pub minari_version: String,
    pub extra: Map<String, Json>,
}

impl Metadata {
    /// Metadata for a new, empty dataset.
    pub fn new(dataset_id: &str, observation_space: Space, action_space: Space, env_spec: Option<Json>) -> Metadata {
        Metadata {
            dataset_id: dataset_id.to_string(),
            observation_space,
            action_space,
            env_spec,
            total_episodes: 0,
            total_steps: 0,
            data_format: DATA_FORMAT.into(),
            jpeg_encoding: false,
            ref_min_score: None,
            ref_max_score: None,
            num_episodes_average_score: None,
            algorithm_name: None,
            minari_version: MINARI_VERSION.into(),
            extra: Map::new(),
        }
    }

    /// The environment id from `env_spec`.
    pub fn env_id(&self) -> Option<&str> {
        self.env_spec.as_ref()?.get("id")?.as_str()
    }

    /// `(returns - ref_min) / (ref_max - ref_min)` (D4RL's and Minari's normalized score), when
    /// both reference scores are known and differ.
    pub fn normalized_score(&self, ret: f64) -> Option<f64> {
        let (lo, hi) = (self.ref_min_score?, self.ref_max_score?);
        (hi != lo).then(|| (ret - lo) / (hi - lo))
    }

    /// The JSON object Minari writes: spaces and the env spec as JSON *strings*.
    pub fn to_json(&self) -> Json {
        let mut map = self.extra.clone();
        let mut put = |k: &str, v: Json| {
            map.insert(k.to_string(), v);
        };
        put("dataset_id", json!(self.dataset_id));
        put("total_episodes", json!(self.total_episodes));
        put("total_steps", json!(self.total_steps));
        put("data_format", json!(self.data_format));
        put("jpeg_encoding", json!(self.jpeg_encoding));
        put("observation_space", json!(self.observation_space.to_json_string()));
        put("action_space", json!(self.action_space.to_json_string()));
        put("minari_version", json!(self.minari_version));
        if let Some(spec) = &self.env_spec {
            put("env_spec", json!(spec.to_string()));
        }
        if let Some(name) = &self.algorithm_name {
            put("algorithm_name", json!(name));
        }
        for (key, value) in [("ref_min_score", self.ref_min_score), ("ref_max_score", self.ref_max_score)] {
            if let Some(v) = value {
                put(key, json!(v));
            }
        }
        if let Some(n) = self.num_episodes_average_score {
            put("num_episodes_average_score", json!(n));
        }
        Json::Object(map)
    }

    /// Parses `metadata.json` text; `path` names the file in errors.
    pub fn from_json_text(text: &str, path: &Path) -> Result<Metadata> {
        let bad = |m: String| corrupt(path, None, m);
        let json: Json = serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
        let Json::Object(map) = json else { return Err(bad("expected a JSON object".into())) };
        Metadata::from_object(map, path)
    }

    /// Reads the fields of `metadata.json`'s object; `path` names the file in errors.
    pub fn from_object(mut map: Map<String, Json>, path: &Path) -> Result<Metadata> {
        let bad = |m: String| corrupt(path, None, m);
        let mut take = |key: &str| map.remove(key);
        let space = |v: Option<Json>, key: &str| -> Result<Space> {
            let text =
                v.as_ref().and_then(Json::as_str).ok_or_else(|| bad(format!("`{key}` missing (limbic needs it)")))?;
            Space::from_json_str(text).map_err(|e| bad(format!("`{key}`: {e}")))
        };
        let count = |v: Option<Json>, key: &str| -> Result<usize> {
            v.as_ref().and_then(Json::as_u64).map(|n| n as usize).ok_or_else(|| bad(format!("`{key}` must be a count")))
        };
        let observation_space = space(take("observation_space"), "observation_space")?;
        let action_space = space(take("action_space"), "action_space")?;
        let env_spec = match take("env_spec") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => {
                Some(serde_json::from_str(&s).map_err(|e| bad(format!("`env_spec` is not valid JSON: {e}")))?)
            }
            Some(other) => Some(other),
        };
        let total_episodes = count(take("total_episodes"), "total_episodes")?;
        let total_steps = count(take("total_steps"), "total_steps")?;
        let data_format =
            take("data_format").and_then(|v| v.as_str().map(String::from)).unwrap_or_else(|| "hdf5".into());
        let jpeg_encoding = take("jpeg_encoding").and_then(|v| v.as_bool()).unwrap_or(true);
        let score = |v: Option<Json>| v.and_then(|v| v.as_f64());
        let ref_min_score = score(take("ref_min_score"));
        let ref_max_score = score(take("ref_max_score"));
        let num_episodes_average_score =
            take("num_episodes_average_score").and_then(|v| v.as_u64()).map(|n| n as usize);
        let algorithm_name = take("algorithm_name").and_then(|v| v.as_str().map(String::from));
        let minari_version = take("minari_version").and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        let dataset_id = take("dataset_id").and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        Ok(Metadata {
            dataset_id,
            observation_space,
            action_space,
            env_spec,
            total_episodes,
            total_steps,
            data_format,
            jpeg_encoding,
            ref_min_score,
            ref_max_score,
            num_episodes_average_score,
            algorithm_name,
            minari_version,
            extra: map,
        })
    }
}
