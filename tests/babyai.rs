//! BabyAI's instruction-conditioned agents through the binary: the bot's demonstrations with
//! the mission as word indices, BC reading them with an instruction encoder (beside the CNN or
//! conditioning FiLM), PPO on the BabyAI preset, and the runs reloading.

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

fn json_file(path: &Path) -> Json {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Records `episodes` BabyAI-GoToLocal episodes of the bot with the mission as word indices.
fn babyai_demos(dir: &Path, episodes: &str) -> String {
    let out = dir.join("babyai-demos");
    let mut args = vec!["demos", "record", "--env", "BabyAI-GoToLocal-v0", "--kwargs", r#"{"mission_words": true}"#];
    args.extend(["--policy", "scripted", "--episodes", episodes, "--seed", "0", "--out", out.to_str().unwrap()]);
    args.extend(["--ref-scores", "--quiet"]);
    ok(&args);
    out.to_str().unwrap().to_string()
}

#[test]
fn bc_follows_babyai_missions_with_an_instruction_encoder_and_the_run_reloads() {
    let tmp = tempfile::tempdir().unwrap();
    let demos = babyai_demos(tmp.path(), "6");
    let small = ["--set", "max_epochs=2", "--set", "batch_size=64", "--set", "policy.instruction.size=16"];
    for (reading, extra) in [
        ("gru", &["--set", "policy.instruction.kind=gru"][..]),
        ("film", &["--set", "policy.instruction.kind=bow", "--set", r#"policy.film={"channels": 8, "blocks": 1}"#][..]),
    ] {
        let run = tmp.path().join(format!("run-{reading}"));
        let mut args = vec!["imitate", "--algo", "bc", "--demos", &demos, "--episodes", "3", "--quiet"];
        args.extend(small);
        args.extend(extra);
        args.extend(["--out", run.to_str().unwrap()]);
        ok(&args);
        let written = json_file(&run.join("imitate.json"));
        assert_eq!(written["env"], "BabyAI-GoToLocal-v0", "{written}");
        assert!(written["success_rate"].as_f64().is_some(), "BabyAI reports success: {written}");
        let config = json_file(&run.join("config.json"));
        assert_eq!(config["env_kwargs"]["mission_words"], true, "{config}");
        assert!(config["policy"]["instruction"]["kind"].is_string(), "{config}");
        // The saved policy (embeddings, GRU or FiLM with its batch-norm averages) acts the same.
        let eval = ok(&["eval", "--run", run.to_str().unwrap(), "--episodes", "3", "--json"]);
        let eval: Json = serde_json::from_slice(&eval.stdout).expect("eval prints JSON");
        assert_eq!(eval["returns"], written["returns"], "{reading}");
    }
    // Missions in words and no encoder for them: the error says what to set.
    assert_fails_with(
        &limbic(&["imitate", "--algo", "bc", "--demos", &demos, "--episodes", "1", "--quiet"]),
        &["policy.instruction"],
    );
}

#[test]
fn ppo_trains_on_a_babyai_level_with_the_preset_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let run_s = run.to_str().unwrap();
    let small = ["--set", "params.n_steps=16", "--set", "params.batch_size=32"];
    let mut args = vec!["train", "--env", "BabyAI-GoToLocal-v0", "--steps", "64", "--num-envs", "2", "--out", run_s];
    args.extend(["--quiet", "--set", "eval_every=32", "--set", "eval_episodes=2"]);
    args.extend(small);
    ok(&args);
    let config = json_file(&run.join("config.json"));
    assert_eq!(config["env_kwargs"]["mission_words"], true, "the BabyAI preset: {config}");
    assert_eq!(config["policy"]["instruction"]["kind"], "gru", "{config}");
    ok(&["train", "--resume", run_s, "--steps", "128", "--quiet"]);
    let eval = ok(&["eval", "--run", run_s, "--episodes", "2", "--json"]);
    let eval: Json = serde_json::from_slice(&eval.stdout).expect("eval prints JSON");
    assert!(eval["success_rate"].as_f64().is_some(), "{eval}");
    // An instruction encoder on an observation without words: the error says what to set.
    let other = tmp.path().join("other");
    let bad = limbic(&[
        "train",
        "--env",
        "MiniGrid-Empty-5x5-v0",
        "--steps",
        "64",
        "--out",
        other.to_str().unwrap(),
        "--set",
        "policy.instruction.kind=gru",
    ]);
    assert_fails_with(&bad, &["policy.instruction", "mission_words"]);
}
