//! [`RewardSet`]: the signals of a run, their scaling stage and combination, behind the
//! learners' [`RewardShaper`] hook.
//!
//! Per signal, once: raw bonus -> normalization ([`Normalization`]) -> `offset` -> `clip`;
//! a combination (`sum` or `product` of specs) then goes through the same stage; finally each
//! top-level spec is multiplied by `weight * schedule(env steps)` and added to its stream.
//! Weights and schedules belong to top-level specs only, so nothing is weighted twice.
//!
//! Specs as JSON (a run's `rewards` list):
//!
//! ```json
//! [{"name": "counts", "weight": 0.005, "params": {"memory": "episodic"}},
//!  {"name": "ngu_like", "weight": 0.01, "stream": "own", "gamma": 0.99, "product": [
//!     {"name": "counts", "label": "episodic", "params": {"memory": "episodic"}},
//!     {"name": "counts", "label": "lifelong", "offset": 1.0, "clip": [1.0, 5.0]}]},
//!  {"name": "extrinsic", "schedule": {"kind": "phases", "phases": [{"until": 200000, "weight": 0.0}, {"weight": 1.0}]}}]
//! ```
//!
//! `extrinsic` is added with weight 1 and no normalization when the list does not name it.
//! Stream 0 carries `extrinsic` and every spec with `"stream": "extrinsic"` (one critic as in
//! RLeXplore); every other spec (`"stream": "own"`, the default) gets its own value head,
//! discount `gamma`, `advantage_coef`, and (for an exploration bonus) a return that
//! terminations do not end unless `"episodic": true` (CleanRL's RND). Task and imitation
//! rewards (`gail`, `goal_reaching`) default to stream 0. A weight left out is the signal's
//! default weight. A novelty signal whose entry says so (`episodic_counts`) is built as the
//! product of itself and an episodic `counts` on discrete observations ([`RewardSpec::resolve`]).
//!
//! Observation gating: a signal reads only the Dict keys it names (`keys` in its spec, or its
//! [`IntrinsicReward::keys`]); the rows it receives hold just those keys' parts of the flat
//! row, in the Dict's order. With `obs_norm`, those rows are standardized first (running
//! statistics of valid next observations, updated in `observe`, clipped to ±5).

use crate::feedback::{TeacherRequest, TeacherWithHistory};
use crate::registry::Registry;
use crate::scaling::{check_finite, obs_normalizer, Normalization, RewardScaler, ScalerState, Schedule};
use crate::signal::{IntrinsicReward, SignalContext};
use crate::signals::{counts, extrinsic};
use limbic_agents::buffers::normalize::{ObsNormalizer, RmsState};
use limbic_agents::core::config::invalid;
use limbic_agents::shaping::{RewardShaper, Stream, Transitions};
use limbic_agents::world_model::SharedWorldModel;
use limbic_agents::{AgentError, Result};
use limbic_environments::space::DType;
use limbic_environments::Space;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

/// Where a top-level spec's reward goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamMode {
    /// Summed into stream 0 with the env's reward (episodic: a positive bonus there pays the
    /// agent for every step it survives, and so for avoiding a goal that ends the episode).
    Extrinsic,
    /// A stream of its own (the default for signals): own value head, discount, advantage
    /// coefficient, and a return that a termination does not end unless `episodic`.
    Own,
}

/// One signal (or combination) of a run, as configs write it. Only `name` is required.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardSpec {
    /// The registry name (`limbic rewards` lists them); for a combination, its label.
    pub name: String,
    /// Name in metrics and streams when a signal is used twice (default: `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Scale of the normalized reward (default: the signal's default weight, `limbic rewards`
    /// lists them; 1 for `extrinsic` and combinations). Top-level specs only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// The signal's own parameters (`limbic rewards` lists them with their defaults).
    #[serde(default, skip_serializing_if = "is_empty_object")]
    pub params: serde_json::Value,
    /// Factor on `weight` over env steps (default constant). Top-level specs only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// `rms`, `std`, `minmax` or `none` (default: the signal's entry says, `limbic rewards`
    /// lists it: `rms` for most, `none` for `extrinsic` and combinations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalization: Option<Normalization>,
    /// Standardize the signal's input rows (running mean/std, clipped to ±5).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub obs_norm: bool,
    /// Discount of the `rms` return filter and of an own stream (default 0.99).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gamma: Option<f64>,
    /// `own` (default: a stream of its own) or `extrinsic` (summed into stream 0). Top-level
    /// specs only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamMode>,
    /// Whether a termination ends an own stream's return (default: false for an exploration
    /// bonus, whose return runs on across episodes as RND's does; true for a task reward).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub episodic: Option<bool>,
    /// Multiply the signal's raw bonus by the episodic count factor `1 / sqrt(N(s'))` (`N`: the
    /// visits to its next observation in this episode, this one included) before the scaling
    /// stage: the set builds a `product` of the signal (`<label>.bonus`) and an episodic
    /// `counts` of the same rows (`<label>.episodic_counts`), both unnormalized, under the
    /// spec's label, weight and normalization. A novelty then pays only for what is new in this
    /// episode (RIDE's and NGU's episodic term; NovelD's first-visit gate, soft). Default: the
    /// signal's entry says (`limbic rewards`), on discrete observations only, where counts are
    /// exact. Top-level signals only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub episodic_counts: Option<bool>,
    /// Weight of this stream's advantages (default 1; for `extrinsic` it is stream 0's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advantage_coef: Option<f64>,
    /// Observation keys (of a Dict space) the signal reads (default: the signal's own choice,
    /// else everything).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<String>>,
    /// Added after normalization (NGU's `1 + lifelong`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub offset: f64,
    /// `[low, high]` bounds after the offset (NGU clips `1 + lifelong` to `[1, 5]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip: Option<(f64, f64)>,
    /// A combination: the sum of these specs' scaled rewards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sum: Option<Vec<RewardSpec>>,
    /// A combination: the product of these specs' scaled rewards (NGU style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<Vec<RewardSpec>>,
}

fn is_empty_object(v: &serde_json::Value) -> bool {
    v.is_null() || v.as_object().is_some_and(|o| o.is_empty())
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// Default discount of intrinsic streams and return filters.
pub const DEFAULT_GAMMA: f64 = 0.99;

impl RewardSpec {
    /// A signal with default settings.
    pub fn named(name: &str) -> Self {
        RewardSpec { name: name.into(), ..Default::default() }
    }

    /// The command line's `NAME[:WEIGHT]` (`rnd:0.01`).
    pub fn shorthand(text: &str) -> Result<Self> {
        let (name, weight) = match text.split_once(':') {
            Some((name, weight)) => {
                let w = weight.parse::<f64>().ok().filter(|w| w.is_finite()).ok_or_else(|| {
                    invalid("--reward", format!("`{text}`: the weight after `:` must be a number, e.g. rnd:0.01"))
                })?;
                (name, Some(w))
            }
            None => (text, None),
        };
        if name.is_empty() {
            return Err(invalid("--reward", format!("`{text}`: expected NAME[:WEIGHT], e.g. counts:0.005")));
        }
        Ok(RewardSpec { weight, ..RewardSpec::named(name) })
    }

    fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }

    fn children(&self) -> Option<(Combine, &[RewardSpec])> {
        match (&self.sum, &self.product) {
            (Some(c), None) => Some((Combine::Sum, c)),
            (None, Some(c)) => Some((Combine::Product, c)),
            _ => None,
        }
    }

    fn check(&self, top: bool) -> Result<()> {
        let label = self.label();
        let bad = |message: String| Err(invalid(&format!("rewards.{label}"), message));
        if self.sum.is_some() && self.product.is_some() {
            return bad("give either `sum` or `product`, not both".into());
        }
        if let Some((_, children)) = self.children() {
            if children.is_empty() {
                return bad("a combination needs at least one spec".into());
            }
            if !is_empty_object(&self.params) || self.keys.is_some() || self.obs_norm || self.episodic_counts.is_some()
            {
                return bad("`params`, `keys`, `obs_norm` and `episodic_counts` belong to the combined signals".into());
            }
        }
        if !top
            && (self.weight.is_some()
                || self.schedule.is_some()
                || self.stream.is_some()
                || self.episodic.is_some()
                || self.advantage_coef.is_some()
                || self.episodic_counts.is_some())
        {
            return bad("`weight`, `schedule`, `stream`, `episodic`, `advantage_coef` and `episodic_counts` belong \
                        to the top-level spec"
                .into());
        }
        if self.weight.is_some_and(|w| !w.is_finite()) || self.advantage_coef.is_some_and(|c| !c.is_finite()) {
            return bad("`weight` and `advantage_coef` must be finite numbers".into());
        }
        if self.gamma.is_some_and(|g| !(0.0..1.0).contains(&g)) {
            return bad("`gamma` must be within [0, 1)".into());
        }
        let ordered = |(lo, hi): (f64, f64)| lo <= hi;
        if self.clip.is_some_and(|c| !ordered(c)) || !self.offset.is_finite() {
            return bad("`clip` must be [low, high] with low <= high, `offset` finite".into());
        }
        if self.name == extrinsic::NAME && (self.stream == Some(StreamMode::Own) || self.episodic.is_some()) {
            return bad("`extrinsic` is stream 0 (episodic); it cannot have a stream of its own".into());
        }
        if self.stream == Some(StreamMode::Extrinsic) && self.episodic.is_some() {
            return bad("`episodic` belongs to a stream of its own; stream 0 is always episodic".into());
        }
        if let Some(schedule) = &self.schedule {
            schedule.validate().map_err(|e| invalid(&format!("rewards.{label}"), e.to_string()))?;
        }
        Ok(())
    }
}

impl RewardSpec {
    /// The spec as the set builds it (`specs` of [`RewardSet`]): a top-level signal whose
    /// episodic count factor is on (as its spec says, else its entry's default on a discrete
    /// `space`) becomes the product of the signal and an episodic `counts` of the same rows,
    /// carrying the spec's label, weight and normalization (the entry's defaults when left
    /// out), stream and schedule; any other spec is returned as it is.
    pub fn resolve(&self, registry: &Registry, space: &Space) -> Result<RewardSpec> {
        self.check(true)?;
        if self.children().is_some() {
            return Ok(self.clone());
        }
        let entry = registry.get(&self.name)?;
        let on = match self.episodic_counts {
            Some(on) => on,
            None => entry.episodic_counts && counts::is_discrete(&self.read_space(space)?),
        };
        if !on {
            return Ok(self.clone());
        }
        let label = self.label().to_string();
        let part = |name: &str, part: &str, params: serde_json::Value| RewardSpec {
            label: Some(format!("{label}.{part}")),
            params,
            normalization: Some(Normalization::None),
            keys: self.keys.clone(),
            ..RewardSpec::named(name)
        };
        let bonus = RewardSpec { obs_norm: self.obs_norm, ..part(&self.name, "bonus", self.params.clone()) };
        let visits = part(counts::NAME, "episodic_counts", serde_json::json!({"memory": "episodic"}));
        let own = self.stream.unwrap_or(if entry.exploration { StreamMode::Own } else { StreamMode::Extrinsic })
            == StreamMode::Own;
        Ok(RewardSpec {
            label: Some(label),
            weight: Some(self.weight.unwrap_or(entry.weight)),
            params: serde_json::Value::Null,
            normalization: Some(self.normalization.unwrap_or(entry.normalization)),
            obs_norm: false,
            stream: Some(if own { StreamMode::Own } else { StreamMode::Extrinsic }),
            episodic: own.then(|| self.episodic.unwrap_or(!entry.exploration)),
            keys: None,
            episodic_counts: None,
            product: Some(vec![bonus, visits]),
            ..self.clone()
        })
    }

    /// The part of `space` the spec's `keys` select (all of it without keys).
    fn read_space(&self, space: &Space) -> Result<Space> {
        match &self.keys {
            Some(keys) => Ok(key_ranges(space, keys)
                .map_err(|e| invalid(&format!("rewards.{}.keys", self.label()), e.to_string()))?
                .1),
            None => Ok(space.clone()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Combine {
    Sum,
    Product,
}

/// A signal's input: which parts of the flat row it reads, and its observation normalizer.
struct Input {
    /// Ranges of the flat row the signal reads (`None`: the whole row).
    gate: Option<Vec<Range<usize>>>,
    dim: usize,
    norm: Option<ObsNormalizer>,
    obs: Vec<f32>,
    next_obs: Vec<f32>,
    scratch: Vec<f32>,
}

impl Input {
    /// Fills the gated (and normalized) rows for `t`; with `learn`, the normalizer first takes
    /// in the valid next observations.
    fn prepare(&mut self, t: &Transitions, learn: bool) -> Result<()> {
        if self.gate.is_none() && self.norm.is_none() {
            return Ok(());
        }
        let slots = t.slots();
        gather(&self.gate, t.obs, t.obs_dim, slots, &mut self.obs);
        gather(&self.gate, t.next_obs, t.obs_dim, slots, &mut self.next_obs);
        if let Some(norm) = self.norm.as_mut() {
            let d = self.dim;
            if learn {
                self.scratch.clear();
                for slot in (0..slots).filter(|&s| t.valid[s]) {
                    self.scratch.extend_from_slice(&self.next_obs[slot * d..(slot + 1) * d]);
                }
                if !self.scratch.is_empty() {
                    norm.observe(&self.scratch)?;
                }
            }
            for rows in [&mut self.obs, &mut self.next_obs] {
                self.scratch.clear();
                self.scratch.extend_from_slice(rows);
                norm.normalize(&self.scratch, rows);
            }
        }
        Ok(())
    }

    /// `t` as the signal sees it (after [`Input::prepare`]).
    fn view<'a>(&'a self, t: &Transitions<'a>) -> Transitions<'a> {
        if self.gate.is_none() && self.norm.is_none() {
            return *t;
        }
        Transitions { obs_dim: self.dim, obs: &self.obs, next_obs: &self.next_obs, ..*t }
    }
}

/// What a signal with `obs_norm` receives from float Boxes: standardized numbers, unbounded
/// (so nothing sizes itself on the raw bounds). Other spaces keep their shape.
fn standardized(space: Space, dim: usize) -> Space {
    match counts::float_bounds(&space) {
        Some(_) => Space::vector_box(&vec![f64::NEG_INFINITY; dim], &vec![f64::INFINITY; dim], DType::Float32),
        None => space,
    }
}

fn gather(gate: &Option<Vec<Range<usize>>>, rows: &[f32], dim: usize, slots: usize, out: &mut Vec<f32>) {
    out.clear();
    for row in rows.chunks_exact(dim).take(slots) {
        match gate {
            Some(ranges) => ranges.iter().for_each(|r| out.extend_from_slice(&row[r.clone()])),
            None => out.extend_from_slice(row),
        }
    }
}

/// The parts of a Dict space's flat row that `keys` occupy, and the Dict of those keys.
/// Text keys have no flat part; an unknown key is an error listing the keys there are.
pub fn key_ranges(space: &Space, keys: &[String]) -> Result<(Vec<Range<usize>>, Space)> {
    let Space::Dict(items) = space else {
        return Err(invalid(
            "keys",
            format!("only a Dict observation space has keys, this one is {}", space.describe()),
        ));
    };
    let names: Vec<&str> =
        items.iter().filter(|(_, s)| !matches!(s, Space::Text { .. })).map(|(k, _)| k.as_str()).collect();
    if let Some(unknown) = keys.iter().find(|k| !names.contains(&k.as_str())) {
        return Err(invalid(
            "keys",
            format!("no observation key `{unknown}` with numbers; keys: {}", names.join(", ")),
        ));
    }
    let (mut ranges, mut chosen, mut offset) = (Vec::new(), Vec::new(), 0);
    for (key, sub) in items.iter().filter(|(_, s)| !matches!(s, Space::Text { .. })) {
        let dim = sub.flat_dim()?;
        if keys.contains(key) {
            ranges.push(offset..offset + dim);
            chosen.push((key.clone(), sub.clone()));
        }
        offset += dim;
    }
    Ok((ranges, Space::Dict(chosen)))
}

enum Kind {
    Signal { signal: Box<dyn IntrinsicReward>, input: Input },
    Combine { op: Combine, children: Vec<usize> },
}

/// One signal or combination: its scaling stage and this batch's numbers.
struct Node {
    label: String,
    kind: Kind,
    scaler: RewardScaler,
    offset: f64,
    clip: Option<(f64, f64)>,
    /// `[T, N]` raw (signals) or combined (combinations) values of the batch.
    raw: Vec<f64>,
    /// `[T, N]` after the scaling stage.
    scaled: Vec<f64>,
    /// The signal model's first `loss`, against which divergence is judged.
    first_loss: Option<f64>,
}

/// A top-level spec: a node, its weight and schedule, and its stream.
struct Top {
    node: usize,
    weight: f64,
    schedule: Schedule,
    stream: usize,
}

/// A top-level signal whose share of the reward a replay relabels when its model changes.
struct Relabelled {
    top: usize,
    /// The model version the replay's shares were last scored with.
    version: u64,
}

/// Everything a reward set is built with besides its specs: the whole observation space of
/// the vector env's flat rows, the action space, sub-envs and seed.
pub type SetContext = SignalContext;

/// The signals of a run; see the [module docs](self).
pub struct RewardSet {
    /// Children before their combinations.
    nodes: Vec<Node>,
    tops: Vec<Top>,
    /// The top-level specs as built ([`RewardSpec::resolve`]).
    specs: Vec<RewardSpec>,
    streams: Vec<Stream>,
    num_envs: usize,
    /// Calls to `rewards` so far.
    updates: u64,
    /// What the first update found wrong with the signals' scales (also logged as warnings).
    warnings: Vec<String>,
    /// The top-level signals with a model version (see [`IntrinsicReward::model_version`]).
    relabelled: Vec<Relabelled>,
    /// `[T, N, P]` each relabelled signal's weighted share of the last batch.
    parts: Vec<f32>,
}

impl RewardSet {
    /// Builds the signals of `specs` from `registry`, adding `extrinsic` (weight 1) when no
    /// top-level spec names it.
    pub fn new(registry: &Registry, specs: &[RewardSpec], ctx: &SetContext) -> Result<RewardSet> {
        let mut specs = specs.to_vec();
        if !specs.iter().any(|s| s.name == extrinsic::NAME && s.children().is_none()) {
            specs.insert(0, RewardSpec::named(extrinsic::NAME));
        }
        let mut set = RewardSet {
            nodes: Vec::new(),
            tops: Vec::new(),
            specs: Vec::new(),
            streams: vec![Stream {
                name: extrinsic::NAME.into(),
                gamma: DEFAULT_GAMMA,
                advantage_coef: 1.0,
                episodic: true,
            }],
            num_envs: ctx.num_envs,
            updates: 0,
            warnings: Vec::new(),
            relabelled: Vec::new(),
            parts: Vec::new(),
        };
        for spec in &specs {
            let spec = &spec.resolve(registry, &ctx.observation_space)?;
            let node = set.add_node(registry, spec, ctx)?;
            let entry = match spec.children() {
                Some(_) => None,
                None => Some(registry.get(&spec.name)?),
            };
            let exploration = entry.is_none_or(|e| e.exploration);
            let own = spec.stream.unwrap_or(if exploration { StreamMode::Own } else { StreamMode::Extrinsic })
                == StreamMode::Own;
            let coef = spec.advantage_coef.unwrap_or(1.0);
            let stream = if own {
                set.streams.push(Stream {
                    name: spec.label().into(),
                    gamma: spec.gamma.unwrap_or(DEFAULT_GAMMA),
                    advantage_coef: coef,
                    episodic: spec.episodic.unwrap_or(!exploration),
                });
                set.streams.len() - 1
            } else {
                if spec.name == extrinsic::NAME {
                    set.streams[0].advantage_coef = coef;
                }
                0
            };
            let schedule = spec.schedule.clone().unwrap_or_default();
            let weight = spec.weight.unwrap_or(entry.map_or(1.0, |e| e.weight));
            set.tops.push(Top { node, weight, schedule, stream });
            set.specs.push(spec.clone());
        }
        let mut labels: Vec<&str> = set.nodes.iter().map(|n| n.label.as_str()).collect();
        labels.sort();
        if let Some(w) = labels.windows(2).find(|w| w[0] == w[1]) {
            return Err(invalid("rewards", format!("`{}` appears twice: give one a distinct `label`", w[0])));
        }
        set.relabelled = set.find_relabelled()?;
        Ok(set)
    }

    /// The top-level signals that have a model version; a `minmax` normalization among them
    /// is refused (it has no scale to score stored rewards with).
    fn find_relabelled(&self) -> Result<Vec<Relabelled>> {
        let mut found = Vec::new();
        for (t, top) in self.tops.iter().enumerate() {
            let node = &self.nodes[top.node];
            let Kind::Signal { signal, .. } = &node.kind else { continue };
            let Some(version) = signal.model_version() else { continue };
            if node.scaler.kind() == Normalization::Minmax {
                return Err(invalid(
                    &format!("rewards.{}.normalization", node.label),
                    "`minmax` scales each batch on its own, so an off-policy replay could not be relabelled \
                     with it: use rms, std or none (or the signal's \"relabel\": false)",
                ));
            }
            found.push(Relabelled { top: t, version });
        }
        Ok(found)
    }

    fn add_node(&mut self, registry: &Registry, spec: &RewardSpec, ctx: &SetContext) -> Result<usize> {
        let kind = match spec.children() {
            Some((op, children)) => {
                let mut indices = Vec::new();
                for child in children {
                    child.check(false)?;
                    indices.push(self.add_node(registry, child, ctx)?);
                }
                Kind::Combine { op, children: indices }
            }
            None => self.build_signal(registry, spec, ctx)?,
        };
        let default_norm = match spec.children() {
            Some(_) => Normalization::None,
            None => registry.get(&spec.name)?.normalization,
        };
        let scaler = RewardScaler::new(
            spec.normalization.unwrap_or(default_norm),
            spec.gamma.unwrap_or(DEFAULT_GAMMA),
            ctx.num_envs,
        );
        self.nodes.push(Node {
            label: spec.label().into(),
            kind,
            scaler,
            offset: spec.offset,
            clip: spec.clip,
            raw: Vec::new(),
            scaled: Vec::new(),
            first_loss: None,
        });
        Ok(self.nodes.len() - 1)
    }

    /// Builds a signal on its keys: those of the spec, else those the signal asks for (then it
    /// is built again on just them).
    fn build_signal(&self, registry: &Registry, spec: &RewardSpec, ctx: &SetContext) -> Result<Kind> {
        let entry = registry.get(&spec.name)?;
        let index = self.nodes.len() as u64;
        let context = |space: Space, obs_dim: usize| SignalContext {
            obs_dim,
            observation_space: if spec.obs_norm { standardized(space, obs_dim) } else { space },
            action_space: ctx.action_space.clone(),
            num_envs: ctx.num_envs,
            seed: ctx.seed.wrapping_add(1 + index).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        };
        let named = |e: AgentError| match e {
            AgentError::Config { field, message } if !field.starts_with(&spec.name) => {
                AgentError::Config { field: format!("{}.{field}", spec.label()), message }
            }
            other => other,
        };
        let mut keys = spec.keys.clone();
        let mut signal = match &keys {
            Some(_) => None,
            None => {
                let signal =
                    (entry.build)(&spec.params, &context(ctx.observation_space.clone(), ctx.obs_dim)).map_err(named)?;
                keys = signal.keys();
                keys.is_none().then_some(signal)
            }
        };
        let (gate, dim) = match &keys {
            Some(keys) => {
                let (ranges, space) = key_ranges(&ctx.observation_space, keys)
                    .map_err(|e| invalid(&format!("rewards.{}.keys", spec.label()), e.to_string()))?;
                let dim = ranges.iter().map(|r| r.len()).sum();
                signal = Some((entry.build)(&spec.params, &context(space, dim)).map_err(named)?);
                (Some(ranges), dim)
            }
            None => (None, ctx.obs_dim),
        };
        let signal = signal.ok_or_else(|| AgentError::Unsupported("signal not built".into()))?;
        let norm = spec.obs_norm.then(|| obs_normalizer(dim));
        let input = Input { gate, dim, norm, obs: Vec::new(), next_obs: Vec::new(), scratch: Vec::new() };
        Ok(Kind::Signal { signal, input })
    }

    /// Gives every feedback signal the teacher `make` builds for its request, with the labels
    /// to start from. Call once, before any step (and before loading a checkpoint); returns the
    /// labels of the signals that got one.
    pub fn attach_teachers(
        &mut self,
        make: &mut dyn FnMut(&str, &TeacherRequest) -> Result<TeacherWithHistory>,
    ) -> Result<Vec<String>> {
        let mut attached = Vec::new();
        for node in &mut self.nodes {
            if let Kind::Signal { signal, .. } = &mut node.kind {
                if let Some(request) = signal.teacher_request() {
                    signal.attach_teacher(make(&node.label, &request)?)?;
                    attached.push(node.label.clone());
                }
            }
        }
        Ok(attached)
    }

    /// The top-level specs as built: `extrinsic` first when the list did not name it, each
    /// signal's episodic count factor spelled out ([`RewardSpec::resolve`]).
    pub fn specs(&self) -> &[RewardSpec] {
        &self.specs
    }

    /// Calls to [`RewardShaper::rewards`] so far.
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// The warnings of the first update: signals whose weighted bonus swamps the env's reward
    /// or vanishes (see [`scale_warning`]).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Fails when a signal's model loss has grown [`DIVERGENCE_FACTOR`] times past its first
    /// value (and past 1): a model that diverges feeds the policy garbage long before NaN.
    fn check_divergence(&mut self, node: usize, value: f64) -> Result<()> {
        let node = &mut self.nodes[node];
        let first = *node.first_loss.get_or_insert(value);
        if value > 1.0 && value > DIVERGENCE_FACTOR * first {
            return Err(AgentError::NonFinite {
                update: self.updates + 1,
                quantity: format!(
                    "reward/{0}/loss (the model of signal `{0}` diverged: {first:.3e} at its first update, \
                     over {DIVERGENCE_FACTOR:.0e} times that now)",
                    node.label
                ),
                value,
            });
        }
        Ok(())
    }

    /// Runs the scaling stage of node `i` on its `raw` values.
    fn scale(&mut self, i: usize, valid: &[bool]) -> Result<()> {
        let envs = self.num_envs;
        let node = &mut self.nodes[i];
        check_finite(&node.raw, &node.label, "raw", self.updates + 1)?;
        node.scaled.resize(node.raw.len(), 0.0);
        node.scaler.apply(&node.raw, valid, envs, &mut node.scaled)?;
        offset_and_clip(node.offset, node.clip, &mut node.scaled, valid);
        Ok(())
    }
}

/// The `offset` and `clip` of the scaling stage, on `values`.
fn offset_and_clip(offset: f64, clip: Option<(f64, f64)>, values: &mut [f64], valid: &[bool]) {
    if offset == 0.0 && clip.is_none() {
        return;
    }
    for (x, &v) in values.iter_mut().zip(valid) {
        let shifted = *x + offset;
        *x = match (v, clip) {
            (false, _) => 0.0,
            (true, Some((lo, hi))) => shifted.clamp(lo, hi),
            (true, None) => shifted,
        };
    }
}
/// How many times its first value a signal model's loss may grow before training stops.
pub const DIVERGENCE_FACTOR: f64 = 1e4;

/// A weighted bonus per step below this, in a rollout without env reward, vanishes: its
/// discounted sum over a `1 / (1 - 0.99)` horizon stays under 0.1, the size of a critic's error.
pub const VANISHING_BONUS: f64 = 1e-3;

/// The bonus against the env's reward, per step, above which it swamps the task.
pub const SWAMPING_RATIO: f64 = 100.0;

/// The bonus against the env's reward, per step, below which it vanishes.
pub const VANISHING_RATIO: f64 = 1e-3;

/// Mean absolute values per step of one signal's bonus in the first rollout, at every stage,
/// and of the env's reward.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scales {
    pub raw: f64,
    pub scaled: f64,
    pub weighted: f64,
    pub env: f64,
}

/// The first update's warning for a signal whose weighted bonus swamps the env's reward
/// (over [`SWAMPING_RATIO`] times it per step) or vanishes (under [`VANISHING_RATIO`] times
/// it, or under [`VANISHING_BONUS`] when the first rollout had no env reward), with the
/// numbers; `None` when the scales are sensible, and for a signal that gives nothing yet (a raw
/// bonus of exactly 0: a learned reward before its first labels), which no weight would change.
pub fn scale_warning(label: &str, weight: f64, s: &Scales) -> Option<String> {
    if s.raw == 0.0 {
        return None;
    }
    let numbers = format!(
        "signal `{label}`: its bonus averages {:.2e} per step in the first rollout (raw {:.2e}, normalized {:.2e}, \
         weight {weight}) against the env's reward {:.2e} per step",
        s.weighted, s.raw, s.scaled, s.env
    );
    let vanish_below = if s.env > 0.0 { s.env * VANISHING_RATIO } else { VANISHING_BONUS };
    if s.env > 0.0 && s.weighted > SWAMPING_RATIO * s.env {
        Some(format!("{numbers}: {:.0}x, it swamps the task; lower the weight", s.weighted / s.env))
    } else if s.weighted < vanish_below {
        Some(format!("{numbers}: it vanishes and will not change the policy; raise the weight (`limbic rewards` lists each signal's default)"))
    } else {
        None
    }
}

/// Mean and population std of `x` over the valid slots.
fn mean_std(x: &[f64], valid: &[bool]) -> (f64, f64) {
    let values: Vec<f64> = x.iter().zip(valid).filter(|(_, &v)| v).map(|(&x, _)| x).collect();
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

impl RewardShaper for RewardSet {
    fn streams(&self) -> &[Stream] {
        &self.streams
    }

    fn observe(&mut self, step: &Transitions) -> Result<()> {
        for node in &mut self.nodes {
            if let Kind::Signal { signal, input } = &mut node.kind {
                input.prepare(step, true)?;
                signal.observe(&input.view(step))?;
                for slot in (0..step.slots()).filter(|&s| step.valid[s] && step.done(s)) {
                    signal.reset_episode(slot % step.envs);
                }
            }
        }
        Ok(())
    }

    fn rewards(&mut self, batch: &Transitions, env_steps: u64, out: &mut [f32]) -> Result<BTreeMap<String, f64>> {
        let (slots, k) = (batch.slots(), self.streams.len());
        if out.len() != slots * k {
            return Err(invalid(
                "rewards",
                format!("expected {} output numbers ([T, N, K]), got {}", slots * k, out.len()),
            ));
        }
        let mut metrics = BTreeMap::new();
        let mut raw = vec![0.0f32; slots];
        // 1. Raw bonuses of every signal (before any signal learns from the batch), scaled;
        //    combinations after their parts.
        for i in 0..self.nodes.len() {
            let node = &mut self.nodes[i];
            match &mut node.kind {
                Kind::Signal { signal, input } => {
                    input.prepare(batch, false)?;
                    raw.fill(0.0);
                    signal.compute(&input.view(batch), &mut raw)?;
                    node.raw = raw.iter().map(|&x| x as f64).collect();
                }
                Kind::Combine { op, children } => {
                    let (op, children) = (*op, children.clone());
                    let mut combined = vec![if op == Combine::Sum { 0.0 } else { 1.0 }; slots];
                    for &c in &children {
                        for (acc, &x) in combined.iter_mut().zip(&self.nodes[c].scaled) {
                            *acc = if op == Combine::Sum { *acc + x } else { *acc * x };
                        }
                    }
                    self.nodes[i].raw = combined;
                }
            }
            self.scale(i, batch.valid)?;
            let node = &self.nodes[i];
            let (mean, std) = mean_std(&node.raw, batch.valid);
            metrics.insert(format!("reward/{}/raw_mean", node.label), mean);
            metrics.insert(format!("reward/{}/raw_std", node.label), std);
            metrics.insert(format!("reward/{}/scaled_mean", node.label), mean_std(&node.scaled, batch.valid).0);
        }
        // 2. Weight once, into the streams (and the relabelled signals' shares apart).
        let mut sums = vec![0.0f64; slots * k];
        let p = self.relabelled.len();
        self.parts.clear();
        self.parts.resize(slots * p, 0.0);
        for (t, top) in self.tops.iter().enumerate() {
            let node = &self.nodes[top.node];
            let weight = top.weight * top.schedule.factor(env_steps);
            let weighted: Vec<f64> = node.scaled.iter().map(|&x| x * weight).collect();
            check_finite(&weighted, &node.label, "weighted", self.updates + 1)?;
            for (slot, &x) in weighted.iter().enumerate() {
                sums[slot * k + top.stream] += x;
            }
            if let Some(q) = self.relabelled.iter().position(|r| r.top == t) {
                weighted.iter().enumerate().for_each(|(slot, &x)| self.parts[slot * p + q] = x as f32);
            }
            metrics.insert(format!("reward/{}/mean", node.label), mean_std(&weighted, batch.valid).0);
            metrics.insert(format!("reward/{}/weight", node.label), weight);
            if self.updates == 0 && node.label != extrinsic::NAME && weight != 0.0 {
                let per_step = |x: &[f64]| mean_std(&x.iter().map(|v| v.abs()).collect::<Vec<_>>(), batch.valid).0;
                let env: Vec<f64> = batch.rewards.iter().map(|&r| r as f64).collect();
                let scales = Scales {
                    raw: per_step(&node.raw),
                    scaled: per_step(&node.scaled),
                    weighted: per_step(&weighted),
                    env: per_step(&env),
                };
                if let Some(warning) = scale_warning(&node.label, weight, &scales) {
                    tracing::warn!("{warning}");
                    self.warnings.push(warning);
                }
            }
        }
        out.iter_mut().zip(&sums).for_each(|(o, &s)| *o = s as f32);
        // 3. The signals learn from the batch.
        for i in 0..self.nodes.len() {
            let node = &mut self.nodes[i];
            let Kind::Signal { signal, input } = &mut node.kind else { continue };
            let diagnostics = signal.update(&input.view(batch))?;
            let loss = diagnostics.get("loss").copied();
            for (key, value) in diagnostics {
                check_finite(&[value], &node.label, &key, self.updates + 1)?;
                metrics.insert(format!("reward/{}/{key}", node.label), value);
            }
            if let Some(loss) = loss {
                self.check_divergence(i, loss)?;
            }
        }
        self.updates += 1;
        Ok(metrics)
    }

    /// Offers the model to every signal that reads the whole raw observation (a signal gated
    /// to some keys, or reading normalized rows, sees other rows than the model).
    fn share_world_model(&mut self, model: &SharedWorldModel) -> Result<Vec<String>> {
        let mut takers = Vec::new();
        for node in &mut self.nodes {
            if let Kind::Signal { signal, input } = &mut node.kind {
                if input.gate.is_none() && input.norm.is_none() && signal.share_world_model(model)? {
                    takers.push(node.label.clone());
                }
            }
        }
        Ok(takers)
    }

    fn relabelled(&self) -> Vec<String> {
        self.relabelled.iter().map(|r| self.nodes[self.tops[r.top].node].label.clone()).collect()
    }

    fn parts(&self) -> &[f32] {
        &self.parts
    }

    fn changed(&mut self) -> Vec<usize> {
        let mut changed = Vec::new();
        for (q, r) in self.relabelled.iter_mut().enumerate() {
            let version = match &self.nodes[self.tops[r.top].node].kind {
                Kind::Signal { signal, .. } => signal.model_version(),
                Kind::Combine { .. } => None,
            };
            if let Some(version) = version.filter(|&v| v != r.version) {
                r.version = version;
                changed.push(q);
            }
        }
        changed
    }

    fn rescore(&mut self, part: usize, batch: &Transitions, env_steps: u64, out: &mut [f32]) -> Result<()> {
        let slots = batch.slots();
        let top = self.relabelled.get(part).map(|r| &self.tops[r.top]).ok_or_else(|| {
            invalid("rescore", format!("no relabelled signal {part} (there are {})", self.relabelled.len()))
        })?;
        let weight = top.weight * top.schedule.factor(env_steps);
        let node = &mut self.nodes[top.node];
        let Kind::Signal { signal, input } = &mut node.kind else {
            return Err(AgentError::Unsupported(format!("{} is a combination", node.label)));
        };
        if out.len() != slots {
            return Err(invalid("rescore", format!("expected {slots} output numbers ([T, N]), got {}", out.len())));
        }
        input.prepare(batch, false)?;
        out.fill(0.0);
        signal.score(&input.view(batch), out)?;
        let raw: Vec<f64> = out.iter().map(|&x| x as f64).collect();
        check_finite(&raw, &node.label, "raw", self.updates)?;
        let mut scaled = vec![0.0; slots];
        node.scaler.apply_frozen(&raw, batch.valid, &mut scaled)?;
        offset_and_clip(node.offset, node.clip, &mut scaled, batch.valid);
        out.iter_mut().zip(&scaled).for_each(|(o, &x)| *o = (x * weight) as f32);
        Ok(())
    }

    fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| AgentError::Io(format!("cannot create {}: {e}", dir.display())))?;
        let mut blobs = Vec::new();
        let mut nodes = Vec::new();
        for node in &self.nodes {
            let (bytes, obs_rms) = match &node.kind {
                Kind::Signal { signal, input } => (signal.save()?, input.norm.as_ref().map(ObsNormalizer::state)),
                Kind::Combine { .. } => (Vec::new(), None),
            };
            nodes.push(SavedNode {
                label: node.label.clone(),
                scaler: node.scaler.state(),
                obs_rms,
                first_loss: node.first_loss,
                bytes: bytes.len(),
            });
            blobs.extend_from_slice(&bytes);
        }
        let header = SavedSet { format: FORMAT.into(), updates: self.updates, nodes, checksum: fnv1a(&blobs) };
        let mut file = serde_json::to_vec(&header).map_err(|e| AgentError::Io(e.to_string()))?;
        file.push(b'\n');
        file.extend_from_slice(&blobs);
        limbic_environments::render::write_atomically(&dir.join(STATE_FILE), &file)
            .map_err(|e| AgentError::Io(e.to_string()))
    }

    fn load(&mut self, dir: &Path) -> Result<()> {
        let path = dir.join(STATE_FILE);
        let corrupt = |message: String| AgentError::Checkpoint { path: path.display().to_string(), message };
        let file = std::fs::read(&path).map_err(|e| corrupt(format!("cannot read: {e}")))?;
        let split = file.iter().position(|&b| b == b'\n').ok_or_else(|| corrupt("no header".into()))?;
        let header: SavedSet =
            serde_json::from_slice(&file[..split]).map_err(|e| corrupt(format!("not a reward-set state: {e}")))?;
        let blobs = &file[split + 1..];
        let labels: Vec<&str> = self.nodes.iter().map(|n| n.label.as_str()).collect();
        let saved: Vec<&str> = header.nodes.iter().map(|n| n.label.as_str()).collect();
        if header.format != FORMAT || saved != labels {
            return Err(corrupt(format!(
                "saved for signals {saved:?} (format {}), this run has {labels:?}",
                header.format
            )));
        }
        let total: usize = header.nodes.iter().map(|n| n.bytes).sum();
        if total != blobs.len() || fnv1a(blobs) != header.checksum {
            return Err(corrupt("truncated or corrupt signal states".into()));
        }
        // Restore everything, or (on any failure) put back what was there.
        let backup: Vec<Vec<u8>> = self
            .nodes
            .iter()
            .map(|n| match &n.kind {
                Kind::Signal { signal, .. } => signal.save(),
                Kind::Combine { .. } => Ok(Vec::new()),
            })
            .collect::<Result<_>>()?;
        let mut scalers: Vec<RewardScaler> = self.nodes.iter().map(|n| n.scaler.clone()).collect();
        let mut norms: Vec<Option<ObsNormalizer>> = self
            .nodes
            .iter()
            .map(|n| match &n.kind {
                Kind::Signal { input, .. } => input.norm.clone(),
                Kind::Combine { .. } => None,
            })
            .collect();
        let mut offset = 0;
        let mut result = Ok(());
        for (i, saved) in header.nodes.iter().enumerate() {
            let bytes = &blobs[offset..offset + saved.bytes];
            offset += saved.bytes;
            let step = scalers[i].load(&saved.scaler).and_then(|()| match (&mut norms[i], &saved.obs_rms) {
                (Some(norm), Some(rms)) => norm.load(rms),
                (None, None) => Ok(()),
                _ => Err(invalid("obs_norm", "saved with another observation normalization setting")),
            });
            let step = step.and_then(|()| match &mut self.nodes[i].kind {
                Kind::Signal { signal, .. } => signal.load(bytes),
                Kind::Combine { .. } => Ok(()),
            });
            if let Err(e) = step {
                result = Err(corrupt(format!("{}: {e}", saved.label)));
                break;
            }
        }
        if let Err(e) = result {
            for (node, bytes) in self.nodes.iter_mut().zip(&backup) {
                if let Kind::Signal { signal, .. } = &mut node.kind {
                    signal.load(bytes)?;
                }
            }
            return Err(e);
        }
        for (((node, scaler), norm), saved) in
            self.nodes.iter_mut().zip(scalers.drain(..)).zip(norms.drain(..)).zip(&header.nodes)
        {
            node.scaler = scaler;
            node.first_loss = saved.first_loss;
            if let Kind::Signal { input, .. } = &mut node.kind {
                input.norm = norm;
            }
        }
        self.updates = header.updates;
        // The replay saved beside this state was relabelled with these models.
        for r in &mut self.relabelled {
            if let Kind::Signal { signal, .. } = &self.nodes[self.tops[r.top].node].kind {
                r.version = signal.model_version().unwrap_or(r.version);
            }
        }
        Ok(())
    }
}

/// The file [`RewardSet::save`] writes: a JSON header line, then the signals' bytes.
pub const STATE_FILE: &str = "rewards.bin";
const FORMAT: &str = "limbic-rewards-1";

#[derive(Serialize, Deserialize)]
struct SavedSet {
    format: String,
    updates: u64,
    nodes: Vec<SavedNode>,
    checksum: u64,
}

#[derive(Serialize, Deserialize)]
struct SavedNode {
    label: String,
    scaler: ScalerState,
    obs_rms: Option<RmsState>,
    /// The model's first loss (divergence is judged against it); absent in older files.
    #[serde(default)]
    first_loss: Option<f64>,
    /// Length of this node's signal state in the blob section.
    bytes: usize,
}

/// FNV-1a, 64 bits: catches truncated or damaged files.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}
