//! A trained run's final policy as a skill: a manager over it and scripted skills trains,
//! evaluates and resumes exactly; the skill steps as the run's policy does alone; bad library
//! entries are refused with errors that name them.

mod common;

use common::{assert_fails_with, limbic, quiet, read_lines, temp_dir, without_wall_clock};
use limbic::config::RunConfig;
use limbic::env_maker::EnvMaker;
use limbic::run_dir::RunDir;
use limbic::runner::{build_algorithm, load_policy, resume, train};
use limbic_agents::policies::Actor;
use limbic_agents::Algorithm;
use limbic_environments::{Env, Kwargs, Value};
use serde_json::{json, Value as Json};
use std::path::Path;

const ENV: &str = "MiniGrid-Empty-5x5-v0";

/// A few hundred steps of PPO with a memory (the last 4 frames) on Empty-5x5: the run whose policy becomes a skill.
fn train_skill_run(dir: &Path) {
    let config = RunConfig {
        env: ENV.into(),
        algo: "ppo".into(),
        seed: 2,
        total_steps: 256,
        num_envs: 2,
        eval_episodes: 1,
        eval_every: 0,
        checkpoint_every: 0,
        params: json!({"n_steps": 64, "batch_size": 64, "n_epochs": 1, "net_arch": [16]}),
        policy: serde_json::from_value(json!({"memory": {"kind": "frame_stack", "frames": 4}})).unwrap(),
        ..RunConfig::default()
    };
    train(&config, dir, &build_algorithm, &quiet()).unwrap();
}

/// PPO over a library of skills on Empty-5x5 (2 sub-envs x 16 choices per update).
fn manager(skills: Json, total_steps: u64) -> RunConfig {
    RunConfig {
        env: ENV.into(),
        algo: "ppo".into(),
        seed: 9,
        total_steps,
        num_envs: 2,
        eval_episodes: 2,
        eval_every: 0,
        checkpoint_every: 0,
        params: json!({"n_steps": 16, "batch_size": 16, "n_epochs": 1, "net_arch": [16]}),
        env_wrappers: serde_json::from_value(json!([{"kind": "skills", "skills": skills}])).unwrap(),
        ..RunConfig::default()
    }
}

fn run_entry(dir: &Path, max_steps: u32, deterministic: bool) -> Json {
    json!({"run": dir, "max_steps": max_steps, "deterministic": deterministic})
}

#[test]
fn a_manager_over_a_run_and_scripted_skills_trains_evaluates_and_resumes_exactly() {
    let tmp = temp_dir();
    let skill = tmp.path().join("skill");
    train_skill_run(&skill);
    // A sampled run skill: its generator restarts from each episode's seed, so the replayed
    // training envs of a resume are the ones the uninterrupted run had.
    let library = json!([run_entry(&skill, 3, false), "goto:goal", "drop"]);
    let (whole, extended) = (tmp.path().join("whole"), tmp.path().join("extended"));
    let outcome = train(&manager(library.clone(), 96), &whole, &build_algorithm, &quiet()).unwrap();
    assert_eq!(outcome.eval.episodes, 2);
    assert!(outcome.eval.mean_return.is_finite() && outcome.eval.lengths.iter().all(|&l| l > 0));
    train(&manager(library.clone(), 64), &extended, &build_algorithm, &quiet()).unwrap();
    resume(&extended, Some(96), &build_algorithm, &quiet()).unwrap();
    let strip = |lines| {
        let mut lines = without_wall_clock(lines);
        lines.iter_mut().for_each(|l| l.retain(|k, _| !k.starts_with("eval/")));
        lines
    };
    let (a, b) = (strip(read_lines(&whole)), strip(read_lines(&extended)));
    assert_eq!(a.len(), 3);
    assert_eq!(a, b);
    // The library's env: three actions, the run's among them by its name.
    let mut env = EnvMaker::of(&manager(library, 96)).make().unwrap();
    assert_eq!(env.action_space().describe(), "Discrete(3)");
    env.reset(Some(1), &Default::default()).unwrap();
    let step = env.step(&Value::Int(0)).unwrap();
    assert_eq!(step.info["skill"], format!("run:{}", skill.display()));
    assert!((1..=3).contains(&step.info["frames"].as_u64().unwrap()));
}

/// The run's policy alone on `env` from `seed`, in stretches of `STRETCH` steps (`choices` of
/// them, or to the episode's end), its memory cleared where each stretch starts (`every_step`:
/// at every step). Returns the observation row and the summed reward after each stretch, and
/// every action.
fn alone(algo: &dyn Algorithm, seed: u64, deterministic: bool, every_step: bool) -> (Vec<(Vec<f32>, f64)>, Vec<i64>) {
    let mut env = limbic_environments::make(BIG_ENV, &Kwargs::new()).unwrap();
    let mut row = vec![0.0f32; env.flat_space().flat_dim().unwrap()];
    env.reset_into(Some(seed), &mut row).unwrap();
    let mut actor = Actor::new(algo.policy().unwrap(), 1, seed).deterministic(deterministic);
    let (mut stretches, mut actions) = (Vec::new(), Vec::new());
    'episode: for _ in 0..CHOICES {
        let mut reward = 0.0;
        for k in 0..STRETCH {
            let action = actor.actions(&row, &[k == 0 || every_step]).unwrap().remove(0);
            actions.push(action.as_int().unwrap());
            let step = env.step_into(&action, &mut row).unwrap();
            reward += step.reward;
            if step.done() {
                stretches.push((row.clone(), reward));
                break 'episode;
            }
        }
        stretches.push((row.clone(), reward));
    }
    (stretches, actions)
}

const BIG_ENV: &str = "MiniGrid-Empty-8x8-v0";
const STRETCH: u32 = 12;
const CHOICES: usize = 8;

/// The skill's steps are the run's policy's alone from the same state and seed, in one acting
/// session per skill: the memory kept within a skill and started afresh with the next
/// (which this policy tells apart from a state cleared at every step).
#[test]
fn a_run_skill_steps_as_the_runs_policy_does_alone() {
    let tmp = temp_dir();
    let skill = tmp.path().join("skill");
    train_skill_run(&skill);
    let (_, algo, _) = load_policy(&RunDir::open(&skill).unwrap(), "latest", &build_algorithm).unwrap();
    for deterministic in [true, false] {
        let seed = 11;
        let mut config = manager(json!(["drop", run_entry(&skill, STRETCH, deterministic)]), 64);
        config.env = BIG_ENV.into();
        let mut skills = EnvMaker::of(&config).make().unwrap();
        let mut row = vec![0.0f32; skills.flat_space().flat_dim().unwrap()];
        skills.reset_into(Some(seed), &mut row).unwrap();
        let mut stretches = Vec::new();
        for _ in 0..CHOICES {
            let t = skills.step_into(&Value::Int(1), &mut row).unwrap();
            stretches.push((row.clone(), t.reward));
            if t.done() {
                break;
            }
        }
        let (expected, actions) = alone(algo.as_ref(), seed, deterministic, false);
        assert_eq!(stretches, expected, "deterministic {deterministic}");
        assert!(actions.len() > STRETCH as usize, "more than one skill: {actions:?}");
        if !deterministic {
            let (_, without_memory) = alone(algo.as_ref(), seed, deterministic, true);
            assert_ne!(actions, without_memory, "the policy's memory changes what it does");
        }
    }
}

#[test]
fn bad_skill_entries_are_refused_naming_the_entry() {
    let tmp = temp_dir();
    let skill = tmp.path().join("skill");
    train_skill_run(&skill);
    let refused = |entry: Json, needles: &[&str]| {
        let config = manager(json!(["drop", entry]), 64);
        let out = tmp.path().join("manager");
        let error = format!("{:#}", train(&config, &out, &build_algorithm, &quiet()).unwrap_err());
        for needle in needles {
            assert!(error.contains(needle), "{error:?} should mention {needle:?}");
        }
        assert!(!out.exists(), "nothing is written for a refused library");
    };
    refused(json!("fly"), &["skills", "unknown skill `fly`", "trained run"]);
    let missing = tmp.path().join("missing");
    refused(run_entry(&missing, 4, true), &["skills[1]", "missing", "does not exist"]);
    let not_a_run = tmp.path().join("not-a-run");
    std::fs::create_dir(&not_a_run).unwrap();
    refused(run_entry(&not_a_run, 4, true), &["skills[1]", "not a run directory"]);
    // The run's config alone: no checkpoint, so no final policy.
    let unfinished = tmp.path().join("unfinished");
    std::fs::create_dir(&unfinished).unwrap();
    std::fs::copy(skill.join("config.json"), unfinished.join("config.json")).unwrap();
    refused(run_entry(&unfinished, 4, true), &["skills[1]", "no final policy", "no checkpoint"]);
    // Checkpoints but no eval.json: the run did not finish.
    copy_dir(&skill.join("checkpoints"), &unfinished.join("checkpoints"));
    refused(run_entry(&unfinished, 4, true), &["skills[1]", "no final policy", "limbic train --resume"]);
    refused(run_entry(&skill, 0, true), &["skills[1].max_steps", "at least 1"]);
    // The run's spaces must be the env's.
    let mut cartpole = manager(json!([run_entry(&skill, 4, true)]), 64);
    cartpole.env = "CartPole-v1".into();
    let error =
        format!("{:#}", train(&cartpole, &tmp.path().join("cartpole"), &build_algorithm, &quiet()).unwrap_err());
    for needle in ["skills[0]", "observes", "trained on MiniGrid-Empty-5x5-v0", "Box([-4.8"] {
        assert!(error.contains(needle), "{error:?} should mention {needle:?}");
    }
    // Entries that are neither a name nor a run.
    let parse = |entry: Json| {
        let spec = json!({"kind": "skills", "skills": [entry]});
        serde_json::from_value::<limbic_environments::wrappers::WrapperSpec>(spec).unwrap_err().to_string()
    };
    assert!(parse(json!({"run": skill})).contains("missing field `max_steps`"));
    assert!(parse(json!({"run": skill, "max_steps": 2, "steps": 3})).contains("unknown field `steps`"));
    assert!(parse(json!(42)).contains("a skill is a name"));
}

/// A manager's `cell` goals need a gridworld: refused before the run directory is made.
#[test]
fn manager_worker_cell_goals_off_a_gridworld_are_refused_before_anything_is_written() {
    let tmp = temp_dir();
    let out = tmp.path().join("run");
    let args = ["train", "--env", "CartPole-v1", "--algo", "manager-worker", "--reward", "goal_reaching"];
    let output = limbic(&[&args[..], &["--out", out.to_str().unwrap(), "--quiet"]].concat());
    assert_fails_with(&output, &["goal", "gridworld", "observation"]);
    assert!(!out.exists());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
