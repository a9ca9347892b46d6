//! Environment throughput: env steps per second, single env and vectorized.
//!
//! ```text
//! cargo bench --bench env_throughput -- [IDS...] [--sizes 1,8,64,256,1024] [--repeats 5]
//!     [--seconds 0.3] [--threads N] [--modes single,vector,threaded] [--filter TEXT] [--json]
//! ```
//!
//! For each id (default CartPole-v1): a single env built by `make` (stepped through `step`,
//! which builds a `Value` per step, and through the `step_into` fast path), the bare CartPole
//! struct (CartPole ids only), and vector envs of N sub-envs: `VecEnv::make` (boxed sub-envs),
//! `VecEnv<TimeLimit<CartPole>>` (concrete sub-envs stepped one by one) and `VecEnv::cartpole`
//! (the batched CartPole kernel), the last two for CartPole ids only, each single-threaded and
//! threaded. Actions are drawn before timing; single envs reset when an episode ends, vector
//! envs autoreset (NEXT_STEP; the reset steps count as steps, as in Gymnasium). Each figure is
//! the median over timed repeats after a warm-up. `bench/gymnasium_throughput.py` measures
//! Gymnasium the same way; `bench/compare_env_throughput.sh` runs both.

use clap::Parser;
use limbic_environments::classic::CartPole;
use limbic_environments::registry::spec;
use limbic_environments::rng::Generator;
use limbic_environments::wrappers::TimeLimit;
use limbic_environments::{make, DType, Env, Kwargs, Options, Space, Value, VecEnv};
use serde_json::json;
use std::hint::black_box;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Environment steps per second, single env and vectorized")]
struct Args {
    /// Registered environment ids.
    #[arg(default_values_t = vec!["CartPole-v1".to_string()])]
    ids: Vec<String>,
    /// Vector env sizes.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1, 8, 64, 256, 1024])]
    sizes: Vec<usize>,
    /// Timed repeats per figure (the median is reported).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Approximate seconds per timed repeat.
    #[arg(long, default_value_t = 0.3)]
    seconds: f64,
    /// Only the figures whose mode contains this text (e.g. `batched`).
    #[arg(long)]
    filter: Option<String>,
    /// Threads of the threaded vector envs (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// What to measure: any of single, vector, threaded.
    #[arg(long, value_delimiter = ',', default_values_t = vec!["single".to_string(), "vector".into(), "threaded".into()])]
    modes: Vec<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// One measured figure.
struct Row {
    id: String,
    mode: String,
    num_envs: usize,
    threads: usize,
    rates: Rates,
}

/// Per repeat, sorted: steps per wall-clock second, and steps per CPU-second of this process
/// (all its threads), which does not drop when other processes take turns on the cores.
struct Rates {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

fn median(sorted: &[f64]) -> f64 {
    sorted[sorted.len() / 2]
}

/// Pre-drawn actions, in the form the fastest step method for the action space takes.
enum Table {
    Discrete(Vec<i64>),
    Continuous { flat: Vec<f32>, dim: usize },
    Values(Vec<Value>),
}

const TABLE_LEN: usize = 1 << 16;

impl Table {
    fn new(space: &Space, seed: u64) -> Self {
        let mut rng = Generator::from_seed(seed);
        let values: Vec<Value> = (0..TABLE_LEN).map(|_| space.sample(&mut rng)).collect();
        match space {
            Space::Discrete { .. } => Table::Discrete(values.iter().filter_map(Value::as_int).collect()),
            Space::Box(b) if b.dtype == DType::Float32 => Table::Continuous {
                flat: values.iter().flat_map(|v| v.as_f32().unwrap_or_default().to_vec()).collect(),
                dim: b.low.len(),
            },
            _ => Table::Values(values),
        }
    }

    fn value(&self, i: usize) -> Value {
        match self {
            Table::Discrete(a) => Value::Int(a[i % TABLE_LEN]),
            Table::Continuous { flat, dim } => {
                let i = i % TABLE_LEN;
                Value::F32(flat[i * dim..(i + 1) * dim].to_vec())
            }
            Table::Values(v) => v[i % TABLE_LEN].clone(),
        }
    }
}

/// CPU time of this process so far (all live threads), from the kernel's scheduler statistics.
fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return f64::NAN };
    let nanos: u64 = tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    nanos as f64 * 1e-9
}

/// Rates of `run(steps)` (which returns the steps it took): a warm-up that also sizes a repeat
/// to about `seconds`, then `repeats` timed runs.
fn measure(args: &Args, mut run: impl FnMut(u64) -> u64) -> Rates {
    let mut steps = 1_000;
    loop {
        let start = Instant::now();
        run(steps);
        let took = start.elapsed();
        if took >= Duration::from_secs_f64(args.seconds / 4.0) {
            steps = ((steps as f64) * args.seconds / took.as_secs_f64()).max(1.0) as u64;
            break;
        }
        steps *= 4;
    }
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..args.repeats.max(1) {
        let (start, cpu_start) = (Instant::now(), cpu_seconds());
        let done = run(steps) as f64;
        wall.push(done / start.elapsed().as_secs_f64());
        cpu.push(done / (cpu_seconds() - cpu_start));
    }
    wall.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    Rates { wall, cpu }
}

/// A single env stepped through `step` (a `Value` per step), resetting when an episode ends.
fn single_step(env: &mut dyn Env, actions: &[Value], steps: u64, cursor: &mut usize) -> u64 {
    for _ in 0..steps {
        *cursor = (*cursor + 1) & (TABLE_LEN - 1);
        let step = env.step(&actions[*cursor]).expect("step");
        if step.terminated || step.truncated {
            env.reset(None, &Options::new()).expect("reset");
        }
        black_box(&step.obs);
    }
    steps
}

/// A single env stepped through the `step_into` fast path, resetting when an episode ends.
fn single_step_into<E: Env + ?Sized>(env: &mut E, actions: &[Value], steps: u64, cursor: &mut usize) -> u64 {
    let mut obs = vec![0.0f32; env.observation_space().flat_dim().expect("flat obs")];
    for _ in 0..steps {
        *cursor = (*cursor + 1) & (TABLE_LEN - 1);
        let t = env.step_into(&actions[*cursor], &mut obs).expect("step");
        if t.terminated || t.truncated {
            env.reset_into(None, &mut obs).expect("reset");
        }
        black_box(&obs);
    }
    steps
}

/// At least `steps` vector env steps (whole batches of N) with pre-drawn actions.
fn vector_steps<E: Env>(envs: &mut VecEnv<E>, table: &Table, steps: u64, cursor: &mut usize) -> u64 {
    let n = envs.num_envs();
    let batches = steps.div_ceil(n as u64);
    for _ in 0..batches {
        *cursor = (*cursor + n) % (TABLE_LEN - n);
        let step = match table {
            Table::Discrete(a) => envs.step_discrete(&a[*cursor..*cursor + n]),
            Table::Continuous { flat, dim } => envs.step_continuous(&flat[*cursor * dim..(*cursor + n) * dim]),
            Table::Values(v) => envs.step(&v[*cursor..*cursor + n]),
        };
        black_box(step.expect("vector step").obs);
    }
    batches * n as u64
}

fn is_cartpole(id: &str) -> bool {
    id.starts_with("CartPole-v")
}

/// Measures the selected figures of one id and collects them as rows.
struct Bench<'a> {
    args: &'a Args,
    id: &'a str,
    rows: &'a mut Vec<Row>,
}

impl Bench<'_> {
    fn selected(&self, mode: &str) -> bool {
        self.args.filter.as_ref().is_none_or(|f| mode.contains(f.as_str()))
    }

    fn push(&mut self, mode: &str, num_envs: usize, threads: usize, rates: Rates) {
        let row = Row { id: self.id.to_string(), mode: mode.to_string(), num_envs, threads, rates };
        if !self.args.json {
            print_row(&row);
        }
        self.rows.push(row);
    }

    fn single(&mut self, mode: &str, run: impl FnMut(u64) -> u64) {
        if self.selected(mode) {
            let rates = measure(self.args, run);
            self.push(mode, 1, 1, rates);
        }
    }

    /// A vector env of `n` sub-envs on `threads` threads, if selected and if it has that many.
    fn vector<E: Env>(
        &mut self,
        mode: &str,
        n: usize,
        threads: usize,
        table: &Table,
        build: impl FnOnce() -> limbic_environments::Result<VecEnv<E>>,
    ) -> anyhow::Result<()> {
        if !self.selected(mode) || n < threads {
            return Ok(());
        }
        let mut envs = build()?.with_threads(Some(threads))?;
        envs.reset(Some(0))?;
        let mut cursor = 0;
        let rates = measure(self.args, |steps| vector_steps(&mut envs, table, steps, &mut cursor));
        self.push(mode, n, envs.threads(), rates);
        Ok(())
    }
}

fn bench_id(args: &Args, id: &str, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let kwargs = Kwargs::new();
    let mut env = make(id, &kwargs)?;
    let table = Table::new(env.action_space(), 1);
    let actions: Vec<Value> = (0..TABLE_LEN).map(|i| table.value(i)).collect();
    env.reset(Some(0), &Options::new())?;
    let mut bench = Bench { args, id, rows };
    let wants = |mode: &str| args.modes.iter().any(|m| m == mode);
    let mut cursor = 0;
    if wants("single") {
        bench.single("single: make, step", |s| single_step(env.as_mut(), &actions, s, &mut cursor));
        bench.single("single: make, step_into", |s| single_step_into(env.as_mut(), &actions, s, &mut cursor));
        if is_cartpole(id) {
            let mut raw = CartPole::default();
            raw.reset(Some(0), &Options::new())?;
            bench
                .single("single: CartPole struct, step_into", |s| single_step_into(&mut raw, &actions, s, &mut cursor));
        }
    }
    let all_cores = std::thread::available_parallelism().map_or(1, |t| t.get());
    let thread_counts: Vec<usize> = [(wants("vector"), 1), (wants("threaded"), args.threads.unwrap_or(all_cores))]
        .into_iter()
        .filter_map(|(wanted, t)| wanted.then_some(t))
        .collect();
    let limit = spec(id)?.time_limit(&kwargs)?.unwrap_or(usize::MAX);
    for &n in &args.sizes {
        for &t in &thread_counts {
            bench.vector("vector: VecEnv::make", n, t, &table, || VecEnv::make(id, n, &kwargs))?;
            if is_cartpole(id) {
                let one_by_one = || VecEnv::from_fn(n, |_| Ok(TimeLimit::new(CartPole::default(), limit)));
                bench.vector("vector: VecEnv<TimeLimit<CartPole>>", n, t, &table, one_by_one)?;
                bench
                    .vector("vector: VecEnv::cartpole (batched)", n, t, &table, || VecEnv::cartpole(n, limit, false))?;
            }
        }
    }
    Ok(())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(|_| "unknown".into(), |s| s.trim().to_string())
}

const HEADER: [&str; 8] = ["id", "mode", "N", "threads", "median", "min", "max", "per CPU-s"];

fn print_line(cells: [&str; 8]) {
    let [id, mode, n, threads, med, lo, hi, cpu] = cells;
    println!("{id:<12} {mode:<36} {n:>5} {threads:>7} {med:>13} {lo:>13} {hi:>13} {cpu:>13}");
}

fn print_row(row: &Row) {
    let wall = &row.rates.wall;
    let (n, t) = (row.num_envs.to_string(), row.threads.to_string());
    let (med, lo, hi) = (fmt(median(wall)), fmt(wall[0]), fmt(wall[wall.len() - 1]));
    print_line([&row.id, &row.mode, &n, &t, &med, &lo, &hi, &fmt(median(&row.rates.cpu))]);
}

/// Thousands separated by commas.
fn fmt(rate: f64) -> String {
    let digits = format!("{:.0}", rate);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let cores = std::thread::available_parallelism().map_or(1, |t| t.get());
    let load_before = load_average();
    if !args.json {
        println!(
            "limbic env throughput: env steps/s (wall clock: median, min, max of {} repeats; median per \
             CPU-second of this process); {cores} cores",
            args.repeats
        );
        println!("load average before: {load_before}");
        print_line(HEADER);
    }
    let mut rows = Vec::new();
    for id in &args.ids {
        bench_id(&args, id, &mut rows)?;
    }
    let load_after = load_average();
    if args.json {
        let rows: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({"id": r.id, "mode": r.mode, "num_envs": r.num_envs, "threads": r.threads,
                       "steps_per_s": median(&r.rates.wall), "steps_per_cpu_s": median(&r.rates.cpu),
                       "repeats_wall": r.rates.wall, "repeats_cpu": r.rates.cpu})
            })
            .collect();
        let out = json!({"library": "limbic", "cores": cores, "load_before": load_before,
                         "load_after": load_after, "rows": rows});
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("load average after: {load_after}");
    }
    Ok(())
}
