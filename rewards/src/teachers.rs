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
    &["oracle", "stochastic", "myopic", "skipping", "equal", "mistake", "noisy", "delayed", "sparse"];

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
}

impl Default for TeacherParams {
    fn default() -> Self {
        TeacherParams { beta: None, gamma: 1.0, skip: 0.0, equal: 0.0, mistake: 0.0, noise: 0.0, delay: 0, rate: 1.0 }
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

    fn segment_return(&self, clip: &Clip) -> f64 {
        let last = clip.true_rewards.len().saturating_sub(1);
        let weight = |t: usize| self.params.gamma.powi((last - t) as i32);
        clip.true_rewards.iter().enumerate().map(|(t, &r)| weight(t) * r as f64).sum()
    }

    fn compare(&mut self, left: &Clip, right: &Clip) -> Answer {
        let (l, r) = (self.segment_return(left), self.segment_return(right));
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

    fn evaluate(&mut self, clip: &Clip) -> Answer {
        let p = self.params.clone();
        if clip.len == 0 || (p.rate < 1.0 && self.rng.random() >= p.rate) {
            return Answer::Skip;
        }
        let last = clip.len - 1;
        let mut value = clip.true_rewards[last.saturating_sub(p.delay)] as f64;
        if p.noise > 0.0 {
            value += p.noise * self.rng.standard_normal();
        }
        if p.mistake > 0.0 && self.rng.random() < p.mistake {
            value = -value;
        }
        Answer::Score { value: value as f32, at: last }
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
            Question::Compare { left, right, .. } => (self.compare(left, right), vec![left.id, right.id]),
            Question::Evaluate { clip, .. } => (self.evaluate(clip), vec![clip.id]),
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
