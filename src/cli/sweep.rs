//! `limbic sweep`: a grid of configs x seeds from a sweep file on the local process backend or
//! on Ray. See [`limbic::sweep`].

use anyhow::{bail, Context, Result};
use limbic::lock::DirLock;
use limbic::sweep::{self, Sweep};
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    /// Child processes on this machine, --jobs at a time.
    Local,
    /// One Ray task per run on the cluster at --address (`python -m limbic.ray`).
    Ray,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The sweep file: {"config" | "env"/"algo", "steps", "set": {KEY: VALUE}, "grid": {KEY: [VALUES]}, "seeds": N | [S, ...]}.
    sweep: PathBuf,
    /// Output folder (a path every Ray node sees) [default: sweeps/<sweep file stem>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Runs at a time (local backend).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    #[arg(long, value_enum, default_value = "local")]
    backend: Backend,
    /// The Ray cluster (e.g. 127.0.0.1:6379); needs --backend ray.
    #[arg(long)]
    address: Option<String>,
    /// Python interpreter with the limbic package and ray [default: $LIMBIC_PYTHON, else python3].
    #[arg(long)]
    python: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Run one run of the sweep by id (<name>-seed<S>) and print its row (what a backend runs).
    #[arg(long, hide = true)]
    job: Option<String>,
    /// Print the ids of the runs still to do, one per line (for a backend).
    #[arg(long, hide = true)]
    pending: bool,
}

pub fn run(args: Args) -> Result<()> {
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("sweeps").join(args.sweep.file_stem().unwrap_or_default().to_string_lossy().to_string())
    });
    let sweep = Sweep::load(&args.sweep, &out)?;
    if let Some(id) = &args.job {
        let job = sweep.job(id)?;
        if let Some(checkpoint) = sweep.resume_point(&job)? {
            // A backend reports which runs went on from an earlier try's checkpoint.
            eprintln!("{id}: resuming from {}", checkpoint.display());
        }
        let row = sweep.run_job(&job)?;
        println!("{}", serde_json::to_string(&row)?);
        return Ok(());
    }
    if args.pending {
        for job in sweep.pending()? {
            println!("{}", job.id());
        }
        return Ok(());
    }
    // One sweep at a time in a folder: two would run the same runs.
    let _lock = DirLock::acquire(&out)?;
    sweep.claim_folder()?;
    let start = Instant::now();
    let pending = sweep.pending()?.len();
    let total = sweep.jobs().len();
    if pending < total && !args.quiet {
        eprintln!("resuming: {} runs already finished, {pending} to go", total - pending);
    }
    match args.backend {
        Backend::Local => {
            if args.address.is_some() {
                bail!("--address is for --backend ray");
            }
            sweep.run_local(args.jobs, args.quiet)?
        }
        Backend::Ray => {
            let address = args.address.as_deref().context("--backend ray needs --address HOST:PORT")?;
            run_ray(&sweep, address, args.python.clone())?
        }
    }
    let summaries = sweep.report()?;
    print!("{}", sweep::markdown(&summaries));
    println!("\nwrote {}/{{results.jsonl,table.md,table.csv,sweep.png}}", out.display());
    println!("wall time {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}

/// `python -m limbic.ray SWEEP --out DIR --address ADDR --limbic EXE`: the Ray driver.
fn run_ray(sweep: &Sweep, address: &str, python: Option<PathBuf>) -> Result<()> {
    let python = python
        .or_else(|| std::env::var_os("LIMBIC_PYTHON").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("python3"));
    let exe = std::env::current_exe().context("cannot find the limbic executable")?;
    let out = std::path::absolute(&sweep.out)?;
    let status = std::process::Command::new(&python)
        .args(["-m", "limbic.ray"])
        .arg(&sweep.path)
        .arg("--out")
        .arg(&out)
        .args(["--address", address])
        .arg("--limbic")
        .arg(&exe)
        .status()
        .with_context(|| {
            format!("cannot start {} (the Ray backend needs the limbic package and ray)", python.display())
        })?;
    if !status.success() {
        bail!("the Ray sweep on {address} failed ({status}); rerun it to resume");
    }
    Ok(())
}
