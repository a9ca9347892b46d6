//! The classic-control scripted experts reproduce the reference table (RESULTS.md 1.4): mean
//! return over 100 episodes, reset seeds 0..99, as `scripted_experts.py` measured with
//! gymnasium 1.4.0.

use limbic_environments::experts::ExpertEnv;
use limbic_environments::{Env, Kwargs, Options};

/// Mean and population std of the expert's returns over reset seeds 0..n.
fn expert_returns(id: &str, n: u64) -> (f64, f64) {
    let mut env = ExpertEnv::make(id, &Kwargs::new()).unwrap();
    let returns: Vec<f64> = (0..n)
        .map(|seed| {
            env.reset(Some(seed), &Options::new()).unwrap();
            let mut total = 0.0;
            loop {
                let action = env.expert_action().unwrap();
                let step = env.step(&action).unwrap();
                total += step.reward;
                if step.terminated || step.truncated {
                    return total;
                }
            }
        })
        .collect();
    let mean = returns.iter().sum::<f64>() / n as f64;
    let std = (returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    (mean, std)
}

#[test]
fn experts_reproduce_the_reference_table() {
    // (id, mean, std) from RESULTS.md section 1.4, printed to two decimals.
    let table = [
        ("CartPole-v1", 500.00, 0.00),
        ("MountainCar-v0", -108.76, 19.52),
        ("MountainCarContinuous-v0", 90.80, 1.33),
        ("Acrobot-v1", -84.35, 24.27),
        ("Pendulum-v1", -144.77, 89.23),
    ];
    for (id, mean, std) in table {
        let (m, s) = expert_returns(id, 100);
        assert!(
            (m - mean).abs() <= 0.005 && (s - std).abs() <= 0.005,
            "{id}: {m:.4} ± {s:.4}, expected {mean} ± {std}"
        );
    }
}

#[test]
fn expert_env_labels_any_state_and_refuses_unknown_ids() {
    let mut env = ExpertEnv::make("MiniGrid-DoorKey-5x5-v0", &Kwargs::new()).unwrap();
    assert!(env.expert_action().is_err(), "no state before reset");
    // The fast path works too; the BFS expert solves seed 42 in 7 steps (gridworld docs).
    let mut row = vec![0.0; env.flat_space().flat_dim().unwrap()];
    env.reset_into(Some(42), &mut row).unwrap();
    let mut steps = 0;
    loop {
        let action = env.expert_action().unwrap();
        steps += 1;
        if env.step_into(&action, &mut row).unwrap().done() {
            break;
        }
    }
    assert_eq!(steps, 7);
    // Off the expert's path (a detour of turns), it still answers and still finishes.
    let mut env = ExpertEnv::make("MiniGrid-DoorKey-5x5-v0", &Kwargs::new()).unwrap();
    env.reset(Some(42), &Options::new()).unwrap();
    for _ in 0..3 {
        env.step(&limbic_environments::Value::Int(0)).unwrap();
    }
    let mut end = None;
    for _ in 0..50 {
        let action = env.expert_action().unwrap();
        let step = env.step(&action).unwrap();
        if step.terminated || step.truncated {
            end = Some(step.reward);
            break;
        }
    }
    assert!(end.is_some_and(|r| r > 0.0), "the expert reaches the goal after the detour");

    let err = ExpertEnv::make("CartPole-v0", &Kwargs::new()).err().unwrap().to_string();
    assert!(err.contains("CartPole-v0") && err.contains("CartPole-v1"), "{err}");
    assert!(ExpertEnv::has_expert("Pendulum-v1") && ExpertEnv::has_expert("MiniGrid-DoorKey-8x8-v0"));
    assert!(!ExpertEnv::has_expert("CartPole-v0"));
}
