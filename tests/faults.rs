//! Fault injection: every kind of file a run and a dataset hold is flipped, truncated and
//! deleted; trainings are killed at points spread over their run and resumed; two writers
//! start on one run; readers loop while a run trains. Each fault must be survived: either
//! limbic refuses with an error naming the damaged file, or what it produces equals what the
//! undamaged run produces. Data lost (a result silently changed, or an intact file destroyed
//! by a command) must be zero. Each test prints its summary line.
//!
//! `LIMBIC_FAULT_ROUNDS=N` (and `LIMBIC_FAULT_SEED`) adds N random byte flips and truncation
//! points per file, of every checkpoint, to the one fixed flip, truncation and deletion, and N
//! random kill points: the longer version whose figures RELIABILITY.md records
//! (`bench/fault_injection.sh`).

mod common;

use common::{files, limbic, limbic_ok, temp_dir, tiny_ppo, train_args};
use limbic::config::RunConfig;
use limbic::datasets::Dataset;
use limbic::evaluate::evaluate;
use limbic::run_dir::RunDir;
use limbic::runner::{build_algorithm, load_policy, resume, train, Options};
use limbic_environments::rng::Generator;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a fault turned out.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    /// Refused, with an error that names the damaged file (or its folder).
    Detected,
    /// Everything produced equals the undamaged run's (the file was not needed, or rewritten).
    Unaffected,
    /// The damaged file was left unused, and reading it is refused.
    Latent,
    /// A schedule field of config.json changed (accepted with a warning, as an edit would be).
    Warned,
    /// A result differs from the undamaged run's, or an intact file changed: data lost.
    Lost(String),
    /// Refused, but the message does not say which file is at fault.
    Unclear(String),
}

#[derive(Default)]
struct Tally {
    counts: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

impl Tally {
    fn add(&mut self, fault: &str, outcome: Outcome) {
        let key = match &outcome {
            Outcome::Detected => "detected",
            Outcome::Unaffected => "unaffected",
            Outcome::Latent => "latent, detected when read",
            Outcome::Warned => "warned",
            Outcome::Lost(why) => {
                self.failures.push(format!("{fault}: LOST: {why}"));
                "lost"
            }
            Outcome::Unclear(why) => {
                self.failures.push(format!("{fault}: unclear error: {why}"));
                "unclear"
            }
        };
        *self.counts.entry(key).or_default() += 1;
    }

    /// The summary line, then a failure if anything was lost or unclear.
    fn finish(self, what: &str) {
        let injected: usize = self.counts.values().sum();
        let survived = injected - self.failures.len();
        let lost = self.counts.get("lost").copied().unwrap_or(0);
        let parts: Vec<String> = self.counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        eprintln!("{what}: {injected} faults injected, {survived} survived ({}), data lost {lost}", parts.join(", "));
        assert!(self.failures.is_empty(), "{}", self.failures.join("\n"));
    }
}

/// A fault applied to one file.
#[derive(Clone, Debug)]
enum Fault {
    Flip { at: usize, bit: u8 },
    Truncate { to: usize },
    Delete,
}

impl Fault {
    fn apply(&self, path: &Path) {
        let mut bytes = std::fs::read(path).unwrap();
        match *self {
            Fault::Flip { at, bit } => {
                let at = at % bytes.len().max(1);
                if let Some(b) = bytes.get_mut(at) {
                    *b ^= 1 << bit;
                }
                std::fs::write(path, bytes).unwrap();
            }
            Fault::Truncate { to } => std::fs::write(path, &bytes[..to.min(bytes.len().saturating_sub(1))]).unwrap(),
            Fault::Delete => std::fs::remove_file(path).unwrap(),
        }
    }

    /// The fixed faults for a file of `len` bytes (a flip in the middle, half of it, none of
    /// it), plus `rounds` random flips and truncations.
    fn all(len: usize, rounds: usize, rng: &mut Generator) -> Vec<Fault> {
        let mut faults = vec![Fault::Flip { at: len / 2, bit: 0 }, Fault::Truncate { to: len / 2 }, Fault::Delete];
        for _ in 0..rounds {
            let at = rng.integers(0, len.max(1) as i64) as usize;
            faults.push(Fault::Flip { at, bit: rng.integers(0, 8) as u8 });
            faults.push(Fault::Truncate { to: rng.integers(0, len.max(1) as i64) as usize });
        }
        faults
    }
}

/// Random rounds asked for with `LIMBIC_FAULT_ROUNDS`, and the generator that draws them.
fn rounds() -> (usize, Generator) {
    let rounds = std::env::var("LIMBIC_FAULT_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(0);
    let seed = std::env::var("LIMBIC_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    if rounds > 0 {
        eprintln!("{rounds} random rounds per file, seed {seed}");
    }
    (rounds, Generator::from_seed(seed))
}

fn copy_tree(from: &Path, to: &Path) {
    for (name, bytes) in files(from) {
        let target = to.join(name);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
}

/// Whether an error message names `file` (a path relative to the damaged directory) or the
/// folder it is in.
fn names(message: &str, file: &str) -> bool {
    let path = Path::new(file);
    let name = path.file_name().unwrap().to_string_lossy();
    let folder = path.parent().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
    message.contains(&*name) || (!folder.is_empty() && message.contains(&folder))
}

/// Files of a finished run in a form that two runs of one config share: wall-clock fields
/// dropped, manifests reduced to the learner's and the run's state, and no optimizer records
/// (burn keys them by parameter ids drawn afresh in each process; a damaged optimizer shows in
/// the metrics of the updates after the resume).
fn comparable(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = files(dir);
    found.retain(|name, _| !name.ends_with("optimizer.bpk"));
    for (name, bytes) in found.iter_mut() {
        let strip = |bytes: &[u8], drop: &dyn Fn(&mut Json)| {
            let mut json: Json = serde_json::from_slice(bytes).unwrap_or(Json::Null);
            drop(&mut json);
            json.to_string().into_bytes()
        };
        if name == "metrics.jsonl" {
            let lines = common::without_wall_clock(common::read_lines(dir));
            *bytes = serde_json::to_vec(&lines).unwrap();
        } else if name.ends_with("trainer.json") {
            *bytes = strip(bytes, &|j| drop(j.as_object_mut().and_then(|o| o.remove("time_s"))));
        } else if name.ends_with("/state.json") {
            *bytes = strip(bytes, &|j| {
                drop(j.as_object_mut().and_then(|o| o.remove("files")));
                drop(j.get_mut("state").and_then(Json::as_object_mut).and_then(|o| o.remove("metrics")));
            });
        }
    }
    found
}

/// The returns of a short evaluation of a run's best checkpoint.
fn eval_returns(run: &Path) -> anyhow::Result<Vec<f64>> {
    let (config, algo, _) = load_policy(&RunDir::open(run)?, "best", &build_algorithm)?;
    Ok(evaluate(algo.as_ref(), &limbic::env_maker::EnvMaker::of(&config), 2, 99, 1)?.returns)
}

fn options() -> Options {
    Options { quiet: true, ..Options::default() }
}

/// A tiny PPO run with a reward signal (so a checkpoint holds every kind of file), finished.
fn pristine_run(dir: &Path) -> RunConfig {
    let mut config = tiny_ppo(256);
    config.rewards = serde_json::from_value(serde_json::json!([{"name": "counts", "weight": 0.01}])).unwrap();
    train(&config, dir, &build_algorithm, &options()).unwrap();
    config
}

/// What one fault in a copy of the pristine run does to `eval` and to `train --resume`.
fn run_fault(
    work: &Path,
    file: &str,
    extended: u64,
    reference: &BTreeMap<String, Vec<u8>>,
    returns: &[f64],
) -> Outcome {
    match eval_returns(work) {
        Ok(got) if got != returns => return Outcome::Lost(format!("eval returned {got:?}, not {returns:?}")),
        Ok(_) => {}
        Err(e) if names(&format!("{e:#}"), file) => {}
        Err(e) => return Outcome::Unclear(format!("eval: {e:#}")),
    }
    let before = files(work);
    match resume(work, Some(extended), &build_algorithm, &options()) {
        Err(e) => {
            let message = format!("{e:#}");
            if let Some(changed) = files(work).into_iter().find(|(n, b)| before.get(n) != Some(b)) {
                return Outcome::Lost(format!("the refused resume changed {}: {message}", changed.0));
            }
            if names(&message, file) {
                Outcome::Detected
            } else {
                Outcome::Unclear(format!("resume: {message}"))
            }
        }
        Ok(_) => {
            let got = comparable(work);
            let differing: Vec<&String> =
                reference.keys().chain(got.keys()).filter(|k| reference.get(*k) != got.get(*k)).collect();
            if differing.is_empty() {
                return Outcome::Unaffected;
            }
            // Left damaged but unused: an old checkpoint the resumed run did not need.
            let unused_checkpoint = differing.iter().all(|d| d.as_str() == file) && file.starts_with("checkpoints/");
            if unused_checkpoint {
                let folder: PathBuf = Path::new(file).components().take(2).collect();
                let read = RunDir::open(work).unwrap().read_checkpoint(&work.join(folder));
                if read.is_err() {
                    return Outcome::Latent;
                }
            }
            if file == "config.json" && config_changed_only_schedule(work) {
                return Outcome::Warned;
            }
            Outcome::Lost(format!("the resumed run differs in {differing:?}"))
        }
    }
}

fn config_changed_only_schedule(run: &Path) -> bool {
    let run = RunDir::open(run).unwrap();
    let (Ok(config), Ok(Some(latest))) = (run.config(), run.latest_checkpoint()) else { return false };
    let saved = run.read_checkpoint(&latest).unwrap().state.config;
    config.changes_from(&saved).unwrap().iter().all(|c| !c.breaking)
}

#[test]
fn every_file_of_a_run_damaged_in_every_way_is_survived() {
    let tmp = temp_dir();
    let pristine = tmp.path().join("pristine");
    let config = pristine_run(&pristine);
    let extended = config.total_steps + 32;
    let returns = eval_returns(&pristine).unwrap();
    let reference_dir = tmp.path().join("reference");
    copy_tree(&pristine, &reference_dir);
    resume(&reference_dir, Some(extended), &build_algorithm, &options()).unwrap();
    let reference = comparable(&reference_dir);

    let (rounds, mut rng) = rounds();
    // Every kind of file: the run's own, the latest checkpoint's and best/'s; the older
    // checkpoint holds the same kinds again (damaged too in the randomized version).
    let older = RunDir::open(&pristine).unwrap().checkpoints().unwrap()[0].1.clone();
    let older = older.strip_prefix(&pristine).unwrap().to_string_lossy().into_owned();
    let faults: Vec<(String, Fault)> = files(&pristine)
        .into_iter()
        .filter(|(file, _)| rounds > 0 || !file.starts_with(&older))
        .flat_map(|(file, bytes)| Fault::all(bytes.len(), rounds, &mut rng).into_iter().map(move |f| (file.clone(), f)))
        .collect();
    // Faults are independent: four at a time (each resume waits mostly on fsync).
    let next = std::sync::atomic::AtomicUsize::new(0);
    let outcomes = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for worker in 0..4 {
            let (next, outcomes, faults) = (&next, &outcomes, &faults);
            let (pristine, reference, returns) = (&pristine, &reference, &returns);
            let work = tmp.path().join(format!("work{worker}"));
            scope.spawn(move || {
                while let Some((file, fault)) = faults.get(next.fetch_add(1, std::sync::atomic::Ordering::SeqCst)) {
                    let _ = std::fs::remove_dir_all(&work);
                    copy_tree(pristine, &work);
                    fault.apply(&work.join(file));
                    let outcome = run_fault(&work, file, extended, reference, returns);
                    outcomes.lock().unwrap().push((format!("{file} {fault:?}"), outcome));
                }
            });
        }
    });
    let mut tally = Tally::default();
    for (fault, outcome) in outcomes.into_inner().unwrap() {
        tally.add(&fault, outcome);
    }
    tally.finish("run directory");
}

#[test]
fn every_file_of_a_dataset_damaged_in_every_way_is_survived() {
    let tmp = temp_dir();
    let pristine = tmp.path().join("demos");
    let out = pristine.to_str().unwrap();
    limbic_ok(
        &["demos", "record", "--env", "MiniGrid-DoorKey-5x5-v0", "--policy", "scripted", "--episodes", "3"]
            .into_iter()
            .chain(["--out", out, "--quiet", "--ref-scores"])
            .collect::<Vec<_>>(),
    );
    let reference = Dataset::read(&pristine).unwrap();
    let (rounds, mut rng) = rounds();
    let mut tally = Tally::default();
    for (file, bytes) in files(&pristine) {
        for fault in Fault::all(bytes.len(), rounds, &mut rng) {
            let work = tmp.path().join("work");
            let _ = std::fs::remove_dir_all(&work);
            copy_tree(&pristine, &work);
            fault.apply(&work.join(&file));
            let outcome = match Dataset::read(&work) {
                Ok(read) if read == reference => Outcome::Unaffected,
                Ok(_) => Outcome::Lost("the dataset reads back different".into()),
                Err(e) if names(&e.to_string(), &file) => Outcome::Detected,
                Err(e) => Outcome::Unclear(e.to_string()),
            };
            tally.add(&format!("{file} {fault:?}"), outcome);
        }
    }
    tally.finish("dataset");
}

/// Spawns `limbic` with `args`, its output discarded.
fn spawn(args: &[String]) -> std::process::Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_limbic"));
    command.args(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("limbic starts")
}

fn as_strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// The lines and final evaluation of a run, without wall-clock fields.
fn result(run: &Path) -> (Vec<serde_json::Map<String, Json>>, String) {
    (common::without_wall_clock(common::read_lines(run)), std::fs::read_to_string(run.join("eval.json")).unwrap())
}

#[test]
fn a_training_killed_anywhere_resumes_to_the_uninterrupted_run() {
    let tmp = temp_dir();
    let config = tiny_ppo(640);
    let whole = tmp.path().join("whole");
    let started = Instant::now();
    limbic_ok(&as_strs(&train_args(&config, &whole)));
    let duration = started.elapsed();
    let reference = result(&whole);
    let mut tally = Tally::default();
    // kill -9 at points spread over the run, from before its directory exists to its report,
    // and at random points in the randomized version.
    let (rounds, mut rng) = rounds();
    let mut fractions = vec![0.05, 0.25, 0.45, 0.65, 0.85];
    fractions.extend((0..rounds).map(|_| rng.random()));
    for (i, fraction) in fractions.into_iter().enumerate() {
        let run = tmp.path().join(format!("killed{i}"));
        let args = train_args(&config, &run);
        let mut child = spawn(&args);
        std::thread::sleep(duration.mul_f64(fraction));
        let _ = child.kill();
        let _ = child.wait();
        // What a user does next: resume if there is a checkpoint, else start over.
        let has_checkpoint = RunDir::open(&run).is_ok_and(|r| r.latest_checkpoint().is_ok_and(|c| c.is_some()));
        let next = if has_checkpoint {
            ["train", "--resume", run.to_str().unwrap(), "--quiet"].map(String::from).to_vec()
        } else {
            let mut again = args.clone();
            again.push("--force".into());
            again
        };
        let out = limbic(&as_strs(&next));
        let outcome = if !out.status.success() {
            Outcome::Lost(format!("{next:?} failed: {}", String::from_utf8_lossy(&out.stderr)))
        } else if result(&run) != reference {
            Outcome::Lost("the resumed run differs from the uninterrupted one".into())
        } else {
            Outcome::Unaffected
        };
        tally.add(&format!("kill -9 at {:.0}% (checkpoint: {has_checkpoint})", fraction * 100.0), outcome);
    }
    tally.finish("kill -9 and resume");
}

#[test]
fn two_writers_at_once_leave_one_clean_run() {
    let tmp = temp_dir();
    let config = tiny_ppo(4096);
    let (alone, run) = (tmp.path().join("alone"), tmp.path().join("run"));
    let resume_args =
        |dir: &Path| ["train", "--resume", dir.to_str().unwrap(), "--steps", "4096", "--quiet"].map(String::from);
    // The reference: a run of 128 steps extended to 4096, alone (long enough that the second
    // writer starts while the first still holds the lock).
    limbic_ok(&as_strs(&train_args(&tiny_ppo(128), &alone)));
    limbic_ok(&as_strs(&resume_args(&alone)));
    let extended = result(&alone);
    limbic_ok(&as_strs(&train_args(&tiny_ppo(128), &run)));
    let mut tally = Tally::default();
    // Two `--resume` at once: the second starts once the first holds the directory.
    let resume_args = resume_args(&run);
    let first = spawn(&resume_args);
    let lock_file = tmp.path().join(".run.lock");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&lock_file).is_ok_and(|t| t.contains(&format!("pid {}", first.id()))) {
        assert!(Instant::now() < deadline, "the first writer never took the lock");
        std::thread::sleep(Duration::from_millis(5));
    }
    let first_pid = format!("pid {}", first.id());
    let second = limbic(&as_strs(&resume_args));
    let first = first.wait_with_output().unwrap();
    let refused = String::from_utf8_lossy(&second.stderr).contains(&first_pid);
    let outcome = match (first.status.success(), second.status.success(), refused) {
        (true, false, true) if result(&run) == extended => Outcome::Detected,
        (true, false, true) => Outcome::Lost("the surviving writer's run differs from the reference".into()),
        other => Outcome::Lost(format!("first ok, second ok, second refused = {other:?}")),
    };
    tally.add("two train --resume at once", outcome);
    // Two new runs into one --out at once.
    let whole = tmp.path().join("whole");
    limbic_ok(&as_strs(&train_args(&config, &whole)));
    let reference = result(&whole);
    let fresh = tmp.path().join("fresh");
    let args = train_args(&config, &fresh);
    let first = spawn(&args);
    let lock_file = tmp.path().join(".fresh.lock");
    while !std::fs::read_to_string(&lock_file).is_ok_and(|t| t.contains(&format!("pid {}", first.id()))) {
        assert!(Instant::now() < deadline, "the first writer never took the lock");
        std::thread::sleep(Duration::from_millis(5));
    }
    let first_pid = format!("pid {}", first.id());
    let second = limbic(&as_strs(&args));
    let first = first.wait_with_output().unwrap();
    let refused = String::from_utf8_lossy(&second.stderr).contains(&first_pid);
    let outcome = match (first.status.success(), second.status.success(), refused) {
        (true, false, true) if result(&fresh) == reference => Outcome::Detected,
        other => Outcome::Lost(format!("first ok, second ok, second refused = {other:?}")),
    };
    tally.add("two train --out at once", outcome);
    tally.finish("two writers");
}

#[test]
fn readers_in_a_loop_never_disturb_a_training_run() {
    let tmp = temp_dir();
    // A checkpoint and an evaluation (best/ replaced) at every update, only one checkpoint kept.
    let mut config = tiny_ppo(1024);
    (config.checkpoint_every, config.eval_every, config.keep_checkpoints) = (32, 32, 1);
    let whole = tmp.path().join("whole");
    limbic_ok(&as_strs(&train_args(&config, &whole)));
    let reference = result(&whole);
    let run = tmp.path().join("run");
    let mut trainer = spawn(&train_args(&config, &run));
    let (r, png) = (run.to_str().unwrap().to_string(), tmp.path().join("c.png"));
    let (mut reads, mut tally) = (0, Tally::default());
    while trainer.try_wait().unwrap().is_none() {
        for args in [
            vec!["eval", "--run", &r, "--episodes", "1", "--json"],
            vec!["compare", &r, "--out", png.to_str().unwrap()],
        ] {
            let out = limbic(&args);
            reads += 1;
            let err = String::from_utf8_lossy(&out.stderr);
            // Before the first checkpoint (and line) there is nothing to read yet.
            let early =
                ["does not exist", "is not a run directory", "has no checkpoint yet", "has no `return_mean_100`"];
            if !out.status.success() && !early.iter().any(|e| err.contains(e)) {
                tally.add(&format!("{args:?}"), Outcome::Unclear(err.into_owned()));
            }
        }
    }
    let status = trainer.wait_with_output().unwrap();
    let outcome = if !status.status.success() {
        Outcome::Lost(format!("the trainer failed: {}", String::from_utf8_lossy(&status.stderr)))
    } else if result(&run) != reference {
        Outcome::Lost("the run read meanwhile differs from the reference".into())
    } else {
        Outcome::Unaffected
    };
    tally.add(&format!("{reads} reads during training"), outcome);
    tally.finish(&format!("readers during training ({reads} reads)"));
}
