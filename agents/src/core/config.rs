//! Reading a learner's hyperparameters from JSON, once for every learner.

use crate::error::{AgentError, Result};
use serde::de::DeserializeOwned;

/// Parses an algorithm's hyperparameters: absent keys (or `null` for the whole object) take
/// their defaults; an unknown key is an error that lists the valid ones (serde's
/// `deny_unknown_fields` message).
pub fn parse_config<T: DeserializeOwned>(algo: &str, params: &serde_json::Value) -> Result<T> {
    let params = match params {
        serde_json::Value::Null => serde_json::Value::Object(Default::default()),
        other => other.clone(),
    };
    serde_json::from_value(params).map_err(|e| AgentError::Config { field: algo.into(), message: e.to_string() })
}

/// An error for a config value out of its range.
pub fn invalid(field: &str, message: impl Into<String>) -> AgentError {
    AgentError::Config { field: field.into(), message: message.into() }
}

/// `value` must be a positive finite number.
pub fn positive(field: &str, value: f64) -> Result<()> {
    if value > 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(invalid(field, format!("{value} must be a positive number")))
    }
}

/// `value` must lie within `[0, 1]`.
pub fn unit(field: &str, value: f64) -> Result<()> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(invalid(field, format!("{value} is not in [0, 1]")))
    }
}

/// `value` must be at least 1.
pub fn at_least_one(field: &str, value: u64) -> Result<()> {
    if value >= 1 {
        Ok(())
    } else {
        Err(invalid(field, "must be at least 1"))
    }
}

/// A parameter list made of two (an algorithm's own, then those of the learner it builds on),
/// for an [`crate::core::algorithm::AlgorithmEntry`]'s `params`.
pub const fn join_params<const N: usize>(
    first: &[(&'static str, &'static str)],
    second: &[(&'static str, &'static str)],
) -> [(&'static str, &'static str); N] {
    assert!(first.len() + second.len() == N, "N must be the two lengths together");
    let mut out = [("", ""); N];
    let mut i = 0;
    while i < first.len() {
        out[i] = first[i];
        i += 1;
    }
    while i < N {
        out[i] = second[i - first.len()];
        i += 1;
    }
    out
}

/// Hidden layer widths: none may be 0.
pub fn layer_widths(field: &str, widths: &[usize]) -> Result<()> {
    if widths.contains(&0) {
        Err(invalid(field, format!("{widths:?} has a layer of width 0")))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Example {
        rate: f64,
        layers: Vec<usize>,
    }

    impl Default for Example {
        fn default() -> Self {
            Example { rate: 0.5, layers: vec![4] }
        }
    }

    #[test]
    fn defaults_fill_absent_keys_and_unknown_keys_name_the_valid_ones() {
        let parsed: Example = parse_config("example", &serde_json::json!({"rate": 0.1})).unwrap();
        assert_eq!(parsed, Example { rate: 0.1, layers: vec![4] });
        assert_eq!(parse_config::<Example>("example", &serde_json::Value::Null).unwrap(), Example::default());
        let error = parse_config::<Example>("example", &serde_json::json!({"rat": 1})).unwrap_err().to_string();
        assert!(error.contains("rat") && error.contains("rate") && error.contains("layers"), "{error}");
        assert!(
            positive("rate", f64::NAN).is_err() && positive("rate", 0.0).is_err() && positive("rate", 1e-9).is_ok()
        );
        assert!(unit("gamma", 1.5).is_err() && unit("gamma", 1.0).is_ok());
        assert!(layer_widths("net_arch", &[64, 0]).unwrap_err().to_string().contains("width 0"));
        assert!(at_least_one("n_steps", 0).is_err());
    }
}
