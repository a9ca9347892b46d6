//! Helpers of the web teacher's tests: questions with pictures, answers sent over HTTP.
#![allow(dead_code)]

use limbic::teach::client::{split_url, Client, Response};
use limbic::teach::{ServeOptions, WebTeacher};
use limbic_environments::render::Frame;
use limbic_rewards::feedback::{Clip, Label, Question, Teacher};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A child process, killed when dropped (a failing test leaves none behind).
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `limbic ARGS`, whose first line of output is a teaching page's URL: the process, that
/// line and the rest of its output (keep it open: a closed pipe ends the process).
pub fn serving(args: &[&str]) -> (Process, String, Lines<BufReader<ChildStdout>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_limbic"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("the page's URL first").unwrap();
    (Process(child), first, lines)
}

/// A clip of `len` frames of 6x4 pixels whose colour shows the clip and the step.
pub fn clip(id: u64, len: usize) -> Arc<Clip> {
    let frames = (0..len).map(|t| Frame::filled(6, 4, [id as u8, t as u8, 200])).collect();
    Arc::new(Clip {
        id,
        env: 0,
        start_step: 100 * id,
        len,
        obs: vec![0.0; len],
        actions: vec![0.0; len],
        true_rewards: vec![1.0; len],
        advice: Vec::new(),
        frames: Some(frames),
    })
}

pub fn compare(id: u64) -> Question {
    Question::Compare { id, left: clip(2 * id, 5), right: clip(2 * id + 1, 5) }
}

pub fn evaluate(id: u64) -> Question {
    Question::Evaluate { id, clip: clip(2 * id, 5) }
}

/// A web teacher on a free loopback port, its client and its token.
pub fn serve(options: ServeOptions) -> (WebTeacher, Client, String) {
    let teacher = WebTeacher::start(&options, "test").expect("the server starts");
    let (host, path) = split_url(teacher.url()).unwrap();
    let token = path.split("token=").nth(1).expect("a token in the URL").to_string();
    (teacher, Client::connect(&host).unwrap(), token)
}

pub fn send_label(client: &mut Client, token: &str, query: u64, answer: Value) -> Response {
    client.post_json(&format!("/api/label?token={token}"), &json!({"query": query, "answer": answer})).unwrap()
}

/// Polls until `n` labels came (or a generous deadline passed: the channel is immediate).
pub fn poll_labels(teacher: &mut WebTeacher, n: usize) -> Vec<Label> {
    let (mut labels, deadline) = (Vec::new(), Instant::now() + Duration::from_secs(30));
    while labels.len() < n && Instant::now() < deadline {
        labels.extend(teacher.poll().unwrap());
        std::thread::sleep(Duration::from_millis(5));
    }
    labels.extend(teacher.poll().unwrap());
    labels
}
