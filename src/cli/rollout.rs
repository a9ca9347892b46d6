//! `limbic rollout`: step an environment and print what it returns, as JSON lines.

use anyhow::{Context, Result};
use limbic_environments::json::value_to_json;
use limbic_environments::{make, Env, Options};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Environment id, e.g. CartPole-v1 (see `limbic envs`).
    #[arg(long)]
    env: String,
    /// Seed for reset (Gymnasium's `reset(seed=S)`); random when absent.
    #[arg(long)]
    seed: Option<u64>,
    /// JSON array of actions: integers for Discrete, arrays of numbers for Box.
    #[arg(long)]
    actions: Option<PathBuf>,
    /// Without --actions: how many random actions to take (at most; stops at episode end).
    #[arg(long, default_value_t = 1000)]
    steps: usize,
    /// Keyword arguments for `make`, as a JSON object, e.g. '{"max_episode_steps": 50}'.
    #[arg(long)]
    kwargs: Option<String>,
    /// Reset options as a JSON object, e.g. '{"low": -0.1, "high": 0.1}'.
    #[arg(long)]
    options: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    let mut env = make(&args.env, &super::parse_kwargs(args.kwargs.as_deref())?)?;
    let options: Options = super::parse_kwargs(args.options.as_deref()).context("--options")?;
    let mut actions = super::ActionSource::new(args.actions.as_deref(), args.seed, args.steps)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (obs, _) = env.reset(args.seed, &options)?;
    emit(&mut out, json!({"obs": value_to_json(env.observation_space(), &obs)}))?;
    for i in 0..actions.len() {
        let action = actions.get(i, env.action_space())?;
        let step = env.step(&action).with_context(|| format!("step {i}"))?;
        let line = json!({
            "obs": value_to_json(env.observation_space(), &step.obs),
            "reward": step.reward, "terminated": step.terminated, "truncated": step.truncated,
        });
        emit(&mut out, line)?;
        if step.terminated || step.truncated {
            break;
        }
    }
    out.flush().or_else(ignore_broken_pipe)?;
    Ok(())
}

fn emit(out: &mut impl Write, line: serde_json::Value) -> Result<()> {
    writeln!(out, "{line}").or_else(ignore_broken_pipe)?;
    Ok(())
}

/// `limbic rollout ... | head` closes the pipe early: that is not an error.
fn ignore_broken_pipe(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0)
    }
    Err(e)
}
