//! The label file of a run: every label a teacher gives, kept so a run can resume and another
//! run can start from them.
//!
//! A folder holds two JSON-lines files: `labels.jsonl` (one [`Label`] a line) and `clips.jsonl`
//! (one [`StoredClip`] a line: the clips the labels name, without frames). Each append is one
//! write of whole lines followed by an fsync, clips before the labels that name them, so a
//! killed run leaves whole lines behind. Reading checks every line: a line that is not a label
//! or a clip, or a label naming a clip the folder lacks, is an error naming the file and line.
//!
//! [`Recorded`] wraps any [`Teacher`] so that every clip it is shown and every label it gives
//! lands in the folder, and keeps `pending.bin`: the questions posted and not answered yet
//! (written atomically, with a checksum, whenever they change at a poll). When a run ends or
//! stops before its teacher answers, they are still there: `limbic teach --run DIR` offers them
//! and the labels given land in `labels.jsonl`, for the run resumed or another run to use. A run
//! resumed reads the folder back ([`LabelFile::read_back`]): it may have asked more than its
//! last checkpoint knows before it was killed.

use crate::feedback::{Clip, ClipId, Label, Labelled, QueryId, Question, Teacher, TeacherWithHistory};
use crate::models::Archive;
use limbic_agents::{AgentError, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const LABELS_FILE: &str = "labels.jsonl";
pub const CLIPS_FILE: &str = "clips.jsonl";
pub const PENDING_FILE: &str = "pending.bin";

/// The questions of `pending.bin`: each query id with the ids of the clips it shows (two for a
/// comparison, one for an evaluation).
pub type PendingQuestions = BTreeMap<QueryId, Vec<ClipId>>;

/// A clip as `clips.jsonl` stores it (frames are not stored: they can be rendered again).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredClip {
    pub id: ClipId,
    pub env: usize,
    pub start_step: u64,
    pub len: usize,
    pub obs: Vec<f32>,
    pub actions: Vec<f32>,
    pub true_rewards: Vec<f32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advice: Vec<f32>,
}

impl StoredClip {
    fn of(clip: &Clip) -> StoredClip {
        StoredClip {
            id: clip.id,
            env: clip.env,
            start_step: clip.start_step,
            len: clip.len,
            obs: clip.obs.clone(),
            actions: clip.actions.clone(),
            true_rewards: clip.true_rewards.clone(),
            advice: clip.advice.clone(),
        }
    }

    fn into_clip(self) -> Clip {
        let StoredClip { id, env, start_step, len, obs, actions, true_rewards, advice } = self;
        Clip { id, env, start_step, len, obs, actions, true_rewards, advice, frames: None }
    }
}

/// A folder of labels and clips, appended to as labels arrive.
#[derive(Debug)]
pub struct LabelFile {
    dir: PathBuf,
    /// Clips already in `clips.jsonl`.
    stored: HashSet<ClipId>,
}

impl LabelFile {
    /// The folder `dir` (created at the first append); clips already stored there are known.
    pub fn open(dir: &Path) -> Result<LabelFile> {
        let stored = match read_lines::<StoredClip>(&dir.join(CLIPS_FILE)) {
            Ok(clips) => clips.into_iter().map(|c| c.id).collect(),
            Err(_) if !dir.join(CLIPS_FILE).exists() => HashSet::new(),
            Err(e) => return Err(e),
        };
        Ok(LabelFile { dir: dir.to_path_buf(), stored })
    }

    pub fn labels_path(&self) -> PathBuf {
        self.dir.join(LABELS_FILE)
    }

    /// Stores the clips not stored yet.
    pub fn append_clips<'a>(&mut self, clips: impl IntoIterator<Item = &'a Clip>) -> Result<()> {
        let mut lines = Vec::new();
        for clip in clips {
            if self.stored.insert(clip.id) {
                lines.push(StoredClip::of(clip));
            }
        }
        append_lines(&self.dir, CLIPS_FILE, &lines)
    }

    pub fn append_labels(&mut self, labels: &[Label]) -> Result<()> {
        append_lines(&self.dir, LABELS_FILE, labels)
    }

    /// Replaces `pending.bin` with `questions`, atomically.
    pub fn write_pending(&self, questions: &PendingQuestions) -> Result<()> {
        let mut archive = Archive::new(PENDING_FILE);
        archive.put_json("questions", questions)?;
        let path = self.dir.join(PENDING_FILE);
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| AgentError::Io(format!("cannot create {}: {e}", self.dir.display())))?;
        limbic_environments::render::write_atomically(&path, &archive.encode()?)
            .map_err(|e| AgentError::Io(format!("cannot write {}: {e}", path.display())))
    }

    /// The questions waiting in folder `dir` (none without a `pending.bin`) as they were
    /// posted, with their clips from `clips.jsonl`; a corrupt file is an error naming it.
    pub fn read_pending(dir: &Path) -> Result<Vec<Question>> {
        let path = dir.join(PENDING_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(AgentError::Io(format!("cannot read {}: {e}", path.display()))),
        };
        let named = |e: AgentError| AgentError::Io(format!("{}: {e}", path.display()));
        let questions: PendingQuestions =
            Archive::decode(PENDING_FILE, &bytes).and_then(|a| a.json("questions")).map_err(named)?;
        let clips = read_clips(&dir.join(CLIPS_FILE))?;
        let clip = |id: &ClipId| {
            clips
                .get(id)
                .cloned()
                .ok_or_else(|| AgentError::Io(format!("{}: names clip {id}, which {CLIPS_FILE} lacks", path.display())))
        };
        questions
            .iter()
            .map(|(&id, ids)| {
                let clips = ids.iter().map(clip).collect::<Result<Vec<_>>>()?;
                Question::of_clips(id, &clips).ok_or_else(|| {
                    AgentError::Io(format!("{}: question {id} names {} clips", path.display(), ids.len()))
                })
            })
            .collect()
    }

    /// The highest clip id stored in the folder (`None`: no clip yet).
    pub fn last_clip(&self) -> Option<ClipId> {
        self.stored.iter().max().copied()
    }

    /// What the folder `dir` holds for its run resumed, added to `attached`: its labels, the
    /// questions still waiting and the highest clip id stored (a question asked after the
    /// run's last checkpoint is known here only).
    pub fn read_back(dir: &Path, attached: &mut TeacherWithHistory) -> Result<()> {
        attached.history.extend(LabelFile::read(&dir.join(LABELS_FILE))?);
        attached.waiting = LabelFile::read_pending(dir)?;
        attached.last_clip = LabelFile::open(dir)?.last_clip();
        Ok(())
    }

    /// Every label of the label file at `path` with its clips (read from `clips.jsonl` beside
    /// it); a missing file is no labels.
    pub fn read(path: &Path) -> Result<Vec<Labelled>> {
        if !path.exists() {
            return Ok(Vec::new());
        }
        let clips_path = path.with_file_name(CLIPS_FILE);
        let clips = read_clips(&clips_path)?;
        let mut labelled = Vec::new();
        for (i, label) in read_lines::<Label>(path)?.into_iter().enumerate() {
            let found: Option<Vec<Arc<Clip>>> = label.clips.iter().map(|id| clips.get(id).cloned()).collect();
            let clips = found.ok_or_else(|| {
                AgentError::Io(format!(
                    "{}:{}: the label names clips {:?}, not all of them are in {}",
                    path.display(),
                    i + 1,
                    label.clips,
                    clips_path.display()
                ))
            })?;
            labelled.push(Labelled { label, clips });
        }
        Ok(labelled)
    }
}

/// The clips of `clips.jsonl` at `path` by id; none if there is no such file.
fn read_clips(path: &Path) -> Result<BTreeMap<ClipId, Arc<Clip>>> {
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    Ok(read_lines::<StoredClip>(path)?.into_iter().map(|c| (c.id, Arc::new(c.into_clip()))).collect())
}

/// Appends `items` as JSON lines to `dir/name` in one write, then fsyncs.
fn append_lines<T: Serialize>(dir: &Path, name: &str, items: &[T]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let path = dir.join(name);
    let io = |e: std::io::Error| AgentError::Io(format!("cannot append to {}: {e}", path.display()));
    let mut bytes = Vec::new();
    for item in items {
        serde_json::to_writer(&mut bytes, item).map_err(|e| AgentError::Io(e.to_string()))?;
        bytes.push(b'\n');
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(io)?;
    file.write_all(&bytes).map_err(io)?;
    file.sync_data().map_err(io)
}

/// Every line of `path` as a `T`; a line that is not one is an error naming it.
fn read_lines<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AgentError::Io(format!("cannot read the label file {}: {e}", path.display())))?;
    let mut items = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let item = serde_json::from_str(line).map_err(|e| {
            AgentError::Io(format!(
                "{}:{}: corrupt line ({e}); the file may have been edited or cut",
                path.display(),
                i + 1
            ))
        })?;
        items.push(item);
    }
    Ok(items)
}

/// A teacher whose clips and labels are appended to a [`LabelFile`] as they pass, and whose
/// unanswered questions are kept in its `pending.bin`.
pub struct Recorded {
    inner: Box<dyn Teacher>,
    file: LabelFile,
    /// Questions posted and not answered yet.
    pending: PendingQuestions,
    /// What `pending.bin` holds (`None`: not written by this teacher yet).
    written: Option<PendingQuestions>,
}

impl Recorded {
    pub fn new(inner: Box<dyn Teacher>, file: LabelFile) -> Recorded {
        Recorded { inner, file, pending: BTreeMap::new(), written: None }
    }

    /// Writes `pending.bin` when the questions changed since it was last written.
    fn keep_pending(&mut self) -> Result<()> {
        if self.written.as_ref() != Some(&self.pending) {
            self.file.write_pending(&self.pending)?;
            self.written = Some(self.pending.clone());
        }
        Ok(())
    }
}

impl Teacher for Recorded {
    fn kind(&self) -> &str {
        self.inner.kind()
    }

    fn wants_frames(&self) -> bool {
        self.inner.wants_frames()
    }

    fn post(&mut self, question: Question) -> Result<()> {
        let clips = question.clips();
        self.file.append_clips(clips.iter().map(Arc::as_ref))?;
        self.pending.insert(question.id(), clips.iter().map(|c| c.id).collect());
        self.inner.post(question)
    }

    /// The labels given since the last poll, stored before they are returned; then
    /// `pending.bin` if the questions waiting changed.
    fn poll(&mut self) -> Result<Vec<Label>> {
        let labels = self.inner.poll()?;
        self.file.append_labels(&labels)?;
        for label in &labels {
            self.pending.remove(&label.query);
        }
        self.keep_pending()?;
        Ok(labels)
    }

    fn pending(&self) -> usize {
        self.inner.pending()
    }

    fn state(&self) -> Option<serde_json::Value> {
        self.inner.state()
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<()> {
        self.inner.restore(state)
    }
}

impl Drop for Recorded {
    /// Questions posted since the last poll are kept too (best effort: a failure here was
    /// reported by the poll before or has no one left to report to). A teacher that never
    /// posted nor polled leaves the file as it found it.
    fn drop(&mut self) {
        if self.written.is_some() || !self.pending.is_empty() {
            let _ = self.keep_pending();
        }
    }
}
