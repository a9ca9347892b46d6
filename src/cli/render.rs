//! `limbic render`: an episode as an animated GIF (or a PNG picture). Where the observation has
//! a mission (MiniGrid, BabyAI), it is written under every frame, as MiniGrid's window shows it.

use anyhow::{Context, Result};
use limbic_environments::render::save_frames;
use limbic_environments::{make, Env, Frame, Options, Value};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Environment id, e.g. Acrobot-v1 (see `limbic envs`).
    #[arg(long)]
    env: String,
    /// Seed for reset; random when absent.
    #[arg(long)]
    seed: Option<u64>,
    /// Output file: .gif for an animation, .png for a picture (first and last frame).
    #[arg(long)]
    out: PathBuf,
    /// JSON array of actions; random actions when absent.
    #[arg(long)]
    actions: Option<PathBuf>,
    /// Without --actions: how many random actions to take (at most; stops at episode end).
    #[arg(long, default_value_t = 200)]
    steps: usize,
    /// Keyword arguments for `make`, as a JSON object.
    #[arg(long)]
    kwargs: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    let mut env = make(&args.env, &super::parse_kwargs(args.kwargs.as_deref())?)?;
    let mut actions = super::ActionSource::new(args.actions.as_deref(), args.seed, args.steps)?;
    let (obs, _) = env.reset(args.seed, &Options::new())?;
    let mut frames = vec![captioned(env.render()?, &obs)?];
    let mut total = 0.0;
    for i in 0..actions.len() {
        let action = actions.get(i, env.action_space())?;
        let step = env.step(&action).with_context(|| format!("step {i}"))?;
        total += step.reward;
        frames.push(captioned(env.render()?, &step.obs)?);
        if step.terminated || step.truncated {
            break;
        }
    }
    save_frames(&frames, env.render_fps(), &args.out)?;
    println!("wrote {} ({} frames, return {total})", args.out.display(), frames.len());
    Ok(())
}

/// The frame with the observation's mission under it, if it has one.
fn captioned(frame: Frame, obs: &Value) -> Result<Frame> {
    match obs.get("mission") {
        Some(Value::Text(mission)) if !mission.is_empty() => limbic::plot::caption(&frame, mission),
        _ => Ok(frame),
    }
}
