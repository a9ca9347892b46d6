//! The main job on its embedded default: PPO on a small gridworld, then an evaluation, a GIF of
//! the trained agent and the learning curve, all in a run directory under `runs/`.

use anyhow::Result;
use limbic::config::RunConfig;
use limbic::runner::{self, build_algorithm, Options};
use std::path::Path;

const MAIN_ENV: &str = "MiniGrid-DoorKey-5x5-v0";

pub fn run() -> Result<()> {
    let config = RunConfig::for_env(MAIN_ENV, "ppo")?;
    println!(
        "limbic: training PPO on {MAIN_ENV} for {} env steps (seed {}), then evaluating it.",
        config.total_steps, config.seed
    );
    println!("Other runs: `limbic train --env ID --algo ppo|dqn|sac`; everything else: `limbic --help`.");
    let dir = runner::new_run_dir(Path::new("runs"), &config);
    let outcome = runner::train(&config, &dir, &build_algorithm, &Options::default())?;
    super::train::print_summary(&outcome);
    Ok(())
}
