//! Runs with reward signals end to end: `--reward`, `limbic rewards`, per-signal metrics and
//! plot, and an exact resume of a run whose signals have memory.

mod common;

use common::{quiet, read_lines, temp_dir, without_wall_clock};
use limbic::config::RunConfig;
use limbic::runner::{build_algorithm, resume, train};
use serde_json::json;
use std::process::{Command, Output};

fn limbic(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_limbic")).args(args).output().expect("the limbic binary runs")
}

#[test]
fn reward_flags_attach_signals_and_the_run_logs_them() {
    let tmp = temp_dir();
    let out = tmp.path().join("run");
    let args = [
        "train",
        "--env",
        "MiniGrid-Empty-5x5-v0",
        "--reward",
        "counts:0.01",
        "--steps",
        "512",
        "--num-envs",
        "2",
        "--set",
        "params.n_steps=64",
        "--set",
        "eval_episodes=1",
        "--quiet",
        "--out",
    ];
    let run = limbic(&[&args[..], &[out.to_str().unwrap()]].concat());
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let lines = read_lines(&out);
    for key in ["raw_mean", "raw_std", "scaled_mean", "mean", "weight", "advantage_share", "value_loss"] {
        for signal in ["counts", "extrinsic"] {
            assert!(lines[0].contains_key(&format!("reward/{signal}/{key}")), "{signal}/{key}: {:?}", lines[0]);
        }
    }
    assert_eq!(lines[0]["reward/counts/weight"], json!(0.01));
    let png = std::fs::read(out.join("reward_signals.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let config: RunConfig = serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config.rewards[0].weight, Some(0.01));

    let bad = limbic(&["train", "--env", "MiniGrid-Empty-5x5-v0", "--reward", "cunts:1", "--steps", "64"]);
    let error = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && error.contains("did you mean counts") && error.contains("extrinsic"), "{error}");
    let bad = limbic(&["train", "--reward", "counts:lots", "--print-config"]);
    let error = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && error.contains("`counts:lots`") && error.contains("must be a number"), "{error}");

    let listed = limbic(&["rewards"]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(text.contains("counts:") && text.contains("memory = \"episodic\"") && text.contains("extrinsic"), "{text}");
    assert!(text.contains("default weight 0.1, stream: own") && text.contains("caveats: "), "{text}");
}

/// A run with lifelong and episodic counts (and an own stream) extended from its final
/// checkpoint writes the same lines as the run that went straight to the end.
#[test]
fn a_shaped_run_resumes_exactly() {
    let config = RunConfig {
        env: "MiniGrid-Empty-5x5-v0".into(),
        algo: "ppo".into(),
        seed: 3,
        total_steps: 512,
        num_envs: 2,
        eval_episodes: 1,
        eval_every: 0,
        checkpoint_every: 0,
        params: json!({"n_steps": 64, "batch_size": 64, "n_epochs": 1}),
        rewards: serde_json::from_value(json!([
            {"name": "counts", "weight": 0.01},
            {"name": "counts", "label": "episodic", "stream": "own", "params": {"memory": "episodic"}}]))
        .unwrap(),
        ..RunConfig::default()
    };
    let tmp = temp_dir();
    let (whole, extended) = (tmp.path().join("whole"), tmp.path().join("extended"));
    train(&RunConfig { total_steps: 1024, ..config.clone() }, &whole, &build_algorithm, &quiet()).unwrap();
    train(&config, &extended, &build_algorithm, &quiet()).unwrap();
    resume(&extended, Some(1024), &build_algorithm, &quiet()).unwrap();
    let strip = |lines| {
        let mut lines = without_wall_clock(lines);
        lines.iter_mut().for_each(|l| l.retain(|k, _| !k.starts_with("eval/")));
        lines
    };
    let (a, b) = (strip(read_lines(&whole)), strip(read_lines(&extended)));
    assert_eq!(a.len(), 8);
    assert!(a[7].contains_key("reward/episodic/raw_mean"));
    assert_eq!(a, b);
}
