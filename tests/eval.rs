//! `limbic train`, `limbic eval` and `limbic compare` through the binary, on runs of the random
//! baseline; and what every command that opens a run says of a run with parts from Python.

use serde_json::Value as Json;
use std::path::Path;
use std::process::{Command, Output};

fn limbic(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_limbic")).args(args).output().expect("the limbic binary runs");
    assert!(out.status.success(), "limbic {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// A short random-baseline run on `env` through `limbic train`.
fn train_run(dir: &Path, env: &str, seed: u64) {
    let seed = seed.to_string();
    let dir = dir.to_str().unwrap();
    let sets = ["--set", "params.n_steps=20", "--set", "eval_every=200", "--set", "eval_episodes=3"];
    let mut args = vec!["train", "--env", env, "--algo", "random", "--steps", "400", "--num-envs", "2"];
    args.extend(["--seed", &seed, "--out", dir, "--quiet"]);
    args.extend(sets);
    limbic(&args);
}

#[test]
fn eval_json_has_the_summary_and_a_hand_checkable_interval() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    train_run(&dir, "CartPole-v1", 1);
    let gif = tmp.path().join("episode.gif");
    let out = limbic(&[
        "eval",
        "--run",
        dir.to_str().unwrap(),
        "--episodes",
        "5",
        "--seed",
        "100",
        "--json",
        "--gif",
        gif.to_str().unwrap(),
    ]);
    let summary: Json = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(summary["episodes"], 5);
    assert_eq!(summary["seed"], 100);
    assert_eq!(summary["algo"], "random");
    assert!(summary["checkpoint"].as_str().unwrap().ends_with("best"));
    assert!(summary["success_rate"].is_null(), "CartPole has no success");
    assert_eq!(&std::fs::read(&gif).unwrap()[..6], b"GIF89a");

    let returns: Vec<f64> = summary["returns"].as_array().unwrap().iter().map(|r| r.as_f64().unwrap()).collect();
    assert_eq!(returns.len(), 5);
    // CartPole's return is the episode length.
    let lengths: Vec<f64> = summary["lengths"].as_array().unwrap().iter().map(|l| l.as_f64().unwrap()).collect();
    assert_eq!(returns, lengths);
    let n = 5.0;
    let mean = returns.iter().sum::<f64>() / n;
    let std = (returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let half = 2.7764451051977944 * std / n.sqrt(); // t(0.975, 4 degrees of freedom)
    let close = |a: &Json, b: f64| (a.as_f64().unwrap() - b).abs() < 1e-9 * b.abs().max(1.0);
    assert!(close(&summary["mean_return"], mean), "{summary}");
    assert!(close(&summary["std_return"], std), "{summary}");
    assert!(close(&summary["ci95"][0], mean - half) && close(&summary["ci95"][1], mean + half), "{summary}");

    // The same seeds give the same episodes; the text form says the same numbers.
    let again: Json = serde_json::from_slice(
        &limbic(&["eval", "--run", dir.to_str().unwrap(), "--episodes", "5", "--seed", "100", "--json"]).stdout,
    )
    .unwrap();
    assert_eq!(again["returns"], summary["returns"]);
    let text =
        String::from_utf8(limbic(&["eval", "--run", dir.to_str().unwrap(), "--episodes", "5", "--seed", "100"]).stdout)
            .unwrap();
    assert!(text.contains(&format!("mean return {mean:.3}")), "{text}");
}

#[test]
fn success_rates_are_reported_where_they_mean_something() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    train_run(&dir, "MiniGrid-Empty-5x5-v0", 2);
    let out = limbic(&["eval", "--run", dir.to_str().unwrap(), "--episodes", "4", "--json", "--checkpoint", "latest"]);
    let summary: Json = serde_json::from_slice(&out.stdout).unwrap();
    let returns = summary["returns"].as_array().unwrap();
    // MiniGrid pays a positive reward only on reaching the goal.
    let successes = returns.iter().filter(|r| r.as_f64().unwrap() > 0.0).count() as f64;
    assert_eq!(summary["success_rate"].as_f64(), Some(successes / 4.0));
    assert!(summary["checkpoint"].as_str().unwrap().ends_with("step_400"));
}

#[test]
fn compare_plots_groups_of_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let runs: Vec<String> = (0..3)
        .map(|seed| {
            let dir = tmp.path().join(format!("run{seed}"));
            train_run(&dir, if seed < 2 { "CartPole-v1" } else { "CartPole-v0" }, seed);
            dir.to_str().unwrap().to_string()
        })
        .collect();
    let png = tmp.path().join("compare.png");
    let mut args = vec!["compare", "--out", png.to_str().unwrap()];
    args.extend(runs.iter().map(String::as_str));
    let out = limbic(&args);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("random on CartPole-v1: 2 run(s)") && text.contains("random on CartPole-v0: 1 run(s)"),
        "{text}"
    );
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");

    let missing = Command::new(env!("CARGO_BIN_EXE_limbic"))
        .args(["compare", &runs[0], "--metric", "loss/nothing", "--out", png.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no `loss/nothing`"));
}

/// A run trained from Python on a Python env, or with a Python reward signal, records so in its
/// config (`from_python`, written by the `limbic` package): every command that opens it says
/// the part was registered from Python and names the Python calls that open the run, instead
/// of calling the env id or signal unknown.
#[test]
fn runs_with_parts_from_python_name_the_python_calls_that_open_them() {
    let tmp = tempfile::tempdir().unwrap();
    let configs = [
        ("env", r#"{"env": "python:corridor", "from_python": {"env": true}}"#),
        ("signal", r#"{"rewards": [{"name": "bonus", "weight": 0.01}], "from_python": {"rewards": ["bonus"]}}"#),
    ];
    for (name, config) in configs {
        std::fs::create_dir_all(tmp.path().join(name)).unwrap();
        std::fs::write(tmp.path().join(name).join("config.json"), config).unwrap();
    }
    let expected = [
        (
            "env",
            [
                "environment `python:corridor`",
                "limbic.evaluate(run_dir, env=factory)",
                "train(resume=run_dir, env=factory)",
            ],
        ),
        (
            "signal",
            [
                "reward signal `bonus`",
                "limbic.rewards.register(\"bonus\", cls); limbic.evaluate(run_dir)",
                "train(resume=run_dir)",
            ],
        ),
    ];
    let out = tmp.path().join("out.gif");
    let out = out.to_str().unwrap();
    for (name, needles) in expected {
        let run = tmp.path().join(name);
        let run = run.to_str().unwrap();
        let commands = [
            vec!["eval", "--run", run],
            vec!["dream", "--run", run, "--env", "CartPole-v1", "--out", out],
            vec!["train", "--resume", run],
            vec!["teach", "--run", run],
            vec!["demos", "record", "--env", "CartPole-v1", "--policy", run, "--out", out],
        ];
        for args in commands {
            let output = Command::new(env!("CARGO_BIN_EXE_limbic")).args(&args).output().unwrap();
            let err = String::from_utf8_lossy(&output.stderr);
            assert!(!output.status.success(), "limbic {args:?} succeeded");
            assert!(err.contains("registered from Python") && err.contains("has no Python"), "{args:?}: {err}");
            for needle in needles {
                assert!(err.contains(needle), "limbic {args:?}: {err:?} should name {needle:?}");
            }
            assert!(!err.contains("unknown") && !err.contains("panicked"), "{args:?}: {err}");
        }
        assert!(!Path::new(out).exists(), "nothing is written");
        // `compare` reads only the metrics and the config's labels: it plots such runs.
        std::fs::write(Path::new(run).join("metrics.jsonl"), "{\"env_steps\": 512, \"return_mean_100\": 9.5}\n")
            .unwrap();
        let plot = tmp.path().join(format!("{name}.png"));
        let output = limbic(&["compare", run, "--out", plot.to_str().unwrap()]);
        assert!(plot.is_file() && String::from_utf8_lossy(&output.stdout).contains("9.5"), "{output:?}");
        // It is a run directory: --force replaces it.
        let sets = ["--set", "params.n_steps=20", "--set", "eval_episodes=1"];
        limbic(
            &[&["train", "--algo", "random", "--steps", "40", "--out", run, "--force", "--quiet"][..], &sets].concat(),
        );
        let config = std::fs::read_to_string(Path::new(run).join("config.json")).unwrap();
        assert!(config.contains("\"random\"") && !config.contains("from_python"), "{config}");
    }
}
