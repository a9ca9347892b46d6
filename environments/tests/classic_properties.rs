//! Properties of every classic-control environment, over random action sequences: no panics,
//! bad input is an error that changes nothing, observations stay in their space, seeds replay,
//! `reset(None)` continues the seeded RNG, and `make`'s envs refuse out-of-order steps.

use limbic_environments::classic::{Acrobot, CartPole, ContinuousMountainCar, MountainCar, Pendulum};
use limbic_environments::rng::Generator;
use limbic_environments::{make, DType, Env, EnvError, Kwargs, Options, Space, Step, Value};
use serde_json::{json, Value as Json};

const IDS: [&str; 6] =
    ["CartPole-v0", "CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1", "Pendulum-v1"];

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/classic");

fn make_default(id: &str) -> Box<dyn Env> {
    make(id, &Kwargs::new()).unwrap_or_else(|e| panic!("{id}: {e}"))
}

fn options(json: Json) -> Options {
    json.as_object().expect("an object").clone()
}

/// A random action: mostly valid (in or, for continuous actions, beyond the bounds), sometimes
/// invalid (out of range, NaN, infinite, wrong type or shape). Returns it and whether it is valid.
fn random_action(space: &Space, rng: &mut Generator) -> (Value, bool) {
    let roll = rng.random();
    match space {
        Space::Discrete { n, .. } => match roll {
            r if r < 0.8 => (space.sample(rng), true),
            r if r < 0.9 => {
                (Value::Int(if rng.random() < 0.5 { -1 - rng.integers(0, 5) } else { n + rng.integers(0, 5) }), false)
            }
            r if r < 0.95 => (Value::F32(vec![0.0]), false),
            _ => (Value::Int(i64::MIN), false),
        },
        Space::Box(b) => {
            let high = b.high[0];
            match roll {
                r if r < 0.7 => (space.sample(rng), true),
                r if r < 0.85 => (Value::F32(vec![(rng.uniform(-100.0, 100.0) * high) as f32]), true),
                r if r < 0.9 => (Value::F32(vec![f32::NAN]), false),
                r if r < 0.93 => {
                    (Value::F32(vec![if rng.random() < 0.5 { f32::INFINITY } else { f32::NEG_INFINITY }]), false)
                }
                r if r < 0.96 => (Value::F32(vec![0.0, 0.0]), false),
                r if r < 0.98 => (Value::F32(vec![]), false),
                _ => (Value::F64(vec![0.0]), false),
            }
        }
        other => panic!("unexpected action space {}", other.describe()),
    }
}

/// What one run of an environment produced, to compare runs.
#[derive(Debug, PartialEq)]
struct Record {
    obs: Vec<Value>,
    rewards: Vec<f64>,
    flags: Vec<(bool, bool)>,
}

/// Runs `steps` random actions from `seed` on `make(id)`, resetting (with `None`) when an
/// episode ends. Invalid actions must be errors; they go to the env only when `try_invalid`.
fn run(id: &str, seed: u64, steps: usize, try_invalid: bool) -> Record {
    let mut env = make_default(id);
    let space = env.observation_space().clone();
    let (obs, _) = env.reset(Some(seed), &Options::new()).unwrap();
    let mut record = Record { obs: vec![obs], rewards: vec![], flags: vec![] };
    let mut rng = Generator::from_seed(seed);
    while record.rewards.len() < steps {
        let (action, valid) = random_action(env.action_space(), &mut rng);
        if !valid {
            if try_invalid {
                let err = env.step(&action).expect_err("an invalid action must be an error");
                assert!(matches!(err, EnvError::InvalidAction { .. }), "{id}: {action}: {err}");
            }
            continue;
        }
        let Step { obs, reward, terminated, truncated, .. } = env.step(&action).unwrap();
        assert!(space.contains(&obs), "{id}: {obs} is outside {}", space.describe());
        assert!(reward.is_finite(), "{id}: reward {reward}");
        record.obs.push(obs);
        record.rewards.push(reward);
        record.flags.push((terminated, truncated));
        if terminated || truncated {
            let (obs, _) = env.reset(None, &Options::new()).unwrap();
            record.obs.push(obs);
        }
    }
    record
}

/// CartPole's observation bounds are twice its termination thresholds, so an observation leaves
/// them only after many steps past termination, which `make` refuses; all the others clip
/// their state. So every observation of an episode through `make` is in the space.
#[test]
fn random_actions_never_panic_and_invalid_ones_change_nothing() {
    for id in IDS {
        for seed in [0, 1, 2] {
            let with_invalid = run(id, seed, 700, true);
            let without = run(id, seed, 700, false);
            assert_eq!(with_invalid, without, "{id}: rejected actions changed the trajectory");
        }
    }
}

#[test]
fn the_same_seed_replays_the_same_trajectory() {
    for id in IDS {
        let first = run(id, 42, 300, false);
        assert_eq!(first, run(id, 42, 300, false), "{id}");
        assert_ne!(first.obs[0], run(id, 43, 300, false).obs[0], "{id}: seeds 42 and 43 start alike");
    }
}

#[test]
fn fast_paths_agree_with_reset_and_step() {
    for id in IDS {
        let mut slow = make_default(id);
        let mut fast = make_default(id);
        let mut buf = vec![0f32; slow.observation_space().flat_dim().unwrap()];
        let mut rng = Generator::from_seed(7);
        let (obs, _) = slow.reset(Some(7), &Options::new()).unwrap();
        fast.reset_into(Some(7), &mut buf).unwrap();
        assert_eq!(obs.as_f32().unwrap(), &buf[..], "{id} reset");
        for _ in 0..200 {
            let action = slow.action_space().sample(&mut rng);
            let step = slow.step(&action).unwrap();
            let t = fast.step_into(&action, &mut buf).unwrap();
            assert_eq!(step.obs.as_f32().unwrap(), &buf[..], "{id} step");
            assert_eq!((step.reward, step.terminated, step.truncated), (t.reward, t.terminated, t.truncated));
            if t.done() {
                slow.reset(None, &Options::new()).unwrap();
                fast.reset_into(None, &mut buf).unwrap();
            }
        }
    }
}

/// Gymnasium's `reset(seed=None)` keeps the RNG that the seeded reset created: checked against
/// the recorded chain `reset(seed=31)`, `reset()`, `reset()` of every environment.
#[test]
fn reset_none_continues_the_seeded_rng_like_gymnasium() {
    for id in ["CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1", "Pendulum-v1"] {
        let path = format!("{FIXTURES}/{id}_episodes.json");
        let fixture: Json = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let episodes = fixture["episodes"].as_array().unwrap();
        let chain = episodes
            .windows(3)
            .find(|w| w[0]["seed"] == json!(31) && w[1]["seed"].is_null() && w[2]["seed"].is_null())
            .unwrap_or_else(|| panic!("{path}: no reset chain"));
        let recorded: Vec<Vec<f32>> = chain
            .iter()
            .map(|e| e["init_obs"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect())
            .collect();
        let mut env = make_default(id);
        let mut got = vec![env.reset(Some(31), &Options::new()).unwrap().0];
        for _ in 0..2 {
            got.push(env.reset(None, &Options::new()).unwrap().0);
        }
        let got: Vec<Vec<f32>> = got.iter().map(|o| o.as_f32().unwrap().to_vec()).collect();
        assert_eq!(got, recorded, "{id}");
        assert_ne!(got[0], got[1], "{id}: reset(None) must not reseed");
    }
}

#[test]
fn make_refuses_steps_before_reset_and_after_the_episode_ended() {
    for id in IDS {
        let mut env = make(id, &serde_json::from_value(json!({"max_episode_steps": 30})).unwrap()).unwrap();
        let action = env.action_space().sample(&mut Generator::from_seed(0));
        assert_eq!(env.step(&action).unwrap_err(), EnvError::NotReset, "{id}");
        let mut buf = vec![0f32; env.observation_space().flat_dim().unwrap()];
        assert_eq!(env.step_into(&action, &mut buf).unwrap_err(), EnvError::NotReset, "{id}");
        for episode in 0..2 {
            env.reset(Some(episode), &Options::new()).unwrap();
            let mut rng = Generator::from_seed(episode);
            let mut steps = 0;
            while !env.step(&env.action_space().sample(&mut rng)).unwrap().done() {
                steps += 1;
            }
            assert!(steps < 30, "{id}: the time limit of 30 steps did not end the episode");
            assert_eq!(env.step(&action).unwrap_err(), EnvError::EpisodeOver, "{id}");
            assert_eq!(env.step_into(&action, &mut buf).unwrap_err(), EnvError::EpisodeOver, "{id}");
        }
    }
}

trait Done {
    fn done(&self) -> bool;
}

impl Done for Step {
    fn done(&self) -> bool {
        self.terminated || self.truncated
    }
}

#[test]
fn bare_envs_refuse_steps_and_renders_before_reset() {
    let bare: Vec<Box<dyn Env>> = vec![
        Box::new(CartPole::default()),
        Box::new(MountainCar::default()),
        Box::new(ContinuousMountainCar::default()),
        Box::new(Acrobot::default()),
        Box::new(Pendulum::default()),
    ];
    for mut env in bare {
        let action = env.action_space().sample(&mut Generator::from_seed(0));
        assert_eq!(env.step(&action).unwrap_err(), EnvError::NotReset);
        assert_eq!(env.render().unwrap_err(), EnvError::NotReset);
    }
}

#[test]
fn reset_options_are_checked() {
    let bad = |id: &str, opts: Json| {
        let mut env = make_default(id);
        let err = env.reset(Some(0), &options(opts.clone())).expect_err(&format!("{id} {opts}"));
        assert!(matches!(err, EnvError::BadOption { .. }), "{id} {opts}: {err}");
    };
    for id in ["CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1"] {
        bad(id, json!({"x_init": 1.0}));
        bad(id, json!({"low": "a"}));
        bad(id, json!({"low": null}));
        bad(id, json!({"low": 0.2, "high": 0.1}));
        bad(id, json!({"low": -1.7e308, "high": 1.7e308}));
    }
    bad("Pendulum-v1", json!({"low": 0.1}));
    bad("Pendulum-v1", json!({"x_init": "pi"}));
    bad("Pendulum-v1", json!({"y_init": true}));
    bad("Pendulum-v1", json!({"x_init": 1.7e308}));
}

#[test]
fn reset_options_set_the_bounds() {
    let in_range = |id: &str, opts: Json, check: &dyn Fn(&[f32]) -> bool| {
        let mut env = make_default(id);
        for seed in 0..20 {
            let (obs, _) = env.reset(Some(seed), &options(opts.clone())).unwrap();
            assert!(check(obs.as_f32().unwrap()), "{id} {opts}: {obs}");
        }
    };
    in_range("CartPole-v1", json!({"low": 0.3, "high": 0.4}), &|o| o.iter().all(|&x| (0.3..=0.4).contains(&x)));
    in_range("MountainCar-v0", json!({"low": -1.0, "high": -0.9}), &|o| (-1.0..=-0.9).contains(&o[0]) && o[1] == 0.0);
    in_range("MountainCarContinuous-v0", json!({"high": -0.55}), &|o| (-0.6..=-0.55).contains(&o[0]));
    in_range("Acrobot-v1", json!({"low": 1.0, "high": 1.5}), &|o| (1.0..=1.5).contains(&o[4]) && o[1] > 0.8);
    in_range("Pendulum-v1", json!({"x_init": 0.0, "y_init": 5.0}), &|o| o[0] == 1.0 && o[2].abs() <= 5.0);
}

/// Wild reset options give wild states, as in Gymnasium, but no panic and no endless loop
/// (Gymnasium's Acrobot `wrap` loops forever on such angles).
#[test]
fn extreme_reset_options_do_not_hang_or_panic() {
    for id in ["CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1"] {
        for (low, high) in [(-1e30, 1e30), (-1e300, 1e300), (1e7, 2e7)] {
            let mut env = make_default(id);
            env.reset(Some(1), &options(json!({"low": low, "high": high}))).unwrap();
            let mut rng = Generator::from_seed(1);
            for _ in 0..5 {
                if env.step(&env.action_space().sample(&mut rng)).unwrap().done() {
                    break;
                }
            }
        }
    }
    let mut env = make_default("Pendulum-v1");
    env.reset(Some(1), &options(json!({"x_init": 1e300, "y_init": 1e300}))).unwrap();
    env.step(&Value::F32(vec![1.0])).unwrap();
}

#[test]
fn kwargs_are_checked_and_used() {
    let kwargs = |v: Json| -> Kwargs { serde_json::from_value(v).unwrap() };
    for (id, key) in
        [("MountainCar-v0", "goal_velocity"), ("MountainCarContinuous-v0", "goal_velocity"), ("Pendulum-v1", "g")]
    {
        for bad in [json!("fast"), json!(null), json!([1.0]), json!(true)] {
            let err = make(id, &kwargs(json!({ key: bad }))).err().unwrap_or_else(|| panic!("{id} {key}={bad}"));
            assert!(matches!(err, EnvError::BadKwarg { .. }), "{id}: {err}");
        }
    }
    assert!(matches!(make("Acrobot-v1", &kwargs(json!({"g": 1.0}))), Err(EnvError::UnknownKwarg { .. })));
    // Without gravity and with no torque, the pendulum keeps its speed.
    let mut env = make("Pendulum-v1", &kwargs(json!({"g": 0.0}))).unwrap();
    let (obs, _) = env.reset(Some(3), &Options::new()).unwrap();
    let step = env.step(&Value::F32(vec![0.0])).unwrap();
    assert_eq!(obs.as_f32().unwrap()[2], step.obs.as_f32().unwrap()[2]);
}

#[test]
fn spaces_render_sizes_and_fps_are_gymnasiums() {
    let f32_box = |low: &[f64], high: &[f64]| {
        let round = |v: &[f64]| -> Vec<f64> { v.iter().map(|&x| x as f32 as f64).collect() };
        Space::vector_box(&round(low), &round(high), DType::Float32)
    };
    let pi = std::f64::consts::PI;
    let expected = [
        ("MountainCar-v0", f32_box(&[-1.2, -0.07], &[0.6, 0.07]), Space::discrete(3), (600, 400), 30),
        (
            "MountainCarContinuous-v0",
            f32_box(&[-1.2, -0.07], &[0.6, 0.07]),
            Space::uniform_box(-1.0, 1.0, &[1], DType::Float32),
            (600, 400),
            30,
        ),
        (
            "Acrobot-v1",
            f32_box(&[-1.0, -1.0, -1.0, -1.0, -4.0 * pi, -9.0 * pi], &[1.0, 1.0, 1.0, 1.0, 4.0 * pi, 9.0 * pi]),
            Space::discrete(3),
            (500, 500),
            15,
        ),
        (
            "Pendulum-v1",
            f32_box(&[-1.0, -1.0, -8.0], &[1.0, 1.0, 8.0]),
            Space::uniform_box(-2.0, 2.0, &[1], DType::Float32),
            (500, 500),
            30,
        ),
    ];
    for (id, obs_space, act_space, (width, height), fps) in expected {
        let mut env = make_default(id);
        assert_eq!(env.observation_space(), &obs_space, "{id}");
        assert_eq!(env.action_space(), &act_space, "{id}");
        assert_eq!(env.render_fps(), fps, "{id}");
        env.reset(Some(0), &Options::new()).unwrap();
        let frame = env.render().unwrap();
        assert_eq!((frame.width, frame.height), (width, height), "{id}");
    }
}

#[test]
fn registry_limits_are_gymnasiums() {
    let limits = [
        ("CartPole-v0", Some(200), Some(195.0)),
        ("CartPole-v1", Some(500), Some(475.0)),
        ("MountainCar-v0", Some(200), Some(-110.0)),
        ("MountainCarContinuous-v0", Some(999), Some(90.0)),
        ("Acrobot-v1", Some(500), Some(-100.0)),
        ("Pendulum-v1", Some(200), None),
    ];
    for (id, steps, threshold) in limits {
        let spec = limbic_environments::registry::spec(id).unwrap();
        assert_eq!((spec.max_episode_steps, spec.reward_threshold), (steps, threshold), "{id}");
    }
}
