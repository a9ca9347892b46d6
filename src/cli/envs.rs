//! `limbic envs`: what can be made, with spaces and limits.

use anyhow::Result;
use limbic_environments::{registry, Kwargs};
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print one JSON object per environment instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<()> {
    let mut rows = Vec::new();
    for spec in registry::specs() {
        let env = spec.make_unwrapped(&Kwargs::new())?;
        rows.push((spec, env.observation_space().clone(), env.action_space().clone()));
    }
    if args.json {
        for (spec, obs, act) in &rows {
            let kwargs: serde_json::Map<_, _> =
                spec.kwargs.iter().map(|k| (k.name.to_string(), k.default.clone())).collect();
            let line = json!({
                "id": spec.id, "observation_space": obs.to_json(), "action_space": act.to_json(),
                "max_episode_steps": spec.max_episode_steps, "reward_threshold": spec.reward_threshold,
                "kwargs": kwargs,
            });
            println!("{line}");
        }
        return Ok(());
    }
    let opt = |x: Option<String>| x.unwrap_or_else(|| "-".into());
    let width = rows.iter().map(|(spec, _, _)| spec.id.len()).max().unwrap_or(2);
    println!("{:<width$} {:>9} {:>10}  {:<22} observation space", "id", "max steps", "threshold", "action space");
    for (spec, obs, act) in &rows {
        println!(
            "{:<width$} {:>9} {:>10}  {:<22} {}",
            spec.id,
            opt(spec.max_episode_steps.map(|s| s.to_string())),
            opt(spec.reward_threshold.map(|t| t.to_string())),
            act.describe(),
            obs.describe()
        );
    }
    println!("\n{} environments. `limbic envs --json` for full spaces and keyword arguments.", rows.len());
    Ok(())
}
