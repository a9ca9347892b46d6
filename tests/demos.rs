//! `limbic demos record | info | dump` through the binary.

use limbic::datasets::Dataset;
use limbic::environments::{make, Env, Kwargs, Options};
use serde_json::Value as Json;
use std::path::Path;
use std::process::{Command, Output};

fn limbic(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_limbic")).args(args).output().expect("the limbic binary runs")
}

fn ok(args: &[&str]) -> Output {
    let out = limbic(args);
    assert!(out.status.success(), "limbic {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn assert_fails_with(out: &Output, needles: &[&str]) {
    assert_eq!(out.status.code(), Some(1), "expected exit status 1");
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in needles {
        assert!(err.contains(needle), "stderr {err:?} should mention {needle:?}");
    }
    assert!(!err.contains("panicked"), "must not panic: {err}");
}

fn record(env: &str, policy: &str, episodes: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["demos", "record", "--env", env, "--policy", policy, "--episodes", episodes];
    args.extend(["--seed", "10", "--out", out.to_str().unwrap(), "--quiet"]);
    args.extend(extra);
    limbic(&args)
}

fn info_json(path: &Path) -> Json {
    serde_json::from_slice(&ok(&["demos", "info", path.to_str().unwrap(), "--json"]).stdout).expect("one JSON object")
}

#[test]
fn scripted_demonstrations_are_recorded_with_seeds_and_described() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cartpole");
    assert!(record("CartPole-v1", "scripted", "2", &out, &[]).status.success());
    let dataset = Dataset::read(&out).unwrap();
    let mut env = make("CartPole-v1", &Kwargs::new()).unwrap();
    for (i, episode) in dataset.episodes.iter().enumerate() {
        // Episode i resets with seed 10 + i.
        assert_eq!(episode.seed, Some(10 + i as u64));
        assert_eq!(episode.observations[0], env.reset(episode.seed, &Options::new()).unwrap().0);
        assert_eq!((episode.len(), episode.truncations.last(), episode.total_reward()), (500, Some(&true), 500.0));
    }
    let info = info_json(&out);
    assert_eq!((info["episodes"].as_u64(), info["steps"].as_u64()), (Some(2), Some(1000)));
    assert_eq!((info["return_mean"].as_f64(), info["return_std"].as_f64()), (Some(500.0), Some(0.0)));
    assert_eq!((info["env"].as_str(), info["data_format"].as_str()), (Some("CartPole-v1"), Some("arrow")));
    assert!(info["success_rate"].is_null(), "CartPole has no success");
    assert_eq!(info["algorithm_name"], "scripted expert");
    let text = String::from_utf8(ok(&["demos", "info", out.to_str().unwrap()]).stdout).unwrap();
    assert!(text.contains("episodes  2, steps 1000") && text.contains("Discrete(2)"), "{text}");

    // A goal task has a success rate; dump prints every field of every episode.
    let grid = tmp.path().join("doorkey");
    assert!(record("MiniGrid-DoorKey-5x5-v0", "scripted", "3", &grid, &[]).status.success());
    assert_eq!(info_json(&grid)["success_rate"].as_f64(), Some(1.0));
    let dump = String::from_utf8(ok(&["demos", "dump", grid.to_str().unwrap()]).stdout).unwrap();
    let lines: Vec<Json> = dump.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    let first = &lines[0];
    assert_eq!(first["observations"].as_array().unwrap().len(), first["actions"].as_array().unwrap().len() + 1);
    assert!(first["observations"][0]["mission"].as_str().unwrap().contains("key"));
}

#[test]
fn reference_scores_are_measured_on_request() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cartpole");
    assert!(record("CartPole-v1", "random", "1", &out, &["--ref-scores"]).status.success());
    let info = info_json(&out);
    // The expert balances every one of the 100 episodes for 500 steps; random ones fall early.
    assert_eq!(info["ref_max_score"].as_f64(), Some(500.0));
    let min = info["ref_min_score"].as_f64().unwrap();
    assert!(min > 8.0 && min < 100.0, "{min}");
    assert_eq!(Dataset::read(&out).unwrap().metadata.num_episodes_average_score, Some(100));
}

#[test]
fn a_trained_runs_policy_records_demonstrations() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let run_s = run.to_str().unwrap();
    ok(&[
        "train",
        "--env",
        "CartPole-v1",
        "--algo",
        "random",
        "--steps",
        "200",
        "--num-envs",
        "2",
        "--out",
        run_s,
        "--quiet",
        "--set",
        "params.n_steps=20",
        "--set",
        "eval_every=100",
        "--set",
        "eval_episodes=2",
    ]);
    let out = tmp.path().join("demos");
    assert!(record("CartPole-v1", run_s, "2", &out, &[]).status.success());
    let info = info_json(&out);
    assert_eq!((info["episodes"].as_u64(), info["algorithm_name"].as_str()), (Some(2), Some("trained random")));
    let err = record("Acrobot-v1", run_s, "2", &tmp.path().join("other"), &[]);
    assert_fails_with(&err, &["trained on CartPole-v1", "not Acrobot-v1"]);
}

#[test]
fn bad_input_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ds");
    assert_fails_with(&record("CartPole-v9", "scripted", "1", &out, &[]), &["CartPole-v9", "CartPole-v1"]);
    assert_fails_with(&record("CartPole-v1", "clever", "1", &out, &[]), &["clever", "scripted", "random"]);
    assert_fails_with(&record("CartPole-v1", "scripted", "0", &out, &[]), &["--episodes"]);
    assert!(!out.exists(), "no dataset from failed commands");
    assert!(record("CartPole-v1", "random", "1", &out, &[]).status.success());
    assert_fails_with(&record("CartPole-v1", "random", "1", &out, &[]), &["already exists", "--force"]);
    assert!(record("CartPole-v1", "random", "2", &out, &["--force"]).status.success());
    assert_eq!(info_json(&out)["episodes"].as_u64(), Some(2));

    std::fs::write(out.join("data/1/part-0.arrow"), b"ARROW1 but nothing else").unwrap();
    let info = limbic(&["demos", "info", out.to_str().unwrap()]);
    assert_fails_with(&info, &["data/1/part-0.arrow", "episode 1"]);
    assert_fails_with(&limbic(&["demos", "info", tmp.path().join("none").to_str().unwrap()]), &["does not exist"]);
}
