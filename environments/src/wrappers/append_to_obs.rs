//! What POPGym's `PreviousAction` and `Antialias` share: one more part appended to every
//! observation, the way popgym appends it to each kind of space.

use super::check_buffer;
use crate::env::{Env, Options, Transition};
use crate::error::{EnvError, Result};
use crate::space::Space;
use crate::value::Value;

/// How the observation space grows, and how values and flat rows follow it.
pub(crate) struct Appender {
    inner: Space,
    space: Space,
    flat_space: Space,
    extra: Space,
    key: &'static str,
    /// The inner env's flat width, when the extra part's one-hot block simply follows it
    /// (every space but a Dict, whose new key sorts among the others).
    inner_flat_dim: Option<usize>,
}

/// popgym's `Dict` from its `ObservabilityWrapper` (`{"obs", "state"}`): the part goes into "obs".
fn is_obs_state(items: &[(String, Space)]) -> bool {
    items.len() == 2 && items.iter().any(|(k, _)| k == "obs") && items.iter().any(|(k, _)| k == "state")
}

/// popgym's `add_act_space_to_obs_space` / `antialias_obs_space`.
fn appended_space(space: &Space, extra: &Space, key: &str, wrapper: &str) -> Result<Space> {
    Ok(match space {
        Space::Box(_) | Space::Discrete { .. } | Space::MultiDiscrete { .. } | Space::MultiBinary { .. } => {
            Space::Tuple(vec![space.clone(), extra.clone()])
        }
        Space::Tuple(items) => Space::Tuple(items.iter().chain([extra]).cloned().collect()),
        Space::Dict(items) if is_obs_state(items) => Space::dict(
            items
                .iter()
                .map(|(k, s)| {
                    Ok((k.clone(), if k == "obs" { appended_space(s, extra, key, wrapper)? } else { s.clone() }))
                })
                .collect::<Result<_>>()?,
        ),
        Space::Dict(items) => {
            if items.iter().any(|(k, _)| k == key) {
                return Err(EnvError::BadSpace(format!("{wrapper}: the observation already has a key `{key}`")));
            }
            Space::dict(items.iter().cloned().chain([(key.to_string(), extra.clone())]).collect())
        }
        Space::Text { .. } => {
            return Err(EnvError::Unsupported(format!("{wrapper}: popgym has no rule for a Text observation space")))
        }
    })
}

/// popgym's `add_act_to_obs` / `antialias_obs`.
fn appended_value(space: &Space, obs: Value, extra: Value, key: &str) -> Value {
    match (space, obs) {
        (Space::Tuple(_), Value::Tuple(mut items)) => {
            items.push(extra);
            Value::Tuple(items)
        }
        (Space::Dict(spaces), Value::Dict(items)) if is_obs_state(spaces) => Value::Dict(
            items
                .into_iter()
                .map(|(k, v)| {
                    let v = match spaces.iter().find(|(sk, _)| *sk == k) {
                        Some((_, s)) if k == "obs" => appended_value(s, v, extra.clone(), key),
                        _ => v,
                    };
                    (k, v)
                })
                .collect(),
        ),
        (Space::Dict(_), Value::Dict(mut items)) => {
            let at = items.partition_point(|(k, _)| k.as_str() < key);
            items.insert(at, (key.to_string(), extra));
            Value::Dict(items)
        }
        (_, obs) => Value::Tuple(vec![obs, extra]),
    }
}

impl Appender {
    /// `extra`: the space of the appended part; `key`: its name in a Dict observation.
    pub(crate) fn new(env: &impl Env, extra: Space, key: &'static str, wrapper: &str) -> Result<Self> {
        let inner = env.observation_space().clone();
        let space = appended_space(&inner, &extra, key, wrapper)?;
        let flat_space = appended_space(env.flat_space(), &extra, key, wrapper)?;
        let inner_flat_dim = match env.flat_space() {
            Space::Dict(_) => None,
            flat => Some(flat.flat_dim()?),
        };
        Ok(Appender { inner, space, flat_space, extra, key, inner_flat_dim })
    }

    pub(crate) fn space(&self) -> &Space {
        &self.space
    }

    pub(crate) fn flat_space(&self) -> &Space {
        &self.flat_space
    }

    pub(crate) fn value(&self, obs: Value, extra: Value) -> Value {
        appended_value(&self.inner, obs, extra, self.key)
    }

    /// `reset_into` of the wrapped env, then the extra part's flat block.
    pub(crate) fn reset_into(
        &self,
        env: &mut impl Env,
        seed: Option<u64>,
        extra: &Value,
        out: &mut [f32],
    ) -> Result<()> {
        check_buffer(out, &self.flat_space)?;
        match self.inner_flat_dim {
            Some(dim) => {
                env.reset_into(seed, &mut out[..dim])?;
                self.extra.flatten_into(extra, &mut out[dim..])
            }
            None => {
                let (obs, _) = env.reset(seed, &Options::new())?;
                self.flat_space.flatten_into(&self.value(obs, extra.clone()), out)
            }
        }
    }

    /// `step_into` of the wrapped env, then the extra part's flat block.
    pub(crate) fn step_into(
        &self,
        env: &mut impl Env,
        action: &Value,
        extra: &Value,
        out: &mut [f32],
    ) -> Result<Transition> {
        check_buffer(out, &self.flat_space)?;
        match self.inner_flat_dim {
            Some(dim) => {
                let t = env.step_into(action, &mut out[..dim])?;
                self.extra.flatten_into(extra, &mut out[dim..])?;
                Ok(t)
            }
            None => {
                let step = env.step(action)?;
                self.flat_space.flatten_into(&self.value(step.obs, extra.clone()), out)?;
                Ok(Transition { reward: step.reward, terminated: step.terminated, truncated: step.truncated })
            }
        }
    }
}
