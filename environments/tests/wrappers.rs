//! Wrappers against gymnasium 1.4.0's own, recorded by `scripts/record_wrapper_fixtures.py`
//! into `tests/fixtures/wrappers/`: outputs and running statistics compared bit for bit, on the
//! slow path (`reset`/`step`) and the fast path (`reset_into`/`step_into`) alike.

use limbic_environments::classic::CartPole;
use limbic_environments::wrappers::{
    ClipAction, FlattenObservation, FrameStackObservation, NormalizeObservation, NormalizeReward, OrderEnforcing,
    Padding, Precision, RecordEpisodeStatistics, RescaleAction, RunningMeanStd, TimeLimit, TransformReward,
};
use limbic_environments::{make, DType, Env, EnvError, Info, Kwargs, Options, Space, Step, Transition, Value};
use serde_json::{json, Value as Json};

fn fixture(name: &str) -> Json {
    let path = format!("{}/../tests/fixtures/wrappers/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn num(j: &Json) -> f64 {
    match j.as_str() {
        Some("Infinity") => f64::INFINITY,
        Some("-Infinity") => f64::NEG_INFINITY,
        _ => j.as_f64().unwrap_or_else(|| panic!("not a number: {j}")),
    }
}

fn nums(j: &Json) -> Vec<f64> {
    j.as_array().unwrap_or_else(|| panic!("not an array: {j}")).iter().map(num).collect()
}

fn f32s(j: &Json) -> Vec<f32> {
    nums(j).into_iter().map(|x| x as f32).collect()
}

/// A fixture value as an element of `space`.
fn value(space: &Space, j: &Json) -> Value {
    match space {
        Space::Box(b) => b.dtype.array(nums(j)),
        Space::Discrete { .. } => Value::Int(j.as_i64().unwrap()),
        Space::MultiDiscrete { .. } => Value::I64(nums(j).into_iter().map(|x| x as i64).collect()),
        Space::MultiBinary { .. } => Value::I8(nums(j).into_iter().map(|x| x as i8).collect()),
        Space::Dict(items) => Value::Dict(items.iter().map(|(k, s)| (k.clone(), value(s, &j[k.as_str()]))).collect()),
        Space::Text { .. } => Value::Text(j.as_str().unwrap().into()),
        Space::Tuple(items) => Value::Tuple(items.iter().enumerate().map(|(i, s)| value(s, &j[i])).collect()),
    }
}

fn space(j: &Json) -> Space {
    Space::from_json(j).unwrap()
}

fn flat(space: &Space, v: &Value) -> Vec<f32> {
    let mut out = vec![0.0; space.flat_dim().unwrap()];
    space.flatten_into(v, &mut out).unwrap();
    out
}

fn cartpole(max_episode_steps: usize, extra: Json) -> Box<dyn Env> {
    let mut kw = Kwargs::new();
    kw.insert("max_episode_steps".into(), json!(max_episode_steps));
    for (k, v) in extra.as_object().into_iter().flatten() {
        kw.insert(k.clone(), v.clone());
    }
    make("CartPole-v1", &kw).unwrap()
}

fn assert_rms(rms: &RunningMeanStd, j: &Json, at: &str) {
    assert_eq!(rms.mean(), nums(&j["mean"]), "mean at {at}");
    assert_eq!(rms.var(), nums(&j["var"]), "var at {at}");
    assert_eq!(rms.count(), num(&j["count"]), "count at {at}");
    let precision = if j["precision"] == "float32" { Precision::F32 } else { Precision::F64 };
    assert_eq!(rms.precision(), precision, "precision at {at}");
}

/// Replays recorded CartPole steps (reset with `seed` first, unseeded after), on the slow or the
/// fast path; checks observation, reward and flags, then `check(env, record, at)`.
fn replay<W: Env>(env: &mut W, steps: &Json, seed: u64, fast: bool, mut check: impl FnMut(&W, &Json, &str)) {
    let dim = env.observation_space().flat_dim().unwrap();
    let mut buf = vec![0.0f32; dim];
    for (i, record) in steps.as_array().unwrap().iter().enumerate() {
        let at = format!("record {i} ({} path)", if fast { "fast" } else { "slow" });
        let obs = if record.get("reset").is_some() {
            let seed = (i == 0).then_some(seed);
            if fast {
                env.reset_into(seed, &mut buf).unwrap();
                buf.clone()
            } else {
                let (v, _) = env.reset(seed, &Options::new()).unwrap();
                flat(env.observation_space(), &v)
            }
        } else {
            let action = Value::Int(record["action"].as_i64().unwrap());
            let t = if fast {
                env.step_into(&action, &mut buf).unwrap()
            } else {
                let s = env.step(&action).unwrap();
                buf = flat(env.observation_space(), &s.obs);
                Transition { reward: s.reward, terminated: s.terminated, truncated: s.truncated }
            };
            assert_eq!(t.reward, num(&record["reward"]), "reward at {at}");
            assert_eq!(
                (t.terminated, t.truncated),
                (record["terminated"] == true, record["truncated"] == true),
                "{at}"
            );
            buf.clone()
        };
        assert_eq!(obs, f32s(&record["obs"]), "observation at {at}");
        check(env, record, &at);
    }
}

#[test]
fn running_mean_std_matches_gymnasium() {
    let f = fixture("running_mean_std");
    for case in f["cases"].as_array().unwrap() {
        let precision = if case["precision"] == "float32" { Precision::F32 } else { Precision::F64 };
        let mut rms = RunningMeanStd::with_precision(case["dim"].as_u64().unwrap() as usize, precision);
        for (i, u) in case["updates"].as_array().unwrap().iter().enumerate() {
            // numpy averages float32 data in float32, and integers in float64.
            let data = if u["batch_dtype"] == "float32" { Precision::F32 } else { Precision::F64 };
            rms.update_as(&nums(&u["batch"]), data).unwrap();
            assert_rms(&rms, u, &format!("{} update {i}", case["name"]));
        }
    }
}

#[test]
fn normalize_observation_matches_gymnasium() {
    let f = fixture("normalize_observation_cartpole");
    for fast in [false, true] {
        let mut env = NormalizeObservation::new(cartpole(50, json!({}))).unwrap();
        assert_eq!(env.observation_space(), &space(&f["observation_space"]));
        let check = |e: &NormalizeObservation<_>, r: &Json, at: &str| assert_rms(e.running_stats(), &r["rms"], at);
        replay(&mut env, &f["steps"], 3, fast, check);
        env.set_update_running_mean(false);
        let frozen = env.running_stats().clone();
        replay(&mut env, &f["frozen_steps"], 4, fast, check);
        assert_eq!(env.running_stats(), &frozen);
    }
}

#[test]
fn normalize_observation_follows_numpy_precision_for_every_dtype() {
    // float32 data keeps float32 statistics; integer and float64 data promote them to float64.
    let f = fixture("normalize_observation_spaces");
    for (name, case) in f["cases"].as_object().unwrap() {
        let inner = space(&case["observation_space"]);
        let observations: Vec<Value> =
            case["observations"].as_array().unwrap().iter().map(|o| value(&inner, o)).collect();
        for mode in ["updating", "frozen", "preset"] {
            let expected = &case[mode];
            for fast in [false, true] {
                let mut env = NormalizeObservation::new(Scripted::new(inner.clone(), observations.clone())).unwrap();
                env.set_update_running_mean(mode == "updating");
                if mode == "preset" {
                    let dim = env.running_stats().dim();
                    let rms = RunningMeanStd::from_state(vec![0.3; dim], vec![2.7; dim], 5.0, Precision::F32).unwrap();
                    env.set_running_stats(rms).unwrap();
                }
                assert_eq!(env.observation_space(), &space(&expected["space"]), "{name}");
                let mut buf = vec![0.0; env.observation_space().flat_dim().unwrap()];
                for (i, call) in f["script"].as_array().unwrap().iter().enumerate() {
                    let at = format!("{name}, {mode}, call {i}, fast: {fast}");
                    let got = match (call == "reset", fast) {
                        (true, true) => env.reset_into(Some(0), &mut buf).map(|_| buf.clone()),
                        (false, true) => env.step_into(&Value::Int(0), &mut buf).map(|_| buf.clone()),
                        (true, false) => env.reset(Some(0), &Options::new()).map(|(v, _)| v.as_f32().unwrap().to_vec()),
                        (false, false) => env.step(&Value::Int(0)).map(|s| s.obs.as_f32().unwrap().to_vec()),
                    };
                    assert_eq!(got.unwrap(), f32s(&expected["values"][i]), "{at}");
                    assert_rms(env.running_stats(), &expected["rms"][i], &at);
                }
            }
        }
    }
}

#[test]
fn normalize_observation_resumes_from_saved_statistics() {
    // A wrapper that is handed the statistics gymnasium had after record 60 continues exactly.
    let f = fixture("normalize_observation_cartpole");
    let steps = f["steps"].as_array().unwrap();
    let mut env = NormalizeObservation::new(cartpole(50, json!({}))).unwrap();
    env.set_update_running_mean(false);
    env.reset(Some(3), &Options::new()).unwrap();
    for record in &steps[1..=60] {
        match record.get("action") {
            Some(a) => env.step(&Value::Int(a.as_i64().unwrap())).map(|_| ()),
            None => env.reset(None, &Options::new()).map(|_| ()),
        }
        .unwrap();
    }
    let saved = &steps[60]["rms"];
    let rms =
        RunningMeanStd::from_state(nums(&saved["mean"]), nums(&saved["var"]), num(&saved["count"]), Precision::F32);
    env.set_running_stats(rms.unwrap()).unwrap();
    env.set_update_running_mean(true);
    let rest = Json::Array(steps[61..].to_vec());
    replay(&mut env, &rest, 0, false, |e, r, at| assert_rms(e.running_stats(), &r["rms"], at));
    assert!(env.set_running_stats(RunningMeanStd::new(3)).is_err());
}

#[test]
fn normalize_reward_matches_gymnasium() {
    let f = fixture("normalize_reward_cartpole");
    for (name, case) in f["cases"].as_object().unwrap() {
        for fast in [false, true] {
            let inner = cartpole(16, case["kwargs"].clone());
            let mut env = NormalizeReward::with_params(inner, num(&case["gamma"]), 1e-8).unwrap();
            replay(&mut env, &case["steps"], 5, fast, |e, r, at| {
                assert_eq!(e.discounted_return(), num(&r["g"]), "{name}: G at {at}");
                assert_rms(e.running_stats(), &r["rms"], &format!("{name}: {at}"));
            });
        }
    }
}

#[test]
fn composed_stack_matches_gymnasium() {
    // NormalizeReward(NormalizeObservation(TransformReward(TimeLimit(OrderEnforcing(CartPole)))))
    // as plain nested generics, no boxes.
    let f = fixture("composition_cartpole");
    for fast in [false, true] {
        let base = TimeLimit::new(OrderEnforcing::new(CartPole::default()), 25);
        let shaped = TransformReward::new(base, |r| 0.5 * r - 0.25);
        let mut env = NormalizeReward::with_params(NormalizeObservation::new(shaped).unwrap(), 0.95, 1e-8).unwrap();
        replay(&mut env, &f["steps"], 6, fast, |e, r, at| {
            assert_rms(e.inner().running_stats(), &r["obs_rms"], at);
            assert_rms(e.running_stats(), &r["return_rms"], at);
        });
    }
}

#[test]
fn record_episode_statistics_matches_gymnasium() {
    let f = fixture("record_episode_statistics_cartpole");
    for fast in [false, true] {
        let mut env = RecordEpisodeStatistics::with_options(cartpole(15, json!({})), 3, "episode");
        let mut episodes = 0;
        replay(&mut env, &f["steps"], 7, fast, |e, r, at| {
            if let Some(ep) = r.get("episode") {
                episodes += 1;
                let last = e.last_episode().unwrap();
                assert_eq!((last.r, last.l as u64), (num(&ep["r"]), ep["l"].as_u64().unwrap()), "{at}");
                assert!(last.t >= 0.0 && (last.t * 1e6 - (last.t * 1e6).round()).abs() < 1e-6, "t = {}", last.t);
            }
            assert_eq!(e.episode_count(), episodes, "{at}");
        });
        assert_eq!(env.return_queue().iter().copied().collect::<Vec<_>>(), nums(&f["return_queue"]));
        let lengths: Vec<f64> = env.length_queue().iter().map(|&l| l as f64).collect();
        assert_eq!(lengths, nums(&f["length_queue"]));
        assert_eq!(env.time_queue().len(), 3);
    }
}

#[test]
fn record_episode_statistics_puts_episode_in_info() {
    let mut env = RecordEpisodeStatistics::new(cartpole(5, json!({})));
    env.reset(Some(0), &Options::new()).unwrap();
    let mut infos: Vec<Info> = Vec::new();
    for _ in 0..5 {
        infos.push(env.step(&Value::Int(1)).unwrap().info);
    }
    assert!(infos[..4].iter().all(|i| i.is_empty()));
    let ep = &infos[4]["episode"];
    assert_eq!((ep["r"].as_f64(), ep["l"].as_u64()), (Some(5.0), Some(5)));
    assert!(ep["t"].as_f64().is_some_and(|t| t >= 0.0));
    // Applied twice, the outer one finds the key taken: an error, not a silent overwrite.
    let mut twice = RecordEpisodeStatistics::new(RecordEpisodeStatistics::new(cartpole(2, json!({}))));
    twice.reset(Some(0), &Options::new()).unwrap();
    twice.step(&Value::Int(1)).unwrap();
    assert!(twice.step(&Value::Int(1)).unwrap_err().to_string().contains("`episode`"));
}

#[test]
fn frame_stack_cartpole_matches_gymnasium() {
    let f = fixture("frame_stack_cartpole");
    for (name, case) in f["cases"].as_object().unwrap() {
        let padding = if name == "reset" { Padding::Reset } else { Padding::Zero };
        for fast in [false, true] {
            let mut env = FrameStackObservation::new(cartpole(10, json!({})), 3, padding.clone()).unwrap();
            assert_eq!(env.observation_space(), &space(&case["observation_space"]), "{name}");
            replay(&mut env, &case["steps"], 8, fast, |_, _, _| {});
        }
    }
}

/// Hands out the given observations in turn, on reset and step alike (the script's twin).
struct Scripted {
    space: Space,
    actions: Space,
    observations: Vec<Value>,
    t: usize,
}

impl Scripted {
    fn new(space: Space, observations: Vec<Value>) -> Self {
        Scripted { space, actions: Space::discrete(2), observations, t: 0 }
    }

    fn next(&mut self) -> Value {
        let v = self.observations[self.t % self.observations.len()].clone();
        self.t += 1;
        v
    }
}

impl Env for Scripted {
    fn observation_space(&self) -> &Space {
        &self.space
    }
    fn action_space(&self) -> &Space {
        &self.actions
    }
    fn reset(&mut self, _seed: Option<u64>, _options: &Options) -> limbic_environments::Result<(Value, Info)> {
        Ok((self.next(), Info::new()))
    }
    fn step(&mut self, _action: &Value) -> limbic_environments::Result<Step> {
        Ok(Step { obs: self.next(), reward: 0.0, terminated: false, truncated: false, info: Info::new() })
    }
}

/// Runs the fixture's script of resets and steps; checks the wrapped space and every output.
fn run_script<W: Env>(wrap: impl Fn(Scripted) -> W, case: &Json, script: &Json, expected: &Json, name: &str) {
    let inner = space(&case["observation_space"]);
    let observations: Vec<Value> = case["observations"].as_array().unwrap().iter().map(|o| value(&inner, o)).collect();
    let out_space = space(&expected["space"]);
    for fast in [false, true] {
        let mut env = wrap(Scripted::new(inner.clone(), observations.clone()));
        assert_eq!(env.observation_space(), &out_space, "{name}");
        let mut buf = vec![0.0; out_space.flat_dim().unwrap()];
        for (i, (call, want)) in
            script.as_array().unwrap().iter().zip(expected["values"].as_array().unwrap()).enumerate()
        {
            let want = value(&out_space, want);
            let reset = call == "reset";
            if fast {
                if reset {
                    env.reset_into(Some(0), &mut buf).unwrap();
                } else {
                    env.step_into(&Value::Int(0), &mut buf).unwrap();
                }
                assert_eq!(buf, flat(&out_space, &want), "{name}, call {i}, fast path");
            } else {
                let got = if reset {
                    env.reset(Some(0), &Options::new()).unwrap().0
                } else {
                    env.step(&Value::Int(0)).unwrap().obs
                };
                assert_eq!(got, want, "{name}, call {i}");
                assert!(out_space.contains(&got), "{name}, call {i}: {got} not in {}", out_space.describe());
            }
        }
    }
}

#[test]
fn flatten_observation_matches_gymnasium() {
    let f = fixture("flatten_observation_spaces");
    for (name, case) in f["cases"].as_object().unwrap() {
        let expected = json!({"space": case["flat_space"], "values": case["flattened"]});
        run_script(|e| FlattenObservation::new(e).unwrap(), case, &f["script"], &expected, name);
    }
}

#[test]
fn frame_stack_spaces_match_gymnasium() {
    let f = fixture("frame_stack_spaces");
    for (name, case) in f["cases"].as_object().unwrap() {
        for (padding_name, padding) in [("reset", Padding::Reset), ("zero", Padding::Zero)] {
            let expected =
                json!({"space": case[padding_name]["stacked_space"], "values": case[padding_name]["stacked"]});
            let wrap = |e| FrameStackObservation::new(e, 3, padding.clone()).unwrap();
            run_script(wrap, case, &f["script"], &expected, &format!("{name}, padding {padding_name}"));
        }
    }
}

#[test]
fn frame_stack_custom_padding() {
    let pad = Value::F32(vec![1.0, -1.0, 0.0, 2.0]);
    let mut env = FrameStackObservation::new(cartpole(500, json!({})), 3, Padding::Custom(pad)).unwrap();
    let (obs, _) = env.reset(Some(123), &Options::new()).unwrap();
    let mut plain = cartpole(500, json!({}));
    let (first, _) = plain.reset(Some(123), &Options::new()).unwrap();
    let first = first.as_f32().unwrap().to_vec();
    assert_eq!(obs, Value::F32([vec![1.0, -1.0, 0.0, 2.0], vec![1.0, -1.0, 0.0, 2.0], first].concat()));
}

/// Observes the action it was given: shows what an action wrapper passed on (the script's twin).
struct Echo {
    actions: Space,
    observations: Space,
}

impl Echo {
    fn new(low: &[f64], high: &[f64], dtype: DType) -> Self {
        let round = |v: &[f64]| -> Vec<f64> {
            v.iter().map(|&x| if dtype == DType::Float32 { x as f32 as f64 } else { x }).collect()
        };
        let actions = Space::vector_box(&round(low), &round(high), dtype);
        let observations = Space::uniform_box(f64::NEG_INFINITY, f64::INFINITY, &[low.len()], dtype);
        Echo { actions, observations }
    }
}

impl Env for Echo {
    fn observation_space(&self) -> &Space {
        &self.observations
    }
    fn action_space(&self) -> &Space {
        &self.actions
    }
    fn reset(&mut self, _seed: Option<u64>, _options: &Options) -> limbic_environments::Result<(Value, Info)> {
        let dim = self.observations.flat_dim()?;
        Ok((self.observations.as_box().unwrap().dtype.array(vec![0.0; dim]), Info::new()))
    }
    fn step(&mut self, action: &Value) -> limbic_environments::Result<Step> {
        // Like the Python twin: no bounds check, only the type.
        self.observations
            .check(action)
            .map_err(|reason| EnvError::InvalidAction { action: action.to_string(), reason })?;
        Ok(Step { obs: action.clone(), reward: 0.0, terminated: false, truncated: false, info: Info::new() })
    }
}

#[test]
fn action_wrappers_match_gymnasium() {
    let f = fixture("action_wrappers");
    let (low, high) = (nums(&f["inner_action_space"]["low"]), nums(&f["inner_action_space"]["high"]));
    for case in f["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let dtype = DType::parse(case["dtype"].as_str().unwrap()).unwrap();
        let echo = || Echo::new(&low, &high, dtype);
        let mut env: Box<dyn Env> = if case["wrapper"] == "ClipAction" {
            Box::new(ClipAction::new(echo()).unwrap())
        } else {
            let (min, max) = (nums(&case["kwargs"]["min"]), nums(&case["kwargs"]["max"]));
            Box::new(RescaleAction::with_bounds(echo(), min, max).unwrap())
        };
        assert_eq!(env.action_space(), &space(&case["action_space"]), "{name}");
        env.reset(Some(0), &Options::new()).unwrap();
        let mut buf = vec![0.0; low.len()];
        for (i, (a, passed)) in
            case["actions"].as_array().unwrap().iter().zip(case["passed"].as_array().unwrap()).enumerate()
        {
            let action = dtype.array(nums(a));
            let want = dtype.array(nums(passed));
            assert_eq!(env.step(&action).unwrap().obs, want, "{name}, action {i}");
            env.step_into(&action, &mut buf).unwrap();
            assert_eq!(buf, flat(env.observation_space(), &want), "{name}, action {i}, fast path");
        }
    }
}

#[test]
fn transform_reward_applies_on_both_paths() {
    let mut env = TransformReward::new(cartpole(500, json!({})), |r| 2.0 * r + 1.0);
    env.reset(Some(0), &Options::new()).unwrap();
    assert_eq!(env.step(&Value::Int(0)).unwrap().reward, 3.0);
    let mut buf = [0.0; 4];
    assert_eq!(env.step_into(&Value::Int(0), &mut buf).unwrap().reward, 3.0);
}

#[test]
fn bad_parameters_are_clear_errors() {
    let echo = || Echo::new(&[-2.0, 0.0], &[2.0, 1.0], DType::Float32);
    let message = |e: EnvError| e.to_string();
    let rescale = |min: Vec<f64>, max: Vec<f64>| message(RescaleAction::with_bounds(echo(), min, max).err().unwrap());
    assert!(rescale(vec![1.0, 0.0], vec![1.0, 1.0]).contains("strictly smaller"));
    assert!(message(RescaleAction::new(echo(), 1.0, 1.0 + 1e-9).err().unwrap()).contains("strictly smaller"));
    assert!(rescale(vec![2.0, 0.0], vec![1.0, 1.0]).contains("min_action <= max_action"));
    assert!(rescale(vec![0.0], vec![1.0]).contains("expected 2 numbers"));
    assert!(rescale(vec![f64::NEG_INFINITY, 0.0], vec![1.0, 1.0]).contains("infinity"));
    assert!(rescale(vec![f64::NAN, 0.0], vec![1.0, 1.0]).contains("min_action"));
    let discrete = || cartpole(500, json!({}));
    assert!(message(RescaleAction::new(discrete(), -1.0, 1.0).err().unwrap()).contains("requires a Box action space"));
    assert!(message(ClipAction::new(discrete()).err().unwrap()).contains("ClipAction requires a Box action space"));
    assert!(message(FrameStackObservation::new(discrete(), 0, Padding::Reset).err().unwrap()).contains("stack_size"));
    let bad_pad = Padding::Custom(Value::F32(vec![0.0; 3]));
    assert!(message(FrameStackObservation::new(discrete(), 2, bad_pad).err().unwrap()).contains("padding_type"));
    assert!(message(NormalizeObservation::with_epsilon(discrete(), 0.0).err().unwrap()).contains("epsilon"));
    assert!(NormalizeReward::with_params(discrete(), 1.5, 1e-8).is_err());
    assert!(NormalizeReward::with_params(discrete(), 0.9, -1.0).is_err());
    let text = Space::Text { min_length: 1, max_length: 3, charset: "ab".into() };
    let texty = || Scripted::new(text.clone(), vec![Value::Text("a".into())]);
    assert!(NormalizeObservation::new(texty()).is_err());
    assert!(FlattenObservation::new(texty()).is_err());
    assert!(FrameStackObservation::new(texty(), 2, Padding::Zero).is_err());
}

#[test]
fn bad_actions_and_buffers_are_errors() {
    let mut clip = ClipAction::new(Echo::new(&[-1.0], &[1.0], DType::Float32)).unwrap();
    clip.reset(None, &Options::new()).unwrap();
    assert_eq!(clip.step(&Value::F32(vec![5.0])).unwrap().obs, Value::F32(vec![1.0]));
    assert!(clip.step(&Value::F32(vec![f32::NAN])).is_err());
    assert!(clip.step(&Value::F64(vec![0.5])).is_err());
    assert!(clip.step(&Value::F32(vec![0.5, 0.5])).is_err());
    let mut stacked = FrameStackObservation::new(cartpole(500, json!({})), 2, Padding::Zero).unwrap();
    assert!(stacked.reset_into(Some(0), &mut [0.0; 4]).unwrap_err().to_string().contains("needs 8"));
    let mut normalized = NormalizeObservation::new(cartpole(500, json!({}))).unwrap();
    assert!(normalized.reset_into(Some(0), &mut [0.0; 3]).is_err());
}

#[test]
fn frame_stack_survives_a_failed_step() {
    let mut env = FrameStackObservation::new(cartpole(500, json!({})), 3, Padding::Zero).unwrap();
    let mut twin = FrameStackObservation::new(cartpole(500, json!({})), 3, Padding::Zero).unwrap();
    let (mut a, mut b) = ([0.0; 12], [0.0; 12]);
    env.reset_into(Some(1), &mut a).unwrap();
    twin.reset_into(Some(1), &mut b).unwrap();
    assert!(env.step_into(&Value::Int(7), &mut a).is_err());
    env.step_into(&Value::Int(1), &mut a).unwrap();
    twin.step_into(&Value::Int(1), &mut b).unwrap();
    assert_eq!(a, b);
}
