//! Social feedback: what passes between a feedback signal (`preferences`, `evaluative`) and
//! its teacher, a simulated one or a person at the web teaching page.
//!
//! The signal asks; the teacher answers when it can. [`Teacher`] is that channel: `post` never
//! blocks and `poll` returns whatever labels arrived since, so a slow or silent teacher never
//! stalls training (the signal keeps its last model). Synthetic teachers answer inside `post`;
//! the web teacher hands the question to its server and its labels come back through `poll`.

use limbic_environments::render::Frame;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Names a clip for the life of a run (unique within the run, never reused).
pub type ClipId = u64;
/// Names a question for the life of a run (unique within the run, never reused).
pub type QueryId = u64;

/// A stretch of one sub-env's experience shown to a teacher.
#[derive(Clone, Debug)]
pub struct Clip {
    pub id: ClipId,
    /// The sub-env it came from.
    pub env: usize,
    /// The run's env step (all sub-envs counted) at the clip's first step.
    pub start_step: u64,
    /// Steps in the clip.
    pub len: usize,
    /// `[len, obs_dim]` observations.
    pub obs: Vec<f32>,
    /// `[len, action_dim]` actions taken.
    pub actions: Vec<f32>,
    /// `[len]` the env's true reward: synthetic teachers read it, people never see it.
    pub true_rewards: Vec<f32>,
    /// `[len]` the env's [advice](limbic_environments::Env::advice) on each action (+1 / -1,
    /// 0: none), where the envs are advised for a teacher that judges actions (`judge:
    /// "progress"`); empty otherwise. People never see it.
    pub advice: Vec<f32>,
    /// Rendered frames (one per step) when the teacher [looks at pictures](Teacher::wants_frames).
    pub frames: Option<Vec<Frame>>,
}

/// What a signal asks.
#[derive(Clone, Debug)]
pub enum Question {
    /// Which of two clips is better (preferences, Christiano et al. 2017).
    Compare { id: QueryId, left: Arc<Clip>, right: Arc<Clip> },
    /// How good is this clip's recent behaviour (evaluative feedback: TAMER, COACH).
    Evaluate { id: QueryId, clip: Arc<Clip> },
}

impl Question {
    pub fn id(&self) -> QueryId {
        match self {
            Question::Compare { id, .. } | Question::Evaluate { id, .. } => *id,
        }
    }

    /// The clips it shows: two for `Compare`, one for `Evaluate`.
    pub fn clips(&self) -> Vec<Arc<Clip>> {
        match self {
            Question::Compare { left, right, .. } => vec![left.clone(), right.clone()],
            Question::Evaluate { clip, .. } => vec![clip.clone()],
        }
    }

    /// The question `id` showing `clips` (two: a comparison, one: an evaluation).
    pub fn of_clips(id: QueryId, clips: &[Arc<Clip>]) -> Option<Question> {
        match clips {
            [left, right] => Some(Question::Compare { id, left: left.clone(), right: right.clone() }),
            [clip] => Some(Question::Evaluate { id, clip: clip.clone() }),
            _ => None,
        }
    }
}

/// A teacher's answer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Left,
    Right,
    Equal,
    /// The teacher declined (the pair is not used for training).
    Skip,
    /// An evaluative score (+1 / -1, or a scalar), for the step `at` of the clip (`at` counts
    /// from the clip's first step; credit is spread over the steps before it).
    Score {
        value: f32,
        at: usize,
    },
}

/// One stored label: a line of the run's label file (JSON lines, appended atomically).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Label {
    pub query: QueryId,
    /// The clips the question showed (two for `Compare`, one for `Evaluate`).
    pub clips: Vec<ClipId>,
    pub answer: Answer,
    /// Who answered: a synthetic kind (`oracle`, `stochastic`, ...) or `web:<name>`.
    pub teacher: String,
    /// When, in milliseconds since the Unix epoch.
    pub time_ms: u64,
}

/// The channel from a signal to whoever answers it.
pub trait Teacher: Send {
    /// The teacher's kind, as `--teacher` names it.
    fn kind(&self) -> &str;

    /// Whether clips must carry rendered frames (a person looks at them; synthetic teachers
    /// read `true_rewards`).
    fn wants_frames(&self) -> bool {
        false
    }

    /// Hands a question over; never blocks.
    fn post(&mut self, question: Question) -> limbic_agents::Result<()>;

    /// The labels given since the last call (possibly none); never blocks.
    fn poll(&mut self) -> limbic_agents::Result<Vec<Label>>;

    /// Questions posted and not answered yet (shown in the progress bar and metrics).
    fn pending(&self) -> usize;

    /// What the teacher's future answers depend on besides the questions (a synthetic
    /// teacher's generator), saved with the signal that asks it; `None`: nothing.
    fn state(&self) -> Option<serde_json::Value> {
        None
    }

    /// Restores what [`state`](Teacher::state) gave (from a teacher of the same kind).
    fn restore(&mut self, _state: &serde_json::Value) -> limbic_agents::Result<()> {
        Ok(())
    }
}

/// A label with the clips it names: what a feedback signal learns from (read back from a label
/// file on resume, or from another run's).
#[derive(Clone, Debug)]
pub struct Labelled {
    pub label: Label,
    /// The clips of `label.clips`, in that order.
    pub clips: Vec<Arc<Clip>>,
}

/// Which kind of question a feedback signal asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Compare,
    Evaluate,
}

/// What a feedback signal asks of the run: a teacher of some kind, and the labels to start from.
/// The platform's teacher factory answers it before the first step.
#[derive(Clone, Debug, PartialEq)]
pub struct TeacherRequest {
    /// `--teacher`: a synthetic kind (`limbic_rewards::teachers::KINDS`) or `web`.
    pub kind: String,
    /// The synthetic teacher's settings (`limbic rewards` lists them under the signal).
    pub params: serde_json::Value,
    pub question: QuestionKind,
    /// A label file (JSON lines of [`Label`], with its clips beside it) to start from.
    pub labels_from: Option<String>,
}

/// What a teacher factory hands a feedback signal: its teacher, the labels it starts from and,
/// when a run resumes, what its label folder says was asked (a run killed after its last
/// checkpoint asked more than the checkpoint knows).
pub struct TeacherWithHistory {
    pub teacher: Box<dyn Teacher>,
    /// Labels to learn from: another run's (the `labels` parameter), then the run's own.
    pub history: Vec<Labelled>,
    /// The run's questions nobody answered yet (its `pending.bin`), offered again.
    pub waiting: Vec<Question>,
    /// The highest clip id the run's label folder holds: ids up to it are never issued again.
    pub last_clip: Option<ClipId>,
}

impl TeacherWithHistory {
    /// A teacher with nothing to start from.
    pub fn new(teacher: Box<dyn Teacher>) -> TeacherWithHistory {
        TeacherWithHistory { teacher, history: Vec::new(), waiting: Vec::new(), last_clip: None }
    }

    /// The same, starting from `history`.
    pub fn with_history(teacher: Box<dyn Teacher>, history: Vec<Labelled>) -> TeacherWithHistory {
        TeacherWithHistory { history, ..TeacherWithHistory::new(teacher) }
    }
}
