//! Pictures drawn from observation rows (`Env::observation_painter`: how the web teacher shows
//! clips of steps taken long before) against the env's own picture of the same step.

use limbic_environments::gridworld::{self, render, GridEnv};
use limbic_environments::rng::Generator;
use limbic_environments::{make, Env, Frame, Kwargs, Options, Value};

/// The share of pixels two frames of one size have in common.
fn identical(a: &Frame, b: &Frame) -> f64 {
    assert_eq!((a.width, a.height), (b.width, b.height));
    let same = a.pixels.chunks_exact(3).zip(b.pixels.chunks_exact(3)).filter(|(p, q)| p == q).count();
    same as f64 / (a.width * a.height) as f64
}

/// An action as the flat row a clip stores.
fn action_row(action: &Value) -> Vec<f32> {
    match action {
        Value::Int(i) => vec![*i as f32],
        Value::F32(v) => v.clone(),
        other => panic!("unexpected action {other:?}"),
    }
}

#[test]
fn classic_rows_draw_the_envs_own_picture() {
    for id in ["CartPole-v1", "Acrobot-v1", "Pendulum-v1", "MountainCar-v0", "MountainCarContinuous-v0"] {
        let mut env = make(id, &Kwargs::new()).unwrap();
        let paint = env.observation_painter().unwrap_or_else(|| panic!("{id} has no painter"));
        let mut obs = vec![0.0; env.flat_space().flat_dim().unwrap()];
        env.reset_into(Some(3), &mut obs).unwrap();
        let mut rng = Generator::from_seed(5);
        let first = paint(&obs, &[]).unwrap();
        let mut last = first.clone();
        for step in 0..60 {
            let action = env.action_space().sample(&mut rng);
            let t = env.step_into(&action, &mut obs).unwrap();
            last = paint(&obs, &action_row(&action)).unwrap();
            // The row is the f32 of the env's f64 state: an edge pixel may round the other way.
            let share = identical(&last, &env.render().unwrap());
            assert!(share > 0.999, "{id} step {step}: {:.4}% of pixels differ", 100.0 * (1.0 - share));
            if t.terminated || t.truncated {
                break;
            }
        }
        assert!(identical(&first, &last) < 1.0, "{id}: the picture never moved");
        let error = paint(&obs[1..], &[]).err().unwrap().to_string();
        assert!(error.contains("finite numbers"), "{error}");
        let error = paint(&vec![f32::NAN; obs.len()], &[]).err().unwrap().to_string();
        assert!(error.contains("finite numbers"), "{error}");
    }
}

#[test]
fn minigrid_rows_draw_the_agents_view() {
    let mut env = gridworld::make("MiniGrid-DoorKey-5x5-v0", &Kwargs::new()).unwrap();
    let paint = env.observation_painter().unwrap();
    env.reset(Some(1), &Options::new()).unwrap();
    let mut obs = vec![0.0; env.flat_space().flat_dim().unwrap()];
    for (step, action) in [0, 2, 2, 1, 2, 3, 2].into_iter().enumerate() {
        env.step_into(&Value::Int(action), &mut obs).unwrap();
        let pov = render::render_pov(env.world(), env.config(), render::TILE_PIXELS).unwrap();
        assert_eq!(paint(&obs, &[action as f32]).unwrap(), pov, "step {step}");
    }
    // A wrapper that changes the row has no painter: no picture rather than a wrong one.
    let wrapped = limbic_environments::gridworld::wrappers::FullyObs::new(env).unwrap();
    assert!(wrapped.observation_painter().is_none());
}
