//! `limbic sweep`: a grid of config overrides x seeds from a sweep file, each run trained into
//! `DIR/runs/<name>-seed<S>` and evaluated, its result row appended to `DIR/results.jsonl`;
//! the table (`table.md`, `table.csv`) and the learning curves (`sweep.png`) summarize it.
//!
//! A run is one job, [`Sweep::run_job`], which the local backend runs as a child
//! `limbic sweep FILE --out DIR --job ID` (`--jobs` at a time) and the Ray backend
//! (`python/limbic/ray.py`) as a Ray task running the same command. A job whose row is already in
//! `results.jsonl` is not run again; one whose run directory has a checkpoint resumes from it
//! (`limbic train --resume`), so an interrupted sweep, or a Ray task retried after its node
//! died, goes on where it stopped.

pub mod jobs;

use crate::config::{resolve, set_path, Layer, RunConfig};
use crate::evaluate::EvalSummary;
use crate::plot::{compare, series, Group};
use crate::run_dir::RunDir;
use crate::runner::{self, build_algorithm, Options};
use crate::stats;
use anyhow::{bail, Context, Result};
use limbic_environments::render::write_atomically;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use std::path::{Path, PathBuf};

/// Results file, one [`Row`] per line.
pub const RESULTS: &str = "results.jsonl";
/// The sweep file's copy in the output folder: the mark of a folder a sweep made, and what it ran.
pub const SWEEP_COPY: &str = "sweep.json";
/// Seed of the bootstrap resampling (the CIs are reproducible).
const BOOTSTRAP_SEED: u64 = 0;
/// The longest run name taken from a combination's values.
const MAX_NAME: usize = 48;

/// A sweep file (JSON). Every key is optional but `seeds`; an unknown key is an error.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// A config file as `limbic train CONFIG` takes it, relative to the sweep file.
    #[serde(default)]
    pub config: Option<PathBuf>,
    #[serde(default)]
    pub env: Option<String>,
    #[serde(default)]
    pub algo: Option<String>,
    /// `total_steps` of every run.
    #[serde(default)]
    pub steps: Option<u64>,
    /// Overrides every run gets: dotted key (as `--set` takes it) -> value.
    #[serde(default)]
    pub set: Map<String, Json>,
    /// The grid: dotted key -> list of values; every combination runs with every seed.
    #[serde(default)]
    pub grid: Map<String, Json>,
    /// Seeds 0..N, or a list of seeds.
    pub seeds: Seeds,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Seeds {
    Count(u64),
    List(Vec<u64>),
}

/// One run of the sweep: a combination of grid values and a seed.
#[derive(Clone, Debug)]
pub struct Job {
    /// The combination's name (`<index>-<values>`), the same for every seed.
    pub name: String,
    pub seed: u64,
    pub overrides: Map<String, Json>,
}

impl Job {
    /// The run's id and folder name: `<name>-seed<S>`.
    pub fn id(&self) -> String {
        format!("{}-seed{}", self.name, self.seed)
    }
}

/// One finished run (a line of `results.jsonl`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub run: String,
    pub name: String,
    pub seed: u64,
    pub overrides: Map<String, Json>,
    pub env: String,
    pub algo: String,
    pub env_steps: u64,
    /// The final evaluation (deterministic actions).
    pub eval: EvalSummary,
}

/// One line of the table: a combination across its seeds (mean return statistics).
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub name: String,
    pub overrides: Map<String, Json>,
    pub seeds: usize,
    pub mean: f64,
    pub mean_ci: Option<[f64; 2]>,
    pub iqm: f64,
    pub success: Option<f64>,
}

/// A loaded sweep: its file, the folder relative paths start from, and the output folder.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub path: PathBuf,
    pub file: SweepFile,
    pub out: PathBuf,
}

impl Sweep {
    /// Reads and checks a sweep file (every combination's config resolves).
    pub fn load(path: &Path, out: &Path) -> Result<Sweep> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read sweep file {}", path.display()))?;
        let file: SweepFile = serde_json::from_str(&text).with_context(|| format!("sweep file {}", path.display()))?;
        let path = std::path::absolute(path)?;
        let sweep = Sweep { path, file, out: out.to_path_buf() };
        sweep.check().with_context(|| format!("sweep file {}", sweep.path.display()))?;
        Ok(sweep)
    }

    /// Makes `out` this sweep's folder, or checks that it is (call it holding the folder's lock):
    /// a new or empty folder gets a copy of the sweep file; a folder with files but no copy, or
    /// with another sweep's, is refused, so a sweep never writes over what it did not write.
    pub fn claim_folder(&self) -> Result<()> {
        let copy = self.out.join(SWEEP_COPY);
        let read_json = |path: &Path| -> Result<Json> {
            let text = std::fs::read_to_string(path)?;
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
        };
        let this = read_json(&self.path)?;
        match read_json(&copy) {
            Ok(existing) if existing == this => return Ok(()),
            Ok(_) => bail!(
                "{} holds another sweep ({} differs from {}): give this one its own --out",
                self.out.display(),
                copy.display(),
                self.path.display()
            ),
            Err(_) if copy.exists() => bail!("{} is damaged: give this sweep a new --out", copy.display()),
            Err(_) => {}
        }
        let holds_files = std::fs::read_dir(&self.out).map(|mut d| d.next().is_some()).unwrap_or(false);
        if holds_files {
            bail!(
                "{} holds files a sweep did not write (no {SWEEP_COPY}): give the sweep a new or empty --out",
                self.out.display()
            );
        }
        std::fs::create_dir_all(&self.out).with_context(|| format!("cannot create {}", self.out.display()))?;
        write_atomically(&copy, serde_json::to_string_pretty(&this)?.as_bytes())?;
        Ok(())
    }

    fn check(&self) -> Result<()> {
        for (key, values) in &self.file.grid {
            match values {
                Json::Array(list) if !list.is_empty() => {}
                _ => bail!("grid `{key}`: expected a non-empty list of values, got {values}"),
            }
        }
        if self.seeds().is_empty() {
            bail!("`seeds`: at least one seed");
        }
        for job in self.jobs().iter().filter(|j| j.seed == self.seeds()[0]) {
            self.config(job).with_context(|| format!("run {}", job.name))?;
        }
        Ok(())
    }

    pub fn seeds(&self) -> Vec<u64> {
        match &self.file.seeds {
            Seeds::Count(n) => (0..*n).collect(),
            Seeds::List(list) => list.clone(),
        }
    }

    /// Every (combination, seed), combinations in the grid's key order, seeds innermost.
    pub fn jobs(&self) -> Vec<Job> {
        let mut combinations = vec![Map::new()];
        for (key, values) in &self.file.grid {
            let values = values.as_array().cloned().unwrap_or_default();
            combinations = combinations
                .into_iter()
                .flat_map(|c| {
                    values.iter().map(move |v| {
                        let mut c = c.clone();
                        c.insert(key.clone(), v.clone());
                        c
                    })
                })
                .collect();
        }
        let seeds = self.seeds();
        combinations
            .into_iter()
            .enumerate()
            .flat_map(|(i, overrides)| {
                let name = combination_name(i, &overrides);
                seeds.iter().map(move |&seed| Job { name: name.clone(), seed, overrides: overrides.clone() })
            })
            .collect()
    }

    pub fn job(&self, id: &str) -> Result<Job> {
        self.jobs().into_iter().find(|j| j.id() == id).with_context(|| format!("the sweep has no run `{id}`"))
    }

    /// The run's config: defaults < preset < config file < env/algo/steps/seed < `set` < grid.
    pub fn config(&self, job: &Job) -> Result<RunConfig> {
        let mut layers = Vec::new();
        if let Some(config) = &self.file.config {
            layers.push(Layer::from_file(&self.path.parent().unwrap_or(Path::new(".")).join(config))?);
        }
        let mut flags = Layer::new("sweep file", Map::new())?.with("seed", job.seed)?;
        if let Some(env) = &self.file.env {
            flags = flags.with("env", env.as_str())?;
        }
        if let Some(algo) = &self.file.algo {
            flags = flags.with("algo", algo.as_str())?;
        }
        if let Some(steps) = self.file.steps {
            flags = flags.with("total_steps", steps)?;
        }
        layers.push(flags);
        layers.push(dotted_layer("sweep file `set`", &self.file.set)?);
        layers.push(dotted_layer("sweep file `grid`", &job.overrides)?);
        resolve(layers)
    }

    pub fn run_dir(&self, job: &Job) -> PathBuf {
        self.out.join("runs").join(job.id())
    }

    pub fn results(&self) -> Result<Vec<Row>> {
        jobs::read_rows(&self.out.join(RESULTS))
    }

    /// The jobs without a row in `results.jsonl`.
    pub fn pending(&self) -> Result<Vec<Job>> {
        let done: Vec<String> = self.results()?.into_iter().map(|r| r.run).collect();
        Ok(self.jobs().into_iter().filter(|j| !done.contains(&j.id())).collect())
    }

    /// The checkpoint an earlier, interrupted try of `job` left (none once its row is written),
    /// which [`Sweep::run_job`] resumes from.
    pub fn resume_point(&self, job: &Job) -> Result<Option<PathBuf>> {
        if self.results()?.iter().any(|r| r.run == job.id()) {
            return Ok(None);
        }
        Ok(RunDir::open(&self.run_dir(job)).and_then(|run| run.latest_checkpoint()).ok().flatten())
    }

    /// Trains (or resumes) and evaluates one run and appends its row, unless a row is there
    /// already (then that row).
    pub fn run_job(&self, job: &Job) -> Result<Row> {
        if let Some(row) = self.results()?.into_iter().find(|r| r.run == job.id()) {
            return Ok(row);
        }
        let dir = self.run_dir(job);
        let options = Options { quiet: true, replace: dir.exists(), ..Options::default() };
        let outcome = if self.resume_point(job)?.is_some() {
            runner::resume(&dir, None, &build_algorithm, &options)?
        } else {
            runner::train(&self.config(job)?, &dir, &build_algorithm, &options)?
        };
        let config = RunDir::open(&dir)?.config()?;
        let row = Row {
            run: job.id(),
            name: job.name.clone(),
            seed: job.seed,
            overrides: job.overrides.clone(),
            env: config.env,
            algo: config.algo,
            env_steps: outcome.counters.env_steps,
            eval: outcome.eval,
        };
        jobs::append_line(&self.out.join(RESULTS), &serde_json::to_string(&row)?)?;
        Ok(row)
    }

    /// Runs the pending jobs as child processes `jobs` at a time.
    pub fn run_local(&self, jobs: usize, quiet: bool) -> Result<()> {
        if jobs == 0 {
            bail!("--jobs must be at least 1");
        }
        let exe = std::env::current_exe().context("cannot find the limbic executable")?;
        let todo = self.pending()?;
        jobs::run_parallel(&todo, jobs, quiet, Job::id, |job| {
            let mut command = std::process::Command::new(&exe);
            command.arg("sweep").arg(&self.path).arg("--out").arg(&self.out).arg("--job").arg(job.id());
            let row: Row = serde_json::from_str(&jobs::child_json_line(&mut command)?)?;
            Ok(row.eval.mean_return)
        })
    }

    /// The rows of this sweep's runs, in job order (one per run).
    pub fn rows(&self) -> Result<Vec<Row>> {
        let results = self.results()?;
        Ok(self.jobs().iter().filter_map(|j| results.iter().find(|r| r.run == j.id()).cloned()).collect())
    }

    /// Writes `table.md`, `table.csv` and `sweep.png` from the finished runs; the table.
    pub fn report(&self) -> Result<Vec<Summary>> {
        let rows = self.rows()?;
        let summaries = summarize(&rows);
        write_atomically(&self.out.join("table.md"), markdown(&summaries).as_bytes())?;
        write_atomically(&self.out.join("table.csv"), csv(&summaries).as_bytes())?;
        let mut groups: Vec<Group> = Vec::new();
        for row in &rows {
            let curve = series(&RunDir::open(&self.run_dir_of(row))?.read_metrics()?, "return_mean_100");
            match groups.iter_mut().find(|g| g.label == row.name) {
                Some(group) => group.runs.push(curve),
                None => groups.push(Group { label: row.name.clone(), env: row.env.clone(), runs: vec![curve] }),
            }
        }
        write_atomically(&self.out.join("sweep.png"), &compare(&groups, "return_mean_100")?)?;
        Ok(summaries)
    }

    fn run_dir_of(&self, row: &Row) -> PathBuf {
        self.out.join("runs").join(&row.run)
    }
}

/// A layer of dotted-key overrides.
fn dotted_layer(source: &str, overrides: &Map<String, Json>) -> Result<Layer> {
    let mut values = Map::new();
    for (key, value) in overrides {
        set_path(&mut values, key, value.clone()).with_context(|| format!("{source} `{key}`"))?;
    }
    Layer::new(source, values)
}

/// `<index>-<values>`: the combination's values in file-name-safe characters, shortened.
fn combination_name(index: usize, overrides: &Map<String, Json>) -> String {
    let values: Vec<String> = overrides
        .values()
        .map(|v| match v {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    let text: String = values
        .join("_")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' })
        .collect();
    let mut text: String = text.split('_').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("_");
    text.truncate(MAX_NAME);
    if text.is_empty() {
        format!("{index}")
    } else {
        format!("{index}-{text}")
    }
}

/// Per combination (in order): the mean return across its seeds.
pub fn summarize(rows: &[Row]) -> Vec<Summary> {
    let mut names: Vec<&str> = Vec::new();
    for row in rows {
        if !names.contains(&row.name.as_str()) {
            names.push(&row.name);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let runs: Vec<&Row> = rows.iter().filter(|r| r.name == name).collect();
            let returns: Vec<f64> = runs.iter().map(|r| r.eval.mean_return).collect();
            let successes: Option<Vec<f64>> = runs.iter().map(|r| r.eval.success_rate).collect();
            Summary {
                name: name.to_string(),
                overrides: runs[0].overrides.clone(),
                seeds: runs.len(),
                mean: stats::mean(&returns),
                mean_ci: stats::bootstrap_ci_mean(&returns, BOOTSTRAP_SEED),
                iqm: stats::iqm(&returns).unwrap_or(f64::NAN),
                success: successes.map(|s| stats::mean(&s)),
            }
        })
        .collect()
}

fn overrides_text(overrides: &Map<String, Json>) -> String {
    overrides.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

/// The table in Markdown.
pub fn markdown(summaries: &[Summary]) -> String {
    let mut text = String::from(
        "Final evaluation return across seeds (mean with 95% bootstrap CI, IQM).\n\n\
         | run | overrides | seeds | mean return | 95% CI | IQM | success |\n|---|---|---:|---:|---|---:|---:|\n",
    );
    for s in summaries {
        text += &format!(
            "| {} | `{}` | {} | {:.2} | {} | {:.2} | {} |\n",
            s.name,
            overrides_text(&s.overrides),
            s.seeds,
            s.mean,
            s.mean_ci.map_or("-".into(), |[lo, hi]| format!("[{lo:.2}, {hi:.2}]")),
            s.iqm,
            s.success.map_or("-".into(), |x| format!("{:.1}%", 100.0 * x))
        );
    }
    text
}

/// The table as CSV (overrides as one JSON field; empty CI fields for a single seed).
pub fn csv(summaries: &[Summary]) -> String {
    let mut text = String::from("run,overrides,seeds,mean_return,ci_low,ci_high,iqm,success\n");
    for s in summaries {
        let overrides = Json::Object(s.overrides.clone()).to_string().replace('"', "\"\"");
        text += &format!(
            "{},\"{overrides}\",{},{},{},{},{}\n",
            s.name,
            s.seeds,
            s.mean,
            s.mean_ci.map_or(",".into(), |[lo, hi]| format!("{lo},{hi}")),
            s.iqm,
            s.success.map_or(String::new(), |x| x.to_string())
        );
    }
    text
}
