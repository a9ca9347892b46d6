//! Behavioural cloning (and DAgger) on CartPole-v1 from the scripted expert, in memory.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p limbic-agents --example bc_cartpole -- [--demos 1,4,10] [--seeds 3] [--episodes 50] [--dagger]
//! ```
//!
//! For each number of demonstrations N and each seed s: records N episodes of the scripted
//! expert (`action = theta + 0.5 theta_dot + 0.01 x + 0.1 x_dot > 0`, reset seeds
//! `1000 s ..`), trains BC with its defaults (early stopping on 20% of the episodes when
//! N >= 2, otherwise all 100 epochs), evaluates the deterministic policy on `--episodes`
//! episodes (reset seeds from 1,000,000) and prints the mean return, the normalized score
//! `(return - 24.96) / (500 - 24.96)` (the uniform-random and expert reference scores of
//! `RESULTS.md`) and the training wall time. `--dagger` also runs DAgger (10 rounds, beta
//! linear to 0 over 10 rounds, the N demonstrations as initial data) with the expert as oracle.

use limbic_agents::algorithm::AlgorithmSpec;
use limbic_agents::imitation::{Bc, Dagger, DemoStep, Demonstrations, Demonstrator, Episode, EpisodeActions};
use limbic_agents::policy::ActionKind;
use limbic_agents::Algorithm;
use limbic_environments::{make, Env, Kwargs, Space, Value};
use std::time::Instant;

const RANDOM_SCORE: f64 = 24.96;
const EXPERT_SCORE: f64 = 500.0;

fn expert(obs: &[f32]) -> Value {
    Value::Int((obs[2] + 0.5 * obs[3] + 0.01 * obs[0] + 0.1 * obs[1] > 0.0) as i64)
}

/// CartPole with the scripted expert as DAgger's oracle.
struct ExpertCartPole {
    env: Box<dyn Env>,
    obs: Vec<f32>,
}

impl Demonstrator for ExpertCartPole {
    fn reset(&mut self, seed: u64) -> limbic_agents::Result<Vec<f32>> {
        self.env.reset_into(Some(seed), &mut self.obs)?;
        Ok(self.obs.clone())
    }
    fn expert_action(&mut self) -> limbic_agents::Result<Value> {
        Ok(expert(&self.obs))
    }
    fn step(&mut self, action: &Value) -> limbic_agents::Result<DemoStep> {
        let t = self.env.step_into(action, &mut self.obs)?;
        Ok(DemoStep { obs: self.obs.clone(), reward: t.reward, terminated: t.terminated, truncated: t.truncated })
    }
}

fn record(n: usize, first_seed: u64) -> Result<Demonstrations, Box<dyn std::error::Error>> {
    let mut env = make("CartPole-v1", &Kwargs::new())?;
    let mut episodes = Vec::new();
    for seed in first_seed..first_seed + n as u64 {
        let mut obs = vec![0.0; 4];
        env.reset_into(Some(seed), &mut obs)?;
        let (mut observations, mut actions, mut rewards, mut terms, mut truncs) =
            (obs.clone(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        loop {
            let action = expert(&obs);
            actions.push(action.as_int().unwrap_or(0));
            let t = env.step_into(&action, &mut obs)?;
            observations.extend_from_slice(&obs);
            rewards.push(t.reward);
            terms.push(t.terminated);
            truncs.push(t.truncated);
            if t.done() {
                break;
            }
        }
        let actions = EpisodeActions::Discrete(actions);
        episodes.push(Episode { observations, actions, rewards, terminations: terms, truncations: truncs });
    }
    Ok(Demonstrations::from_episodes(4, ActionKind::Discrete { n: 2, start: 0 }, &episodes)?)
}

fn evaluate(policy: &mut dyn Algorithm, episodes: usize) -> Result<f64, Box<dyn std::error::Error>> {
    let mut env = make("CartPole-v1", &Kwargs::new())?;
    let mut obs = vec![0.0; 4];
    let mut total = 0.0;
    for seed in 1_000_000..1_000_000 + episodes as u64 {
        env.reset_into(Some(seed), &mut obs)?;
        loop {
            let action = policy.act(&obs, &[false], true)?.remove(0);
            let t = env.step_into(&action, &mut obs)?;
            total += t.reward;
            if t.done() {
                break;
            }
        }
    }
    Ok(total / episodes as f64)
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
    let env = make("CartPole-v1", &Kwargs::new())?;
    let (obs_space, act_space): (Space, Space) = (env.flat_space().clone(), env.action_space().clone());
    println!("algo\tN\tseed\ttransitions\tepochs\tmean_return\tnormalized\ttrain_s");
    for &n in &demos_counts {
        for seed in 0..seeds as u64 {
            let demos = record(n, 1000 * seed)?;
            let params = serde_json::json!({});
            let spec = AlgorithmSpec {
                algo: "bc",
                params: &params,
                observation_space: &obs_space,
                action_space: &act_space,
                num_envs: 1,
                total_steps: 0,
                seed,
            };
            let start = Instant::now();
            let mut bc = Bc::with_demonstrations(&spec, &demos)?;
            let history = bc.fit()?;
            let train_s = start.elapsed().as_secs_f64();
            let mean = evaluate(&mut bc, episodes)?;
            let normalized = (mean - RANDOM_SCORE) / (EXPERT_SCORE - RANDOM_SCORE);
            println!("bc\t{n}\t{seed}\t{}\t{}\t{mean:.1}\t{normalized:.3}\t{train_s:.2}", demos.len(), history.len());
            if dagger {
                let params = serde_json::json!({"rounds": 10, "beta": {"kind": "linear", "rampdown_rounds": 10}});
                let spec = AlgorithmSpec { algo: "dagger", params: &params, ..spec };
                let start = Instant::now();
                let mut learner = Dagger::new(&spec, Some(&demos))?;
                let mut oracle = ExpertCartPole { env: make("CartPole-v1", &Kwargs::new())?, obs: vec![0.0; 4] };
                let rounds = learner.train(&mut oracle)?;
                let train_s = start.elapsed().as_secs_f64();
                let transitions = learner.data().len();
                let mean = evaluate(learner.policy_mut(), episodes)?;
                let normalized = (mean - RANDOM_SCORE) / (EXPERT_SCORE - RANDOM_SCORE);
                println!(
                    "dagger\t{n}\t{seed}\t{transitions}\t{}\t{mean:.1}\t{normalized:.3}\t{train_s:.2}",
                    rounds.len()
                );
            }
        }
    }
    Ok(())
}
