//! Imitation learning from a demonstration dataset: train BC, DAgger, GAIL or SQIL on its first
//! K episodes, evaluate the learned policy and score it against the dataset's reference scores
//! (`limbic imitate`); the sweep over learners, demonstration counts and seeds is
//! [`crate::imitate_sweep`].
//!
//! - BC and DAgger train in memory (`Bc::fit`, `Dagger::train` with the env's scripted expert
//!   as oracle); SQIL and GAIL go through the runner ([`crate::runner::train`]): SQIL as a DQN
//!   whose replay holds the demonstrations, GAIL as PPO whose reward is the discriminator's
//!   alone (`extrinsic` weight 0) on the fixed-horizon variant of the env
//!   (`fixed_horizon: true`: episodes never end early, so the reward cannot leak through
//!   termination, as the `imitation` library requires).
//! - Evaluation: deterministic actions, episode i resets with `EVAL_SEED_OFFSET + seed + i`
//!   (disjoint from the demonstrations' seeds when they are below one million).

use crate::config::{self, Layer, RunConfig, EVAL_SEED_OFFSET};
use crate::demos;
use crate::env_maker::EnvMaker;
use crate::evaluate::{evaluate, EvalSummary};
use crate::run_dir::{self, CheckpointState, MetricsDigest, RunWriter, Snapshot};
use crate::runner::{self, Options};
use anyhow::{bail, Context, Result};
use limbic_agents::imitation::{Bc, Dagger, Demonstrations, Episode, EpisodeActions, Sqil};
use limbic_agents::policies::{ActionKind, ActorCritic, BuildPolicy, MemoryActorCritic, Policy, PolicySpec};
use limbic_agents::Algorithm;
use limbic_agents::AlgorithmSpec;
use limbic_datasets::{Actions, Dataset, FlatEpisode};
use limbic_environments::experts::ExpertEnv;
use limbic_environments::vector::VecEnv;
use limbic_environments::{make, Env, Kwargs};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The learners `limbic imitate --algo` accepts.
pub const ALGOS: [&str; 4] = ["bc", "dagger", "gail", "sqil"];
/// Env steps SQIL and GAIL train for when `--steps` is not given.
pub const DEFAULT_STEPS: u64 = 100_000;

/// What to train and how to evaluate it.
#[derive(Clone, Debug)]
pub struct Request {
    pub algo: String,
    pub demos: PathBuf,
    /// The first K episodes of the dataset (all when None).
    pub n_demos: Option<usize>,
    pub seed: u64,
    /// Env steps for SQIL and GAIL ([`DEFAULT_STEPS`] when None).
    pub steps: Option<u64>,
    /// Evaluation episodes.
    pub episodes: usize,
    /// A run directory to write (config, checkpoint, eval.json, imitate.json).
    pub out: Option<PathBuf>,
    /// Replace a run directory limbic recognises at `out` (`--force`).
    pub replace: bool,
    /// `key=value` hyperparameters (the algorithm's `params`; a value is JSON, else a string).
    pub sets: Vec<String>,
    pub quiet: bool,
}

/// What an imitation run measured (`limbic imitate --json`, `imitate.json`, a sweep's line).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub algo: String,
    pub env: String,
    pub n_demos: usize,
    pub seed: u64,
    /// Demonstrated transitions the learner started from.
    pub transitions: usize,
    pub episodes: usize,
    pub mean_return: f64,
    pub std_return: f64,
    pub ci95: Option<[f64; 2]>,
    pub success_rate: Option<f64>,
    /// `(mean_return - ref_min_score) / (ref_max_score - ref_min_score)`.
    pub normalized_score: f64,
    pub ref_min_score: f64,
    pub ref_max_score: f64,
    /// `dataset` (its metadata) or `computed` (100 episodes each of random and the expert).
    pub reference_source: String,
    /// GAIL: trained on the fixed-horizon variant (episodes end only at the time limit).
    pub fixed_horizon: bool,
    /// Env steps of SQIL and GAIL.
    pub steps: Option<u64>,
    pub train_time_s: f64,
    pub returns: Vec<f64>,
}

/// Trains `request.algo` on the dataset's first K episodes and evaluates it.
pub fn imitate(request: &Request) -> Result<Outcome> {
    if !ALGOS.contains(&request.algo.as_str()) {
        bail!("unknown imitation algorithm `{}`; known: {}", request.algo, ALGOS.join(", "));
    }
    if request.episodes == 0 {
        bail!("--episodes must be at least 1");
    }
    if let Some(out) = &request.out {
        RunWriter::check_destination(out, request.replace)?;
    }
    crate::checks::seed_range("--seed", request.seed, EVAL_SEED_OFFSET, request.episodes as u64)?;
    let eval_seed = EVAL_SEED_OFFSET + request.seed;
    let dataset = Dataset::read(&request.demos)?;
    let env = dataset
        .metadata
        .env_id()
        .with_context(|| format!("{}: metadata.json names no env (env_spec.id)", request.demos.display()))?
        .to_string();
    if let Some(mismatch) = dataset.env_mismatch() {
        bail!("{}: the metadata does not fit the env it names: {mismatch}", request.demos.display());
    }
    let available = dataset.episodes.len();
    let k = request.n_demos.unwrap_or(available);
    if k == 0 {
        bail!("--n-demos must be at least 1");
    }
    if k > available {
        bail!("--n-demos {k}: {} holds only {available} episodes", request.demos.display());
    }
    let kwargs = env_kwargs(&dataset);
    let (ref_min, ref_max, source) = reference(&dataset, &env, &kwargs)?;
    let episodes = to_learner_episodes(&dataset.first(k).flat_episodes()?)?;
    let (params, policy) = params(&request.sets)?;
    let probe = make(&env, &kwargs)?;
    let (obs_space, act_space) = (probe.flat_space().clone(), probe.action_space().clone());
    let obs_dim = obs_space.flat_dim()?;
    let demos = Demonstrations::from_episodes(obs_dim, ActionKind::for_space(&act_space)?, &episodes)
        .with_context(|| format!("the demonstrations of {} do not fit {env}", request.demos.display()))?;
    let spec = AlgorithmSpec {
        algo: &request.algo,
        params: &params,
        policy: &policy,
        observation_space: &obs_space,
        action_space: &act_space,
        num_envs: 1,
        total_steps: 0,
        seed: request.seed,
    };
    let start = Instant::now();
    let (eval, train_time_s, steps, run) = match request.algo.as_str() {
        "bc" | "dagger" => {
            let (eval, train_time_s, run) = match policy.memory.as_ref() {
                None => imitate_in_memory::<ActorCritic>(&spec, &demos, &env, &kwargs, request, eval_seed)?,
                Some(_) => imitate_in_memory::<MemoryActorCritic>(&spec, &demos, &env, &kwargs, request, eval_seed)?,
            };
            (eval, train_time_s, None, run)
        }
        algo => {
            let steps = request.steps.unwrap_or(DEFAULT_STEPS);
            let config = runner_config(algo, &env, &kwargs, params.clone(), &policy, request, k, steps)?;
            let eval = train_in_runner(&config, &demos, request)?;
            // The runner let go of the directory: take it again to add the outcome.
            let run = request.out.as_deref().map(RunWriter::open).transpose()?;
            (eval, start.elapsed().as_secs_f64(), Some(steps), run)
        }
    };
    let normalized_score = crate::stats::normalized_score(eval.mean_return, ref_min, ref_max)?;
    let outcome = Outcome {
        algo: request.algo.clone(),
        env,
        n_demos: k,
        seed: request.seed,
        transitions: demos.len(),
        episodes: eval.episodes,
        mean_return: eval.mean_return,
        std_return: eval.std_return,
        ci95: eval.ci95,
        success_rate: eval.success_rate,
        normalized_score,
        ref_min_score: ref_min,
        ref_max_score: ref_max,
        reference_source: source.into(),
        fixed_horizon: request.algo == "gail",
        steps,
        train_time_s,
        returns: eval.returns,
    };
    if let Some(run) = run {
        run.write_json(run_dir::IMITATE, &serde_json::to_value(&outcome)?)?;
    }
    Ok(outcome)
}

/// The `make` kwargs the dataset was recorded with (`env_spec.kwargs`).
fn env_kwargs(dataset: &Dataset) -> Kwargs {
    let spec = dataset.metadata.env_spec.as_ref();
    spec.and_then(|s| s.get("kwargs")).and_then(Json::as_object).cloned().unwrap_or_default()
}

/// `(ref_min, ref_max, source)`: the dataset's reference scores, else measured Minari's way.
fn reference(dataset: &Dataset, env: &str, kwargs: &Kwargs) -> Result<(f64, f64, &'static str)> {
    if let (Some(min), Some(max)) = (dataset.metadata.ref_min_score, dataset.metadata.ref_max_score) {
        return Ok((min, max, "dataset"));
    }
    if !ExpertEnv::has_expert(env) {
        bail!("the dataset has no reference scores and {env} has no scripted expert to measure ref_max_score; record it with `limbic demos record --ref-scores`");
    }
    tracing::info!("the dataset has no reference scores: measuring them (100 episodes of random and the expert)");
    let (min, max) = demos::reference_scores(env, kwargs, None)?;
    Ok((min, max, "computed"))
}

/// The dataset's episodes in the learners' form (discrete actions as env values).
fn to_learner_episodes(flat: &[FlatEpisode]) -> Result<Vec<Episode>> {
    Ok(flat
        .iter()
        .map(|e| Episode {
            observations: e.observations.clone(),
            actions: match &e.actions {
                Actions::Discrete(values) => EpisodeActions::Discrete(values.clone()),
                Actions::Continuous { values, .. } => EpisodeActions::Continuous(values.clone()),
            },
            rewards: e.rewards.iter().map(|&r| r as f64).collect(),
            terminations: e.terminations.clone(),
            truncations: e.truncations.clone(),
        })
        .collect())
}

/// The `--set key=value` pairs as a params object (a value is JSON if it parses, else a
/// string), and the policy spec from the `policy.`-prefixed ones (`policy.memory.kind=gru`).
pub fn params(sets: &[String]) -> Result<(Json, PolicySpec)> {
    let (mut object, mut policy) = (Map::new(), Map::new());
    for set in sets {
        let (key, value) = set.split_once('=').with_context(|| format!("--set `{set}`: expected key=value"))?;
        let value = serde_json::from_str(value).unwrap_or_else(|_| Json::String(value.into()));
        match key.trim().strip_prefix("policy.") {
            Some(path) => config::set_path(&mut policy, path, value).with_context(|| format!("--set `{set}`"))?,
            None => {
                object.insert(key.trim().into(), value);
            }
        }
    }
    let policy = serde_json::from_value(Json::Object(policy)).context("--set policy.*")?;
    Ok((Json::Object(object), policy))
}

/// BC or DAgger with a policy network of type `P`, trained in memory and evaluated (and, with
/// `--out`, written as a run directory, still owned); returns the evaluation, the training time
/// and the run.
fn imitate_in_memory<P: BuildPolicy>(
    spec: &AlgorithmSpec,
    demos: &Demonstrations,
    env: &str,
    kwargs: &Kwargs,
    request: &Request,
    eval_seed: u64,
) -> Result<(EvalSummary, f64, Option<RunWriter>)> {
    let start = Instant::now();
    let policy: Bc<P> = if spec.algo == "bc" {
        let mut bc = Bc::with_demonstrations(spec, demos)?;
        bc.fit()?;
        bc
    } else {
        if !ExpertEnv::has_expert(env) {
            bail!("DAgger needs an interactive expert: {env} has no scripted expert (use bc, gail or sqil)");
        }
        let mut learner = Dagger::new(spec, Some(demos))?;
        let mut oracle = VecEnv::new(vec![ExpertEnv::make(env, kwargs)?])?;
        learner.train(&mut oracle)?;
        learner.into_policy()
    };
    let train_time_s = start.elapsed().as_secs_f64();
    let eval = evaluate(&policy, &EnvMaker::new(env, kwargs), request.episodes, eval_seed, 1)?;
    let run = match &request.out {
        Some(out) => Some(write_policy_run(out, env, kwargs, request, spec.policy, &policy, &eval)?),
        None => None,
    };
    Ok((eval, train_time_s, run))
}

/// The run config of SQIL (a DQN with its preset for the env, if any) or GAIL (PPO with the
/// discriminator's reward alone, fixed horizon).
#[allow(clippy::too_many_arguments)]
fn runner_config(
    algo: &str,
    env: &str,
    kwargs: &Kwargs,
    params: Json,
    policy: &PolicySpec,
    request: &Request,
    k: usize,
    steps: u64,
) -> Result<RunConfig> {
    let learner = if algo == "gail" { "ppo" } else { "dqn" };
    let preset = RunConfig::for_env(env, learner)?;
    let mut merged = preset.params.as_object().cloned().unwrap_or_default();
    merged.extend(params.as_object().cloned().unwrap_or_default());
    let mut values = json!({
        "env": env, "env_kwargs": kwargs, "algo": if algo == "gail" { "ppo" } else { "sqil" },
        "seed": request.seed, "total_steps": steps, "eval_episodes": request.episodes,
        "eval_every": 0, "checkpoint_every": 0, "num_envs": preset.num_envs, "params": merged,
        "policy": policy,
    });
    if algo == "gail" {
        let demos = request.demos.canonicalize().unwrap_or_else(|_| request.demos.clone());
        values["rewards"] = json!([
            {"name": "extrinsic", "weight": 0.0},
            {"name": "gail", "params": {"demos": demos.to_string_lossy(), "n_demos": k}},
        ]);
        values["fixed_horizon"] = json!(true);
    }
    let Json::Object(values) = values else { bail!("internal: the run config is not an object") };
    config::resolve(vec![Layer::new("imitate", values)?])
}

/// Trains `config` through the runner (SQIL with the demonstrations in its replay) into
/// `--out` or a temporary run directory, and returns its final evaluation.
fn train_in_runner(config: &RunConfig, demos: &Demonstrations, request: &Request) -> Result<EvalSummary> {
    let build = |spec: &AlgorithmSpec| -> limbic_agents::Result<Box<dyn Algorithm>> {
        match spec.algo {
            "sqil" => Ok(Box::new(Sqil::new(spec, demos)?)),
            _ => runner::build_algorithm(spec),
        }
    };
    let options =
        Options { quiet: request.quiet, gif: request.out.is_some(), replace: request.replace, ..Options::default() };
    match &request.out {
        Some(out) => Ok(runner::train(config, out, &build, &options)?.eval),
        None => {
            // Removed when dropped, on an error too.
            let tmp = tempfile::Builder::new().prefix("limbic-imitate-").tempdir()?;
            Ok(runner::train(config, &tmp.path().join("run"), &build, &options)?.eval)
        }
    }
}

/// A run directory for a policy trained in memory (BC, DAgger): config (algo `bc`, which
/// `limbic eval --run` rebuilds), one checkpoint and `eval.json`; still owned when returned.
fn write_policy_run<P: Policy>(
    out: &Path,
    env: &str,
    kwargs: &Kwargs,
    request: &Request,
    policy_spec: &PolicySpec,
    policy: &Bc<P>,
    eval: &EvalSummary,
) -> Result<RunWriter> {
    // DAgger's policy is a BC policy: the config it was built with is what `bc` needs.
    let bc_params = serde_json::to_value(policy.config())?;
    let config = RunConfig {
        env: env.into(),
        env_kwargs: kwargs.clone(),
        algo: "bc".into(),
        seed: request.seed,
        num_envs: 1,
        eval_episodes: request.episodes,
        params: bc_params,
        policy: policy_spec.clone(),
        ..RunConfig::default()
    };
    config.validate()?;
    let run = RunWriter::create(out, &config, request.replace)?;
    let save = |dir: &Path| Ok(policy.save(dir)?);
    let state = CheckpointState { config, metrics: MetricsDigest::default() };
    run.save_checkpoint(policy.epochs(), 1, &Snapshot { save_algorithm: &save, files: Vec::new(), state })?;
    run.write_json(run_dir::EVAL, &serde_json::to_value(eval)?)?;
    Ok(run)
}
