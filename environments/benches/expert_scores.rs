//! Scores of the scripted experts: for every id with an expert, success rate and mean return
//! (± population std) over reset seeds 0..N, and steps per second of the expert and env together
//! (planning included), as a Markdown table.
//!
//! `cargo bench -p limbic-environments --bench expert_scores [-- N] [-- FILTER]`: N seeds (100
//! by default); FILTER keeps the ids that contain it.

use limbic_environments::gridworld::{self, experts};
use limbic_environments::Kwargs;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let seeds: u64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(100);
    let filter = args.iter().find(|a| a.parse::<u64>().is_err()).cloned().unwrap_or_default();
    println!("| id | success | mean return | mean steps | steps/s |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for id in experts::supported_ids().into_iter().filter(|id| id.contains(&filter)) {
        let mut env = gridworld::make(id, &Kwargs::new()).expect("a registered id");
        let mut expert = experts::expert_for(id).expect("a supported id");
        let start = Instant::now();
        let episodes: Vec<experts::Episode> = (0..seeds)
            .map(|seed| experts::run_episode(env.as_mut(), expert.as_mut(), Some(seed)).expect("an episode"))
            .collect();
        let seconds = start.elapsed().as_secs_f64();
        let n = episodes.len() as f64;
        let returns: Vec<f64> = episodes.iter().map(|e| e.total_reward).collect();
        let mean = returns.iter().sum::<f64>() / n;
        let std = (returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n).sqrt();
        let steps: u64 = episodes.iter().map(|e| e.steps as u64).sum();
        let successes = episodes.iter().filter(|e| e.success).count();
        println!(
            "| {id} | {:.0}% | {mean:.4} ± {std:.4} | {:.1} | {:.0} |",
            100.0 * successes as f64 / n,
            steps as f64 / n,
            steps as f64 / seconds
        );
    }
}
