//! Preferences, deep RL from human preferences (Christiano et al. 2017): segments of the
//! agent's experience are shown to a teacher in pairs; the teacher prefers one, calls them equal
//! or skips; an ensemble of reward models `r(s, a)` is fit to the answers with the
//! Bradley-Terry loss (`P(left) = sigmoid(sum r(left) - sum r(right))`), and the ensemble's mean
//! is the signal.
//!
//! - Segments are up to `segment` consecutive steps of one sub-env, cut at the episode's end
//!   (a shorter segment that ended the episode is how termination shows, e.g. in CartPole);
//!   the `pool` most recent ones are candidates.
//! - Each update (at most one every `interval` env steps: off-policy learners update every
//!   vector step) asks up to `per_update` questions until `budget` labels were asked:
//!   `selection: "disagreement"` picks, of `candidates` random pairs per question, those where
//!   the members' `P(left)` differ most (their standard deviation); `"uniform"` draws pairs at
//!   random (the baseline).
//! - The teacher never blocks: labels are polled each update; when new ones came, every member
//!   is fit again on all labels (its own order). Until the first fit the reward is 0.
//! - Labels (and the clips they name) are stored by the run's label file; `labels` names a
//!   label file to start from (another run's `feedback/labels.jsonl`).
//! - PEBBLE's relabelling: with `relabel` (the default) the signal reports a new model version
//!   after every fit, and an off-policy learner scores its whole replay again with the new
//!   model before its next gradient step (see `limbic_agents::learners::offpolicy::Shaping`).
//! - PEBBLE's unsupervised phase is a schedule of the registry: see docs/ARCHITECTURE.md.

use crate::asking::{get_clips, put_clips, Asking, ClipRecorder};
use crate::feedback::{Clip, Labelled, Question, QuestionKind, TeacherRequest, TeacherWithHistory};
use crate::learned::{ClipPair, Preference, RewardEnsemble};
use crate::models::{
    at_least_one, bad_param, check_batch, check_bonuses, clear_output, encoder_kind, layer_widths, positive, to_json,
    valid_slots, ActionCoding, Archive,
};
use crate::scaling::Normalization;
use crate::signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
use crate::teachers::TeacherParams;
use limbic_agents::core::checkpoint::RngState;
use limbic_agents::core::config::parse_config;
use limbic_agents::shaping::Transitions;
use limbic_agents::Result;
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

pub const NAME: &str = "preferences";

/// How pairs are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    Disagreement,
    Uniform,
}

/// The preference signal's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PreferenceParams {
    /// `--teacher`: a synthetic kind or `web`.
    pub teacher: String,
    /// Overrides of the synthetic teacher's preset.
    pub teacher_params: serde_json::Value,
    /// `--labels`: questions asked in the whole run.
    pub budget: usize,
    /// A label file to start from.
    pub labels: Option<String>,
    pub segment: usize,
    pub per_update: usize,
    /// Env steps between rounds of questions (0: every update).
    pub interval: u64,
    pub selection: Selection,
    pub candidates: usize,
    pub pool: usize,
    pub ensemble: usize,
    pub hidden: Vec<usize>,
    pub learning_rate: f64,
    pub epochs: usize,
    pub batch_size: usize,
    /// Off-policy learners relabel their replay after every fit (PEBBLE).
    pub relabel: bool,
}

impl Default for PreferenceParams {
    fn default() -> Self {
        PreferenceParams {
            teacher: "oracle".into(),
            teacher_params: serde_json::json!({}),
            budget: 500,
            labels: None,
            segment: 25,
            per_update: 25,
            interval: 0,
            selection: Selection::Disagreement,
            candidates: 10,
            pool: 1000,
            ensemble: 3,
            hidden: vec![64, 64],
            learning_rate: 1e-3,
            epochs: 5,
            batch_size: 32,
            relabel: true,
        }
    }
}

/// Parameters both feedback signals take, documented once.
pub const TEACHER_KEYS: &[(&str, &str)] = &[
    ("teacher", "who answers (--teacher): oracle, stochastic, myopic, skipping, equal, mistake, noisy, delayed, sparse (by the true reward), expert (by a scripted gridworld expert's judgement of each action), or web (default oracle)"),
    ("teacher_params", "overrides of the synthetic teacher's preset (listed below the signals), e.g. {\"beta\": 2.0} or {\"judge\": \"progress\"}; for web: addr, allow_remote, fps (default {})"),
    ("budget", "questions asked in the whole run (--labels; default 500)"),
    ("labels", "a label file to start from, e.g. another run's feedback/labels.jsonl (default none)"),
];

/// The `relabel` parameter both feedback signals take.
pub const RELABEL_KEY: (&str, &str) = (
    "relabel",
    "off-policy learners (dqn, sac) score their whole replay again with each new model, PEBBLE's relabelling (default true)",
);

pub const ENTRY: SignalEntry = SignalEntry {
    name: NAME,
    summary: "preferences (Christiano et al. 2017): an ensemble reward model fit to a teacher's choices between segments",
    params: &[
        TEACHER_KEYS[0],
        TEACHER_KEYS[1],
        TEACHER_KEYS[2],
        TEACHER_KEYS[3],
        ("segment", "steps per segment, cut at the episode's end (default 25)"),
        ("per_update", "questions asked per update until the budget is spent (default 25)"),
        ("interval", "env steps between rounds of questions, 0 = every update; off-policy learners update every step: give them e.g. 5000 (default 0)"),
        ("selection", "disagreement (the members' spread of P(left)) or uniform (default disagreement)"),
        ("candidates", "random pairs considered per question by disagreement (default 10)"),
        ("pool", "most recent segments to draw pairs from (default 1000)"),
        ("ensemble", "reward models in the ensemble (default 3)"),
        ("hidden", "hidden layer widths of each reward model (default [64, 64])"),
        ("learning_rate", "Adam step size (default 1e-3)"),
        ("epochs", "passes over all labels each time new ones arrive (default 5)"),
        ("batch_size", "pairs per gradient step (default 32)"),
        RELABEL_KEY,
    ],
    defaults: || to_json(&PreferenceParams::default()),
    weight: 1.0,
    normalization: Normalization::Rms,
    exploration: false,
    episodic_counts: false,
    caveats: "",
    build: &|params, context| Ok(Box::new(Preferences::new(params, context)?)),
};

/// Checks the teacher keys both feedback signals share.
pub fn check_teacher(signal: &str, kind: &str, params: &serde_json::Value, budget: usize) -> Result<()> {
    if kind != "web" {
        TeacherParams::for_kind(kind, params).map_err(|e| bad_param(signal, "teacher", e.to_string()))?;
    }
    at_least_one(signal, "budget", budget)
}

/// The preference signal; see the [module docs](self).
pub struct Preferences {
    params: PreferenceParams,
    obs_dim: usize,
    coding: ActionCoding,
    recorder: ClipRecorder,
    pool: VecDeque<Arc<Clip>>,
    asking: Asking,
    preferences: Vec<Preference>,
    ensemble: RewardEnsemble,
    rng: Generator,
    /// The ensemble has been fit at least once.
    fitted: bool,
    /// Labels arrived since the last fit.
    unfit: bool,
    /// Fits in this process: the model's version.
    fits: u64,
    /// Labels the model was last fit on.
    fit_labels: usize,
    /// Env steps observed (all sub-envs).
    env_steps: u64,
    /// `env_steps` at the last round of questions.
    last_round: Option<u64>,
}

impl Preferences {
    pub fn new(params: &serde_json::Value, context: &SignalContext) -> Result<Preferences> {
        let params: PreferenceParams = parse_config(NAME, params)?;
        check_teacher(NAME, &params.teacher, &params.teacher_params, params.budget)?;
        for (key, value) in [
            ("segment", params.segment),
            ("per_update", params.per_update),
            ("candidates", params.candidates),
            ("ensemble", params.ensemble),
            ("epochs", params.epochs),
            ("batch_size", params.batch_size),
        ] {
            at_least_one(NAME, key, value)?;
        }
        if params.pool < 2 {
            return Err(bad_param(NAME, "pool", "needs at least 2 segments to make a pair"));
        }
        layer_widths(NAME, "hidden", &params.hidden)?;
        positive(NAME, "learning_rate", params.learning_rate)?;
        let kind = encoder_kind(NAME, context)?;
        let coding = ActionCoding::for_space(NAME, &context.action_space)?;
        let mut rng = Generator::from_seed(context.seed);
        let ensemble =
            RewardEnsemble::new(kind, coding, &params.hidden, params.ensemble, params.learning_rate, &mut rng)?;
        let recorder = ClipRecorder::new(context.obs_dim, coding.stored_width(), context.num_envs, params.segment);
        Ok(Preferences {
            asking: Asking::new(params.budget),
            params,
            obs_dim: context.obs_dim,
            coding,
            recorder,
            pool: VecDeque::new(),
            preferences: Vec::new(),
            ensemble,
            rng,
            fitted: false,
            unfit: false,
            fits: 0,
            fit_labels: 0,
            env_steps: 0,
            last_round: None,
        })
    }

    /// Labels the signal learns from.
    pub fn labels(&self) -> usize {
        self.preferences.len()
    }

    fn take(&mut self, labelled: Vec<Labelled>) {
        for item in labelled {
            if let [left, right] = item.clips.as_slice() {
                if let Some(p) = Preference::from_answer(left.clone(), right.clone(), item.label.answer) {
                    self.preferences.push(p);
                    self.unfit = true;
                }
            }
        }
    }

    /// `n` pairs of distinct pool segments.
    fn draw_pairs(&mut self, n: usize) -> Vec<ClipPair> {
        let size = self.pool.len() as i64;
        (0..n)
            .map(|_| {
                let i = self.rng.integers(0, size) as usize;
                let j = (i + 1 + self.rng.integers(0, size - 1) as usize) % size as usize;
                (self.pool[i].clone(), self.pool[j].clone())
            })
            .collect()
    }

    /// The pairs to ask about now; the mean disagreement of those chosen.
    fn choose(&mut self, n: usize) -> Result<(Vec<ClipPair>, f64)> {
        if self.params.selection == Selection::Uniform {
            return Ok((self.draw_pairs(n), 0.0));
        }
        let candidates = self.draw_pairs(n * self.params.candidates);
        let probabilities = self.ensemble.preference_probabilities(&candidates)?;
        let members = probabilities.len() as f64;
        let spread: Vec<f64> = (0..candidates.len())
            .map(|c| {
                let mean = probabilities.iter().map(|p| p[c]).sum::<f64>() / members;
                (probabilities.iter().map(|p| (p[c] - mean).powi(2)).sum::<f64>() / members).sqrt()
            })
            .collect();
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by(|&a, &b| spread[b].total_cmp(&spread[a]));
        order.truncate(n);
        let mean = order.iter().map(|&c| spread[c]).sum::<f64>() / n.max(1) as f64;
        Ok((order.into_iter().map(|c| candidates[c].clone()).collect(), mean))
    }
}

impl IntrinsicReward for Preferences {
    fn name(&self) -> &str {
        NAME
    }

    fn memory(&self) -> Memory {
        Memory::Lifelong
    }

    fn observe(&mut self, step: &Transitions) -> Result<()> {
        check_batch(NAME, step, self.obs_dim, Some(self.coding))?;
        for slot in valid_slots(step) {
            let env = slot % step.envs;
            self.recorder.push(step, slot, self.env_steps + env as u64)?;
            if step.done(slot) || self.recorder.len(env) >= self.params.segment {
                self.pool.push_back(self.recorder.clip(env));
                self.recorder.clear(env);
                if self.pool.len() > self.params.pool {
                    self.pool.pop_front();
                }
            }
        }
        self.env_steps += step.slots() as u64;
        Ok(())
    }

    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        check_batch(NAME, batch, self.obs_dim, Some(self.coding))?;
        clear_output(NAME, batch, out)?;
        if self.fitted {
            self.ensemble.score(batch, out)?;
        }
        check_bonuses(NAME, out)
    }

    fn update(&mut self, _batch: &Transitions) -> Result<BTreeMap<String, f64>> {
        let mut metrics = BTreeMap::new();
        let arrived = self.asking.poll(&self.recorder)?;
        self.take(arrived);
        let n = self.params.per_update.min(self.asking.room());
        let due = self.last_round.is_none_or(|last| self.env_steps >= last + self.params.interval);
        if n > 0 && due && self.pool.len() >= 2 {
            self.last_round = Some(self.env_steps);
            let (pairs, spread) = self.choose(n)?;
            metrics.insert("disagreement".into(), spread);
            for (left, right) in pairs {
                self.asking.ask(|id| Question::Compare { id, left, right })?;
            }
            let arrived = self.asking.poll(&self.recorder)?;
            self.take(arrived);
        }
        if self.unfit && !self.preferences.is_empty() {
            let (epochs, batch_size) = (self.params.epochs, self.params.batch_size);
            let means = self.ensemble.fit_preferences(&self.preferences, epochs, batch_size, &mut self.rng)?;
            metrics.extend(means.into_map());
            (self.fitted, self.unfit) = (true, false);
            (self.fits, self.fit_labels) = (self.fits + 1, self.preferences.len());
        }
        self.asking.metrics(&mut metrics);
        Ok(metrics)
    }

    fn model_version(&self) -> Option<u64> {
        self.params.relabel.then_some(self.fits)
    }

    /// [`compute`](IntrinsicReward::compute), which already depends on the ensemble alone.
    fn score(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        self.compute(batch, out)
    }

    fn teacher_request(&self) -> Option<TeacherRequest> {
        Some(TeacherRequest {
            kind: self.params.teacher.clone(),
            params: self.params.teacher_params.clone(),
            question: QuestionKind::Compare,
            labels_from: self.params.labels.clone(),
        })
    }

    fn attach_teacher(&mut self, attached: TeacherWithHistory) -> Result<()> {
        let history = self.asking.attach(attached, &mut self.recorder);
        self.take(history);
        Ok(())
    }

    fn save(&self) -> Result<Vec<u8>> {
        let mut archive = Archive::new(NAME);
        self.ensemble.save(&mut archive)?;
        archive.put_json("rng", &RngState::of(&self.rng))?;
        self.asking.save(&mut archive)?;
        self.recorder.save(&mut archive)?;
        put_clips(&mut archive, "pool", &self.pool)?;
        archive.put_json("progress", &(self.fitted, self.env_steps, self.last_round))?;
        archive.put_json("fits", &(self.fits, self.fit_labels))?;
        archive.encode()
    }

    /// Restores the whole state (after [`attach_teacher`](IntrinsicReward::attach_teacher)
    /// read the labels back); nothing changes on error.
    fn load(&mut self, bytes: &[u8]) -> Result<()> {
        let archive = Archive::decode(NAME, bytes)?;
        let rng = archive.json::<RngState>("rng")?.restore(std::path::Path::new(NAME))?;
        let (fitted, env_steps, last_round): (bool, u64, Option<u64>) = archive.json("progress")?;
        let (fits, fit_labels): (u64, usize) = archive.json("fits")?;
        let pool: VecDeque<_> = get_clips(&archive, "pool")?.into();
        let mut recorder = self.recorder.clone();
        recorder.load(&archive)?;
        self.ensemble.load(&archive)?;
        self.asking.load(&archive, &mut recorder)?;
        (self.recorder, self.pool, self.rng) = (recorder, pool, rng);
        (self.fitted, self.env_steps, self.last_round) = (fitted || self.fitted, env_steps, last_round);
        // The labels read back on resume (attached before) were fit already unless there are
        // others than the saved model saw (given after the run stopped): those are fit at the
        // next update. Refitting on the same labels would not be an exact resume.
        (self.fits, self.fit_labels) = (fits, fit_labels);
        self.unfit = self.preferences.len() != fit_labels;
        Ok(())
    }
}
