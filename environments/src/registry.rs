//! The registry: `make(id, kwargs)` for every registered environment, and `register` for yours.

use crate::env::Env;
use crate::error::{EnvError, Result};
use crate::vector::BatchScope;
use crate::wrappers::{OrderEnforcing, TimeLimit};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, RwLock};

/// Keyword arguments for `make`, like Python's `gym.make(id, **kwargs)`.
pub type Kwargs = serde_json::Map<String, Json>;

/// Builds an environment from checked kwargs.
pub type EnvFactory = Arc<dyn Fn(&Kwargs) -> Result<Box<dyn Env>> + Send + Sync>;

/// One keyword argument an environment accepts.
#[derive(Clone, Debug)]
pub struct KwargSpec {
    pub name: &'static str,
    pub default: Json,
    pub doc: &'static str,
}

/// What the registry knows of an environment id (Gymnasium's `EnvSpec`).
#[derive(Clone)]
pub struct EnvSpec {
    pub id: String,
    pub factory: EnvFactory,
    /// `make` wraps the env in a `TimeLimit` of this many steps (overridable by the
    /// `max_episode_steps` kwarg).
    pub max_episode_steps: Option<usize>,
    pub reward_threshold: Option<f64>,
    pub kwargs: Vec<KwargSpec>,
    /// The scope every batch of a vector env of this id runs in ([`VecEnv::with_batch_scope`](crate::vector::VecEnv::with_batch_scope)):
    /// a Python env's takes the GIL once per vector step.
    pub batch_scope: Option<BatchScope>,
}

impl EnvSpec {
    pub fn new(id: &str, factory: impl Fn(&Kwargs) -> Result<Box<dyn Env>> + Send + Sync + 'static) -> Self {
        EnvSpec {
            id: id.to_string(),
            factory: Arc::new(factory),
            max_episode_steps: None,
            reward_threshold: None,
            kwargs: Vec::new(),
            batch_scope: None,
        }
    }

    pub fn batch_scope(mut self, scope: BatchScope) -> Self {
        self.batch_scope = Some(scope);
        self
    }

    pub fn max_episode_steps(mut self, steps: usize) -> Self {
        self.max_episode_steps = Some(steps);
        self
    }

    pub fn reward_threshold(mut self, threshold: f64) -> Self {
        self.reward_threshold = Some(threshold);
        self
    }

    pub fn kwarg(mut self, name: &'static str, default: Json, doc: &'static str) -> Self {
        self.kwargs.push(KwargSpec { name, default, doc });
        self
    }

    /// Builds the bare environment (no TimeLimit), after checking the kwarg names.
    pub fn make_unwrapped(&self, kwargs: &Kwargs) -> Result<Box<dyn Env>> {
        let mut valid: Vec<String> = self.kwargs.iter().map(|k| k.name.to_string()).collect();
        valid.push(MAX_EPISODE_STEPS.into());
        if let Some(key) = kwargs.keys().find(|k| !valid.contains(k)) {
            return Err(EnvError::UnknownKwarg { id: self.id.clone(), key: key.clone(), valid });
        }
        let mut env_kwargs = kwargs.clone();
        env_kwargs.remove(MAX_EPISODE_STEPS);
        (self.factory)(&env_kwargs)
    }

    /// The time limit `make` applies with these kwargs.
    pub fn time_limit(&self, kwargs: &Kwargs) -> Result<Option<usize>> {
        match kwargs.get(MAX_EPISODE_STEPS) {
            None => Ok(self.max_episode_steps),
            Some(Json::Null) => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) if n > 0 => Ok(Some(n as usize)),
                _ => Err(EnvError::BadKwarg {
                    key: MAX_EPISODE_STEPS.into(),
                    message: format!("expected a positive integer, got {v}"),
                }),
            },
        }
    }
}

const MAX_EPISODE_STEPS: &str = "max_episode_steps";

static REGISTRY: LazyLock<RwLock<BTreeMap<String, EnvSpec>>> = LazyLock::new(|| {
    let mut map = BTreeMap::new();
    for spec in crate::classic::specs()
        .into_iter()
        .chain(crate::gridworld::specs())
        .chain(crate::popgym::specs())
        .chain(crate::fourrooms::specs())
    {
        map.insert(spec.id.clone(), spec);
    }
    RwLock::new(map)
});

/// Registers an environment under a new id.
pub fn register(spec: EnvSpec) -> Result<()> {
    let mut map = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    if map.contains_key(&spec.id) {
        return Err(EnvError::AlreadyRegistered { id: spec.id });
    }
    map.insert(spec.id.clone(), spec);
    Ok(())
}

/// The spec registered under `id`, or an error that suggests the nearest ids (or says why an id
/// Gymnasium's packages register is left out).
pub fn spec(id: &str) -> Result<EnvSpec> {
    let map = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
    map.get(id).cloned().ok_or_else(|| {
        crate::gridworld::registry::not_made(id)
            .unwrap_or_else(|| EnvError::UnknownEnv { id: id.to_string(), suggestions: nearest(id, map.keys()) })
    })
}

/// Every registered spec, sorted by id.
pub fn specs() -> Vec<EnvSpec> {
    REGISTRY.read().unwrap_or_else(|e| e.into_inner()).values().cloned().collect()
}

/// Builds a registered environment as Gymnasium's `make` does: the env with its `TimeLimit` (when
/// the spec or kwargs set one), inside `OrderEnforcing`. `OrderEnforcing` sits outermost (Gymnasium
/// puts it inside) so that it sees truncation too and refuses any step after the episode ended.
pub fn make(id: &str, kwargs: &Kwargs) -> Result<Box<dyn Env>> {
    let spec = spec(id)?;
    let env = spec.make_unwrapped(kwargs)?;
    Ok(match spec.time_limit(kwargs)? {
        Some(steps) => Box::new(OrderEnforcing::new(TimeLimit::new(env, steps))),
        None => Box::new(OrderEnforcing::new(env)),
    })
}

/// Reads a bool kwarg, or its default.
pub fn kwarg_bool(kwargs: &Kwargs, key: &str, default: bool) -> Result<bool> {
    match kwargs.get(key) {
        None => Ok(default),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| EnvError::BadKwarg { key: key.into(), message: format!("expected true or false, got {v}") }),
    }
}

/// Reads a finite number kwarg, or its default.
pub fn kwarg_f64(kwargs: &Kwargs, key: &str, default: f64) -> Result<f64> {
    match kwargs.get(key) {
        None => Ok(default),
        Some(v) => v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| EnvError::BadKwarg {
            key: key.into(),
            message: format!("expected a finite number, got {v}"),
        }),
    }
}

/// Up to three names closest to `id` (edit distance, case-insensitive), for messages (also
/// used by the reward registry).
pub fn nearest<'a>(id: &str, ids: impl Iterator<Item = &'a String>) -> Vec<String> {
    let query = id.to_lowercase();
    let mut scored: Vec<(usize, &String)> = ids.map(|c| (edit_distance(&query, &c.to_lowercase()), c)).collect();
    scored.sort();
    let limit = (query.len() / 2).max(3);
    scored.into_iter().filter(|(d, _)| *d <= limit).take(3).map(|(_, c)| c.clone()).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != b[j])).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_id_suggests_nearest() {
        let err = make("CartPole-v2", &Kwargs::new()).err().unwrap();
        let msg = err.to_string();
        assert!(msg.contains("unknown environment id `CartPole-v2`") && msg.contains("CartPole-v1"), "{msg}");
    }

    #[test]
    fn unknown_kwarg_names_valid_ones() {
        let mut kw = Kwargs::new();
        kw.insert("gravity".into(), Json::from(3.0));
        let msg = make("CartPole-v1", &kw).err().unwrap().to_string();
        assert!(
            msg.contains("`gravity`") && msg.contains("sutton_barto_reward") && msg.contains("max_episode_steps"),
            "{msg}"
        );
    }

    #[test]
    fn bad_kwarg_value_is_an_error() {
        let mut kw = Kwargs::new();
        kw.insert("max_episode_steps".into(), Json::from(-3));
        assert!(make("CartPole-v1", &kw).is_err());
        kw.insert("max_episode_steps".into(), Json::from(5));
        kw.insert("sutton_barto_reward".into(), Json::from("yes"));
        assert!(make("CartPole-v1", &kw).err().unwrap().to_string().contains("sutton_barto_reward"));
    }

    #[test]
    fn duplicate_registration_is_refused() {
        let spec = spec("CartPole-v1").unwrap();
        assert!(matches!(register(spec), Err(EnvError::AlreadyRegistered { .. })));
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
