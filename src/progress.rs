//! The training progress bar: env steps, steps per second and the recent return.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Instant;

/// A progress bar on stdout, hidden when stdout is not a terminal or when asked to be quiet.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    first_step: u64,
}

impl Progress {
    pub fn new(total_steps: u64, env_steps: u64, quiet: bool) -> Progress {
        let target = if quiet || !std::io::stdout().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stdout()
        };
        let bar = ProgressBar::with_draw_target(Some(total_steps), target);
        let template = "{elapsed_precise} [{bar:30}] {human_pos}/{human_len} steps  {msg}";
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_position(env_steps);
        Progress { bar, started: Instant::now(), first_step: env_steps }
    }

    /// A bar counting episodes (recording demonstrations).
    pub fn episodes(total: u64, quiet: bool) -> Progress {
        let progress = Progress::new(total, 0, quiet);
        if let Ok(style) = ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} episodes  {msg}") {
            progress.bar.set_style(style.progress_chars("=> "));
        }
        progress
    }

    /// Moves an episode bar to `done` episodes, showing the last one's return.
    pub fn episode_done(&self, done: u64, last_return: f64) {
        self.bar.set_position(done);
        self.bar.set_message(format!("last return {last_return:.2}"));
    }

    /// Moves the bar to `env_steps`, with the steps per second of this session, the mean
    /// return of the last episodes, and the feedback signals' labels and unanswered questions
    /// (from the update's `reward/<signal>/labels` and `.../pending` metrics).
    pub fn update(&self, env_steps: u64, recent_return: Option<f64>, metrics: &BTreeMap<String, f64>) {
        let sps = (env_steps - self.first_step) as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
        let recent = recent_return.map_or(String::new(), |r| format!("  return {r:.2}"));
        self.bar.set_position(env_steps);
        self.bar.set_message(format!("{sps:.0} steps/s{recent}{}", feedback_note(metrics)));
    }

    /// Runs `f` with the bar out of the way (for printing).
    pub fn suspend<T>(&self, f: impl FnOnce() -> T) -> T {
        self.bar.suspend(f)
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `  labels 120 (3 pending)`: the feedback signals' counts summed, or nothing without them.
pub fn feedback_note(metrics: &BTreeMap<String, f64>) -> String {
    let sum = |suffix: &str| -> Option<f64> {
        let values: Vec<f64> = metrics.iter().filter(|(k, _)| k.ends_with(suffix)).map(|(_, &v)| v).collect();
        (!values.is_empty()).then(|| values.iter().sum())
    };
    match (sum("/labels"), sum("/pending")) {
        (Some(labels), Some(pending)) => format!("  labels {labels:.0} ({pending:.0} pending)"),
        _ => String::new(),
    }
}
