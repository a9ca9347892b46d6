//! Evaluative feedback: a teacher scores the agent's recent behaviour (+1 / -1, or a scalar)
//! while it acts. Each score is for the step `at` of the clip it was asked about and is spread
//! uniformly over the steps `at - credit[1] ..= at - credit[0]` (the delay window: a person
//! reacts 0.2 to 4 s late, TAMER's credit assignment).
//!
//! - `mode: "tamer"` (Knox & Stone 2009): a model `H(s, a)` of the teacher's feedback is fit by
//!   regression to the credited steps whenever new labels come; the reward is `H(s, a)` of every
//!   step, so the model generalises the teacher's scores to steps never scored.
//! - `mode: "coach"` (MacGlashan et al. 2017): the credited feedback itself is the reward of the
//!   step it falls on (0 elsewhere); with `"stream": "own", "gamma": 0` the learner's advantage of
//!   a step is that feedback less the value baseline, COACH's update. Feedback is matched to the
//!   steps of the batch being scored (the steps observed last: on-policy learners) by their
//!   place in the run (env step and sub-env), never by their numbers: a step that looks like a
//!   credited one (MiniGrid's partial views alias a lot) earns nothing. Feedback that arrives
//!   after its steps' batch was used is kept in the label file but not in the reward.
//! - A question is asked of each sub-env every `every` steps and at the end of each episode,
//!   showing its last `window` steps, until `budget` questions were asked.

use crate::asking::{Asking, ClipRecorder};
use crate::feedback::{Answer, Clip, Labelled, Question, QuestionKind, TeacherRequest, TeacherWithHistory};
use crate::learned::{RewardEnsemble, Targets};
use crate::models::{
    at_least_one, bad_param, check_batch, check_bonuses, clear_output, encoder_kind, layer_widths, positive, to_json,
    valid_slots, ActionCoding, Archive,
};
use crate::scaling::Normalization;
use crate::signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
use crate::signals::preferences::{check_teacher, RELABEL_KEY, TEACHER_KEYS};
use limbic_agents::core::checkpoint::RngState;
use limbic_agents::core::config::parse_config;
use limbic_agents::shaping::Transitions;
use limbic_agents::Result;
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

pub const NAME: &str = "evaluative";

/// How feedback becomes reward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Tamer,
    Coach,
}

/// The evaluative signal's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvaluativeParams {
    pub teacher: String,
    pub teacher_params: serde_json::Value,
    pub budget: usize,
    pub labels: Option<String>,
    pub mode: Mode,
    pub every: usize,
    pub window: usize,
    /// `[min, max]` steps before `at` that share a score.
    pub credit: (usize, usize),
    pub hidden: Vec<usize>,
    pub learning_rate: f64,
    pub epochs: usize,
    pub batch_size: usize,
    /// Off-policy learners relabel their replay after every fit of TAMER's model (PEBBLE).
    pub relabel: bool,
}

impl Default for EvaluativeParams {
    fn default() -> Self {
        EvaluativeParams {
            teacher: "oracle".into(),
            teacher_params: serde_json::json!({}),
            budget: 500,
            labels: None,
            mode: Mode::Tamer,
            every: 5,
            window: 10,
            credit: (0, 3),
            hidden: vec![64, 64],
            learning_rate: 1e-3,
            epochs: 5,
            batch_size: 64,
            relabel: true,
        }
    }
}

pub const ENTRY: SignalEntry = SignalEntry {
    name: NAME,
    summary: "evaluative feedback (TAMER, Knox & Stone 2009; COACH, MacGlashan et al. 2017): a teacher's scores of recent steps",
    params: &[
        TEACHER_KEYS[0],
        TEACHER_KEYS[1],
        TEACHER_KEYS[2],
        TEACHER_KEYS[3],
        ("mode", "tamer (reward = a model of the teacher's feedback) or coach (reward = the credited feedback) (default tamer)"),
        ("every", "steps of a sub-env between questions; one is also asked at each episode's end (default 5)"),
        ("window", "steps of the clip each question shows (default 10)"),
        ("credit", "[min, max] steps before the scored step that share its score, the delay window (default [0, 3])"),
        ("hidden", "hidden layer widths of TAMER's model (default [64, 64])"),
        ("learning_rate", "Adam step size of TAMER's model (default 1e-3)"),
        ("epochs", "passes over all credited steps each time new labels arrive (default 5)"),
        ("batch_size", "credited steps per gradient step (default 64)"),
        RELABEL_KEY,
    ],
    defaults: || to_json(&EvaluativeParams::default()),
    weight: 1.0,
    normalization: Normalization::Rms,
    exploration: false,
    episodic_counts: false,
    caveats: "",
    build: &|params, context| Ok(Box::new(Evaluative::new(params, context)?)),
};

/// The evaluative signal; see the [module docs](self).
pub struct Evaluative {
    params: EvaluativeParams,
    obs_dim: usize,
    coding: ActionCoding,
    recorder: ClipRecorder,
    /// Steps of each sub-env since its last question.
    since_asked: Vec<usize>,
    asking: Asking,
    /// Every credited step (TAMER's training set).
    targets: Targets,
    /// COACH: credited feedback of recent steps by their place in the run (see [`step_id`]).
    recent: HashMap<u64, f32>,
    model: RewardEnsemble,
    rng: Generator,
    fitted: bool,
    unfit: bool,
    /// Fits of TAMER's model: its version.
    fits: u64,
    /// Credited steps TAMER's model was last fit on.
    fit_steps: usize,
    env_steps: u64,
}

/// A step's place in the run: the run's env step (all sub-envs counted) at the start of its
/// vector step, plus its sub-env, as [`ClipRecorder`] numbers a clip's first step.
fn step_id(clip: &Clip, j: usize, num_envs: usize) -> u64 {
    clip.start_step + (j * num_envs) as u64
}

impl Evaluative {
    pub fn new(params: &serde_json::Value, context: &SignalContext) -> Result<Evaluative> {
        let params: EvaluativeParams = parse_config(NAME, params)?;
        check_teacher(NAME, &params.teacher, &params.teacher_params, params.budget)?;
        for (key, value) in [
            ("every", params.every),
            ("window", params.window),
            ("epochs", params.epochs),
            ("batch_size", params.batch_size),
        ] {
            at_least_one(NAME, key, value)?;
        }
        if params.credit.0 > params.credit.1 {
            return Err(bad_param(NAME, "credit", "must be [min, max] with min <= max"));
        }
        layer_widths(NAME, "hidden", &params.hidden)?;
        positive(NAME, "learning_rate", params.learning_rate)?;
        let kind = encoder_kind(NAME, context)?;
        let coding = ActionCoding::for_space(NAME, &context.action_space)?;
        let mut rng = Generator::from_seed(context.seed);
        let model = RewardEnsemble::new(kind, coding, &params.hidden, 1, params.learning_rate, &mut rng)?;
        Ok(Evaluative {
            asking: Asking::new(params.budget),
            recorder: ClipRecorder::new(context.obs_dim, coding.stored_width(), context.num_envs, params.window),
            since_asked: vec![0; context.num_envs],
            params,
            obs_dim: context.obs_dim,
            coding,
            targets: Targets::default(),
            recent: HashMap::new(),
            model,
            rng,
            fitted: false,
            unfit: false,
            fits: 0,
            fit_steps: 0,
            env_steps: 0,
        })
    }

    /// Credited steps the signal learns from.
    pub fn credited_steps(&self) -> usize {
        self.targets.values.len()
    }

    /// Spreads each score over its delay window.
    fn take(&mut self, labelled: Vec<Labelled>) {
        let (d, a) = (self.obs_dim, self.coding.stored_width());
        let (near, far) = self.params.credit;
        for item in labelled {
            let (Answer::Score { value, at }, [clip]) = (item.label.answer, item.clips.as_slice()) else { continue };
            if at >= clip.len || at < near || !value.is_finite() {
                continue;
            }
            let steps = at.saturating_sub(far)..=at - near;
            let share = value / steps.clone().count() as f32;
            for j in steps {
                self.targets.obs.extend_from_slice(&clip.obs[j * d..(j + 1) * d]);
                self.targets.actions.extend_from_slice(&clip.actions[j * a..(j + 1) * a]);
                self.targets.values.push(share);
                *self.recent.entry(step_id(clip, j, self.since_asked.len())).or_default() += share;
            }
            self.unfit = true;
        }
    }

    fn poll(&mut self) -> Result<()> {
        let arrived = self.asking.poll(&self.recorder)?;
        self.take(arrived);
        Ok(())
    }
}

impl IntrinsicReward for Evaluative {
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
            self.since_asked[env] += 1;
            if step.done(slot) || self.since_asked[env] >= self.params.every {
                let clip = self.recorder.clip(env);
                self.asking.ask(|id| Question::Evaluate { id, clip })?;
                self.since_asked[env] = 0;
            }
            if step.done(slot) {
                self.recorder.clear(env);
            }
        }
        self.env_steps += step.slots() as u64;
        Ok(())
    }

    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        check_batch(NAME, batch, self.obs_dim, Some(self.coding))?;
        clear_output(NAME, batch, out)?;
        self.poll()?;
        let slots = valid_slots(batch);
        match self.params.mode {
            Mode::Coach => {
                // The batch is the steps observed last: slot `s` is step `first + s` of the run.
                let first = self.env_steps.saturating_sub(batch.slots() as u64);
                for &s in &slots {
                    out[s] = self.recent.get(&(first + s as u64)).copied().unwrap_or(0.0);
                }
            }
            Mode::Tamer => return self.score(batch, out),
        }
        check_bonuses(NAME, out)
    }

    /// TAMER's model of the teacher (only TAMER has a model version).
    fn score(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        check_batch(NAME, batch, self.obs_dim, Some(self.coding))?;
        clear_output(NAME, batch, out)?;
        if self.fitted {
            self.model.score(batch, out)?;
        }
        check_bonuses(NAME, out)
    }

    fn model_version(&self) -> Option<u64> {
        (self.params.relabel && self.params.mode == Mode::Tamer).then_some(self.fits)
    }

    fn update(&mut self, _batch: &Transitions) -> Result<BTreeMap<String, f64>> {
        let mut metrics = BTreeMap::new();
        self.poll()?;
        // COACH's feedback belongs to the batch just scored.
        self.recent.clear();
        if self.params.mode == Mode::Tamer && self.unfit && !self.targets.values.is_empty() {
            let (epochs, batch_size) = (self.params.epochs, self.params.batch_size);
            metrics.extend(self.model.fit_targets(&self.targets, epochs, batch_size, &mut self.rng)?.into_map());
            (self.fitted, self.unfit) = (true, false);
            (self.fits, self.fit_steps) = (self.fits + 1, self.targets.values.len());
        }
        metrics.insert("credited_steps".into(), self.targets.values.len() as f64);
        self.asking.metrics(&mut metrics);
        Ok(metrics)
    }

    fn teacher_request(&self) -> Option<TeacherRequest> {
        Some(TeacherRequest {
            kind: self.params.teacher.clone(),
            params: self.params.teacher_params.clone(),
            question: QuestionKind::Evaluate,
            labels_from: self.params.labels.clone(),
        })
    }

    fn attach_teacher(&mut self, attached: TeacherWithHistory) -> Result<()> {
        let history = self.asking.attach(attached, &mut self.recorder);
        self.take(history);
        self.recent.clear();
        Ok(())
    }

    fn save(&self) -> Result<Vec<u8>> {
        let mut archive = Archive::new(NAME);
        self.model.save(&mut archive)?;
        archive.put_json("rng", &RngState::of(&self.rng))?;
        self.asking.save(&mut archive)?;
        self.recorder.save(&mut archive)?;
        archive.put_json("progress", &(self.fitted, self.env_steps, &self.since_asked))?;
        archive.put_json("fits", &(self.fits, self.fit_steps))?;
        archive.encode()
    }

    /// Restores the whole state (after [`attach_teacher`](IntrinsicReward::attach_teacher)
    /// read the labels back); nothing changes on error.
    fn load(&mut self, bytes: &[u8]) -> Result<()> {
        let archive = Archive::decode(NAME, bytes)?;
        let rng = archive.json::<RngState>("rng")?.restore(std::path::Path::new(NAME))?;
        let (fitted, env_steps, since_asked): (bool, u64, Vec<usize>) = archive.json("progress")?;
        let (fits, fit_steps): (u64, usize) = archive.json("fits")?;
        if since_asked.len() != self.since_asked.len() {
            return Err(bad_param(NAME, "num_envs", "the saved state is for another number of sub-envs"));
        }
        let mut recorder = self.recorder.clone();
        recorder.load(&archive)?;
        self.model.load(&archive)?;
        self.asking.load(&archive, &mut recorder)?;
        (self.recorder, self.rng, self.fitted, self.env_steps, self.since_asked) =
            (recorder, rng, fitted || self.fitted, env_steps, since_asked);
        // Credited steps read back that the saved model saw are not fit again (an exact resume).
        (self.fits, self.fit_steps) = (fits, fit_steps);
        self.unfit = self.targets.values.len() != fit_steps;
        Ok(())
    }
}
