//! The neural signals driven directly with hand-built transitions (no learner).

use limbic_agents::shaping::{TransitionColumns, Transitions};
use limbic_agents::world_model::{ReplaySettings, SharedWorldModel, WorldModelConfig, WorldModelLearner};
use limbic_environments::rng::Generator;
use limbic_environments::{DType, Space};
use limbic_rewards::signals::{disagreement, e3b, icm, latent_disagreement, model_error, ngu, re3, ride, rnd};
use limbic_rewards::{IntrinsicReward, Memory, SignalContext, SignalEntry};
use serde_json::json;

/// Owned `[T, N]` transitions.
type Batch = TransitionColumns;

/// Random observations (normal) and discrete actions below `n`.
fn random_batch(steps: usize, envs: usize, obs_dim: usize, n: i64, rng: &mut Generator) -> Batch {
    let mut b = Batch::zeros(steps, envs, obs_dim, 1);
    b.obs.iter_mut().chain(b.next_obs.iter_mut()).for_each(|x| *x = rng.standard_normal() as f32);
    b.actions.iter_mut().for_each(|a| *a = rng.integers(0, n) as f32);
    b
}

/// Writes one slot's observation, discrete action and next observation.
fn set_slot(b: &mut Batch, slot: usize, obs: &[f32], action: f32, next_obs: &[f32]) {
    let d = b.obs_dim;
    b.obs[slot * d..(slot + 1) * d].copy_from_slice(obs);
    b.next_obs[slot * d..(slot + 1) * d].copy_from_slice(next_obs);
    b.actions[slot] = action;
}

fn flat_context(obs_dim: usize, actions: i64, num_envs: usize, seed: u64) -> SignalContext {
    SignalContext {
        obs_dim,
        observation_space: Space::uniform_box(-10.0, 10.0, &[obs_dim], DType::Float32),
        action_space: Space::discrete(actions),
        num_envs,
        seed,
    }
}

fn minigrid_context(num_envs: usize, seed: u64) -> SignalContext {
    SignalContext {
        obs_dim: 151,
        observation_space: Space::dict(vec![
            ("direction".into(), Space::discrete(4)),
            ("image".into(), Space::uniform_box(0.0, 255.0, &[7, 7, 3], DType::UInt8)),
        ]),
        action_space: Space::discrete(7),
        num_envs,
        seed,
    }
}

/// What the reward set does per vector step: observe, then forget finished episodes.
fn observe_rollout(signal: &mut dyn IntrinsicReward, rollout: &Transitions) {
    for t in 0..rollout.steps {
        let step = rollout.step_range(t..t + 1);
        signal.observe(&step).unwrap();
        for env in 0..step.envs {
            if step.done(env) {
                signal.reset_episode(env);
            }
        }
    }
}

fn compute(signal: &mut dyn IntrinsicReward, batch: &Transitions) -> Vec<f32> {
    let mut out = vec![f32::NAN; batch.slots()];
    signal.compute(batch, &mut out).unwrap();
    out
}

fn mean(x: &[f32]) -> f64 {
    x.iter().map(|&v| v as f64).sum::<f64>() / x.len() as f64
}

fn build(entry: &SignalEntry, params: serde_json::Value, context: &SignalContext) -> Box<dyn IntrinsicReward> {
    (entry.build)(&params, context).unwrap()
}

#[test]
fn rnd_error_falls_on_repeated_inputs_and_stays_high_on_novel_ones() {
    let mut rng = Generator::from_seed(1);
    let context = flat_context(8, 3, 4, 7);
    let params = json!({"target_hidden": [32], "predictor_hidden": [64], "latent_dim": 16,
                        "learning_rate": 3e-3, "batch_size": 32, "update_proportion": 1.0});
    let mut signal = build(&rnd::ENTRY, params, &context);
    assert_eq!(signal.memory(), Memory::Lifelong);
    let familiar = random_batch(8, 4, 8, 3, &mut rng);
    let novel = random_batch(8, 4, 8, 3, &mut rng);
    let before = mean(&compute(signal.as_mut(), &familiar.view()));
    for _ in 0..300 {
        signal.update(&familiar.view()).unwrap();
    }
    let (familiar_after, novel_after) =
        (mean(&compute(signal.as_mut(), &familiar.view())), mean(&compute(signal.as_mut(), &novel.view())));
    eprintln!("rnd: familiar {before:.4} -> {familiar_after:.4}, novel {novel_after:.4}");
    assert!(familiar_after < 0.05 * before, "{before} -> {familiar_after}");
    assert!(novel_after > 5.0 * familiar_after, "novel {novel_after} vs familiar {familiar_after}");
}

#[test]
fn rnd_scores_next_obs_and_skips_invalid_slots() {
    let mut rng = Generator::from_seed(2);
    let mut signal = build(&rnd::ENTRY, json!({"latent_dim": 8}), &flat_context(4, 2, 2, 0));
    let mut batch = random_batch(2, 2, 4, 2, &mut rng);
    batch.valid[1] = false;
    let out = compute(signal.as_mut(), &batch.view());
    assert_eq!(out[1], 0.0);
    assert!(out[0] > 0.0 && out[2] > 0.0);
    // Changing obs leaves the bonus alone; changing next_obs changes it.
    let mut other = batch.clone();
    other.obs.iter_mut().for_each(|x| *x += 1.0);
    assert_eq!(compute(signal.as_mut(), &other.view()), out);
    other.next_obs[0] += 1.0;
    assert_ne!(compute(signal.as_mut(), &other.view())[0], out[0]);
}

/// A ring of 5 cells as one-hot rows: action 0 goes left, 1 right, 2 stays.
fn ring_batch(steps: usize, envs: usize, rng: &mut Generator) -> Batch {
    let mut b = Batch::zeros(steps, envs, 5, 1);
    for slot in 0..steps * envs {
        let cell = rng.integers(0, 5) as usize;
        let action = rng.integers(0, 3) as usize;
        let next = [(cell + 4) % 5, (cell + 1) % 5, cell][action];
        let (mut o, mut n) = ([0.0f32; 5], [0.0f32; 5]);
        (o[cell], n[next]) = (1.0, 1.0);
        set_slot(&mut b, slot, &o, action as f32, &n);
    }
    b
}

#[test]
fn icm_inverse_model_learns_the_action_mapping() {
    let mut rng = Generator::from_seed(3);
    let context = flat_context(5, 3, 8, 11);
    let params =
        json!({"hidden": [32], "latent_dim": 16, "head_hidden": [32], "batch_size": 64, "learning_rate": 3e-3});
    let mut icm = icm::Icm::new(&params, &context).unwrap();
    let test = ring_batch(8, 8, &mut rng);
    let accuracy = |icm: &mut icm::Icm| {
        let predicted = icm.predict_actions(&test.view()).unwrap();
        predicted.iter().zip(&test.actions).filter(|(p, a)| **p == **a as usize).count() as f64 / predicted.len() as f64
    };
    let before = accuracy(&mut icm);
    let mut last = Default::default();
    for _ in 0..150 {
        last = icm.update(&ring_batch(8, 8, &mut rng).view()).unwrap();
    }
    let after = accuracy(&mut icm);
    eprintln!("icm: inverse accuracy {before:.2} -> {after:.2}, last losses {last:?}");
    assert!(after > 0.95, "accuracy {after}");
    assert!(last["loss_inverse"] < 0.3 && last.contains_key("loss_forward"), "{last:?}");
    // The bonus is the forward error, which training lowers on the mapping it learned.
    let bonus = mean(&compute(&mut icm, &test.view()));
    let fresh = mean(&compute(&mut icm::Icm::new(&params, &context).unwrap(), &test.view()));
    assert!(bonus < 0.5 * fresh, "trained {bonus}, fresh {fresh}");
}

#[test]
fn disagreement_variance_falls_where_trained() {
    let mut rng = Generator::from_seed(4);
    let context = flat_context(6, 3, 4, 5);
    let params = json!({"hidden": [32], "latent_dim": 8, "head_hidden": [32], "batch_size": 32,
                        "learning_rate": 3e-3, "ensemble_size": 4});
    let mut signal = build(&disagreement::ENTRY, params, &context);
    let trained = random_batch(8, 4, 6, 3, &mut rng);
    let mut elsewhere = random_batch(8, 4, 6, 3, &mut rng);
    elsewhere.obs.iter_mut().for_each(|x| *x = *x * 3.0 + 4.0);
    let (trained_before, elsewhere_before) =
        (mean(&compute(signal.as_mut(), &trained.view())), mean(&compute(signal.as_mut(), &elsewhere.view())));
    let mut losses = Vec::new();
    for _ in 0..200 {
        losses.push(signal.update(&trained.view()).unwrap()["loss"]);
    }
    let (trained_after, elsewhere_after) =
        (mean(&compute(signal.as_mut(), &trained.view())), mean(&compute(signal.as_mut(), &elsewhere.view())));
    eprintln!("disagreement: trained {trained_before:.4} -> {trained_after:.4}, elsewhere {elsewhere_before:.4} -> {elsewhere_after:.4}");
    assert!(trained_after < 0.2 * trained_before, "{trained_before} -> {trained_after}");
    assert!(elsewhere_after > 5.0 * trained_after, "elsewhere {elsewhere_after}, trained {trained_after}");
    assert!(losses[199] < 0.2 * losses[0], "loss {} -> {}", losses[0], losses[199]);
}

/// `C^-1` of a small symmetric positive definite matrix by Gauss-Jordan elimination.
fn invert(mut a: Vec<f64>, d: usize) -> Vec<f64> {
    let mut inv: Vec<f64> = (0..d * d).map(|i| if i / d == i % d { 1.0 } else { 0.0 }).collect();
    for col in 0..d {
        let pivot = a[col * d + col];
        for j in 0..d {
            a[col * d + j] /= pivot;
            inv[col * d + j] /= pivot;
        }
        for row in (0..d).filter(|&r| r != col) {
            let factor = a[row * d + col];
            for j in 0..d {
                a[row * d + j] -= factor * a[col * d + j];
                inv[row * d + j] -= factor * inv[col * d + j];
            }
        }
    }
    inv
}

#[test]
fn e3b_bonus_is_the_elliptical_norm_and_resets_per_sub_env() {
    let mut rng = Generator::from_seed(5);
    let (d, lambda) = (4usize, 0.1);
    let context = flat_context(3, 2, 2, 9);
    let params = json!({"hidden": [8], "latent_dim": d, "head_hidden": [8], "ridge": lambda});
    let mut e3b = e3b::E3b::new(&params, &context).unwrap();
    assert_eq!(e3b.memory(), Memory::Episodic);
    let mut rollout = random_batch(6, 2, 3, 2, &mut rng);
    rollout.terminated[2 * 2] = true; // env 0 ends its episode at step 2
    rollout.truncated[3 * 2 + 1] = true; // env 1 is truncated at step 3
    rollout.valid[3 * 2] = false; // env 0's NEXT_STEP reset slot
    observe_rollout(&mut e3b, &rollout.view());
    let bonuses = compute(&mut e3b, &rollout.view());

    // By hand: C = lambda I + sum of phi phi^T of the episode's earlier next observations.
    let phi = e3b.embed(&rollout.next_obs).unwrap();
    for env in 0..2 {
        let mut c: Vec<f64> = (0..d * d).map(|i| if i / d == i % d { lambda } else { 0.0 }).collect();
        for t in 0..6 {
            let s = t * 2 + env;
            if !rollout.valid[s] {
                assert_eq!(bonuses[s], 0.0);
                continue;
            }
            let p: Vec<f64> = phi[s * d..(s + 1) * d].iter().map(|&x| x as f64).collect();
            let inv = invert(c.clone(), d);
            let expected: f64 = (0..d).map(|i| (0..d).map(|j| p[i] * inv[i * d + j] * p[j]).sum::<f64>()).sum();
            let got = bonuses[s] as f64;
            assert!((got - expected).abs() < 1e-4 * expected.max(1.0), "env {env} step {t}: {got} vs {expected}");
            (0..d * d).for_each(|k| c[k] += p[k / d] * p[k % d]);
            if rollout.terminated[s] || rollout.truncated[s] {
                c = (0..d * d).map(|i| if i / d == i % d { lambda } else { 0.0 }).collect();
            }
        }
    }
    // A fresh episode's first bonus is |phi|^2 / lambda (env 0 after its termination at step 2
    // and the invalid reset slot, env 1 after its truncation at step 3).
    for (env, t) in [(0, 4), (1, 4)] {
        let s = t * 2 + env;
        let norm: f64 = phi[s * d..(s + 1) * d].iter().map(|&x| (x as f64).powi(2)).sum();
        assert!((bonuses[s] as f64 - norm / lambda).abs() < 1e-4 * (norm / lambda), "env {env}");
    }
    // Resetting one sub-env leaves the other's matrix alone.
    let other = e3b.inverse(1).unwrap().to_vec();
    e3b.reset_episode(0);
    assert_eq!(e3b.inverse(1).unwrap(), other);
    assert_eq!(e3b.inverse(0).unwrap()[0], 1.0 / lambda);
}

#[test]
fn ride_counts_visits_per_episode_and_resets_per_sub_env() {
    let context = flat_context(2, 2, 2, 3);
    let mut ride = ride::Ride::new(&json!({"hidden": [8], "latent_dim": 4, "head_hidden": [8]}), &context).unwrap();
    let (a, b) = ([0.0f32, 1.0], [1.0f32, 0.0]);
    // Both envs bounce a -> b -> a -> b; env 0 terminates at step 2, env 1 is truncated at 3.
    let mut rollout = Batch::zeros(4, 2, 2, 1);
    for t in 0..4 {
        let (from, to) = if t % 2 == 0 { (a, b) } else { (b, a) };
        set_slot(&mut rollout, t * 2, &from, 0.0, &to);
        set_slot(&mut rollout, t * 2 + 1, &from, 1.0, &to);
    }
    rollout.terminated[2 * 2] = true;
    rollout.truncated[3 * 2 + 1] = true;
    observe_rollout(&mut ride, &rollout.view().step_range(0..2));
    assert_eq!((ride.episode_count(0, &a), ride.episode_count(0, &b)), (2, 1));
    observe_rollout(&mut ride, &rollout.view().step_range(2..3));
    assert_eq!(ride.episode_count(0, &a), 0, "env 0 forgot its episode when it terminated");
    assert_eq!((ride.episode_count(1, &a), ride.episode_count(1, &b)), (2, 2), "env 1 kept its own");
    observe_rollout(&mut ride, &rollout.view().step_range(3..4));
    assert_eq!(ride.episode_count(1, &b), 0, "env 1 forgot its episode when it was truncated");
    assert_eq!((ride.episode_count(0, &b), ride.episode_count(0, &a)), (1, 1));

    let bonuses = compute(&mut ride, &rollout.view());
    // Same embedding jump (a <-> b) each step, divided by sqrt of the visits of s'.
    let jump = bonuses[0]; // env 0, step 0: b seen once
    assert!(jump > 0.0);
    let expect = |count: f32| jump / count.sqrt();
    let close = |x: f32, y: f32| (x - y).abs() < 1e-5 * y.abs().max(1e-6);
    assert!(close(bonuses[2], expect(2.0)), "step 1, a seen twice: {}", bonuses[2]);
    assert!(close(bonuses[4], expect(2.0)), "step 2, b seen twice: {}", bonuses[4]);
    assert!(close(bonuses[6], expect(1.0)), "step 3, env 0 new episode: {}", bonuses[6]);
    assert!(close(bonuses[7], expect(3.0)), "step 3, env 1 sees a a third time: {}", bonuses[7]);
}

#[test]
fn ngu_memories_reset_per_sub_env_and_repeats_score_lower() {
    let context = flat_context(2, 2, 2, 4);
    let params = json!({"hidden": [8], "latent_dim": 4, "head_hidden": [8], "k": 2,
                        "rnd": {"target_hidden": [8], "predictor_hidden": [8], "latent_dim": 4}});
    let mut ngu = ngu::Ngu::new(&params, &context).unwrap();
    let cells: Vec<[f32; 2]> = (0..6).map(|i| [i as f32, (i * i) as f32 * 0.5]).collect();
    // env 0 walks to new cells; env 1 bounces between two; env 1 is truncated at step 3.
    let mut rollout = Batch::zeros(5, 2, 2, 1);
    for t in 0..5 {
        set_slot(&mut rollout, t * 2, &cells[t], 1.0, &cells[t + 1]);
        let (from, to) = if t % 2 == 0 { (cells[0], cells[1]) } else { (cells[1], cells[0]) };
        set_slot(&mut rollout, t * 2 + 1, &from, 0.0, &to);
    }
    rollout.truncated[3 * 2 + 1] = true;
    observe_rollout(&mut ngu, &rollout.view().step_range(0..3));
    assert_eq!((ngu.memory_len(0), ngu.memory_len(1)), (4, 4), "first observation + 3 next ones each");
    observe_rollout(&mut ngu, &rollout.view().step_range(3..4));
    assert_eq!((ngu.memory_len(0), ngu.memory_len(1)), (5, 0), "only the truncated env forgot");
    observe_rollout(&mut ngu, &rollout.view().step_range(4..5));
    assert_eq!((ngu.memory_len(0), ngu.memory_len(1)), (6, 2));
    let bonuses = compute(&mut ngu, &rollout.view());
    assert!(bonuses.iter().all(|b| b.is_finite() && *b >= 0.0), "{bonuses:?}");
    // Env 1 keeps revisiting: its later bonuses fall below env 0's novel steps.
    assert!(bonuses[2 * 2 + 1] < bonuses[2 * 2], "{bonuses:?}");
    let update = ngu.update(&rollout.view()).unwrap();
    assert!(update.contains_key("loss_inverse") && update.contains_key("loss_rnd"), "{update:?}");
}

#[test]
fn episodic_signals_need_the_observed_steps() {
    let mut rng = Generator::from_seed(6);
    let context = flat_context(3, 2, 2, 0);
    let batch = random_batch(3, 2, 3, 2, &mut rng);
    for entry in [&ride::ENTRY, &e3b::ENTRY, &ngu::ENTRY] {
        let mut signal = build(entry, json!({}), &context);
        let mut out = vec![0.0; 6];
        let error = signal.compute(&batch.view(), &mut out).unwrap_err().to_string();
        assert!(error.contains(entry.name) && error.contains("observed"), "{error}");
        observe_rollout(signal.as_mut(), &batch.view());
        signal.compute(&batch.view(), &mut out).unwrap();
    }
}

#[test]
fn re3_takes_the_kth_nearest_other_embedding() {
    // Points 0, 1, 3, 6 on a line (hand-computed neighbours).
    let y = [0.0f32, 1.0, 3.0, 6.0];
    assert_eq!(re3::kth_neighbour_distances(&y, 1, 1).unwrap(), [1.0, 1.0, 2.0, 3.0]);
    assert_eq!(re3::kth_neighbour_distances(&y, 1, 2).unwrap(), [3.0, 2.0, 3.0, 5.0]);
    assert_eq!(re3::kth_neighbour_distances(&y, 1, 3).unwrap(), [6.0, 5.0, 3.0, 6.0]);
    // In 2-D, with a duplicate: (0,0), (0,0), (3,4), (6,8).
    let y = [0.0f32, 0.0, 0.0, 0.0, 3.0, 4.0, 6.0, 8.0];
    assert_eq!(re3::kth_neighbour_distances(&y, 2, 1).unwrap(), [0.0, 0.0, 5.0, 5.0]);
    assert_eq!(re3::kth_neighbour_distances(&y, 2, 2).unwrap(), [5.0, 5.0, 5.0, 10.0]);

    // The signal: log(1 + k-th distance) among the batch's valid next observations.
    let mut rng = Generator::from_seed(7);
    let context = flat_context(3, 2, 3, 1);
    let mut signal = re3::Re3::new(&json!({"hidden": [16], "latent_dim": 5, "k": 3}), &context).unwrap();
    let mut batch = random_batch(4, 3, 3, 2, &mut rng);
    batch.valid[4] = false;
    let out = compute(&mut signal, &batch.view());
    let y = signal.embed(&batch.next_obs).unwrap();
    for s in 0..12 {
        if s == 4 {
            assert_eq!(out[s], 0.0);
            continue;
        }
        let mut distances: Vec<f32> = (0..12)
            .filter(|&j| j != s && j != 4)
            .map(|j| (0..5).map(|i| (y[s * 5 + i] - y[j * 5 + i]).powi(2)).sum::<f32>().sqrt())
            .collect();
        distances.sort_by(f32::total_cmp);
        let expected = (distances[2] + 1.0).ln();
        assert!((out[s] - expected).abs() < 1e-5, "slot {s}: {} vs {expected}", out[s]);
    }
}

/// Every neural signal, with small networks.
fn all_signals() -> Vec<(&'static SignalEntry, serde_json::Value)> {
    let small = json!({"hidden": [16], "latent_dim": 8, "head_hidden": [16], "batch_size": 4});
    vec![
        (&rnd::ENTRY, json!({"target_hidden": [16], "predictor_hidden": [16], "latent_dim": 8, "batch_size": 4})),
        (&icm::ENTRY, small.clone()),
        (&disagreement::ENTRY, small.clone()),
        (&ride::ENTRY, small.clone()),
        (&e3b::ENTRY, small.clone()),
        (
            &ngu::ENTRY,
            json!({"hidden": [16], "latent_dim": 8, "head_hidden": [16], "batch_size": 4,
                             "rnd": {"target_hidden": [16], "predictor_hidden": [16], "latent_dim": 8, "batch_size": 4}}),
        ),
        (&re3::ENTRY, json!({"hidden": [16], "latent_dim": 8})),
        (
            &latent_disagreement::ENTRY,
            json!({"ensemble_size": 3, "hidden": [16], "batch_size": 4, "model": tiny_model()}),
        ),
        (&model_error::ENTRY, json!({"model": tiny_model()})),
    ]
}

/// A world model small enough for a test, training from the 4th observed step on.
fn tiny_model() -> serde_json::Value {
    json!({"world_model": {"deter": 8, "stoch": 2, "classes": 4, "units": 8, "layers": 1},
           "buffer_size": 64, "batch_size": 2, "seq_len": 3, "train_ratio": 6, "learning_starts": 4})
}

/// A deterministic cycle through 4 observations, the action naming the next one.
fn cycle_rollout(steps: usize, envs: usize) -> Batch {
    let mut b = Batch::zeros(steps, envs, 4, 1);
    for t in 0..steps {
        for e in 0..envs {
            let (now, next) = ((t + e) % 4, (t + e + 1) % 4);
            let (mut obs, mut next_obs) = ([0.0f32; 4], [0.0f32; 4]);
            (obs[now], next_obs[next]) = (1.0, 1.0);
            set_slot(&mut b, t * envs + e, &obs, next as f32, &next_obs);
        }
    }
    b
}

#[test]
fn model_error_prediction_falls_as_its_own_model_learns_a_cycle() {
    let context = flat_context(4, 4, 2, 3);
    let params = json!({"measure": "recon", "model": {"world_model": {"deter": 16, "stoch": 4, "classes": 4, "units": 16, "layers": 1},
                        "buffer_size": 256, "batch_size": 4, "seq_len": 8, "train_ratio": 32, "learning_starts": 16}});
    let mut signal = build(&model_error::ENTRY, params, &context);
    let rollout = cycle_rollout(16, 2);
    let first = mean(&cycle(signal.as_mut(), &rollout));
    let mut trained = Vec::new();
    for _ in 0..30 {
        let bonuses = cycle(signal.as_mut(), &rollout);
        trained.push(mean(&bonuses));
    }
    let last = trained[trained.len() - 1];
    eprintln!("model_error (recon): first {first:.4}, last {last:.4}");
    assert!(last < 0.5 * first, "the surprise at a learned cycle falls: {first} -> {last}");
}

#[test]
fn model_signals_read_a_shared_model_instead_of_training_their_own() {
    let context = flat_context(4, 4, 2, 3);
    let model = tiny_model();
    let config: WorldModelConfig = serde_json::from_value(model["world_model"].clone()).unwrap();
    let settings = ReplaySettings { buffer_size: 64, batch_size: 2, seq_len: 3, train_ratio: 6.0, learning_starts: 4 };
    let learner = |seed| {
        let space = &context.observation_space;
        WorldModelLearner::new(&config, &settings, space, &context.action_space, 2, seed).unwrap().model().clone()
    };
    let rollout = cycle_rollout(8, 2);
    for (entry, params) in
        all_signals().into_iter().filter(|(e, _)| [latent_disagreement::NAME, model_error::NAME].contains(&e.name))
    {
        // Sharing a model equal to the signal's own scores the same; the shared one is not trained.
        let (mut own, mut reader) = (build(entry, params.clone(), &context), build(entry, params.clone(), &context));
        let shared = SharedWorldModel::new(learner(context.seed));
        assert!(reader.share_world_model(&shared).unwrap(), "{}", entry.name);
        observe_rollout(own.as_mut(), &rollout.view());
        observe_rollout(reader.as_mut(), &rollout.view());
        let (a, b) = (compute(own.as_mut(), &rollout.view()), compute(reader.as_mut(), &rollout.view()));
        if entry.name == model_error::NAME {
            // (latent_disagreement's predictors are rebuilt for the shared model's states.)
            assert_eq!(a, b, "{}: same model, same bonuses", entry.name);
        }
        let own_metrics = own.update(&rollout.view()).unwrap();
        assert!(own_metrics.contains_key("world_model/recon"), "{}: {own_metrics:?}", entry.name);
        let updated = reader.update(&rollout.view()).unwrap();
        assert!(!updated.keys().any(|k| k.starts_with("world_model/")), "{}: {updated:?}", entry.name);
        // What the owner publishes is what the signal reads from then on.
        shared.set(learner(context.seed + 1));
        let c = cycle(reader.as_mut(), &rollout);
        assert_ne!(b, c, "{}: the published model is read", entry.name);
        // A model of other observations is refused.
        let other = SharedWorldModel::new({
            let space = Space::uniform_box(-1.0, 1.0, &[3], DType::Float32);
            WorldModelLearner::new(&config, &settings, &space, &context.action_space, 2, 0).unwrap().model().clone()
        });
        assert!(!build(entry, params, &context).share_world_model(&other).unwrap(), "{}", entry.name);
    }
}

/// A MiniGrid-shaped rollout: direction one-hot + image of small integers.
fn minigrid_rollout(steps: usize, envs: usize, rng: &mut Generator) -> Batch {
    let mut b = Batch::zeros(steps, envs, 151, 1);
    for rows in [&mut b.obs, &mut b.next_obs] {
        for row in rows.chunks_exact_mut(151) {
            row[rng.integers(0, 4) as usize] = 1.0;
            // Valid cells: object < 11, colour < 6, state < 3 (a world model refuses others).
            for (k, x) in row[4..].iter_mut().enumerate() {
                *x = rng.integers(0, [11, 6, 3][k % 3]) as f32;
            }
        }
    }
    b.actions.iter_mut().for_each(|a| *a = rng.integers(0, 7) as f32);
    b.terminated[envs] = true;
    b.valid[2 * envs] = false;
    b
}

/// observe + compute + update over `rollout`; returns the bonuses.
fn cycle(signal: &mut dyn IntrinsicReward, rollout: &Batch) -> Vec<f32> {
    observe_rollout(signal, &rollout.view());
    let out = compute(signal, &rollout.view());
    signal.update(&rollout.view()).unwrap();
    out
}

#[test]
fn save_and_load_restore_each_signal_exactly() {
    let mut rng = Generator::from_seed(8);
    let context = minigrid_context(2, 21);
    let rollouts: Vec<Batch> = (0..3).map(|_| minigrid_rollout(4, 2, &mut rng)).collect();
    for (entry, params) in all_signals() {
        let mut original = build(entry, params.clone(), &context);
        cycle(original.as_mut(), &rollouts[0]);
        // Mid-rollout: one step observed but not yet computed.
        original.observe(&rollouts[1].view().step_range(0..1)).unwrap();
        let bytes = original.save().unwrap();

        let mut restored = build(entry, params.clone(), &SignalContext { seed: 99, ..context.clone() });
        restored.load(&bytes).unwrap();
        for signal in [&mut original, &mut restored] {
            for t in 1..4 {
                signal.observe(&rollouts[1].view().step_range(t..t + 1)).unwrap();
                if rollouts[1].terminated[t * 2] {
                    signal.reset_episode(0);
                }
            }
        }
        let (a, b) = (compute(original.as_mut(), &rollouts[1].view()), compute(restored.as_mut(), &rollouts[1].view()));
        assert_eq!(a, b, "{}: bonuses after load", entry.name);
        assert!(a.iter().any(|&x| x != 0.0), "{}: {a:?}", entry.name);
        original.update(&rollouts[1].view()).unwrap();
        restored.update(&rollouts[1].view()).unwrap();
        let (a, b) = (cycle(original.as_mut(), &rollouts[2]), cycle(restored.as_mut(), &rollouts[2]));
        assert_eq!(a, b, "{}: bonuses after training on", entry.name);

        // Damaged or foreign bytes are an error, and leave the signal as it was.
        let mut damaged = bytes.clone();
        let at = damaged.len() - 3;
        damaged[at] ^= 0xff;
        let error = restored.load(&damaged).unwrap_err().to_string();
        assert!(error.contains(entry.name) && error.contains("corrupt"), "{error}");
        assert!(restored.load(&bytes[..bytes.len() / 2]).is_err());
        let (a, b) = (cycle(original.as_mut(), &rollouts[0]), cycle(restored.as_mut(), &rollouts[0]));
        assert_eq!(a, b, "{}: a failed load changed nothing", entry.name);
    }
    let rnd_bytes = build(&rnd::ENTRY, json!({}), &context).save().unwrap();
    let error = build(&icm::ENTRY, json!({}), &context).load(&rnd_bytes).unwrap_err().to_string();
    assert!(error.contains("rnd") && error.contains("icm"), "{error}");
}

#[test]
fn bad_params_name_the_key() {
    let context = flat_context(3, 2, 2, 0);
    for (entry, _) in all_signals() {
        let error = (entry.build)(&json!({"no_such_key": 1}), &context).err().unwrap().to_string();
        assert!(error.contains("no_such_key") && error.contains(entry.params[0].0), "{}: {error}", entry.name);
        // Defaults are exactly the documented keys, and build.
        let defaults = (entry.defaults)();
        let keys: Vec<&str> = defaults.as_object().unwrap().keys().map(String::as_str).collect();
        let mut documented: Vec<&str> = entry.params.iter().map(|(k, _)| *k).collect();
        documented.sort_unstable();
        assert_eq!(keys, documented, "{}", entry.name);
        (entry.build)(&defaults, &context).unwrap();
    }
    let cases = [
        (&rnd::ENTRY, json!({"update_proportion": 1.5}), "rnd.update_proportion"),
        (&rnd::ENTRY, json!({"learning_rate": -1.0}), "rnd.learning_rate"),
        (&icm::ENTRY, json!({"beta": 2.0}), "icm.beta"),
        (&icm::ENTRY, json!({"hidden": [0]}), "icm.hidden"),
        (&disagreement::ENTRY, json!({"ensemble_size": 1}), "disagreement.ensemble_size"),
        (&e3b::ENTRY, json!({"ridge": 0.0}), "e3b.ridge"),
        (&ride::ENTRY, json!({"forward_coef": -1.0}), "ride.forward_coef"),
        (&ngu::ENTRY, json!({"k": 0}), "ngu.k"),
        (&ngu::ENTRY, json!({"max_modulation": 0.5}), "ngu.max_modulation"),
        (&ngu::ENTRY, json!({"rnd": {"update_proportion": 0.0}}), "ngu.rnd.update_proportion"),
        (&re3::ENTRY, json!({"k": 0}), "re3.k"),
        (&rnd::ENTRY, json!({"epochs": "two"}), "rnd"),
    ];
    for (entry, params, key) in cases {
        let error = (entry.build)(&params, &context).err().unwrap().to_string();
        assert!(error.contains(key), "{params}: {error}");
    }
    let error = (ngu::ENTRY.build)(&json!({"rnd": {"typo": 1}}), &context).err().unwrap().to_string();
    assert!(error.contains("typo") && error.contains("update_proportion"), "{error}");
    // A Box action space is encoded raw; a Text one is refused.
    let boxed = SignalContext { action_space: Space::uniform_box(-1.0, 1.0, &[2], DType::Float32), ..context.clone() };
    (icm::ENTRY.build)(&json!({}), &boxed).unwrap();
    let text =
        SignalContext { action_space: Space::Text { min_length: 1, max_length: 2, charset: "ab".into() }, ..context };
    let error = (icm::ENTRY.build)(&json!({}), &text).err().unwrap().to_string();
    assert!(error.contains("Discrete or Box"), "{error}");
}

#[test]
fn non_finite_bonuses_stop_with_the_signal_named() {
    let mut rng = Generator::from_seed(9);
    let context = flat_context(4, 2, 2, 0);
    let mut batch = random_batch(2, 2, 4, 2, &mut rng);
    (batch.obs[0], batch.next_obs[0]) = (f32::NAN, f32::NAN);
    for (entry, params) in all_signals() {
        let mut signal = build(entry, params, &context);
        observe_rollout(signal.as_mut(), &batch.view());
        let mut out = vec![0.0; 4];
        let result = signal.compute(&batch.view(), &mut out);
        let error = result.map_or_else(|e| e.to_string(), |_| format!("{}: no error, bonuses {out:?}", entry.name));
        assert!(error.contains(&format!("{} bonus", entry.name)) && error.contains("NaN"), "{error}");
    }
}

#[test]
fn episodic_signals_observe_several_steps_at_once_as_one_by_one() {
    let mut rng = Generator::from_seed(10);
    let context = flat_context(3, 2, 3, 2);
    let mut rollout = random_batch(6, 3, 3, 2, &mut rng);
    // Revisits, so counts and memories matter; episodes end inside the rollout and at its end.
    let (o, n) = (rollout.obs[..3].to_vec(), rollout.next_obs[..3].to_vec());
    (1..6).for_each(|t| set_slot(&mut rollout, t * 3, &o, 0.0, &n));
    (rollout.terminated[3], rollout.truncated[2 * 3 + 1], rollout.terminated[5 * 3 + 2]) = (true, true, true);
    rollout.valid[2 * 3] = false;
    for entry in [&ride::ENTRY, &e3b::ENTRY, &ngu::ENTRY] {
        let (mut one_by_one, mut at_once) = (build(entry, json!({}), &context), build(entry, json!({}), &context));
        observe_rollout(one_by_one.as_mut(), &rollout.view());
        at_once.observe(&rollout.view()).unwrap();
        at_once.reset_episode(2);
        assert_eq!(
            compute(one_by_one.as_mut(), &rollout.view()),
            compute(at_once.as_mut(), &rollout.view()),
            "{}",
            entry.name
        );
        // And the memories agree afterwards: the next step scores the same.
        let next = rollout.view().step_range(0..1);
        observe_rollout(one_by_one.as_mut(), &next);
        observe_rollout(at_once.as_mut(), &next);
        assert_eq!(compute(one_by_one.as_mut(), &next), compute(at_once.as_mut(), &next), "{}", entry.name);
    }
}
