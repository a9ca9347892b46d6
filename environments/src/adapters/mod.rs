//! Adapters to other crates' environment traits, each behind its own cargo feature.

#[cfg(feature = "gymnasium-rs")]
pub mod gymnasium_rs;
