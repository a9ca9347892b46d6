//! Issue #12 reproduced and fixed: no command destroys or corrupts a user's work. One test per
//! numbered problem, then the smaller ones. (The fault-injection suite is `tests/faults.rs`.)

mod common;

use common::{assert_fails_with, files, limbic, limbic_ok, quiet, small_config, temp_dir, tiny_ppo, train_args};
use limbic::lock::DirLock;
use limbic::runner::{build_algorithm, resume, train};
use std::path::Path;

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn record(out: &Path, extra: &[&str]) -> std::process::Output {
    record_with("scripted", out, extra)
}

fn record_with(policy: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["demos", "record", "--env", "CartPole-v1", "--policy", policy, "--episodes", "2"];
    args.extend(["--out", s(out), "--quiet"]);
    args.extend(extra);
    limbic(&args)
}

/// Problem 1: `demos record --force` replaces a dataset, never a user's folder, a run or a file.
#[test]
fn force_replaces_only_what_limbic_wrote() {
    let tmp = temp_dir();
    let folder = tmp.path().join("x");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("notes.txt"), "keep").unwrap();
    assert_fails_with(&record(&folder, &["--force"]), &["notes.txt", "not a dataset limbic recognises"]);
    assert_eq!(std::fs::read_to_string(folder.join("notes.txt")).unwrap(), "keep");

    let run = tmp.path().join("run");
    train(&small_config(), &run, &build_algorithm, &quiet()).unwrap();
    let before = files(&run);
    assert_fails_with(&record(&run, &["--force"]), &["config.json", "not a dataset"]);
    assert_eq!(files(&run), before, "the run is untouched");

    let file = tmp.path().join("plain");
    std::fs::write(&file, "keep").unwrap();
    assert_fails_with(&record(&file, &["--force"]), &["a file of 4 bytes"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");

    // A dataset is replaced; a run directory only by `train --force`, and only a run directory.
    let dataset = tmp.path().join("demos");
    assert!(record(&dataset, &[]).status.success());
    assert_fails_with(&record(&dataset, &[]), &["already exists", "--force"]);
    assert!(record(&dataset, &["--force", "--seed", "5"]).status.success());
    let mut config = small_config();
    config.total_steps = 300;
    let mut args = train_args(&config, &folder);
    args.push("--force".into());
    assert_fails_with(&limbic(&args.iter().map(String::as_str).collect::<Vec<_>>()), &["notes.txt"]);
    let mut args = train_args(&config, &run);
    args.push("--force".into());
    limbic_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(common::read_lines(&run).len(), 2, "the new, shorter run replaced the old");
    let names: Vec<String> =
        std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "nothing hidden left: {names:?}");
}

/// Problem 2: Readers (`eval`, `compare`, `demos record --policy`) never delete anything, not even a
/// folder that looks half-built: it may be the checkpoint a trainer is writing.
#[test]
fn reading_a_run_changes_nothing_in_it() {
    let tmp = temp_dir();
    let run = tmp.path().join("run");
    train(&small_config(), &run, &build_algorithm, &quiet()).unwrap();
    std::fs::create_dir_all(run.join("checkpoints/.tmp-step_3150/algorithm")).unwrap();
    std::fs::write(run.join("checkpoints/.tmp-step_3150/algorithm/random.json"), "being written").unwrap();
    let before = files(&run);
    limbic_ok(&["eval", "--run", s(&run), "--episodes", "2"]);
    limbic_ok(&["compare", s(&run), "--out", s(&tmp.path().join("c.png"))]);
    assert!(record_with(s(&run), &tmp.path().join("demos"), &[]).status.success());
    assert_eq!(files(&run), before);
}

/// Problem 3: PPO checkpoints carry checksums: a flipped bit in the weights stops `eval`, one in the
/// optimizer moments stops `--resume`, each with the file named.
#[test]
fn a_flipped_bit_in_a_ppo_checkpoint_is_caught() {
    let tmp = temp_dir();
    let run = tmp.path().join("run");
    train(&tiny_ppo(128), &run, &build_algorithm, &quiet()).unwrap();
    let flip = |file: &Path| {
        let mut bytes = std::fs::read(file).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x04;
        std::fs::write(file, bytes).unwrap();
    };
    let model = run.join("checkpoints/best/algorithm/ppo_model.bpk");
    flip(&model);
    assert_fails_with(&limbic(&["eval", "--run", s(&run)]), &["ppo_model.bpk", "checksum"]);
    flip(&model);
    limbic_ok(&["eval", "--run", s(&run)]);
    flip(&run.join("checkpoints/step_128/algorithm/ppo_optimizer.bpk"));
    let message = format!("{:#}", resume(&run, Some(192), &build_algorithm, &quiet()).unwrap_err());
    assert!(message.contains("ppo_optimizer.bpk") && message.contains("checksum"), "{message}");
}

/// Problem 4: One writer per directory: a second gets an error naming the first one's pid, until the
/// first is gone (here the test process holds the lock, as a running `train` would).
#[test]
fn a_second_writer_is_refused_with_the_owners_pid() {
    let tmp = temp_dir();
    let run = tmp.path().join("run");
    train(&small_config(), &run, &build_algorithm, &quiet()).unwrap();
    let before = files(&run);
    let lock = DirLock::acquire(&run).unwrap();
    let pid = format!("pid {}", std::process::id());
    assert_fails_with(&limbic(&["train", "--resume", s(&run), "--steps", "3300"]), &[&pid, "another limbic process"]);
    let fresh = tmp.path().join("fresh");
    let fresh_lock = DirLock::acquire(&fresh).unwrap();
    let args = train_args(&small_config(), &fresh);
    assert_fails_with(&limbic(&args.iter().map(String::as_str).collect::<Vec<_>>()), &[&pid]);
    assert_fails_with(&record(&fresh, &[]), &[&pid]);
    assert_eq!(files(&run), before);
    assert!(!fresh.exists());
    drop((lock, fresh_lock));
    limbic_ok(&["train", "--resume", s(&run), "--steps", "3300", "--quiet"]);
}

/// Problem 5: Sizes are checked against the memory the machine has before anything is allocated.
#[test]
fn impossible_sizes_are_refused_at_once() {
    let out = limbic(&["bench", "env", "--env", "CartPole-v1", "--num-envs", "100000000000"]);
    assert_fails_with(&out, &["--num-envs 100000000000 needs about", "GB", "available"]);
    let tmp = temp_dir();
    let mut config = small_config();
    config.num_envs = 1 << 40;
    let message = format!("{:#}", train(&config, &tmp.path().join("run"), &build_algorithm, &quiet()).unwrap_err());
    assert!(message.contains("needs about"), "{message}");
}

#[test]
fn resume_refuses_what_it_cannot_continue() {
    let tmp = temp_dir();
    // No checkpoint yet: refused with the reason, not silently restarted.
    let run = tmp.path().join("short");
    let mut config = small_config();
    config.checkpoint_every = 50_000;
    train(&config, &run, &common::failing(5, common::Failure::Crash), &quiet()).unwrap_err();
    let message = format!("{:#}", resume(&run, None, &build_algorithm, &quiet()).unwrap_err());
    assert!(message.contains("no checkpoint to resume from") && message.contains("--force"), "{message}");
    assert_eq!(common::read_lines(&run).len(), 4, "nothing was rerun");

    // Fewer steps than done: refused, config untouched.
    let run = tmp.path().join("done");
    train(&small_config(), &run, &build_algorithm, &quiet()).unwrap();
    let config_before = std::fs::read(run.join("config.json")).unwrap();
    let message = format!("{:#}", resume(&run, Some(1000), &build_algorithm, &quiet()).unwrap_err());
    assert!(message.contains("below the 3000 env steps") && message.contains("--steps"), "{message}");
    assert_eq!(std::fs::read(run.join("config.json")).unwrap(), config_before);
    // A finished run resumed as it is (killed while writing its report, say) writes its report.
    std::fs::remove_file(run.join("eval.json")).unwrap();
    resume(&run, None, &build_algorithm, &quiet()).unwrap();
    assert!(run.join("eval.json").is_file());
    assert_eq!(std::fs::read(run.join("config.json")).unwrap(), config_before);

    // A config edited to another env of the same spaces, or another seed: refused by resume and eval.
    let edits = [
        ("\"CartPole-v1\"", "\"CartPole-v0\"", "\"CartPole-v0\" now"),
        ("\"seed\": 7", "\"seed\": 8", "`seed` 7 in the checkpoint, 8 now"),
    ];
    for (from, to, said) in edits {
        let text = String::from_utf8(config_before.clone()).unwrap();
        std::fs::write(run.join("config.json"), text.replace(from, to)).unwrap();
        let message = format!("{:#}", resume(&run, Some(3600), &build_algorithm, &quiet()).unwrap_err());
        assert!(message.contains("no longer agrees") && message.contains(said), "{message}");
        assert_fails_with(&limbic(&["eval", "--run", s(&run)]), &["no longer agrees"]);
    }
    std::fs::write(run.join("config.json"), &config_before).unwrap();

    // A run `imitate` trained in one go (BC) is not a training run to continue.
    let bc = tmp.path().join("bc");
    let demos = tmp.path().join("demos");
    assert!(record(&demos, &[]).status.success());
    limbic_ok(&["imitate", "--algo", "bc", "--demos", s(&demos), "--episodes", "2", "--out", s(&bc), "--json"]);
    let message = format!("{:#}", resume(&bc, None, &build_algorithm, &quiet()).unwrap_err());
    assert!(message.contains("not a training run to continue"), "{message}");
    let out = limbic(&["imitate", "--algo", "bc", "--demos", s(&demos), "--episodes", "2", "--out", s(&bc), "--json"]);
    assert_fails_with(&out, &["already exists", "--force"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("--resume"));
    limbic_ok(&[
        "imitate",
        "--algo",
        "bc",
        "--demos",
        s(&demos),
        "--episodes",
        "2",
        "--out",
        s(&bc),
        "--force",
        "--json",
    ]);
}

#[test]
fn seeds_are_checked_for_every_use_before_work_starts() {
    let out = limbic(&[
        "train",
        "--algo",
        "random",
        "--seed",
        "18446744073709551000",
        "--steps",
        "100",
        "--out",
        "/nonexistent/x",
    ]);
    assert_fails_with(&out, &["seed` 18446744073709551000 is too large", "at most 18446744073708551596"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("too large").count(), 1, "said once: {err}");
    let tmp = temp_dir();
    let out = record(&tmp.path().join("d"), &["--seed", "18446744073709551615"]);
    assert_fails_with(&out, &["--seed 18446744073709551615 is too large", "at most 18446744073709551614"]);
    assert!(!tmp.path().join("d").exists());
}

#[test]
fn outputs_and_names_are_checked() {
    let tmp = temp_dir();
    let run = tmp.path().join("run");
    train(&small_config(), &run, &build_algorithm, &quiet()).unwrap();
    let txt = tmp.path().join("c.txt");
    assert_fails_with(&limbic(&["compare", s(&run), "--out", s(&txt)]), &["c.txt", ".png"]);
    assert!(!txt.exists());
    let out = limbic(&["eval", "--run", s(&run), "--checkpoint", "step_999"]);
    assert_fails_with(&out, &["no checkpoint `step_999`", "best, step_2700, step_3000"]);
    limbic_ok(&["eval", "--run", s(&run), "--checkpoint", "step_2700", "--episodes", "2"]);
}

#[test]
fn almost_surely_wrong_values_are_warned_about_or_refused() {
    let tmp = temp_dir();
    let mut config = tiny_ppo(32);
    config.params["learning_rate"] = 1e10.into();
    let out = limbic(&train_args(&config, &tmp.path().join("a")).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(String::from_utf8_lossy(&out.stderr).contains("learning_rate = 10000000000 is above 1"));
    config.params["learning_rate"] = 3e-4.into();
    config.params["net_arch"] = serde_json::json!([0]);
    let out = limbic(&train_args(&config, &tmp.path().join("b")).iter().map(String::as_str).collect::<Vec<_>>());
    assert_fails_with(&out, &["net_arch", "width 0"]);

    // A dataset whose metadata names other spaces than its env's.
    let demos = tmp.path().join("demos");
    assert!(record(&demos, &[]).status.success());
    let meta = demos.join("data/metadata.json");
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&meta).unwrap()).unwrap();
    // A hand-edited file, its checksum and writer removed as the checksum error says.
    for key in ["limbic_metadata_checksum", "limbic_writer"] {
        json.as_object_mut().unwrap().remove(key);
    }
    json["action_space"] = r#"{"type": "Discrete", "dtype": "int64", "start": 0, "n": 3}"#.into();
    std::fs::write(&meta, json.to_string()).unwrap();
    let info = limbic_ok(&["demos", "info", s(&demos)]);
    assert!(String::from_utf8_lossy(&info.stdout).contains("warning   the metadata does not fit the env"));
    let out = limbic(&["imitate", "--algo", "bc", "--demos", s(&demos), "--episodes", "2"]);
    assert_fails_with(&out, &["Discrete(3)", "Discrete(2)"]);
}
