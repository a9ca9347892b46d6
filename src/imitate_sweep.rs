//! `limbic imitate sweep`: the imitation protocol (RESULTS.md 1.4) in one command.
//!
//! For each seed s, the scripted expert records max(K) episodes (reset seeds `s * max(K) ..`,
//! disjoint across seeds) into `DIR/demos/seed<s>`; the reference scores (100 episodes each of
//! the uniform-random policy and the expert, Minari's way) are measured once and stored in
//! every dataset. Every (algorithm, K, seed) then runs as a child `limbic imitate ... --json`
//! (`--jobs` at a time), its JSON line appended to `DIR/runs.jsonl` as soon as it finishes, so
//! an interrupted sweep resumes where it stopped. The table (`table.md`, `table.csv`: mean and
//! IQM of the normalized score across seeds with 95% bootstrap CIs) and `sweep.png` summarize it.

use crate::demos::{self, DemoPolicy};
use crate::imitate::{Outcome, ALGOS};
use crate::plot::BandLine;
use crate::stats;
use crate::sweep::jobs;
use anyhow::{bail, Context, Result};
use limbic_environments::experts::ExpertEnv;
use limbic_environments::render::write_atomically;
use limbic_environments::Kwargs;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Results file, one [`Outcome`] per line.
pub const RUNS: &str = "runs.jsonl";
/// Seed of the bootstrap resampling (the CIs are reproducible).
const BOOTSTRAP_SEED: u64 = 0;

/// The sweep to run.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub env: String,
    /// `make` kwargs the demonstrations are recorded with (every run then uses the dataset's).
    pub kwargs: Kwargs,
    pub algos: Vec<String>,
    pub n_demos: Vec<usize>,
    pub seeds: u64,
    pub episodes: usize,
    pub jobs: usize,
    pub out: PathBuf,
    /// Env steps of SQIL and GAIL (their default when None).
    pub steps: Option<u64>,
    /// `--set key=value` passed to every run.
    pub sets: Vec<String>,
    pub quiet: bool,
}

/// One line of the table: an algorithm at K demonstrations across seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub algo: String,
    pub n_demos: usize,
    pub seeds: usize,
    pub mean: f64,
    pub mean_ci: Option<[f64; 2]>,
    pub iqm: f64,
    pub iqm_ci: Option<[f64; 2]>,
    pub mean_return: f64,
    /// Mean success rate across seeds, where the env has a notion of success (BabyAI,
    /// MiniGrid).
    pub success: Option<f64>,
}

impl Sweep {
    fn check(&self) -> Result<()> {
        if let Some(bad) = self.algos.iter().find(|a| !ALGOS.contains(&a.as_str())) {
            bail!("--algos: unknown algorithm `{bad}`; known: {}", ALGOS.join(", "));
        }
        if self.algos.is_empty() || self.n_demos.is_empty() {
            bail!("--algos and --n-demos need at least one value each");
        }
        if self.n_demos.contains(&0) {
            bail!("--n-demos: every count must be at least 1");
        }
        if self.seeds == 0 || self.episodes == 0 || self.jobs == 0 {
            bail!("--seeds, --episodes and --jobs must be at least 1");
        }
        if !ExpertEnv::has_expert(&self.env) {
            bail!("the sweep records demonstrations with the scripted expert: {} has none", self.env);
        }
        // Seed s's demonstrations reset with seeds s * max(K) + i: all of them must be seeds.
        let max_k = self.n_demos.iter().copied().max().unwrap_or(1) as u64;
        if self.seeds.checked_mul(max_k).is_none() {
            bail!(
                "--seeds {}: seed s records with reset seeds s * {max_k} + i, which pass the largest seed",
                self.seeds
            );
        }
        Ok(())
    }

    fn dataset(&self, seed: u64) -> PathBuf {
        self.out.join("demos").join(format!("seed{seed}"))
    }
}

/// Runs the sweep (resuming a previous one in the same folder) and returns its table.
pub fn run(sweep: &Sweep) -> Result<Vec<Row>> {
    sweep.check()?;
    // One sweep at a time in a folder: two would run the same jobs and write runs.jsonl twice.
    let _lock = crate::lock::DirLock::acquire(&sweep.out)?;
    std::fs::create_dir_all(&sweep.out).with_context(|| format!("cannot create {}", sweep.out.display()))?;
    record_demos(sweep)?;
    let done: BTreeSet<(String, usize, u64)> = read_runs(&sweep.out)?.iter().map(key).collect();
    let todo: Vec<(String, usize, u64)> = sweep
        .algos
        .iter()
        .flat_map(|a| sweep.n_demos.iter().flat_map(move |&k| (0..sweep.seeds).map(move |s| (a.clone(), k, s))))
        .filter(|job| !done.contains(job))
        .collect();
    if !done.is_empty() && !sweep.quiet {
        eprintln!("resuming: {} runs already finished, {} to go", done.len(), todo.len());
    }
    run_jobs(sweep, &todo)?;
    let outcomes = read_runs(&sweep.out)?;
    let rows = table(sweep, &outcomes);
    write_atomically(&sweep.out.join("table.md"), markdown(&sweep.env, &rows).as_bytes())?;
    write_atomically(&sweep.out.join("table.csv"), csv(&rows).as_bytes())?;
    write_atomically(&sweep.out.join("sweep.png"), &crate::plot::demo_sweep(&sweep.env, &series(&rows))?)?;
    Ok(rows)
}

/// The expert's demonstrations per seed (once), with the reference scores measured once.
fn record_demos(sweep: &Sweep) -> Result<()> {
    let missing: Vec<u64> = (0..sweep.seeds).filter(|&s| !sweep.dataset(s).exists()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let kwargs = &sweep.kwargs;
    let reference = sweep.out.join("reference.json");
    let (min, max) = match std::fs::read_to_string(&reference) {
        Ok(text) => serde_json::from_str(&text).with_context(|| format!("{} is corrupt", reference.display()))?,
        Err(_) => {
            if !sweep.quiet {
                eprintln!("measuring reference scores on {} (100 episodes each of random and the expert)", sweep.env);
            }
            let scores = demos::reference_scores(&sweep.env, kwargs, None)?;
            write_atomically(&reference, serde_json::to_string(&scores)?.as_bytes())?;
            scores
        }
    };
    let max_k = sweep.n_demos.iter().copied().max().unwrap_or(1);
    for seed in missing {
        let id = format!("limbic/{}/scripted-seed{seed}-v0", sweep.env.rsplit_once("-v").map_or(&*sweep.env, |p| p.0));
        let first = seed.saturating_mul(max_k as u64);
        let mut dataset = demos::record(&sweep.env, kwargs, &DemoPolicy::Scripted, max_k, first, &id, None)?;
        let meta = &mut dataset.metadata;
        (meta.ref_min_score, meta.ref_max_score) = (Some(min), Some(max));
        meta.num_episodes_average_score = Some(demos::REFERENCE_EPISODES);
        dataset.write(&sweep.dataset(seed), false)?;
    }
    Ok(())
}

fn key(outcome: &Outcome) -> (String, usize, u64) {
    (outcome.algo.clone(), outcome.n_demos, outcome.seed)
}

/// The finished runs of `runs.jsonl` (a torn last line, from a kill, is ignored).
pub fn read_runs(dir: &Path) -> Result<Vec<Outcome>> {
    jobs::read_rows(&dir.join(RUNS))
}

/// Runs the jobs as child processes, `sweep.jobs` at a time; every finished run is appended to
/// `runs.jsonl` in one write.
fn run_jobs(sweep: &Sweep, todo: &[(String, usize, u64)]) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find the limbic executable")?;
    let runs = sweep.out.join(RUNS);
    let describe = |job: &(String, usize, u64)| format!("{} K={} seed {}", job.0, job.1, job.2);
    jobs::run_parallel(todo, sweep.jobs, sweep.quiet, describe, |job| {
        let line = run_one(&exe, sweep, job)?;
        let outcome: Outcome = serde_json::from_str(&line)?;
        jobs::append_line(&runs, &line)?;
        Ok(outcome.normalized_score)
    })
}

/// One `limbic imitate ... --json` child; its JSON line.
fn run_one(exe: &Path, sweep: &Sweep, (algo, k, seed): &(String, usize, u64)) -> Result<String> {
    let mut command = std::process::Command::new(exe);
    command.arg("imitate").arg("--algo").arg(algo).arg("--demos").arg(sweep.dataset(*seed));
    command.args(["--n-demos", &k.to_string(), "--seed", &seed.to_string()]);
    command.args(["--episodes", &sweep.episodes.to_string(), "--json", "--quiet"]);
    if let Some(steps) = sweep.steps {
        command.args(["--steps", &steps.to_string()]);
    }
    for set in &sweep.sets {
        command.args(["--set", set]);
    }
    jobs::child_json_line(&mut command)
}

/// Per algorithm and K (in the sweep's order): the statistics across the seeds it ran.
pub fn table(sweep: &Sweep, outcomes: &[Outcome]) -> Vec<Row> {
    let mut rows = Vec::new();
    for algo in &sweep.algos {
        for &k in &sweep.n_demos {
            let runs: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| &o.algo == algo && o.n_demos == k && o.seed < sweep.seeds && o.env == sweep.env)
                .collect();
            if runs.is_empty() {
                continue;
            }
            let scores: Vec<f64> = runs.iter().map(|o| o.normalized_score).collect();
            let returns: Vec<f64> = runs.iter().map(|o| o.mean_return).collect();
            let successes: Option<Vec<f64>> = runs.iter().map(|o| o.success_rate).collect();
            rows.push(Row {
                algo: algo.clone(),
                n_demos: k,
                seeds: runs.len(),
                mean: stats::mean(&scores),
                mean_ci: stats::bootstrap_ci_mean(&scores, BOOTSTRAP_SEED),
                iqm: stats::iqm(&scores).unwrap_or(f64::NAN),
                iqm_ci: stats::bootstrap_ci_iqm(&scores, BOOTSTRAP_SEED),
                mean_return: stats::mean(&returns),
                success: successes.map(|s| stats::mean(&s)),
            });
        }
    }
    rows
}

fn interval(ci: Option<[f64; 2]>) -> String {
    ci.map_or("-".into(), |[lo, hi]| format!("[{lo:.3}, {hi:.3}]"))
}

/// The table in Markdown.
pub fn markdown(env: &str, rows: &[Row]) -> String {
    let mut text = format!(
        "Normalized score on {env} (0 = uniform random, 1 = expert), across seeds; 95% bootstrap CIs.\n\n\
         | algo | demos | seeds | mean | mean 95% CI | IQM | IQM 95% CI | mean return | success |\n\
         |---|---:|---:|---:|---|---:|---|---:|---:|\n"
    );
    for r in rows {
        text += &format!(
            "| {} | {} | {} | {:.3} | {} | {:.3} | {} | {:.1} | {} |\n",
            r.algo,
            r.n_demos,
            r.seeds,
            r.mean,
            interval(r.mean_ci),
            r.iqm,
            interval(r.iqm_ci),
            r.mean_return,
            r.success.map_or("-".into(), |s| format!("{:.1}%", 100.0 * s))
        );
    }
    text
}

/// The table as CSV (empty CI fields for a single seed).
pub fn csv(rows: &[Row]) -> String {
    let mut text = String::from(
        "algo,n_demos,seeds,mean,mean_ci_low,mean_ci_high,iqm,iqm_ci_low,iqm_ci_high,mean_return,success\n",
    );
    let bounds = |ci: Option<[f64; 2]>| ci.map_or(",".into(), |[lo, hi]| format!("{lo},{hi}"));
    for r in rows {
        text += &format!(
            "{},{},{},{},{},{},{},{},{}\n",
            r.algo,
            r.n_demos,
            r.seeds,
            r.mean,
            bounds(r.mean_ci),
            r.iqm,
            bounds(r.iqm_ci),
            r.mean_return,
            r.success.map_or(String::new(), |s| s.to_string())
        );
    }
    text
}

/// One line per algorithm: `(K, mean, CI low, CI high)` (the mean itself where no CI).
fn series(rows: &[Row]) -> Vec<BandLine> {
    let mut lines: Vec<BandLine> = Vec::new();
    for r in rows {
        let [lo, hi] = r.mean_ci.unwrap_or([r.mean, r.mean]);
        let point = (r.n_demos as f64, r.mean, lo, hi);
        match lines.iter_mut().find(|(name, _)| name == &r.algo) {
            Some((_, points)) => points.push(point),
            None => lines.push((r.algo.clone(), vec![point])),
        }
    }
    lines
}
