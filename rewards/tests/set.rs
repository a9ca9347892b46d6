//! The reward set end to end on hand-made transitions: key gating, episode resets, combination,
//! streams, checkpoints and error messages.

use limbic_agents::shaping::{RewardShaper, TransitionColumns, Transitions};
use limbic_agents::Result;
use limbic_environments::space::DType;
use limbic_environments::Space;
use limbic_rewards::{
    IntrinsicReward, Memory, Normalization, Registry, RewardSet, RewardSpec, SignalContext, SignalEntry,
};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Every row a probe signal received, by the probe's name.
static SEEN: Mutex<Vec<(String, Vec<f32>)>> = Mutex::new(Vec::new());
/// Episode resets a probe received: (probe, env).
static RESETS: Mutex<Vec<(String, usize)>> = Mutex::new(Vec::new());
/// Held by every test that builds probes: the records above are shared by the whole binary,
/// and tests run in parallel threads.
static PROBES: Mutex<()> = Mutex::new(());

/// Exclusive use of the probes' records for one test.
fn probes() -> std::sync::MutexGuard<'static, ()> {
    PROBES.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Records what it is given; its bonus is the first number of each next-observation row.
struct Probe {
    name: String,
    keys: Option<Vec<String>>,
}

impl IntrinsicReward for Probe {
    fn name(&self) -> &str {
        &self.name
    }
    fn memory(&self) -> Memory {
        Memory::Episodic
    }
    fn keys(&self) -> Option<Vec<String>> {
        self.keys.clone()
    }
    fn observe(&mut self, step: &Transitions) -> Result<()> {
        self.record(step);
        Ok(())
    }
    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        self.record(batch);
        for (slot, o) in out.iter_mut().enumerate().take(batch.slots()) {
            *o = if batch.valid[slot] { batch.next_obs_row(slot)[0] } else { 0.0 };
        }
        Ok(())
    }
    fn update(&mut self, batch: &Transitions) -> Result<BTreeMap<String, f64>> {
        self.record(batch);
        Ok(BTreeMap::from([("loss".to_string(), 0.5)]))
    }
    fn reset_episode(&mut self, env: usize) {
        RESETS.lock().unwrap().push((self.name.clone(), env));
    }
    fn save(&self) -> Result<Vec<u8>> {
        Ok(Vec::new())
    }
    fn load(&mut self, _bytes: &[u8]) -> Result<()> {
        Ok(())
    }
}

impl Probe {
    fn record(&self, t: &Transitions) {
        let mut seen = SEEN.lock().unwrap();
        for rows in [t.obs, t.next_obs] {
            assert_eq!(rows.len(), t.slots() * t.obs_dim);
            rows.chunks_exact(t.obs_dim).for_each(|r| seen.push((self.name.clone(), r.to_vec())));
        }
    }
}

/// `probe_b`: reads key `b` because the signal says so; `probe_cfg`: whatever its spec's `keys`
/// say.
const PROBE_B: SignalEntry = SignalEntry {
    name: "probe_b",
    summary: "records its rows (reads key b)",
    params: &[],
    defaults: || serde_json::json!({}),
    weight: 1.0,
    normalization: Normalization::Rms,
    exploration: true,
    episodic_counts: false,
    caveats: "",
    // Built on the whole space first; the set then builds it again on key `b` alone.
    build: &|_, _| Ok(Box::new(Probe { name: "probe_b".into(), keys: Some(vec!["b".into()]) })),
};
const PROBE_CFG: SignalEntry = SignalEntry {
    name: "probe_cfg",
    summary: "records its rows",
    params: &[],
    defaults: || serde_json::json!({}),
    weight: 1.0,
    normalization: Normalization::Rms,
    exploration: true,
    episodic_counts: false,
    caveats: "",
    build: &|_, _| Ok(Box::new(Probe { name: "probe_cfg".into(), keys: None })),
};

/// `probe_task`: a task reward (not exploration), default weight 0.25.
const PROBE_TASK: SignalEntry = SignalEntry {
    name: "probe_task",
    summary: "records its rows (a task reward)",
    weight: 0.25,
    exploration: false,
    ..PROBE_CFG
};

/// A signal whose model's loss grows 100 times per update.
struct Diverging {
    loss: f64,
}

impl IntrinsicReward for Diverging {
    fn name(&self) -> &str {
        "diverging"
    }
    fn memory(&self) -> Memory {
        Memory::Lifelong
    }
    fn compute(&mut self, _batch: &Transitions, out: &mut [f32]) -> Result<()> {
        out.fill(0.1);
        Ok(())
    }
    fn update(&mut self, _batch: &Transitions) -> Result<BTreeMap<String, f64>> {
        self.loss *= 100.0;
        Ok(BTreeMap::from([("loss".to_string(), self.loss)]))
    }
    fn save(&self) -> Result<Vec<u8>> {
        Ok(Vec::new())
    }
    fn load(&mut self, _bytes: &[u8]) -> Result<()> {
        Ok(())
    }
}

const DIVERGING: SignalEntry = SignalEntry {
    name: "diverging",
    summary: "a model whose loss explodes",
    build: &|_, _| Ok(Box::new(Diverging { loss: 0.01 })),
    ..PROBE_CFG
};

fn registry() -> Registry {
    let mut registry = Registry::builtins();
    for entry in [PROBE_B, PROBE_CFG, PROBE_TASK, DIVERGING] {
        registry.register(entry).unwrap();
    }
    registry
}

/// Dict {a: Box(2), b: Discrete(3), c: Box(1), m: Text}: flat rows [a0 a1 | b0 b1 b2 | c0].
fn space() -> Space {
    let boxed = |n: usize| Space::vector_box(&vec![-9.0; n], &vec![9.0; n], DType::Float32);
    Space::dict(vec![
        ("a".into(), boxed(2)),
        ("b".into(), Space::discrete(3)),
        ("c".into(), boxed(1)),
        ("m".into(), Space::Text { min_length: 0, max_length: 4, charset: "ab".into() }),
    ])
}

fn context(num_envs: usize) -> SignalContext {
    SignalContext { obs_dim: 6, observation_space: space(), action_space: Space::discrete(2), num_envs, seed: 0 }
}

type Batch = TransitionColumns;

/// `[steps, envs]` transitions whose row of slot s = [s+1, 10(s+1), 100.., ...], so every
/// number says where it came from.
fn numbered(steps: usize, envs: usize) -> Batch {
    let slots = steps * envs;
    let row = |s: usize, base: f32| (0..6).map(move |j| base * (s + 1) as f32 * 10f32.powi(j));
    Batch {
        obs: (0..slots).flat_map(|s| row(s, 1.0)).collect(),
        next_obs: (0..slots).flat_map(|s| row(s, -1.0)).collect(),
        rewards: (0..slots).map(|s| s as f32 * 0.25).collect(),
        ..Batch::zeros(steps, envs, 6, 1)
    }
}

fn run(set: &mut RewardSet, batch: &Batch, env_steps: u64) -> (Vec<f32>, BTreeMap<String, f64>) {
    for t in 0..batch.steps {
        set.observe(&batch.view().step_range(t..t + 1)).unwrap();
    }
    let mut out = vec![f32::NAN; batch.steps * batch.envs * set.streams().len()];
    let metrics = set.rewards(&batch.view(), env_steps, &mut out).unwrap();
    (out, metrics)
}

fn spec(json: serde_json::Value) -> RewardSpec {
    serde_json::from_value(json).unwrap()
}

#[test]
fn a_signal_sees_only_its_keys() {
    let _probes = probes();
    SEEN.lock().unwrap().clear();
    let specs = [
        spec(serde_json::json!({"name": "probe_b", "normalization": "none", "stream": "extrinsic"})),
        spec(
            serde_json::json!({"name": "probe_cfg", "keys": ["c", "a"], "normalization": "none", "stream": "extrinsic"}),
        ),
    ];
    let mut set = RewardSet::new(&registry(), &specs, &context(2)).unwrap();
    let batch = numbered(3, 2);
    let (out, _) = run(&mut set, &batch, 0);
    let seen = SEEN.lock().unwrap();
    // Every full row of the batch, cut to each probe's keys (a = 0..2, b = 2..5, c = 5).
    let cut = |rows: &[f32], parts: &[std::ops::Range<usize>]| -> Vec<Vec<f32>> {
        rows.chunks_exact(6).map(|r| parts.iter().flat_map(|p| r[p.clone()].to_vec()).collect()).collect()
    };
    for (probe, parts) in [("probe_b", [2..5, 5..5]), ("probe_cfg", [0..2, 5..6])] {
        let got: Vec<&Vec<f32>> = seen.iter().filter(|(p, _)| p == probe).map(|(_, r)| r).collect();
        let mut allowed = cut(&batch.obs, &parts);
        allowed.extend(cut(&batch.next_obs, &parts));
        // observe (3 steps x 2 envs) + compute + update, each with obs and next_obs rows.
        assert_eq!(got.len(), 3 * 2 * 2 * 3, "{probe}");
        assert!(got.iter().all(|r| allowed.contains(r)), "{probe} saw {got:?}");
    }
    // Stream 0 = extrinsic reward + both bonuses (first number of each probe's next row).
    let slot = 3;
    let expected = batch.rewards[slot] + batch.next_obs[slot * 6 + 2] + batch.next_obs[slot * 6];
    assert_eq!(out[slot], expected);
}

#[test]
fn episodes_reset_on_termination_and_truncation_of_that_sub_env_only() {
    let _probes = probes();
    RESETS.lock().unwrap().clear();
    let specs = [spec(serde_json::json!({"name": "probe_cfg", "label": "episodic"}))];
    let mut set = RewardSet::new(&registry(), &specs, &context(3)).unwrap();
    let mut batch = numbered(3, 3);
    batch.terminated[1] = true; // t=0, env 1
    batch.truncated[2 * 3 + 2] = true; // t=2, env 2
    batch.valid[3 + 1] = false; // t=1, env 1: the reset slot after the termination
    run(&mut set, &batch, 0);
    let resets: Vec<usize> =
        RESETS.lock().unwrap().iter().filter(|(p, _)| p == "probe_cfg").map(|(_, env)| *env).collect();
    assert_eq!(resets, [1, 2]);

    // Counts in episodic memory, through the set: env 0's repeated row keeps falling, env 1's
    // count starts over after its episode ends.
    let counts = [spec(serde_json::json!({"name": "counts", "params": {"memory": "episodic", "mode": "exact"},
        "normalization": "none", "weight": 1.0, "stream": "extrinsic"}))];
    let mut set = RewardSet::new(&Registry::builtins(), &counts, &context(2)).unwrap();
    let mut batch = numbered(3, 2);
    batch.next_obs.iter_mut().for_each(|x| *x = 1.0); // the same observation everywhere
    batch.rewards.iter_mut().for_each(|r| *r = 0.0);
    batch.truncated[1] = true; // env 1 truncated at t=0
    let (out, _) = run(&mut set, &batch, 0);
    let c = |n: f32| 1.0 / n.sqrt();
    assert_eq!(out, [c(1.0), c(1.0), c(2.0), c(1.0), c(3.0), c(2.0)]);
}

#[test]
fn weights_schedules_streams_and_products() {
    let _probes = probes();
    let specs = [
        spec(serde_json::json!({"name": "extrinsic", "schedule":
            {"kind": "phases", "phases": [{"until": 100, "weight": 0.0}, {"weight": 1.0}]}, "advantage_coef": 2.0})),
        spec(serde_json::json!({"name": "both", "weight": 0.5, "stream": "own", "gamma": 0.9, "product": [
            {"name": "probe_b", "normalization": "none"},
            {"name": "probe_cfg", "keys": ["c"], "normalization": "none", "offset": 1.0, "clip": [-50.0, 50.0]}]})),
    ];
    let mut set = RewardSet::new(&registry(), &specs, &context(1)).unwrap();
    let streams: Vec<(String, f64, f64)> =
        set.streams().iter().map(|s| (s.name.clone(), s.gamma, s.advantage_coef)).collect();
    assert_eq!(streams, [("extrinsic".into(), 0.99, 2.0), ("both".into(), 0.9, 1.0)]);
    let batch = numbered(2, 1);
    // Phase 1 (reward-free pretraining): the env's reward weighs 0.
    let (out, metrics) = run(&mut set, &batch, 0);
    let bonus = |s: usize| 0.5 * batch.next_obs[s * 6 + 2] * (1.0 + batch.next_obs[s * 6 + 5]).clamp(-50.0, 50.0);
    assert_eq!(out, [0.0, bonus(0), 0.0, bonus(1)]);
    assert_eq!(metrics["reward/extrinsic/weight"], 0.0);
    assert_eq!(metrics["reward/both/weight"], 0.5);
    assert_eq!(metrics["reward/probe_b/loss"], 0.5);
    for key in ["raw_mean", "raw_std"] {
        assert!(metrics.contains_key(&format!("reward/probe_cfg/{key}")), "{key}");
    }
    assert!((metrics["reward/both/mean"] - (bonus(0) + bonus(1)) as f64 / 2.0).abs() < 1e-4);
    // Phase 2: the task.
    let (out, _) = run(&mut set, &batch, 100);
    assert_eq!(out[2], batch.rewards[1]);
}

#[test]
fn counts_grid_needs_raw_bounded_rows() {
    let build = |json: serde_json::Value| RewardSet::new(&Registry::builtins(), &[spec(json)], &context(2));
    // Key `a` is a Box(2) within +-9: raw rows can be gridded.
    assert!(build(serde_json::json!({"name": "counts", "keys": ["a"], "params": {"mode": "grid"}})).is_ok());
    // Standardized rows have no bounds: `grid` is refused with the reason (`auto` hashes them).
    let standardized =
        serde_json::json!({"name": "counts", "keys": ["a"], "obs_norm": true, "params": {"mode": "grid"}});
    let error = build(standardized).err().unwrap().to_string();
    assert!(error.contains("finite bounds"), "{error}");
    assert!(build(serde_json::json!({"name": "counts", "keys": ["a"], "obs_norm": true})).is_ok());
}

#[test]
fn save_and_load_restore_the_set_exactly() {
    let _probes = probes();
    let specs = [
        spec(
            serde_json::json!({"name": "counts", "weight": 0.1, "obs_norm": true, "params": {"mode": "simhash", "bits": 8}}),
        ),
        spec(serde_json::json!({"name": "counts", "label": "ep", "stream": "own",
            "params": {"memory": "episodic"}, "normalization": "std"})),
    ];
    let make = || RewardSet::new(&Registry::builtins(), &specs, &context(2)).unwrap();
    let (mut a, mut b) = (make(), make());
    let batch = numbered(4, 2);
    run(&mut a, &batch, 0);
    let dir = std::env::temp_dir().join(format!("limbic-rewardset-{}", std::process::id()));
    a.save(&dir).unwrap();
    b.load(&dir).unwrap();
    assert_eq!(b.updates(), 1);
    let mut shifted = numbered(4, 2);
    shifted.next_obs.iter_mut().for_each(|x| *x = *x * 0.5 + 1.0);
    for _ in 0..2 {
        let (ra, ma) = run(&mut a, &shifted, 8);
        let (rb, mb) = run(&mut b, &shifted, 8);
        assert_eq!(ra, rb);
        assert_eq!(ma, mb);
    }
    // A damaged file is an error that names it, and leaves the set as it was.
    let file = dir.join(limbic_rewards::set::STATE_FILE);
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    let error = b.load(&dir).unwrap_err().to_string();
    assert!(error.contains("rewards.bin"), "{error}");
    assert_eq!(b.updates(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_specs_say_what_exists() {
    let _probes = probes();
    let registry = registry();
    let build = |json: serde_json::Value| {
        let specs: Vec<RewardSpec> = serde_json::from_value(json).map_err(|e| e.to_string())?;
        RewardSet::new(&registry, &specs, &context(1)).map(|_| ()).map_err(|e| e.to_string())
    };
    let error = build(serde_json::json!([{"name": "cuonts"}])).unwrap_err();
    assert!(
        error.contains("unknown signal `cuonts`") && error.contains("did you mean counts") && error.contains("probe_b"),
        "{error}"
    );
    let error = build(serde_json::json!([{"name": "counts", "params": {"bets": 1}}])).unwrap_err();
    assert!(error.contains("bets") && error.contains("beta"), "{error}");
    let error = build(serde_json::json!([{"name": "counts", "wieght": 1}])).unwrap_err();
    assert!(error.contains("wieght") && error.contains("weight"), "{error}");
    let error = build(serde_json::json!([{"name": "probe_cfg", "keys": ["z"]}])).unwrap_err();
    assert!(error.contains("`z`") && error.contains("a, b, c"), "{error}");
    let error = build(serde_json::json!([{"name": "probe_cfg", "keys": ["m"]}])).unwrap_err();
    assert!(error.contains("`m`"), "a Text key has no flat part: {error}");
    let error = build(serde_json::json!([{"name": "counts"}, {"name": "counts"}])).unwrap_err();
    assert!(error.contains("label"), "{error}");
    let error = build(serde_json::json!([{"name": "p", "product": [{"name": "counts", "weight": 2}]}])).unwrap_err();
    assert!(error.contains("top-level"), "{error}");
    let error = build(serde_json::json!([{"name": "extrinsic", "stream": "own"}])).unwrap_err();
    assert!(error.contains("stream 0"), "{error}");
    assert!(RewardSpec::shorthand("rnd:x").is_err());
    assert_eq!(RewardSpec::shorthand("counts:0.005").unwrap().weight, Some(0.005));
}

#[test]
fn nan_bonuses_stop_training_naming_the_signal_and_update() {
    let _probes = probes();
    let specs = [spec(serde_json::json!({"name": "probe_cfg", "normalization": "none", "stream": "extrinsic"}))];
    let mut set = RewardSet::new(&registry(), &specs, &context(1)).unwrap();
    let mut batch = numbered(2, 1);
    run(&mut set, &batch, 0);
    batch.next_obs[6] = f32::NAN;
    let mut out = vec![0.0; 2];
    let error = set.rewards(&batch.view(), 0, &mut out).unwrap_err().to_string();
    assert!(error.contains("update 2") && error.contains("reward/probe_cfg/raw"), "{error}");
}

#[test]
fn a_bonus_defaults_to_a_continuing_stream_of_its_own_and_its_signals_weight() {
    let _probes = probes();
    let specs = [RewardSpec::named("counts"), RewardSpec::named("probe_task"), RewardSpec::named("probe_b")];
    let mut set = RewardSet::new(&registry(), &specs, &context(1)).unwrap();
    let streams: Vec<(&str, bool)> = set.streams().iter().map(|s| (s.name.as_str(), s.episodic)).collect();
    // The task reward joins the env's stream 0; each exploration bonus gets a stream whose
    // return a termination does not end.
    assert_eq!(streams, [("extrinsic", true), ("counts", false), ("probe_b", false)]);
    let (_, metrics) = run(&mut set, &numbered(2, 1), 0);
    assert_eq!(metrics["reward/counts/weight"], limbic_rewards::signals::counts::ENTRY.weight);
    assert_eq!(metrics["reward/probe_task/weight"], 0.25);
    let episodic = [spec(serde_json::json!({"name": "counts", "episodic": true}))];
    assert!(RewardSet::new(&registry(), &episodic, &context(1)).unwrap().streams()[1].episodic);
    let summed = [spec(serde_json::json!({"name": "counts", "stream": "extrinsic", "episodic": false}))];
    let error = RewardSet::new(&registry(), &summed, &context(1)).err().unwrap().to_string();
    assert!(error.contains("episodic"), "{error}");
}

#[test]
fn the_first_update_warns_of_a_vanishing_bonus_with_its_numbers() {
    let _probes = probes();
    // The probe's bonus is -(s + 1) per slot: 1.5 per step in magnitude, weighed down to 1.5e-6,
    // against the env's 0.125 per step.
    let specs = [spec(serde_json::json!({"name": "probe_cfg", "weight": 1e-6, "normalization": "none"}))];
    let mut set = RewardSet::new(&registry(), &specs, &context(1)).unwrap();
    run(&mut set, &numbered(2, 1), 0);
    assert_eq!(set.warnings().len(), 1, "{:?}", set.warnings());
    let warning = &set.warnings()[0];
    assert!(warning.contains("probe_cfg") && warning.contains("vanishes"), "{warning}");
    assert!(warning.contains("1.50e-6") && warning.contains("1.25e-1"), "{warning}");
    // Only the first update judges; a sensible weight earns nothing.
    run(&mut set, &numbered(2, 1), 0);
    assert_eq!(set.warnings().len(), 1);
    let specs = [spec(serde_json::json!({"name": "probe_cfg", "weight": 0.1, "normalization": "none"}))];
    let mut set = RewardSet::new(&registry(), &specs, &context(1)).unwrap();
    run(&mut set, &numbered(2, 1), 0);
    assert!(set.warnings().is_empty(), "{:?}", set.warnings());
}

#[test]
fn a_diverging_signal_model_stops_training_naming_the_signal() {
    let _probes = probes();
    let mut set = RewardSet::new(&registry(), &[RewardSpec::named("diverging")], &context(1)).unwrap();
    // Losses 1, 100, 1e4 (1e4 times the first: still allowed), then 1e6.
    for _ in 0..3 {
        run(&mut set, &numbered(2, 1), 0);
    }
    let batch = numbered(2, 1);
    let mut out = vec![0.0; 2 * set.streams().len()];
    let error = set.rewards(&batch.view(), 0, &mut out).unwrap_err().to_string();
    assert!(error.contains("signal `diverging`") && error.contains("update 4"), "{error}");
}

#[test]
fn a_signal_that_gives_nothing_yet_earns_no_weight_warning() {
    use limbic_rewards::set::{scale_warning, Scales};
    // A learned reward before its first labels: exactly 0 everywhere, whatever the weight.
    let nothing = Scales { raw: 0.0, scaled: 0.0, weighted: 0.0, env: 1.0 };
    assert_eq!(scale_warning("preferences", 1.0, &nothing), None);
    let tiny = Scales { raw: 1e-9, scaled: 1e-9, weighted: 1e-9, env: 1.0 };
    assert!(scale_warning("probe", 1.0, &tiny).unwrap().contains("vanishes"));
}

/// `probe_novelty`: the probe's bonus, with the episodic count factor on by default.
const PROBE_NOVELTY: SignalEntry = SignalEntry {
    name: "probe_novelty",
    episodic_counts: true,
    build: &|_, _| Ok(Box::new(probe("probe_novelty"))),
    ..PROBE_CFG
};

fn probe(name: &str) -> Probe {
    Probe { name: name.into(), keys: None }
}

/// Integer rows of 6 numbers: counts are exact.
fn discrete_context(num_envs: usize) -> SignalContext {
    let space = Space::vector_box(&[0.0; 6], &[9.0; 6], DType::Int64);
    SignalContext { observation_space: space, ..context(num_envs) }
}

#[test]
fn a_novelty_bonus_is_divided_by_the_root_of_its_episodic_count_on_discrete_observations() {
    let _probes = probes();
    let mut registry = registry();
    registry.register(PROBE_NOVELTY).unwrap();
    let named = [spec(serde_json::json!({"name": "probe_novelty", "normalization": "none"}))];
    // The spec as built: the probe times an episodic `counts` of the same rows, under the
    // probe's label, weight (its entry's 1), stream and normalization.
    let built = named[0].resolve(&registry, &discrete_context(2).observation_space).unwrap();
    assert_eq!(
        serde_json::to_value(&built).unwrap(),
        serde_json::json!({"name": "probe_novelty", "label": "probe_novelty", "weight": 1.0,
            "normalization": "none", "stream": "own", "episodic": false, "product": [
            {"name": "probe_novelty", "label": "probe_novelty.bonus", "normalization": "none"},
            {"name": "counts", "label": "probe_novelty.episodic_counts", "params": {"memory": "episodic"},
             "normalization": "none"}]})
    );
    let mut set = RewardSet::new(&registry, &named, &discrete_context(2)).unwrap();
    let mut batch = numbered(3, 2);
    batch.next_obs.iter_mut().for_each(|x| *x = 4.0); // the same observation everywhere
    batch.truncated[1] = true; // env 1's episode ends at t=0
    let (out, metrics) = run(&mut set, &batch, 0);
    // Stream 1 of slot s (t, env): 4 / sqrt(visits in this episode).
    let bonus: Vec<f32> = out.chunks_exact(2).map(|k| k[1]).collect();
    let c = |n: f32| 4.0 / n.sqrt();
    assert_eq!(bonus, [c(1.0), c(1.0), c(2.0), c(1.0), c(3.0), c(2.0)]);
    assert_eq!(metrics["reward/probe_novelty.bonus/raw_mean"], 4.0);
    assert!(metrics.contains_key("reward/probe_novelty.episodic_counts/raw_mean"));
    assert_eq!(metrics["reward/probe_novelty/weight"], 1.0);

    // Off when the spec says so, and by default on float observations (no exact counts).
    for (json, ctx) in [
        (
            serde_json::json!({"name": "probe_novelty", "normalization": "none", "episodic_counts": false}),
            discrete_context(2),
        ),
        (serde_json::json!({"name": "probe_novelty", "normalization": "none"}), context(2)),
    ] {
        let mut set = RewardSet::new(&registry, &[spec(json)], &ctx).unwrap();
        let (out, _) = run(&mut set, &batch, 0);
        assert!(out.chunks_exact(2).all(|k| k[1] == 4.0), "{out:?}");
    }
    // On when asked for, also on float observations; a combination cannot ask.
    let asked = [spec(serde_json::json!({"name": "probe_cfg", "normalization": "none", "episodic_counts": true}))];
    let (out, _) = run(&mut RewardSet::new(&registry, &asked, &context(2)).unwrap(), &batch, 0);
    assert_eq!(out[2 * 2 + 1], c(2.0));
    let combined = [spec(serde_json::json!({"name": "both", "episodic_counts": true, "sum": [{"name": "probe_cfg"}]}))];
    let error = RewardSet::new(&registry, &combined, &context(2)).err().unwrap().to_string();
    assert!(error.contains("episodic_counts"), "{error}");
}

#[test]
fn a_spec_that_names_no_normalization_gets_its_entrys() {
    let _probes = probes();
    let mut registry = registry();
    let minmax: Vec<&str> =
        registry.entries().iter().filter(|e| e.normalization == Normalization::Minmax).map(|e| e.name).collect();
    assert_eq!(minmax, ["rnd", "icm"]);
    // The product built for the episodic count factor carries the entry's normalization.
    let icm = RewardSpec::named("icm").resolve(&registry, &discrete_context(1).observation_space).unwrap();
    assert_eq!(icm.normalization, Some(Normalization::Minmax));
    // A signal built alone scales with it; a spec that names one overrides it.
    registry.register(SignalEntry { name: "probe_minmax", normalization: Normalization::Minmax, ..PROBE_CFG }).unwrap();
    let batch = numbered(3, 2); // the probe's raw bonus of slot s: -(s + 1)
    let own_stream = |json| {
        let (out, _) = run(&mut RewardSet::new(&registry, &[spec(json)], &context(2)).unwrap(), &batch, 0);
        out.chunks_exact(2).map(|k| k[1]).collect::<Vec<f32>>()
    };
    assert_eq!(own_stream(serde_json::json!({"name": "probe_minmax"})), [1.0, 0.8, 0.6, 0.4, 0.2, 0.0]);
    assert_eq!(
        own_stream(serde_json::json!({"name": "probe_minmax", "normalization": "none"})),
        [-1.0, -2.0, -3.0, -4.0, -5.0, -6.0]
    );
}

#[test]
fn the_built_in_novelty_signals_default_to_the_episodic_count_factor() {
    let registry = Registry::builtins();
    let on: Vec<&str> = registry.entries().iter().filter(|e| e.episodic_counts).map(|e| e.name).collect();
    assert_eq!(on, ["rnd", "icm", "disagreement", "e3b", "ngu", "re3"]);
    // counts is the factor itself; RIDE divides by the root of its episodic count already.
    let ride = RewardSpec::named("ride").resolve(&registry, &discrete_context(1).observation_space).unwrap();
    assert_eq!(ride, RewardSpec::named("ride"));
}
