//! `limbic imitate` and `limbic imitate sweep` through the binary, on small CartPole datasets
//! recorded from the scripted expert.

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

/// Records `episodes` CartPole episodes of the scripted expert (with reference scores if asked).
fn cartpole_demos(dir: &Path, episodes: &str, ref_scores: bool) -> String {
    let out = dir.join("demos");
    let mut args = vec!["demos", "record", "--env", "CartPole-v1", "--policy", "scripted", "--episodes", episodes];
    args.extend(["--seed", "0", "--out", out.to_str().unwrap(), "--quiet"]);
    if ref_scores {
        args.push("--ref-scores");
    }
    ok(&args);
    out.to_str().unwrap().to_string()
}

fn imitate_json(args: &[&str]) -> Json {
    let mut all = vec!["imitate"];
    all.extend(args);
    all.extend(["--json", "--quiet"]);
    let out = ok(&all);
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn bc_learns_cartpole_and_reports_the_protocol_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let demos = cartpole_demos(tmp.path(), "4", true);
    let result = imitate_json(&["--algo", "bc", "--demos", &demos, "--n-demos", "4", "--episodes", "10"]);
    for key in [
        "mean_return",
        "std_return",
        "ci95",
        "episodes",
        "normalized_score",
        "algo",
        "n_demos",
        "seed",
        "env",
        "train_time_s",
    ] {
        assert!(result.get(key).is_some(), "missing {key} in {result}");
    }
    assert_eq!(result["algo"], "bc");
    assert_eq!(result["env"], "CartPole-v1");
    assert_eq!(result["n_demos"], 4);
    assert_eq!(result["episodes"], 10);
    assert_eq!(result["reference_source"], "dataset");
    let (mean, lo, hi) = (
        result["mean_return"].as_f64().unwrap(),
        result["ref_min_score"].as_f64().unwrap(),
        result["ref_max_score"].as_f64().unwrap(),
    );
    let score = result["normalized_score"].as_f64().unwrap();
    assert!((score - (mean - lo) / (hi - lo)).abs() < 1e-9, "{result}");
    assert!(score > 0.5, "BC from 4 expert episodes should be far above random: {result}");
}

#[test]
fn bc_run_directory_loads_in_limbic_eval() {
    let tmp = tempfile::tempdir().unwrap();
    let demos = cartpole_demos(tmp.path(), "2", true);
    let run = tmp.path().join("run");
    ok(&["imitate", "--algo", "bc", "--demos", &demos, "--episodes", "3", "--out", run.to_str().unwrap(), "--quiet"]);
    let written: Json = serde_json::from_str(&std::fs::read_to_string(run.join("imitate.json")).unwrap()).unwrap();
    let eval = ok(&["eval", "--run", run.to_str().unwrap(), "--episodes", "3", "--json"]);
    let eval: Json = serde_json::from_slice(&eval.stdout).expect("eval prints JSON");
    // Same policy, same seeds: the same returns as imitate's own evaluation.
    assert_eq!(eval["returns"], written["returns"]);
}

#[test]
fn dagger_matches_the_expert_on_cartpole() {
    let tmp = tempfile::tempdir().unwrap();
    let demos = cartpole_demos(tmp.path(), "1", true);
    let result = imitate_json(&[
        "--algo",
        "dagger",
        "--demos",
        &demos,
        "--episodes",
        "10",
        "--set",
        "rounds=4",
        "--set",
        r#"beta={"kind":"linear","rampdown_rounds":4}"#,
    ]);
    assert_eq!(result["algo"], "dagger");
    assert!(result["transitions"].as_u64().unwrap() > 0);
    assert!(result["normalized_score"].as_f64().unwrap() > 0.9, "{result}");
}

#[test]
fn sqil_trains_through_the_runner_and_computes_missing_reference_scores() {
    let tmp = tempfile::tempdir().unwrap();
    let demos = cartpole_demos(tmp.path(), "2", false);
    let result = imitate_json(&["--algo", "sqil", "--demos", &demos, "--steps", "1000", "--episodes", "3"]);
    assert_eq!(result["algo"], "sqil");
    assert_eq!(result["steps"], 1000);
    assert_eq!(result["reference_source"], "computed");
    assert_eq!(result["ref_max_score"], 500.0);
    assert!(result["normalized_score"].as_f64().unwrap().is_finite());
}

#[test]
fn gail_trains_ppo_on_the_fixed_horizon_variant() {
    let tmp = tempfile::tempdir().unwrap();
    let demos = cartpole_demos(tmp.path(), "2", true);
    let result = imitate_json(&["--algo", "gail", "--demos", &demos, "--steps", "1024", "--episodes", "2"]);
    assert_eq!(result["algo"], "gail");
    assert_eq!(result["fixed_horizon"], true);
    assert_eq!(result["steps"], 1024);
    assert!(result["normalized_score"].as_f64().unwrap().is_finite());
    let run = tmp.path().join("run");
    let text = ok(&[
        "imitate",
        "--algo",
        "gail",
        "--demos",
        &demos,
        "--steps",
        "1024",
        "--episodes",
        "2",
        "--out",
        run.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("fixed-horizon"));
    let config: Json = serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["fixed_horizon"], true);
    assert_eq!(config["rewards"][0]["name"], "extrinsic");
    assert_eq!(config["rewards"][0]["weight"], 0.0);
    assert_eq!(config["rewards"][1]["name"], "gail");
}

#[test]
fn a_tiny_sweep_writes_its_table_and_plot_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let args = [
        "imitate",
        "sweep",
        "--env",
        "CartPole-v1",
        "--algos",
        "bc",
        "--n-demos",
        "1,2",
        "--seeds",
        "2",
        "--episodes",
        "3",
    ];
    let mut first: Vec<&str> = args.to_vec();
    first.extend(["--out", out.to_str().unwrap(), "--quiet", "--jobs", "2"]);
    ok(&first);
    let runs = std::fs::read_to_string(out.join("runs.jsonl")).unwrap();
    assert_eq!(runs.lines().count(), 4);
    let csv = std::fs::read_to_string(out.join("table.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows[1].starts_with("bc,1,2,") && rows[2].starts_with("bc,2,2,"), "{csv}");
    assert!(std::fs::read_to_string(out.join("table.md")).unwrap().contains("| bc | 2 | 2 |"));
    assert!(std::fs::read(out.join("sweep.png")).unwrap().starts_with(b"\x89PNG"));
    // Demonstrations differ across seeds (disjoint reset seeds).
    assert!(out.join("demos/seed0").exists() && out.join("demos/seed1").exists());

    // A second sweep with one more seed runs only that seed's runs.
    let mut again: Vec<&str> = args.to_vec();
    again[9] = "3";
    again.extend(["--out", out.to_str().unwrap(), "--quiet"]);
    ok(&again);
    let runs_after = std::fs::read_to_string(out.join("runs.jsonl")).unwrap();
    assert!(runs_after.starts_with(&runs), "finished runs are kept, not rerun");
    assert_eq!(runs_after.lines().count(), 6);
}

#[test]
fn bad_inputs_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let demos = cartpole_demos(tmp.path(), "2", true);
    assert_fails_with(&limbic(&["imitate", "--algo", "bc", "--demos", "/nonexistent/ds"]), &["/nonexistent/ds"]);
    assert_fails_with(
        &limbic(&["imitate", "--algo", "ppo", "--demos", &demos]),
        &["unknown", "bc, dagger, gail, sqil"],
    );
    assert_fails_with(&limbic(&["imitate", "--algo", "bc", "--demos", &demos, "--n-demos", "3"]), &["only 2 episodes"]);
    assert_fails_with(&limbic(&["imitate", "--algo", "bc", "--demos", &demos, "--n-demos", "0"]), &["at least 1"]);
    let corrupt = tmp.path().join("corrupt");
    std::fs::create_dir_all(corrupt.join("data")).unwrap();
    std::fs::write(corrupt.join("data/metadata.json"), "{not json").unwrap();
    assert_fails_with(&limbic(&["imitate", "--algo", "bc", "--demos", corrupt.to_str().unwrap()]), &["metadata.json"]);
    let run = tmp.path().join("run");
    assert_fails_with(&limbic(&["train", "--algo", "bc", "--out", run.to_str().unwrap()]), &["limbic imitate"]);
    let sweep = tmp.path().join("sweep");
    assert_fails_with(
        &limbic(&["imitate", "sweep", "--env", "CartPole-v1", "--algos", "bc,xx", "--out", sweep.to_str().unwrap()]),
        &["xx", "known"],
    );
}
