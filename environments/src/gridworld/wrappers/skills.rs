//! Skills: a library of skills as the env's actions. One step of the wrapped env runs a whole
//! skill, so any learner over these actions is a manager over given options (a semi-Markov
//! decision process, Sutton, Precup & Singh 1999).
//!
//! A skill is anything that implements [`Skill`]: started in a state, it chooses primitive
//! actions until it terminates. This crate has the scripted gridworld skills
//! ([`ScriptedSkill`]: go to an object, pick up, open a door); a library entry may also name a
//! trained run ([`TrainedRun`]), whose policy the platform crate loads (this crate knows no
//! policies) through [`LoadTrainedRun`].

use crate::env::{check_action, Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::gridworld::experts::{best_plan, find, free_hands, neighbours, Goals, Moves, Place, Pose, Rules, Stage};
use crate::gridworld::{Action, Obj, ObjType, World};
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;
use crate::wrappers::bad_param;
use serde::{Deserialize, Deserializer, Serialize};
use std::path::PathBuf;

/// One scripted skill: a subgoal the gridworld planner reaches by the shortest plan over the
/// full state. On its way a skill opens closed doors (a locked one only with its key in hand)
/// and moves no object, so skills stay parts of the task and the manager has to chain them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptedSkill {
    /// `pickup:key|ball|box`: pick up the nearest object of that type (dropping what is carried).
    PickUp(ObjType),
    /// `open:door`: open the nearest closed (not locked) door.
    OpenDoor,
    /// `unlock:door`: open the nearest locked door whose key is carried.
    UnlockDoor,
    /// `open:box`: open the nearest box (it turns into what it holds).
    OpenBox,
    /// `drop`: drop what is carried on the nearest free cell.
    Drop,
    /// `goto:goal`: step onto the nearest goal square.
    GoToGoal,
}

/// The names a library entry may take, for error messages and docs.
pub const SKILL_NAMES: [&str; 8] =
    ["pickup:key", "pickup:ball", "pickup:box", "open:door", "unlock:door", "open:box", "drop", "goto:goal"];

impl ScriptedSkill {
    pub fn parse(name: &str) -> Result<ScriptedSkill> {
        Ok(match name {
            "pickup:key" => ScriptedSkill::PickUp(ObjType::Key),
            "pickup:ball" => ScriptedSkill::PickUp(ObjType::Ball),
            "pickup:box" => ScriptedSkill::PickUp(ObjType::Box),
            "open:door" => ScriptedSkill::OpenDoor,
            "unlock:door" => ScriptedSkill::UnlockDoor,
            "open:box" => ScriptedSkill::OpenBox,
            "drop" => ScriptedSkill::Drop,
            "goto:goal" => ScriptedSkill::GoToGoal,
            other => {
                let names = SKILL_NAMES.join(", ");
                return Err(bad_param(
                    "skills",
                    format!("unknown skill `{other}`; skills: {names}, or a trained run {RUN_ENTRY}"),
                ));
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ScriptedSkill::PickUp(ObjType::Key) => "pickup:key",
            ScriptedSkill::PickUp(ObjType::Ball) => "pickup:ball",
            ScriptedSkill::PickUp(_) => "pickup:box",
            ScriptedSkill::OpenDoor => "open:door",
            ScriptedSkill::UnlockDoor => "unlock:door",
            ScriptedSkill::OpenBox => "open:box",
            ScriptedSkill::Drop => "drop",
            ScriptedSkill::GoToGoal => "goto:goal",
        }
    }

    /// What the planner aims at from `world`: one chain per candidate object (the shortest
    /// plan among them wins, so "the nearest"); none where the skill cannot apply.
    pub fn goals(self, world: &World) -> Goals {
        let rules = Rules { open_doors: true, move_objects: Moves::None, avoid: Vec::new() };
        let toggle = |pos| vec![Stage { place: Place::Facing(vec![pos]), action: Some(Action::Toggle) }];
        let chains: Vec<Vec<Stage>> = match self {
            ScriptedSkill::PickUp(kind) if world.carrying.is_some_and(|o| o.kind == kind) => Vec::new(),
            ScriptedSkill::PickUp(kind) => find(world, |o| o.kind == kind)
                .into_iter()
                .map(|pos| [free_hands(world), vec![Stage::pick_up_at(vec![pos])]].concat())
                .collect(),
            ScriptedSkill::OpenDoor => find(world, |o| o.kind == ObjType::Door && !o.is_open() && !o.is_locked())
                .into_iter()
                .map(toggle)
                .collect(),
            ScriptedSkill::UnlockDoor => {
                let key_for = |door: &Obj| world.carrying == Some(Obj::key(door.color));
                find(world, |o| o.is_locked() && key_for(o)).into_iter().map(toggle).collect()
            }
            ScriptedSkill::OpenBox => find(world, |o| o.kind == ObjType::Box).into_iter().map(toggle).collect(),
            ScriptedSkill::Drop if world.carrying.is_some() => vec![vec![out_of_the_way(world)]],
            ScriptedSkill::Drop => Vec::new(),
            ScriptedSkill::GoToGoal => {
                let goals = find(world, |o| o.kind == ObjType::Goal);
                if goals.is_empty() {
                    Vec::new()
                } else {
                    vec![vec![Stage::reach(goals)]]
                }
            }
        };
        Goals { chains, rules }
    }
}

/// A drop on the nearest free cell that blocks no door (a key dropped in a doorway would shut
/// the way for skills, which move no object), or anywhere when every free cell does.
fn out_of_the_way(world: &World) -> Stage {
    let by_door = |p| neighbours(p).iter().any(|&q| world.grid.contains(q) && world.grid.get(q).kind == ObjType::Door);
    let cells: Vec<_> = find(world, Obj::is_empty).into_iter().filter(|&p| !by_door(p)).collect();
    if cells.is_empty() {
        Stage::drop_anywhere()
    } else {
        Stage::drop_on(cells)
    }
}

/// How a config names a trained run as a skill, for error messages.
const RUN_ENTRY: &str = r#"{"run": "DIR", "max_steps": N}"#;

/// What a skill sees when it chooses: the env it acts in (a scripted skill reads its gridworld
/// state) and the flat observation row, as `reset_into`/`step_into` write it.
#[derive(Clone, Copy)]
pub struct SkillInput<'a> {
    pub env: &'a dyn Env,
    pub obs: &'a [f32],
}

/// An option a [`Skills`] wrapper runs: [`Skill::begin`] in the state where it is chosen, then
/// one primitive action per [`Skill::act`] until it returns `None` (the skill's termination),
/// the episode ends, or the wrapper's `max_frames` pass.
pub trait Skill: Send {
    /// The name `step`'s info reports (`pickup:key`, `run:DIR`).
    fn name(&self) -> &str;

    /// Why this skill cannot act in `env`, if it cannot (checked when the library is built).
    fn refuses(&self, env: &dyn Env) -> Option<String>;

    /// A new episode begins with `seed`: a skill that samples starts its generator from it,
    /// so an episode stays a function of its seed and the manager's choices.
    fn reset(&mut self, _seed: Option<u64>) {}

    /// The skill is chosen in state `now`.
    fn begin(&mut self, now: SkillInput) -> Result<()>;

    /// The next primitive action in state `now`, or `None` when the skill terminates. The first
    /// call after [`Skill::begin`] must return an action.
    fn act(&mut self, now: SkillInput) -> Result<Option<Value>>;
}

/// A scripted skill at work: the plan made when it began, followed while the world stays on it.
struct Scripted {
    skill: ScriptedSkill,
    plan: Vec<(Pose, Action)>,
    next: usize,
}

impl Skill for Scripted {
    fn name(&self) -> &str {
        self.skill.name()
    }

    fn refuses(&self, env: &dyn Env) -> Option<String> {
        env.grid_world()
            .is_none()
            .then(|| "scripted skills read a gridworld's state: use a MiniGrid or BabyAI env".to_string())
    }

    /// Plans over the full state; a skill with nothing to do spends one `done` step, so
    /// choosing it is never free.
    fn begin(&mut self, now: SkillInput) -> Result<()> {
        let world = now.env.grid_world().ok_or(EnvError::NotReset)?;
        self.plan = best_plan(world, &self.skill.goals(world)).unwrap_or_default();
        if self.plan.is_empty() {
            self.plan = vec![(Pose::of(world), Action::Done)];
        }
        self.next = 0;
        Ok(())
    }

    /// Ends with the plan, or where the world left it (it moved by itself).
    fn act(&mut self, now: SkillInput) -> Result<Option<Value>> {
        let Some(&(pose, action)) = self.plan.get(self.next) else { return Ok(None) };
        let world = now.env.grid_world().ok_or(EnvError::NotReset)?;
        if self.next > 0 && Pose::of(world) != pose {
            return Ok(None);
        }
        self.next += 1;
        Ok(Some(Value::Int(action as i64)))
    }
}

impl ScriptedSkill {
    /// This skill, ready for a [`Skills`] library.
    pub fn boxed(self) -> Box<dyn Skill> {
        Box::new(Scripted { skill: self, plan: Vec::new(), next: 0 })
    }
}

/// A trained run's final policy as a skill (`{"run": "runs/doorkey", "max_steps": 20}`): it
/// acts from the state where it is chosen, its memory (if any) starting empty there and kept
/// for the skill's duration, and terminates after `max_steps` steps (or when the episode ends).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainedRun {
    /// The run directory.
    pub run: PathBuf,
    /// Steps after which the skill terminates.
    pub max_steps: u32,
    /// The policy's most likely action (`true`), or one sampled from it.
    #[serde(default = "yes")]
    pub deterministic: bool,
}

fn yes() -> bool {
    true
}

/// Makes the skill of a [`TrainedRun`] entry (the platform crate loads runs).
pub trait LoadTrainedRun {
    fn load(&self, entry: &TrainedRun) -> Result<Box<dyn Skill>>;
}

/// For envs built without the platform: a trained run cannot be loaded.
pub struct NoTrainedRuns;

impl LoadTrainedRun for NoTrainedRuns {
    fn load(&self, entry: &TrainedRun) -> Result<Box<dyn Skill>> {
        Err(EnvError::Unsupported(format!(
            "the trained run {} is loaded by the limbic platform (limbic train / eval), not by the environments \
             crate alone",
            entry.run.display()
        )))
    }
}

/// One entry of a skill library as a config writes it: a scripted skill's name
/// ([`SKILL_NAMES`]), or a trained run.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SkillEntry {
    Scripted(String),
    Run(TrainedRun),
}

impl<'de> Deserialize<'de> for SkillEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error;
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(name) => Ok(SkillEntry::Scripted(name)),
            run @ serde_json::Value::Object(_) => serde_json::from_value(run)
                .map(SkillEntry::Run)
                .map_err(|e| D::Error::custom(format!("a trained run as a skill is {RUN_ENTRY}: {e}"))),
            other => Err(D::Error::custom(format!(
                "a skill is a name ({}) or a trained run {RUN_ENTRY}, got {other}",
                SKILL_NAMES.join(", ")
            ))),
        }
    }
}

impl SkillEntry {
    /// The entry in a message: `pickup:key`, `run runs/doorkey`.
    fn describe(&self) -> String {
        match self {
            SkillEntry::Scripted(name) => format!("`{name}`"),
            SkillEntry::Run(entry) => format!("run {}", entry.run.display()),
        }
    }

    /// The skill, checked against `env` (errors name the entry: `skills[2]`).
    fn build(&self, index: usize, env: &dyn Env, runs: &dyn LoadTrainedRun) -> Result<Box<dyn Skill>> {
        let field = format!("skills[{index}]");
        let skill = match self {
            SkillEntry::Scripted(name) => ScriptedSkill::parse(name)?.boxed(),
            SkillEntry::Run(entry) => {
                if entry.max_steps == 0 {
                    return Err(bad_param(&format!("{field}.max_steps"), "must be at least 1 (a skill must end)"));
                }
                runs.load(entry).map_err(|e| bad_param(&field, format!("run {}: {e}", entry.run.display())))?
            }
        };
        match skill.refuses(env) {
            Some(reason) => Err(bad_param(&field, format!("`{}`: {reason}", skill.name()))),
            None => Ok(skill),
        }
    }
}

/// The env with a library of [`Skill`]s as its actions (`Discrete(K)`, in the library's
/// order). A step runs the chosen skill from `begin` to its termination, until the episode
/// ends, or for at most `max_frames` env steps; its reward is the sum of the env's rewards on
/// the way (MiniGrid pays only at the end, already discounted by the steps taken). A scripted
/// skill with nothing to do (no key to pick up, no locked door whose key is carried) spends
/// one `done` step. `step`'s info has `skill` and `frames` (env steps this skill took).
///
/// ```
/// use limbic_environments::gridworld::wrappers::Skills;
/// use limbic_environments::{make, Env, Kwargs, Options, Value};
/// let env = make("MiniGrid-KeyCorridorS3R1-v0", &Kwargs::new()).unwrap();
/// let mut env = Skills::new(env, &["pickup:key", "unlock:door", "pickup:ball"], None).unwrap();
/// env.reset(Some(0), &Options::new()).unwrap();
/// let rewards: Vec<f64> = (0..3).map(|skill| env.step(&Value::Int(skill)).unwrap().reward).collect();
/// assert!(rewards[2] > 0.9 && env.frames() > 3);
/// ```
pub struct Skills<E> {
    env: E,
    skills: Vec<Box<dyn Skill>>,
    space: Space,
    max_frames: Option<u32>,
    /// The current observation row (what a skill that reads observations sees).
    row: Vec<f32>,
    /// Env steps taken since construction, all skills together.
    frames: u64,
}

impl<E: Env> Skills<E> {
    /// Scripted skills `names` from [`SKILL_NAMES`], each at most once; `env` must be a gridworld.
    pub fn new(env: E, names: &[impl AsRef<str>], max_frames: Option<u32>) -> Result<Self> {
        let entries: Vec<SkillEntry> = names.iter().map(|n| SkillEntry::Scripted(n.as_ref().into())).collect();
        Self::from_entries(env, &entries, max_frames, &NoTrainedRuns)
    }

    /// The library a config lists, each entry at most once; trained runs come from `runs`.
    pub fn from_entries(
        env: E,
        entries: &[SkillEntry],
        max_frames: Option<u32>,
        runs: &dyn LoadTrainedRun,
    ) -> Result<Self> {
        if entries.is_empty() {
            let names = SKILL_NAMES.join(", ");
            return Err(bad_param(
                "skills",
                format!("the library is empty; skills: {names}, or a trained run {RUN_ENTRY}"),
            ));
        }
        if let Some((i, twice)) = entries.iter().enumerate().find(|(i, e)| entries[..*i].contains(e)) {
            return Err(bad_param(&format!("skills[{i}]"), format!("{} is listed twice", twice.describe())));
        }
        if max_frames == Some(0) {
            return Err(bad_param("max_frames", "must be at least 1"));
        }
        let skills = entries.iter().enumerate().map(|(i, e)| e.build(i, &env, runs)).collect::<Result<Vec<_>>>()?;
        let space = Space::discrete(skills.len() as i64);
        let row = vec![0.0; env.flat_space().flat_dim()?];
        Ok(Skills { env, skills, space, max_frames, row, frames: 0 })
    }

    /// The skills' names, in the library's order.
    pub fn names(&self) -> Vec<&str> {
        self.skills.iter().map(|s| s.name()).collect()
    }

    /// Env steps taken so far, all skills together (a learner's budget in frames).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn inner(&self) -> &E {
        &self.env
    }

    fn begin_episode(&mut self, seed: Option<u64>) {
        self.skills.iter_mut().for_each(|s| s.reset(seed));
    }

    /// Runs the skill `action` names, one env step at a time through `step` (which also writes
    /// the next observation row); returns the summed transition and the env steps taken.
    fn run(
        &mut self,
        action: &Value,
        mut step: impl FnMut(&mut E, &Value, &mut [f32]) -> Result<Transition>,
    ) -> Result<(Transition, u32)> {
        check_action(&self.space, action)?;
        let Skills { env, skills, row, max_frames, .. } = self;
        let skill = &mut skills[action.as_int().unwrap_or_default() as usize];
        skill.begin(SkillInput { env: &*env, obs: row })?;
        let mut total = Transition::default();
        let mut frames = 0u32;
        while max_frames.is_none_or(|m| frames < m) {
            let Some(primitive) = skill.act(SkillInput { env: &*env, obs: row })? else { break };
            let t = step(env, &primitive, row)?;
            frames += 1;
            total = Transition { reward: total.reward + t.reward, terminated: t.terminated, truncated: t.truncated };
            if t.done() {
                break;
            }
        }
        if frames == 0 {
            return Err(EnvError::Unsupported(format!("skill `{}` ended before its first step", skill.name())));
        }
        self.frames += frames as u64;
        Ok((total, frames))
    }
}

/// Copies the observation row `obs` into `row`.
fn keep_row(row: &mut [f32], obs: &[f32]) -> Result<()> {
    if row.len() != obs.len() {
        return Err(EnvError::BadSpace(format!("observation buffer of {} numbers, expected {}", obs.len(), row.len())));
    }
    row.copy_from_slice(obs);
    Ok(())
}

impl<E: Env> Env for Skills<E> {
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn flat_space(&self) -> &Space {
        self.env.flat_space()
    }
    fn action_space(&self) -> &Space {
        &self.space
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        self.begin_episode(seed);
        let (obs, info) = self.env.reset(seed, options)?;
        self.env.flat_space().flatten_into(&obs, &mut self.row)?;
        Ok((obs, info))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let mut last = None;
        let (t, frames) = self.run(action, |env, primitive, row| {
            let step = env.step(primitive)?;
            env.flat_space().flatten_into(&step.obs, row)?;
            let t = Transition { reward: step.reward, terminated: step.terminated, truncated: step.truncated };
            last = Some(step);
            Ok(t)
        })?;
        let Step { obs, mut info, .. } = last.ok_or(EnvError::EpisodeOver)?;
        let skill = &self.skills[action.as_int().unwrap_or_default() as usize];
        info.insert("skill".into(), skill.name().into());
        info.insert("frames".into(), frames.into());
        Ok(Step { obs, reward: t.reward, terminated: t.terminated, truncated: t.truncated, info })
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.begin_episode(seed);
        self.env.reset_into(seed, obs)?;
        keep_row(&mut self.row, obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        let run = self.run(action, |env, primitive, row| {
            let t = env.step_into(primitive, obs)?;
            keep_row(row, obs)?;
            Ok(t)
        });
        Ok(run?.0)
    }
    fn grid_world(&self) -> Option<&World> {
        self.env.grid_world()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gridworld::experts::{expert_for, run_episode};
    use crate::{make, Kwargs};

    fn skills(id: &str, names: &[&str]) -> Skills<Box<dyn Env>> {
        Skills::new(make(id, &Kwargs::new()).unwrap(), names, None).unwrap()
    }

    #[test]
    fn the_right_chain_of_skills_solves_keycorridor_as_fast_as_the_expert() {
        for seed in 0..5 {
            let mut env = skills("MiniGrid-KeyCorridorS3R3-v0", &["pickup:ball", "pickup:key", "unlock:door"]);
            env.reset(Some(seed), &Options::new()).unwrap();
            // The target alone is out of reach: the skill spends a step and does nothing.
            let alone = env.step(&Value::Int(0)).unwrap();
            assert_eq!((alone.reward, alone.info["frames"].as_u64()), (0.0, Some(1)), "seed {seed}");
            let steps: Vec<Step> = [1, 2, 0].iter().map(|&s| env.step(&Value::Int(s)).unwrap()).collect();
            assert!(steps[..2].iter().all(|s| s.reward == 0.0 && !s.terminated));
            assert!(steps[2].terminated && steps[2].reward > 0.0, "seed {seed}");
            assert_eq!(steps[1].info["skill"], "unlock:door");
            let frames: u64 = steps.iter().map(|s| s.info["frames"].as_u64().unwrap()).sum();
            assert_eq!(frames + 1, env.frames());
            // The whole task's expert plans the same chain at once; skills cannot beat it.
            let mut grid = crate::gridworld::make("MiniGrid-KeyCorridorS3R3-v0", &Kwargs::new()).unwrap();
            let mut expert = expert_for("MiniGrid-KeyCorridorS3R3-v0").unwrap();
            let best = run_episode(grid.as_mut(), expert.as_mut(), Some(seed)).unwrap();
            assert!(best.success && frames >= best.steps as u64, "seed {seed}: {frames} < {}", best.steps);
        }
    }

    #[test]
    fn a_skill_with_nothing_to_do_costs_one_step_and_changes_nothing() {
        let mut env = skills("MiniGrid-KeyCorridorS3R3-v0", &["drop", "unlock:door"]);
        env.reset(Some(3), &Options::new()).unwrap();
        let before = env.grid_world().unwrap().clone();
        for skill in 0..2 {
            let step = env.step(&Value::Int(skill)).unwrap();
            assert_eq!((step.info["frames"].as_u64(), step.reward), (Some(1), 0.0));
        }
        let after = env.grid_world().unwrap();
        assert_eq!((after.agent_pos, after.carrying, after.step_count), (before.agent_pos, before.carrying, 2));
    }

    #[test]
    fn the_fast_path_matches_step() {
        let names = ["open:box", "pickup:key", "unlock:door", "pickup:ball", "drop"];
        let mut slow = skills("MiniGrid-ObstructedMaze-1Dlh-v0", &names);
        let mut fast = skills("MiniGrid-ObstructedMaze-1Dlh-v0", &names);
        let mut row = vec![0.0f32; fast.flat_space().flat_dim().unwrap()];
        let mut flat = row.clone();
        slow.reset(Some(7), &Options::new()).unwrap();
        fast.reset_into(Some(7), &mut row).unwrap();
        for skill in [0, 1, 2, 4, 3] {
            let step = slow.step(&Value::Int(skill)).unwrap();
            let t = fast.step_into(&Value::Int(skill), &mut row).unwrap();
            slow.flat_space().flatten_into(&strip_mission(step.obs), &mut flat).unwrap();
            assert_eq!((t.reward, t.terminated, t.truncated), (step.reward, step.terminated, step.truncated));
            assert_eq!(row, flat);
            if t.done() {
                assert!(t.reward > 0.0, "the chain solves ObstructedMaze-1Dlh");
                return;
            }
        }
        panic!("the chain did not finish the episode");
    }

    fn strip_mission(obs: Value) -> Value {
        match obs {
            Value::Dict(items) => Value::Dict(items.into_iter().filter(|(k, _)| k != "mission").collect()),
            other => other,
        }
    }

    #[test]
    fn bad_libraries_are_refused_with_the_reason() {
        let env = || make("MiniGrid-Empty-5x5-v0", &Kwargs::new()).unwrap();
        let error = |names: &[&str], max| Skills::new(env(), names, max).err().unwrap().to_string();
        assert!(error(&["fly"], None).contains("unknown skill `fly`"));
        assert!(error(&["drop", "drop"], None).contains("listed twice"));
        assert!(error(&[], None).contains("empty"));
        assert!(error(&["drop"], Some(0)).contains("max_frames"));
        let classic = Skills::new(make("CartPole-v1", &Kwargs::new()).unwrap(), &["drop"], None);
        assert!(classic.err().unwrap().to_string().contains("gridworld"));
        let mut goal = Skills::new(env(), &["goto:goal"], None).unwrap();
        goal.reset(Some(0), &Options::new()).unwrap();
        assert!(goal.step(&Value::Int(1)).is_err());
        assert!(goal.step(&Value::Int(0)).unwrap().terminated);
        // Trained runs need the platform's loader; a run skill must end.
        let run = |max_steps| SkillEntry::Run(TrainedRun { run: "runs/x".into(), max_steps, deterministic: true });
        let entries = |max_steps| [SkillEntry::Scripted("drop".into()), run(max_steps)];
        let error = |max| Skills::from_entries(env(), &entries(max), None, &NoTrainedRuns).err().unwrap().to_string();
        assert!(error(3).contains("skills[1]") && error(3).contains("runs/x") && error(3).contains("platform"));
        assert!(error(0).contains("skills[1].max_steps"));
    }

    /// A skill of its own: forward `steps` times, then it terminates (none: it never acts).
    struct Forward {
        steps: usize,
        taken: usize,
    }

    impl Skill for Forward {
        fn name(&self) -> &str {
            "forward"
        }
        fn refuses(&self, _env: &dyn Env) -> Option<String> {
            None
        }
        fn begin(&mut self, now: SkillInput) -> Result<()> {
            assert_eq!(now.obs.len(), now.env.flat_space().flat_dim()?);
            self.taken = 0;
            Ok(())
        }
        fn act(&mut self, _now: SkillInput) -> Result<Option<Value>> {
            self.taken += 1;
            Ok((self.taken <= self.steps).then_some(Value::Int(Action::Forward as i64)))
        }
    }

    struct Library(usize);

    impl LoadTrainedRun for Library {
        fn load(&self, _entry: &TrainedRun) -> Result<Box<dyn Skill>> {
            Ok(Box::new(Forward { steps: self.0, taken: 0 }))
        }
    }

    #[test]
    fn any_skill_runs_until_it_terminates_or_max_frames_pass() {
        let entries = [SkillEntry::Run(TrainedRun { run: "forward".into(), max_steps: 9, deterministic: true })];
        let library = |steps, max| {
            let env = make("MiniGrid-Empty-8x8-v0", &Kwargs::new()).unwrap();
            let mut env = Skills::from_entries(env, &entries, max, &Library(steps)).unwrap();
            env.reset(Some(0), &Options::new()).unwrap();
            env
        };
        let frames = |mut env: Skills<Box<dyn Env>>| env.step(&Value::Int(0)).map(|s| s.info["frames"].as_u64());
        assert_eq!(frames(library(2, None)).unwrap(), Some(2));
        assert_eq!(frames(library(5, Some(3))).unwrap(), Some(3));
        let never = frames(library(0, None)).unwrap_err().to_string();
        assert!(never.contains("`forward` ended before its first step"), "{never}");
    }
}
