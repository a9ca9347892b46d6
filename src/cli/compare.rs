//! `limbic compare`: several runs in one plot, grouped by algorithm and env, mean and spread.

use anyhow::{bail, Result};
use limbic::plot::{compare, series, Group};
use limbic::run_dir::RunDir;
use limbic_environments::render::write_atomically;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Run directories (seeds, algorithms); runs of the same algorithm on the same env form
    /// one group, drawn as its mean with the min-max spread across runs shaded.
    #[arg(required = true, value_name = "RUN")]
    runs: Vec<PathBuf>,
    /// Output PNG.
    #[arg(long, default_value = "compare.png")]
    out: PathBuf,
    /// The metrics.jsonl key to plot over env steps, e.g. eval/mean_return.
    #[arg(long, default_value = "return_mean_100")]
    metric: String,
}

pub fn run(args: Args) -> Result<()> {
    let mut groups: Vec<Group> = Vec::new();
    for dir in &args.runs {
        let run = RunDir::open(dir)?;
        let config = run.config()?;
        let curve = series(&run.read_metrics()?, &args.metric);
        if curve.is_empty() {
            bail!("{} has no `{}` in its metrics.jsonl", dir.display(), args.metric);
        }
        let label = format!("{} on {}", config.algo, config.env);
        match groups.iter_mut().find(|g| g.label == label) {
            Some(group) => group.runs.push(curve),
            None => groups.push(Group { label, env: config.env.clone(), runs: vec![curve] }),
        }
    }
    write_atomically(&args.out, &compare(&groups, &args.metric)?)?;
    for group in &groups {
        let finals: Vec<f64> = group.runs.iter().filter_map(|r| r.last().map(|p| p.1)).collect();
        let mean = limbic::stats::mean(&finals);
        let std = limbic::stats::sample_std(&finals);
        println!("{}: {} run(s), final {} {mean:.3} (std {std:.3})", group.label, finals.len(), args.metric);
    }
    println!("wrote {}", args.out.display());
    Ok(())
}
