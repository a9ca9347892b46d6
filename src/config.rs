//! [`RunConfig`]: everything that defines a training run, and how it is resolved from layers.
//!
//! A run's config is built from layers, each later one overriding the earlier ones key by key
//! (objects such as `params` merge, everything else is replaced):
//!
//! 1. the built-in defaults ([`RunConfig::default`]);
//! 2. the embedded preset for the run's env and algorithm, if there is one ([`crate::presets`]);
//! 3. a config file;
//! 4. command-line flags (`--env`, `--steps`, `--reward`, ..., then each `--set key=value`).
//!
//! Every layer is checked on its own first, so an unknown key or a bad value is reported with
//! the layer it came from (the file name, or "--set").

use anyhow::{bail, Context, Result};
use limbic_agents::policies::PolicySpec;
use limbic_environments::wrappers::WrapperSpec;
use limbic_environments::{registry, Kwargs};
use limbic_rewards::RewardSpec;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use std::path::Path;

/// A training run: environment, learner, budget and schedule. Every field has a default, so
/// `{}` is a valid config (PPO on CartPole-v1); unknown keys are an error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Environment id (`limbic envs` lists them).
    pub env: String,
    /// Keyword arguments for `make`, e.g. `{"max_episode_steps": 100}`.
    pub env_kwargs: Kwargs,
    /// Wrappers over the env, innermost first, for training and evaluation alike:
    /// `[{"kind": "previous_action"}, {"kind": "antialias"}]` (POPGym's baselines),
    /// `{"kind": "mask_observation", "indices": [1, 3]}`.
    pub env_wrappers: Vec<WrapperSpec>,
    /// Learner: `ppo`, `dqn`, `sac`, or `random` (the uniform-random baseline).
    pub algo: String,
    /// Seeds the algorithm and the training envs (sub-env i first resets with seed + i).
    pub seed: u64,
    /// Env steps to train for, all sub-envs together.
    pub total_steps: u64,
    /// Sub-environments stepped together by the training vector env.
    pub num_envs: usize,
    /// Threads that step the sub-envs (1: the training thread only); results do not depend on it.
    pub threads: usize,
    /// Episodes per evaluation (deterministic actions; episode i resets with the eval seed + i).
    pub eval_episodes: usize,
    /// Evaluate every this many env steps (0: only at the end).
    pub eval_every: u64,
    /// Write a checkpoint every this many env steps (0: only at the end).
    pub checkpoint_every: u64,
    /// How many of the latest checkpoints to keep (the best one is kept besides them).
    pub keep_checkpoints: usize,
    /// The algorithm's hyperparameters (Stable-Baselines3 names, e.g. `learning_rate`);
    /// absent keys take the algorithm's defaults, unknown keys are refused by the algorithm.
    pub params: Json,
    /// The policy's structure: `{"memory": {"kind": "gru", "size": 128}}` gives it working
    /// memory (`gru`, `lstm`, `slots`, or `frame_stack`: the last observations side by side);
    /// `{"instruction": {"kind": "gru"}, "film": true}` reads a mission given as word indices
    /// (BabyAI's `env_kwargs.mission_words`).
    pub policy: PolicySpec,
    /// Reward signals shaping the learner's reward (`limbic rewards` lists them), each a
    /// [`RewardSpec`]: `{"name": "counts", "weight": 0.005, "params": {...}, "schedule": {...},
    /// "normalization": "rms", "stream": "own", ...}`. `extrinsic` (the env's reward, weight 1)
    /// is added unless listed. Empty: the env's reward alone, exactly as without signals. A
    /// later layer replaces the whole list (`--reward` flags replace a file's list).
    pub rewards: Vec<RewardSpec>,
    /// Train on the fixed-horizon variant of the env: a terminated episode goes on in an
    /// absorbing state (final observation held, reward 0) until the time limit. Adversarial
    /// imitation needs it (a learned reward otherwise leaks through termination); evaluation
    /// always uses the env itself. Needs a time limit.
    pub fixed_horizon: bool,
    /// What of the run was registered from Python ([`FromPython`]); written by the `limbic`
    /// package, absent for runs of limbic's own envs and signals.
    #[serde(skip_serializing_if = "FromPython::is_empty")]
    pub from_python: FromPython,
}

/// The parts of a run registered from Python rather than built into limbic: the `limbic`
/// package records them when it trains, so that a process without them (the command line has
/// no Python) says how to open the run from Python instead of calling the env id unknown.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FromPython {
    /// `env` is a Python environment (`limbic.register_env`, `limbic.train(config,
    /// env=factory)`, or an id only Gymnasium has).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub env: bool,
    /// The reward signals that are Python classes (`limbic.rewards.register`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rewards: Vec<String>,
}

impl FromPython {
    pub fn is_empty(&self) -> bool {
        !self.env && self.rewards.is_empty()
    }

    /// Refuses, saying how to open the run from Python, when this process lacks a part of it.
    fn check(&self, env: &str) -> Result<()> {
        let env_missing = self.env && registry::spec(env).is_err();
        let installed = limbic_rewards::Registry::installed();
        let signals: Vec<&String> = self.rewards.iter().filter(|name| installed.get(name).is_err()).collect();
        let (mut missing, mut how) = (Vec::new(), Vec::new());
        if env_missing {
            missing.push(format!("environment `{env}`"));
            how.push("limbic.register_env or limbic.train(config, env=factory)");
        }
        if !signals.is_empty() {
            let names: Vec<String> = signals.iter().map(|name| format!("`{name}`")).collect();
            missing.push(format!("reward signal{} {}", if names.len() == 1 { "" } else { "s" }, names.join(", ")));
            how.push("limbic.rewards.register");
        }
        if missing.is_empty() {
            return Ok(());
        }
        let factory = if env_missing { ", env=factory" } else { "" };
        let register: String =
            signals.iter().map(|name| format!("limbic.rewards.register(\"{name}\", cls); ")).collect();
        let (was, it) = if env_missing as usize + signals.len() == 1 { ("was", "it") } else { ("were", "them") };
        bail!(
            "the run's {} {was} registered from Python ({}), and this process has not registered {it}, so it cannot \
             build {it} (the limbic command line has no Python). Open the run from Python: {register}limbic.evaluate(\
             run_dir{factory}), limbic.load(run_dir{factory}) or limbic.train(resume=run_dir{factory})",
            missing.join(" and "),
            how.join("; ")
        )
    }
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            env: "CartPole-v1".into(),
            env_kwargs: Kwargs::new(),
            env_wrappers: Vec::new(),
            algo: "ppo".into(),
            seed: 0,
            total_steps: 100_000,
            num_envs: 8,
            threads: 1,
            eval_episodes: 20,
            eval_every: 10_000,
            checkpoint_every: 50_000,
            keep_checkpoints: 3,
            params: Json::Object(Map::new()),
            policy: PolicySpec::default(),
            rewards: Vec::new(),
            fixed_horizon: false,
            from_python: FromPython::default(),
        }
    }
}

/// The fields a run may change between its checkpoint and its continuation: when and how long
/// it trains, evaluates and checkpoints, not what it trains.
pub const SCHEDULE_FIELDS: [&str; 6] =
    ["total_steps", "threads", "eval_episodes", "eval_every", "checkpoint_every", "keep_checkpoints"];

/// A field of a config that differs from the one a checkpoint was written with.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub field: String,
    pub saved: Json,
    pub now: Json,
    /// Whether the checkpoint means nothing for the new value (see [`RunConfig::changes_from`]).
    pub breaking: bool,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` {} in the checkpoint, {} now", self.field, self.saved, self.now)
    }
}

/// Where evaluation seeds start, above the run's seed: far from the training envs' first
/// seeds (seed + i), so evaluation episodes are not training episodes.
pub const EVAL_SEED_OFFSET: u64 = 1_000_000;

/// The algorithms a config may name: the learners of `limbic-agents` (the imitation learners
/// `bc` and `sqil` too, which `limbic imitate` trains with their demonstrations), and the
/// random baseline.
pub fn algorithms() -> limbic_agents::Algorithms {
    let mut registry = limbic_agents::Algorithms::builtins();
    registry.register(crate::random_agent::ENTRY).expect("`random` is not a learner's name");
    registry
}

impl RunConfig {
    /// The defaults with the embedded preset for `env` and `algo` applied: what
    /// `limbic train --env ENV --algo ALGO` runs.
    pub fn for_env(env: &str, algo: &str) -> Result<RunConfig> {
        let mut flags = Map::new();
        flags.insert("env".into(), env.into());
        flags.insert("algo".into(), algo.into());
        resolve(vec![Layer::new("arguments", flags)?])
    }

    /// The seed of evaluation episode 0 (episode i resets with it + i).
    pub fn eval_seed(&self) -> u64 {
        self.seed.saturating_add(EVAL_SEED_OFFSET)
    }

    /// Refuses values that cannot work, naming the field.
    pub fn validate(&self) -> Result<()> {
        let positive = [
            ("total_steps", self.total_steps),
            ("num_envs", self.num_envs as u64),
            ("threads", self.threads as u64),
            ("eval_episodes", self.eval_episodes as u64),
            ("keep_checkpoints", self.keep_checkpoints as u64),
        ];
        if let Some((field, _)) = positive.iter().find(|(_, v)| *v == 0) {
            bail!("config `{field}` must be at least 1");
        }
        if !self.params.is_object() {
            bail!("config `params` must be a JSON object of hyperparameters, got {}", self.params);
        }
        algorithms().get(&self.algo)?;
        self.policy.validate().context("config `policy`")?;
        if !self.rewards.is_empty() && self.algo == crate::random_agent::NAME {
            bail!("config `rewards`: the random baseline does not learn from rewards; use ppo, dqn or sac");
        }
        self.from_python.check(&self.env)?;
        let spec = registry::spec(&self.env).context("config `env`")?;
        spec.time_limit(&self.env_kwargs).context("config `env_kwargs`")?;
        // Sub-env i first resets with seed + i, evaluation episode i with seed + EVAL_SEED_OFFSET + i.
        crate::checks::seed_range("config `seed`", self.seed, 0, self.num_envs as u64)?;
        crate::checks::seed_range("config `seed`", self.seed, EVAL_SEED_OFFSET, self.eval_episodes as u64)
    }

    /// The fields in which this config differs from `saved` (a checkpoint's), each with both
    /// values, and whether the difference makes the checkpoint meaningless for this config
    /// (another env, learner, seed, hyperparameters...) rather than only changing the schedule
    /// of what follows ([`SCHEDULE_FIELDS`]).
    pub fn changes_from(&self, saved: &RunConfig) -> Result<Vec<Change>> {
        let (Json::Object(now), Json::Object(before)) = (serde_json::to_value(self)?, serde_json::to_value(saved)?)
        else {
            bail!("a config is not a JSON object");
        };
        Ok(now
            .into_iter()
            .filter(|(key, value)| before.get(key) != Some(value))
            .map(|(field, now)| Change {
                breaking: !SCHEDULE_FIELDS.contains(&field.as_str()),
                saved: before.get(&field).cloned().unwrap_or(Json::Null),
                field,
                now,
            })
            .collect())
    }

    /// Reads a config saved in a run directory (all fields present, nothing unknown).
    pub fn load(path: &Path) -> Result<RunConfig> {
        let config = RunConfig::read(path)?;
        config.validate().with_context(|| format!("config {}", path.display()))?;
        Ok(config)
    }

    /// Reads a saved config without checking that this process can build it: enough to
    /// describe a run (`limbic compare` of runs with parts from Python).
    pub fn read(path: &Path) -> Result<RunConfig> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("config {}", path.display()))
    }
}

/// One source of config values: a JSON object and where it came from (for error messages).
#[derive(Clone, Debug)]
pub struct Layer {
    source: String,
    values: Map<String, Json>,
}

impl Layer {
    /// A layer from a JSON object, checked against [`RunConfig`]'s keys and types over the
    /// defaults. A nested object may be partial (`policy.memory.size` alone): what it leaves out
    /// comes from the layers below, so [`resolve`] checks again after merging each layer.
    pub fn new(source: &str, values: Map<String, Json>) -> Result<Layer> {
        let Json::Object(mut merged) = serde_json::to_value(RunConfig::default())? else {
            bail!("the defaults are not an object")
        };
        merge(&mut merged, values.clone());
        if let Err(e) = serde_json::from_value::<RunConfig>(Json::Object(merged)) {
            if !e.to_string().starts_with("missing field") {
                return Err(e).with_context(|| source.to_string());
            }
        }
        Ok(Layer { source: source.to_string(), values })
    }

    /// A config file: a JSON object of [`RunConfig`] fields (errors name the file, line and column).
    pub fn from_file(path: &Path) -> Result<Layer> {
        let source = format!("config file {}", path.display());
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {source}"))?;
        serde_json::from_str::<RunConfig>(&text).with_context(|| source.clone())?;
        match serde_json::from_str(&text).with_context(|| source.clone())? {
            Json::Object(values) => Ok(Layer { source, values }),
            _ => bail!("{source}: expected a JSON object"),
        }
    }

    /// `key=value` assignments (`--set`): the key is a dotted path (`params.learning_rate`), the
    /// value JSON (`3e-4`, `[64, 64]`, `true`), or else taken as a string (`env=Acrobot-v1`).
    pub fn from_assignments(source: &str, assignments: &[String]) -> Result<Layer> {
        let mut values = Map::new();
        for assignment in assignments {
            let Some((path, text)) = assignment.split_once('=') else {
                bail!("{source} `{assignment}`: expected key=value, e.g. params.learning_rate=3e-4");
            };
            let value = serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.to_string()));
            set_path(&mut values, path, value).with_context(|| format!("{source} `{assignment}`"))?;
        }
        Layer::new(source, values)
    }

    /// Sets one top-level key (for flags such as `--env`).
    pub fn with(mut self, key: &str, value: impl Into<Json>) -> Result<Layer> {
        self.values.insert(key.to_string(), value.into());
        Layer::new(&self.source, self.values)
    }

    fn get_str(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(Json::as_str)
    }
}

/// Resolves layers (lowest priority first) over the defaults and the preset for the resulting
/// env and algorithm, then checks the result.
pub fn resolve(layers: Vec<Layer>) -> Result<RunConfig> {
    let defaults = RunConfig::default();
    let pick =
        |key: &str, default: &str| layers.iter().rev().find_map(|l| l.get_str(key)).unwrap_or(default).to_string();
    let (env, algo) = (pick("env", &defaults.env), pick("algo", &defaults.algo));
    let Json::Object(mut merged) = serde_json::to_value(&defaults)? else { bail!("the defaults are not an object") };
    let preset = crate::presets::preset(&env, &algo)?;
    for layer in preset.into_iter().chain(layers) {
        merge(&mut merged, layer.values);
        // Names the layer that left a nested object incomplete.
        serde_json::from_value::<RunConfig>(Json::Object(merged.clone())).with_context(|| layer.source.clone())?;
    }
    let config: RunConfig = serde_json::from_value(Json::Object(merged)).context("resolved config")?;
    config.validate()?;
    Ok(config)
}

/// Deep-merges `over` into `base`: objects merge key by key, other values replace.
fn merge(base: &mut Map<String, Json>, over: Map<String, Json>) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Json::Object(inner)), Json::Object(value)) => merge(inner, value),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Sets the value at a dotted `path` (`params.learning_rate`), creating objects on the way.
pub fn set_path(values: &mut Map<String, Json>, path: &str, value: Json) -> Result<()> {
    let mut keys = path.split('.').collect::<Vec<_>>();
    let last = keys.pop().filter(|k| !k.is_empty()).context("empty key")?;
    let mut object = values;
    for key in keys {
        let slot = object.entry(key).or_insert_with(|| Json::Object(Map::new()));
        object = slot.as_object_mut().with_context(|| format!("`{key}` is set to a value, not an object"))?;
    }
    object.insert(last.to_string(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn layer(values: Json) -> Layer {
        Layer::new("test", values.as_object().unwrap().clone()).unwrap()
    }

    #[test]
    fn nested_assignments_build_objects_and_parse_json() {
        let l = Layer::from_assignments(
            "--set",
            &["params.learning_rate=3e-4".into(), "params.net_arch=[64,64]".into(), "env=Acrobot-v1".into()],
        )
        .unwrap();
        assert_eq!(l.values["params"], json!({"learning_rate": 3e-4, "net_arch": [64, 64]}));
        assert_eq!(l.values["env"], json!("Acrobot-v1"));
    }

    #[test]
    fn params_merge_key_by_key() {
        let mut base = json!({"params": {"a": 1, "b": 2}, "seed": 1}).as_object().unwrap().clone();
        merge(&mut base, json!({"params": {"b": 3}, "seed": 2}).as_object().unwrap().clone());
        assert_eq!(Json::Object(base), json!({"params": {"a": 1, "b": 3}, "seed": 2}));
    }

    #[test]
    fn a_partial_nested_object_takes_the_rest_from_the_layers_below() {
        let size = || Layer::from_assignments("--set", &["policy.memory.size=64".into()]).unwrap();
        let config = resolve(vec![layer(json!({"policy": {"memory": {"kind": "lstm"}}})), size()]).unwrap();
        assert_eq!(config.policy.memory, Some(limbic_agents::nets::memory::MemoryConfig::Lstm { size: 64 }));
        let error = format!("{:#}", resolve(vec![size()]).err().unwrap());
        assert!(error.contains("--set") && error.contains("missing field `kind`"), "{error}");
        let typo = Layer::from_assignments("--set", &["params.learning_rate=fast".into(), "sed=1".into()]);
        assert!(typo.is_err());
    }

    #[test]
    fn the_last_layer_wins() {
        let config = resolve(vec![layer(json!({"seed": 1, "num_envs": 2})), layer(json!({"seed": 5}))]).unwrap();
        assert_eq!((config.seed, config.num_envs), (5, 2));
    }
}
