//! `limbic sweep` through the binary: a tiny grid x seeds of the random baseline on CartPole
//! (seconds), its table and plot, resuming, and bad sweep files.

mod common;

use common::{assert_fails_with, limbic, limbic_ok};
use serde_json::Value as Json;
use std::path::Path;

const SWEEP: &str = r#"{
  "env": "CartPole-v1",
  "algo": "random",
  "steps": 400,
  "set": {"eval_episodes": 3, "checkpoint_every": 200},
  "grid": {"num_envs": [1, 2]},
  "seeds": 2
}"#;

fn lines(path: &Path) -> Vec<Json> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn a_tiny_sweep_writes_its_results_table_and_plot_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("sweep.json");
    std::fs::write(&file, SWEEP).unwrap();
    let out = tmp.path().join("out");
    let (file, out_arg) = (file.to_str().unwrap(), out.to_str().unwrap());
    limbic_ok(&["sweep", file, "--out", out_arg, "--jobs", "2", "--quiet"]);

    let rows = lines(&out.join("results.jsonl"));
    let mut runs: Vec<&str> = rows.iter().map(|r| r["run"].as_str().unwrap()).collect();
    runs.sort();
    assert_eq!(runs, ["0-1-seed0", "0-1-seed1", "1-2-seed0", "1-2-seed1"]);
    for row in &rows {
        assert!(row["env_steps"].as_u64().unwrap() >= 400, "{row}");
        assert_eq!(row["eval"]["episodes"], 3, "{row}");
        let config: Json = serde_json::from_str(
            &std::fs::read_to_string(out.join("runs").join(row["run"].as_str().unwrap()).join("config.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(config["num_envs"], row["overrides"]["num_envs"], "the grid value reached the run");
        assert_eq!(config["seed"], row["seed"]);
    }
    let csv = std::fs::read_to_string(out.join("table.csv")).unwrap();
    let table: Vec<&str> = csv.lines().collect();
    assert_eq!(table.len(), 3, "{csv}");
    assert!(table[1].starts_with("0-1,") && table[1].contains(",2,"), "{csv}");
    assert!(std::fs::read(out.join("sweep.png")).unwrap().starts_with(b"\x89PNG"));

    // A run whose row was lost (killed after training) resumes from its final checkpoint and
    // gives the same row; the finished ones are not run again.
    let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let (kept, lost) = text.trim_end().rsplit_once('\n').unwrap();
    std::fs::write(out.join("results.jsonl"), format!("{kept}\n")).unwrap();
    let metrics = |run: &str| std::fs::read_to_string(out.join("runs").join(run).join("metrics.jsonl")).unwrap();
    let lost_run: Json = serde_json::from_str(lost).unwrap();
    let before = metrics(lost_run["run"].as_str().unwrap());
    let output = limbic_ok(&["sweep", file, "--out", out_arg]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("3 runs already finished, 1 to go"));
    let after = lines(&out.join("results.jsonl"));
    assert_eq!(after.len(), 4);
    assert_eq!(&after[..3], &rows[..3]);
    assert_eq!(after[3], lost_run, "the resumed run gives the same row");
    assert_eq!(metrics(lost_run["run"].as_str().unwrap()), before, "resumed, not trained again");
    // Nothing left: a third call runs nothing and keeps the results.
    limbic_ok(&["sweep", file, "--out", out_arg, "--quiet"]);
    assert_eq!(lines(&out.join("results.jsonl")), after);
}

#[test]
fn bad_sweep_files_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let out = tmp.path().join("out");
    let out = out.to_str().unwrap();
    let unknown = write("unknown.json", r#"{"seeds": 1, "gird": {"num_envs": [1]}}"#);
    assert_fails_with(&limbic(&["sweep", &unknown, "--out", out]), &["unknown field `gird`", "unknown.json"]);
    let not_list = write("not_list.json", r#"{"seeds": 1, "grid": {"num_envs": 2}}"#);
    assert_fails_with(&limbic(&["sweep", &not_list, "--out", out]), &["num_envs", "list"]);
    let bad_key = write("bad_key.json", r#"{"env": "CartPole-v1", "seeds": 1, "grid": {"num_env": [1]}}"#);
    assert_fails_with(&limbic(&["sweep", &bad_key, "--out", out]), &["num_env"]);
    let ok = write("ok.json", r#"{"env": "CartPole-v1", "algo": "random", "seeds": 1}"#);
    assert_fails_with(&limbic(&["sweep", &ok, "--out", out, "--backend", "ray"]), &["--address"]);
    assert_fails_with(&limbic(&["sweep", "/nonexistent/sweep.json"]), &["/nonexistent/sweep.json"]);
    // The folder above became `ok`'s (its copy of the sweep file) before the backend was refused:
    // another sweep may not write there, nor any sweep into a folder of someone else's files.
    let copy: Json =
        serde_json::from_str(&std::fs::read_to_string(Path::new(out).join("sweep.json")).unwrap()).unwrap();
    assert_eq!(copy["algo"], "random");
    let other = write("other.json", r#"{"env": "CartPole-v1", "algo": "random", "seeds": 2}"#);
    assert_fails_with(&limbic(&["sweep", &other, "--out", out]), &["holds another sweep"]);
    let mine = tmp.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "mine").unwrap();
    assert_fails_with(&limbic(&["sweep", &ok, "--out", mine.to_str().unwrap()]), &["files a sweep did not write"]);
    let left: Vec<_> = std::fs::read_dir(&mine).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(
        (left, std::fs::read_to_string(mine.join("notes.txt")).unwrap()),
        (vec!["notes.txt".into()], "mine".into())
    );
}
