//! DQN and SAC through the public `Algorithm` API: short fixed-seed learning runs, exact
//! save/load continuation, config and checkpoint errors.

use limbic_agents::core::algorithm::{build, Algorithms};
use limbic_agents::policies::{Actor, FEED_FORWARD};
use limbic_agents::runner::mean_return;
use limbic_agents::{AgentError, Algorithm, AlgorithmSpec, Update};
use limbic_environments::vector::VecEnv;
use limbic_environments::{Kwargs, Value};
use serde_json::json;
use std::path::PathBuf;

fn envs(id: &str, num_envs: usize, seed: u64) -> VecEnv {
    let mut envs = VecEnv::make(id, num_envs, &Kwargs::new()).unwrap();
    envs.reset(Some(seed)).unwrap();
    envs
}

fn learner(algo: &str, envs: &VecEnv, params: &serde_json::Value, seed: u64, total: u64) -> Box<dyn Algorithm> {
    try_learner(algo, envs, params, seed, total).unwrap()
}

fn try_learner(
    algo: &str,
    envs: &VecEnv,
    params: &serde_json::Value,
    seed: u64,
    total: u64,
) -> limbic_agents::Result<Box<dyn Algorithm>> {
    build(&AlgorithmSpec {
        algo,
        params,
        policy: &FEED_FORWARD,
        observation_space: envs.observation_space(),
        action_space: envs.action_space(),
        num_envs: envs.num_envs(),
        seed,
        total_steps: total,
    })
}

/// Trains for `total` env steps.
fn train(learner: &mut dyn Algorithm, envs: &mut VecEnv, total: u64) -> Vec<Update> {
    let mut updates = Vec::new();
    let mut steps = 0;
    while steps < total {
        let update = learner.update(envs).unwrap();
        steps += update.env_steps;
        updates.push(update);
    }
    updates
}

/// Mean return of deterministic episodes, one per sub-env of a fresh vector env.
fn evaluate(learner: &dyn Algorithm, id: &str, episodes: usize) -> f64 {
    mean_return(learner.policy().unwrap(), id, episodes, 10_000).unwrap()
}

/// The actions of a fresh acting session (seeded 3) for every row of `obs`.
fn act(learner: &dyn Algorithm, obs: &[f32], rows: usize, deterministic: bool) -> Vec<Value> {
    let mut actor = Actor::new(learner.policy().unwrap(), rows, 3).deterministic(deterministic);
    actor.actions(obs, &vec![false; rows]).unwrap()
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("limbic-offpolicy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// rl-zoo's CartPole-v1 DQN, with a smaller network for a fast test.
fn dqn_cartpole() -> serde_json::Value {
    json!({
        "learning_rate": 2.3e-3, "batch_size": 64, "buffer_size": 100000, "learning_starts": 1000,
        "target_update_interval": 10, "train_freq": 256, "gradient_steps": 128,
        "exploration_fraction": 0.16, "exploration_final_eps": 0.04, "net_arch": [64, 64]
    })
}

/// SAC on Pendulum-v1 with rl-zoo's learning rate, smaller networks and batches for a fast test.
fn sac_pendulum() -> serde_json::Value {
    json!({ "learning_rate": 1e-3, "learning_starts": 500, "batch_size": 64, "net_arch": [64, 64] })
}

#[test]
fn dqn_learns_cartpole_well_beyond_random() {
    // A uniformly random policy averages about 22 on CartPole-v1.
    let total = 30_000;
    let mut envs = envs("CartPole-v1", 1, 0);
    let mut dqn = learner("dqn", &envs, &dqn_cartpole(), 0, total);
    let updates = train(dqn.as_mut(), &mut envs, total);
    let last = &updates.last().unwrap().metrics;
    assert_eq!(last["epsilon"], 0.04);
    assert!(last["loss/q"].is_finite() && last["grad_norm"] > 0.0, "{last:?}");
    let score = evaluate(dqn.as_ref(), "CartPole-v1", 10);
    assert!(score > 150.0, "mean return {score}");
}

#[test]
fn sac_improves_pendulum_returns() {
    // A uniformly random policy averages about -1200 per episode on Pendulum-v1.
    let total = 3_000;
    let mut envs = envs("Pendulum-v1", 1, 0);
    let mut sac = learner("sac", &envs, &sac_pendulum(), 0, total);
    let updates = train(sac.as_mut(), &mut envs, total);
    let last = &updates.last().unwrap().metrics;
    assert!(last["alpha"] < 1.0, "the entropy coefficient was tuned down: {last:?}");
    let score = evaluate(sac.as_ref(), "Pendulum-v1", 5);
    assert!(score > -700.0, "mean return {score}");
}

/// Trains `k` updates, saves, then checks that a learner built with another seed (so other
/// weights, RNG streams and an empty buffer) and loaded from the checkpoint continues exactly
/// (bitwise-equal metrics and actions) as the original.
fn assert_exact_continuation(algo: &str, id: &str, params: serde_json::Value, k: usize, loss: &str) {
    let dir = scratch_dir(algo);
    let (num_envs, total) = (2, 100_000);
    let (mut env_a, mut env_b) = (envs(id, num_envs, 5), envs(id, num_envs, 5));
    let mut original = learner(algo, &env_a, &params, 1, total);
    let mut twin = learner(algo, &env_b, &params, 1, total);
    for _ in 0..k {
        // Same seed, same run (this also brings env_b to env_a's state).
        assert_eq!(original.update(&mut env_a).unwrap(), twin.update(&mut env_b).unwrap());
    }
    original.save(&dir).unwrap();
    let mut resumed = learner(algo, &env_b, &params, 99, total);
    let obs = env_a.last().obs.to_vec();
    resumed.load(&dir).unwrap();
    for deterministic in [true, false] {
        let actions = act(resumed.as_ref(), &obs, num_envs, deterministic);
        assert_eq!(actions, act(original.as_ref(), &obs, num_envs, deterministic));
    }
    for _ in 0..3 {
        let (expected, got) = (original.update(&mut env_a).unwrap(), resumed.update(&mut env_b).unwrap());
        assert!(expected.metrics.contains_key(loss), "the compared updates learn: {expected:?}");
        assert_eq!(expected, got);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dqn_save_load_continues_exactly() {
    let params = json!({
        "learning_starts": 64, "train_freq": 16, "gradient_steps": 4, "batch_size": 16,
        "target_update_interval": 32, "net_arch": [16], "n_step": 3, "double_q": true
    });
    assert_exact_continuation("dqn", "CartPole-v1", params, 4, "loss/q");
}

#[test]
fn sac_save_load_continues_exactly() {
    let params = json!({
        "learning_starts": 32, "train_freq": 8, "gradient_steps": 2, "batch_size": 16, "net_arch": [16], "n_step": 2
    });
    assert_exact_continuation("sac", "Pendulum-v1", params, 4, "loss/actor");
}

#[test]
fn unknown_config_keys_name_the_valid_ones() {
    let cartpole = envs("CartPole-v1", 1, 0);
    let error = try_learner("dqn", &cartpole, &json!({"learning_rat": 1e-3}), 0, 1000).err().unwrap().to_string();
    assert!(error.contains("learning_rat") && error.contains("learning_rate") && error.contains("double_q"), "{error}");
    let pendulum = envs("Pendulum-v1", 1, 0);
    let error = try_learner("sac", &pendulum, &json!({"ent_coeff": "auto"}), 0, 1000).err().unwrap().to_string();
    assert!(error.contains("ent_coeff") && error.contains("ent_coef") && error.contains("target_entropy"), "{error}");
    let error = try_learner("sac", &pendulum, &json!({"ent_coef": "automatic"}), 0, 1000).err().unwrap().to_string();
    assert!(error.contains("automatic") && error.contains("auto_"), "{error}");
    let error = try_learner("dqn", &cartpole, &json!({"tau": 0.0}), 0, 1000).err().unwrap();
    assert!(matches!(&error, AgentError::Config { field, .. } if field == "tau"), "{error}");
    // Each algorithm refuses the other's action space.
    assert!(matches!(try_learner("sac", &cartpole, &json!({}), 0, 1000), Err(AgentError::Unsupported(_))));
    assert!(matches!(try_learner("dqn", &pendulum, &json!({}), 0, 1000), Err(AgentError::Unsupported(_))));
    // The defaults build.
    for (algo, envs) in [("dqn", &cartpole), ("sac", &pendulum)] {
        let defaults = (Algorithms::builtins().get(algo).unwrap().defaults)();
        assert!(try_learner(algo, envs, &defaults, 0, 1000).is_ok());
    }
}

#[test]
fn damaged_checkpoints_are_named_errors() {
    let dir = scratch_dir("damaged");
    let params = json!({"learning_starts": 8, "train_freq": 8, "batch_size": 8, "net_arch": [8]});
    let mut envs = envs("CartPole-v1", 1, 0);
    let mut dqn = learner("dqn", &envs, &params, 0, 1000);
    train(dqn.as_mut(), &mut envs, 32);
    dqn.save(&dir).unwrap();

    let weights = dir.join("q.bpk");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    let error = learner("dqn", &envs, &params, 0, 1000).load(&dir).unwrap_err();
    assert!(matches!(&error, AgentError::Checkpoint { path, .. } if path.ends_with("q.bpk")), "{error}");
    std::fs::write(&weights, &bytes).unwrap();
    learner("dqn", &envs, &params, 0, 1000).load(&dir).unwrap();

    // Another config (or architecture) does not load.
    let other = json!({"learning_starts": 8, "train_freq": 8, "batch_size": 8, "net_arch": [8], "gamma": 0.9});
    let error = learner("dqn", &envs, &other, 0, 1000).load(&dir).unwrap_err().to_string();
    assert!(error.contains("state.json") && error.contains("gamma"), "{error}");
    // A missing file is named.
    std::fs::remove_file(dir.join("replay.bin")).unwrap();
    let error = learner("dqn", &envs, &params, 0, 1000).load(&dir).unwrap_err();
    assert!(matches!(&error, AgentError::Checkpoint { path, .. } if path.ends_with("replay.bin")), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn divergence_stops_with_a_named_quantity() {
    let params =
        json!({"learning_rate": 1e30, "learning_starts": 8, "train_freq": 8, "batch_size": 8, "net_arch": [8]});
    let mut envs = envs("CartPole-v1", 1, 0);
    let mut dqn = learner("dqn", &envs, &params, 0, 1000);
    let error = (0..20).find_map(|_| dqn.update(&mut envs).err()).expect("a learning rate of 1e30 diverges");
    match error {
        AgentError::NonFinite { update, quantity, value } => {
            assert!(update >= 1 && !value.is_finite(), "{quantity} = {value} at {update}");
            assert!(["loss/q", "grad_norm", "parameters of the Q-network"].contains(&quantity.as_str()), "{quantity}");
        }
        other => panic!("expected NonFinite, got {other}"),
    }
}
