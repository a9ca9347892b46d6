//! `limbic bench env`: how many env steps per second an environment runs here.
//!
//! The full side-by-side comparison with Gymnasium is `bench/compare_env_throughput.sh`; this
//! command is the quick check of one setting.

use anyhow::{bail, Result};
use limbic_environments::rng::Generator;
use limbic_environments::vector::VecEnv;
use limbic_environments::{Space, Value};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand, Debug)]
enum What {
    /// Steps per second of a (vector) environment under uniformly random actions.
    Env(EnvArgs),
}

#[derive(clap::Args, Debug)]
struct EnvArgs {
    /// Environment id, e.g. CartPole-v1.
    #[arg(long)]
    env: String,
    /// Sub-environments stepped together.
    #[arg(long, default_value_t = 1)]
    num_envs: usize,
    /// Env steps to time, all sub-envs together.
    #[arg(long, default_value_t = 1_000_000)]
    steps: u64,
    /// Worker threads for the vector env (default 1; 0 = every core).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Keyword arguments for `make`, as a JSON object.
    #[arg(long)]
    kwargs: Option<String>,
}

/// Distinct random action rows, reused cyclically so drawing actions costs nothing in the loop
/// (fewer with very many sub-envs, so the table stays within [`MAX_ACTIONS`]).
const ACTION_ROWS: usize = 1024;
/// Actions the table holds at most, all rows together.
const MAX_ACTIONS: usize = 1 << 20;

pub fn run(args: Args) -> Result<()> {
    let What::Env(args) = args.what;
    if args.num_envs == 0 || args.steps == 0 {
        bail!("--num-envs and --steps must be at least 1");
    }
    let kwargs = super::parse_kwargs(args.kwargs.as_deref())?;
    let what = format!("--num-envs {}", args.num_envs);
    limbic::checks::vec_env_memory(
        &what,
        &args.env,
        &kwargs,
        args.num_envs,
        ActionTable::bytes_per_env(args.num_envs),
    )?;
    let threads = (args.threads > 0).then_some(args.threads);
    let mut envs = VecEnv::make(&args.env, args.num_envs, &kwargs)?.with_threads(threads)?;
    envs.reset(Some(0))?;
    let table = ActionTable::new(envs.action_space(), args.num_envs)?;
    let rounds = args.steps.div_ceil(args.num_envs as u64);
    let start = Instant::now();
    for round in 0..rounds {
        table.step(&mut envs, round as usize % table.rows())?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let steps = rounds * args.num_envs as u64;
    println!(
        "{}: {} envs, {} threads, {steps} steps in {seconds:.3} s: {:.0} steps/s",
        args.env,
        args.num_envs,
        envs.threads(),
        steps as f64 / seconds
    );
    Ok(())
}

/// Pre-drawn actions for every sub-env, `ACTION_ROWS` rounds of them.
enum ActionTable {
    Discrete(Vec<i64>, usize),
    Continuous(Vec<f32>, usize),
    /// Any other action space (MultiDiscrete, Tuple, ...), stepped through `VecEnv::step`.
    Values(Vec<Value>, usize),
}

impl ActionTable {
    /// Rows of actions for `num_envs` sub-envs.
    fn rows_for(num_envs: usize) -> usize {
        (MAX_ACTIONS / num_envs.max(1)).clamp(1, ACTION_ROWS)
    }

    /// Memory per sub-env: its actions in every row, drawn as values, then kept as numbers.
    fn bytes_per_env(num_envs: usize) -> u64 {
        (Self::rows_for(num_envs) * (std::mem::size_of::<Value>() + 8)) as u64
    }

    fn rows(&self) -> usize {
        let (len, width) = match self {
            ActionTable::Discrete(a, width) => (a.len(), *width),
            ActionTable::Continuous(a, width) => (a.len(), *width),
            ActionTable::Values(a, width) => (a.len(), *width),
        };
        len / width.max(1)
    }

    fn new(space: &Space, num_envs: usize) -> Result<Self> {
        let mut rng = Generator::from_seed(1);
        let draws: Vec<Value> = (0..Self::rows_for(num_envs) * num_envs).map(|_| space.sample(&mut rng)).collect();
        Ok(match space {
            Space::Discrete { .. } => ActionTable::Discrete(draws.iter().filter_map(Value::as_int).collect(), num_envs),
            Space::Box(_) => ActionTable::Continuous(
                draws.iter().filter_map(Value::as_f32).flatten().copied().collect(),
                draws.first().and_then(Value::as_f32).map_or(0, <[f32]>::len) * num_envs,
            ),
            Space::Text { .. } => bail!("bench env cannot draw actions from a Text space"),
            _ => ActionTable::Values(draws, num_envs),
        })
    }

    fn step(&self, envs: &mut VecEnv, row: usize) -> Result<()> {
        match self {
            ActionTable::Discrete(a, width) => envs.step_discrete(&a[row * width..(row + 1) * width])?,
            ActionTable::Continuous(a, width) => envs.step_continuous(&a[row * width..(row + 1) * width])?,
            ActionTable::Values(a, width) => envs.step(&a[row * width..(row + 1) * width])?,
        };
        Ok(())
    }
}
