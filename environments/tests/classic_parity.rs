//! Parity with Gymnasium 1.4.0: every trajectory recorded from the Python reference (see
//! `scripts/record_classic_fixtures.py`) is replayed and must match bit for bit: observations,
//! rewards, terminated/truncated flags, episode lengths and the internal f64 state.
//!
//! Each fixture is replayed twice in lockstep: through `make` (OrderEnforcing + TimeLimit, the
//! general `reset`/`step` path) and on the bare environment (the buffer-writing
//! `reset_into`/`step_into` path, and its `state()`).

use limbic_environments::classic::{Acrobot, CartPole, ContinuousMountainCar, MountainCar, Pendulum};
use limbic_environments::{make, Env, EnvError, Kwargs, Options, Value};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/classic");

struct Fixture {
    name: String,
    env_id: String,
    kwargs: Kwargs,
    episodes: Vec<Episode>,
}

struct Episode {
    seed: Option<u64>,
    options: Options,
    init_obs: Vec<f64>,
    init_state: Vec<f64>,
    steps: Vec<Recorded>,
}

struct Recorded {
    action: Value,
    obs: Vec<f64>,
    reward: f64,
    terminated: bool,
    truncated: bool,
    state: Vec<f64>,
}

fn numbers(v: &Json) -> Vec<f64> {
    v.as_array().expect("an array of numbers").iter().map(|x| x.as_f64().expect("a number")).collect()
}

fn action(v: &Json) -> Value {
    match v {
        Json::Number(n) => Value::Int(n.as_i64().expect("an integer action")),
        _ => Value::F32(numbers(v).iter().map(|&x| x as f32).collect()),
    }
}

fn seed(v: &Json) -> Option<u64> {
    v.as_u64().or_else(|| if v.is_null() { None } else { panic!("bad seed {v}") })
}

/// Reads either the reference's one-episode format (`steps`) or the recorder's (`episodes`).
fn load(path: &Path) -> Fixture {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let env_id = json["env_id"].as_str().expect("env_id").to_string();
    let kwargs = json.get("kwargs").and_then(Json::as_object).cloned().unwrap_or_default();
    let episodes = match json.get("episodes") {
        Some(episodes) => episodes.as_array().expect("episodes").iter().map(columnar_episode).collect(),
        None => vec![reference_episode(&json)],
    };
    Fixture { name, env_id, kwargs, episodes }
}

fn reference_episode(json: &Json) -> Episode {
    let steps = json["steps"].as_array().expect("steps");
    Episode {
        seed: seed(&json["seed"]),
        options: Options::new(),
        init_obs: numbers(&json["init_obs"]),
        init_state: numbers(&json["init_state"]),
        steps: steps
            .iter()
            .map(|s| Recorded {
                action: action(&s["action"]),
                obs: numbers(&s["obs"]),
                reward: s["reward"].as_f64().expect("reward"),
                terminated: s["terminated"].as_bool().expect("terminated"),
                truncated: s["truncated"].as_bool().expect("truncated"),
                state: numbers(&s["state"]),
            })
            .collect(),
    }
}

fn columnar_episode(json: &Json) -> Episode {
    let flagged = |key: &str| -> Vec<usize> {
        json[key].as_array().expect(key).iter().map(|t| t.as_u64().expect("a step") as usize).collect()
    };
    let (terminated, truncated) = (flagged("terminated_steps"), flagged("truncated_steps"));
    let column = |key: &str| json[key].as_array().unwrap_or_else(|| panic!("{key}")).clone();
    let (actions, obs, rewards, states) = (column("actions"), column("obs"), column("rewards"), column("states"));
    assert!(obs.len() == actions.len() && rewards.len() == actions.len() && states.len() == actions.len());
    let steps = (0..actions.len())
        .map(|i| Recorded {
            action: action(&actions[i]),
            obs: numbers(&obs[i]),
            reward: rewards[i].as_f64().expect("reward"),
            terminated: terminated.contains(&(i + 1)),
            truncated: truncated.contains(&(i + 1)),
            state: numbers(&states[i]),
        })
        .collect();
    Episode {
        seed: seed(&json["seed"]),
        options: json["options"].as_object().cloned().unwrap_or_default(),
        init_obs: numbers(&json["init_obs"]),
        init_state: numbers(&json["init_state"]),
        steps,
    }
}

/// The bare environment of an id, whose internal state the test reads.
enum Bare {
    CartPole(CartPole),
    MountainCar(MountainCar),
    ContinuousMountainCar(ContinuousMountainCar),
    Acrobot(Acrobot),
    Pendulum(Pendulum),
}

impl Bare {
    fn new(env_id: &str, kwargs: &Kwargs) -> Bare {
        let number = |key: &str, default: f64| kwargs.get(key).and_then(Json::as_f64).unwrap_or(default);
        match env_id {
            "CartPole-v0" | "CartPole-v1" => Bare::CartPole(CartPole::new(
                kwargs.get("sutton_barto_reward").and_then(Json::as_bool).unwrap_or(false),
            )),
            "MountainCar-v0" => Bare::MountainCar(MountainCar::new(number("goal_velocity", 0.0))),
            "MountainCarContinuous-v0" => {
                Bare::ContinuousMountainCar(ContinuousMountainCar::new(number("goal_velocity", 0.0)))
            }
            "Acrobot-v1" => Bare::Acrobot(Acrobot::new()),
            "Pendulum-v1" => Bare::Pendulum(Pendulum::new(number("g", 10.0))),
            other => panic!("no bare environment for {other}"),
        }
    }

    fn env(&mut self) -> &mut dyn Env {
        match self {
            Bare::CartPole(e) => e,
            Bare::MountainCar(e) => e,
            Bare::ContinuousMountainCar(e) => e,
            Bare::Acrobot(e) => e,
            Bare::Pendulum(e) => e,
        }
    }

    fn state(&self) -> Vec<f64> {
        let state = match self {
            Bare::CartPole(e) => e.state().map(|s| s.to_vec()),
            Bare::MountainCar(e) => e.state().map(|s| s.to_vec()),
            Bare::ContinuousMountainCar(e) => e.state().map(|s| s.to_vec()),
            Bare::Acrobot(e) => e.state().map(|s| s.to_vec()),
            Bare::Pendulum(e) => e.state().map(|s| s.to_vec()),
        };
        state.expect("reset before reading the state")
    }
}

/// Replays fixtures and collects every disagreement.
#[derive(Default)]
struct Replay {
    mismatches: Vec<String>,
    /// Per env id: (fixtures, episodes, steps).
    counts: BTreeMap<String, (usize, usize, usize)>,
}

impl Replay {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.mismatches.push(what());
        }
    }

    /// Observations are f32 in both: equal bit for bit.
    fn obs(&mut self, at: &str, got: &[f32], want: &[f64]) {
        let exact = got.len() == want.len() && got.iter().zip(want).all(|(g, w)| g.to_bits() == (*w as f32).to_bits());
        self.check(exact, || format!("{at}: obs {got:?}, reference {want:?}"));
    }

    fn f64s(&mut self, at: &str, what: &str, got: &[f64], want: &[f64]) {
        let exact = got.len() == want.len() && got.iter().zip(want).all(|(g, w)| g.to_bits() == w.to_bits());
        self.check(exact, || format!("{at}: {what} {got:?}, reference {want:?}"));
    }

    fn fixture(&mut self, fx: &Fixture) {
        let mut env = make(&fx.env_id, &fx.kwargs).unwrap_or_else(|e| panic!("{}: {e}", fx.name));
        let mut bare = Bare::new(&fx.env_id, &fx.kwargs);
        let mut buf = vec![0f32; fx.episodes[0].init_obs.len()];
        let count = self.counts.entry(fx.env_id.clone()).or_default();
        count.0 += 1;
        count.1 += fx.episodes.len();
        count.2 += fx.episodes.iter().map(|e| e.steps.len()).sum::<usize>();
        for (i, ep) in fx.episodes.iter().enumerate() {
            let at = format!("{} episode {i} (seed {:?})", fx.name, ep.seed);
            let (obs, _) = env.reset(ep.seed, &ep.options).unwrap_or_else(|e| panic!("{at}: reset: {e}"));
            self.obs(&format!("{at} reset"), obs.as_f32().expect("f32 obs"), &ep.init_obs);
            if ep.options.is_empty() {
                bare.env().reset_into(ep.seed, &mut buf).expect("bare reset_into");
            } else {
                let (obs, _) = bare.env().reset(ep.seed, &ep.options).expect("bare reset");
                buf.copy_from_slice(obs.as_f32().expect("f32 obs"));
            }
            self.obs(&format!("{at} reset_into"), &buf, &ep.init_obs);
            self.f64s(&format!("{at} reset"), "state", &bare.state(), &ep.init_state);
            self.episode(&at, env.as_mut(), &mut bare, &mut buf, ep);
        }
    }

    fn episode(&mut self, at: &str, env: &mut dyn Env, bare: &mut Bare, buf: &mut [f32], ep: &Episode) {
        for (t, rec) in ep.steps.iter().enumerate() {
            let at = format!("{at} step {}", t + 1);
            let step = env.step(&rec.action).unwrap_or_else(|e| panic!("{at}: step {}: {e}", rec.action));
            self.obs(&at, step.obs.as_f32().expect("f32 obs"), &rec.obs);
            self.f64s(&at, "reward", &[step.reward], &[rec.reward]);
            self.check((step.terminated, step.truncated) == (rec.terminated, rec.truncated), || {
                format!(
                    "{at}: flags {:?}, reference {:?}",
                    (step.terminated, step.truncated),
                    (rec.terminated, rec.truncated)
                )
            });
            let fast = bare.env().step_into(&rec.action, buf).unwrap_or_else(|e| panic!("{at}: step_into: {e}"));
            self.obs(&format!("{at} step_into"), buf, &rec.obs);
            self.f64s(&format!("{at} step_into"), "reward", &[fast.reward], &[rec.reward]);
            self.check(fast.terminated == rec.terminated && !fast.truncated, || format!("{at}: bare flags {fast:?}"));
            self.f64s(&at, "state", &bare.state(), &rec.state);
        }
        // A recorded episode that ended is over for `make`'s env too; one cut short is not.
        let ended = ep.steps.last().is_some_and(|r| r.terminated || r.truncated);
        if let Some(rec) = ep.steps.last() {
            let next = env.step(&rec.action);
            self.check(matches!(next, Err(EnvError::EpisodeOver)) == ended, || {
                format!("{at}: after {} steps (ended: {ended}) another step gave {next:?}", ep.steps.len())
            });
        }
    }
}

fn fixture_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
        .unwrap_or_else(|e| panic!("{FIXTURES}: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_recorded_trajectory_matches_gymnasium_exactly() {
    let mut replay = Replay::default();
    for path in fixture_paths() {
        replay.fixture(&load(&path));
    }
    for (id, (fixtures, episodes, steps)) in &replay.counts {
        eprintln!("{id:26} {fixtures:2} fixtures {episodes:3} episodes {steps:5} steps");
    }
    let ids: Vec<&str> = replay.counts.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        ["Acrobot-v1", "CartPole-v0", "CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"]
    );
    let shown: Vec<&String> = replay.mismatches.iter().take(20).collect();
    assert!(replay.mismatches.is_empty(), "{} mismatches, first ones:\n{shown:#?}", replay.mismatches.len());
}
