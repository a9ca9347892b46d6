//! Subcommands of `limbic`, one module each.

mod algorithms;
mod bench;
mod compare;
mod demo;
mod demos;
mod dream;
mod envs;
mod eval;
mod imitate;
mod play;
mod render;
mod rewards;
mod rollout;
mod sweep;
mod teach;
mod train;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use limbic_environments::json::value_from_json;
use limbic_environments::rng::Generator;
use limbic_environments::{Kwargs, Space, Value};
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
    /// Record an episode as an animated GIF (or a PNG picture).
    Render(render::Args),
    /// Measure speed: `limbic bench env --env ID --num-envs N --steps M`.
    Bench(bench::Args),
    /// Train an agent into a run directory (config, metrics, checkpoints, plots), or resume one.
    Train(train::Args),
    /// Teach a run from the browser: a page on 127.0.0.1 (URL and access token printed first)
    /// showing clips to compare or rate; `--demo` asks about the run's own episodes.
    Teach(teach::Args),
    /// Evaluate a run's checkpoint: mean return, std and 95% confidence interval.
    Eval(eval::Args),
    /// Plot several runs together: mean and spread across seeds, per algorithm and env.
    Compare(compare::Args),
    /// Show what a run's world model imagines: a real episode beside the model's open-loop
    /// prediction, the per-step error plotted under it (GIF).
    Dream(dream::Args),
    /// Demonstrations in Minari's dataset layout: `record`, `info`, `dump`.
    Demos(demos::Args),
    /// Train an imitation learner (bc, dagger, gail, sqil) from a dataset and score it; `sweep`
    /// runs the protocol across algorithms, numbers of demos and seeds.
    Imitate(imitate::Args),
    /// Train and evaluate a grid of configs x seeds from a sweep file (locally or on Ray);
    /// results table and plot; rerunning resumes.
    Sweep(sweep::Args),
    /// Play a MiniGrid environment from the keyboard (arrows, p, d, t, enter, r, q).
    Play(play::Args),
    /// List the reward signals `--reward` and configs can attach, with parameters and defaults.
    Rewards(rewards::Args),
    /// List the learners `--algo` names, with parameters and defaults.
    Algorithms(algorithms::Args),
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        None => demo::run(),
        Some(Command::Envs(args)) => envs::run(args),
        Some(Command::Rollout(args)) => rollout::run(args),
        Some(Command::Render(args)) => render::run(args),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::Train(args)) => train::run(args),
        Some(Command::Teach(args)) => teach::run(args),
        Some(Command::Eval(args)) => eval::run(args),
        Some(Command::Compare(args)) => compare::run(args),
        Some(Command::Dream(args)) => dream::run(args),
        Some(Command::Play(args)) => play::run(args),
        Some(Command::Rewards(args)) => rewards::run(args),
        Some(Command::Algorithms(args)) => algorithms::run(args),
        Some(Command::Demos(args)) => demos::run(args),
        Some(Command::Imitate(args)) => imitate::run(args),
        Some(Command::Sweep(args)) => sweep::run(args),
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

/// Where an episode's actions come from: a JSON file, or random draws from the action space.
pub(crate) struct ActionSource {
    listed: Option<Vec<serde_json::Value>>,
    sampler: Generator,
    limit: usize,
}

impl ActionSource {
    /// Actions from `file` if given, else up to `steps` random ones (seeded from `seed`).
    pub(crate) fn new(file: Option<&Path>, seed: Option<u64>, steps: usize) -> Result<Self> {
        let listed = file.map(read_actions).transpose()?;
        let limit = listed.as_ref().map_or(steps, Vec::len);
        // A stream apart from the env's own: the env is seeded with `seed` itself.
        let sampler = Generator::from_seed(seed.unwrap_or(0).wrapping_add(1));
        Ok(ActionSource { listed, sampler, limit })
    }

    pub(crate) fn len(&self) -> usize {
        self.limit
    }

    /// The `i`-th action as an element of `space` (not yet range-checked: the env does that).
    pub(crate) fn get(&mut self, i: usize, space: &Space) -> Result<Value> {
        match &self.listed {
            Some(list) => Ok(value_from_json(space, &list[i]).with_context(|| format!("action {i}"))?),
            None => Ok(space.sample(&mut self.sampler)),
        }
    }
}

/// Reads a JSON array of actions from a file.
fn read_actions(path: &Path) -> Result<Vec<serde_json::Value>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read actions file {}", path.display()))?;
    match serde_json::from_str(&text).with_context(|| format!("actions file {} is not valid JSON", path.display()))? {
        serde_json::Value::Array(items) => Ok(items),
        _ => anyhow::bail!("actions file {} must hold a JSON array of actions", path.display()),
    }
}
