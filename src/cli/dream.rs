//! `limbic dream`: a real episode beside the world model's open-loop prediction of it, with
//! the per-step prediction error under the pictures (see `limbic::dream`).

use anyhow::{bail, Result};
use limbic::dream::{dream, error_label, frames, Dream};
use limbic::run_dir::RunDir;
use limbic::runner::{build_algorithm, load_policy};
use limbic_environments::render::{save_gif, write_atomically};
use serde_json::json;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A run directory of an algorithm with a world model (`limbic train --algo dreamer`).
    #[arg(long)]
    run: PathBuf,
    /// Environment to dream (its observations must be the run's kind, e.g. the run's env).
    #[arg(long)]
    env: String,
    /// Reset seed of the episode [default: the run's evaluation seed, never trained on].
    #[arg(long)]
    seed: Option<u64>,
    /// Steps at most (the episode may end first).
    #[arg(long, default_value_t = 100)]
    steps: usize,
    /// Observations the model sees before it predicts on its own.
    #[arg(long, default_value_t = 5)]
    context: usize,
    /// The GIF to write.
    #[arg(long)]
    out: PathBuf,
    /// Dream this many episodes (seeds S, S+1, ...): the GIF shows the first, the summary and
    /// `--plot` cover all.
    #[arg(long, default_value_t = 1)]
    episodes: usize,
    /// Also write the per-step error over the episodes (mean, 10th-90th percentile) as a PNG.
    #[arg(long, value_name = "FILE.png")]
    plot: Option<PathBuf>,
    /// Print one JSON object (per-episode errors per step, means) instead of text.
    #[arg(long)]
    json: bool,
    /// Which checkpoint: `best` (falling back to the latest), `latest`, a checkpoint's name in
    /// the run (`step_3000`), or a checkpoint folder.
    #[arg(long, default_value = "best")]
    checkpoint: String,
}

pub fn run(args: Args) -> Result<()> {
    if args.episodes == 0 || args.steps == 0 {
        bail!("--episodes and --steps must be at least 1");
    }
    let run = RunDir::open(&args.run)?;
    limbic::checks::extension("--out", &args.out, &["gif"])?;
    if let Some(plot) = &args.plot {
        limbic::checks::extension("--plot", plot, &["png"])?;
    }
    let (config, algo, checkpoint) = load_policy(&run, &args.checkpoint, &build_algorithm)?;
    let kwargs = if args.env == config.env { config.env_kwargs.clone() } else { Default::default() };
    let seed = args.seed.unwrap_or(config.eval_seed());
    let dreams: Vec<Dream> = (0..args.episodes as u64)
        .map(|i| dream(algo.as_ref(), &args.env, &kwargs, seed + i, args.steps, args.context))
        .collect::<Result<_>>()?;
    save_gif(&frames(&dreams[0], &args.env)?, dreams[0].fps, &args.out)?;
    let errors: Vec<Vec<f64>> = dreams.iter().map(|d| d.errors.clone()).collect();
    if let Some(plot) = &args.plot {
        let title = format!("{} on {}: open-loop prediction, {} episodes", config.algo, args.env, args.episodes);
        let png = limbic::plot::prediction_error(&title, error_label(dreams[0].coding), &errors, args.context)?;
        write_atomically(plot, &png)?;
    }
    let open_loop: Vec<f64> = dreams.iter().filter_map(Dream::open_loop_error).collect();
    let mean_open_loop = (!open_loop.is_empty()).then(|| open_loop.iter().sum::<f64>() / open_loop.len() as f64);
    if args.json {
        let object = json!({
            "env": args.env,
            "seed": seed,
            "context": args.context,
            "checkpoint": checkpoint.display().to_string(),
            "error": error_label(dreams[0].coding),
            "errors": errors,
            "open_loop_error": mean_open_loop,
        });
        println!("{object}");
    } else {
        let steps: usize = dreams.iter().map(|d| d.real.len()).sum();
        let error = mean_open_loop.map_or("none (no step after the context)".into(), |e| format!("{e:.4}"));
        println!(
            "dreamed {} episode(s) of {} ({steps} observations, seeds {seed}..): mean open-loop error ({}) {error}",
            args.episodes,
            args.env,
            error_label(dreams[0].coding)
        );
        for path in [Some(&args.out), args.plot.as_ref()].into_iter().flatten() {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
