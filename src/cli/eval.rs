//! `limbic eval`: evaluate a run's checkpoint over N episodes, with a confidence interval.

use anyhow::{bail, Result};
use limbic::evaluate::{evaluate_with, record_episode, trace_episode, EvalSummary};
use limbic::run_dir::RunDir;
use limbic::runner::{build_algorithm, load_policy};
use limbic_environments::render::{save_frames, write_atomically};
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
    /// Also trace the episode with the first seed: JSON lines of step, action, reward and the
    /// policy's inner values (a slot memory's write gates and read weights), and a heatmap of
    /// them beside it (FILE with `.png`).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
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
    let (config, algo, checkpoint) = load_policy(&run, &args.checkpoint, &build_algorithm)?;
    let seed = args.seed.unwrap_or(config.eval_seed());
    let (env, kwargs, threads) = (&config.env, &config.env_kwargs, config.threads);
    let summary = evaluate_with(algo.as_ref(), env, kwargs, episodes, seed, threads, !args.stochastic)?;
    if let Some(path) = &args.gif {
        let episode = record_episode(algo.as_ref(), &config.env, &config.env_kwargs, seed)?;
        save_frames(&episode.frames, episode.fps, path)?;
    }
    let plot = args.trace.as_ref().map(|path| path.with_extension("png"));
    if let (Some(path), Some(plot)) = (&args.trace, &plot) {
        let steps = trace_episode(algo.as_ref(), &config.env, &config.env_kwargs, seed)?;
        let lines: Vec<String> = steps.iter().map(serde_json::to_string).collect::<Result<_, _>>()?;
        write_atomically(path, (lines.join("\n") + "\n").as_bytes())?;
        let title = format!("{} on {}: episode seed {seed}", config.algo, config.env);
        match limbic::plot::trace(&title, &steps) {
            Ok(png) => write_atomically(plot, &png)?,
            Err(e) => eprintln!("no trace plot: {e}"),
        }
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
        for path in [&args.gif, &args.trace, &plot].into_iter().flatten() {
            if path.exists() {
                println!("wrote {}", path.display());
            }
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
