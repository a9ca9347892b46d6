//! Bad input to the POPGym envs and wrappers is a clear error that names the space or the key,
//! never a panic: actions outside Discrete/MultiDiscrete/Tuple spaces, wrong-length lists,
//! keyword arguments popgym does not take, steps out of order.

use limbic_environments::json::value_from_json;
use limbic_environments::popgym::{PopGym, RepeatFirst};
use limbic_environments::wrappers::{MaskObservation, PreviousAction};
use limbic_environments::{make, Env, EnvError, Kwargs, Options, Space, Value};
use serde_json::json;

fn kwargs(value: serde_json::Value) -> Kwargs {
    value.as_object().unwrap().clone()
}

fn reset(id: &str) -> Box<dyn Env> {
    let mut env = make(id, &Kwargs::new()).unwrap();
    env.reset(Some(0), &Options::new()).unwrap();
    env
}

fn step_error(env: &mut dyn Env, action: Value) -> String {
    env.step(&action).err().unwrap_or_else(|| panic!("{action} was accepted")).to_string()
}

#[test]
fn multidiscrete_actions_outside_the_space_name_it() {
    let mut env = reset("popgym-BattleshipEasy-v0");
    for action in
        [Value::I64(vec![8, 0]), Value::I64(vec![0, -1]), Value::I64(vec![1]), Value::I64(vec![1, 2, 3]), Value::Int(3)]
    {
        let msg = step_error(env.as_mut(), action.clone());
        assert!(msg.contains("MultiDiscrete([8, 8])") && msg.contains("invalid action"), "{action}: {msg}");
    }
    let msg = step_error(env.as_mut(), Value::I64(vec![1]));
    assert!(msg.contains("expected 2 elements, got 1"), "{msg}");
    // The env still steps after refusing.
    assert!(env.step(&Value::I64(vec![0, 0])).is_ok());
    // From JSON (`limbic rollout --actions`): a fraction is refused, not rounded.
    let space = env.action_space().clone();
    let msg = value_from_json(&space, &json!([1.5, 2])).unwrap_err().to_string();
    assert!(msg.contains("MultiDiscrete([8, 8])"), "{msg}");
    assert!(value_from_json(&space, &json!("a1")).is_err());
}

#[test]
fn discrete_and_box_actions_outside_the_space_name_it() {
    let mut env = reset("popgym-RepeatPreviousEasy-v0");
    let msg = step_error(env.as_mut(), Value::Int(4));
    assert!(msg.contains("Discrete(4)") && msg.contains("[0, 3]"), "{msg}");
    let msg = step_error(env.as_mut(), Value::I64(vec![0, 1]));
    assert!(msg.contains("Discrete(4)"), "{msg}");
    let mut env = reset("popgym-PositionOnlyPendulumEasy-v0");
    assert!(step_error(env.as_mut(), Value::F32(vec![f32::NAN])).contains("finite"));
    assert!(step_error(env.as_mut(), Value::F32(vec![0.0, 1.0])).contains("Box(-2, 2, (1,), float32)"));
}

#[test]
fn tuple_values_of_the_wrong_shape_are_refused_with_the_space() {
    let space = Space::Tuple(vec![Space::discrete(2), Space::MultiDiscrete { nvec: vec![3, 3], start: vec![0, 0] }]);
    let err = space.check(&Value::Tuple(vec![Value::Int(1)])).unwrap_err();
    assert!(err.contains("tuple of 2 elements, got 1"), "{err}");
    let err = space.check(&Value::Tuple(vec![Value::Int(1), Value::I64(vec![3, 0])])).unwrap_err();
    assert!(err.contains("tuple element 1") && err.contains("outside [0, 2]"), "{err}");
    assert!(space.check(&Value::I64(vec![1, 0, 0])).unwrap_err().contains("Tuple"));
    for bad in [json!([1]), json!([1, [0, 0], 2]), json!({"0": 1}), json!([1, [0.5, 0]])] {
        let msg = value_from_json(&space, &bad).unwrap_err().to_string();
        assert!(msg.contains("Tuple(Discrete(2), MultiDiscrete([3, 3]))"), "{bad}: {msg}");
    }
}

#[test]
fn kwargs_popgym_does_not_take_are_refused() {
    // Medium/Hard classes take none (popgym's CountRecallMedium swallows **kwargs: refused here).
    for (id, key) in [
        ("popgym-RepeatPreviousMedium-v0", "k"),
        ("popgym-CountRecallHard-v0", "deck_type"),
        ("popgym-PositionOnlyCartPoleMedium-v0", "max_episode_length"),
        ("popgym-BattleshipEasy-v0", "board_size"),
        ("popgym-MineSweeperEasy-v0", "difficulty"),
    ] {
        let msg = make(id, &kwargs(json!({ key: 1 }))).err().unwrap().to_string();
        assert!(msg.contains(id) && msg.contains(&format!("`{key}`")) && msg.contains("valid keys"), "{msg}");
    }
    let msg = make("popgym-RepeatPreviousEasy-v0", &kwargs(json!({"kk": 3}))).err().unwrap().to_string();
    assert!(msg.contains("num_decks, k, max_episode_steps"), "{msg}");
}

#[test]
fn bad_kwarg_values_are_refused() {
    let cases = [
        ("popgym-RepeatPreviousEasy-v0", json!({"k": 0}), "k"),
        ("popgym-RepeatPreviousEasy-v0", json!({"k": 52}), "k"),
        ("popgym-RepeatPreviousEasy-v0", json!({"num_decks": -1}), "num_decks"),
        ("popgym-AutoencodeEasy-v0", json!({"num_decks": "2"}), "num_decks"),
        ("popgym-CountRecallEasy-v0", json!({"deck_type": "jokers"}), "deck_type"),
        ("popgym-CountRecallEasy-v0", json!({"error_clamp": "x"}), "error_clamp"),
        ("popgym-PositionOnlyCartPoleEasy-v0", json!({"max_episode_length": 0}), "max_episode_length"),
        ("popgym-PositionOnlyPendulumEasy-v0", json!({"g": "heavy"}), "g"),
    ];
    for (id, kw, key) in cases {
        match make(id, &kwargs(kw.clone())) {
            Err(EnvError::BadKwarg { key: k, message }) => assert_eq!(k, key, "{id} {kw}: {message}"),
            Err(other) => panic!("{id} {kw}: {other}"),
            Ok(_) => panic!("{id} {kw} was accepted"),
        }
    }
    // The kwargs popgym's Easy classes do take work.
    let mut env = make("popgym-RepeatPreviousEasy-v0", &kwargs(json!({"num_decks": 2, "k": 7}))).unwrap();
    env.reset(Some(1), &Options::new()).unwrap();
}

#[test]
fn card_games_refuse_reset_options_and_steps_out_of_order() {
    let mut env = make("popgym-HigherLowerEasy-v0", &Kwargs::new()).unwrap();
    assert_eq!(env.step(&Value::Int(0)).err(), Some(EnvError::NotReset));
    let msg = env.reset(Some(0), &kwargs(json!({"low": 0.1}))).err().unwrap().to_string();
    assert!(msg.contains("`low`") && msg.contains("(none)"), "{msg}");
    // Control envs pass CartPole's and Pendulum's options through, as popgym does.
    let mut cartpole = make("popgym-PositionOnlyCartPoleEasy-v0", &Kwargs::new()).unwrap();
    let (obs, _) = cartpole.reset(Some(0), &kwargs(json!({"low": 0.5, "high": 0.5}))).unwrap();
    assert_eq!(obs, Value::F32(vec![0.5, 0.5]));
    // Through make, a step after the episode ended is refused.
    let mut env = reset("popgym-RepeatFirstEasy-v0");
    for _ in 0..51 {
        env.step(&Value::Int(0)).unwrap();
    }
    assert_eq!(env.step(&Value::Int(0)).err(), Some(EnvError::EpisodeOver));
    // The bare env runs out of cards: an error too, where popgym raises DeckEmptyError.
    let mut bare = PopGym::new(RepeatFirst::new(1));
    assert_eq!(bare.step(&Value::Int(0)).err(), Some(EnvError::NotReset));
    bare.reset(Some(0), &Options::new()).unwrap();
    let last = (0..51).map(|_| bare.step(&Value::Int(0)).unwrap()).last().unwrap();
    assert!(last.terminated);
    assert_eq!(bare.step(&Value::Int(0)).err(), Some(EnvError::EpisodeOver));
}

#[test]
fn wrappers_refuse_what_they_cannot_do() {
    let env = make("popgym-BattleshipEasy-v0", &Kwargs::new()).unwrap();
    let msg = PreviousAction::with_null_action(env, Value::I64(vec![9, 9])).err().unwrap().to_string();
    assert!(msg.contains("null action") && msg.contains("MultiDiscrete([8, 8])"), "{msg}");
    let msg = MaskObservation::new(make("popgym-HigherLowerEasy-v0", &Kwargs::new()).unwrap(), &[0])
        .err()
        .unwrap()
        .to_string();
    assert!(msg.contains("Box") && msg.contains("Discrete(13)"), "{msg}");
    let msg = MaskObservation::new(make("CartPole-v1", &Kwargs::new()).unwrap(), &[4]).err().unwrap().to_string();
    assert!(msg.contains("index 4") && msg.contains("4 numbers"), "{msg}");
}
