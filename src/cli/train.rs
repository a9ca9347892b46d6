//! `limbic train`: train an agent into a run directory, or continue one.

use anyhow::Result;
use limbic::config::{resolve, Layer, RunConfig};
use limbic::run_dir;
use limbic::runner::{self, build_algorithm, Options, Outcome};
use limbic_rewards::signals::{evaluative, extrinsic, preferences};
use limbic_rewards::RewardSpec;
use serde_json::Map;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A JSON config file: any RunConfig fields (--print-config shows them all).
    config: Option<PathBuf>,
    /// Environment id, e.g. CartPole-v1 (see `limbic envs`); picks the embedded preset.
    #[arg(long)]
    env: Option<String>,
    /// Learner: ppo, dqn, sac, dreamer, option-critic, manager-worker, ... (`limbic algorithms`), or random (the uniform-random baseline).
    #[arg(long)]
    algo: Option<String>,
    /// Env steps to train for (total_steps). With --resume: extend the run to this many.
    #[arg(long)]
    steps: Option<u64>,
    /// Seed of the run (algorithm and training envs).
    #[arg(long)]
    seed: Option<u64>,
    /// Sub-environments stepped together.
    #[arg(long)]
    num_envs: Option<usize>,
    /// Add a reward signal as NAME[:WEIGHT] (`limbic rewards` lists them). Repeatable:
    /// --reward counts:0.005 --reward rnd:0.01. A negative WEIGHT makes the signal a penalty
    /// (counts:-0.01 discourages revisiting states). Replaces the config file's `rewards` list;
    /// full specs (params, schedules, streams) go in the file or --set rewards='[...]'.
    #[arg(long = "reward", value_name = "NAME[:WEIGHT]")]
    rewards: Vec<String>,
    /// Who answers the feedback signals (preferences, evaluative): a synthetic teacher (oracle,
    /// stochastic, myopic, skipping, equal, mistake, noisy, delayed, sparse: by the true reward;
    /// expert: by a scripted gridworld expert's judgement of each action) or web. With a
    /// feedback signal and no `extrinsic` in --reward, the env's reward is weighted 0: the agent
    /// learns from the teacher alone.
    #[arg(long, value_name = "KIND")]
    teacher: Option<String>,
    /// The label budget of the feedback signals: questions asked in the whole run.
    #[arg(long, value_name = "N")]
    labels: Option<usize>,
    /// Run directory to create [default: runs/ENV-ALGO-seedSEED].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the run directory at --out (only a run directory limbic wrote, nothing else).
    #[arg(long, requires = "out")]
    force: bool,
    /// Set a config field by its dotted path; the value is JSON, else a string. Repeatable:
    /// --set params.learning_rate=3e-4 --set params.net_arch=[64,64] --set eval_every=5000
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Print the resolved config (defaults < preset < file < flags) as JSON and exit.
    #[arg(long)]
    print_config: bool,
    /// Continue the run in DIR from its latest checkpoint, exactly as it would have gone on.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "env", "algo", "seed", "num_envs", "rewards", "teacher", "labels", "out", "force", "sets", "print_config"])]
    resume: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let options = Options { quiet: args.quiet, replace: args.force, ..Options::default() };
    let outcome = match &args.resume {
        Some(dir) => runner::resume(dir, args.steps, &build_algorithm, &options)?,
        None => {
            let config = resolve_args(&args)?;
            if limbic::config::algorithms().get(&config.algo)?.needs_demonstrations {
                anyhow::bail!(
                    "`{}` learns from demonstrations: train it with `limbic imitate --algo {} --demos DATASET`",
                    config.algo,
                    config.algo
                );
            }
            if args.print_config {
                println!("{}", serde_json::to_string_pretty(&config)?);
                return Ok(());
            }
            let dir = args.out.clone().unwrap_or_else(|| runner::new_run_dir(Path::new("runs"), &config));
            runner::train(&config, &dir, &build_algorithm, &options)?
        }
    };
    print_summary(&outcome);
    Ok(())
}

/// The config from the file and flags, over the defaults and the preset.
fn resolve_args(args: &Args) -> Result<RunConfig> {
    let mut layers = Vec::new();
    if let Some(path) = &args.config {
        layers.push(Layer::from_file(path)?);
    }
    let mut flags = Layer::new("command line", Map::new())?;
    if let Some(env) = &args.env {
        flags = flags.with("env", env.as_str())?;
    }
    if let Some(algo) = &args.algo {
        flags = flags.with("algo", algo.as_str())?;
    }
    if let Some(steps) = args.steps {
        flags = flags.with("total_steps", steps)?;
    }
    if let Some(seed) = args.seed {
        flags = flags.with("seed", seed)?;
    }
    if let Some(n) = args.num_envs {
        flags = flags.with("num_envs", n)?;
    }
    if !args.rewards.is_empty() {
        let mut specs = args.rewards.iter().map(|r| RewardSpec::shorthand(r)).collect::<Result<Vec<_>, _>>()?;
        if specs.iter().any(is_feedback) && !specs.iter().any(|s| s.name == extrinsic::NAME) {
            specs.push(RewardSpec { weight: Some(0.0), ..RewardSpec::named(extrinsic::NAME) });
        }
        flags = flags.with("rewards", serde_json::to_value(specs)?)?;
    }
    layers.push(flags);
    layers.push(Layer::from_assignments("--set", &args.sets)?);
    let mut config = resolve(layers)?;
    if args.teacher.is_some() || args.labels.is_some() {
        set_teacher(&mut config.rewards, args.teacher.as_deref(), args.labels)?;
        config.validate()?;
    }
    Ok(config)
}

fn is_feedback(spec: &RewardSpec) -> bool {
    [preferences::NAME, evaluative::NAME].contains(&spec.name.as_str())
}

/// `--teacher KIND` and `--labels N` into every feedback signal's `teacher` and `budget`.
fn set_teacher(specs: &mut [RewardSpec], teacher: Option<&str>, labels: Option<usize>) -> Result<()> {
    let mut found = false;
    for spec in specs.iter_mut().filter(|s| is_feedback(s)) {
        found = true;
        if spec.params.is_null() {
            spec.params = serde_json::json!({});
        }
        let params = spec
            .params
            .as_object_mut()
            .ok_or_else(|| anyhow::anyhow!("rewards.{}.params must be a JSON object", spec.name))?;
        if let Some(kind) = teacher {
            params.insert("teacher".into(), kind.into());
        }
        if let Some(n) = labels {
            params.insert("budget".into(), n.into());
        }
    }
    if !found {
        anyhow::bail!(
            "--teacher and --labels configure a feedback signal: add --reward {} or --reward {}",
            preferences::NAME,
            evaluative::NAME
        );
    }
    Ok(())
}

pub(crate) fn print_summary(outcome: &Outcome) {
    let (c, e) = (&outcome.counters, &outcome.eval);
    println!("Trained {} updates, {} env steps, in {:.1} s.", c.updates, c.env_steps, c.time_s);
    println!("{}", super::eval::describe(e));
    let names = [
        run_dir::CONFIG,
        run_dir::METRICS,
        "checkpoints",
        run_dir::EVAL,
        run_dir::LEARNING_CURVE,
        run_dir::REWARD_SIGNALS,
        run_dir::EPISODE_GIF,
    ];
    let written: Vec<&str> = names.into_iter().filter(|name| outcome.dir.join(name).exists()).collect();
    println!("Run directory {}: {}", outcome.dir.display(), written.join(", "));
}
