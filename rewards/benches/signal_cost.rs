//! What each neural signal costs per env step on MiniGrid rollouts, against PPO's own update.
//!
//! `cargo bench -p limbic-rewards --bench signal_cost [-- REPEATS]`
//!
//! Rollouts: MiniGrid-DoorKey-8x8-v0, 16 sub-envs x 128 steps of uniformly random actions
//! (observation rows of 151 floats), NEXT_STEP autoreset (reset slots are invalid). Each signal,
//! with its default parameters: `observe` of every vector step (with `reset_episode` where an
//! episode ended, as the reward set does), then `compute` and `update` on the rollout, after one
//! warm-up rollout; each figure is the median over the rollouts. The reference is one PPO update with limbic's DoorKey preset (n_steps 128,
//! 16 envs, batch 256, 4 epochs; collection included), on the same env.

use limbic_agents::core::algorithm::build;
use limbic_agents::policies::FEED_FORWARD;
use limbic_agents::shaping::TransitionColumns;
use limbic_agents::AlgorithmSpec;
use limbic_environments::rng::Generator;
use limbic_environments::vector::VecEnv;
use limbic_environments::Kwargs;
use limbic_rewards::signals::{disagreement, e3b, icm, ngu, re3, ride, rnd};
use limbic_rewards::{IntrinsicReward, SignalContext, SignalEntry};
use std::time::Instant;

const ENV: &str = "MiniGrid-DoorKey-8x8-v0";
const ENVS: usize = 16;
const STEPS: usize = 128;

/// `STEPS` vector steps of uniformly random actions.
fn collect(envs: &mut VecEnv, rng: &mut Generator) -> TransitionColumns {
    let mut r =
        TransitionColumns { steps: STEPS, envs: ENVS, obs_dim: envs.obs_dim(), action_dim: 1, ..Default::default() };
    for _ in 0..STEPS {
        let last = envs.last();
        let resetting: Vec<bool> = (0..ENVS).map(|i| last.terminated[i] || last.truncated[i]).collect();
        r.obs.extend_from_slice(last.obs);
        let actions: Vec<i64> = (0..ENVS).map(|_| rng.integers(0, 7)).collect();
        let step = envs.step_discrete(&actions).expect("step");
        r.actions.extend(actions.iter().map(|&a| a as f32));
        r.rewards.extend(step.rewards.iter().map(|&x| x as f32));
        r.next_obs.extend_from_slice(step.obs);
        r.terminated.extend_from_slice(step.terminated);
        r.truncated.extend_from_slice(step.truncated);
        r.valid.extend(resetting.iter().map(|&x| !x));
    }
    r
}

/// Seconds spent in observe, compute and update over one rollout.
fn run(signal: &mut dyn IntrinsicReward, rollout: &TransitionColumns) -> [f64; 3] {
    let start = Instant::now();
    for t in 0..STEPS {
        let step = rollout.view().step_range(t..t + 1);
        signal.observe(&step).expect("observe");
        (0..ENVS).filter(|&i| step.done(i)).for_each(|i| signal.reset_episode(i));
    }
    let observed = start.elapsed().as_secs_f64();
    let mut out = vec![0.0f32; STEPS * ENVS];
    let start = Instant::now();
    signal.compute(&rollout.view(), &mut out).expect("compute");
    let computed = start.elapsed().as_secs_f64();
    let start = Instant::now();
    signal.update(&rollout.view()).expect("update");
    [observed, computed, start.elapsed().as_secs_f64()]
}

/// The median (the mean of the middle two for an even count): robust to other work sharing
/// the cores for a moment.
fn median(mut x: Vec<f64>) -> f64 {
    x.sort_by(f64::total_cmp);
    let n = x.len();
    if n % 2 == 1 {
        x[n / 2]
    } else {
        (x[n / 2 - 1] + x[n / 2]) / 2.0
    }
}

fn main() {
    let repeats: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(5);
    let mut envs = VecEnv::make(ENV, ENVS, &Kwargs::new()).expect("env");
    envs.reset(Some(0)).expect("reset");
    let mut rng = Generator::from_seed(0);
    let rollouts: Vec<TransitionColumns> = (0..=repeats).map(|_| collect(&mut envs, &mut rng)).collect();
    let frames = (STEPS * ENVS) as f64;
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "default".into());
    println!(
        "{ENV}, {ENVS} envs x {STEPS} steps, {repeats} rollouts after a warm-up (medians), RAYON_NUM_THREADS={threads}"
    );

    // The reference: PPO's own update (collection + 4 epochs) with the DoorKey preset.
    let params = serde_json::json!({"learning_rate": 0.001, "n_steps": STEPS, "batch_size": 256, "n_epochs": 4,
                                    "ent_coef": 0.01, "max_grad_norm": 0.5, "net_arch": [64, 64]});
    let spec = AlgorithmSpec {
        algo: "ppo",
        params: &params,
        policy: &FEED_FORWARD,
        observation_space: envs.observation_space(),
        action_space: envs.action_space(),
        num_envs: ENVS,
        total_steps: 10_000_000,
        seed: 0,
    };
    let mut ppo = build(&spec).expect("ppo");
    ppo.update(&mut envs).expect("ppo warm-up");
    let ppo_times: Vec<f64> = (0..repeats)
        .map(|_| {
            let start = Instant::now();
            ppo.update(&mut envs).expect("ppo update");
            start.elapsed().as_secs_f64()
        })
        .collect();
    let ppo_us = median(ppo_times) / frames * 1e6;
    println!("\n| signal | observe us/step | compute us/step | update us/step | total us/step | vs PPO update |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!("| PPO update (reference) | | | | {ppo_us:.2} | 1.00 |");

    let context = SignalContext {
        obs_dim: envs.obs_dim(),
        observation_space: envs.observation_space().clone(),
        action_space: envs.action_space().clone(),
        num_envs: ENVS,
        seed: 1,
    };
    let entries: [&SignalEntry; 7] =
        [&rnd::ENTRY, &icm::ENTRY, &disagreement::ENTRY, &ride::ENTRY, &e3b::ENTRY, &ngu::ENTRY, &re3::ENTRY];
    for entry in entries {
        let mut signal = (entry.build)(&(entry.defaults)(), &context).expect("build");
        run(signal.as_mut(), &rollouts[0]);
        let times: Vec<[f64; 3]> = rollouts[1..].iter().map(|rollout| run(signal.as_mut(), rollout)).collect();
        let us: [f64; 3] = std::array::from_fn(|i| median(times.iter().map(|t| t[i]).collect()) / frames * 1e6);
        let sum = median(times.iter().map(|t| t.iter().sum()).collect()) / frames * 1e6;
        println!("| {} | {:.2} | {:.2} | {:.2} | {sum:.2} | {:.2} |", entry.name, us[0], us[1], us[2], sum / ppo_us);
    }
}
