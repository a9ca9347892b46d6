//! The training envs saved mid-run (through JSON) and restored continue exactly as the
//! originals: same observations, rewards, flags and finished episodes.

use limbic::config::RunConfig;
use limbic::train_envs::{SavedEnvs, TrainEnvs};
use limbic_environments::rng::Generator;
use limbic_environments::Value;

fn config(env: &str, num_envs: usize) -> RunConfig {
    RunConfig { env: env.into(), num_envs, seed: 11, ..RunConfig::default() }
}

/// What one vector step gave: observations, rewards, terminated, truncated.
type Stepped = (Vec<f32>, Vec<f64>, Vec<bool>, Vec<bool>);

/// Steps with random actions from `rng`; returns everything the steps gave.
fn run(envs: &mut TrainEnvs, rng: &mut Generator, steps: usize) -> Vec<Stepped> {
    let space = envs.envs.action_space().clone();
    (0..steps)
        .map(|_| {
            let actions: Vec<Value> = (0..envs.envs.num_envs()).map(|_| space.sample(rng)).collect();
            let s = envs.envs.step(&actions).unwrap();
            (s.obs.to_vec(), s.rewards.to_vec(), s.terminated.to_vec(), s.truncated.to_vec())
        })
        .collect()
}

/// Saves after each of several step counts (so some sub-envs are mid-episode and some await
/// their autoreset), restores a copy, and steps both the same way.
fn check_exact_restore(env: &str, num_envs: usize, save_points: &[usize]) {
    let config = config(env, num_envs);
    for &k in save_points {
        let mut original = TrainEnvs::new(&config).unwrap();
        original.envs.reset(Some(config.seed)).unwrap();
        let mut rng = Generator::from_seed(k as u64);
        run(&mut original, &mut rng, k);
        original.envs.take_episodes();
        let json = serde_json::to_string(&original.save().unwrap()).unwrap();
        let saved: SavedEnvs = serde_json::from_str(&json).unwrap();
        let mut restored = TrainEnvs::restore(&config, &saved).unwrap();
        assert_eq!(restored.envs.state(), original.envs.state(), "{env} after {k} steps");

        let mut rng_b = rng.clone();
        assert_eq!(run(&mut restored, &mut rng_b, 300), run(&mut original, &mut rng, 300), "{env} after {k} steps");
        assert_eq!(restored.envs.take_episodes(), original.envs.take_episodes(), "{env} after {k} steps");
    }
}

#[test]
fn cartpole_continues_exactly_mid_episode_and_at_autoresets() {
    // Random CartPole episodes last ~10-40 steps: these points catch both situations.
    check_exact_restore("CartPole-v1", 3, &[1, 9, 17, 23, 31, 40, 57]);
    let config = config("CartPole-v1", 3);
    let mut envs = TrainEnvs::new(&config).unwrap();
    envs.envs.reset(Some(config.seed)).unwrap();
    let mut rng = Generator::from_seed(0);
    let pending_seen = (0..80).any(|_| {
        run(&mut envs, &mut rng, 1);
        envs.envs.state().done.iter().any(|&d| d)
    });
    assert!(pending_seen, "the test should cover a pending autoreset");
}

#[test]
fn continuous_actions_and_gridworlds_continue_exactly() {
    check_exact_restore("Pendulum-v1", 2, &[13, 205]);
    check_exact_restore("MiniGrid-DoorKey-5x5-v0", 2, &[5, 60, 251]);
}

#[test]
fn autoresets_get_fresh_seeds_per_sub_env_and_episode() {
    let config = config("CartPole-v1", 2);
    let mut envs = TrainEnvs::new(&config).unwrap();
    let first = envs.envs.reset(Some(config.seed)).unwrap().to_vec();
    let mut rng = Generator::from_seed(3);
    let mut starts = vec![first[..4].to_vec(), first[4..].to_vec()];
    for step in run(&mut envs, &mut rng, 400) {
        // A NEXT_STEP autoreset step returns reward 0 and the new episode's first observation.
        for i in 0..2 {
            if step.1[i] == 0.0 {
                starts.push(step.0[i * 4..(i + 1) * 4].to_vec());
            }
        }
    }
    assert!(starts.len() > 10);
    let mut unique = starts.clone();
    unique.sort_by(|a, b| a.partial_cmp(b).unwrap());
    unique.dedup();
    assert_eq!(unique.len(), starts.len(), "every episode starts from its own state");
}

#[test]
fn a_saved_state_for_another_config_is_refused() {
    let config3 = config("CartPole-v1", 3);
    let mut envs = TrainEnvs::new(&config3).unwrap();
    envs.envs.reset(Some(1)).unwrap();
    let saved = envs.save().unwrap();
    let message = TrainEnvs::restore(&config("CartPole-v1", 2), &saved).err().unwrap().to_string();
    assert!(message.contains("3 sub-envs") && message.contains("2"), "{message}");
}

#[test]
fn fixed_horizon_runs_every_episode_to_the_time_limit() {
    let mut cartpole = config("CartPole-v1", 2);
    cartpole.fixed_horizon = true;
    cartpole.env_kwargs.insert("max_episode_steps".into(), serde_json::json!(60));
    let mut envs = TrainEnvs::new(&cartpole).unwrap();
    envs.envs.reset(Some(cartpole.seed)).unwrap();
    let steps = run(&mut envs, &mut Generator::from_seed(5), 200);
    // Random actions end CartPole episodes after ~20 steps; here none terminates and every
    // episode is truncated at step 60 (then the NEXT_STEP reset step).
    assert!(steps.iter().all(|(_, _, terminated, _)| terminated.iter().all(|&t| !t)));
    let truncations: Vec<usize> = (0..200).filter(|&t| steps[t].3[0]).collect();
    assert_eq!(truncations, [59, 120, 181]);
    // Once the pole fell, the episode absorbs: reward 0 until the horizon.
    let rewards: Vec<f64> = steps[..60].iter().map(|(_, r, _, _)| r[0]).collect();
    let fallen = rewards.iter().position(|&r| r == 0.0).unwrap();
    assert!(fallen < 50 && rewards[fallen..].iter().all(|&r| r == 0.0), "{rewards:?}");
    // MiniGrid has no registry time limit: a fixed horizon needs one.
    let mut grid = config("MiniGrid-Empty-5x5-v0", 1);
    grid.fixed_horizon = true;
    let message = TrainEnvs::new(&grid).err().unwrap().to_string();
    assert!(message.contains("max_episode_steps"), "{message}");
}
