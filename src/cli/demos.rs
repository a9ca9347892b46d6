//! `limbic demos`: record demonstrations into a Minari dataset, describe one, dump one as JSON.
//!
//! - `record --env ID --policy scripted|random|RUN_DIR --episodes N --seed S --out DATASET
//!   [--ref-scores] [--force]`: episode i resets with seed S + i; a run directory's policy acts
//!   deterministically from its best (else latest) checkpoint. `--ref-scores` also measures
//!   Minari's reference scores (100 episodes each of the random policy and the expert, first
//!   reset seed 123) into `ref_min_score`/`ref_max_score`.
//! - `info DATASET`: episodes, steps, return statistics, success rate, spaces, env, backend.
//! - `dump DATASET`: one JSON line per episode with every field, to compare with other readers.

use anyhow::{bail, Result};
use limbic::datasets::{Dataset, Metadata};
use limbic::demos::{self, DemoPolicy};
use limbic::evaluate::{success_rule, SuccessRule};
use limbic::lock::DirLock;
use limbic::progress::Progress;
use limbic::recognize::{check_replaceable, describe, Kind};
use limbic_environments::experts::ExpertEnv;
use limbic_environments::json::value_to_json;
use limbic_environments::registry;
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Record episodes of a policy into a Minari dataset (arrow or hdf5 backend).
    Record(RecordArgs),
    /// Describe a dataset: episodes, steps, returns, spaces, env, backend.
    Info(InfoArgs),
    /// Print every episode of a dataset as one JSON line (observations, actions, rewards, ...).
    Dump(InfoArgs),
}

#[derive(clap::Args, Debug)]
struct RecordArgs {
    /// Environment id (see `limbic envs`).
    #[arg(long)]
    env: String,
    /// `scripted` (the env's hand-coded or planning expert), `random`, or a run directory
    /// written by `limbic train`.
    #[arg(long)]
    policy: String,
    #[arg(long, default_value_t = 10)]
    episodes: usize,
    /// Seed of episode 0; episode i resets with seed + i.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The dataset folder to write (its `data/` inside, as Minari lays it out).
    #[arg(long)]
    out: PathBuf,
    /// Minari's dataset id in metadata.json [default: limbic/<env>/<policy>-v0].
    #[arg(long)]
    dataset_id: Option<String>,
    /// Also measure ref_min_score (random) and ref_max_score (the expert) over 100 episodes each.
    #[arg(long)]
    ref_scores: bool,
    /// Replace an existing dataset at --out (only a dataset, never other files).
    #[arg(long)]
    force: bool,
    /// Keyword arguments for `make`, as a JSON object.
    #[arg(long)]
    kwargs: Option<String>,
    /// Minari's storage backend: `arrow` (episode folders) or `hdf5` (one main_data.hdf5).
    #[arg(long, default_value = "arrow", value_parser = clap::builder::PossibleValuesParser::new(limbic::datasets::DATA_FORMATS))]
    data_format: String,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::Args, Debug)]
struct InfoArgs {
    /// A dataset folder (or its `data/` folder).
    dataset: PathBuf,
    /// Print one JSON object instead of text (info only).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Record(args) => record(args),
        Command::Info(args) => info(&args.dataset, args.json),
        Command::Dump(args) => dump(&args.dataset),
    }
}

fn record(args: RecordArgs) -> Result<()> {
    registry::spec(&args.env)?;
    if args.episodes == 0 {
        bail!("--episodes must be at least 1");
    }
    limbic::checks::seed_range("--seed", args.seed, 0, args.episodes as u64)?;
    // Owned from here to the end: nobody else writes the dataset meanwhile.
    let _lock = DirLock::acquire(&args.out)?;
    if std::fs::symlink_metadata(&args.out).is_ok() {
        if !args.force {
            bail!("{} already exists ({}); pass --force to replace it", args.out.display(), describe(&args.out));
        }
        check_replaceable(&args.out, Kind::Dataset)?;
    }
    let kwargs = super::parse_kwargs(args.kwargs.as_deref())?;
    let policy = DemoPolicy::named(&args.policy, &args.env)?;
    let dataset_id = args.dataset_id.clone().unwrap_or_else(|| demos::default_dataset_id(&args.env, &args.policy));
    let progress = Progress::episodes(args.episodes as u64, args.quiet);
    let mut dataset =
        demos::record(&args.env, &kwargs, &policy, args.episodes, args.seed, &dataset_id, Some(&progress))?;
    progress.finish();
    if args.ref_scores {
        let expert = match policy {
            DemoPolicy::Random if !ExpertEnv::has_expert(&args.env) => {
                bail!("--ref-scores needs an expert for ref_max_score: `{}` has no scripted expert; record with a trained run's policy", args.env)
            }
            DemoPolicy::Random => None,
            ref own => Some(own),
        };
        let (min, max) = demos::reference_scores(&args.env, &kwargs, expert)?;
        let meta = &mut dataset.metadata;
        (meta.ref_min_score, meta.ref_max_score) = (Some(min), Some(max));
        meta.num_episodes_average_score = Some(demos::REFERENCE_EPISODES);
    }
    dataset.metadata.data_format = args.data_format.clone();
    dataset.write(&args.out, args.force)?;
    println!("wrote {}", args.out.display());
    info(&args.out, false)
}

fn info(path: &Path, as_json: bool) -> Result<()> {
    let dataset = Dataset::read(path)?;
    let summary = dataset.summary();
    let meta = &dataset.metadata;
    let env = meta.env_id().unwrap_or("(unknown)");
    let success_rate = success_rate(&dataset);
    let mismatch = dataset.env_mismatch().map(|m| format!("the metadata does not fit the env: {m}"));
    if as_json {
        let object = json!({
            "dataset_id": meta.dataset_id, "env": env, "episodes": summary.episodes, "steps": summary.steps,
            "return_mean": summary.return_mean, "return_std": summary.return_std,
            "return_min": summary.return_min, "return_max": summary.return_max, "success_rate": success_rate,
            "observation_space": meta.observation_space.describe(), "action_space": meta.action_space.describe(),
            "data_format": meta.data_format, "minari_version": meta.minari_version,
            "ref_min_score": meta.ref_min_score, "ref_max_score": meta.ref_max_score,
            "algorithm_name": meta.algorithm_name, "warning": mismatch,
        });
        println!("{object}");
        return Ok(());
    }
    println!("dataset   {} ({})", meta.dataset_id, path.display());
    println!("env       {env}");
    println!("backend   {} (Minari {})", meta.data_format, meta.minari_version);
    if let Some(name) = &meta.algorithm_name {
        println!("policy    {name}");
    }
    println!("episodes  {}, steps {}", summary.episodes, summary.steps);
    if summary.episodes > 0 {
        println!(
            "return    mean {:.3}, std {:.3}, min {:.3}, max {:.3}",
            summary.return_mean, summary.return_std, summary.return_min, summary.return_max
        );
    }
    if let Some(rate) = success_rate {
        println!("success   {:.1}%", 100.0 * rate);
    }
    println!("obs       {}", meta.observation_space.describe());
    println!("actions   {}", meta.action_space.describe());
    println!("reference {}", references(meta));
    if let Some(warning) = mismatch {
        println!("warning   {warning}");
    }
    Ok(())
}

/// The success rate by the evaluation's rule for the env (none for CartPole and Pendulum).
fn success_rate(dataset: &Dataset) -> Option<f64> {
    let rule = success_rule(dataset.metadata.env_id()?)?;
    let n = dataset.episodes.len();
    let successes = dataset
        .episodes
        .iter()
        .filter(|e| {
            let terminated = e.terminations.last() == Some(&true);
            match rule {
                SuccessRule::Terminated => terminated,
                SuccessRule::PositiveFinalReward => terminated && e.rewards.last().is_some_and(|&r| r > 0.0),
            }
        })
        .count();
    (n > 0).then(|| successes as f64 / n as f64)
}

fn references(meta: &Metadata) -> String {
    match (meta.ref_min_score, meta.ref_max_score) {
        (Some(min), Some(max)) => {
            let n = meta.num_episodes_average_score.map_or(String::new(), |n| format!(" ({n} episodes each)"));
            format!("ref_min_score {min:.3} (random), ref_max_score {max:.3} (expert){n}")
        }
        _ => "no reference scores (record with --ref-scores)".into(),
    }
}

fn dump(path: &Path) -> Result<()> {
    let dataset = Dataset::read(path)?;
    let (obs_space, act_space) = (&dataset.metadata.observation_space, &dataset.metadata.action_space);
    for e in &dataset.episodes {
        let line = json!({
            "id": e.id, "seed": e.seed,
            "observations": e.observations.iter().map(|o| value_to_json(obs_space, o)).collect::<Vec<_>>(),
            "actions": e.actions.iter().map(|a| value_to_json(act_space, a)).collect::<Vec<_>>(),
            "rewards": e.rewards, "terminations": e.terminations, "truncations": e.truncations,
        });
        println!("{line}");
    }
    Ok(())
}
