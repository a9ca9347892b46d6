//! The board: the questions the web teacher has posted and not yet seen answered, shared by the
//! training loop (which posts) and the server (which shows them and takes answers).
//!
//! Every answer is checked here, in one place: the question must be one the board issued and
//! still open (a second answer to the same question is refused, so a label is never counted
//! twice), and the answer must fit the question's kind. An accepted answer becomes a [`Label`],
//! goes to the optional journal before it is acknowledged, and then to the teacher's channel.

use limbic_environments::render::ObservationPainter;
use limbic_rewards::feedback::{Answer, Clip, ClipId, Label, QueryId, Question};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::Write;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The longest teacher name a label may carry (`web:<name>`).
pub const MAX_NAME_LEN: usize = 32;

/// Why an answer was refused; each maps to one HTTP status.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The board never issued this question id.
    UnknownQuery(QueryId),
    /// The question was answered already.
    Duplicate(QueryId),
    /// The answer does not fit the question (names why).
    Invalid(String),
    /// The label could not be stored (the journal failed); nothing was counted.
    Storage(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::UnknownQuery(id) => write!(f, "no question {id} was issued"),
            Refusal::Duplicate(id) => write!(f, "question {id} was already answered"),
            Refusal::Invalid(why) => write!(f, "invalid answer: {why}"),
            Refusal::Storage(why) => write!(f, "the label could not be stored: {why}"),
        }
    }
}

/// What the page needs to show one open question.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Shown {
    pub id: QueryId,
    /// `compare` or `evaluate`.
    pub kind: &'static str,
    pub clips: Vec<ShownClip>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShownClip {
    pub id: ClipId,
    /// Frames in the clip's picture sheet (0 when the clip has no frames).
    pub frames: usize,
}

/// The posted questions and what became of them.
pub struct Board {
    /// Open questions by id (ids grow, so the oldest comes first).
    open: BTreeMap<QueryId, Question>,
    /// Every id ever posted and answered (answers to these are duplicates).
    answered: HashSet<QueryId>,
    /// The clips of open questions by id, with the number of open questions showing each
    /// (a clip can be in several questions).
    clips: HashMap<ClipId, (Arc<Clip>, usize)>,
    labels_given: u64,
    labels: Sender<Label>,
    journal: Option<File>,
    /// Draws the frames of clips posted without them.
    painter: Option<ObservationPainter>,
}

impl Board {
    /// A board sending accepted labels to `labels`, appending each to `journal` first if given;
    /// `painter` draws the frames of clips posted without them.
    pub fn new(labels: Sender<Label>, journal: Option<File>, painter: Option<ObservationPainter>) -> Board {
        Board {
            open: BTreeMap::new(),
            answered: HashSet::new(),
            clips: HashMap::new(),
            labels_given: 0,
            labels,
            journal,
            painter,
        }
    }

    /// Adds a question; a repeated id is refused (ids name a question for the life of a run).
    pub fn post(&mut self, question: Question) -> Result<(), String> {
        let id = question.id();
        if self.open.contains_key(&id) || self.answered.contains(&id) {
            return Err(format!("question {id} was posted twice (query ids are never reused)"));
        }
        for clip in clips_of(&question) {
            self.clips.entry(clip.id).or_insert_with(|| (clip.clone(), 0)).1 += 1;
        }
        self.open.insert(id, question);
        Ok(())
    }

    /// Questions posted and not answered yet.
    pub fn pending(&self) -> usize {
        self.open.len()
    }

    pub fn labels_given(&self) -> u64 {
        self.labels_given
    }

    /// The oldest open question, as the page shows it.
    pub fn next(&self) -> Option<Shown> {
        let question = self.open.values().next()?;
        let kind = match question {
            Question::Compare { .. } => "compare",
            Question::Evaluate { .. } => "evaluate",
        };
        let frames = |c: &Clip| match &c.frames {
            Some(frames) => frames.len(),
            None if self.painter.is_some() => c.len,
            None => 0,
        };
        let clips = clips_of(question).map(|c| ShownClip { id: c.id, frames: frames(c) }).collect();
        Some(Shown { id: question.id(), kind, clips })
    }

    /// A clip of an open question.
    pub fn clip(&self, id: ClipId) -> Option<Arc<Clip>> {
        self.clips.get(&id).map(|(clip, _)| clip.clone())
    }

    /// What draws clips posted without frames.
    pub fn painter(&self) -> Option<ObservationPainter> {
        self.painter.clone()
    }

    /// Checks an answer and, when it is good, stores it and hands its label on.
    pub fn answer(&mut self, query: QueryId, answer: Answer, teacher: &str) -> Result<Label, Refusal> {
        let question = match self.open.get(&query) {
            Some(q) => q,
            None if self.answered.contains(&query) => return Err(Refusal::Duplicate(query)),
            None => return Err(Refusal::UnknownQuery(query)),
        };
        check_answer(question, &answer).map_err(Refusal::Invalid)?;
        check_name(teacher).map_err(Refusal::Invalid)?;
        let label = Label {
            query,
            clips: clips_of(question).map(|c| c.id).collect(),
            answer,
            teacher: format!("web:{teacher}"),
            time_ms: now_ms(),
        };
        if let Some(journal) = &mut self.journal {
            append_line(journal, &label).map_err(|e| Refusal::Storage(e.to_string()))?;
        }
        self.close(query);
        self.labels_given += 1;
        // A dropped receiver means the teacher is gone; the label is journaled all the same.
        let _ = self.labels.send(label.clone());
        Ok(label)
    }

    /// Moves an answered question out, forgetting clips no open question shows any more.
    fn close(&mut self, query: QueryId) {
        if let Some(question) = self.open.remove(&query) {
            for clip in clips_of(&question) {
                if let Some((_, shown)) = self.clips.get_mut(&clip.id) {
                    *shown -= 1;
                    if *shown == 0 {
                        self.clips.remove(&clip.id);
                    }
                }
            }
        }
        self.answered.insert(query);
    }
}

fn clips_of(question: &Question) -> impl Iterator<Item = &Arc<Clip>> {
    let (first, second) = match question {
        Question::Compare { left, right, .. } => (left, Some(right)),
        Question::Evaluate { clip, .. } => (clip, None),
    };
    std::iter::once(first).chain(second)
}

/// Compare questions take left, right, equal or skip; evaluate questions a finite score in
/// [-1, 1] at a step of the clip, or skip.
fn check_answer(question: &Question, answer: &Answer) -> Result<(), String> {
    match (question, answer) {
        (_, Answer::Skip) => Ok(()),
        (Question::Compare { .. }, Answer::Left | Answer::Right | Answer::Equal) => Ok(()),
        (Question::Compare { .. }, Answer::Score { .. }) => {
            Err("a comparison takes left, right, equal or skip, not a score".into())
        }
        (Question::Evaluate { clip, .. }, Answer::Score { value, at }) => {
            if !value.is_finite() || value.abs() > 1.0 {
                Err(format!("score {value} is outside [-1, 1]"))
            } else if *at >= clip.len {
                Err(format!("step {at} is past the clip's {} steps", clip.len))
            } else {
                Ok(())
            }
        }
        (Question::Evaluate { .. }, _) => Err("an evaluation takes a score or skip".into()),
    }
}

fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!("teacher name {name:?}: 1 to {MAX_NAME_LEN} letters, digits, '-' or '_'"))
    }
}

/// One JSON line in a single write: a kill leaves at most a torn last line, never a mixed one.
fn append_line(file: &mut File, label: &Label) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(label).map_err(std::io::Error::other)?;
    line.push(b'\n');
    file.write_all(&line)
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    fn clip(id: ClipId, len: usize) -> Arc<Clip> {
        Arc::new(Clip {
            id,
            env: 0,
            start_step: 0,
            len,
            obs: vec![0.0; len],
            actions: vec![0.0; len],
            true_rewards: vec![0.0; len],
            frames: None,
        })
    }

    fn compare(id: QueryId) -> Question {
        Question::Compare { id, left: clip(2 * id, 3), right: clip(2 * id + 1, 3) }
    }

    #[test]
    fn an_answer_becomes_one_label_and_closes_its_question() {
        let (tx, rx) = channel();
        let mut board = Board::new(tx, None, None);
        board.post(compare(1)).unwrap();
        board.post(compare(2)).unwrap();
        assert_eq!(board.next().unwrap().id, 1);
        let label = board.answer(1, Answer::Left, "ana").unwrap();
        assert_eq!((label.clips.clone(), label.teacher.as_str()), (vec![2, 3], "web:ana"));
        assert_eq!(rx.try_recv().unwrap(), label);
        assert_eq!((board.pending(), board.labels_given(), board.next().unwrap().id), (1, 1, 2));
        assert!(board.clip(2).is_none() && board.clip(4).is_some());
    }

    #[test]
    fn duplicates_unknown_ids_and_wrong_answers_are_refused() {
        let (tx, rx) = channel();
        let mut board = Board::new(tx, None, None);
        board.post(compare(1)).unwrap();
        board.post(Question::Evaluate { id: 7, clip: clip(20, 5) }).unwrap();
        assert_eq!(board.answer(9, Answer::Left, "a"), Err(Refusal::UnknownQuery(9)));
        assert!(matches!(board.answer(1, Answer::Score { value: 1.0, at: 0 }, "a"), Err(Refusal::Invalid(_))));
        assert!(matches!(board.answer(7, Answer::Right, "a"), Err(Refusal::Invalid(_))));
        assert!(matches!(board.answer(7, Answer::Score { value: 1.0, at: 5 }, "a"), Err(Refusal::Invalid(_))));
        assert!(matches!(board.answer(7, Answer::Score { value: f32::NAN, at: 0 }, "a"), Err(Refusal::Invalid(_))));
        assert!(matches!(board.answer(1, Answer::Left, "a b"), Err(Refusal::Invalid(_))));
        board.answer(1, Answer::Equal, "a").unwrap();
        assert_eq!(board.answer(1, Answer::Left, "a"), Err(Refusal::Duplicate(1)));
        board.answer(7, Answer::Score { value: -1.0, at: 4 }, "a").unwrap();
        assert_eq!(rx.try_iter().count(), 2);
        assert!(board.post(compare(1)).is_err(), "a reused query id");
    }
}
