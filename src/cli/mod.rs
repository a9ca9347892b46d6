//! Subcommands of `limbic`, one module each.

mod demo;
mod envs;
mod rollout;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use limbic_environments::Kwargs;
use std::path::Path;

/// limbic: train reinforcement-learning agents shaped by internal cost functions.
///
/// Run without a subcommand to see the main job on its embedded default.
#[derive(Parser, Debug)]
#[command(name = "limbic", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List registered environments with their spaces and limits.
    Envs(envs::Args),
    /// Step an environment and print JSON lines: the reset observation, then one line per step.
    Rollout(rollout::Args),
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        None => demo::run(),
        Some(Command::Envs(args)) => envs::run(args),
        Some(Command::Rollout(args)) => rollout::run(args),
    }
}

/// Parses `--kwargs '{"key": value}'` into `make` keyword arguments.
pub(crate) fn parse_kwargs(text: Option<&str>) -> Result<Kwargs> {
    let Some(text) = text else { return Ok(Kwargs::new()) };
    match serde_json::from_str(text).context("--kwargs must be a JSON object")? {
        serde_json::Value::Object(map) => Ok(map),
        other => anyhow::bail!("--kwargs must be a JSON object, got {other}"),
    }
}

/// Reads a JSON array of actions from a file.
pub(crate) fn read_actions(path: &Path) -> Result<Vec<serde_json::Value>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read actions file {}", path.display()))?;
    match serde_json::from_str(&text).with_context(|| format!("actions file {} is not valid JSON", path.display()))? {
        serde_json::Value::Array(items) => Ok(items),
        _ => anyhow::bail!("actions file {} must hold a JSON array of actions", path.display()),
    }
}
