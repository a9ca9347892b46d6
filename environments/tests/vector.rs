//! Vector envs against Gymnasium 1.4.0's SyncVectorEnv (fixtures recorded by
//! `scripts/record_vector_fixtures.py`), threaded against single-threaded, and their errors.

use limbic_environments::classic::CartPole;
use limbic_environments::rng::Generator;
use limbic_environments::wrappers::TimeLimit;
use limbic_environments::{
    make, Autoreset, DType, Env, EnvError, Episode, Info, Kwargs, Options, Space, Step, Transition, Value, VecEnv,
};
use serde_json::Value as Json;

fn fixture(name: &str) -> Json {
    let path = format!("{}/../tests/fixtures/vector/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// `[[f32; D]; N]` rows as one flat row-major vector.
fn flat_rows(rows: &Json) -> Vec<f32> {
    rows.as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32))
        .collect()
}

fn bools(v: &Json) -> Vec<bool> {
    v.as_array().unwrap().iter().map(|b| b.as_bool().unwrap()).collect()
}

fn mode_of(name: &str) -> Autoreset {
    match name {
        "NEXT_STEP" => Autoreset::NextStep,
        "SAME_STEP" => Autoreset::SameStep,
        "DISABLED" => Autoreset::Disabled,
        other => panic!("unknown autoreset mode {other}"),
    }
}

/// Replays a recorded Gymnasium run with sub-envs built by `make`, and asserts every buffer
/// matches, step by step.
fn replay(name: &str, threads: usize) {
    let fx = fixture(name);
    let kwargs: Kwargs = fx["kwargs"].as_object().unwrap().clone();
    let n = fx["num_envs"].as_u64().unwrap() as usize;
    replay_with(&fx, name, VecEnv::make(fx["id"].as_str().unwrap(), n, &kwargs).unwrap(), threads);
}

/// Replays a recorded CartPole-v1 run with the batched CartPole vector env.
fn replay_batched(name: &str, threads: usize) {
    let fx = fixture(name);
    let limit = fx["kwargs"].get("max_episode_steps").map_or(500, |m| m.as_u64().unwrap() as usize);
    let n = fx["num_envs"].as_u64().unwrap() as usize;
    replay_with(&fx, name, VecEnv::cartpole(n, limit, false).unwrap(), threads);
}

fn replay_with<E: Env>(fx: &Json, name: &str, envs: VecEnv<E>, threads: usize) {
    let n = envs.num_envs();
    let mode = mode_of(fx["autoreset_mode"].as_str().unwrap());
    let mut envs = envs.with_autoreset(mode).with_threads(Some(threads)).unwrap();
    assert_eq!(envs.threads(), threads.min(n));
    let obs = envs.reset(Some(fx["seed"].as_u64().unwrap())).unwrap();
    assert_eq!(obs, flat_rows(&fx["reset_obs"]), "{name}: reset");
    for (t, rec) in fx["steps"].as_array().unwrap().iter().enumerate() {
        let actions: Vec<i64> = rec["actions"].as_array().unwrap().iter().map(|a| a.as_i64().unwrap()).collect();
        let step = envs.step_discrete(&actions).unwrap();
        assert_eq!(step.obs, flat_rows(&rec["obs"]), "{name}: obs at step {t}");
        let rewards: Vec<f64> = rec["rewards"].as_array().unwrap().iter().map(|r| r.as_f64().unwrap()).collect();
        assert_eq!(step.rewards, rewards, "{name}: rewards at step {t}");
        assert_eq!(step.terminated, bools(&rec["terminated"]), "{name}: terminated at step {t}");
        assert_eq!(step.truncated, bools(&rec["truncated"]), "{name}: truncated at step {t}");
        if mode == Autoreset::SameStep {
            assert_eq!(step.final_mask, bools(&rec["final_mask"]), "{name}: final mask at step {t}");
            for (i, final_obs) in rec["final_obs"].as_array().unwrap().iter().enumerate() {
                if !final_obs.is_null() {
                    let row = &step.final_obs[i * 4..(i + 1) * 4];
                    assert_eq!(
                        row,
                        flat_rows(&Json::Array(vec![final_obs.clone()])),
                        "{name}: final obs {i} at step {t}"
                    );
                }
            }
        } else {
            assert!(step.final_mask.iter().all(|m| !m), "{name}: no final obs outside SAME_STEP");
        }
        if mode == Autoreset::Disabled {
            let mask = bools(&rec["reset_mask"]);
            let obs = envs.reset_with(None, &Options::new(), Some(&mask)).unwrap();
            let expected = rec.get("obs_after_reset").unwrap_or(&rec["obs"]);
            assert_eq!(obs, flat_rows(expected), "{name}: obs after the masked reset at step {t}");
        }
    }
}

const FIXTURES: [&str; 5] = [
    "cartpole_next_step",
    "cartpole_same_step",
    "cartpole_next_step_limit20",
    "cartpole_same_step_limit20",
    "cartpole_disabled",
];

#[test]
fn sync_vector_env_matches_gymnasium() {
    for name in FIXTURES {
        replay(name, 1);
    }
}

#[test]
fn threaded_vector_env_matches_gymnasium() {
    for name in FIXTURES {
        replay(name, 2);
        replay(name, 3);
    }
}

#[test]
fn batched_cartpole_matches_gymnasium() {
    for name in FIXTURES {
        replay_batched(name, 1);
        replay_batched(name, 2);
    }
}

#[test]
fn batched_cartpole_matches_stepping_one_by_one() {
    // 150 envs: neither the kernel's blocks (16) nor 4 threads divide them.
    for mode in [Autoreset::NextStep, Autoreset::SameStep] {
        for (limit, sutton_barto) in [(500, false), (20, true), (7, false)] {
            let one_by_one =
                || VecEnv::from_fn(150, |_| Ok(TimeLimit::new(CartPole::new(sutton_barto), limit))).unwrap();
            let (expected, expected_episodes) = run(one_by_one().with_autoreset(mode), 9, 120);
            assert!(expected_episodes.len() > 150);
            for threads in [1, 4] {
                let batched = VecEnv::cartpole(150, limit, sutton_barto).unwrap().with_autoreset(mode);
                let (got, episodes) = run(batched.with_threads(Some(threads)).unwrap(), 9, 120);
                assert!(got == expected, "{mode:?}, limit {limit}, {threads} threads: buffers differ");
                assert_eq!(episodes, expected_episodes);
            }
        }
    }
}

#[test]
fn batched_cartpole_errors_like_the_single_env() {
    let mut envs = VecEnv::cartpole(70, 500, false).unwrap();
    let err = envs.step_discrete(&[0; 70]).unwrap_err();
    assert_eq!(err, EnvError::SubEnv { index: 0, source: Box::new(EnvError::NotReset) });
    envs.reset(Some(0)).unwrap();
    let before = envs.last().obs.to_vec();
    let mut actions = vec![1; 70];
    actions[66] = 2;
    let err = envs.step_discrete(&actions).unwrap_err();
    assert!(err.to_string().starts_with("sub-environment 66: invalid action 2"), "{err}");
    assert_eq!(envs.last().obs, before, "a bad action is refused before any sub-env steps");
    assert!(VecEnv::cartpole(4, 0, false).is_err());
    // Value actions take the one-by-one path, with the same results.
    let mut general = VecEnv::cartpole(70, 500, false).unwrap();
    general.reset(Some(0)).unwrap();
    let values = vec![Value::Int(1); 70];
    assert_eq!(envs.step_discrete(&[1; 70]).unwrap().obs, general.step(&values).unwrap().obs);
}

/// Everything a step exposes, owned, to compare runs.
#[derive(Debug, PartialEq)]
struct Snapshot {
    obs: Vec<f32>,
    rewards: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    final_obs: Vec<f32>,
    final_mask: Vec<bool>,
}

/// Runs `steps` random steps; returns every step's buffers and the finished episodes.
fn run<E: Env>(mut envs: VecEnv<E>, seed: u64, steps: usize) -> (Vec<Snapshot>, Vec<Episode>) {
    let n = envs.num_envs();
    let mut rng = Generator::from_seed(seed);
    envs.reset(Some(seed)).unwrap();
    let mut snapshots = Vec::new();
    for _ in 0..steps {
        let actions: Vec<i64> = (0..n).map(|_| rng.integers(0, 2)).collect();
        let s = envs.step_discrete(&actions).unwrap();
        let d = s.obs.len() / n;
        // Stale final-obs rows are not part of the result.
        let final_obs = s
            .final_mask
            .iter()
            .enumerate()
            .filter(|(_, &m)| m)
            .flat_map(|(i, _)| s.final_obs[i * d..(i + 1) * d].to_vec());
        snapshots.push(Snapshot {
            obs: s.obs.to_vec(),
            rewards: s.rewards.to_vec(),
            terminated: s.terminated.to_vec(),
            truncated: s.truncated.to_vec(),
            final_obs: final_obs.collect(),
            final_mask: s.final_mask.to_vec(),
        });
    }
    (snapshots, envs.take_episodes())
}

fn cartpoles(n: usize, limit: usize) -> VecEnv<TimeLimit<CartPole>> {
    VecEnv::from_fn(n, |_| Ok(TimeLimit::new(CartPole::default(), limit))).unwrap()
}

#[test]
fn threads_give_the_same_results_as_one_thread() {
    for mode in [Autoreset::NextStep, Autoreset::SameStep] {
        let (one, one_episodes) = run(cartpoles(37, 30).with_autoreset(mode), 5, 300);
        assert!(one_episodes.len() > 100, "episodes end and autoreset happens");
        for threads in [2, 4, 37, 64] {
            let envs = cartpoles(37, 30).with_autoreset(mode).with_threads(Some(threads)).unwrap();
            let (many, many_episodes) = run(envs, 5, 300);
            assert!(one == many, "{mode:?} with {threads} threads: buffers differ");
            assert_eq!(one_episodes, many_episodes, "{mode:?} with {threads} threads");
        }
    }
}

#[test]
fn boxed_and_concrete_sub_envs_agree() {
    // `make` adds OrderEnforcing and dynamic dispatch; the dynamics are the same.
    let mut kwargs = Kwargs::new();
    kwargs.insert("max_episode_steps".into(), Json::from(30));
    let boxed = VecEnv::make("CartPole-v1", 9, &kwargs).unwrap();
    assert!(run(boxed, 11, 200) == run(cartpoles(9, 30), 11, 200));
}

#[test]
fn episode_statistics_add_up_the_steps() {
    for mode in [Autoreset::NextStep, Autoreset::SameStep] {
        let n = 5;
        let mut envs = VecEnv::make("CartPole-v1", n, &Kwargs::new()).unwrap().with_autoreset(mode);
        envs.reset(Some(1)).unwrap();
        let mut rng = Generator::from_seed(2);
        let (mut returns, mut lengths) = (vec![0.0; n], vec![0u64; n]);
        let mut expected = Vec::new();
        let mut autoreset_due = vec![false; n];
        for _ in 0..200 {
            let actions: Vec<i64> = (0..n).map(|_| rng.integers(0, 2)).collect();
            let step = envs.step_discrete(&actions).unwrap();
            for i in 0..n {
                if std::mem::take(&mut autoreset_due[i]) {
                    // NEXT_STEP's reset step: reward 0, no flags, not part of an episode.
                    assert_eq!((step.rewards[i], step.terminated[i], step.truncated[i]), (0.0, false, false));
                    continue;
                }
                returns[i] += step.rewards[i];
                lengths[i] += 1;
                if step.terminated[i] || step.truncated[i] {
                    expected.push(Episode { env: i, episode_return: returns[i], length: lengths[i] });
                    (returns[i], lengths[i]) = (0.0, 0);
                    autoreset_due[i] = mode == Autoreset::NextStep;
                }
            }
        }
        let episodes = envs.take_episodes();
        assert!(episodes.len() > 20);
        assert_eq!(episodes, expected);
        assert!(envs.take_episodes().is_empty(), "episodes are handed out once");
    }
}

#[test]
fn reset_drops_running_episodes() {
    let mut envs = cartpoles(2, 500);
    envs.reset(Some(0)).unwrap();
    envs.step_discrete(&[0, 0]).unwrap();
    envs.reset(Some(0)).unwrap();
    for _ in 0..100 {
        envs.step_discrete(&[1, 1]).unwrap();
    }
    // Pushing right from the same start topples both poles after the same number of steps,
    // counted from the second reset.
    let episodes = envs.take_episodes();
    let first: Vec<&Episode> = episodes.iter().filter(|e| e.env == 0).collect();
    assert!(!first.is_empty());
    let mut single = TimeLimit::new(CartPole::default(), 500);
    single.reset(Some(0), &Options::new()).unwrap();
    let mut length = 1;
    while !single.step(&Value::Int(1)).unwrap().terminated {
        length += 1;
    }
    assert_eq!(first[0].length, length);
}

#[test]
fn value_actions_step_like_typed_ones() {
    let mut typed = cartpoles(4, 500);
    let mut general = cartpoles(4, 500);
    typed.reset(Some(3)).unwrap();
    general.reset(Some(3)).unwrap();
    for t in 0..60 {
        let ints: Vec<i64> = (0..4).map(|i| (t + i) % 2).collect();
        let values: Vec<Value> = ints.iter().map(|&a| Value::Int(a)).collect();
        let a = typed.step_discrete(&ints).unwrap().obs.to_vec();
        assert_eq!(general.step(&values).unwrap().obs, a);
    }
}

#[test]
fn reset_options_reach_every_sub_env() {
    let mut options = Options::new();
    options.insert("low".into(), Json::from(-0.01));
    options.insert("high".into(), Json::from(0.01));
    let mut envs = VecEnv::make("CartPole-v1", 3, &Kwargs::new()).unwrap();
    let obs = envs.reset_with(Some(8), &options, None).unwrap().to_vec();
    for i in 0..3 {
        let mut single = make("CartPole-v1", &Kwargs::new()).unwrap();
        let (value, _) = single.reset(Some(8 + i as u64), &options).unwrap();
        assert_eq!(value.as_f32().unwrap(), &obs[i * 4..(i + 1) * 4]);
        assert!(obs[i * 4..(i + 1) * 4].iter().all(|x| x.abs() <= 0.01));
    }
    let mut bad = Options::new();
    bad.insert("lo".into(), Json::from(1));
    assert!(matches!(envs.reset_with(None, &bad, None), Err(EnvError::SubEnv { index: 0, .. })));
}

#[test]
fn masked_reset_leaves_other_sub_envs_alone() {
    let mut envs = cartpoles(3, 500);
    let before = envs.reset(Some(0)).unwrap().to_vec();
    envs.step_discrete(&[1, 1, 1]).unwrap();
    let stepped = envs.last().obs.to_vec();
    let obs = envs.reset_with(Some(0), &Options::new(), Some(&[false, true, false])).unwrap();
    assert_eq!(obs[..4], stepped[..4]);
    assert_eq!(obs[4..8], before[4..8], "sub-env 1 gets seed 0 + 1 again");
    assert_eq!(obs[8..], stepped[8..]);
    let err = envs.reset_with(None, &Options::new(), Some(&[true])).unwrap_err();
    assert!(err.to_string().contains("expected 3"), "{err}");
}

#[test]
fn bad_input_is_an_error_naming_the_sub_env() {
    let mut envs = VecEnv::make("CartPole-v1", 3, &Kwargs::new()).unwrap();
    let err = envs.step_discrete(&[0, 1, 0]).unwrap_err();
    assert_eq!(err, EnvError::SubEnv { index: 0, source: Box::new(EnvError::NotReset) });
    envs.reset(Some(0)).unwrap();
    let err = envs.step_discrete(&[0, 1]).unwrap_err();
    assert!(matches!(err, EnvError::InvalidAction { .. }) && err.to_string().contains("expected 3"), "{err}");
    let err = envs.step_discrete(&[0, 1, 5]).unwrap_err();
    assert!(
        matches!(&err, EnvError::SubEnv { index: 2, source } if matches!(**source, EnvError::InvalidAction { .. }))
    );
    assert!(err.to_string().starts_with("sub-environment 2: invalid action 5"), "{err}");
    let err = envs.step_continuous(&[0.0; 3]).unwrap_err();
    assert!(err.to_string().contains("step_continuous needs a float32 Box action space"), "{err}");
    let err = envs.step(&[Value::Int(0), Value::F32(vec![1.0]), Value::Int(0)]).unwrap_err();
    assert!(matches!(err, EnvError::SubEnv { index: 1, .. }), "{err}");
    assert!(envs.reset(Some(u64::MAX - 1)).unwrap_err().to_string().contains("sub-environment 2"));
    assert!(VecEnv::make("CartPole-v1", 0, &Kwargs::new()).is_err());
    assert!(VecEnv::make("CartPole-v1", 2, &Kwargs::new()).unwrap().with_threads(Some(0)).is_err());
    assert!(matches!(VecEnv::make("CartPol-v1", 2, &Kwargs::new()), Err(EnvError::UnknownEnv { .. })));
}

#[test]
fn errors_from_worker_threads_name_the_sub_env() {
    let mut envs = cartpoles(8, 500).with_threads(Some(4)).unwrap();
    envs.reset(Some(0)).unwrap();
    let mut actions = vec![0; 8];
    actions[5] = 2;
    actions[7] = -1;
    let err = envs.step_discrete(&actions).unwrap_err();
    assert!(matches!(err, EnvError::SubEnv { index: 5, .. }), "the lowest failing index: {err}");
}

#[test]
fn disabled_autoreset_refuses_to_step_a_finished_sub_env() {
    let mut envs = cartpoles(2, 3).with_autoreset(Autoreset::Disabled);
    envs.reset(Some(0)).unwrap();
    for _ in 0..3 {
        envs.step_discrete(&[0, 0]).unwrap();
    }
    assert_eq!(envs.last().truncated, [true, true]);
    let err = envs.step_discrete(&[0, 0]).unwrap_err();
    assert_eq!(err, EnvError::SubEnv { index: 0, source: Box::new(EnvError::EpisodeOver) });
    envs.reset_with(None, &Options::new(), Some(&[true, true])).unwrap();
    assert_eq!(envs.step_discrete(&[0, 0]).unwrap().truncated, [false, false]);
}

#[test]
fn sub_envs_must_share_their_spaces() {
    let envs = vec![make("CartPole-v1", &Kwargs::new()).unwrap(), Box::new(Drift::new(4)) as Box<dyn Env>];
    let err = VecEnv::new(envs).err().unwrap();
    assert!(matches!(err, EnvError::SubEnv { index: 1, .. }), "{err}");
}

/// A test env with a float32 Box action: the observation drifts by the action, and the episode
/// terminates after 3 steps. It has no fast path, so the vector env uses `Env`'s defaults.
struct Drift {
    pos: Vec<f32>,
    t: u32,
    obs_space: Space,
    act_space: Space,
}

impl Drift {
    fn new(dim: usize) -> Self {
        Drift {
            pos: vec![0.0; dim],
            t: 0,
            obs_space: Space::uniform_box(-100.0, 100.0, &[dim], DType::Float32),
            act_space: Space::uniform_box(-1.0, 1.0, &[dim], DType::Float32),
        }
    }
}

impl Env for Drift {
    fn observation_space(&self) -> &Space {
        &self.obs_space
    }
    fn action_space(&self) -> &Space {
        &self.act_space
    }
    fn reset(&mut self, seed: Option<u64>, _: &Options) -> limbic_environments::Result<(Value, Info)> {
        self.pos.fill(seed.unwrap_or(0) as f32);
        self.t = 0;
        Ok((Value::F32(self.pos.clone()), Info::new()))
    }
    fn step(&mut self, action: &Value) -> limbic_environments::Result<Step> {
        limbic_environments::env::check_action(&self.act_space, action)?;
        for (p, a) in self.pos.iter_mut().zip(action.as_f32().unwrap_or_default()) {
            *p += a;
        }
        self.t += 1;
        let t = Transition { reward: f64::from(self.pos[0]), terminated: self.t == 3, truncated: false };
        Ok(Step {
            obs: Value::F32(self.pos.clone()),
            reward: t.reward,
            terminated: t.terminated,
            truncated: false,
            info: Info::new(),
        })
    }
}

#[test]
fn continuous_actions_step_box_envs() {
    let mut envs = VecEnv::from_fn(3, |_| Ok(Drift::new(2))).unwrap().with_autoreset(Autoreset::SameStep);
    assert_eq!(envs.obs_dim(), 2);
    assert_eq!(envs.reset(Some(10)).unwrap(), [10.0, 10.0, 11.0, 11.0, 12.0, 12.0]);
    let actions = [0.5, -0.5, 0.25, 0.0, -1.0, 1.0];
    let step = envs.step_continuous(&actions).unwrap();
    assert_eq!(step.obs, [10.5, 9.5, 11.25, 11.0, 11.0, 13.0]);
    assert_eq!(step.rewards, [10.5, 11.25, 11.0]);
    envs.step_continuous(&actions).unwrap();
    let step = envs.step_continuous(&actions).unwrap();
    // Third step: terminated, reset at once (seed None: position 0), terminal obs kept.
    assert_eq!(step.terminated, [true; 3]);
    assert_eq!(step.obs, [0.0; 6]);
    assert_eq!(step.final_mask, [true; 3]);
    assert_eq!(step.final_obs, [11.5, 8.5, 11.75, 11.0, 9.0, 15.0]);
    // The general path computes the same.
    let values: Vec<Value> = actions.chunks(2).map(|a| Value::F32(a.to_vec())).collect();
    let general = envs.step(&values).unwrap().obs.to_vec();
    assert_eq!(general, [0.5, -0.5, 0.25, 0.0, -1.0, 1.0]);
    let err = envs.step_continuous(&[0.0; 5]).unwrap_err();
    assert!(err.to_string().contains("expected 6"), "{err}");
    let err = envs.step_continuous(&[0.0, 0.0, 0.0, 0.0, 2.0, 0.0]).unwrap_err();
    assert!(matches!(err, EnvError::SubEnv { index: 2, .. }), "{err}");
    assert!(envs.step_discrete(&[0, 0, 0]).is_err());
}

#[test]
fn vector_envs_can_move_to_another_thread() {
    fn send<T: Send>(t: T) -> T {
        t
    }
    let mut envs = send(VecEnv::make("CartPole-v1", 4, &Kwargs::new()).unwrap().with_threads(Some(2)).unwrap());
    let obs = std::thread::spawn(move || envs.reset(Some(0)).unwrap().to_vec()).join().unwrap();
    assert_eq!(obs.len(), 16);
}

#[test]
fn gridworld_rows_hold_the_flat_observation_also_on_reset_with_options() {
    let mut envs = VecEnv::make("MiniGrid-Empty-5x5-v0", 2, &Kwargs::new()).unwrap();
    assert_eq!(envs.obs_dim(), 4 + 7 * 7 * 3, "direction one-hot, then the image; no mission");
    let plain = envs.reset(Some(3)).unwrap().to_vec();
    let mut options = limbic_environments::Options::new();
    options.insert("unknown".into(), serde_json::json!(1));
    assert!(envs.reset_with(Some(3), &options, None).is_err(), "MiniGrid refuses unknown options");
    let again = envs.reset_with(Some(3), &limbic_environments::Options::new(), None).unwrap().to_vec();
    assert_eq!(plain, again);
}

#[test]
fn episode_starts_follow_resets_in_every_autoreset_mode() {
    for mode in [Autoreset::NextStep, Autoreset::SameStep, Autoreset::Disabled] {
        let mut envs = VecEnv::make("CartPole-v1", 2, &Kwargs::new()).unwrap().with_autoreset(mode);
        envs.reset(Some(0)).unwrap();
        assert_eq!(envs.episode_starts(), [true, true], "{mode:?}: after reset");
        // Pushing right topples the pole within a few dozen steps.
        let mut pending_reset = [false; 2];
        for _ in 0..200 {
            let step = envs.step_discrete(&[1, 1]).unwrap();
            let done: Vec<bool> = step.terminated.iter().zip(step.truncated).map(|(&t, &u)| t || u).collect();
            let starts = envs.episode_starts();
            for i in 0..2 {
                let expected = match mode {
                    // The done step leaves the row pending; the next step resets it.
                    Autoreset::NextStep => pending_reset[i],
                    Autoreset::SameStep => done[i],
                    Autoreset::Disabled => false,
                };
                assert_eq!(starts[i], expected, "{mode:?} row {i}");
                pending_reset[i] = mode == Autoreset::NextStep && done[i];
            }
            if mode == Autoreset::Disabled && done.iter().any(|&d| d) {
                envs.reset_with(None, &Options::new(), Some(&done)).unwrap();
                assert_eq!(envs.episode_starts(), done, "{mode:?}: after a masked reset");
            }
        }
    }
}

thread_local! {
    /// Whether the batch scope below is open on this thread.
    static IN_SCOPE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A CartPole that fails unless it is reset or stepped inside the batch scope.
struct Scoped(TimeLimit<CartPole>);

impl Env for Scoped {
    fn observation_space(&self) -> &Space {
        self.0.observation_space()
    }
    fn action_space(&self) -> &Space {
        self.0.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> limbic_environments::Result<(Value, Info)> {
        assert!(IN_SCOPE.get(), "reset outside the batch scope");
        self.0.reset(seed, options)
    }
    fn step(&mut self, action: &Value) -> limbic_environments::Result<Step> {
        assert!(IN_SCOPE.get(), "step outside the batch scope");
        self.0.step(action)
    }
}

#[test]
fn a_batch_scope_wraps_each_reset_and_step_of_the_whole_batch_once() {
    let opened = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&opened);
    let scope: limbic_environments::vector::BatchScope = std::sync::Arc::new(move |batch: &mut dyn FnMut()| {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        IN_SCOPE.set(true);
        batch();
        IN_SCOPE.set(false);
    });
    let sub_envs = (0..3).map(|_| Scoped(TimeLimit::new(CartPole::default(), 500))).collect();
    let mut envs = VecEnv::new(sub_envs).unwrap().with_batch_scope(Some(scope));
    envs.reset(Some(0)).unwrap();
    for _ in 0..50 {
        envs.step_discrete(&[0, 1, 0]).unwrap();
    }
    envs.step(&[Value::Int(1), Value::Int(1), Value::Int(1)]).unwrap();
    assert_eq!(opened.load(std::sync::atomic::Ordering::SeqCst), 52, "one scope per reset and per vector step");
    // The same results as without a scope: the scope only wraps.
    let mut plain = cartpoles(3, 500);
    plain.reset(Some(0)).unwrap();
    for _ in 0..50 {
        plain.step_discrete(&[0, 1, 0]).unwrap();
    }
    plain.step(&[Value::Int(1), Value::Int(1), Value::Int(1)]).unwrap();
    assert_eq!(envs.last().obs, plain.last().obs);
}
