//! Hierarchical controllers end to end: option-critic and manager-worker train, log their
//! metrics, resume exactly, trace their choices and refuse bad configs with errors that name
//! the field.

mod common;

use common::{assert_fails_with, limbic, limbic_ok, quiet, read_lines, temp_dir, train_args, without_wall_clock};
use limbic::config::RunConfig;
use limbic::runner::{build_algorithm, resume, train};
use serde_json::json;

/// A tiny run of `algo` on MiniGrid-Empty-5x5 (2 sub-envs x 64 steps per update).
fn tiny(algo: &str, total_steps: u64) -> RunConfig {
    let mut config = RunConfig {
        env: "MiniGrid-Empty-5x5-v0".into(),
        algo: algo.into(),
        seed: 5,
        total_steps,
        num_envs: 2,
        eval_episodes: 1,
        eval_every: 0,
        checkpoint_every: 0,
        params: json!({"n_steps": 64, "batch_size": 64, "n_epochs": 1, "net_arch": [16]}),
        ..RunConfig::default()
    };
    if algo == "manager-worker" {
        config.params["period"] = json!(4);
        config.params["goal"] = json!({"kind": "cell", "radius": 2});
        config.params["manager"] = json!({"batch_size": 16, "n_epochs": 1, "net_arch": [16]});
        config.rewards = serde_json::from_value(json!([
            {"name": "goal_reaching", "stream": "own", "gamma": 0.9}
        ]))
        .unwrap();
    } else {
        config.params["options"] = json!(3);
        config.params["deliberation_cost"] = json!(0.01);
    }
    config
}

/// Both levels (weights, optimizers, generators, each row's option or goal in force) are in the
/// checkpoint: a run extended from its final checkpoint writes the lines of the run that went
/// straight to the end.
#[test]
fn hierarchical_runs_resume_exactly_and_log_their_choices() {
    for (algo, metric) in [("option-critic", "options/mean_length"), ("manager-worker", "goals/reach_rate")] {
        let tmp = temp_dir();
        let (whole, extended) = (tmp.path().join("whole"), tmp.path().join("extended"));
        train(&tiny(algo, 512), &whole, &build_algorithm, &quiet()).unwrap();
        train(&tiny(algo, 256), &extended, &build_algorithm, &quiet()).unwrap();
        resume(&extended, Some(512), &build_algorithm, &quiet()).unwrap();
        let strip = |lines| {
            let mut lines = without_wall_clock(lines);
            lines.iter_mut().for_each(|l| l.retain(|k, _| !k.starts_with("eval/")));
            lines
        };
        let (a, b) = (strip(read_lines(&whole)), strip(read_lines(&extended)));
        assert_eq!(a.len(), 4, "{algo}");
        assert!(a.iter().all(|l| l.contains_key(metric)), "{algo}: {:?}", a[0].keys());
        if algo == "manager-worker" {
            assert!(a[3].contains_key("manager/loss/value") && a[3].contains_key("reward/goal_reaching/raw_mean"));
            let length = a[3]["goals/mean_length"].as_f64().unwrap();
            assert!((1.0..=4.0).contains(&length), "goals last at most `period` steps: {length}");
        }
        assert_eq!(a, b, "{algo}");
    }
}

/// `limbic eval --trace` has the option or goal of every step; the GIF marks it.
#[test]
fn traces_show_the_option_and_the_goal_per_step() {
    for (algo, names) in [
        ("option-critic", &["option", "options/beta", "options/switched"][..]),
        ("manager-worker", &["goal/target", "goal/relative", "goal/decided"][..]),
    ] {
        let tmp = temp_dir();
        let out = tmp.path().join("run");
        limbic_ok(&train_args(&tiny(algo, 128), &out).iter().map(String::as_str).collect::<Vec<_>>());
        let trace = tmp.path().join("trace.jsonl");
        let gif = tmp.path().join("episode.gif");
        let (run, trace_s, gif_s) = (out.to_str().unwrap(), trace.to_str().unwrap(), gif.to_str().unwrap());
        limbic_ok(&["eval", "--run", run, "--episodes", "1", "--trace", trace_s, "--gif", gif_s]);
        let text = std::fs::read_to_string(&trace).unwrap();
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        for name in names {
            assert!(first["values"][name].is_array(), "{algo}: {name} missing in {first}");
        }
        if algo == "manager-worker" {
            assert_eq!(first["values"]["goal/decided"], json!([1.0]), "the first step sets a goal");
        }
        assert_eq!(&std::fs::read(&gif).unwrap()[..6], b"GIF89a");
    }
}

#[test]
fn bad_hierarchy_configs_name_the_field() {
    let tmp = temp_dir();
    let run = |config: RunConfig, needles: &[&str]| {
        let out = tmp.path().join(format!("bad{}", needles[0].len()));
        let args = train_args(&config, &out);
        assert_fails_with(&limbic(&args.iter().map(String::as_str).collect::<Vec<_>>()), needles);
    };
    let mut zero_period = tiny("manager-worker", 128);
    zero_period.params["period"] = json!(0);
    run(zero_period, &["period", "at least 1"]);
    let mut zero_options = tiny("option-critic", 128);
    zero_options.params["options"] = json!(0);
    run(zero_options, &["options", "at least 1"]);
    let without_signal = RunConfig { rewards: Vec::new(), ..tiny("manager-worker", 128) };
    run(without_signal, &["rewards", "goal_reaching"]);
    // Cell goals need a gridworld's state: CartPole has none.
    let cartpole = RunConfig { env: "CartPole-v1".into(), ..tiny("manager-worker", 128) };
    run(cartpole, &["config `goal`: kind `cell` needs a gridworld"]);
    let mut bad_radius = tiny("manager-worker", 128);
    bad_radius.params["goal"] = json!({"kind": "cell", "radius": 0});
    run(bad_radius, &["goal.radius"]);
    let mut with_memory = tiny("manager-worker", 128);
    with_memory.policy = serde_json::from_value(json!({"memory": {"kind": "gru", "size": 8}})).unwrap();
    run(with_memory, &["manager-worker"]);
}
