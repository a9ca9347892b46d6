//! Synthetic teachers: simulated people who answer from a clip's true rewards, with the
//! imperfections of B-Pref (Lee et al. 2021) for preferences and their counterparts for
//! evaluative feedback. They answer inside [`Teacher::post`], so [`Teacher::poll`] right after
//! returns the label.
//!
//! Preferences (segment returns `R = sum_t gamma^(H-1-t) r_t`, `gamma` 1 but for `myopic`):
//! - `oracle`: the higher return; equal returns are `equal`;
//! - `stochastic`: left with probability `sigmoid(beta (R_left - R_right))`;
//! - `myopic`: `gamma` < 1 weighs the segment's end more;
//! - `skipping`: skips when both returns are below `skip` times the largest return seen;
//! - `equal`: says equal when the returns differ by less than `equal` times the largest seen;
//! - `mistake`: flips its answer with probability `mistake`.
//!
//! Evaluative feedback scores the step `delay` steps before the clip's last one with its true
//! reward and reports it at the last step (`at = len - 1`): `noisy` adds Gaussian noise of
//! standard deviation `noise`, `delayed` reacts `delay` steps late, `sparse` answers only with
//! probability `rate` (skips otherwise); `mistake` flips the score's sign with probability
//! `mistake`.
//!
//! What a teacher judges by (`judge`): the true `reward` (every kind but `expert`), or the
//! env's `progress` advice (`expert`; any kind with `"judge": "progress"`): +1 where the action
//! shortened the scripted expert's shortest plan, -1 where it did not, 0 where there is no
//! judgement (see [`limbic_environments::wrappers::Advised`]). That is what a person watching
//! a gridworld judges, where the true reward is 0 but at the goal. Preferences then compare
//! segments by their summed advice; an evaluative step with no judgement is skipped. The
//! imperfections apply to either.
//!
//! Every kind is one [`TeacherParams`] preset (B-Pref's values); parameters given with the
//! kind override the preset's.

use crate::feedback::{Answer, Clip, Label, Question, Teacher};
use crate::models::{bad_param, within};
use limbic_agents::core::checkpoint::RngState;
use limbic_agents::core::config::parse_config;
use limbic_agents::Result;
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};

/// Every synthetic kind `--teacher` accepts.
pub const KINDS: &[&str] =
    &["oracle", "stochastic", "myopic", "skipping", "equal", "mistake", "noisy", "delayed", "sparse", "expert"];

/// What a synthetic teacher scores a step by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Judge {
    /// The env's true reward.
    #[default]
    Reward,
    /// The env's advice: did the action make progress by the scripted expert's plan.
    Progress,
}

/// A synthetic teacher's imperfections (all off: the oracle).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TeacherParams {
    /// Boltzmann rationality of preferences; absent: always the better segment.
    pub beta: Option<f64>,
    /// Discount toward the segment's end (1: none).
    pub gamma: f64,
    /// Skip when both returns are below this fraction of the largest return seen.
    pub skip: f64,
    /// Equal when the returns differ by at most this fraction of the largest return seen.
    pub equal: f64,
    /// Probability of flipping the answer.
    pub mistake: f64,
    /// Standard deviation of the noise on evaluative scores.
    pub noise: f64,
    /// Steps an evaluative score lags behind the step it is about.
    pub delay: usize,
    /// Probability of answering an evaluative question.
    pub rate: f64,
    /// What a step is scored by.
    pub judge: Judge,
}

impl Default for TeacherParams {
    fn default() -> Self {
        TeacherParams {
            beta: None,
            gamma: 1.0,
            skip: 0.0,
            equal: 0.0,
            mistake: 0.0,
            noise: 0.0,
            delay: 0,
            rate: 1.0,
            judge: Judge::Reward,
        }
    }
}

/// The documentation of [`TeacherParams`] (listed under the feedback signals).
pub const TEACHER_PARAMS: &[(&str, &str)] = &[
    ("beta", "Boltzmann rationality of preferences (stochastic: 1; absent: always the better segment)"),
    ("gamma", "discount toward the segment's end (myopic: 0.9; else 1)"),
    ("skip", "skip when both returns are below this fraction of the largest seen (skipping: 0.1)"),
    ("equal", "equal when returns differ by at most this fraction of the largest seen (equal: 0.1)"),
    ("mistake", "probability of flipping the answer (mistake: 0.1)"),
    ("noise", "standard deviation of the noise on evaluative scores (noisy: 0.5)"),
    ("delay", "steps an evaluative score lags behind its step (delayed: 3)"),
    ("rate", "probability of answering an evaluative question (sparse: 0.1)"),
    ("judge", "reward (the true reward) or progress (the env's advice: +1 where the action shortened a scripted gridworld expert's plan, -1 where not; MiniGrid ids with an expert only) (expert: progress; else reward)"),
];

impl TeacherParams {
    /// The preset of `kind`, overridden by `overrides` (a JSON object of [`TeacherParams`] keys).
    pub fn for_kind(kind: &str, overrides: &serde_json::Value) -> Result<TeacherParams> {
        let preset = match kind {
            "oracle" => TeacherParams::default(),
            "stochastic" => TeacherParams { beta: Some(1.0), ..Default::default() },
            "myopic" => TeacherParams { gamma: 0.9, ..Default::default() },
            "skipping" => TeacherParams { skip: 0.1, ..Default::default() },
            "equal" => TeacherParams { equal: 0.1, ..Default::default() },
            "mistake" => TeacherParams { mistake: 0.1, ..Default::default() },
            "noisy" => TeacherParams { noise: 0.5, ..Default::default() },
            "delayed" => TeacherParams { delay: 3, ..Default::default() },
            "sparse" => TeacherParams { rate: 0.1, ..Default::default() },
            "expert" => TeacherParams { judge: Judge::Progress, ..Default::default() },
            other => {
                return Err(bad_param(
                    "teacher",
                    "kind",
                    format!("unknown teacher `{other}`; synthetic kinds: {}, or web", KINDS.join(", ")),
                ))
            }
        };
        let mut merged = serde_json::to_value(&preset).map_err(|e| bad_param("teacher", "params", e.to_string()))?;
        if let (Some(target), Some(given)) = (merged.as_object_mut(), overrides.as_object()) {
            given.iter().for_each(|(k, v)| {
                target.insert(k.clone(), v.clone());
            });
        } else if !overrides.is_null() {
            return Err(bad_param("teacher", "params", "must be a JSON object"));
        }
        let params: TeacherParams = parse_config("teacher_params", &merged)?;
        params.validate()?;
        Ok(params)
    }

    fn validate(&self) -> Result<()> {
        if let Some(beta) = self.beta {
            crate::models::positive("teacher_params", "beta", beta)?;
        }
        within("teacher_params", "gamma", self.gamma, 0.0, 1.0)?;
        for (key, value) in [("skip", self.skip), ("equal", self.equal), ("mistake", self.mistake), ("rate", self.rate)]
        {
            within("teacher_params", key, value, 0.0, 1.0)?;
        }
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(bad_param("teacher_params", "noise", "must be a finite number >= 0"));
        }
        Ok(())
    }
}

/// Whether a run with the reward `specs` asks a synthetic teacher that judges
/// [progress](Judge::Progress): its training envs must then be advised
/// ([`limbic_environments::wrappers::Advised`]). A kind that is not synthetic counts as not (the
/// signal's own check names it).
pub fn judges_progress(specs: &[crate::RewardSpec]) -> bool {
    specs.iter().any(|spec| {
        let parts = spec.sum.iter().chain(spec.product.iter()).flatten();
        let kind = spec.params.get("teacher").and_then(|k| k.as_str()).unwrap_or("oracle");
        let overrides = spec.params.get("teacher_params").cloned().unwrap_or_default();
        TeacherParams::for_kind(kind, &overrides).is_ok_and(|p| p.judge == Judge::Progress)
            || judges_progress(&parts.cloned().collect::<Vec<_>>())
    })
}

/// A simulated teacher; see the [module docs](self).
pub struct SyntheticTeacher {
    kind: String,
    params: TeacherParams,
    rng: Generator,
    /// The largest segment return seen (B-Pref's scale for `skip` and `equal`).
    largest: f64,
    answered: Vec<Label>,
}

impl SyntheticTeacher {
    pub fn new(kind: &str, overrides: &serde_json::Value, seed: u64) -> Result<SyntheticTeacher> {
        let params = TeacherParams::for_kind(kind, overrides)?;
        Ok(SyntheticTeacher {
            kind: kind.to_string(),
            params,
            rng: Generator::from_seed(seed),
            largest: 0.0,
            answered: Vec::new(),
        })
    }

    /// What the teacher scores each of the clip's steps by (see [`Judge`]).
    fn scores<'a>(&self, clip: &'a Clip) -> Result<&'a [f32]> {
        match self.params.judge {
            Judge::Reward => Ok(&clip.true_rewards),
            Judge::Progress if clip.advice.len() == clip.len => Ok(&clip.advice),
            Judge::Progress => Err(bad_param(
                "teacher",
                "judge",
                format!(
                    "`{}` judges progress, but clip {} holds no advice: the envs are not advised (a gridworld with a scripted expert, trained by `limbic train`)",
                    self.kind, clip.id
                ),
            )),
        }
    }

    fn segment_return(&self, clip: &Clip) -> Result<f64> {
        let scores = self.scores(clip)?;
        let last = scores.len().saturating_sub(1);
        let weight = |t: usize| self.params.gamma.powi((last - t) as i32);
        Ok(scores.iter().enumerate().map(|(t, &r)| weight(t) * r as f64).sum())
    }

    fn compare(&mut self, left: &Clip, right: &Clip) -> Result<Answer> {
        let (l, r) = (self.segment_return(left)?, self.segment_return(right)?);
        Ok(self.prefer(l, r))
    }

    fn prefer(&mut self, l: f64, r: f64) -> Answer {
        self.largest = self.largest.max(l.abs()).max(r.abs());
        let p = &self.params;
        if p.skip > 0.0 && l.max(r) < p.skip * self.largest {
            return Answer::Skip;
        }
        if (l - r).abs() <= p.equal * self.largest {
            return Answer::Equal;
        }
        let left_better = match p.beta {
            Some(beta) => self.rng.random() < 1.0 / (1.0 + (-beta * (l - r)).exp()),
            None => l > r,
        };
        let flip = p.mistake > 0.0 && self.rng.random() < p.mistake;
        if left_better != flip {
            Answer::Left
        } else {
            Answer::Right
        }
    }

    fn evaluate(&mut self, clip: &Clip) -> Result<Answer> {
        let p = self.params.clone();
        let scores = self.scores(clip)?;
        if clip.len == 0 || (p.rate < 1.0 && self.rng.random() >= p.rate) {
            return Ok(Answer::Skip);
        }
        let last = clip.len - 1;
        let mut value = scores.get(last.saturating_sub(p.delay)).copied().unwrap_or_default() as f64;
        if p.judge == Judge::Progress && value == 0.0 {
            // The judge had no judgement of that step (a reset, or no plan).
            return Ok(Answer::Skip);
        }
        if p.noise > 0.0 {
            value += p.noise * self.rng.standard_normal();
        }
        if p.mistake > 0.0 && self.rng.random() < p.mistake {
            value = -value;
        }
        Ok(Answer::Score { value: value as f32, at: last })
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl Teacher for SyntheticTeacher {
    fn kind(&self) -> &str {
        &self.kind
    }

    fn post(&mut self, question: Question) -> Result<()> {
        let (answer, clips) = match &question {
            Question::Compare { left, right, .. } => (self.compare(left, right)?, vec![left.id, right.id]),
            Question::Evaluate { clip, .. } => (self.evaluate(clip)?, vec![clip.id]),
        };
        self.answered.push(Label {
            query: question.id(),
            clips,
            answer,
            teacher: self.kind.clone(),
            time_ms: now_ms(),
        });
        Ok(())
    }

    fn poll(&mut self) -> Result<Vec<Label>> {
        Ok(std::mem::take(&mut self.answered))
    }

    fn pending(&self) -> usize {
        0
    }

    fn state(&self) -> Option<serde_json::Value> {
        serde_json::to_value((RngState::of(&self.rng), self.largest)).ok()
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<()> {
        let bad = |e: String| bad_param("teacher", "state", format!("the saved teacher state is corrupt: {e}"));
        let (rng, largest): (RngState, f64) = serde_json::from_value(state.clone()).map_err(|e| bad(e.to_string()))?;
        self.rng = rng.restore(std::path::Path::new(&self.kind)).map_err(|e| bad(e.to_string()))?;
        self.largest = largest;
        Ok(())
    }
}
