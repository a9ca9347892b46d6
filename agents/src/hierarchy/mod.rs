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
        AgentError::Config { field, message } => {
            let own = own.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ");
            let message = match message.split_once(", expected one of ") {
                Some((unknown, ppo)) => format!("{unknown}; its own parameters: {own}; its PPO learner's: {ppo}"),
                None => format!("{field}: {message}"),
            };
            AgentError::Config { field: algo.to_string(), message }
        }
        other => other,
    })?;
    Ok((serde_json::Value::Object(mine), ppo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_parameter_is_named_under_the_algorithm_with_both_lists() {
        let own = [("options", "count"), ("option_epsilon", "epsilon")];
        let err = split_params("option-critic", &serde_json::json!({"options": 4, "bogus": 1}), &own).unwrap_err();
        let AgentError::Config { field, message } = err else { panic!("{err}") };
        assert_eq!(field, "option-critic");
        assert!(
            message.starts_with("unknown field `bogus`; its own parameters: options, option_epsilon;"),
            "{message}"
        );
        assert!(message.contains("its PPO learner's: `learning_rate`"), "{message}");
        let err = split_params("option-critic", &serde_json::json!({"n_steps": 0}), &own).unwrap_err();
        assert!(err.to_string().contains("option-critic") && err.to_string().contains("n_steps"), "{err}");
        let (mine, ppo) =
            split_params("option-critic", &serde_json::json!({"options": 4, "n_steps": 8}), &own).unwrap();
        assert_eq!((mine, ppo.n_steps), (serde_json::json!({"options": 4}), 8));
    }
}
