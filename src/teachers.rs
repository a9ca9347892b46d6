//! The teacher factory: who answers a feedback signal's questions (`preferences`,
//! `evaluative`), by the kind `--teacher` names, and where the labels go.
//!
//! Every teacher is wrapped in [`Recorded`], so each label lands in the run's label file
//! `RUN/feedback/<signal label>/labels.jsonl` (clips beside it in `clips.jsonl`). A resumed run
//! reads its own label file back; a signal's `labels` parameter names another run's to start
//! from (read first). The questions a run left unanswered (`pending.bin` beside the labels) are
//! offered again by the run resumed (with those its checkpoint knows, each once: a run killed
//! after its last checkpoint asked more), or on their own by [`teach_pending`] (`limbic teach
//! --run DIR` on a finished run).

use crate::env_maker::EnvMaker;
use crate::teach::{ServeOptions, TeachingPage, WebTeacher};
use anyhow::{bail, Context, Result};
use limbic_rewards::feedback::{Teacher, TeacherRequest, TeacherWithHistory};
use limbic_rewards::labels::{LabelFile, Recorded, LABELS_FILE};
use limbic_rewards::teachers::SyntheticTeacher;
use serde::Deserialize;
use std::cell::RefCell;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The folder of a run that holds its label files.
pub const FEEDBACK_DIR: &str = "feedback";

/// Where a run keeps its labels, and whether it is resuming (then its own labels are read back).
#[derive(Clone, Debug)]
pub struct Teaching<'a> {
    pub run_dir: &'a Path,
    pub resume: bool,
    pub seed: u64,
    /// The run's env: the web teacher draws clips from its observations.
    pub env: &'a EnvMaker,
    /// A person at the page answers every feedback signal, whatever teacher its config names
    /// (`limbic teach --run DIR`).
    pub web: Option<&'a WebSettings>,
    /// The page every web teacher of the run asks at, started by the first (with its settings).
    pub page: RefCell<Option<TeachingPage>>,
}

/// The web teacher's settings (`teacher_params` with `teacher = "web"`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    /// Where the page is served (default 127.0.0.1, any free port).
    pub addr: Option<SocketAddr>,
    /// Serve on a non-loopback address.
    #[serde(default)]
    pub allow_remote: bool,
    /// Frames per second the page plays clips at (default: the env's).
    pub fps: Option<u32>,
}

impl Teaching<'_> {
    /// The folder of signal `label`'s label file.
    pub fn label_dir(&self, label: &str) -> PathBuf {
        self.run_dir.join(FEEDBACK_DIR).join(label)
    }

    /// The teacher for signal `label`'s request, recording into the run's label file, and the
    /// labels to start from.
    pub fn teacher(&self, label: &str, request: &TeacherRequest) -> Result<TeacherWithHistory> {
        let kind = if self.web.is_some() { crate::teach::KIND } else { request.kind.as_str() };
        let teacher: Box<dyn Teacher> = match kind {
            "web" => Box::new(self.web_teacher(label, &request.params)?),
            kind => {
                let seed = self.seed
                    ^ label
                        .bytes()
                        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
                Box::new(SyntheticTeacher::new(kind, &request.params, seed)?)
            }
        };
        let dir = self.label_dir(label);
        let own = dir.join(LABELS_FILE);
        let mut history = Vec::new();
        // The run's own file (named when resuming) is read back below, once.
        let names_own = |from: &Path| matches!((from.canonicalize(), own.canonicalize()), (Ok(a), Ok(b)) if a == b);
        if let Some(from) = request.labels_from.as_deref().map(Path::new).filter(|from| !names_own(from)) {
            history =
                LabelFile::read(from).with_context(|| format!("reading the labels to start from ({label}.labels)"))?;
            if history.is_empty() && !from.exists() {
                bail!("{label}.labels: no label file at {}", from.display());
            }
        }
        let file = LabelFile::open(&dir)?;
        let mut attached = TeacherWithHistory::with_history(Box::new(Recorded::new(teacher, file)), history);
        if self.resume {
            LabelFile::read_back(&dir, &mut attached).context("reading the run's labels and waiting questions back")?;
        }
        Ok(attached)
    }

    /// Signal `label`'s teacher at the run's page for a person, serving while the run trains:
    /// clips are drawn from their observations (so the env's rows must determine its picture),
    /// the URL with its access token is printed before the first step, once per signal (the
    /// same page for all: the first signal's settings start it).
    fn web_teacher(&self, label: &str, params: &serde_json::Value) -> Result<WebTeacher> {
        let settings: WebSettings = match (self.web, params) {
            (Some(settings), _) => settings.clone(),
            (None, serde_json::Value::Object(map)) if map.is_empty() => WebSettings::default(),
            (None, _) => serde_json::from_value(params.clone())
                .with_context(|| format!("{label}.teacher_params for the web teacher (addr, allow_remote, fps)"))?,
        };
        if let Some(page) = self.page.borrow().as_ref() {
            return self.announce(label, page.teacher(label)?);
        }
        let env = self.env.make()?;
        let Some(painter) = env.observation_painter() else {
            bail!(
                "the web teacher draws clips from observations, and {}'s observations{} do not determine a picture; \
                 use a classic-control or MiniGrid env without observation wrappers, or a synthetic teacher",
                self.env.id,
                if self.env.wrappers.is_empty() { "" } else { " (after its wrappers)" }
            );
        };
        let defaults = ServeOptions::default();
        let options = ServeOptions {
            addr: settings.addr.unwrap_or(defaults.addr),
            allow_remote: settings.allow_remote,
            run_dir: Some(self.run_dir.to_path_buf()),
            fps: settings.fps.unwrap_or_else(|| env.render_fps()),
            journal: None,
            painter: Some(painter),
        };
        let page = TeachingPage::start(&options).with_context(|| format!("starting {label}'s web teacher"))?;
        *self.page.borrow_mut() = Some(page.clone());
        self.announce(label, page.teacher(label)?)
    }

    /// Prints where `label` is taught: the first lines of the run's output (its report comes at
    /// the end).
    fn announce(&self, label: &str, teacher: WebTeacher) -> Result<WebTeacher> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{label}: teach at {}", teacher.url()).and_then(|_| out.flush())?;
        Ok(teacher)
    }
}

/// Offers the questions a run left unanswered (`RUN/feedback/<signal>/pending.bin`) at the web
/// page, one page for all signals (its URL printed first, as training does), until every one is
/// answered (or skipped); each label lands in the signal's label file and is printed as a JSON
/// line (with the `signal` it answers). Returns the questions offered: 0 when none were waiting (then nothing is served).
pub fn teach_pending(run_dir: &Path, env: &EnvMaker, settings: &WebSettings) -> Result<usize> {
    let teaching = Teaching { run_dir, resume: false, seed: 0, env, web: Some(settings), page: Default::default() };
    let mut labels: Vec<String> = match std::fs::read_dir(run_dir.join(FEEDBACK_DIR)) {
        Ok(entries) => entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", run_dir.join(FEEDBACK_DIR).display())),
    };
    labels.sort();
    let (mut teachers, mut offered) = (Vec::new(), 0);
    for label in labels {
        let dir = teaching.label_dir(&label);
        let questions = LabelFile::read_pending(&dir).with_context(|| format!("{label}'s waiting questions"))?;
        if questions.is_empty() {
            continue;
        }
        let mut teacher =
            Recorded::new(Box::new(teaching.web_teacher(&label, &serde_json::json!({}))?), LabelFile::open(&dir)?);
        offered += questions.len();
        for question in questions {
            teacher.post(question)?;
        }
        teachers.push((label, teacher));
    }
    if offered > 0 {
        eprintln!("{offered} questions waiting at the page; each label given is printed here");
    }
    let mut out = std::io::stdout().lock();
    loop {
        let done = teachers.iter().all(|(_, t)| t.pending() == 0);
        for (signal, teacher) in &mut teachers {
            for label in teacher.poll()? {
                let mut line = serde_json::to_value(&label)?;
                line["signal"] = signal.as_str().into();
                writeln!(out, "{line}").and_then(|_| out.flush())?;
            }
        }
        if done {
            return Ok(offered);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use limbic_environments::Kwargs;
    use limbic_rewards::feedback::{Clip, Question, QuestionKind};
    use std::sync::Arc;

    fn request(kind: &str, labels_from: Option<String>) -> TeacherRequest {
        TeacherRequest {
            kind: kind.into(),
            params: serde_json::json!({}),
            question: QuestionKind::Compare,
            labels_from,
        }
    }

    fn clip(id: u64, reward: f32) -> Arc<Clip> {
        let (obs, actions, true_rewards) = (vec![0.0; 4], vec![0.0], vec![reward]);
        Arc::new(Clip {
            id,
            env: 0,
            start_step: 0,
            len: 1,
            obs,
            actions,
            true_rewards,
            advice: Vec::new(),
            frames: None,
        })
    }

    #[test]
    fn synthetic_teachers_record_and_a_resumed_run_reads_its_labels_back() {
        let dir = std::env::temp_dir().join(format!("limbic-teachers-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let env = EnvMaker::new("CartPole-v1", &Kwargs::new());
        let fresh = Teaching { run_dir: &dir, resume: false, seed: 1, env: &env, web: None, page: Default::default() };
        let error = fresh.teacher("preferences", &request("oracel", None)).err().unwrap().to_string();
        assert!(error.contains("oracel"), "{error}");
        let attached = fresh.teacher("preferences", &request("oracle", None)).unwrap();
        let mut teacher = attached.teacher;
        assert!(attached.history.is_empty());
        teacher.post(Question::Compare { id: 0, left: clip(0, 1.0), right: clip(1, 0.0) }).unwrap();
        assert_eq!(teacher.poll().unwrap().len(), 1);
        let resumed = Teaching { resume: true, page: Default::default(), ..fresh };
        let history = resumed.teacher("preferences", &request("oracle", None)).unwrap().history;
        assert_eq!(history.len(), 1);
        // Its own file named as the labels to start from is still read once.
        let path = fresh.label_dir("preferences").join(LABELS_FILE).display().to_string();
        let history = resumed.teacher("preferences", &request("oracle", Some(path.clone()))).unwrap().history;
        assert_eq!(history.len(), 1);
        // Another run starts from this one's labels.
        let other = dir.join("other");
        let reuse = Teaching { run_dir: &other, page: Default::default(), ..fresh };
        let history = reuse.teacher("preferences", &request("oracle", Some(path))).unwrap().history;
        assert_eq!(history.len(), 1);
        let missing = reuse.teacher("preferences", &request("oracle", Some("/nonexistent/labels.jsonl".into())));
        assert!(missing.err().unwrap().to_string().contains("no label file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_web_teacher_draws_from_observations_and_refuses_what_it_cannot_draw() {
        let dir = tempfile::tempdir().unwrap();
        let env = EnvMaker::new("CartPole-v1", &Kwargs::new());
        let teaching =
            Teaching { run_dir: dir.path(), resume: false, seed: 1, env: &env, web: None, page: Default::default() };
        let teacher = teaching.teacher("preferences", &request("web", None)).unwrap().teacher;
        assert!(teacher.wants_frames() && teacher.kind() == "web");
        // A second signal asks at the same page; a label taken is refused.
        let url = teaching.page.borrow().as_ref().unwrap().url().to_string();
        let _second = teaching.teacher("evaluative", &request("web", None)).unwrap();
        assert_eq!(teaching.page.borrow().as_ref().unwrap().url(), url);
        let error = format!("{:#}", teaching.teacher("evaluative", &request("web", None)).err().unwrap());
        assert!(error.contains("asks at this page already"), "{error}");
        let mut bad = request("web", None);
        bad.params = serde_json::json!({"adress": "127.0.0.1:0"});
        let error = format!("{:#}", teaching.teacher("preferences", &bad).err().unwrap());
        assert!(error.contains("adress") && error.contains("teacher_params"), "{error}");
        let no_velocity = EnvMaker::new("CartPoleNoVel-v1", &Kwargs::new());
        let blind = Teaching { env: &no_velocity, page: Default::default(), ..teaching };
        let error = blind.teacher("preferences", &request("web", None)).err().unwrap().to_string();
        assert!(error.contains("CartPoleNoVel-v1's observations do not determine a picture"), "{error}");
    }
}
