//! The board: the questions the web teachers of a page have posted and not yet seen answered,
//! shared by the training loop (which posts) and the server (which shows them and takes
//! answers). One page serves every feedback signal of a run: each signal has a desk (its name,
//! its label channel, its own query and clip ids), and the page shows the oldest open question
//! of any desk.
//!
//! Every answer is checked here, in one place: the question must be one the desk issued and
//! still open (a second answer to the same question is refused, so a label is never counted
//! twice), and the answer must fit the question's kind. An accepted answer becomes a [`Label`],
//! goes to the optional journal before it is acknowledged, and then to its desk's channel.

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

/// Names a desk: its place on the board.
pub type DeskId = usize;

/// Why an answer was refused; each maps to one HTTP status.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No signal of that name asks at this page.
    UnknownSignal(String),
    /// The desk never issued this question id.
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
            Refusal::UnknownSignal(name) => write!(f, "no signal {name:?} asks at this page"),
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
    /// The signal that asks (its desk's name).
    pub signal: String,
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

/// One signal's side of the board.
struct Desk {
    signal: String,
    labels: Sender<Label>,
    /// Every id ever posted here and answered (answers to these are duplicates).
    answered: HashSet<QueryId>,
    open: usize,
    labels_given: u64,
}

/// The posted questions and what became of them.
pub struct Board {
    desks: Vec<Desk>,
    /// Open questions with their desk, by post number (the oldest first).
    open: BTreeMap<u64, (DeskId, Question)>,
    /// The post number of each open question.
    posted: HashMap<(DeskId, QueryId), u64>,
    next_post: u64,
    /// The clips of open questions, with the number of open questions showing each (a clip can
    /// be in several questions).
    clips: HashMap<(DeskId, ClipId), (Arc<Clip>, usize)>,
    labels_given: u64,
    journal: Option<File>,
    /// Draws the frames of clips posted without them.
    painter: Option<ObservationPainter>,
}

impl Board {
    /// An empty board appending each accepted label to `journal` first if given; `painter`
    /// draws the frames of clips posted without them.
    pub fn new(journal: Option<File>, painter: Option<ObservationPainter>) -> Board {
        Board {
            desks: Vec::new(),
            open: BTreeMap::new(),
            posted: HashMap::new(),
            next_post: 0,
            clips: HashMap::new(),
            labels_given: 0,
            journal,
            painter,
        }
    }

    /// A desk for signal `signal`, whose accepted labels go to `labels`; a name taken is refused.
    pub fn add_desk(&mut self, signal: &str, labels: Sender<Label>) -> Result<DeskId, String> {
        if self.desk(Some(signal)).is_some() {
            return Err(format!("signal {signal:?} asks at this page already"));
        }
        let (answered, open, labels_given) = (HashSet::new(), 0, 0);
        self.desks.push(Desk { signal: signal.to_string(), labels, answered, open, labels_given });
        Ok(self.desks.len() - 1)
    }

    /// The desk of signal `signal`; without a name, the first.
    pub fn desk(&self, signal: Option<&str>) -> Option<DeskId> {
        match signal {
            Some(name) => self.desks.iter().position(|d| d.signal == name),
            None => (!self.desks.is_empty()).then_some(0),
        }
    }

    /// Adds a question to `desk`; a repeated id is refused (ids name a question for the life of a run).
    pub fn post(&mut self, desk: DeskId, question: Question) -> Result<(), String> {
        let id = question.id();
        if self.posted.contains_key(&(desk, id)) || self.desks[desk].answered.contains(&id) {
            return Err(format!("question {id} was posted twice (query ids are never reused)"));
        }
        for clip in clips_of(&question) {
            self.clips.entry((desk, clip.id)).or_insert_with(|| (clip.clone(), 0)).1 += 1;
        }
        self.posted.insert((desk, id), self.next_post);
        self.open.insert(self.next_post, (desk, question));
        self.next_post += 1;
        self.desks[desk].open += 1;
        Ok(())
    }

    /// Questions posted and not answered yet, of every desk.
    pub fn pending(&self) -> usize {
        self.open.len()
    }

    /// Questions of `desk` not answered yet.
    pub fn pending_at(&self, desk: DeskId) -> usize {
        self.desks[desk].open
    }

    /// Labels given at the page, of every desk.
    pub fn labels_given(&self) -> u64 {
        self.labels_given
    }

    /// Labels given to `desk`.
    pub fn labels_given_at(&self, desk: DeskId) -> u64 {
        self.desks[desk].labels_given
    }

    /// The oldest open question, as the page shows it.
    pub fn next(&self) -> Option<Shown> {
        let (desk, question) = self.open.values().next()?;
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
        Some(Shown { signal: self.desks[*desk].signal.clone(), id: question.id(), kind, clips })
    }

    /// A clip of an open question of `desk`.
    pub fn clip(&self, desk: DeskId, id: ClipId) -> Option<Arc<Clip>> {
        self.clips.get(&(desk, id)).map(|(clip, _)| clip.clone())
    }

    /// What draws clips posted without frames.
    pub fn painter(&self) -> Option<ObservationPainter> {
        self.painter.clone()
    }

    /// Checks an answer to a question of `desk` and, when it is good, stores it and hands its
    /// label on.
    pub fn answer(&mut self, desk: DeskId, query: QueryId, answer: Answer, teacher: &str) -> Result<Label, Refusal> {
        let question = match self.posted.get(&(desk, query)) {
            Some(post) => &self.open[post].1,
            None if self.desks[desk].answered.contains(&query) => return Err(Refusal::Duplicate(query)),
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
        self.close(desk, query);
        self.labels_given += 1;
        self.desks[desk].labels_given += 1;
        // A dropped receiver means the teacher is gone; the label is journaled all the same.
        let _ = self.desks[desk].labels.send(label.clone());
        Ok(label)
    }

    /// Moves an answered question out, forgetting clips no open question shows any more.
    fn close(&mut self, desk: DeskId, query: QueryId) {
        if let Some((_, question)) = self.posted.remove(&(desk, query)).and_then(|post| self.open.remove(&post)) {
            for clip in clips_of(&question) {
                if let Some((_, shown)) = self.clips.get_mut(&(desk, clip.id)) {
                    *shown -= 1;
                    if *shown == 0 {
                        self.clips.remove(&(desk, clip.id));
                    }
                }
            }
            self.desks[desk].open -= 1;
        }
        self.desks[desk].answered.insert(query);
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
            advice: Vec::new(),
            frames: None,
        })
    }

    fn compare(id: QueryId) -> Question {
        Question::Compare { id, left: clip(2 * id, 3), right: clip(2 * id + 1, 3) }
    }

    #[test]
    fn an_answer_becomes_one_label_and_closes_its_question() {
        let (tx, rx) = channel();
        let mut board = Board::new(None, None);
        let desk = board.add_desk("preferences", tx).unwrap();
        board.post(desk, compare(1)).unwrap();
        board.post(desk, compare(2)).unwrap();
        assert_eq!(board.next().unwrap().id, 1);
        let label = board.answer(desk, 1, Answer::Left, "ana").unwrap();
        assert_eq!((label.clips.clone(), label.teacher.as_str()), (vec![2, 3], "web:ana"));
        assert_eq!(rx.try_recv().unwrap(), label);
        assert_eq!((board.pending(), board.labels_given(), board.next().unwrap().id), (1, 1, 2));
        assert!(board.clip(desk, 2).is_none() && board.clip(desk, 4).is_some());
    }

    #[test]
    fn duplicates_unknown_ids_and_wrong_answers_are_refused() {
        let (tx, rx) = channel();
        let mut board = Board::new(None, None);
        let desk = board.add_desk("evaluative", tx.clone()).unwrap();
        assert!(board.add_desk("evaluative", tx).is_err(), "a signal name taken");
        board.post(desk, compare(1)).unwrap();
        board.post(desk, Question::Evaluate { id: 7, clip: clip(20, 5) }).unwrap();
        assert_eq!(board.answer(desk, 9, Answer::Left, "a"), Err(Refusal::UnknownQuery(9)));
        assert!(matches!(board.answer(desk, 1, Answer::Score { value: 1.0, at: 0 }, "a"), Err(Refusal::Invalid(_))));
        assert!(matches!(board.answer(desk, 7, Answer::Right, "a"), Err(Refusal::Invalid(_))));
        assert!(matches!(board.answer(desk, 7, Answer::Score { value: 1.0, at: 5 }, "a"), Err(Refusal::Invalid(_))));
        let nan = Answer::Score { value: f32::NAN, at: 0 };
        assert!(matches!(board.answer(desk, 7, nan, "a"), Err(Refusal::Invalid(_))));
        assert!(matches!(board.answer(desk, 1, Answer::Left, "a b"), Err(Refusal::Invalid(_))));
        board.answer(desk, 1, Answer::Equal, "a").unwrap();
        assert_eq!(board.answer(desk, 1, Answer::Left, "a"), Err(Refusal::Duplicate(1)));
        board.answer(desk, 7, Answer::Score { value: -1.0, at: 4 }, "a").unwrap();
        assert_eq!(rx.try_iter().count(), 2);
        assert!(board.post(desk, compare(1)).is_err(), "a reused query id");
    }

    /// Two signals at one page: the same query and clip ids name different questions and clips,
    /// the oldest question of either comes first, and each label reaches its own signal.
    #[test]
    fn desks_keep_their_signals_apart() {
        let ((tx_a, rx_a), (tx_b, rx_b)) = (channel(), channel());
        let mut board = Board::new(None, None);
        let a = board.add_desk("preferences", tx_a).unwrap();
        let b = board.add_desk("evaluative", tx_b).unwrap();
        assert_eq!((board.desk(None), board.desk(Some("evaluative")), board.desk(Some("x"))), (Some(a), Some(b), None));
        board.post(b, Question::Evaluate { id: 0, clip: clip(0, 4) }).unwrap();
        board.post(a, compare(0)).unwrap();
        let first = board.next().unwrap();
        assert_eq!((first.signal.as_str(), first.id, first.kind), ("evaluative", 0, "evaluate"));
        assert_eq!((board.clip(a, 0).unwrap().len, board.clip(b, 0).unwrap().len), (3, 4));
        assert!(matches!(board.answer(b, 0, Answer::Left, "p"), Err(Refusal::Invalid(_))));
        board.answer(b, 0, Answer::Score { value: 1.0, at: 2 }, "p").unwrap();
        assert_eq!((board.pending(), board.pending_at(a), board.pending_at(b)), (1, 1, 0));
        assert_eq!(board.next().unwrap().signal, "preferences");
        board.answer(a, 0, Answer::Right, "p").unwrap();
        assert_eq!(board.answer(a, 0, Answer::Right, "p"), Err(Refusal::Duplicate(0)));
        assert_eq!((rx_a.try_iter().count(), rx_b.try_iter().count()), (1, 1));
        assert_eq!((board.labels_given(), board.labels_given_at(a), board.labels_given_at(b)), (2, 1, 1));
    }
}
