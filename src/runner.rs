//! The experiment loop: an algorithm learns from a vector env, one update at a time, and the
//! runner logs each update, evaluates, checkpoints, and at the end writes the run's report.
//!
//! ```no_run
//! use limbic::config::RunConfig;
//! use limbic::runner::{build_algorithm, train, Options};
//! // Train, evaluate and write the learning curve, eval.json and episode.gif in one call.
//! let config = RunConfig::for_env("CartPole-v1", "ppo")?;
//! let outcome = train(&config, std::path::Path::new("runs/cartpole"), &build_algorithm, &Options::default())?;
//! println!("mean return {}", outcome.eval.mean_return);
//! # anyhow::Ok(())
//! ```
//!
//! Resuming ([`resume`]) continues from the latest checkpoint exactly: the algorithm reloads its
//! full state, the training envs are rebuilt by replaying their running episodes
//! ([`crate::train_envs`]), and `metrics.jsonl` is cut back to the checkpoint's update, so the
//! lines that follow equal the uninterrupted run's (all but the wall-clock fields), provided the
//! algorithm itself is deterministic given its saved state.

use crate::config::{Change, RunConfig};
use crate::env_maker::EnvMaker;
use crate::evaluate::{evaluate, record_episode, EvalSummary};
use crate::metrics::{insert_eval, Counters, Diverged};
use crate::progress::Progress;
use crate::run_dir::{self, Checkpoint, CheckpointState, MetricsDigest, MetricsLog, RunDir, RunWriter, Snapshot};
use crate::teachers::{Teaching, WebSettings};
use crate::train_envs::{SavedEnvs, TrainEnvs};
use anyhow::{bail, Context, Result};
use limbic_agents::AlgorithmSpec;
use limbic_agents::{AgentError, Algorithm};
use limbic_environments::render::save_gif;
use limbic_rewards::{Registry, RewardSet, SignalContext};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Builds the algorithm a spec names (the command line uses [`build_algorithm`]; tests pass
/// their own).
pub type Builder<'a> = &'a dyn Fn(&AlgorithmSpec) -> limbic_agents::Result<Box<dyn Algorithm>>;

/// The algorithm a spec names, from the registry ([`crate::config::algorithms`]).
pub fn build_algorithm(spec: &AlgorithmSpec) -> limbic_agents::Result<Box<dyn Algorithm>> {
    crate::config::algorithms().build(spec, None)
}

/// How a run reports itself, and where it may go.
#[derive(Clone, Debug)]
pub struct Options {
    /// No progress bar.
    pub quiet: bool,
    /// Record `episode.gif` at the end.
    pub gif: bool,
    /// A new run may replace a run directory limbic recognises at its destination (`--force`).
    pub replace: bool,
    /// A resumed run's feedback signals ask a person at the web page instead of their teachers
    /// (`limbic teach --run DIR`).
    pub web_teacher: Option<WebSettings>,
}

impl Default for Options {
    fn default() -> Self {
        Options { quiet: false, gif: true, replace: false, web_teacher: None }
    }
}

/// What a finished run reports.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub dir: PathBuf,
    pub counters: Counters,
    /// The final evaluation (also in `eval.json`).
    pub eval: EvalSummary,
}

/// Trains from scratch into a new run directory `dir`, then evaluates and writes the report.
pub fn train(config: &RunConfig, dir: &Path, build: Builder, options: &Options) -> Result<Outcome> {
    config.validate()?;
    preflight(config)?;
    // Build first, so a config the algorithm refuses leaves no run directory behind.
    let (train, algo) = start(config, build, dir)?;
    let run = RunWriter::create(dir, config, options.replace)?;
    Session::fresh(config.clone(), run, train, algo)?.run(options)
}

/// Continues the run in `dir` from its latest checkpoint, to `total_steps` if given (extending
/// the run), else to its config's. Refuses, saying why, when there is nothing to continue
/// from, when `total_steps` is below what the checkpoint has done, and when the run's config
/// no longer agrees with the checkpoint's.
pub fn resume(dir: &Path, total_steps: Option<u64>, build: Builder, options: &Options) -> Result<Outcome> {
    let run = RunWriter::open(dir)?;
    let mut config = run.config()?;
    let Some(latest) = run.latest_checkpoint()? else {
        bail!(
            "{} has no checkpoint to resume from (one is written every checkpoint_every = {} env steps and at the \
             end); start the run again with `limbic train {} --out {} --force`",
            dir.display(),
            config.checkpoint_every,
            run.path(run_dir::CONFIG).display(),
            dir.display()
        );
    };
    let checkpoint = run.read_checkpoint(&latest)?;
    if !checkpoint.has(TRAINER_FILE) {
        bail!(
            "{} holds a policy `limbic imitate` trained in one go (algo {}), not a training run to continue",
            dir.display(),
            config.algo
        );
    }
    let counters: Counters = checkpoint.json(TRAINER_FILE)?;
    let old_total = config.total_steps;
    if let Some(total) = total_steps {
        if total < counters.env_steps {
            bail!(
                "--steps {total} is below the {} env steps the latest checkpoint ({}) has done: a resumed run can \
                 only go on; pass --steps N with N >= {}",
                counters.env_steps,
                latest.display(),
                counters.env_steps
            );
        }
        config.total_steps = total;
    }
    if options.web_teacher.is_some() && counters.env_steps >= config.total_steps {
        bail!(
            "{} has done its {} env steps: a person teaches while the run trains, so pass --steps N with N > {} \
             (without --steps, only the questions the run left unanswered are offered; it left none)",
            dir.display(),
            counters.env_steps,
            counters.env_steps
        );
    }
    // A run already at its total (killed while writing its report) only writes the report.
    config.validate()?;
    agree(&config, &checkpoint)?;
    preflight(&config)?;
    let session = Session::restore(config, run, &checkpoint, counters, build, options.web_teacher.as_ref())?;
    if session.config.total_steps != old_total {
        session.run.write_json(run_dir::CONFIG, &serde_json::to_value(&session.config)?)?;
    }
    session.run(options)
}

/// Whether the run in `run` has done its config's total of env steps (its latest checkpoint
/// says so); `false` without a training checkpoint.
pub fn finished(run: &RunDir) -> Result<bool> {
    let Some(latest) = run.latest_checkpoint()? else { return Ok(false) };
    let checkpoint = run.read_checkpoint(&latest)?;
    if !checkpoint.has(TRAINER_FILE) {
        return Ok(false);
    }
    let counters: Counters = checkpoint.json(TRAINER_FILE)?;
    Ok(counters.env_steps >= run.config()?.total_steps)
}

/// Refuses `config` where it differs from the one `checkpoint` was written with in what the
/// checkpoint means (env, learner, seed, hyperparameters, ...); reports schedule changes.
fn agree(config: &RunConfig, checkpoint: &Checkpoint) -> Result<()> {
    let changes = config.changes_from(&checkpoint.state.config)?;
    let (breaking, schedule): (Vec<&Change>, Vec<&Change>) = changes.iter().partition(|c| c.breaking);
    if !breaking.is_empty() {
        let list: Vec<String> = breaking.iter().map(|c| c.to_string()).collect();
        bail!(
            "the run's {} no longer agrees with checkpoint {}: {}; the checkpoint was trained with the first \
             values, so put those back, or train a new run with the new ones",
            run_dir::CONFIG,
            checkpoint.path.display(),
            list.join("; ")
        );
    }
    for change in schedule.iter().filter(|c| c.field != "total_steps") {
        tracing::warn!("the run's {} changed since the checkpoint: {change}", run_dir::CONFIG);
    }
    Ok(())
}

/// Checks done before any work: memory for the envs and the learner's storage, and warnings
/// for values that are almost surely mistakes.
fn preflight(config: &RunConfig) -> Result<()> {
    let (bytes, detail) = crate::checks::run_memory(config)?;
    crate::checks::memory(&format!("this run (num_envs = {})", config.num_envs), bytes, &detail)?;
    for warning in crate::checks::run_warnings(config) {
        tracing::warn!("{warning}");
    }
    Ok(())
}

/// The training envs, reset with the run's seed, and a new algorithm for them.
fn start(config: &RunConfig, build: Builder, dir: &Path) -> Result<(TrainEnvs, Box<dyn Algorithm>)> {
    let mut train = TrainEnvs::new(config)?;
    train.envs.reset(Some(config.seed))?;
    let env = EnvMaker::of(config);
    let teaching =
        Teaching { run_dir: dir, resume: false, seed: config.seed, env: &env, web: None, page: Default::default() };
    let algo = build_learner(config, &train, build, Some(teaching))?;
    algo.check_envs(&train.envs).context("building the algorithm")?;
    Ok((train, algo))
}

/// A run directory `parent/<env>-<algo>-seed<seed>`, with `-2`, `-3`, ... if that exists.
pub fn new_run_dir(parent: &Path, config: &RunConfig) -> PathBuf {
    let base = format!("{}-{}-seed{}", config.env, config.algo, config.seed);
    (1..)
        .map(|k| parent.join(if k == 1 { base.clone() } else { format!("{base}-{k}") }))
        .find(|p| !p.exists())
        .unwrap_or_else(|| parent.join(base))
}

/// A training run in progress.
struct Session {
    config: RunConfig,
    run: RunWriter,
    log: MetricsLog,
    train: TrainEnvs,
    algo: Box<dyn Algorithm>,
    counters: Counters,
    best_return: Option<f64>,
    last_eval: Option<EvalSummary>,
}

impl Session {
    fn fresh(config: RunConfig, run: RunWriter, train: TrainEnvs, algo: Box<dyn Algorithm>) -> Result<Session> {
        let log = run.metrics_log(&MetricsDigest::default())?;
        tracing::info!("training {} on {} into {}", config.algo, config.env, run.root().display());
        Ok(Session { config, run, log, train, algo, counters: Counters::default(), best_return: None, last_eval: None })
    }

    fn restore(
        config: RunConfig,
        run: RunWriter,
        checkpoint: &Checkpoint,
        counters: Counters,
        build: Builder,
        web: Option<&WebSettings>,
    ) -> Result<Session> {
        let saved: SavedEnvs = checkpoint.json(ENVS_FILE)?;
        let train =
            TrainEnvs::restore(&config, &saved).with_context(|| format!("checkpoint {}", checkpoint.path.display()))?;
        let env = EnvMaker::of(&config);
        let teaching =
            Teaching { run_dir: run.root(), resume: true, seed: config.seed, env: &env, web, page: Default::default() };
        let mut algo = build_learner(&config, &train, build, Some(teaching))?;
        algo.load(&checkpoint.algorithm_dir())?;
        if checkpoint.state.metrics.lines != counters.updates {
            bail!("checkpoint {}: its files disagree on the update count", checkpoint.path.display());
        }
        let best_return = match run.best_checkpoint() {
            Some(best) => {
                let eval = run.read_checkpoint(&best).and_then(|b| b.json::<EvalSummary>(run_dir::EVAL));
                let eval = eval.with_context(|| {
                    format!(
                        "the best checkpoint so far cannot be read; move {} aside to continue without it",
                        best.display()
                    )
                })?;
                Some(eval.mean_return)
            }
            None => None,
        };
        // Everything read: only now is the log cut back to the checkpoint.
        let log = run.metrics_log(&checkpoint.state.metrics);
        let log = log.with_context(|| format!("resuming from checkpoint {}", checkpoint.path.display()))?;
        tracing::info!(
            "resuming {} at update {} ({} env steps)",
            run.root().display(),
            counters.updates,
            counters.env_steps
        );
        Ok(Session { config, run, log, train, algo, counters, best_return, last_eval: None })
    }

    /// The loop: update, log, evaluate and checkpoint when due, until the step budget is spent.
    fn run(mut self, options: &Options) -> Result<Outcome> {
        let total = self.config.total_steps;
        let progress = Progress::new(total, self.counters.env_steps, options.quiet);
        let (started, time_before) = (Instant::now(), self.counters.time_s);
        while self.counters.env_steps < total {
            let (before, update_started) = (self.counters.env_steps, Instant::now());
            let update = self.algo.update(&mut self.train.envs).map_err(|e| self.stopped(e.into()))?;
            let seconds = update_started.elapsed().as_secs_f64();
            let episodes = self.train.envs.take_episodes();
            let time_s = time_before + started.elapsed().as_secs_f64();
            let line = self.counters.record(&update, &episodes, seconds, time_s);
            let mut line = line.map_err(|e| self.stopped(e))?;
            let (now, finished) = (self.counters.env_steps, self.counters.env_steps >= total);
            if finished || crossed(before, now, self.config.eval_every) {
                let eval = self.evaluate()?;
                insert_eval(&mut line, &eval);
                self.keep_if_best(&eval)?;
                self.last_eval = Some(eval);
            }
            self.log.append(&line)?;
            if finished || crossed(before, now, self.config.checkpoint_every) {
                self.checkpoint()?;
            }
            progress.update(now, self.counters.recent_return(), &update.metrics);
        }
        progress.finish();
        self.report(options)
    }

    fn evaluate(&mut self) -> Result<EvalSummary> {
        let c = &self.config;
        let eval = evaluate(self.algo.as_ref(), &EnvMaker::of(c), c.eval_episodes, c.eval_seed(), c.threads)?;
        tracing::info!(
            "step {}: eval mean return {:.3} ± {:.3}",
            self.counters.env_steps,
            eval.mean_return,
            eval.std_return
        );
        Ok(eval)
    }

    fn keep_if_best(&mut self, eval: &EvalSummary) -> Result<()> {
        if self.best_return.is_some_and(|best| eval.mean_return <= best) {
            return Ok(());
        }
        self.best_return = Some(eval.mean_return);
        let save = |dir: &Path| Ok(self.algo.save(dir)?);
        let mut snapshot = self.snapshot(&save)?;
        snapshot.files.push((run_dir::EVAL, serde_json::to_value(eval)?));
        self.run.save_best(&snapshot)
    }

    fn checkpoint(&self) -> Result<()> {
        let (step, keep) = (self.counters.env_steps, self.config.keep_checkpoints);
        let save = |dir: &Path| Ok(self.algo.save(dir)?);
        let path = self.run.save_checkpoint(step, keep, &self.snapshot(&save)?)?;
        tracing::debug!("checkpoint {}", path.display());
        Ok(())
    }

    /// A checkpoint of the run as it is: the algorithm (saved by `save`), the runner's counters,
    /// the training envs, the config and the metrics so far.
    fn snapshot<'a>(&self, save: &'a dyn Fn(&Path) -> Result<()>) -> Result<Snapshot<'a>> {
        Ok(Snapshot {
            save_algorithm: save,
            files: vec![
                (TRAINER_FILE, serde_json::to_value(&self.counters)?),
                (ENVS_FILE, serde_json::to_value(self.train.save()?)?),
            ],
            state: CheckpointState { config: self.config.clone(), metrics: self.log.digest()? },
        })
    }

    /// `eval.json`, `learning_curve.png`, `reward_signals.png` (with reward signals) and
    /// `episode.gif`.
    fn report(mut self, options: &Options) -> Result<Outcome> {
        let eval = match self.last_eval.take() {
            Some(eval) => eval,
            None => self.evaluate()?,
        };
        self.run.write_json(run_dir::EVAL, &serde_json::to_value(&eval)?)?;
        let (metrics, title) = (self.run.read_metrics()?, format!("{} on {}", self.config.algo, self.config.env));
        self.run.write_file(run_dir::LEARNING_CURVE, &crate::plot::learning_curve(&metrics, &title)?)?;
        if let Some(png) = crate::plot::reward_signals(&metrics, &title) {
            self.run.write_file(run_dir::REWARD_SIGNALS, &png?)?;
        }
        if options.gif {
            let c = &self.config;
            match record_episode(self.algo.as_ref(), &EnvMaker::of(c), c.eval_seed()) {
                Ok(episode) => save_gif(&episode.frames, episode.fps, &self.run.path(run_dir::EPISODE_GIF))?,
                Err(e) => tracing::warn!("no {}: {e:#}", run_dir::EPISODE_GIF),
            }
        }
        Ok(Outcome { dir: self.run.root().to_path_buf(), counters: self.counters, eval })
    }

    /// The error that stopped training at the next update, with what to do about it: resuming
    /// repeats a divergence (the run is deterministic), and needs a checkpoint.
    fn stopped(&self, error: anyhow::Error) -> anyhow::Error {
        let diverged =
            error.is::<Diverged>() || matches!(error.downcast_ref::<AgentError>(), Some(AgentError::NonFinite { .. }));
        let (update, steps, root) = (self.counters.updates + 1, self.counters.env_steps, self.run.root().display());
        let has_checkpoint = self.run.latest_checkpoint().is_ok_and(|c| c.is_some());
        let advice = if diverged {
            "resuming would diverge the same way (training is deterministic): start a new run with a lower learning \
             rate or reward weights"
                .to_string()
        } else if has_checkpoint {
            format!("`limbic train --resume {root}` continues from the latest checkpoint")
        } else {
            format!("no checkpoint was written yet, so it cannot be resumed: start it again with --out {root} --force")
        };
        error.context(format!("training stopped at update {update} ({steps} env steps done); {advice}"))
    }
}

const TRAINER_FILE: &str = "trainer.json";
const ENVS_FILE: &str = "envs.json";

/// Loads the policy of checkpoint `which` of a run (see [`RunDir::find_checkpoint`]) to act
/// with it (`limbic eval`, `demos record --policy RUN`); the run's config must agree with the
/// checkpoint's. Returns the config, the algorithm, and the checkpoint's folder.
pub fn load_policy(run: &RunDir, which: &str, build: Builder) -> Result<(RunConfig, Box<dyn Algorithm>, PathBuf)> {
    let config = run.config()?;
    let (algo, path) = run.load_checkpoint(which, |checkpoint| {
        agree(&config, checkpoint)?;
        let train = TrainEnvs::new(&config)?;
        let mut algo = build_learner(&config, &train, build, None)?;
        algo.load(&checkpoint.algorithm_dir())?;
        Ok((algo, checkpoint.path.clone()))
    })?;
    Ok((config, algo, path))
}

/// The learner for a run: `build`'s, or, when the config lists reward signals, the
/// `limbic-agents` learner with a [`RewardSet`] of [`Registry::installed`] (the built-ins and
/// any signal a binding installed). With `teaching` (training, not evaluating), feedback
/// signals get their teachers.
fn build_learner(
    config: &RunConfig,
    train: &TrainEnvs,
    build: Builder,
    teaching: Option<Teaching>,
) -> Result<Box<dyn Algorithm>> {
    let spec = spec(config, train);
    if config.rewards.is_empty() {
        return build(&spec).context("building the algorithm");
    }
    let context = SignalContext {
        obs_dim: train.envs.obs_dim(),
        observation_space: spec.observation_space.clone(),
        action_space: spec.action_space.clone(),
        num_envs: config.num_envs,
        seed: config.seed,
    };
    let mut set = RewardSet::new(&Registry::installed(), &config.rewards, &context)?;
    tracing::info!("rewards as built: {}", serde_json::to_string(set.specs())?);
    if let Some(teaching) = teaching {
        for label in set.attach_teachers(&mut |label, request| {
            teaching.teacher(label, request).map_err(|e| AgentError::Config {
                field: format!("rewards.{label}.teacher"),
                message: format!("{e:#}"),
            })
        })? {
            tracing::info!("{label}: labels go to {}", teaching.label_dir(&label).display());
        }
    }
    crate::config::algorithms().build(&spec, Some(Box::new(set))).context("building the algorithm")
}

fn spec<'a>(config: &'a RunConfig, train: &'a TrainEnvs) -> AlgorithmSpec<'a> {
    AlgorithmSpec {
        algo: &config.algo,
        params: &config.params,
        policy: &config.policy,
        // The space whose flat encoding the vector env's rows hold (MiniGrid: without the mission).
        observation_space: train.envs.envs()[0].flat_space(),
        action_space: train.envs.action_space(),
        num_envs: config.num_envs,
        total_steps: config.total_steps,
        seed: config.seed,
    }
}

/// Whether a step count moving from `before` to `now` passed a multiple of `every` (never for 0).
fn crossed(before: u64, now: u64, every: u64) -> bool {
    every > 0 && now / every > before / every
}
