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

use crate::config::RunConfig;
use crate::evaluate::{evaluate, record_episode, EvalSummary};
use crate::metrics::{insert_eval, Counters};
use crate::progress::Progress;
use crate::run_dir::{self, MetricsLog, RunDir};
use crate::train_envs::{SavedEnvs, TrainEnvs};
use anyhow::{Context, Result};
use limbic_agents::Algorithm;
use limbic_agents::AlgorithmSpec;
use limbic_environments::render::save_gif;
use limbic_rewards::{Registry, RewardSet, SignalContext};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Builds the algorithm a spec names (the command line uses [`build_algorithm`]; tests pass
/// their own).
pub type Builder<'a> = &'a dyn Fn(&AlgorithmSpec) -> limbic_agents::Result<Box<dyn Algorithm>>;

/// The algorithm a spec names, from the registry ([`crate::config::algorithms`]).
pub fn build_algorithm(spec: &AlgorithmSpec) -> limbic_agents::Result<Box<dyn Algorithm>> {
    crate::config::algorithms().build(spec, None)
}

/// How a run reports itself.
#[derive(Clone, Debug)]
pub struct Options {
    /// No progress bar.
    pub quiet: bool,
    /// Record `episode.gif` at the end.
    pub gif: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { quiet: false, gif: true }
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
    // Build first, so a config the algorithm refuses leaves no run directory behind.
    let (train, algo) = start(config, build)?;
    let run = RunDir::create(dir, config)?;
    Session::fresh(config.clone(), run, train, algo)?.run(options)
}

/// Continues the run in `dir` from its latest checkpoint (from scratch if it has none), to
/// `total_steps` if given (extending the run), else to its config's.
pub fn resume(dir: &Path, total_steps: Option<u64>, build: Builder, options: &Options) -> Result<Outcome> {
    let run = RunDir::open(dir)?;
    let mut config = run.config()?;
    if let Some(total) = total_steps.filter(|&t| t != config.total_steps) {
        config.total_steps = total;
        config.validate()?;
        run.write_json(run_dir::CONFIG, &serde_json::to_value(&config)?)?;
    }
    match run.latest_checkpoint()? {
        Some(checkpoint) => Session::restore(config, run, &checkpoint, build)?.run(options),
        None => {
            tracing::info!("{} has no checkpoint yet: starting it over", dir.display());
            let (train, algo) = start(&config, build)?;
            Session::fresh(config, run, train, algo)?.run(options)
        }
    }
}

/// The training envs, reset with the run's seed, and a new algorithm for them.
fn start(config: &RunConfig, build: Builder) -> Result<(TrainEnvs, Box<dyn Algorithm>)> {
    let mut train = TrainEnvs::new(config)?;
    train.envs.reset(Some(config.seed))?;
    let algo = build_learner(config, &train, build)?;
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
    run: RunDir,
    log: MetricsLog,
    train: TrainEnvs,
    algo: Box<dyn Algorithm>,
    counters: Counters,
    best_return: Option<f64>,
    last_eval: Option<EvalSummary>,
}

impl Session {
    fn fresh(config: RunConfig, run: RunDir, train: TrainEnvs, algo: Box<dyn Algorithm>) -> Result<Session> {
        let log = run.metrics_log(0)?;
        tracing::info!("training {} on {} into {}", config.algo, config.env, run.root().display());
        Ok(Session { config, run, log, train, algo, counters: Counters::default(), best_return: None, last_eval: None })
    }

    fn restore(config: RunConfig, run: RunDir, checkpoint: &Path, build: Builder) -> Result<Session> {
        let counters: Counters = read_json(&checkpoint.join(TRAINER_FILE))?;
        let saved: SavedEnvs = read_json(&checkpoint.join(ENVS_FILE))?;
        let train =
            TrainEnvs::restore(&config, &saved).with_context(|| format!("checkpoint {}", checkpoint.display()))?;
        let mut algo = build_learner(&config, &train, build)?;
        algo.load(&checkpoint.join(ALGORITHM_DIR))?;
        let log = run.metrics_log(counters.updates)?;
        let best_return = match run.best_checkpoint() {
            Some(best) => Some(read_json::<EvalSummary>(&best.join(run_dir::EVAL))?.mean_return),
            None => None,
        };
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
            let update = self.algo.update(&mut self.train.envs).with_context(|| self.stopped())?;
            let seconds = update_started.elapsed().as_secs_f64();
            let episodes = self.train.envs.take_episodes();
            let time_s = time_before + started.elapsed().as_secs_f64();
            let mut line = self.counters.record(&update, &episodes, seconds, time_s).with_context(|| self.stopped())?;
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
            progress.update(now, self.counters.recent_return());
        }
        progress.finish();
        self.report(options)
    }

    fn evaluate(&mut self) -> Result<EvalSummary> {
        let c = &self.config;
        let eval = evaluate(self.algo.as_ref(), &c.env, &c.env_kwargs, c.eval_episodes, c.eval_seed(), c.threads)?;
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
        let eval = serde_json::to_value(eval)?;
        self.run.save_best(|dir| {
            write_checkpoint(&*self.algo, &self.train, &self.counters, dir)?;
            run_dir::write_json_file(&dir.join(run_dir::EVAL), &eval)
        })
    }

    fn checkpoint(&mut self) -> Result<()> {
        let (step, keep) = (self.counters.env_steps, self.config.keep_checkpoints);
        let path = self
            .run
            .save_checkpoint(step, keep, |dir| write_checkpoint(&*self.algo, &self.train, &self.counters, dir))?;
        tracing::debug!("checkpoint {}", path.display());
        Ok(())
    }

    /// `eval.json`, `learning_curve.png`, `reward_signals.png` (with reward signals) and
    /// `episode.gif`.
    fn report(mut self, options: &Options) -> Result<Outcome> {
        let eval = match self.last_eval.take() {
            Some(eval) => eval,
            None => self.evaluate()?,
        };
        self.run.write_json(run_dir::EVAL, &serde_json::to_value(&eval)?)?;
        let png = crate::plot::learning_curve(
            &self.run.read_metrics()?,
            &format!("{} on {}", self.config.algo, self.config.env),
        )?;
        limbic_environments::render::write_atomically(&self.run.path(run_dir::LEARNING_CURVE), &png)?;
        let title = format!("{} on {}", self.config.algo, self.config.env);
        if let Some(png) = crate::plot::reward_signals(&self.run.read_metrics()?, &title) {
            limbic_environments::render::write_atomically(&self.run.path(run_dir::REWARD_SIGNALS), &png?)?;
        }
        if options.gif {
            let c = &self.config;
            match record_episode(self.algo.as_ref(), &c.env, &c.env_kwargs, c.eval_seed()) {
                Ok(episode) => save_gif(&episode.frames, episode.fps, &self.run.path(run_dir::EPISODE_GIF))?,
                Err(e) => tracing::warn!("no {}: {e:#}", run_dir::EPISODE_GIF),
            }
        }
        Ok(Outcome { dir: self.run.root().to_path_buf(), counters: self.counters, eval })
    }

    fn stopped(&self) -> String {
        format!(
            "training stopped at update {} ({} env steps done); `limbic train --resume {}` continues from the latest checkpoint",
            self.counters.updates + 1,
            self.counters.env_steps,
            self.run.root().display()
        )
    }
}

/// The checkpoint subfolder holding the algorithm's own files.
pub const ALGORITHM_DIR: &str = "algorithm";
const TRAINER_FILE: &str = "trainer.json";
const ENVS_FILE: &str = "envs.json";

/// Fills a checkpoint folder: the algorithm's state, the runner's counters, the envs.
fn write_checkpoint(algo: &dyn Algorithm, train: &TrainEnvs, counters: &Counters, dir: &Path) -> Result<()> {
    let algorithm_dir = dir.join(ALGORITHM_DIR);
    std::fs::create_dir_all(&algorithm_dir)?;
    algo.save(&algorithm_dir)?;
    run_dir::write_json_file(&dir.join(TRAINER_FILE), &serde_json::to_value(counters)?)?;
    run_dir::write_json_file(&dir.join(ENVS_FILE), &serde_json::to_value(train.save()?)?)
}

/// Loads an algorithm from a checkpoint folder, for evaluation.
pub fn load_algorithm(config: &RunConfig, checkpoint: &Path, build: Builder) -> Result<Box<dyn Algorithm>> {
    let train = TrainEnvs::new(config)?;
    let mut algo = build_learner(config, &train, build)?;
    algo.load(&checkpoint.join(ALGORITHM_DIR))?;
    Ok(algo)
}

/// The learner for a run: `build`'s, or, when the config lists reward signals, the
/// `limbic-agents` learner with a [`RewardSet`] of the registry's built-in signals.
fn build_learner(config: &RunConfig, train: &TrainEnvs, build: Builder) -> Result<Box<dyn Algorithm>> {
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
    let set = RewardSet::new(&Registry::builtins(), &config.rewards, &context)?;
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

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("checkpoint file {} cannot be read", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("checkpoint file {} is corrupt", path.display()))
}
