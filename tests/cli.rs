//! The `limbic` binary end to end: output format, reproduction of Gymnasium, and bad input.

use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn limbic(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_limbic")).args(args).output().expect("the limbic binary runs")
}

fn stdout_lines(out: &Output) -> Vec<Json> {
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect()
}

fn fixture(name: &str) -> Json {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture exists")).expect("fixture is JSON")
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("limbic-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

fn assert_fails_with(out: &Output, needle: &str) {
    assert!(!out.status.success(), "expected failure, got success");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(needle), "stderr {err:?} should mention {needle:?}");
    assert!(!err.contains("panicked"), "must not panic: {err}");
}

#[test]
fn rollout_reproduces_gymnasium_cartpole() {
    let rec = fixture("classic/CartPole-v1_seed0.json");
    let actions: Vec<Json> = rec["steps"].as_array().unwrap().iter().map(|s| s["action"].clone()).collect();
    let file = temp_file("cartpole_actions.json", &Json::Array(actions).to_string());
    let out = limbic(&["rollout", "--env", "CartPole-v1", "--seed", "0", "--actions", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = stdout_lines(&out);
    assert_eq!(lines[0]["obs"], rec["init_obs"]);
    let steps = rec["steps"].as_array().unwrap();
    assert_eq!(lines.len(), steps.len() + 1, "one line per step, stopping at the episode's end");
    for (line, step) in lines[1..].iter().zip(steps) {
        for key in ["obs", "reward", "terminated", "truncated"] {
            assert_eq!(line[key], step[key], "step {}: {key}", step["t"]);
        }
    }
}

#[test]
fn rollout_without_actions_acts_randomly_for_n_steps() {
    let out = limbic(&["rollout", "--env", "CartPole-v1", "--seed", "3", "--steps", "4"]);
    assert!(out.status.success());
    let lines = stdout_lines(&out);
    assert!(lines.len() <= 5 && lines.len() >= 2);
    assert!(lines[1]["reward"].is_number() && lines[1]["obs"].as_array().unwrap().len() == 4);
    assert_eq!(stdout_lines(&limbic(&["rollout", "--env", "CartPole-v1", "--seed", "3", "--steps", "4"])), lines);
}

#[test]
fn envs_lists_every_id_with_spaces() {
    let out = limbic(&["envs", "--json"]);
    assert!(out.status.success());
    let lines = stdout_lines(&out);
    let cartpole = lines.iter().find(|l| l["id"] == "CartPole-v1").expect("CartPole-v1 listed");
    assert_eq!(cartpole["max_episode_steps"], 500);
    assert_eq!(cartpole["action_space"]["type"], "Discrete");
}

#[test]
fn unknown_env_is_a_clear_error() {
    assert_fails_with(&limbic(&["rollout", "--env", "CartPoel-v1"]), "did you mean CartPole-v1");
}

#[test]
fn unknown_kwarg_is_a_clear_error() {
    let out = limbic(&["rollout", "--env", "CartPole-v1", "--kwargs", r#"{"gravity": 3}"#]);
    assert_fails_with(&out, "valid keys");
}

#[test]
fn bad_actions_are_clear_errors() {
    let cases = [
        ("malformed.json", "[0, 1", "not valid JSON"),
        ("object.json", r#"{"a": 1}"#, "must hold a JSON array"),
        ("range.json", "[0, 7]", "invalid action 7"),
        ("type.json", r#"[0, "left"]"#, "invalid action"),
    ];
    for (name, contents, needle) in cases {
        let file = temp_file(name, contents);
        assert_fails_with(&limbic(&["rollout", "--env", "CartPole-v1", "--actions", file.to_str().unwrap()]), needle);
    }
    let missing = limbic(&["rollout", "--env", "CartPole-v1", "--actions", "/nonexistent/actions.json"]);
    assert_fails_with(&missing, "cannot read actions file");
}

#[test]
fn render_writes_a_gif_and_refuses_unknown_formats() {
    let gif = std::env::temp_dir().join(format!("limbic-render-{}.gif", std::process::id()));
    let out =
        limbic(&["render", "--env", "CartPole-v1", "--seed", "1", "--steps", "10", "--out", gif.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&gif).expect("the GIF exists");
    assert!(bytes.starts_with(b"GIF89a"));
    assert_eq!(u16::from_le_bytes([bytes[6], bytes[7]]), 600, "Gymnasium's CartPole picture is 600 wide");
    assert!(String::from_utf8_lossy(&out.stdout).contains("11 frames"), "reset frame + 10 steps");
    let _ = std::fs::remove_file(&gif);
    assert_fails_with(&limbic(&["render", "--env", "CartPole-v1", "--out", "x.bmp"]), ".gif");
}

#[test]
fn popgym_ids_are_listed_rolled_out_and_benched() {
    let listed = stdout_lines(&limbic(&["envs", "--json"]));
    let popgym: Vec<&Json> = listed.iter().filter(|l| l["id"].as_str().unwrap().starts_with("popgym-")).collect();
    assert_eq!(popgym.len(), 42);
    let autoencode = popgym.iter().find(|l| l["id"] == "popgym-AutoencodeEasy-v0").unwrap();
    assert_eq!(autoencode["observation_space"]["type"], "Tuple");
    assert!(listed.iter().any(|l| l["id"] == "CartPoleNoVel-v1"));
    // Tuple observations print as lists, exactly as popgym's (its recorded episode).
    let rec = fixture("popgym/popgym-AutoencodeEasy-v0.json");
    let episode = &rec["episodes"][0];
    let file = temp_file("autoencode_actions.json", &episode["actions"].to_string());
    let out =
        limbic(&["rollout", "--env", "popgym-AutoencodeEasy-v0", "--seed", "0", "--actions", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = stdout_lines(&out);
    assert_eq!(lines[0]["obs"], episode["obs0"]);
    assert_eq!(lines.len(), episode["actions"].as_array().unwrap().len() + 1);
    for (t, line) in lines[1..].iter().enumerate() {
        assert_eq!((&line["obs"], &line["reward"]), (&episode["obs"][t], &episode["rewards"][t]), "step {}", t + 1);
    }
    // A MultiDiscrete action outside the space, or of the wrong length, names the space.
    for (name, actions) in [("cell.json", "[[8, 0]]"), ("short.json", "[[1]]"), ("fraction.json", "[[1.5, 0]]")] {
        let file = temp_file(name, actions);
        let out = limbic(&["rollout", "--env", "popgym-BattleshipEasy-v0", "--actions", file.to_str().unwrap()]);
        assert_fails_with(&out, "MultiDiscrete([8, 8])");
    }
    let out = limbic(&["bench", "env", "--env", "popgym-BattleshipEasy-v0", "--num-envs", "4", "--steps", "2000"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("steps/s"));
}
