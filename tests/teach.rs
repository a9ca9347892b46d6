//! The web teacher over HTTP: the token, refusals (4xx, never a crash), duplicates, unknown
//! ids, labels reaching `poll`, the journal, and `limbic teach --demo` through the binary.

#[path = "common/teach.rs"]
mod teach_common;

use limbic::teach::client::{split_url, Client};
use limbic::teach::server::MAX_BODY_BYTES;
use limbic::teach::ServeOptions;
use limbic_rewards::feedback::{Answer, Label, Teacher};
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::process::Command;
use teach_common::*;

#[test]
fn every_route_but_static_code_needs_the_token() {
    let (mut teacher, mut client, token) = serve(ServeOptions::default());
    teacher.post(compare(1)).unwrap();
    for path in ["/", "/api/state", "/api/curve", "/api/clip/2"] {
        assert_eq!(client.get(path).unwrap().status, 401, "{path} without a token");
        let wrong = client.get(&format!("{path}?token=0123")).unwrap();
        assert_eq!(wrong.status, 401, "{path} with a wrong token");
        assert!(wrong.json().unwrap()["error"].as_str().unwrap().contains("token"));
        assert_eq!(client.get(&format!("{path}?token={token}")).unwrap().status, 200, "{path}");
    }
    // Refused before its body is read, so the server may close this connection after.
    let (host, _) = split_url(teacher.url()).unwrap();
    let post = Client::connect(&host).unwrap().post_json("/api/label", &json!({"query": 1, "answer": "left"})).unwrap();
    assert_eq!(post.status, 401);
    assert_eq!(teacher.pending(), 1, "a refused request labels nothing");
    assert!(client.get("/app.js").unwrap().text().contains("/api/label"));
    assert!(client.get(&format!("/?token={token}")).unwrap().text().contains("labels given"));
    assert!(teacher.wants_frames() && teacher.kind() == "web");
}

#[test]
fn the_page_state_shows_the_oldest_open_question_and_its_clip_sheets() {
    let (mut teacher, mut client, token) = serve(ServeOptions::default());
    let idle = client.get(&format!("/api/state?token={token}")).unwrap().json().unwrap();
    assert_eq!(idle["question"], serde_json::Value::Null);
    teacher.post(compare(3)).unwrap();
    teacher.post(evaluate(4)).unwrap();
    let state = client.get(&format!("/api/state?token={token}")).unwrap().json().unwrap();
    assert_eq!(
        state["question"],
        json!({"signal": "test", "id": 3, "kind": "compare", "clips": [{"id": 6, "frames": 5}, {"id": 7, "frames": 5}]})
    );
    assert_eq!((state["pending"].as_u64(), state["labels_given"].as_u64()), (Some(2), Some(0)));
    // Five 6x4 frames in a grid of 3 columns, 2 rows: an 18x8 PNG.
    let sheet = client.get(&format!("/api/clip/6?token={token}")).unwrap();
    assert_eq!(&sheet.body[1..4], b"PNG");
    let header = &sheet.body[16..24];
    assert_eq!(
        (u32::from_be_bytes(header[..4].try_into().unwrap()), u32::from_be_bytes(header[4..].try_into().unwrap())),
        (18, 8)
    );
    assert_eq!(client.get(&format!("/api/clip/99?token={token}")).unwrap().status, 404);
    assert_eq!(client.get(&format!("/api/clip/abc?token={token}")).unwrap().status, 400);
    assert_eq!(client.get(&format!("/nowhere?token={token}")).unwrap().status, 404);
}

#[test]
fn bad_bodies_get_a_clear_4xx_and_the_server_goes_on() {
    let (mut teacher, mut client, token) = serve(ServeOptions::default());
    teacher.post(compare(1)).unwrap();
    teacher.post(evaluate(2)).unwrap();
    let path = format!("/api/label?token={token}");
    let cases: [(&[u8], Option<&str>, u16); 6] = [
        (b"{\"query\": 1, \"answer\": ", Some("application/json"), 400),
        (b"not json", Some("application/json"), 400),
        (b"{\"query\": 1, \"answer\": \"left\"}", None, 415),
        (b"{\"query\": 1, \"answer\": \"sideways\"}", Some("application/json"), 422),
        (b"{\"query\": -1, \"answer\": \"left\"}", Some("application/json"), 422),
        (b"{\"query\": 1, \"answer\": \"left\", \"extra\": 1}", Some("application/json"), 422),
    ];
    for (body, kind, status) in cases {
        let response = client.send("POST", &path, kind, body).unwrap();
        assert_eq!(response.status, status, "{}: {}", String::from_utf8_lossy(body), response.text());
        assert!(response.json().unwrap()["error"].is_string());
    }
    let huge = format!("{{\"query\": 1, \"answer\": \"left\", \"name\": \"{}\"}}", "x".repeat(MAX_BODY_BYTES));
    let (host, _) = split_url(teacher.url()).unwrap();
    let mut other = Client::connect(&host).unwrap(); // the server may close it without reading
    assert_eq!(other.send("POST", &path, Some("application/json"), huge.as_bytes()).unwrap().status, 413);
    // Answers that do not fit the question, or a bad teacher name.
    assert_eq!(send_label(&mut client, &token, 1, json!({"score": {"value": 1.0, "at": 0}})).status, 422);
    assert_eq!(send_label(&mut client, &token, 2, json!("left")).status, 422);
    assert_eq!(send_label(&mut client, &token, 2, json!({"score": {"value": 3.0, "at": 0}})).status, 422);
    assert_eq!(send_label(&mut client, &token, 2, json!({"score": {"value": 1.0, "at": 5}})).status, 422);
    let named = json!({"query": 1, "answer": "left", "name": "<script>"});
    assert_eq!(client.post_json(&path, &named).unwrap().status, 422);
    // Not even HTTP: the connection gets a 400 and the server keeps serving others.
    let mut raw = std::net::TcpStream::connect(&host).unwrap();
    raw.write_all(b"\x00\x01 garbage \r\n\r\n").unwrap();
    let mut reply = String::new();
    let _ = BufReader::new(raw).read_line(&mut reply);
    assert!(reply.is_empty() || reply.contains("400"), "{reply:?}");
    assert_eq!(teacher.pending(), 2, "nothing was labelled");
    assert!(teacher.poll().unwrap().is_empty());
    let mut fresh = Client::connect(&host).unwrap();
    assert_eq!(send_label(&mut fresh, &token, 1, json!("left")).status, 200);
}

#[test]
fn labels_reach_poll_once_and_duplicates_and_unknown_ids_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("labels.jsonl");
    let (mut teacher, mut client, token) = serve(ServeOptions { journal: Some(journal.clone()), ..Default::default() });
    for id in 0..4 {
        teacher.post(compare(id)).unwrap();
    }
    teacher.post(evaluate(4)).unwrap();
    assert!(teacher.post(compare(2)).is_err(), "a query id posted twice");
    let answers =
        [json!("left"), json!("right"), json!("equal"), json!("skip"), json!({"score": {"value": -1.0, "at": 3}})];
    for (id, answer) in answers.iter().enumerate() {
        let response = send_label(&mut client, &token, id as u64, answer.clone());
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.json().unwrap()["labels_given"], id + 1);
    }
    let duplicate = send_label(&mut client, &token, 1, json!("left"));
    assert_eq!(duplicate.status, 409);
    assert!(duplicate.json().unwrap()["error"].as_str().unwrap().contains("already answered"));
    assert_eq!(send_label(&mut client, &token, 77, json!("left")).status, 404);
    let labels = poll_labels(&mut teacher, 5);
    let got: Vec<(u64, Vec<u64>, Answer)> = labels.iter().map(|l| (l.query, l.clips.clone(), l.answer)).collect();
    assert_eq!(
        got,
        vec![
            (0, vec![0, 1], Answer::Left),
            (1, vec![2, 3], Answer::Right),
            (2, vec![4, 5], Answer::Equal),
            (3, vec![6, 7], Answer::Skip),
            (4, vec![8], Answer::Score { value: -1.0, at: 3 }),
        ]
    );
    assert!(labels.iter().all(|l| l.teacher == "web:page" && l.time_ms > 0));
    assert_eq!((teacher.pending(), teacher.labels_given()), (0, 5));
    assert!(teacher.poll().unwrap().is_empty(), "each label comes once");
    let journaled: Vec<Label> =
        std::fs::read_to_string(&journal).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(journaled, labels);
}

#[test]
fn a_non_loopback_address_needs_the_explicit_flag() {
    let options = ServeOptions { addr: "0.0.0.0:0".parse().unwrap(), ..Default::default() };
    let refused = limbic::teach::WebTeacher::start(&options, "test").err().expect("refused");
    assert!(refused.to_string().contains("--allow-remote"), "{refused}");
    let teacher = limbic::teach::WebTeacher::start(&ServeOptions { allow_remote: true, ..options }, "test").unwrap();
    assert!(teacher.url().starts_with("http://127.0.0.1:"), "{}", teacher.url());
}

fn limbic(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_limbic")).args(args).output().expect("the limbic binary runs");
    assert!(out.status.success(), "limbic {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// A short run of the random agent on CartPole at `run`: a policy for the demo's episodes.
fn random_run(run: &str) {
    let args = ["train", "--env", "CartPole-v1", "--algo", "random", "--steps", "200", "--num-envs", "2"];
    limbic(&[&args[..], &["--out", run, "--quiet", "--set", "params.n_steps=20"]].concat());
}

#[test]
fn teach_demo_prints_the_url_first_and_each_label_given() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let run = run.to_str().unwrap();
    random_run(run);
    let refused = Command::new(env!("CARGO_BIN_EXE_limbic")).args(["teach", "--run", run]).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no `preferences` or `evaluative` reward signal"));
    let (mut process, url, lines) =
        serving(&["teach", "--run", run, "--demo", "--questions", "3", "--clip-steps", "8"]);
    let (host, path) = split_url(&url).unwrap();
    assert!(host.starts_with("127.0.0.1:") && path.starts_with("/?token="), "{url}");
    let token = &path["/?token=".len()..];
    let mut client = Client::connect(&host).unwrap();
    let state = client.get(&format!("/api/state?token={token}")).unwrap().json().unwrap();
    let first = &state["question"];
    assert_eq!((first["id"].as_u64(), first["kind"].as_str()), (Some(0), Some("compare")));
    // Real CartPole pictures: a 600x400 frame per step.
    let sheet = client.get(&format!("/api/clip/{}?token={token}", first["clips"][0]["id"])).unwrap();
    assert_eq!((sheet.status, &sheet.body[1..4]), (200, &b"PNG"[..]));
    let width = u32::from_be_bytes(sheet.body[16..20].try_into().unwrap());
    assert_eq!(width % 600, 0, "whole 600-pixel frames across");
    let curve = client.get(&format!("/api/curve?token={token}")).unwrap().json().unwrap();
    assert!(!curve["points"].as_array().unwrap().is_empty(), "the run's learning curve");
    for (query, answer) in [(0, "left"), (1, "right"), (2, "skip")] {
        assert_eq!(send_label(&mut client, token, query, json!(answer)).status, 200);
    }
    let printed: Vec<Label> = lines.map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect();
    assert!(process.0.wait().unwrap().success());
    let answers: Vec<(u64, Answer)> = printed.iter().map(|l| (l.query, l.answer)).collect();
    assert_eq!(answers, vec![(0, Answer::Left), (1, Answer::Right), (2, Answer::Skip)]);
}

#[test]
fn a_server_killed_mid_session_leaves_every_acknowledged_label_in_its_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let run = run.to_str().unwrap();
    let journal = tmp.path().join("labels.jsonl");
    random_run(run);
    let journal_arg = journal.to_str().unwrap();
    let demo = ["teach", "--run", run, "--demo", "--questions", "100", "--clip-steps", "5", "--journal", journal_arg];
    // The output kept open to the end: a closed pipe would end the process before the kill.
    let (mut process, url, printed) = serving(&demo);
    let (host, path) = split_url(&url).unwrap();
    let token = path["/?token=".len()..].to_string();
    let mut client = Client::connect(&host).unwrap();
    for query in 0..30 {
        assert_eq!(send_label(&mut client, &token, query, json!("right")).status, 200);
    }
    process.0.kill().unwrap(); // SIGKILL: no chance to clean up
    process.0.wait().unwrap();
    drop(printed);
    let text = std::fs::read_to_string(&journal).unwrap();
    let labels: Vec<Label> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(text.ends_with('\n'));
    assert_eq!(labels.iter().map(|l| l.query).collect::<Vec<_>>(), (0..30).collect::<Vec<_>>());
}

/// Starts `limbic ARGS` (a training run with the web teacher): the process and its page's URL.
fn start_teaching(args: &[&str]) -> (Process, String) {
    let (process, line, rest) = serving(args);
    std::thread::spawn(move || rest.for_each(drop)); // keep the pipe drained
    let url = line.strip_prefix("preferences: teach at ").unwrap_or_else(|| panic!("{line}")).to_string();
    (process, url)
}

/// Answers the page's first question `left` and waits for the label in the run's label file.
fn answer_first_question(url: &str, run: &std::path::Path) -> Label {
    let (host, path) = split_url(url).unwrap();
    let token = &path["/?token=".len()..];
    let mut client = Client::connect(&host).unwrap();
    let question = wait_for(|| {
        let state = client.get(&format!("/api/state?token={token}")).unwrap().json().unwrap();
        (!state["question"].is_null()).then(|| state["question"].clone())
    });
    // Training's clips hold observations: the page draws CartPole from them, a frame a step.
    assert_eq!(question["kind"], "compare");
    let clip = &question["clips"][0];
    let steps = clip["frames"].as_u64().unwrap();
    assert!((1..=25).contains(&steps), "{question}");
    let sheet = client.get(&format!("/api/clip/{}?token={token}", clip["id"])).unwrap();
    assert_eq!((sheet.status, &sheet.body[1..4]), (200, &b"PNG"[..]));
    let columns = (steps as f64).sqrt().ceil() as u32;
    assert_eq!(u32::from_be_bytes(sheet.body[16..20].try_into().unwrap()), 600 * columns);
    let query = question["id"].as_u64().unwrap();
    assert_eq!(send_label(&mut client, token, query, json!("left")).status, 200);
    // The run takes the label at its next update and keeps it in its label file.
    let labels = run.join("feedback/preferences/labels.jsonl");
    let label: Label = wait_for(|| {
        let text = std::fs::read_to_string(&labels).unwrap_or_default();
        text.lines().map(|line| serde_json::from_str::<Label>(line).unwrap()).find(|l| l.teacher == "web:page")
    });
    assert_eq!((label.query, label.answer), (query, Answer::Left));
    label
}

#[test]
fn a_person_teaches_a_training_run_at_the_url_it_prints_first() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let (_training, url) = start_teaching(&[
        "train",
        "--env",
        "CartPole-v1",
        "--reward",
        "preferences",
        "--teacher",
        "web",
        "--labels",
        "4",
        "--steps",
        "10000000",
        "--set",
        "params.n_steps=64",
        "--quiet",
        "--out",
        run.to_str().unwrap(),
    ]);
    answer_first_question(&url, &run);
}

#[test]
fn limbic_teach_goes_on_training_a_run_with_a_person_instead_of_its_teacher() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let run = run.to_str().unwrap();
    let signal = r#"rewards=[{"name":"preferences","params":{"per_update":2,"interval":512}}]"#;
    let trained = Command::new(env!("CARGO_BIN_EXE_limbic"))
        .args(["train", "--env", "CartPole-v1", "--teacher", "oracle", "--labels", "4", "--set", signal])
        .args(["--steps", "256", "--set", "params.n_steps=64", "--quiet", "--out", run])
        .output()
        .unwrap();
    assert!(trained.status.success(), "{}", String::from_utf8_lossy(&trained.stderr));
    let finished = Command::new(env!("CARGO_BIN_EXE_limbic")).args(["teach", "--run", run]).output().unwrap();
    let error = String::from_utf8_lossy(&finished.stderr);
    assert!(
        !finished.status.success() && error.contains("env steps: a person teaches while the run trains"),
        "{error}"
    );
    let (_training, url) = start_teaching(&["teach", "--run", run, "--steps", "10000000", "--quiet"]);
    let label = answer_first_question(&url, std::path::Path::new(run));
    assert_eq!(label.query, 2, "the oracle answered questions 0 and 1 before");
}

/// Polls `check` until it gives a value (a training run answers within its next updates).
fn wait_for<T>(mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(std::time::Instant::now() < deadline, "nothing came within two minutes");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn clips_without_frames_are_drawn_from_their_observations() {
    use limbic::teach::clip_frames;
    use limbic_environments::{make, Kwargs};
    use limbic_rewards::feedback::Clip;
    let painter = make("CartPole-v1", &Kwargs::new()).unwrap().observation_painter();
    let (obs, actions) = (vec![0.0, 0.0, 0.05, 0.0, 1.0, 0.0, -0.1, 0.0], vec![0.0, 1.0]);
    let clip = Clip {
        id: 7,
        env: 0,
        start_step: 0,
        len: 2,
        obs,
        actions,
        true_rewards: vec![1.0; 2],
        advice: Vec::new(),
        frames: None,
    };
    let frames = clip_frames(&clip, painter.as_ref()).unwrap();
    assert_eq!(frames.iter().map(|f| (f.width, f.height)).collect::<Vec<_>>(), [(600, 400); 2]);
    assert_ne!(frames[0], frames[1], "the cart moved and the pole leans the other way");
    let error = clip_frames(&clip, None).err().unwrap().to_string();
    assert!(error.contains("clip 7 has no frames"), "{error}");
    let ragged = Clip { obs: vec![0.0; 7], ..clip };
    let error = clip_frames(&ragged, painter.as_ref()).err().unwrap().to_string();
    assert!(error.contains("do not split into 2 steps"), "{error}");
}

/// Questions nobody answered while a run trained are not lost: the run keeps them in
/// `feedback/<signal>/pending.bin`; `limbic teach --run DIR` on the finished run offers them, a
/// label given there lands in the label file (valid, with its clips), the run resumed offers
/// the others again, and another run starts from the label.
#[test]
fn questions_left_unanswered_when_a_run_ends_are_offered_after_it() {
    use limbic_rewards::labels::LabelFile;
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let signal = r#"rewards=[{"name":"preferences","params":{"per_update":3,"segment":10}}]"#;
    let train = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_limbic")).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let common = ["--env", "CartPole-v1", "--set", "params.n_steps=64", "--set", "eval_episodes=1", "--quiet"];
    let (run_arg, teacher) = (run.to_str().unwrap(), ["--set", signal, "--teacher", "web", "--labels", "6"]);
    train(&[&["train", "--steps", "256", "--num-envs", "2", "--out", run_arg][..], &common, &teacher].concat());
    let dir = run.join("feedback/preferences");
    let waiting = LabelFile::read_pending(&dir).unwrap();
    assert_eq!(waiting.len(), 6, "the whole budget asked, nothing answered");
    assert!(!dir.join("labels.jsonl").exists());

    let (mut teaching, url) = start_teaching(&["teach", "--run", run_arg]);
    let label = answer_first_question(&url, &run);
    assert_eq!(label.query, waiting[0].id());
    let labelled = LabelFile::read(&dir.join("labels.jsonl")).unwrap();
    assert_eq!(labelled.len(), 1);
    assert!(labelled[0].clips.iter().all(|c| c.len > 0 && c.obs.len() == 4 * c.len), "the label's clips are stored");
    wait_for(|| (LabelFile::read_pending(&dir).unwrap().len() == 5).then_some(()));
    teaching.0.kill().unwrap();
    teaching.0.wait().unwrap();

    // Resumed (nobody answers again): the label is learnt from, the other five are still waiting.
    train(&["train", "--resume", run_arg, "--steps", "384", "--quiet"]);
    let pending: Vec<u64> = LabelFile::read_pending(&dir).unwrap().iter().map(|q| q.id()).collect();
    assert_eq!(pending, waiting[1..].iter().map(|q| q.id()).collect::<Vec<_>>());
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
    assert_eq!(
        (last["reward/preferences/labels"].as_f64(), last["reward/preferences/pending"].as_f64()),
        (Some(1.0), Some(5.0))
    );

    // Another run starts from the label file.
    let labels = dir.join("labels.jsonl");
    let reuse = format!(r#"rewards=[{{"name":"preferences","params":{{"labels":"{}"}}}}]"#, labels.display());
    let other = tmp.path().join("other");
    let oracle = ["--set", reuse.as_str(), "--teacher", "oracle", "--labels", "3"];
    let steps = ["train", "--steps", "128", "--num-envs", "2", "--out", other.to_str().unwrap()];
    train(&[&steps[..], &common, &oracle].concat());
    let first = std::fs::read_to_string(other.join("metrics.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    assert_eq!(first["reward/preferences/labels"].as_f64(), Some(3.0), "{first}");
    assert!(first["reward/preferences/loss"].is_number(), "{first}");
}

/// Two feedback signals in one run (preferences and evaluative) ask at one page: training
/// prints the same URL for each, `limbic teach --run DIR --addr` serves the questions both left
/// waiting on the address given, the page shows each with the signal that asks (their query and
/// clip ids overlap), every answer reaches its own signal's label file, and the run resumed
/// learns from them.
#[test]
fn one_page_teaches_every_feedback_signal_of_a_run() {
    use limbic_rewards::labels::LabelFile;
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let run_arg = run.to_str().unwrap();
    let signals = r#"rewards=[{"name":"preferences","params":{"per_update":2,"segment":10}},{"name":"evaluative","params":{"every":20}}]"#;
    let common = ["--set", "params.n_steps=64", "--set", "eval_episodes=1", "--quiet", "--num-envs", "2"];
    let teacher = ["--env", "CartPole-v1", "--set", signals, "--teacher", "web", "--labels", "2", "--out", run_arg];
    let trained = limbic(&[&["train", "--steps", "128"][..], &common, &teacher].concat());
    let lines: Vec<String> = String::from_utf8_lossy(&trained.stdout).lines().map(str::to_owned).collect();
    let url = lines[0].strip_prefix("preferences: teach at ").unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!(lines[1], format!("evaluative: teach at {url}"), "one page for both");
    let dirs = [run.join("feedback/preferences"), run.join("feedback/evaluative")];
    let waiting: Vec<usize> = dirs.iter().map(|d| LabelFile::read_pending(d).unwrap().len()).collect();
    assert_eq!(waiting, [2, 2], "nobody answered");

    // A fixed address serves both signals (a page each could not share it).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let (mut process, first, mut printed) = serving(&["teach", "--run", run_arg, "--addr", &addr]);
    let url = first.strip_prefix("evaluative: teach at ").unwrap_or_else(|| panic!("{first}")).to_string();
    assert_eq!(printed.next().unwrap().unwrap(), format!("preferences: teach at {url}"));
    let (host, path) = split_url(&url).unwrap();
    assert_eq!(host, addr);
    let token = &path["/?token=".len()..];
    let mut client = Client::connect(&host).unwrap();
    let mut shown = Vec::new();
    for _ in 0..4 {
        let state = client.get(&format!("/api/state?token={token}")).unwrap().json().unwrap();
        let question = state["question"].clone();
        let (signal, query) = (question["signal"].as_str().unwrap().to_string(), question["id"].as_u64().unwrap());
        let clip = question["clips"][0]["id"].as_u64().unwrap();
        let sheet = client.get(&format!("/api/clip/{clip}?signal={signal}&token={token}")).unwrap();
        assert_eq!((sheet.status, &sheet.body[1..4]), (200, &b"PNG"[..]), "{signal}'s clip {clip}");
        let answer = match question["kind"].as_str().unwrap() {
            "compare" => json!("left"),
            _ => json!({"score": {"value": 1.0, "at": 0}}),
        };
        let body = json!({"signal": signal, "query": query, "answer": answer});
        let response = client.post_json(&format!("/api/label?token={token}"), &body).unwrap();
        assert_eq!(response.status, 200, "{}", response.text());
        let unknown = json!({"signal": "curiosity", "query": query, "answer": "skip"});
        assert_eq!(client.post_json(&format!("/api/label?token={token}"), &unknown).unwrap().status, 404);
        shown.push((signal, query));
    }
    shown.sort();
    let expected: Vec<(String, u64)> =
        ["evaluative", "preferences"].iter().flat_map(|s| (0..2).map(move |q| (s.to_string(), q))).collect();
    assert_eq!(shown, expected);
    let labels: Vec<serde_json::Value> = printed.map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect();
    assert!(process.0.wait().unwrap().success(), "all answered: the page closes");
    let mut signals: Vec<&str> = labels.iter().map(|l| l["signal"].as_str().unwrap()).collect();
    signals.sort();
    assert_eq!(signals, ["evaluative", "evaluative", "preferences", "preferences"]);
    for dir in &dirs {
        let labelled = LabelFile::read(&dir.join("labels.jsonl")).unwrap();
        assert_eq!(labelled.iter().map(|l| l.label.query).collect::<Vec<_>>(), [0, 1], "{}", dir.display());
        assert!(LabelFile::read_pending(dir).unwrap().is_empty());
    }
    let kinds = |dir: &std::path::Path| LabelFile::read(&dir.join("labels.jsonl")).unwrap()[0].clips.len();
    assert_eq!((kinds(&dirs[0]), kinds(&dirs[1])), (2, 1), "each signal got its own kind of answer");

    // The run resumed learns from both signals' labels.
    limbic(&[&["train", "--resume", run_arg, "--steps", "256"][..], &["--quiet"]].concat());
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
    assert_eq!(
        (last["reward/preferences/labels"].as_f64(), last["reward/evaluative/labels"].as_f64()),
        (Some(2.0), Some(2.0)),
        "{last}"
    );
}
