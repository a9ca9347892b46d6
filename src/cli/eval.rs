//! `limbic eval`: evaluate a run's checkpoint over N episodes, with a confidence interval.

use anyhow::{bail, Result};
use limbic::evaluate::{evaluate_with, record_episode, EvalSummary};
use limbic::run_dir::RunDir;
use limbic::runner::{build_algorithm, load_policy};
use limbic_environments::render::save_frames;
use serde_json::json;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A run directory written by `limbic train`.
    #[arg(long)]
    run: PathBuf,
    /// Episodes to run [default: the run's eval_episodes].
    #[arg(long)]
    episodes: Option<usize>,
    /// Seed of episode 0; episode i resets with seed + i [default: the run's evaluation seed].
    #[arg(long)]
    seed: Option<u64>,
    /// Also record the episode with the first seed as an animated GIF (or .png picture).
    #[arg(long, value_name = "FILE")]
    gif: Option<PathBuf>,
    /// Print one JSON object (mean_return, std_return, ci95, episodes, ...) instead of text.
    #[arg(long)]
    json: bool,
    /// Sample actions from the policy instead of taking its most likely action.
    #[arg(long)]
    stochastic: bool,
    /// Which checkpoint: `best` (falling back to the latest), `latest`, a checkpoint's name in
    /// the run (`step_3000`), or a checkpoint folder.
    #[arg(long, default_value = "best")]
    checkpoint: String,
}

pub fn run(args: Args) -> Result<()> {
    let run = RunDir::open(&args.run)?;
    let episodes = args.episodes.unwrap_or(run.config()?.eval_episodes);
    if episodes == 0 {
        bail!("--episodes must be at least 1");
    }
    if let Some(path) = &args.gif {
        limbic::checks::extension("--gif", path, &["gif", "png"])?;
    }
    let (config, mut algo, checkpoint) = load_policy(&run, &args.checkpoint, &build_algorithm)?;
    let seed = args.seed.unwrap_or(config.eval_seed());
    let (env, kwargs, threads) = (&config.env, &config.env_kwargs, config.threads);
    let summary = evaluate_with(&mut *algo, env, kwargs, episodes, seed, threads, !args.stochastic)?;
    if let Some(path) = &args.gif {
        let episode = record_episode(&mut *algo, &config.env, &config.env_kwargs, seed)?;
        save_frames(&episode.frames, episode.fps, path)?;
    }
    if args.json {
        let mut object = serde_json::to_value(&summary)?;
        object["algo"] = json!(config.algo);
        object["checkpoint"] = json!(checkpoint.display().to_string());
        object["actions"] = json!(if args.stochastic { "sampled" } else { "deterministic" });
        println!("{object}");
    } else {
        let actions = if args.stochastic { "sampled" } else { "deterministic" };
        println!("{} on {}, checkpoint {}, {actions} actions", config.algo, config.env, checkpoint.display());
        println!("{}", describe(&summary));
        if let Some(path) = &args.gif {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// One line: mean, std, confidence interval, success rate.
pub(crate) fn describe(e: &EvalSummary) -> String {
    let ci = e.ci95.map_or(String::new(), |[low, high]| format!(", 95% CI [{low:.3}, {high:.3}]"));
    let success = e.success_rate.map_or(String::new(), |r| format!(", success {:.0}%", 100.0 * r));
    format!(
        "Evaluation over {} episodes (seeds {}..): mean return {:.3} (std {:.3}{ci}{success}), mean length {:.1}",
        e.episodes, e.seed, e.mean_return, e.std_return, e.mean_length
    )
}
