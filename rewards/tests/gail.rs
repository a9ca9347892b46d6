//! GAIL's discriminator: it learns to tell the expert's transitions from a random policy's.

use limbic_agents::shaping::Transitions;
use limbic_environments::registry::{make, Kwargs};
use limbic_environments::rng::Generator;
use limbic_environments::{Env, Value};
use limbic_rewards::signals::gail::{ExpertPairs, Gail};
use limbic_rewards::{IntrinsicReward, SignalContext};
use serde_json::json;

/// The CartPole scripted expert's rule.
fn expert(o: &[f32]) -> i64 {
    (o[2] + 0.5 * o[3] + 0.01 * o[0] + 0.1 * o[1] > 0.0) as i64
}

/// `steps` transitions of CartPole-v1: (obs rows, actions, next obs rows, terminated).
fn rollout(
    steps: usize,
    seed: u64,
    policy: &mut dyn FnMut(&[f32]) -> i64,
) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<bool>) {
    let mut env = make("CartPole-v1", &Kwargs::new()).unwrap();
    let mut obs = vec![0.0f32; 4];
    env.reset_into(Some(seed), &mut obs).unwrap();
    let (mut rows, mut actions, mut next, mut terminated) = (vec![], vec![], vec![], vec![]);
    for episode in 1.. {
        for _ in 0..steps {
            let action = policy(&obs);
            rows.extend_from_slice(&obs);
            actions.push(action as f32);
            let t = env.step_into(&Value::Int(action), &mut obs).unwrap();
            next.extend_from_slice(&obs);
            terminated.push(t.terminated);
            if actions.len() == steps {
                return (rows, actions, next, terminated);
            }
            if t.terminated || t.truncated {
                env.reset_into(Some(seed + episode), &mut obs).unwrap();
                break;
            }
        }
    }
    unreachable!()
}

#[test]
fn the_discriminator_separates_expert_from_random_transitions() {
    let (expert_obs, expert_actions, _, _) = rollout(2000, 0, &mut |o| expert(o));
    let pairs = ExpertPairs { obs_dim: 4, action_dim: 1, obs: expert_obs, actions: expert_actions };
    let env = make("CartPole-v1", &Kwargs::new()).unwrap();
    let context = SignalContext {
        obs_dim: 4,
        observation_space: env.observation_space().clone(),
        action_space: env.action_space().clone(),
        num_envs: 1,
        seed: 7,
    };
    let mut gail = Gail::new(&json!({"epochs": 20}), &context, pairs).unwrap();
    let mut rng = Generator::from_seed(3);
    let (obs, actions, next, terminated) = rollout(1024, 100, &mut |_| rng.integers(0, 2));
    let (truncated, valid) = (vec![false; 1024], vec![true; 1024]);
    let rewards = vec![1.0f32; 1024];
    let random = Transitions {
        steps: 1024,
        envs: 1,
        obs_dim: 4,
        action_dim: 1,
        obs: &obs,
        actions: &actions,
        rewards: &rewards,
        next_obs: &next,
        terminated: &terminated,
        truncated: &truncated,
        valid: &valid,
        goal_dim: 0,
        goals: &[],
        next_goals: &[],
        advice: &[],
    };
    let before = gail.expert_probability(&random).unwrap();
    for _ in 0..5 {
        let stats = gail.update(&random).unwrap();
        assert!(stats["loss"].is_finite());
    }
    let after = gail.expert_probability(&random).unwrap();
    // Fresh expert transitions (other seeds) look like the expert's; random ones do not.
    let (e_obs, e_actions, e_next, e_terminated) = rollout(1024, 500, &mut |o| expert(o));
    let held_out =
        Transitions { obs: &e_obs, actions: &e_actions, next_obs: &e_next, terminated: &e_terminated, ..random };
    let expert_like = gail.expert_probability(&held_out).unwrap();
    assert!(after < 0.3 && expert_like > 0.7, "random {before:.3} -> {after:.3}, held-out expert {expert_like:.3}");
    // The reward -log(1 - D) ranks them the same way.
    let (mut r_random, mut r_expert) = (vec![0.0f32; 1024], vec![0.0f32; 1024]);
    gail.compute(&random, &mut r_random).unwrap();
    gail.compute(&held_out, &mut r_expert).unwrap();
    let mean = |x: &[f32]| x.iter().sum::<f32>() / x.len() as f32;
    assert!(mean(&r_expert) > 2.0 * mean(&r_random), "{} vs {}", mean(&r_expert), mean(&r_random));
    // State round trip: the same rewards after loading.
    let bytes = gail.save().unwrap();
    let mut other = Gail::new(
        &json!({}),
        &context,
        ExpertPairs { obs_dim: 4, action_dim: 1, obs: e_obs.clone(), actions: e_actions.clone() },
    )
    .unwrap();
    other.load(&bytes).unwrap();
    let mut again = vec![0.0f32; 1024];
    other.compute(&held_out, &mut again).unwrap();
    assert_eq!(again, r_expert);
}

#[test]
fn bad_demonstrations_are_refused() {
    let env = make("CartPole-v1", &Kwargs::new()).unwrap();
    let context = SignalContext {
        obs_dim: 4,
        observation_space: env.observation_space().clone(),
        action_space: env.action_space().clone(),
        num_envs: 1,
        seed: 0,
    };
    let empty = Gail::new(&json!({}), &context, ExpertPairs::default()).err().unwrap().to_string();
    assert!(empty.contains("no state-action pairs"), "{empty}");
    let wrong = ExpertPairs { obs_dim: 3, action_dim: 1, obs: vec![0.0; 3], actions: vec![0.0] };
    let message = Gail::new(&json!({}), &context, wrong).err().unwrap().to_string();
    assert!(message.contains("needs 4"), "{message}");
    let message = Gail::new(&json!({"hiden": [3]}), &context, ExpertPairs::default()).err().unwrap().to_string();
    assert!(message.contains("hidden"), "{message}");
}

#[test]
fn the_registry_entry_reads_a_minari_dataset() {
    let env = make("CartPole-v1", &Kwargs::new()).unwrap();
    let context = SignalContext {
        obs_dim: 4,
        observation_space: env.observation_space().clone(),
        action_space: env.action_space().clone(),
        num_envs: 1,
        seed: 0,
    };
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/minari/cartpole-v1-v0");
    let entry = limbic_rewards::signals::gail::ENTRY;
    // The fixture (written by Python Minari) holds 3 episodes of 61 steps in all.
    let pairs = ExpertPairs::read(std::path::Path::new(path), None, &context.action_space).unwrap();
    assert_eq!((pairs.len(), pairs.obs_dim, pairs.action_dim), (61, 4, 1));
    assert!(pairs.actions.iter().all(|&a| a == 0.0 || a == 1.0));
    assert!(ExpertPairs::read(std::path::Path::new(path), Some(1), &context.action_space).unwrap().len() < 61);
    (entry.build)(&json!({"demos": path, "n_demos": 2}), &context).unwrap();
    let missing = (entry.build)(&json!({}), &context).err().unwrap().to_string();
    assert!(missing.contains("gail.demos"), "{missing}");
    let too_many = (entry.build)(&json!({"demos": path, "n_demos": 4}), &context).err().unwrap().to_string();
    assert!(too_many.contains("holds 3 episode"), "{too_many}");
}
