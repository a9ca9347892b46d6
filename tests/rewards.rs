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
    assert!(
        text.contains("default weight 0.1, normalization rms, stream: own") && text.contains("caveats: "),
        "{text}"
    );
    assert!(text.contains("default weight 0.1, normalization minmax, stream: own"), "{text}");
}

/// A 512-step PPO run on `env` (2 envs, 64-step rollouts, no evaluation or periodic
/// checkpoints) with `rewards`: what the exact-resume tests extend from its midpoint.
fn short_ppo_run(env: &str, seed: u64, rewards: serde_json::Value) -> RunConfig {
    RunConfig {
        env: env.into(),
        algo: "ppo".into(),
        seed,
        total_steps: 512,
        num_envs: 2,
        eval_episodes: 1,
        eval_every: 0,
        checkpoint_every: 0,
        params: json!({"n_steps": 64, "batch_size": 64, "n_epochs": 1}),
        rewards: serde_json::from_value(rewards).unwrap(),
        ..RunConfig::default()
    }
}

/// A run with lifelong and episodic counts (and an own stream) extended from its final
/// checkpoint writes the same lines as the run that went straight to the end.
#[test]
fn a_shaped_run_resumes_exactly() {
    let rewards = json!([
        {"name": "counts", "weight": 0.01},
        {"name": "counts", "label": "episodic", "stream": "own", "params": {"memory": "episodic"}}]);
    let config = short_ppo_run("MiniGrid-Empty-5x5-v0", 3, rewards);
    let (a, b) = whole_and_extended(&config);
    assert_eq!(a.len(), 8);
    assert!(a[7].contains_key("reward/episodic/raw_mean"));
    assert_same_lines(&a, &b);
}

/// PPO runs shaped by preferences and by evaluative feedback (TAMER and COACH), extended
/// from a checkpoint taken in the middle of episodes, write the same lines as the runs that
/// went straight to the end: the signals' recorders, pools, questions and models resume, and
/// so do the draws of teachers that make mistakes or add noise.
#[test]
fn on_policy_feedback_runs_resume_exactly_from_the_middle_of_episodes() {
    for signal in [
        json!({"name": "preferences", "params": {"segment": 10, "per_update": 4, "budget": 40, "epochs": 2,
            "teacher": "stochastic", "teacher_params": {"mistake": 0.2}}}),
        json!({"name": "evaluative", "params": {"budget": 150, "every": 7, "epochs": 2, "teacher": "noisy"}}),
        json!({"name": "evaluative", "params": {"budget": 150, "mode": "coach"}}),
    ] {
        let config = short_ppo_run("CartPole-v1", 4, json!([signal, {"name": "extrinsic", "weight": 0.0}]));
        let (a, b) = whole_and_extended(&config);
        let name = signal["name"].as_str().unwrap();
        let labels = |line: &Line| line[&format!("reward/{name}/labels")].as_f64().unwrap();
        // Questions were asked before and after the checkpoint (at line 4 of 8).
        assert!(labels(&a[3]) > 0.0 && labels(&a[7]) > labels(&a[3]), "{signal}: {:?}", a[7]);
        assert_same_lines(&a, &b);
    }
}

/// A run whose teacher judges actions by the scripted expert's plan (the envs advised, the
/// advice in the signal's clips and recorder) resumes exactly too.
#[test]
fn a_run_taught_by_the_expert_teacher_resumes_exactly() {
    let signal = json!({"name": "evaluative", "params": {"budget": 400, "every": 3, "mode": "coach", "credit": [0, 0],
        "teacher": "noisy", "teacher_params": {"judge": "progress", "noise": 0.1}}});
    let config = short_ppo_run("MiniGrid-Empty-5x5-v0", 4, json!([signal, {"name": "extrinsic", "weight": 0.0}]));
    let (a, b) = whole_and_extended(&config);
    let labels = |line: &Line| line["reward/evaluative/labels"].as_f64().unwrap();
    assert!(labels(&a[3]) > 0.0 && labels(&a[7]) > labels(&a[3]), "{:?}", a[7]);
    assert_same_lines(&a, &b);
}

/// The advice channel end to end on two sub-envs of Empty-5x5 (start (1, 1) facing east, goal
/// (3, 3), 5 actions away): the runner carries each sub-env's judgement of its own step, a
/// NEXT_STEP reset row has none, and the `expert` teacher's scores reach the very steps they
/// judge (COACH's reward of each slot is its score).
#[test]
fn the_advice_channel_fills_each_sub_env_step_and_the_expert_teacher_scores_it() {
    use limbic_agents::policies::{Acted, EnvActions};
    use limbic_agents::runner::{ActionSource, EnvRunner};
    use limbic_agents::shaping::Transitions;
    use limbic_environments::vector::VecEnv;
    use limbic_environments::wrappers::Advised;
    use limbic_environments::{make, Env, Kwargs, Space};
    use limbic_rewards::feedback::TeacherWithHistory;
    use limbic_rewards::signals::evaluative::Evaluative;
    use limbic_rewards::teachers::SyntheticTeacher;
    use limbic_rewards::{IntrinsicReward, SignalContext};

    /// Plays row `i`'s actions in turn.
    struct Script(Vec<Vec<i64>>, usize);
    impl<E: Env> ActionSource<E> for Script {
        fn choose(&mut self, _: &mut VecEnv<E>, _: &[f32], _: &[bool]) -> limbic_agents::Result<Acted> {
            let actions: Vec<i64> = self.0.iter().map(|row| row[self.1]).collect();
            self.1 += 1;
            Ok(Acted::chosen(actions.iter().map(|&a| a as f32).collect(), EnvActions::Discrete(actions), 2))
        }
    }
    const ID: &str = "MiniGrid-Empty-5x5-v0";
    let advised = || Advised::new(make(ID, &Kwargs::new()).unwrap(), ID).unwrap();
    let mut envs = VecEnv::new(vec![advised(), advised()]).unwrap();
    envs.reset(Some(0)).unwrap();
    // Left 0, right 1, forward 2, toggle 5. Row 0 solves it (the 6th action only resets the
    // row), then turns away; row 1 turns left and left: facing south is as good as east.
    let (left, right, forward) = (0, 1, 2);
    let script =
        vec![vec![forward, forward, right, forward, forward, 5, left], vec![left, left, left, left, left, left, left]];
    // Per step: [row 0, row 1].
    let expected = [[1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [1.0, -1.0], [1.0, -1.0], [0.0, -1.0], [-1.0, 1.0]];
    let (steps, n, d) = (script[0].len(), 2, envs.obs_dim());
    let context = SignalContext {
        obs_dim: d,
        observation_space: envs.envs()[0].flat_space().clone(),
        action_space: Space::discrete(7),
        num_envs: n,
        seed: 0,
    };
    let params =
        json!({"teacher": "expert", "mode": "coach", "every": 1, "window": 1, "credit": [0, 0], "budget": 100});
    let mut signal = Evaluative::new(&params, &context).unwrap();
    let teacher = SyntheticTeacher::new("expert", &json!({}), 0).unwrap();
    signal.attach_teacher(TeacherWithHistory::new(Box::new(teacher))).unwrap();
    let (mut runner, mut source) = (EnvRunner::default(), Script(script, 0));
    let mut columns: [Vec<f32>; 5] = Default::default();
    let mut flags: [Vec<bool>; 3] = Default::default();
    for (t, want) in expected.iter().enumerate() {
        let batch = runner.step(&mut envs, &mut source).unwrap();
        assert_eq!(batch.advice, want, "step {t}");
        let valid: Vec<bool> = (0..n).map(|i| batch.is_transition(i)).collect();
        let rewards: Vec<f32> = batch.rewards.iter().map(|&r| r as f32).collect();
        for (column, part) in
            columns.iter_mut().zip([&batch.raw_obs, &batch.acted.actions, &rewards, &batch.next_obs, &batch.advice])
        {
            column.extend_from_slice(part);
        }
        for (column, part) in flags.iter_mut().zip([&batch.terminated, &batch.truncated, &valid]) {
            column.extend_from_slice(part);
        }
    }
    assert!(flags[0][4 * n], "row 0 reached the goal at step 4");
    let all = Transitions {
        steps,
        envs: n,
        obs_dim: d,
        action_dim: 1,
        obs: &columns[0],
        actions: &columns[1],
        rewards: &columns[2],
        next_obs: &columns[3],
        terminated: &flags[0],
        truncated: &flags[1],
        valid: &flags[2],
        goal_dim: 0,
        goals: &[],
        next_goals: &[],
        advice: &columns[4],
    };
    for t in 0..steps {
        signal.observe(&all.step_range(t..t + 1)).unwrap();
    }
    let mut out = vec![9.0; steps * n];
    signal.compute(&all, &mut out).unwrap();
    assert_eq!(out, expected.concat(), "each slot earns its own judgement (the reset slot none)");
}

/// Asking for a teacher that judges actions on an env without a scripted expert is an error
/// that names the env, before any step.
#[test]
fn the_expert_teacher_on_an_env_without_an_expert_is_an_error_naming_it() {
    let tmp = temp_dir();
    let out = tmp.path().join("run");
    let args = ["train", "--env", "CartPole-v1", "--reward", "evaluative", "--teacher", "expert", "--labels", "10"];
    let output = limbic(&[&args[..], &["--steps", "64", "--out", out.to_str().unwrap()]].concat());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("CartPole-v1") && stderr.contains("scripted expert"), "{stderr}");
}

/// One line of `metrics.jsonl`.
type Line = serde_json::Map<String, serde_json::Value>;

/// The metrics lines (without wall clock and evaluations) of `config` run straight to 1,024
/// steps, and of the same run made to `config.total_steps`, then resumed to 1,024.
fn whole_and_extended(config: &RunConfig) -> (Vec<Line>, Vec<Line>) {
    let tmp = temp_dir();
    let (whole, extended) = (tmp.path().join("whole"), tmp.path().join("extended"));
    train(&RunConfig { total_steps: 1024, ..config.clone() }, &whole, &build_algorithm, &quiet()).unwrap();
    train(config, &extended, &build_algorithm, &quiet()).unwrap();
    resume(&extended, Some(1024), &build_algorithm, &quiet()).unwrap();
    let strip = |lines| {
        let mut lines = without_wall_clock(lines);
        lines.iter_mut().for_each(|l: &mut Line| l.retain(|k, _| !k.starts_with("eval/")));
        lines
    };
    (strip(read_lines(&whole)), strip(read_lines(&extended)))
}

/// PEBBLE: a DQN run with 3-step returns whose replay is relabelled after every fit of its
/// preference model, extended from its checkpoint (labels read back from its label file, the
/// signal's segment pool, clip recorder and query generator from its state), writes the same
/// lines as the run that went straight to the end.
#[test]
fn an_off_policy_run_relabelled_by_preferences_resumes_exactly() {
    let config = RunConfig {
        env: "CartPole-v1".into(),
        algo: "dqn".into(),
        seed: 2,
        total_steps: 512,
        num_envs: 2,
        eval_episodes: 1,
        eval_every: 0,
        checkpoint_every: 0,
        // A constant epsilon: its schedule is a fraction of the run, which the extension changes.
        params: json!({"learning_starts": 64, "train_freq": 4, "buffer_size": 2000, "batch_size": 16, "n_step": 3,
            "exploration_initial_eps": 0.1, "exploration_final_eps": 0.1}),
        rewards: serde_json::from_value(json!([
            {"name": "preferences", "params": {"segment": 10, "per_update": 5, "budget": 30, "interval": 128, "epochs": 2}},
            {"name": "extrinsic", "weight": 0.0}]))
        .unwrap(),
        ..RunConfig::default()
    };
    let (a, b) = whole_and_extended(&config);
    let relabelled = |lines: &[serde_json::Map<String, serde_json::Value>]| -> f64 {
        lines.iter().filter_map(|l| l.get("feedback/preferences/relabelled").and_then(|v| v.as_f64())).sum()
    };
    // Relabelled before and after the checkpoint.
    let half = a.len() / 2;
    assert!(relabelled(&a[..half]) > 0.0 && relabelled(&a[half..]) > 0.0, "{:?}", a.last());
    assert_same_lines(&a, &b);
}

/// Asserts that `a` and `b` are equal, naming the first line and keys where they differ.
fn assert_same_lines(a: &[Line], b: &[Line]) {
    assert_eq!(a.len(), b.len(), "line counts");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let mut keys: Vec<&String> = x.keys().chain(y.keys()).filter(|k| x.get(*k) != y.get(*k)).collect();
        keys.sort();
        keys.dedup();
        let pairs: Vec<String> = keys.iter().map(|k| format!("{k}: {:?} vs {:?}", x.get(*k), y.get(*k))).collect();
        assert!(keys.is_empty(), "line {i} (update {}) differs: {}", x["update"], pairs.join("; "));
    }
}

#[test]
fn preferences_from_an_oracle_store_every_label_and_resume_reads_them_back() {
    let tmp = temp_dir();
    let out = tmp.path().join("run");
    let out = out.to_str().unwrap();
    let args = [
        "train",
        "--env",
        "CartPole-v1",
        "--reward",
        "preferences",
        "--teacher",
        "oracle",
        "--labels",
        "40",
        "--steps",
        "1024",
        "--num-envs",
        "2",
        "--set",
        "params.n_steps=128",
        "--set",
        "checkpoint_every=512",
        "--set",
        "eval_episodes=1",
        "--quiet",
        "--out",
        out,
    ];
    let run = limbic(&args);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let lines = read_lines(std::path::Path::new(out));
    assert_eq!(lines[0]["reward/preferences/labels"], json!(25.0), "{:?}", lines[0]);
    assert_eq!(lines.last().unwrap()["reward/preferences/labels"], json!(40.0));
    assert_eq!(lines[0]["reward/extrinsic/weight"], json!(0.0));
    let labels = std::path::Path::new(out).join("feedback/preferences/labels.jsonl");
    assert_eq!(std::fs::read_to_string(&labels).unwrap().lines().count(), 40);
    // A longer run resumes with its labels read back: the budget is spent, nothing is asked again.
    let resumed = limbic(&["train", "--resume", out, "--steps", "1536", "--quiet"]);
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    let lines = read_lines(std::path::Path::new(out));
    assert_eq!(lines.last().unwrap()["reward/preferences/labels"], json!(40.0));
    assert_eq!(std::fs::read_to_string(&labels).unwrap().lines().count(), 40);

    let web = ["train", "--env", "CartPoleNoVel-v1", "--reward", "preferences", "--teacher", "web", "--steps", "64"];
    let web = limbic(&web);
    let error = String::from_utf8_lossy(&web.stderr);
    assert!(!web.status.success() && error.contains("do not determine a picture"), "{error}");
    let lonely = limbic(&["train", "--env", "CartPole-v1", "--teacher", "oracle", "--print-config"]);
    let error = String::from_utf8_lossy(&lonely.stderr);
    assert!(!lonely.status.success() && error.contains("--reward preferences"), "{error}");
}
