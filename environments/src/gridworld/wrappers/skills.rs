//! Skills: a library of scripted gridworld skills as the env's actions. One step of the wrapped
//! env runs a whole skill, so any learner over these actions is a manager over given options
//! (a semi-Markov decision process, Sutton, Precup & Singh 1999).

use crate::env::{check_action, Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::gridworld::experts::{best_plan, find, free_hands, neighbours, Goals, Moves, Place, Pose, Rules, Stage};
use crate::gridworld::{Action, Obj, ObjType, World};
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;
use crate::wrappers::bad_param;

/// One scripted skill: a subgoal the gridworld planner reaches by the shortest plan over the
/// full state. On its way a skill opens closed doors (a locked one only with its key in hand)
/// and moves no object, so skills stay parts of the task and the manager has to chain them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skill {
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

impl Skill {
    pub fn parse(name: &str) -> Result<Skill> {
        Ok(match name {
            "pickup:key" => Skill::PickUp(ObjType::Key),
            "pickup:ball" => Skill::PickUp(ObjType::Ball),
            "pickup:box" => Skill::PickUp(ObjType::Box),
            "open:door" => Skill::OpenDoor,
            "unlock:door" => Skill::UnlockDoor,
            "open:box" => Skill::OpenBox,
            "drop" => Skill::Drop,
            "goto:goal" => Skill::GoToGoal,
            other => {
                return Err(bad_param("skills", format!("unknown skill `{other}`; skills: {}", SKILL_NAMES.join(", "))))
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Skill::PickUp(ObjType::Key) => "pickup:key",
            Skill::PickUp(ObjType::Ball) => "pickup:ball",
            Skill::PickUp(_) => "pickup:box",
            Skill::OpenDoor => "open:door",
            Skill::UnlockDoor => "unlock:door",
            Skill::OpenBox => "open:box",
            Skill::Drop => "drop",
            Skill::GoToGoal => "goto:goal",
        }
    }

    /// What the planner aims at from `world`: one chain per candidate object (the shortest
    /// plan among them wins, so "the nearest"); none where the skill cannot apply.
    pub fn goals(self, world: &World) -> Goals {
        let rules = Rules { open_doors: true, move_objects: Moves::None, avoid: Vec::new() };
        let toggle = |pos| vec![Stage { place: Place::Facing(vec![pos]), action: Some(Action::Toggle) }];
        let chains: Vec<Vec<Stage>> = match self {
            Skill::PickUp(kind) if world.carrying.is_some_and(|o| o.kind == kind) => Vec::new(),
            Skill::PickUp(kind) => find(world, |o| o.kind == kind)
                .into_iter()
                .map(|pos| [free_hands(world), vec![Stage::pick_up_at(vec![pos])]].concat())
                .collect(),
            Skill::OpenDoor => find(world, |o| o.kind == ObjType::Door && !o.is_open() && !o.is_locked())
                .into_iter()
                .map(toggle)
                .collect(),
            Skill::UnlockDoor => {
                let key_for = |door: &Obj| world.carrying == Some(Obj::key(door.color));
                find(world, |o| o.is_locked() && key_for(o)).into_iter().map(toggle).collect()
            }
            Skill::OpenBox => find(world, |o| o.kind == ObjType::Box).into_iter().map(toggle).collect(),
            Skill::Drop if world.carrying.is_some() => vec![vec![out_of_the_way(world)]],
            Skill::Drop => Vec::new(),
            Skill::GoToGoal => {
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

/// The env with a library of [`Skill`]s as its actions (`Discrete(K)`, in the library's
/// order). A step runs the chosen skill's plan to its end, until the episode ends, or for at
/// most `max_frames` env steps; its reward is the sum of the env's rewards on the way (MiniGrid
/// pays only at the end, already discounted by the steps taken). A skill with nothing to do
/// (no key to pick up, no locked door whose key is carried) spends one `done` step, so choosing
/// it is never free. `step`'s info has `skill` and `frames` (env steps this skill took).
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
    skills: Vec<Skill>,
    space: Space,
    max_frames: Option<u32>,
    /// Env steps taken since construction, all skills together.
    frames: u64,
}

impl<E: Env> Skills<E> {
    /// `names` from [`SKILL_NAMES`], each at most once; `env` must be a gridworld.
    pub fn new(env: E, names: &[impl AsRef<str>], max_frames: Option<u32>) -> Result<Self> {
        if env.grid_world().is_none() {
            return Err(bad_param("skills", "scripted skills read a gridworld's state: use a MiniGrid or BabyAI env"));
        }
        if names.is_empty() {
            return Err(bad_param("skills", format!("the library is empty; skills: {}", SKILL_NAMES.join(", "))));
        }
        let skills = names.iter().map(|n| Skill::parse(n.as_ref())).collect::<Result<Vec<_>>>()?;
        if let Some(twice) = skills.iter().enumerate().find(|(i, s)| skills[..*i].contains(s)) {
            return Err(bad_param("skills", format!("`{}` is listed twice", twice.1.name())));
        }
        if max_frames == Some(0) {
            return Err(bad_param("max_frames", "must be at least 1"));
        }
        let space = Space::discrete(skills.len() as i64);
        Ok(Skills { env, skills, space, max_frames, frames: 0 })
    }

    pub fn skills(&self) -> &[Skill] {
        &self.skills
    }

    /// Env steps taken so far, all skills together (a learner's budget in frames).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn inner(&self) -> &E {
        &self.env
    }

    /// Runs the skill `action` names, one env step at a time through `step`; returns the summed
    /// transition and the env steps taken.
    fn run(
        &mut self,
        action: &Value,
        mut step: impl FnMut(&mut E, &Value) -> Result<Transition>,
    ) -> Result<(Transition, u32)> {
        check_action(&self.space, action)?;
        let skill = self.skills[action.as_int().unwrap_or_default() as usize];
        let world = self.env.grid_world().ok_or(EnvError::NotReset)?;
        let plan = best_plan(world, &skill.goals(world)).unwrap_or_default();
        let actions: Vec<(Pose, Action)> = if plan.is_empty() { vec![(Pose::of(world), Action::Done)] } else { plan };
        let mut total = Transition::default();
        let mut frames = 0u32;
        for (pose, primitive) in actions {
            // Off the plan (the world moved by itself): the skill ends here.
            let on_plan = self.env.grid_world().is_some_and(|w| Pose::of(w) == pose);
            if frames > 0 && (!on_plan || self.max_frames.is_some_and(|m| frames >= m)) {
                break;
            }
            let t = step(&mut self.env, &Value::Int(primitive as i64))?;
            frames += 1;
            total = Transition { reward: total.reward + t.reward, terminated: t.terminated, truncated: t.truncated };
            if t.done() {
                break;
            }
        }
        self.frames += frames as u64;
        Ok((total, frames))
    }
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
        self.env.reset(seed, options)
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let mut last = None;
        let (t, frames) = self.run(action, |env, primitive| {
            let step = env.step(primitive)?;
            let t = Transition { reward: step.reward, terminated: step.terminated, truncated: step.truncated };
            last = Some(step);
            Ok(t)
        })?;
        let Step { obs, mut info, .. } = last.ok_or(EnvError::EpisodeOver)?;
        let skill = self.skills[action.as_int().unwrap_or_default() as usize];
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
        self.env.reset_into(seed, obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        Ok(self.run(action, |env, primitive| env.step_into(primitive, obs))?.0)
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
        let mut env = Skills::new(env(), &["goto:goal"], None).unwrap();
        env.reset(Some(0), &Options::new()).unwrap();
        assert!(env.step(&Value::Int(1)).is_err());
        assert!(env.step(&Value::Int(0)).unwrap().terminated);
    }
}
