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

/// The reward signals of a run for its label: ` + counts 0.01 + e3b` (nothing for the env's
/// reward alone), so runs with different signals form different groups.
fn reward_label(rewards: &[limbic_rewards::RewardSpec]) -> String {
    rewards
        .iter()
        .filter(|spec| spec.name != "extrinsic" || spec.weight.is_some_and(|w| w != 1.0))
        .map(|spec| {
            let name = spec.label.as_deref().unwrap_or(&spec.name);
            spec.weight.map_or(format!(" + {name}"), |w| format!(" + {name} {w}"))
        })
        .collect()
}

pub fn run(args: Args) -> Result<()> {
    limbic::checks::extension("--out", &args.out, &["png"])?;
    let mut groups: Vec<Group> = Vec::new();
    for dir in &args.runs {
        let run = RunDir::open(dir)?;
        // Only labels: runs whose env or signals came from Python are plotted too.
        let config = run.written_config()?;
        let curve = series(&run.read_metrics()?, &args.metric);
        if curve.is_empty() {
            bail!("{} has no `{}` in its metrics.jsonl", dir.display(), args.metric);
        }
        let memory = config.policy.memory.as_ref().map_or(String::new(), |m| format!(" ({})", m.describe()));
        let label = format!("{}{memory}{} on {}", config.algo, reward_label(&config.rewards), config.env);
        match groups.iter_mut().find(|g| g.label == label) {
            Some(group) => group.runs.push(curve),
            None => groups.push(Group { label, env: config.env.clone(), runs: vec![curve] }),
        }
    }
    // One env: the title names it, the labels need not.
    if groups.iter().all(|g| g.env == groups[0].env) {
        for group in &mut groups {
            group.label = group.label.trim_end_matches(&format!(" on {}", group.env)).to_string();
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

#[cfg(test)]
mod tests {
    use super::reward_label;

    #[test]
    fn runs_with_other_signals_get_other_labels() {
        let specs = |json| serde_json::from_value::<Vec<limbic_rewards::RewardSpec>>(json).unwrap();
        assert_eq!(reward_label(&[]), "");
        let shaped = specs(serde_json::json!([{"name": "counts", "weight": 0.01}, {"name": "e3b"}]));
        assert_eq!(reward_label(&shaped), " + counts 0.01 + e3b");
        let pretrain = specs(serde_json::json!([{"name": "extrinsic", "weight": 0.0}, {"name": "rnd", "label": "r"}]));
        assert_eq!(reward_label(&pretrain), " + extrinsic 0 + r");
    }
}
