//! `limbic imitate`: train an imitation learner on a dataset's first K episodes and score it;
//! `limbic imitate sweep`: the whole protocol (algorithms x demonstration counts x seeds) with
//! its table and plot. See [`limbic::imitate`] and [`limbic::imitate_sweep`].

use anyhow::{bail, Context, Result};
use limbic::imitate::{self, Outcome, Request};
use limbic::imitate_sweep::{self, Sweep};
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    one: OneArgs,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Run every (algorithm, number of demos, seed) and write runs.jsonl, table.md, table.csv
    /// and sweep.png; rerunning resumes.
    Sweep(SweepArgs),
}

#[derive(clap::Args, Debug)]
struct OneArgs {
    /// bc, dagger (needs the env's scripted expert), gail (PPO, fixed horizon) or sqil (DQN).
    #[arg(long)]
    algo: Option<String>,
    /// The dataset folder (`limbic demos record`); its metadata names the env.
    #[arg(long)]
    demos: Option<PathBuf>,
    /// Train on the first K episodes [default: all].
    #[arg(long)]
    n_demos: Option<usize>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Env steps for sqil and gail [default: 100000].
    #[arg(long)]
    steps: Option<u64>,
    /// Evaluation episodes (deterministic actions).
    #[arg(long, default_value_t = 50)]
    episodes: usize,
    /// Write a run directory (`limbic eval --run DIR` loads it).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the run directory at --out (only one limbic wrote).
    #[arg(long, requires = "out")]
    force: bool,
    /// An algorithm hyperparameter, `key=value` (value as JSON, else a string); repeatable.
    #[arg(long = "set")]
    sets: Vec<String>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::Args, Debug)]
struct SweepArgs {
    /// Environment id with a scripted expert.
    #[arg(long)]
    env: String,
    /// Keyword arguments for `make` the demonstrations are recorded with, as a JSON object
    /// (e.g. `{"mission_words": true}` for instruction-conditioned policies on BabyAI).
    #[arg(long)]
    kwargs: Option<String>,
    /// Comma-separated algorithms.
    #[arg(long, value_delimiter = ',', default_value = "bc,dagger,sqil")]
    algos: Vec<String>,
    /// Comma-separated numbers of demonstrations (episodes).
    #[arg(long, value_delimiter = ',', default_value = "1,4,7,10")]
    n_demos: Vec<usize>,
    /// Seeds 0..N.
    #[arg(long, default_value_t = 10)]
    seeds: u64,
    /// Evaluation episodes per trained policy.
    #[arg(long, default_value_t = 50)]
    episodes: usize,
    /// Runs at a time (child processes).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Env steps for sqil and gail [default: 100000].
    #[arg(long)]
    steps: Option<u64>,
    /// Passed to every run's `--set`.
    #[arg(long = "set")]
    sets: Vec<String>,
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    match args.command {
        Some(Command::Sweep(sweep)) => run_sweep(sweep),
        None => run_one(args.one),
    }
}

fn run_one(args: OneArgs) -> Result<()> {
    let algo = args.algo.context("--algo is required: bc, dagger, gail or sqil")?;
    let demos = args.demos.context("--demos DATASET is required")?;
    if !demos.exists() {
        bail!("--demos {}: no such dataset", demos.display());
    }
    let request = Request {
        algo,
        demos,
        n_demos: args.n_demos,
        seed: args.seed,
        steps: args.steps,
        episodes: args.episodes,
        out: args.out,
        replace: args.force,
        sets: args.sets,
        quiet: args.quiet || args.json,
    };
    let outcome = imitate::imitate(&request)?;
    if args.json {
        println!("{}", serde_json::to_string(&outcome)?);
    } else {
        print_outcome(&outcome, request.out.as_ref());
    }
    Ok(())
}

fn print_outcome(o: &Outcome, out: Option<&PathBuf>) {
    println!(
        "{} on {} from {} demonstrations ({} transitions), seed {}",
        o.algo, o.env, o.n_demos, o.transitions, o.seed
    );
    if o.fixed_horizon {
        println!("trained on the fixed-horizon variant (episodes end only at the time limit)");
    }
    if let Some(steps) = o.steps {
        println!("env steps {steps}");
    }
    let ci = o.ci95.map_or(String::new(), |[lo, hi]| format!(", 95% CI [{lo:.2}, {hi:.2}]"));
    println!("return    {:.2} ± {:.2} over {} episodes{ci}", o.mean_return, o.std_return, o.episodes);
    if let Some(rate) = o.success_rate {
        println!("success   {:.1}%", 100.0 * rate);
    }
    println!(
        "normalized score {:.3} (random {:.2}, expert {:.2}, {} reference scores)",
        o.normalized_score, o.ref_min_score, o.ref_max_score, o.reference_source
    );
    println!("trained in {:.1} s", o.train_time_s);
    if let Some(dir) = out {
        println!("run directory {}", dir.display());
    }
}

fn run_sweep(args: SweepArgs) -> Result<()> {
    let sweep = Sweep {
        env: args.env,
        kwargs: super::parse_kwargs(args.kwargs.as_deref())?,
        algos: args.algos,
        n_demos: args.n_demos,
        seeds: args.seeds,
        episodes: args.episodes,
        jobs: args.jobs,
        out: args.out,
        steps: args.steps,
        sets: args.sets,
        quiet: args.quiet,
    };
    let start = Instant::now();
    let rows = imitate_sweep::run(&sweep)?;
    print!("{}", imitate_sweep::markdown(&sweep.env, &rows));
    println!("\nwrote {}/{{runs.jsonl,table.md,table.csv,sweep.png}}", sweep.out.display());
    println!("wall time {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}
