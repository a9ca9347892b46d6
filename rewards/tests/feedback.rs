//! Social feedback end to end on a toy task whose true reward is the action (action 1 earns
//! 1, action 0 earns 0): synthetic teachers, the label file, and the `preferences` and
//! `evaluative` signals learning the reward from labels alone.

use limbic_agents::shaping::{RewardShaper, TransitionColumns};
use limbic_environments::rng::Generator;
use limbic_environments::{DType, Space};
use limbic_rewards::feedback::{Answer, Clip, Label, Question, Teacher, TeacherWithHistory};
use limbic_rewards::labels::{LabelFile, Recorded, CLIPS_FILE, LABELS_FILE, PENDING_FILE};
use limbic_rewards::signals::{evaluative, preferences};
use limbic_rewards::teachers::SyntheticTeacher;
use limbic_rewards::{IntrinsicReward, Registry, RewardSet, RewardSpec, SignalContext};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

const OBS: usize = 3;

/// `[T, N]` steps of the toy task.
type Rollout = TransitionColumns;

/// Random observations and actions (the reward is the action); an episode ends every
/// `episode` steps.
fn random_rollout(steps: usize, envs: usize, episode: usize, rng: &mut Generator) -> Rollout {
    let slots = steps * envs;
    let normal = |rng: &mut Generator, n: usize| (0..n).map(|_| rng.standard_normal() as f32).collect::<Vec<_>>();
    let obs = normal(rng, slots * OBS);
    let next_obs = normal(rng, slots * OBS);
    let actions: Vec<f32> = (0..slots).map(|_| rng.integers(0, 2) as f32).collect();
    Rollout {
        obs,
        next_obs,
        rewards: actions.clone(),
        actions,
        terminated: (0..slots).map(|s| (s / envs + 1).is_multiple_of(episode)).collect(),
        ..Rollout::zeros(steps, envs, OBS, 1)
    }
}

fn context(envs: usize) -> SignalContext {
    SignalContext {
        obs_dim: OBS,
        observation_space: Space::uniform_box(-10.0, 10.0, &[OBS], DType::Float32),
        action_space: Space::discrete(2),
        num_envs: envs,
        seed: 7,
    }
}

/// One on-policy update of `signal` on `rollout`: observe each step, compute, update.
fn learn(signal: &mut dyn IntrinsicReward, rollout: &Rollout) -> (Vec<f32>, BTreeMap<String, f64>) {
    for t in 0..rollout.steps {
        signal.observe(&rollout.view().step_range(t..t + 1)).unwrap();
    }
    let mut out = vec![0.0; rollout.steps * rollout.envs];
    signal.compute(&rollout.view(), &mut out).unwrap();
    let metrics = signal.update(&rollout.view()).unwrap();
    (out, metrics)
}

/// Mean reward the signal gives action 1 minus action 0 on fresh rows.
fn action_gap(signal: &mut dyn IntrinsicReward, rng: &mut Generator) -> f32 {
    let rollout = random_rollout(64, 2, 1000, rng);
    let mut out = vec![0.0; 128];
    signal.compute(&rollout.view(), &mut out).unwrap();
    let mean = |a: f32| {
        let picked: Vec<f32> = out.iter().zip(&rollout.actions).filter(|(_, &x)| x == a).map(|(&r, _)| r).collect();
        picked.iter().sum::<f32>() / picked.len() as f32
    };
    mean(1.0) - mean(0.0)
}

fn clip(id: u64, rewards: &[f32]) -> Arc<Clip> {
    Arc::new(Clip {
        id,
        env: 0,
        start_step: 0,
        len: rewards.len(),
        obs: vec![0.5; rewards.len() * OBS],
        actions: vec![1.0; rewards.len()],
        true_rewards: rewards.to_vec(),
        advice: Vec::new(),
        frames: None,
    })
}

fn ask(teacher: &mut dyn Teacher, id: u64, left: &[f32], right: &[f32]) -> Answer {
    let question = Question::Compare { id, left: clip(2 * id, left), right: clip(2 * id + 1, right) };
    teacher.post(question).unwrap();
    let labels = teacher.poll().unwrap();
    assert_eq!(labels.len(), 1);
    assert_eq!((labels[0].query, labels[0].clips.clone()), (id, vec![2 * id, 2 * id + 1]));
    labels[0].answer
}

fn teacher(kind: &str, params: serde_json::Value) -> SyntheticTeacher {
    SyntheticTeacher::new(kind, &params, 3).unwrap()
}

#[test]
fn synthetic_teachers_answer_as_b_pref_describes() {
    let mut oracle = teacher("oracle", json!({}));
    assert_eq!(ask(&mut oracle, 0, &[1.0, 1.0], &[0.0, 1.0]), Answer::Left);
    assert_eq!(ask(&mut oracle, 1, &[0.0, 0.0], &[0.0, 1.0]), Answer::Right);
    assert_eq!(ask(&mut oracle, 2, &[1.0, 0.0], &[0.0, 1.0]), Answer::Equal);
    // Myopic: the same return, the later reward counts more.
    let mut myopic = teacher("myopic", json!({}));
    assert_eq!(ask(&mut myopic, 0, &[1.0, 0.0], &[0.0, 1.0]), Answer::Right);
    // Skipping: both below 10% of the largest return seen.
    let mut skipping = teacher("skipping", json!({}));
    assert_eq!(ask(&mut skipping, 0, &[10.0], &[0.0]), Answer::Left);
    assert_eq!(ask(&mut skipping, 1, &[0.5], &[0.0]), Answer::Skip);
    // Equal: returns within 10% of the largest seen.
    let mut equal = teacher("equal", json!({}));
    assert_eq!(ask(&mut equal, 0, &[10.0], &[0.0]), Answer::Left);
    assert_eq!(ask(&mut equal, 1, &[5.0], &[4.5]), Answer::Equal);
    // Mistake flips about a tenth; stochastic with beta 1 picks the better of 1 vs 0 ~73% of the time.
    let count = |kind: &str, params| {
        let mut t = teacher(kind, params);
        (0..2000).filter(|&i| ask(&mut t, i, &[1.0], &[0.0]) == Answer::Left).count()
    };
    let mistaken = 2000 - count("mistake", json!({}));
    assert!((150..250).contains(&mistaken), "{mistaken}");
    let left = count("stochastic", json!({}));
    assert!((1380..1540).contains(&left), "{left}");
    assert_eq!(count("stochastic", json!({"beta": 1000.0})), 2000);
    // Bad kinds and parameters are errors naming them.
    let error = SyntheticTeacher::new("orcale", &json!({}), 0).err().unwrap().to_string();
    assert!(error.contains("orcale") && error.contains("oracle"), "{error}");
    let error = SyntheticTeacher::new("mistake", &json!({"mistake": 2.0}), 0).err().unwrap().to_string();
    assert!(error.contains("mistake"), "{error}");
}

#[test]
fn evaluative_teachers_score_late_noisy_and_sparse() {
    let evaluate = |kind: &str, rewards: &[f32], n: u64| {
        let mut t = teacher(kind, json!({}));
        (0..n)
            .map(|i| {
                t.post(Question::Evaluate { id: i, clip: clip(i, rewards) }).unwrap();
                t.poll().unwrap().remove(0).answer
            })
            .collect::<Vec<_>>()
    };
    let rewards = [0.0, 0.0, 1.0, 0.0, 0.0, 0.0];
    assert_eq!(evaluate("oracle", &rewards, 1), [Answer::Score { value: 0.0, at: 5 }]);
    // Delayed by 3: the score at the last step is about step 2.
    assert_eq!(evaluate("delayed", &rewards, 1), [Answer::Score { value: 1.0, at: 5 }]);
    let sparse = evaluate("sparse", &rewards, 1000);
    let answered = sparse.iter().filter(|a| **a != Answer::Skip).count();
    assert!((60..140).contains(&answered), "{answered}");
    let noisy = evaluate("noisy", &[1.0], 1000);
    let values: Vec<f32> =
        noisy.iter().map(|a| if let Answer::Score { value, .. } = a { *value } else { f32::NAN }).collect();
    let mean = values.iter().sum::<f32>() / 1000.0;
    let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 1000.0).sqrt();
    assert!((mean - 1.0).abs() < 0.1 && (std - 0.5).abs() < 0.1, "{mean} {std}");
}

/// The `expert` kind judges by the clip's advice (the env's +1 / -1 on each action), skips a
/// step with no judgement (0), keeps the imperfections (here a late one), compares segments by
/// their summed advice, and refuses a clip without advice (the envs were not advised).
#[test]
fn the_expert_teacher_scores_the_advice_not_the_reward() {
    let advised = |id: u64, advice: &[f32]| {
        let mut clip = (*clip(id, &vec![0.0; advice.len()])).clone();
        clip.advice = advice.to_vec();
        Arc::new(clip)
    };
    let evaluate = |t: &mut SyntheticTeacher, clip: Arc<Clip>| {
        t.post(Question::Evaluate { id: clip.id, clip })?;
        Ok::<_, limbic_agents::AgentError>(t.poll()?.remove(0).answer)
    };
    let mut expert = teacher("expert", json!({}));
    assert_eq!(evaluate(&mut expert, advised(0, &[1.0, -1.0])).unwrap(), Answer::Score { value: -1.0, at: 1 });
    assert_eq!(evaluate(&mut expert, advised(1, &[-1.0, 1.0])).unwrap(), Answer::Score { value: 1.0, at: 1 });
    assert_eq!(evaluate(&mut expert, advised(2, &[1.0, 0.0])).unwrap(), Answer::Skip);
    let mut late = teacher("delayed", json!({"judge": "progress", "delay": 1}));
    assert_eq!(evaluate(&mut late, advised(3, &[1.0, -1.0])).unwrap(), Answer::Score { value: 1.0, at: 1 });
    expert.post(Question::Compare { id: 4, left: advised(4, &[-1.0, -1.0]), right: advised(5, &[1.0, -1.0]) }).unwrap();
    assert_eq!(expert.poll().unwrap()[0].answer, Answer::Right);
    let error = evaluate(&mut expert, clip(6, &[1.0])).unwrap_err().to_string();
    assert!(error.contains("advice") && error.contains("expert"), "{error}");
    // The reward oracle is as it was: the true reward, advice or not.
    assert_eq!(
        evaluate(&mut teacher("oracle", json!({})), advised(7, &[-1.0])).unwrap(),
        Answer::Score { value: 0.0, at: 0 }
    );
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("limbic-feedback-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn the_label_file_keeps_every_label_and_names_a_corrupt_line() {
    let dir = temp_dir("labels");
    let mut recorded = Recorded::new(Box::new(teacher("oracle", json!({}))), LabelFile::open(&dir).unwrap());
    assert_eq!(ask(&mut recorded, 0, &[1.0], &[0.0]), Answer::Left);
    assert_eq!(ask(&mut recorded, 1, &[0.0], &[1.0]), Answer::Right);
    let back = LabelFile::read(&dir.join(LABELS_FILE)).unwrap();
    let answers: Vec<(u64, Answer, Vec<u64>)> =
        back.iter().map(|l| (l.label.query, l.label.answer, l.clips.iter().map(|c| c.id).collect())).collect();
    assert_eq!(answers, [(0, Answer::Left, vec![0, 1]), (1, Answer::Right, vec![2, 3])]);
    assert_eq!(back[0].clips[0].true_rewards, [1.0]);
    assert_eq!(back[0].label.teacher, "oracle");
    // A reopened file appends (a resumed run), never rewriting a clip it holds.
    let mut again = Recorded::new(Box::new(teacher("oracle", json!({}))), LabelFile::open(&dir).unwrap());
    ask(&mut again, 2, &[1.0], &[1.0]);
    assert_eq!(LabelFile::read(&dir.join(LABELS_FILE)).unwrap().len(), 3);
    let clips = std::fs::read_to_string(dir.join(CLIPS_FILE)).unwrap();
    assert_eq!(clips.lines().count(), 6);
    // A damaged line is an error naming the file and the line.
    let labels = dir.join(LABELS_FILE);
    let mut text = std::fs::read_to_string(&labels).unwrap();
    text = text.replacen("\"left\"", "\"lfet\"", 1);
    std::fs::write(&labels, text).unwrap();
    let error = LabelFile::read(&labels).err().unwrap().to_string();
    assert!(error.contains("labels.jsonl:1") && error.contains("corrupt"), "{error}");
    // A label naming a clip the folder lacks is an error too.
    let stray = Label { query: 9, clips: vec![99], answer: Answer::Skip, teacher: "x".into(), time_ms: 0 };
    std::fs::write(&labels, serde_json::to_string(&stray).unwrap() + "\n").unwrap();
    let error = LabelFile::read(&labels).err().unwrap().to_string();
    assert!(error.contains("labels.jsonl:1") && error.contains("[99]"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn preferences_signal(params: serde_json::Value) -> Box<dyn IntrinsicReward> {
    (preferences::ENTRY.build)(&params, &context(2)).unwrap()
}

#[test]
fn preferences_learn_the_reward_from_an_oracle_within_the_budget() {
    let mut rng = Generator::from_seed(1);
    let mut signal = preferences_signal(json!({"budget": 60, "per_update": 20, "segment": 5, "epochs": 20}));
    // Without a teacher: no questions, reward 0.
    let (out, metrics) = learn(signal.as_mut(), &random_rollout(20, 2, 7, &mut rng));
    assert!(out.iter().all(|&r| r == 0.0) && metrics["labels"] == 0.0, "{metrics:?}");
    let dir = temp_dir("preferences");
    let recorded = Recorded::new(Box::new(teacher("oracle", json!({}))), LabelFile::open(&dir).unwrap());
    signal.attach_teacher(TeacherWithHistory::new(Box::new(recorded))).unwrap();
    let mut last = BTreeMap::new();
    for _ in 0..5 {
        last = learn(signal.as_mut(), &random_rollout(20, 2, 7, &mut rng)).1;
    }
    assert_eq!((last["labels"], last["budget_left"], last["pending"]), (60.0, 0.0, 0.0), "{last:?}");
    let gap = action_gap(signal.as_mut(), &mut rng);
    assert!(gap > 0.5, "the learned reward should prefer action 1: gap {gap}");
    // Every label is in the file; another signal started from it learns the same ordering.
    let labels = LabelFile::read(&dir.join(LABELS_FILE)).unwrap();
    assert_eq!(labels.len(), 60);
    let mut reused = preferences_signal(json!({"budget": 60, "segment": 5, "epochs": 20}));
    reused.attach_teacher(TeacherWithHistory::with_history(Box::new(teacher("oracle", json!({}))), labels)).unwrap();
    let (_, metrics) = learn(reused.as_mut(), &random_rollout(20, 2, 7, &mut rng));
    assert_eq!((metrics["labels"], metrics["budget_left"]), (60.0, 0.0), "{metrics:?}");
    assert!(action_gap(reused.as_mut(), &mut rng) > 0.5);
    // Save and load round-trip the model.
    let bytes = signal.save().unwrap();
    let mut restored = preferences_signal(json!({"budget": 60, "segment": 5}));
    restored.load(&bytes).unwrap();
    let probe = random_rollout(8, 2, 100, &mut rng);
    let (mut a, mut b) = (vec![0.0; 16], vec![0.0; 16]);
    signal.compute(&probe.view(), &mut a).unwrap();
    restored.compute(&probe.view(), &mut b).unwrap();
    assert_eq!(a, b);
    assert!(restored.load(&bytes[..bytes.len() / 2]).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Never answers (a person away from the page): the signal keeps asking within its budget,
/// reports the questions pending, and training goes on.
struct Silent(usize);

impl Teacher for Silent {
    fn kind(&self) -> &str {
        "silent"
    }
    fn post(&mut self, _question: Question) -> limbic_agents::Result<()> {
        self.0 += 1;
        Ok(())
    }
    fn poll(&mut self) -> limbic_agents::Result<Vec<Label>> {
        Ok(Vec::new())
    }
    fn pending(&self) -> usize {
        self.0
    }
}

#[test]
fn a_silent_teacher_never_stalls_training() {
    let mut rng = Generator::from_seed(2);
    let mut signal = preferences_signal(json!({"budget": 30, "per_update": 10, "segment": 4}));
    signal.attach_teacher(TeacherWithHistory::new(Box::new(Silent(0)))).unwrap();
    for expected in [10.0, 20.0, 30.0, 30.0] {
        let (out, metrics) = learn(signal.as_mut(), &random_rollout(12, 2, 5, &mut rng));
        assert!(out.iter().all(|&r| r == 0.0));
        assert_eq!((metrics["pending"], metrics["labels"]), (expected, 0.0), "{metrics:?}");
    }
}

/// Questions nobody answered are kept in `pending.bin` and in the signal's state: a signal
/// restored with a new teacher offers them again (before asking what its budget still allows).
#[test]
fn unanswered_questions_are_kept_and_a_restored_signal_asks_them_again() {
    let dir = temp_dir("pending");
    let mut rng = Generator::from_seed(3);
    let params = json!({"budget": 6, "per_update": 3, "segment": 4});
    let mut signal = preferences_signal(params.clone());
    let recorded = Recorded::new(Box::new(Silent(0)), LabelFile::open(&dir).unwrap());
    signal.attach_teacher(TeacherWithHistory::new(Box::new(recorded))).unwrap();
    learn(signal.as_mut(), &random_rollout(12, 2, 5, &mut rng));
    let waiting = LabelFile::read_pending(&dir).unwrap();
    assert_eq!(waiting.iter().map(Question::id).collect::<Vec<_>>(), [0, 1, 2]);
    let Question::Compare { left, .. } = &waiting[0] else { panic!("a comparison") };
    assert!(left.len >= 1 && left.obs.len() == left.len * OBS, "its clips come back from clips.jsonl");

    let mut restored = preferences_signal(params);
    restored.attach_teacher(TeacherWithHistory::new(Box::new(Silent(0)))).unwrap();
    restored.load(&signal.save().unwrap()).unwrap();
    let (_, metrics) = learn(restored.as_mut(), &random_rollout(12, 2, 5, &mut rng));
    assert_eq!((metrics["pending"], metrics["budget_left"]), (6.0, 0.0), "3 offered again, 3 new");

    // A damaged file is an error naming it.
    let path = dir.join(PENDING_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let error = LabelFile::read_pending(&dir).err().unwrap().to_string();
    assert!(error.contains("pending.bin") && error.contains("checksum"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Answers the questions with even ids at once and never the others.
struct Halfway(Vec<Label>);

impl Teacher for Halfway {
    fn kind(&self) -> &str {
        "halfway"
    }
    fn post(&mut self, question: Question) -> limbic_agents::Result<()> {
        if question.id().is_multiple_of(2) {
            let clips = question.clips().iter().map(|c| c.id).collect();
            self.0.push(Label {
                query: question.id(),
                clips,
                answer: Answer::Left,
                teacher: "halfway".into(),
                time_ms: 1,
            });
        }
        Ok(())
    }
    fn poll(&mut self) -> limbic_agents::Result<Vec<Label>> {
        Ok(std::mem::take(&mut self.0))
    }
    fn pending(&self) -> usize {
        0
    }
}

/// Never answers, and keeps what it was asked.
struct Watching(Arc<std::sync::Mutex<Vec<Question>>>);

impl Teacher for Watching {
    fn kind(&self) -> &str {
        "watching"
    }
    fn post(&mut self, question: Question) -> limbic_agents::Result<()> {
        self.0.lock().unwrap().push(question);
        Ok(())
    }
    fn poll(&mut self) -> limbic_agents::Result<Vec<Label>> {
        Ok(Vec::new())
    }
    fn pending(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// The clip ids of each question, by query id.
fn shown(questions: &[Question]) -> BTreeMap<u64, Vec<u64>> {
    questions.iter().map(|q| (q.id(), q.clips().iter().map(|c| c.id).collect())).collect()
}

/// A run killed after asking more than its last checkpoint knows, resumed from that checkpoint:
/// every question it asked and nobody answered is still waiting (the checkpoint's and those of
/// `pending.bin`, each once, with the same clips), query and clip ids are never issued twice, and
/// every stored label stays as it was.
#[test]
fn a_run_killed_after_its_checkpoint_keeps_every_waiting_question_and_label() {
    let dir = temp_dir("killed");
    let mut rng = Generator::from_seed(6);
    let params = json!({"budget": 9, "per_update": 3, "segment": 4});
    let mut killed = preferences_signal(params.clone());
    let recorded = Recorded::new(Box::new(Halfway(Vec::new())), LabelFile::open(&dir).unwrap());
    killed.attach_teacher(TeacherWithHistory::new(Box::new(recorded))).unwrap();
    learn(killed.as_mut(), &random_rollout(12, 2, 5, &mut rng)); // asks 0, 1, 2; 0 and 2 answered
    let checkpoint = killed.save().unwrap();
    learn(killed.as_mut(), &random_rollout(12, 2, 5, &mut rng)); // asks 3, 4, 5; 4 answered
    std::mem::forget(killed); // SIGKILL: nothing runs on the way out
    let waiting = shown(&LabelFile::read_pending(&dir).unwrap());
    assert_eq!(waiting.keys().copied().collect::<Vec<_>>(), [1, 3, 5]);
    let labels_before = std::fs::read_to_string(dir.join(LABELS_FILE)).unwrap();
    let clips_before = std::fs::read_to_string(dir.join(CLIPS_FILE)).unwrap();
    let last_clip = LabelFile::open(&dir).unwrap().last_clip().unwrap();

    let mut resumed = preferences_signal(params);
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = Recorded::new(Box::new(Watching(asked.clone())), LabelFile::open(&dir).unwrap());
    let mut attached = TeacherWithHistory::new(Box::new(recorded));
    LabelFile::read_back(&dir, &mut attached).unwrap();
    assert_eq!((attached.history.len(), attached.waiting.len(), attached.last_clip), (3, 3, Some(last_clip)));
    resumed.attach_teacher(attached).unwrap();
    resumed.load(&checkpoint).unwrap();
    let (_, metrics) = learn(resumed.as_mut(), &random_rollout(12, 2, 5, &mut rng));
    assert_eq!((metrics["labels"], metrics["pending"], metrics["budget_left"]), (3.0, 6.0, 0.0), "{metrics:?}");
    let now = shown(&LabelFile::read_pending(&dir).unwrap());
    assert_eq!(now.keys().copied().collect::<Vec<_>>(), [1, 3, 5, 6, 7, 8], "the old ones kept, new ids after them");
    assert!(waiting.iter().all(|(query, clips)| &now[query] == clips), "the same clips: {waiting:?} {now:?}");
    // A clip id names one clip: what the resumed run showed is what the label file holds.
    let stored = LabelFile::read_pending(&dir).unwrap();
    let stored: BTreeMap<u64, Arc<Clip>> = stored.iter().flat_map(Question::clips).map(|c| (c.id, c)).collect();
    let posted = asked.lock().unwrap();
    assert_eq!(posted.len(), 6);
    for clip in posted.iter().flat_map(Question::clips) {
        let same = &stored[&clip.id];
        assert_eq!((&same.obs, &same.true_rewards, same.start_step), (&clip.obs, &clip.true_rewards, clip.start_step));
    }
    // The label file only grew: every label and clip stored before is there as it was.
    assert_eq!(std::fs::read_to_string(dir.join(LABELS_FILE)).unwrap(), labels_before);
    assert!(std::fs::read_to_string(dir.join(CLIPS_FILE)).unwrap().starts_with(&clips_before));
    let labelled = LabelFile::read(&dir.join(LABELS_FILE)).unwrap();
    assert_eq!(labelled.iter().map(|l| l.label.query).collect::<Vec<_>>(), [0, 2, 4]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn uniform_selection_and_bad_parameters() {
    let mut rng = Generator::from_seed(3);
    let mut signal = preferences_signal(json!({"selection": "uniform", "budget": 40, "segment": 5, "epochs": 20}));
    signal.attach_teacher(TeacherWithHistory::new(Box::new(teacher("oracle", json!({}))))).unwrap();
    for _ in 0..2 {
        learn(signal.as_mut(), &random_rollout(20, 2, 7, &mut rng));
    }
    assert!(action_gap(signal.as_mut(), &mut rng) > 0.3);
    for (params, key) in [
        (json!({"selection": "loudest"}), "loudest"),
        (json!({"segment": 0}), "segment"),
        (json!({"teacher": "oracel"}), "teacher"),
        (json!({"teacher_params": {"beta": -1.0}}), "teacher"),
        (json!({"budget": 0}), "budget"),
    ] {
        let error = (preferences::ENTRY.build)(&params, &context(1)).err().unwrap().to_string();
        assert!(error.contains(key), "{params}: {error}");
    }
}

fn evaluative_signal(params: serde_json::Value) -> Box<dyn IntrinsicReward> {
    (evaluative::ENTRY.build)(&params, &context(2)).unwrap()
}

#[test]
fn tamer_models_the_teacher_and_coach_credits_the_steps() {
    let mut rng = Generator::from_seed(4);
    // TAMER with the oracle evaluator: the score of each step is its action.
    let mut tamer = evaluative_signal(json!({"every": 1, "window": 1, "credit": [0, 0], "budget": 300, "epochs": 20}));
    tamer.attach_teacher(TeacherWithHistory::new(Box::new(teacher("oracle", json!({}))))).unwrap();
    for _ in 0..3 {
        learn(tamer.as_mut(), &random_rollout(50, 2, 1000, &mut rng));
    }
    let gap = action_gap(tamer.as_mut(), &mut rng);
    assert!(gap > 0.5, "TAMER's model should score action 1 higher: {gap}");
    // COACH with the delay window [1, 3]: the score 3 given at the clip's last step is shared
    // by the three steps before it, 1 each; the scored step itself gets nothing.
    let mut rollout = random_rollout(4, 1, 1000, &mut rng);
    rollout.rewards = vec![0.0, 0.0, 0.0, 3.0];
    let (out, mut coach) = coach_credit(&rollout, [1, 3]);
    assert_eq!(out, [1.0, 1.0, 1.0, 0.0]);
    let metrics = coach.update(&rollout.view()).unwrap();
    assert_eq!((metrics["labels"], metrics["credited_steps"]), (1.0, 3.0), "{metrics:?}");
    // Feedback goes to the steps it is about, not to steps that look the same: in a batch of
    // eight identical rows on two sub-envs, only the two before sub-env 1's scored step earn.
    let mut same = random_rollout(4, 2, 1000, &mut rng);
    same.obs.iter_mut().for_each(|x| *x = 0.5);
    same.actions.iter_mut().for_each(|x| *x = 1.0);
    same.rewards = vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0];
    assert_eq!(coach_credit(&same, [1, 2]).0, [0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
}

/// COACH (a window of 4 steps, asked every 4) with an oracle teacher observes `rollout` step by
/// step and credits it with the delay window `credit`: the bonuses, and the signal.
fn coach_credit(rollout: &Rollout, credit: [usize; 2]) -> (Vec<f32>, Box<dyn IntrinsicReward>) {
    let params = json!({"mode": "coach", "every": 4, "window": 4, "credit": credit});
    let mut coach = (evaluative::ENTRY.build)(&params, &context(rollout.envs)).unwrap();
    coach.attach_teacher(TeacherWithHistory::new(Box::new(teacher("oracle", json!({}))))).unwrap();
    for t in 0..rollout.steps {
        coach.observe(&rollout.view().step_range(t..t + 1)).unwrap();
    }
    let mut out = vec![0.0; rollout.slots()];
    coach.compute(&rollout.view(), &mut out).unwrap();
    (out, coach)
}

#[test]
fn the_reward_set_hands_each_feedback_signal_its_teacher() {
    let specs: Vec<RewardSpec> = serde_json::from_value(json!([
        {"name": "preferences", "params": {"segment": 5}},
        {"name": "evaluative", "label": "coach", "params": {"mode": "coach"}},
        {"name": "counts"},
        {"name": "extrinsic", "weight": 0.0}
    ]))
    .unwrap();
    let mut set = RewardSet::new(&Registry::builtins(), &specs, &context(2)).unwrap();
    let mut asked = Vec::new();
    let attached = set
        .attach_teachers(&mut |label, request| {
            asked.push((label.to_string(), request.kind.clone(), request.question));
            Ok(TeacherWithHistory::new(Box::new(teacher(&request.kind, request.params.clone()))))
        })
        .unwrap();
    assert_eq!(attached, ["preferences", "coach"]);
    assert_eq!(asked.len(), 2);
    let rollout = random_rollout(10, 2, 4, &mut Generator::from_seed(5));
    for t in 0..10 {
        set.observe(&rollout.view().step_range(t..t + 1)).unwrap();
    }
    // Two streams: the env's (with the feedback signals) and counts' own.
    let mut out = vec![0.0; 10 * 2 * 2];
    let metrics = set.rewards(&rollout.view(), 10, &mut out).unwrap();
    assert!(metrics["reward/preferences/labels"] > 0.0 && metrics["reward/coach/labels"] > 0.0, "{metrics:?}");
}

/// For off-policy replays the reward set keeps the learned share apart, says when its model
/// changed (after a fit, once) and scores stored steps the way it scored them when they came;
/// no new labels, no change. `minmax` cannot score stored steps again and is refused.
#[test]
fn the_reward_set_keeps_the_learned_share_apart_and_reports_each_new_model() {
    let specs = |extra: serde_json::Value| -> Vec<RewardSpec> {
        let preferences = json!({"name": "preferences", "weight": 2.0,
            "params": {"segment": 5, "per_update": 10, "budget": 10, "epochs": 5}});
        let mut preferences = preferences.as_object().unwrap().clone();
        preferences.extend(extra.as_object().unwrap().clone());
        serde_json::from_value(
            json!([preferences, {"name": "counts", "stream": "own"}, {"name": "extrinsic", "weight": 0.0}]),
        )
        .unwrap()
    };
    let mut set = RewardSet::new(&Registry::builtins(), &specs(json!({})), &context(2)).unwrap();
    assert_eq!(set.relabelled(), ["preferences"]);
    let mut rng = Generator::from_seed(4);
    // One off-policy step at a time (T = 1); returns the env stream's rewards.
    let step = |set: &mut RewardSet, rollout: &Rollout, t: usize| {
        let view = rollout.view().step_range(t..t + 1);
        set.observe(&view).unwrap();
        let mut out = vec![0.0; 2 * 2];
        set.rewards(&view, t as u64, &mut out).unwrap();
        vec![out[0], out[2]]
    };
    let rollout = random_rollout(12, 2, 6, &mut rng);
    for t in 0..12 {
        assert_eq!(step(&mut set, &rollout, t), [0.0, 0.0]);
        assert_eq!(set.parts(), [0.0, 0.0]);
    }
    assert!(set.changed().is_empty(), "no teacher, no labels, no new model");

    set.attach_teachers(&mut |_, request| {
        Ok(TeacherWithHistory::new(Box::new(teacher(&request.kind, request.params.clone()))))
    })
    .unwrap();
    step(&mut set, &rollout, 0);
    assert_eq!(set.changed(), [0], "the first fit is a new model");
    assert!(set.changed().is_empty(), "reported once");
    for t in 1..12 {
        let env_stream = step(&mut set, &rollout, t);
        assert!(set.changed().is_empty(), "the budget is spent: no more fits");
        // The share is all of the env's stream (its weight is 0) ...
        assert_eq!(set.parts(), env_stream.as_slice());
        // ... and scoring the same step again gives it back, learning nothing.
        let mut again = vec![0.0; 2];
        for _ in 0..2 {
            set.rescore(0, &rollout.view().step_range(t..t + 1), t as u64, &mut again).unwrap();
            assert!(again.iter().zip(&env_stream).all(|(a, b)| (a - b).abs() < 1e-6), "{again:?} {env_stream:?}");
        }
        assert!(env_stream.iter().any(|&r| r != 0.0));
    }

    let error = RewardSet::new(&Registry::builtins(), &specs(json!({"normalization": "minmax"})), &context(2))
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("minmax") && error.contains("relabel"), "{error}");
    let not_relabelled = specs(json!({"normalization": "minmax", "params": {"relabel": false}}));
    assert!(RewardSet::new(&Registry::builtins(), &not_relabelled, &context(2)).unwrap().relabelled().is_empty());
}
