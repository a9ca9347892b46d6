//! Hierarchical controllers: a slower controller chooses what to do, a faster one does it.
//!
//! - [`option_critic`]: options (intra-option policies with their terminations) and a policy
//!   over options, one network trained end to end by PPO ([`option_network`]);
//! - [`manager_worker`]: a manager choosing goals ([`goals`]) for a goal-conditioned worker,
//!   two PPO learners on two timescales.
//!
//! The controller's choice (the option in force, the goal) is part of each row's state in the
//! acting session, so evaluation, GIFs, traces and checkpoints see it without knowing the
//! hierarchy; each step's choice also comes back in the acted batch's named traces.

pub mod goals;
pub mod manager_worker;
pub mod option_critic;
pub mod option_network;

use crate::core::config::invalid;
use crate::error::{AgentError, Result};
use crate::learners::ppo::PpoConfig;

/// Splits an algorithm's parameters into its `own` ones (a JSON object) and the PPO
/// parameters of the learner it builds on; an unknown key's error lists both.
fn split_params(
    algo: &str,
    params: &serde_json::Value,
    own: &[(&str, &str)],
) -> Result<(serde_json::Value, PpoConfig)> {
    let object = match params {
        serde_json::Value::Null => serde_json::Map::new(),
        serde_json::Value::Object(object) => object.clone(),
        other => return Err(invalid(algo, format!("parameters must be a JSON object, got {other}"))),
    };
    let (mine, rest): (serde_json::Map<_, _>, serde_json::Map<_, _>) =
        object.into_iter().partition(|(key, _)| own.iter().any(|(name, _)| name == key));
    let ppo = PpoConfig::from_json(&serde_json::Value::Object(rest)).map_err(|e| match e {
        AgentError::Config { field, message } => AgentError::Config {
            field,
            message: format!("{message}; {algo}'s own: {}", own.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")),
        },
        other => other,
    })?;
    Ok((serde_json::Value::Object(mine), ppo))
}
