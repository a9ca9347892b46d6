//! The teaching page in a real headless browser (Chromium over WebDriver): a session of labels
//! clicked and typed at the page reaches the teacher's `poll` (`limbic teach --demo` prints
//! each polled label), and screenshots go to bench/figures/.
//!
//! Needs `chromium` and `chromedriver` (Debian: `chromium`, `chromium-driver`), so it is its
//! own target behind the `browser-tests` feature: `scripts/browser_tests.sh` installs them
//! and runs it; plain `cargo test --release` leaves it out.

#[path = "common/teach.rs"]
mod teach_common;

use limbic::teach::client::{split_url, Client};
use limbic_rewards::feedback::{Answer, Label};
use serde_json::{json, Value};
use std::io::{BufReader, Lines};
use std::path::{Path, PathBuf};
use std::process::{ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};
use teach_common::{serving, Process};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const ARROW_LEFT: &str = "\u{E012}";
const ARROW_RIGHT: &str = "\u{E014}";

/// A WebDriver session of headless Chromium.
struct Browser {
    driver: Client,
    session: String,
    _chromedriver: Process,
}

impl Browser {
    fn start() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{chromedriver} does not start ({e}): run scripts/browser_tests.sh"));
        let process = Process(child);
        let host = format!("127.0.0.1:{port}");
        let mut driver = wait_for(|| Client::connect(&host).ok(), "chromedriver listening");
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let args = ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": {"binary": binary, "args": args}}}});
        let created = driver.post_json("/session", &capabilities).unwrap().json().unwrap();
        let session =
            created["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}")).to_string();
        Browser { driver, session, _chromedriver: process }
    }

    fn command(&mut self, path: &str, body: Value) -> Value {
        let response = self.driver.post_json(&format!("/session/{}/{path}", self.session), &body).unwrap();
        let reply = response.json().unwrap();
        assert_eq!(response.status, 200, "WebDriver {path}: {reply}");
        reply["value"].clone()
    }

    fn open(&mut self, url: &str) {
        self.command("url", json!({"url": url}));
    }

    fn script(&mut self, script: &str) -> Value {
        self.command("execute/sync", json!({"script": script, "args": []}))
    }

    fn click(&mut self, css: &str) {
        let found = self.command("element", json!({"using": "css selector", "value": css}));
        let id = found[ELEMENT].as_str().unwrap().to_string();
        self.command(&format!("element/{id}/click"), json!({}));
    }

    fn press(&mut self, key: &str) {
        let keys = [json!({"type": "keyDown", "value": key}), json!({"type": "keyUp", "value": key})];
        self.command("actions", json!({"actions": [{"type": "key", "id": "keyboard", "actions": keys}]}));
    }

    /// Waits until the page shows question `id` with its pictures drawn (`None`: no question).
    fn wait_question(&mut self, id: Option<u64>) {
        let script = "const q = document.body.dataset.question; \
            const drawn = [...document.querySelectorAll('section:not([hidden]) .clips canvas')].every(c => c.width !== 300); \
            return q === undefined ? null : (drawn ? Number(q) : -1);";
        wait_for(|| (self.script(script).as_u64() == id).then_some(()), &format!("question {id:?} shown"));
    }

    fn text(&mut self, css: &str) -> String {
        self.script(&format!("return document.querySelector('{css}').textContent")).as_str().unwrap().to_string()
    }

    fn screenshot(&mut self, path: &Path) {
        let response = self.driver.get(&format!("/session/{}/screenshot", self.session)).unwrap();
        let png = base64_decode(response.json().unwrap()["value"].as_str().unwrap());
        assert_eq!(&png[1..4], b"PNG");
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.delete(&format!("/session/{}", self.session));
    }
}

fn wait_for<T>(mut check: impl FnMut() -> Option<T>, what: &str) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let digit = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bits: Vec<u8> = text.bytes().filter(|&c| c != b'=' && !c.is_ascii_whitespace()).map(digit).collect();
    bits.chunks(4)
        .flat_map(|chunk| {
            let n = chunk.iter().enumerate().fold(0u32, |n, (i, &d)| n | (d as u32) << (18 - 6 * i));
            n.to_be_bytes()[1..chunk.len()].to_vec()
        })
        .collect()
}

fn limbic() -> Command {
    Command::new(env!("CARGO_BIN_EXE_limbic"))
}

/// `limbic teach --demo` on `run`: the process, its page URL and the rest of its output.
fn teach_demo(run: &Path, extra: &[&str]) -> (Process, String, Lines<BufReader<ChildStdout>>) {
    let args = [&["teach", "--run", run.to_str().unwrap(), "--demo", "--clip-steps", "12"], extra].concat();
    serving(&args)
}

fn labels(lines: Lines<BufReader<ChildStdout>>) -> Vec<Label> {
    lines.map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect()
}

fn figures() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/figures");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_session_of_labels_clicked_and_typed_at_the_page_reaches_poll() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let trained = limbic()
        .args(["train", "--env", "CartPole-v1", "--algo", "random", "--steps", "2000", "--num-envs", "2"])
        .args(["--out", run.to_str().unwrap(), "--quiet", "--set", "params.n_steps=50"])
        .output()
        .unwrap();
    assert!(trained.status.success(), "{}", String::from_utf8_lossy(&trained.stderr));
    let mut browser = Browser::start();

    // Comparisons: buttons and keys, one question after another.
    let (mut process, url, lines) = teach_demo(&run, &["--questions", "5"]);
    browser.open(&url);
    browser.wait_question(Some(0));
    std::thread::sleep(Duration::from_millis(600)); // let the clips play and the curve draw
    browser.screenshot(&figures().join("teach_compare.png"));
    browser.click("#left-button");
    browser.wait_question(Some(1));
    browser.press(ARROW_RIGHT);
    browser.wait_question(Some(2));
    browser.click("#equal-button");
    browser.wait_question(Some(3));
    browser.press("s");
    browser.wait_question(Some(4));
    browser.press(ARROW_LEFT);
    browser.wait_question(None);
    wait_for(|| (browser.text("#labels-given") == "5").then_some(()), "the count of labels");
    let given = labels(lines);
    assert!(process.0.wait().unwrap().success());
    let answers: Vec<(u64, Answer)> = given.iter().map(|l| (l.query, l.answer)).collect();
    let expected = [Answer::Left, Answer::Right, Answer::Equal, Answer::Skip, Answer::Left];
    assert_eq!(answers, expected.into_iter().enumerate().map(|(i, a)| (i as u64, a)).collect::<Vec<_>>());
    assert!(given.iter().all(|l| l.teacher == "web:page" && l.clips.len() == 2));

    // Evaluations: + and - while the clip plays, at the step shown.
    let (mut process, url, lines) = teach_demo(&run, &["--questions", "2", "--evaluate"]);
    // Without the token the page gets nothing.
    let (host, _) = split_url(&url).unwrap();
    browser.open(&format!("http://{host}/"));
    assert!(browser.script("return document.body.textContent").as_str().unwrap().contains("missing access token"));
    browser.open(&url);
    browser.wait_question(Some(0));
    std::thread::sleep(Duration::from_millis(400));
    browser.screenshot(&figures().join("teach_evaluate.png"));
    browser.press("+");
    browser.wait_question(Some(1));
    browser.click("#minus-button");
    browser.wait_question(None);
    let given = labels(lines);
    assert!(process.0.wait().unwrap().success());
    let scores: Vec<f32> = given
        .iter()
        .map(|l| match l.answer {
            Answer::Score { value, at } => {
                assert!(at < 12, "step {at} within the 12-step clip");
                value
            }
            other => panic!("not a score: {other:?}"),
        })
        .collect();
    assert_eq!(scores, [1.0, -1.0]);
}

#[test]
fn a_person_teaches_a_training_run_at_its_page() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let run_arg = run.to_str().unwrap();
    let (process, line, rest) = serving(&[
        "train",
        "--env",
        "MiniGrid-DoorKey-5x5-v0",
        "--reward",
        "preferences",
        "--teacher",
        "web",
        "--labels",
        "3",
        "--steps",
        "10000000",
        "--set",
        "params.n_steps=64",
        "--quiet",
        "--out",
        run_arg,
    ]);
    std::thread::spawn(move || rest.for_each(drop)); // keep the pipe drained
    let url = line.rsplit(' ').next().unwrap();
    let mut browser = Browser::start();
    browser.open(url);
    // The agent's view in each step of the clips, drawn from the observations training keeps.
    browser.wait_question(Some(0));
    std::thread::sleep(Duration::from_millis(600));
    browser.screenshot(&figures().join("teach_training.png"));
    browser.click("#left-button");
    browser.wait_question(Some(1));
    browser.press(ARROW_RIGHT);
    browser.wait_question(Some(2));
    browser.press(ARROW_LEFT);
    browser.wait_question(None);
    // The run takes the labels at its next updates and keeps them in its label file.
    let file = run.join("feedback/preferences/labels.jsonl");
    let given = wait_for(
        || {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let labels: Vec<Label> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            (labels.len() == 3).then_some(labels)
        },
        "three labels in the run's label file",
    );
    let answers: Vec<(u64, Answer)> = given.iter().map(|l| (l.query, l.answer)).collect();
    assert_eq!(answers, [(0, Answer::Left), (1, Answer::Right), (2, Answer::Left)]);
    assert!(given.iter().all(|l| l.teacher == "web:page" && l.clips.len() == 2));
    drop(process);
}
