//! Behavioural cloning (and DAgger) on CartPole-v1 from the scripted expert, in memory.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p limbic-agents --example bc_cartpole -- [--demos 1,4,10] [--seeds 3] [--episodes 50] [--dagger] [--mountain-car]
//! ```
//!
//! `--mountain-car` runs the same on MountainCarContinuous-v0 with its scripted expert
//! (`+1 if velocity > 0 or (velocity == 0 and position < -0.5) else -1`; reference scores
//! -33.31 random, 90.80 expert).
//!
//! For each number of demonstrations N and each seed s: records N episodes of the scripted
//! expert (`action = theta + 0.5 theta_dot + 0.01 x + 0.1 x_dot > 0`, reset seeds
//! `1000 s ..`), trains BC with its defaults (early stopping on 20% of the episodes when
//! N >= 2, otherwise all 100 epochs), evaluates the deterministic policy on `--episodes`
//! episodes (reset seeds from 1,000,000) and prints the mean return, the normalized score
//! `(return - 24.96) / (500 - 24.96)` (the uniform-random and expert reference scores of
//! `RESULTS.md`) and the training wall time. `--dagger` also runs DAgger (10 rounds, beta
//! linear to 0 over 10 rounds, the N demonstrations as initial data) with the expert as oracle.

use limbic_agents::imitation::{Bc, Dagger, Demonstrations, Episode, EpisodeActions};
use limbic_agents::policies::{ActionKind, FEED_FORWARD};
use limbic_agents::runner::mean_return;
use limbic_agents::{Algorithm, AlgorithmSpec};
use limbic_environments::experts::ExpertEnv;
use limbic_environments::{make, Env, Kwargs, Space, Value, VecEnv};
use std::time::Instant;

/// An env, its scripted expert and its reference scores (RESULTS.md, 100 episodes).
struct Task {
    id: &'static str,
    expert: fn(&[f32]) -> Value,
    random_score: f64,
    expert_score: f64,
}

const CARTPOLE: Task = Task {
    id: "CartPole-v1",
    expert: |obs| Value::Int((obs[2] + 0.5 * obs[3] + 0.01 * obs[0] + 0.1 * obs[1] > 0.0) as i64),
    random_score: 24.96,
    expert_score: 500.0,
};

const MOUNTAIN_CAR: Task = Task {
    id: "MountainCarContinuous-v0",
    expert: |obs| {
        let right = obs[1] > 0.0 || (obs[1] == 0.0 && obs[0] < -0.5);
        Value::F32(vec![if right { 1.0 } else { -1.0 }])
    },
    random_score: -33.31,
    expert_score: 90.80,
};

fn record(task: &Task, n: usize, first_seed: u64) -> Result<Demonstrations, Box<dyn std::error::Error>> {
    let mut env = make(task.id, &Kwargs::new())?;
    let d = env.flat_space().flat_dim()?;
    let kind = ActionKind::for_space(env.action_space())?;
    let mut episodes = Vec::new();
    for seed in first_seed..first_seed + n as u64 {
        let mut obs = vec![0.0; d];
        env.reset_into(Some(seed), &mut obs)?;
        let (mut observations, mut actions, mut rewards, mut terms, mut truncs) =
            (obs.clone(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        loop {
            let action = (task.expert)(&obs);
            match &action {
                Value::Int(a) => actions.push(*a as f32),
                Value::F32(v) => actions.extend_from_slice(v),
                _ => return Err("the expert's action is neither Int nor F32".into()),
            }
            let t = env.step_into(&action, &mut obs)?;
            observations.extend_from_slice(&obs);
            rewards.push(t.reward);
            terms.push(t.terminated);
            truncs.push(t.truncated);
            if t.done() {
                break;
            }
        }
        let actions = match kind {
            ActionKind::Discrete { .. } => EpisodeActions::Discrete(actions.iter().map(|&a| a as i64).collect()),
            _ => EpisodeActions::Continuous(actions),
        };
        episodes.push(Episode { observations, actions, rewards, terminations: terms, truncations: truncs });
    }
    Ok(Demonstrations::from_episodes(d, kind, &episodes)?)
}

fn evaluate(task: &Task, policy: &dyn Algorithm, episodes: usize) -> Result<f64, Box<dyn std::error::Error>> {
    Ok(mean_return(policy.policy()?, task.id, episodes, 1_000_000)?)
}

fn list(args: &[String], flag: &str, default: &str) -> Result<Vec<usize>, Box<dyn std::error::Error>> {
    let value = args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).map_or(default, |v| v.as_str());
    Ok(value.split(',').map(str::parse).collect::<Result<_, _>>()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let demos_counts = list(&args, "--demos", "1,4,10")?;
    let seeds = list(&args, "--seeds", "3")?[0];
    let episodes = list(&args, "--episodes", "50")?[0];
    let dagger = args.iter().any(|a| a == "--dagger");
    let task = if args.iter().any(|a| a == "--mountain-car") { &MOUNTAIN_CAR } else { &CARTPOLE };
    let normalized = |mean: f64| (mean - task.random_score) / (task.expert_score - task.random_score);
    let env = make(task.id, &Kwargs::new())?;
    let (obs_space, act_space): (Space, Space) = (env.flat_space().clone(), env.action_space().clone());
    println!("algo\tN\tseed\ttransitions\tepochs\tmean_return\tnormalized\ttrain_s");
    for &n in &demos_counts {
        for seed in 0..seeds as u64 {
            let demos = record(task, n, 1000 * seed)?;
            let params = serde_json::json!({});
            let spec = AlgorithmSpec {
                algo: "bc",
                params: &params,
                policy: &FEED_FORWARD,
                observation_space: &obs_space,
                action_space: &act_space,
                num_envs: 1,
                total_steps: 0,
                seed,
            };
            let start = Instant::now();
            let mut bc: Bc = Bc::with_demonstrations(&spec, &demos)?;
            let history = bc.fit()?;
            let train_s = start.elapsed().as_secs_f64();
            let mean = evaluate(task, &bc, episodes)?;
            let score = normalized(mean);
            println!("bc\t{n}\t{seed}\t{}\t{}\t{mean:.1}\t{score:.3}\t{train_s:.2}", demos.len(), history.len());
            if dagger {
                let params = serde_json::json!({"rounds": 10, "beta": {"kind": "linear", "rampdown_rounds": 10}});
                let spec = AlgorithmSpec { algo: "dagger", params: &params, ..spec };
                let start = Instant::now();
                let mut learner: Dagger = Dagger::new(&spec, Some(&demos))?;
                let mut oracle = VecEnv::new(vec![ExpertEnv::make(task.id, &Kwargs::new())?])?;
                let rounds = learner.train(&mut oracle)?;
                let train_s = start.elapsed().as_secs_f64();
                let transitions = learner.data().len();
                let mean = evaluate(task, learner.policy(), episodes)?;
                let score = normalized(mean);
                println!("dagger\t{n}\t{seed}\t{transitions}\t{}\t{mean:.1}\t{score:.3}\t{train_s:.2}", rounds.len());
            }
        }
    }
    Ok(())
}
