//! `limbic train --algo dreamer` and `limbic dream` through the binary: a tiny world model on
//! CartPole sharing itself with a curiosity signal, its dream, and the bad input `dream` names.

mod common;

use common::{assert_fails_with, limbic, limbic_ok};
use serde_json::Value as Json;
use std::path::Path;

/// A Dreamer run small enough for a test: a gradient step every 4 env steps from the 64th on.
fn train_dreamer(dir: &Path) {
    let params = r#"params={"world_model": {"deter": 16, "stoch": 4, "classes": 4, "units": 16, "layers": 1},
        "units": 16, "layers": 1, "batch_size": 4, "seq_len": 8, "train_ratio": 8, "learning_starts": 64,
        "horizon": 5, "buffer_size": 1000, "imag_starts": 16}"#;
    let signal = r#"rewards=[{"name": "latent_disagreement", "weight": 0.01,
        "params": {"ensemble_size": 2, "hidden": [8], "batch_size": 8}}]"#;
    let dir = dir.to_str().unwrap();
    limbic_ok(&[
        "train",
        "--env",
        "CartPole-v1",
        "--algo",
        "dreamer",
        "--steps",
        "160",
        "--num-envs",
        "1",
        "--seed",
        "2",
        "--set",
        params,
        "--set",
        "eval_every=80",
        "--set",
        "eval_episodes=1",
        "--set",
        signal,
        "--out",
        dir,
        "--quiet",
    ]);
}

#[test]
fn dreamer_trains_and_dreams_with_its_model_shared() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    train_dreamer(&run);
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let last: Json = serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
    for key in ["world_model/recon", "world_model/kl_dyn", "actor/loss", "critic/loss"] {
        assert!(metrics.contains(key), "metrics log {key}");
    }
    assert!(last["gradient_steps"].as_f64().unwrap() > 0.0, "{last}");
    // The signal reads Dreamer's model: it logs its predictors' loss, never a model of its own.
    assert!(metrics.contains("latent_disagreement/loss"), "the signal trains its predictors");
    assert!(!metrics.contains("latent_disagreement/world_model"), "the signal trains no model of its own");

    let (gif, plot) = (tmp.path().join("dream.gif"), tmp.path().join("error.png"));
    let run_arg = run.to_str().unwrap();
    let out = limbic_ok(&[
        "dream",
        "--run",
        run_arg,
        "--env",
        "CartPole-v1",
        "--seed",
        "7",
        "--steps",
        "12",
        "--context",
        "3",
        "--out",
        gif.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
        "--json",
    ]);
    let summary: Json = serde_json::from_slice(&out.stdout).unwrap();
    let errors = summary["errors"][0].as_array().unwrap();
    assert!((4..=13).contains(&errors.len()), "{summary}");
    assert!(errors.iter().all(|e| e.as_f64().unwrap().is_finite() && e.as_f64().unwrap() >= 0.0), "{summary}");
    assert!(summary["open_loop_error"].as_f64().unwrap() >= 0.0, "{summary}");
    assert!(std::fs::read(&gif).unwrap().starts_with(b"GIF89a"));
    assert!(std::fs::read(&plot).unwrap().starts_with(b"\x89PNG"));

    // Bad input is named: another env's observations, a file name that is not a GIF.
    let other = limbic(&["dream", "--run", run_arg, "--env", "Acrobot-v1", "--out", gif.to_str().unwrap()]);
    assert_fails_with(&other, &["Acrobot-v1", "4"]);
    let png = limbic(&["dream", "--run", run_arg, "--env", "CartPole-v1", "--out", "dream.png"]);
    assert_fails_with(&png, &["--out", ".gif"]);
}

#[test]
fn dream_on_a_run_without_a_world_model_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("random");
    let dir = run.to_str().unwrap();
    limbic_ok(&["train", "--env", "CartPole-v1", "--algo", "random", "--steps", "64", "--out", dir, "--quiet"]);
    let gif = tmp.path().join("dream.gif");
    let out = limbic(&["dream", "--run", dir, "--env", "CartPole-v1", "--out", gif.to_str().unwrap()]);
    assert_fails_with(&out, &["no world model", "dreamer"]);
    assert!(!gif.exists());
}
