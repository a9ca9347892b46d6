//! What the feedback signals share: recording clips of each sub-env's recent steps, and asking
//! a teacher within a label budget without ever waiting for it.
//!
//! Both are part of a signal's checkpoint: the recorder's open windows, and the questions asked
//! and not answered yet (with their clips). A restored signal offers those questions to its new
//! teacher again, unless the labels read back already answer them, so no question is lost when
//! a run ends or stops before its teacher answers. A run killed after its last checkpoint asked
//! questions the checkpoint does not know: they come back from the label folder's `pending.bin`
//! with the teacher ([`TeacherWithHistory::waiting`]) and are offered as well, each once.

use crate::feedback::{Clip, ClipId, Labelled, QueryId, Question, Teacher, TeacherWithHistory};
use crate::models::Archive;
use limbic_agents::shaping::Transitions;
use limbic_agents::{AgentError, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The last `max_len` steps of each sub-env's running episode.
#[derive(Clone, Debug)]
pub struct ClipRecorder {
    obs_dim: usize,
    action_dim: usize,
    max_len: usize,
    open: Vec<Window>,
    next_clip: ClipId,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Window {
    start_step: u64,
    obs: Vec<f32>,
    actions: Vec<f32>,
    rewards: Vec<f32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    advice: Vec<f32>,
}

impl ClipRecorder {
    pub fn new(obs_dim: usize, action_dim: usize, num_envs: usize, max_len: usize) -> ClipRecorder {
        ClipRecorder { obs_dim, action_dim, max_len, open: vec![Window::default(); num_envs], next_clip: 0 }
    }

    /// Appends slot `slot` of `step` (taken at the run's env step `env_step`) to its sub-env's
    /// window, dropping the oldest step beyond `max_len`.
    pub fn push(&mut self, step: &Transitions, slot: usize, env_step: u64) -> Result<()> {
        let (env, envs) = (slot % step.envs, self.open.len());
        let window = self.open.get_mut(env).ok_or_else(|| {
            AgentError::Unsupported(format!("a feedback signal built for {envs} sub-envs got sub-env {env}"))
        })?;
        if window.rewards.is_empty() {
            window.start_step = env_step;
        }
        window.obs.extend_from_slice(step.obs_row(slot));
        window.actions.extend_from_slice(step.action_row(slot));
        window.rewards.push(step.rewards[slot]);
        if let Some(&advice) = step.advice.get(slot) {
            window.advice.resize(window.rewards.len() - 1, 0.0);
            window.advice.push(advice);
        }
        if window.rewards.len() > self.max_len {
            window.obs.drain(..self.obs_dim);
            window.actions.drain(..self.action_dim);
            window.rewards.remove(0);
            if !window.advice.is_empty() {
                window.advice.remove(0);
            }
            window.start_step += step.envs as u64;
        }
        Ok(())
    }

    /// Steps in sub-env `env`'s window.
    pub fn len(&self, env: usize) -> usize {
        self.open[env].rewards.len()
    }

    /// Sub-env `env`'s window as a new clip.
    pub fn clip(&mut self, env: usize) -> Arc<Clip> {
        let w = &self.open[env];
        let id = self.next_clip;
        self.next_clip += 1;
        Arc::new(Clip {
            id,
            env,
            start_step: w.start_step,
            len: w.rewards.len(),
            obs: w.obs.clone(),
            actions: w.actions.clone(),
            true_rewards: w.rewards.clone(),
            advice: w.advice.clone(),
            frames: None,
        })
    }

    pub fn clear(&mut self, env: usize) {
        self.open[env] = Window::default();
    }

    pub fn next_clip(&self) -> ClipId {
        self.next_clip
    }

    /// Never reuses an id at or below `used`.
    pub fn skip_past(&mut self, used: ClipId) {
        self.next_clip = self.next_clip.max(used + 1);
    }

    /// Puts the open windows and the next clip id into `archive`.
    pub fn save(&self, archive: &mut Archive) -> Result<()> {
        archive.put_json("recorder", &self.open)?;
        archive.put_json("recorder_next_clip", &self.next_clip)
    }

    /// Reads the open windows [`ClipRecorder::save`] wrote; nothing changes on error.
    pub fn load(&mut self, archive: &Archive) -> Result<()> {
        let open: Vec<Window> = archive.json("recorder")?;
        let (d, a) = (self.obs_dim, self.action_dim);
        let fits = |w: &Window| w.rewards.len() <= self.max_len && w.obs.len() == w.rewards.len() * d;
        if open.len() != self.open.len() || !open.iter().all(|w| fits(w) && w.actions.len() == w.rewards.len() * a) {
            return Err(archive.error(format!(
                "recorder: saved for {} sub-envs or other clip shapes, this signal records {} sub-envs",
                open.len(),
                self.open.len()
            )));
        }
        self.open = open;
        // Saved before the recorder kept it: the counters of `AskState` have it as of the last poll.
        if archive.get("recorder_next_clip").is_ok() {
            self.next_clip = self.next_clip.max(archive.json("recorder_next_clip")?);
        }
        Ok(())
    }
}

/// What [`put_clips`] stores of a clip besides its numbers.
#[derive(Serialize, Deserialize)]
struct ClipShape {
    id: ClipId,
    env: usize,
    start_step: u64,
    len: usize,
    obs: usize,
    actions: usize,
    /// Advice numbers (0 or `len`; absent in files written before clips kept advice).
    #[serde(default, skip_serializing_if = "is_zero")]
    advice: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Puts `clips` (without frames) into `archive` as section `name`: their ids and shapes as
/// JSON, their numbers as little-endian f32.
pub fn put_clips<'a>(archive: &mut Archive, name: &str, clips: impl IntoIterator<Item = &'a Arc<Clip>>) -> Result<()> {
    let (mut shapes, mut numbers) = (Vec::new(), Vec::new());
    for clip in clips {
        let (obs, actions) = (clip.obs.len(), clip.actions.len());
        let (id, env, start_step, len) = (clip.id, clip.env, clip.start_step, clip.len);
        shapes.push(ClipShape { id, env, start_step, len, obs, actions, advice: clip.advice.len() });
        numbers.extend_from_slice(&clip.obs);
        numbers.extend_from_slice(&clip.actions);
        numbers.extend_from_slice(&clip.true_rewards);
        numbers.extend_from_slice(&clip.advice);
    }
    archive.put_json(name, &shapes)?;
    archive.put_f32s(&format!("{name}.numbers"), &numbers);
    Ok(())
}

/// The clips [`put_clips`] stored as `name`, in their order.
pub fn get_clips(archive: &Archive, name: &str) -> Result<Vec<Arc<Clip>>> {
    let shapes: Vec<ClipShape> = archive.json(name)?;
    let numbers = archive.f32s(&format!("{name}.numbers"))?;
    let mut rest = numbers.as_slice();
    let mut take = |count: usize| -> Result<Vec<f32>> {
        if count > rest.len() {
            return Err(archive.error(format!("{name}: the clips' numbers are cut short")));
        }
        let (head, tail) = rest.split_at(count);
        rest = tail;
        Ok(head.to_vec())
    };
    let mut clips = Vec::with_capacity(shapes.len());
    for s in shapes {
        let (obs, actions, true_rewards, advice) = (take(s.obs)?, take(s.actions)?, take(s.len)?, take(s.advice)?);
        let (id, env, start_step, len) = (s.id, s.env, s.start_step, s.len);
        clips.push(Arc::new(Clip { id, env, start_step, len, obs, actions, true_rewards, advice, frames: None }));
    }
    if !rest.is_empty() {
        return Err(archive.error(format!("{name}: {} numbers no clip claims", rest.len())));
    }
    Ok(clips)
}

/// The asking side's counters, saved with the signal.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AskState {
    /// Questions posted (the label budget counts them).
    pub asked: usize,
    /// Labels received, including those read back at the start.
    pub received: usize,
    pub next_query: QueryId,
    pub next_clip: ClipId,
    /// Labels for questions without clips here (left out).
    #[serde(default)]
    pub stray: usize,
}

/// A teacher asked within a budget; see the [module docs](self).
pub struct Asking {
    teacher: Option<Box<dyn Teacher>>,
    budget: usize,
    pub state: AskState,
    /// Clips of the questions not answered yet.
    open: BTreeMap<QueryId, Vec<Arc<Clip>>>,
    /// Questions the labels read back at the start answer.
    answered: BTreeSet<QueryId>,
    /// Open questions attached or restored from a checkpoint, offered to the teacher at the
    /// next poll.
    unposted: Vec<QueryId>,
}

impl Asking {
    pub fn new(budget: usize) -> Asking {
        Asking {
            teacher: None,
            budget,
            state: AskState::default(),
            open: BTreeMap::new(),
            answered: BTreeSet::new(),
            unposted: Vec::new(),
        }
    }

    /// Takes the teacher; the ids of its history (labels, waiting questions, stored clips) are
    /// never issued again, its labels and waiting questions count against the budget, and the
    /// waiting questions no label answers are offered again at the next poll. Returns the
    /// labels to learn from.
    pub fn attach(&mut self, attached: TeacherWithHistory, recorder: &mut ClipRecorder) -> Vec<Labelled> {
        for item in &attached.history {
            self.state.next_query = self.state.next_query.max(item.label.query + 1);
            item.label.clips.iter().for_each(|&c| recorder.skip_past(c));
            self.answered.insert(item.label.query);
        }
        for question in attached.waiting.iter().filter(|q| !self.answered.contains(&q.id())) {
            self.state.next_query = self.state.next_query.max(question.id() + 1);
            let clips = question.clips();
            clips.iter().for_each(|c| recorder.skip_past(c.id));
            self.open.insert(question.id(), clips);
        }
        if let Some(last) = attached.last_clip {
            recorder.skip_past(last);
        }
        self.state.asked = self.state.asked.max(attached.history.len() + self.open.len());
        self.state.received = self.state.received.max(attached.history.len());
        self.unposted = self.open.keys().copied().collect();
        self.teacher = Some(attached.teacher);
        attached.history
    }

    /// Restores saved counters, keeping ids already past them.
    pub fn restore(&mut self, saved: AskState, recorder: &mut ClipRecorder) {
        self.state.asked = self.state.asked.max(saved.asked);
        self.state.received = self.state.received.max(saved.received);
        self.state.next_query = self.state.next_query.max(saved.next_query);
        self.state.stray = saved.stray;
        if saved.next_clip > 0 {
            recorder.skip_past(saved.next_clip - 1);
        }
    }

    /// Puts the counters and the open questions (with their clips) into `archive`.
    pub fn save(&self, archive: &mut Archive) -> Result<()> {
        archive.put_json("asked", &self.state)?;
        let open: Vec<(QueryId, Vec<ClipId>)> =
            self.open.iter().map(|(&q, clips)| (q, clips.iter().map(|c| c.id).collect())).collect();
        archive.put_json("open", &open)?;
        let mut clips = BTreeMap::new();
        for clip in self.open.values().flatten() {
            clips.insert(clip.id, clip);
        }
        put_clips(archive, "open_clips", clips.into_values())?;
        archive.put_json("teacher", &self.teacher.as_ref().and_then(|t| t.state()))
    }

    /// Reads what [`Asking::save`] wrote (after [`Asking::attach`]): the counters, and the
    /// open questions the labels read back do not answer, to offer again at the next poll,
    /// together with the waiting questions attached (each once).
    pub fn load(&mut self, archive: &Archive, recorder: &mut ClipRecorder) -> Result<()> {
        let saved: AskState = archive.json("asked")?;
        let open = match archive.get("open") {
            Ok(_) => {
                let questions: Vec<(QueryId, Vec<ClipId>)> = archive.json("open")?;
                let clips: BTreeMap<ClipId, Arc<Clip>> =
                    get_clips(archive, "open_clips")?.into_iter().map(|c| (c.id, c)).collect();
                let mut open = BTreeMap::new();
                for (query, ids) in questions.into_iter().filter(|(q, _)| !self.answered.contains(q)) {
                    let found: Option<Vec<Arc<Clip>>> = ids.iter().map(|id| clips.get(id).cloned()).collect();
                    let found = found.filter(|c| matches!(c.len(), 1 | 2));
                    open.insert(
                        query,
                        found.ok_or_else(|| archive.error(format!("open question {query}: bad clips")))?,
                    );
                }
                open
            }
            // Saved before open questions were kept.
            Err(_) => BTreeMap::new(),
        };
        // A teacher of the same kind continues its draws (a synthetic one answers at once, so
        // the labels it gave are all read back).
        let teacher_state: Option<serde_json::Value> = archive.json("teacher").unwrap_or(None);
        if let (Some(teacher), Some(state)) = (self.teacher.as_mut(), &teacher_state) {
            teacher.restore(state)?;
        }
        self.restore(saved, recorder);
        for (query, clips) in open {
            self.open.entry(query).or_insert(clips);
        }
        self.unposted = self.open.keys().copied().collect();
        Ok(())
    }

    /// Questions the budget still allows (0 without a teacher).
    pub fn room(&self) -> usize {
        if self.teacher.is_some() {
            self.budget.saturating_sub(self.state.asked)
        } else {
            0
        }
    }

    pub fn wants_frames(&self) -> bool {
        self.teacher.as_ref().is_some_and(|t| t.wants_frames())
    }

    /// Posts the question `make` builds with a fresh id (when the budget allows).
    pub fn ask(&mut self, make: impl FnOnce(QueryId) -> Question) -> Result<()> {
        if self.room() == 0 {
            return Ok(());
        }
        let question = make(self.state.next_query);
        self.state.next_query += 1;
        self.state.asked += 1;
        self.open.insert(question.id(), question.clips());
        self.teacher.as_mut().map_or(Ok(()), |t| t.post(question))
    }

    /// The labels that arrived, with their clips. A label for a question this signal has no
    /// clips for (asked before a restart) is left out (it stays in the label file) and counted.
    /// Questions attached or restored from a checkpoint are offered to the teacher first.
    pub fn poll(&mut self, recorder: &ClipRecorder) -> Result<Vec<Labelled>> {
        let Some(teacher) = self.teacher.as_mut() else { return Ok(Vec::new()) };
        for query in std::mem::take(&mut self.unposted) {
            if let Some(question) = self.open.get(&query).and_then(|clips| Question::of_clips(query, clips)) {
                teacher.post(question)?;
            }
        }
        let mut labelled = Vec::new();
        for label in teacher.poll()? {
            match self.open.remove(&label.query) {
                Some(clips) => labelled.push(Labelled { label, clips }),
                None => self.state.stray += 1,
            }
        }
        self.state.received += labelled.len();
        self.state.next_clip = recorder.next_clip();
        Ok(labelled)
    }

    /// `labels`, `pending` and `budget_left` for the metrics.
    pub fn metrics(&self, out: &mut BTreeMap<String, f64>) {
        out.insert("labels".into(), self.state.received as f64);
        out.insert("pending".into(), self.teacher.as_ref().map_or(0, |t| t.pending()) as f64);
        out.insert("budget_left".into(), self.room() as f64);
        if self.state.stray > 0 {
            out.insert("stray_labels".into(), self.state.stray as f64);
        }
    }
}
