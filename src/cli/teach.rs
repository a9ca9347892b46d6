//! `limbic teach --run DIR`: the web teaching page for a run with a social-feedback signal.
//!
//! Without `--demo` the run goes on training (as `limbic train --resume` does) while its
//! feedback signals ask a person at the page instead of the teacher its config names; each
//! signal's page URL (with its access token) is the first line of output. A finished run
//! (without `--steps`) offers the questions it left unanswered instead, storing each label
//! given in its label file (for the run resumed, or another run that starts from its labels).
//!
//! `--demo` serves questions built from the run's own episodes (its latest checkpoint, drawn
//! by the env's renderer) and prints each label given as a JSON line: the page and the server
//! end to end, without training. The page's URL is the first line of output.

use anyhow::{bail, Context, Result};
use limbic::evaluate::record_episode;
use limbic::run_dir::{RunDir, RunWriter};
use limbic::runner::{self, build_algorithm, load_policy, Options};
use limbic::teach::{ServeOptions, WebTeacher};
use limbic::teachers::WebSettings;
use limbic_environments::render::Frame;
use limbic_rewards::feedback::{Clip, Question, Teacher};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Episodes `--demo` records at most (questions beyond their clips reuse them).
const MAX_DEMO_EPISODES: usize = 20;

/// The reward signals a teacher answers.
const FEEDBACK_SIGNALS: [&str; 2] = ["preferences", "evaluative"];

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The run to teach (one trained with `--reward preferences` or `--reward evaluative`).
    #[arg(long)]
    run: PathBuf,
    /// Address to serve the page on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Serve on a non-loopback address (anyone who reaches it with the URL can label).
    #[arg(long)]
    allow_remote: bool,
    /// Append every label given to this JSON-lines file before acknowledging it.
    #[arg(long, value_name = "FILE.jsonl")]
    journal: Option<PathBuf>,
    /// Ask questions about the run's own episodes instead of training, and print the labels.
    #[arg(long)]
    demo: bool,
    /// Without --demo: extend the run to this many env steps (without it, a finished run offers
    /// the questions it left unanswered).
    #[arg(long, conflicts_with = "demo")]
    steps: Option<u64>,
    /// Without --demo: no progress bar.
    #[arg(long, short, conflicts_with = "demo")]
    quiet: bool,
    /// With --demo: how many questions to ask.
    #[arg(long, default_value_t = 10)]
    questions: u64,
    /// With --demo: ask for +/- evaluations of single clips instead of comparisons.
    #[arg(long)]
    evaluate: bool,
    /// With --demo: steps in a clip (frames of a recorded episode).
    #[arg(long, default_value_t = 30)]
    clip_steps: usize,
}

pub fn run(args: Args) -> Result<()> {
    let run = RunDir::open(&args.run)?;
    let config = run.config()?;
    if !args.demo {
        if !config.rewards.iter().any(|r| FEEDBACK_SIGNALS.contains(&r.name.as_str())) {
            bail!(
                "run {} has no `preferences` or `evaluative` reward signal: there is nothing to teach \
                 (train with --reward preferences or --reward evaluative)",
                args.run.display()
            );
        }
        if args.journal.is_some() {
            bail!("--journal is for --demo: a training run keeps its labels in RUN/feedback/<signal>/labels.jsonl");
        }
        let web = WebSettings { addr: Some(args.addr), allow_remote: args.allow_remote, fps: None };
        if args.steps.is_none() && runner::finished(&run)? {
            // Held while the label files change: no training of the run meanwhile.
            let _writer = RunWriter::open(&args.run)?;
            let env = limbic::env_maker::EnvMaker::of(&config);
            let offered = limbic::teachers::teach_pending(&args.run, &env, &web)?;
            if offered > 0 {
                eprintln!("all {offered} waiting questions answered; their labels are in the run's label files");
                return Ok(());
            }
        }
        let options = Options { quiet: args.quiet, web_teacher: Some(web), ..Options::default() };
        let outcome = runner::resume(&args.run, args.steps, &build_algorithm, &options)?;
        super::train::print_summary(&outcome);
        return Ok(());
    }
    if args.questions == 0 || args.clip_steps == 0 {
        bail!("--questions and --clip-steps must be at least 1");
    }
    let clips = demo_clips(&run, &args)?;
    let options = ServeOptions {
        addr: args.addr,
        allow_remote: args.allow_remote,
        run_dir: Some(args.run.clone()),
        fps: clips.fps,
        journal: args.journal.clone(),
        painter: None,
    };
    let mut teacher = WebTeacher::start(&options, "demo")?;
    // The questions are on the board before the URL is printed: whoever opens it finds them.
    for question in demo_questions(&clips.clips, args.questions, args.evaluate) {
        teacher.post(question)?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", teacher.url())?;
    out.flush()?;
    eprintln!("{} questions waiting at the page; each label given is printed here", teacher.pending());
    while teacher.pending() > 0 {
        std::thread::sleep(Duration::from_millis(50));
        for label in teacher.poll()? {
            writeln!(out, "{}", serde_json::to_string(&label)?)?;
            out.flush()?;
        }
    }
    for label in teacher.poll()? {
        writeln!(out, "{}", serde_json::to_string(&label)?)?;
    }
    eprintln!("all {} questions answered", args.questions);
    Ok(())
}

struct DemoClips {
    clips: Vec<Arc<Clip>>,
    fps: u32,
}

/// Clips of `clip_steps` frames cut from episodes of the run's latest policy (seeds from the
/// run's evaluation seed on), enough for the questions asked or from 20 episodes. They carry pictures only: the
/// demo trains nothing, so observations, actions and rewards are left empty.
fn demo_clips(run: &RunDir, args: &Args) -> Result<DemoClips> {
    let (config, algo, _) = load_policy(run, "latest", &build_algorithm)?;
    let env = limbic::env_maker::EnvMaker::of(&config);
    let wanted = if args.evaluate { args.questions } else { 2 * args.questions } as usize;
    let (mut clips, mut fps) = (Vec::new(), 0);
    for episode in 0..wanted.min(MAX_DEMO_EPISODES) as u64 {
        let recording = record_episode(algo.as_ref(), &env, config.eval_seed() + episode)
            .with_context(|| format!("recording episode {episode} of the run's policy"))?;
        fps = recording.fps;
        for frames in recording.frames.chunks(args.clip_steps) {
            clips.push(Arc::new(picture_clip(clips.len() as u64, frames)));
        }
        if clips.len() >= wanted {
            break;
        }
    }
    if clips.is_empty() {
        bail!("the run's episodes gave no frames");
    }
    Ok(DemoClips { clips, fps })
}

fn picture_clip(id: u64, frames: &[Frame]) -> Clip {
    Clip {
        id,
        env: 0,
        start_step: 0,
        len: frames.len(),
        obs: Vec::new(),
        actions: Vec::new(),
        true_rewards: Vec::new(),
        advice: Vec::new(),
        frames: Some(frames.to_vec()),
    }
}

/// `count` questions over the clips (cycled when there are fewer clips than questions need).
fn demo_questions(clips: &[Arc<Clip>], count: u64, evaluate: bool) -> Vec<Question> {
    let clip = |i: u64| clips[(i as usize) % clips.len()].clone();
    (0..count)
        .map(|id| match evaluate {
            true => Question::Evaluate { id, clip: clip(id) },
            false => Question::Compare { id, left: clip(2 * id), right: clip(2 * id + 1) },
        })
        .collect()
}
