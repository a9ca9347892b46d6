//! Reward sets inside the learners: PPO (per-stream value heads and GAE), DQN (summed streams),
//! identical training with only the env's reward, metrics, and exact resume.

use limbic_agents::core::algorithm::{build, build_with};
use limbic_agents::policies::FEED_FORWARD;
use limbic_agents::Algorithm;
use limbic_agents::AlgorithmSpec;
use limbic_environments::vector::VecEnv;
use limbic_environments::Kwargs;
use limbic_rewards::{Registry, RewardSet, RewardSpec, SignalContext};
use std::collections::BTreeMap;

fn envs(id: &str, n: usize, seed: u64) -> VecEnv {
    let mut envs = VecEnv::make(id, n, &Kwargs::new()).unwrap();
    envs.reset(Some(seed)).unwrap();
    envs
}

fn spec<'a>(algo: &'a str, envs: &'a VecEnv, params: &'a serde_json::Value) -> AlgorithmSpec<'a> {
    AlgorithmSpec {
        algo,
        params,
        policy: &FEED_FORWARD,
        observation_space: envs.envs()[0].flat_space(),
        action_space: envs.action_space(),
        num_envs: envs.num_envs(),
        total_steps: 100_000,
        seed: 5,
    }
}

fn shaper(envs: &VecEnv, specs: serde_json::Value) -> Box<RewardSet> {
    let specs: Vec<RewardSpec> = serde_json::from_value(specs).unwrap();
    let ctx = SignalContext {
        obs_dim: envs.obs_dim(),
        observation_space: envs.envs()[0].flat_space().clone(),
        action_space: envs.action_space().clone(),
        num_envs: envs.num_envs(),
        seed: 5,
    };
    Box::new(RewardSet::new(&Registry::builtins(), &specs, &ctx).unwrap())
}

fn updates(algo: &mut dyn Algorithm, envs: &mut VecEnv, n: usize) -> Vec<BTreeMap<String, f64>> {
    (0..n).map(|_| algo.update(envs).unwrap().metrics).collect()
}

fn without_reward_metrics(mut runs: Vec<BTreeMap<String, f64>>) -> Vec<BTreeMap<String, f64>> {
    runs.iter_mut().for_each(|m| m.retain(|k, _| !k.starts_with("reward/")));
    runs
}

/// The shaper's extrinsic signal passes the env's (normalized) reward through untouched, so
/// training is bit for bit the same as without a shaper.
#[test]
fn only_extrinsic_trains_exactly_as_without_a_shaper() {
    let params = serde_json::json!({"n_steps": 16, "batch_size": 32, "n_epochs": 2, "normalize_reward": true,
        "normalize_obs": true});
    let (mut a_envs, mut b_envs) = (envs("CartPole-v1", 4, 1), envs("CartPole-v1", 4, 1));
    let mut plain = build(&spec("ppo", &a_envs, &params)).unwrap();
    let shaped_set = shaper(&b_envs, serde_json::json!([]));
    let mut shaped = build_with(&spec("ppo", &b_envs, &params), Some(shaped_set)).unwrap();
    let a = updates(&mut *plain, &mut a_envs, 3);
    let b = updates(&mut *shaped, &mut b_envs, 3);
    assert!(b[0].contains_key("reward/extrinsic/mean"));
    assert_eq!(a, without_reward_metrics(b));

    let params = serde_json::json!({"learning_starts": 32, "train_freq": 4, "buffer_size": 1000, "batch_size": 16});
    let (mut a_envs, mut b_envs) = (envs("CartPole-v1", 2, 1), envs("CartPole-v1", 2, 1));
    let mut plain = build(&spec("dqn", &a_envs, &params)).unwrap();
    let mut shaped = build_with(&spec("dqn", &b_envs, &params), Some(shaper(&b_envs, serde_json::json!([])))).unwrap();
    let a = updates(&mut *plain, &mut a_envs, 12);
    let b = updates(&mut *shaped, &mut b_envs, 12);
    assert_eq!(a, without_reward_metrics(b));
}

#[test]
fn ppo_with_counts_on_minigrid_logs_each_signal_and_resumes_exactly() {
    let params = serde_json::json!({"n_steps": 16, "batch_size": 32, "n_epochs": 1});
    let specs = serde_json::json!([
        {"name": "counts", "weight": 0.01},
        {"name": "counts", "label": "episodic", "stream": "own", "gamma": 0.9, "advantage_coef": 0.5,
         "params": {"memory": "episodic"}, "keys": ["image"]}]);
    let id = "MiniGrid-Empty-5x5-v0";
    let (mut a_envs, mut b_envs) = (envs(id, 2, 3), envs(id, 2, 3));
    let mut a = build_with(&spec("ppo", &a_envs, &params), Some(shaper(&a_envs, specs.clone()))).unwrap();
    let mut b = build_with(&spec("ppo", &b_envs, &params), Some(shaper(&b_envs, specs.clone()))).unwrap();
    let first = updates(&mut *a, &mut a_envs, 2);
    updates(&mut *b, &mut b_envs, 2);
    for signal in ["extrinsic", "counts", "episodic"] {
        for key in ["raw_mean", "raw_std", "mean", "weight"] {
            let value = first[1][&format!("reward/{signal}/{key}")];
            assert!(value.is_finite(), "{signal}/{key}: {value}");
        }
    }
    // Counts fall as the same few cells are visited again: the lifelong bonus's raw mean drops.
    assert!(first[1]["reward/counts/raw_mean"] < first[0]["reward/counts/raw_mean"], "{first:?}");
    assert_eq!(first[1]["reward/counts/weight"], 0.01);

    let dir = std::env::temp_dir().join(format!("limbic-ppo-rewards-{}", std::process::id()));
    a.save(&dir).unwrap();
    assert!(dir.join("rewards").join(limbic_rewards::set::STATE_FILE).exists());
    let mut resumed = build_with(&spec("ppo", &b_envs, &params), Some(shaper(&b_envs, specs))).unwrap();
    resumed.load(&dir).unwrap();
    assert_eq!(updates(&mut *a, &mut a_envs, 2), updates(&mut *resumed, &mut b_envs, 2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dqn_stores_the_sum_of_the_streams_and_reports_its_signals() {
    let params = serde_json::json!({"learning_starts": 16, "train_freq": 4, "buffer_size": 500, "batch_size": 8});
    let mut e = envs("MiniGrid-Empty-5x5-v0", 2, 0);
    let set = shaper(&e, serde_json::json!([{"name": "counts", "weight": 0.1, "stream": "own"}]));
    let mut dqn = build_with(&spec("dqn", &e, &params), Some(set)).unwrap();
    let metrics = updates(&mut *dqn, &mut e, 3);
    assert!(metrics[2]["reward/counts/raw_mean"] > 0.0 && metrics[2]["reward/counts/weight"] == 0.1);
}
