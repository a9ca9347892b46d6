//! The web teaching server under load, and killed mid-session.
//!
//! ```text
//! cargo bench --bench teach_load -- [--rate 200] [--seconds 60] [--clients 4] [--kill-seconds 5]
//! ```
//!
//! Load: a web teacher in this process with `rate x seconds` open questions; `clients` local
//! connections send one label per question at `rate` requests per second in all (paced, keep-
//! alive), plus a repeat of an answered question every 50th request, which must be refused
//! (409). The training side polls every 10 ms, as a signal would. Checked: every acknowledged
//! label reaches `poll` exactly once and is in the journal, no refused one does.
//!
//! Kill: `limbic teach --demo --journal FILE` on a small random-baseline run, labels sent at
//! `rate` for `kill-seconds`, then SIGKILL. Checked: every journal line parses, no query
//! twice, and every acknowledged label is there.

use clap::Parser;
use limbic::teach::client::{split_url, Client};
use limbic::teach::{ServeOptions, WebTeacher};
use limbic_environments::render::Frame;
use limbic_rewards::feedback::{Clip, Label, Question, Teacher};
use serde_json::json;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "The teaching server at a steady rate of labels, and killed mid-session")]
struct Args {
    /// Label requests per second, all clients together.
    #[arg(long, default_value_t = 200)]
    rate: u64,
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    #[arg(long, default_value_t = 4)]
    clients: u64,
    /// How long labels flow before the kill (0: skip the kill test).
    #[arg(long, default_value_t = 5)]
    kill_seconds: u64,
    #[arg(long, hide = true)]
    bench: bool,
}

/// What one client saw.
#[derive(Default)]
struct Sent {
    accepted: Vec<u64>,
    refused_repeats: u64,
    other: Vec<String>,
    latencies_ms: Vec<f64>,
    /// Why the client stopped early (the server went away).
    stopped: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    load(&args)?;
    if args.kill_seconds > 0 {
        kill(&args)?;
    }
    Ok(())
}

fn picture_clip(id: u64) -> Arc<Clip> {
    let frames = (0..10).map(|t| Frame::filled(60, 40, [t * 20, 100, 200])).collect();
    Arc::new(Clip {
        id,
        env: 0,
        start_step: 0,
        len: 10,
        obs: vec![],
        actions: vec![],
        true_rewards: vec![],
        advice: Vec::new(),
        frames: Some(frames),
    })
}

/// Sends labels for queries `first, first + step, ...` below `total`, request `k` of all at
/// `k / rate` seconds; every 50th request of a client repeats its previous query.
fn client(
    host: &str,
    token: &str,
    first: u64,
    step: u64,
    total: u64,
    rate: u64,
    start: Instant,
) -> anyhow::Result<Sent> {
    let mut conn = Client::connect(host)?;
    let mut sent = Sent::default();
    let path = format!("/api/label?token={token}");
    let (mut query, mut requests) = (first, 0u64);
    while query < total {
        let repeat = requests % 50 == 49 && query >= step;
        let id = if repeat { query - step } else { query };
        let due = start + Duration::from_secs_f64((id * 1_000_000 / rate) as f64 / 1e6);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let t = Instant::now();
        let response = match conn.post_json(&path, &json!({"query": id, "answer": "left"})) {
            Ok(response) => response,
            Err(e) => {
                sent.stopped = Some(format!("{e:#}"));
                return Ok(sent);
            }
        };
        sent.latencies_ms.push(t.elapsed().as_secs_f64() * 1e3);
        match (response.status, repeat) {
            (200, false) => sent.accepted.push(id),
            (409, true) => sent.refused_repeats += 1,
            (status, _) => sent.other.push(format!("query {id}: {status} {}", response.text())),
        }
        requests += 1;
        if !repeat {
            query += step;
        }
    }
    Ok(sent)
}

fn load(args: &Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let journal = dir.path().join("labels.jsonl");
    let mut teacher =
        WebTeacher::start(&ServeOptions { journal: Some(journal.clone()), ..Default::default() }, "load")?;
    let total = args.rate * args.seconds;
    let (left, right) = (picture_clip(0), picture_clip(1));
    for id in 0..total {
        teacher.post(Question::Compare { id, left: left.clone(), right: right.clone() })?;
    }
    let (host, path) = split_url(teacher.url())?;
    let token = path.trim_start_matches("/?token=").to_string();
    let start = Instant::now() + Duration::from_millis(200);
    let clients: Vec<_> = (0..args.clients)
        .map(|c| {
            let (host, token, (step, rate)) = (host.clone(), token.clone(), (args.clients, args.rate));
            std::thread::spawn(move || client(&host, &token, c, step, total, rate, start))
        })
        .collect();
    let mut polled: Vec<Label> = Vec::new();
    let mut max_lag = 0usize;
    while clients.iter().any(|c| !c.is_finished()) {
        std::thread::sleep(Duration::from_millis(10));
        let batch = teacher.poll()?;
        max_lag = max_lag.max(batch.len());
        polled.extend(batch);
    }
    let elapsed = start.elapsed().as_secs_f64();
    polled.extend(teacher.poll()?);
    let mut sent = Sent::default();
    for c in clients {
        let s = c.join().expect("a client thread")?;
        sent.accepted.extend(s.accepted);
        sent.refused_repeats += s.refused_repeats;
        sent.other.extend(s.other);
        sent.latencies_ms.extend(s.latencies_ms);
        anyhow::ensure!(s.stopped.is_none(), "a client stopped: {}", s.stopped.unwrap_or_default());
    }
    let polled_ids: Vec<u64> = polled.iter().map(|l| l.query).collect();
    let unique: HashSet<u64> = polled_ids.iter().copied().collect();
    let accepted: HashSet<u64> = sent.accepted.iter().copied().collect();
    let journaled = read_journal(&journal)?;
    let journal_ids: HashSet<u64> = journaled.iter().map(|l| l.query).collect();
    sent.latencies_ms.sort_by(f64::total_cmp);
    let pct = |p: f64| sent.latencies_ms[((sent.latencies_ms.len() - 1) as f64 * p) as usize];
    let requests = sent.latencies_ms.len();
    println!(
        "load: {requests} requests in {elapsed:.1} s ({:.1}/s) from {} clients; {} labels acknowledged, {} polled \
         ({} distinct), {} journaled; {} repeats refused (409); other answers: {}; latency p50 {:.2} ms, p99 {:.2} ms, \
         max {:.2} ms; largest poll batch {max_lag}",
        requests as f64 / elapsed,
        args.clients,
        sent.accepted.len(),
        polled.len(),
        unique.len(),
        journaled.len(),
        sent.refused_repeats,
        sent.other.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0),
    );
    for line in sent.other.iter().take(5) {
        println!("  {line}");
    }
    let ok = sent.accepted.len() as u64 == total
        && polled.len() == unique.len()
        && unique == accepted
        && journal_ids == accepted
        && journaled.len() == accepted.len()
        && sent.other.is_empty();
    println!("load: {}", if ok { "no label lost or duplicated" } else { "FAILED" });
    anyhow::ensure!(ok, "labels lost or duplicated under load");
    Ok(())
}

/// Every line of a label journal; a torn last line (a kill mid-write) is reported, not skipped.
fn read_journal(path: &Path) -> anyhow::Result<Vec<Label>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| anyhow::anyhow!("{} line {}: {e}", path.display(), i + 1))
        })
        .collect()
}

fn kill(args: &Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let run = dir.path().join("run");
    let limbic = env!("CARGO_BIN_EXE_limbic");
    let trained = Command::new(limbic)
        .args(["train", "--env", "CartPole-v1", "--algo", "random", "--steps", "200", "--num-envs", "2", "--quiet"])
        .args(["--set", "params.n_steps=20", "--out"])
        .arg(&run)
        .output()?;
    anyhow::ensure!(trained.status.success(), "training the demo run: {}", String::from_utf8_lossy(&trained.stderr));
    let journal = dir.path().join("labels.jsonl");
    // Twice the questions the clients get through before the kill: the kill comes mid-stream.
    let questions = args.rate * args.kill_seconds * 2;
    let mut child = Command::new(limbic)
        .args(["teach", "--demo", "--clip-steps", "10", "--questions", &questions.to_string(), "--run"])
        .arg(&run)
        .arg("--journal")
        .arg(&journal)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut printed = BufReader::new(child.stdout.take().expect("piped")).lines();
    let url = printed.next().expect("the URL line")?;
    // Read what it prints (a label per line) until it dies: a closed pipe would end it early.
    let reader = std::thread::spawn(move || printed.count());
    let (host, path) = split_url(&url)?;
    let token = path.trim_start_matches("/?token=").to_string();
    let start = Instant::now();
    let sender = std::thread::spawn({
        let rate = args.rate;
        move || client(&host, &token, 0, 1, questions, rate, start)
    });
    std::thread::sleep(Duration::from_secs(args.kill_seconds));
    child.kill()?;
    child.wait()?;
    let printed = reader.join().expect("the reader thread");
    let sent = sender.join().expect("the sender thread")?;
    let journaled = read_journal(&journal)?;
    let ids: Vec<u64> = journaled.iter().map(|l| l.query).collect();
    let distinct: HashSet<u64> = ids.iter().copied().collect();
    let missing = sent.accepted.iter().filter(|id| !distinct.contains(id)).count();
    println!(
        "kill: SIGKILL after {:.1} s; {} labels acknowledged ({printed} printed from poll), {} journal lines (all parse), {} distinct, \
         {missing} acknowledged but missing; {} other answers; the sender stopped with: {}",
        start.elapsed().as_secs_f64(),
        sent.accepted.len(),
        journaled.len(),
        distinct.len(),
        sent.other.len(),
        sent.stopped.as_deref().unwrap_or("nothing"),
    );
    for line in sent.other.iter().take(3) {
        println!("  {line}");
    }
    let ok = missing == 0 && distinct.len() == ids.len() && !sent.accepted.is_empty();
    println!("kill: {}", if ok { "journal intact, nothing acknowledged lost" } else { "FAILED" });
    anyhow::ensure!(ok, "the journal lost or repeated labels across the kill");
    Ok(())
}
