//! Scripted experts for the MiniGrid ids: privileged planners that read the full state (the
//! whole grid, what boxes hold, which object the Memory task showed) and act optimally or close
//! to it, for demonstrations, imitation learning (they label any state, as DAgger needs) and
//! reference scores.
//!
//! Each family says what it aims at from a state, as alternative chains of [`Stage`]s
//! ("pick up the key, then reach the goal"); [`plan::shortest_plan`] finds the fewest actions
//! for each chain over the exact state (pose, carried object, changed cells), and the expert
//! follows the shortest. The plan is kept while the world evolves as it predicted, and made
//! again when it does not (a new episode, moving obstacles, someone else acting meanwhile).
//!
//! | module | ids |
//! | --- | --- |
//! | [`reach`] | Empty, FourRooms, LavaGap, LavaCrossing, SimpleCrossing, DistShift, MultiRoom, DoorKey, LockedRoom, Dynamic-Obstacles |
//! | [`unlock`] | Unlock |
//! | [`pickup`] | UnlockPickup, BlockedUnlockPickup, KeyCorridor, ObstructedMaze |
//! | [`memory`] | Memory |
//! | [`goto`] | GoToDoor, GoToObject |
//! | [`fetch`] | Fetch |
//! | [`putnear`] | PutNear |
//! | [`redbluedoors`] | RedBlueDoors |
//!
//! ```
//! use limbic_environments::gridworld::{self, experts};
//! use limbic_environments::Kwargs;
//! let mut env = gridworld::make("MiniGrid-DoorKey-5x5-v0", &Kwargs::new()).unwrap();
//! let mut expert = experts::expert_for("MiniGrid-DoorKey-5x5-v0").unwrap();
//! let episode = experts::run_episode(env.as_mut(), expert.as_mut(), Some(42)).unwrap();
//! // Seed 42 is solved in 7 steps (see the module doc of `gridworld`).
//! assert!(episode.success);
//! assert_eq!(episode.steps, 7);
//! ```

pub mod fetch;
pub mod goto;
pub mod memory;
pub mod pickup;
pub mod plan;
pub mod putnear;
pub mod reach;
pub mod redbluedoors;
pub mod unlock;

pub use plan::{shortest_plan, Moves, Place, Plan, Pose, Rules, Search, Stage};

use super::{ids, Action, Color, GridEnv, Obj, ObjType, Pos, World, COLOR_NAMES};
use crate::error::{EnvError, Result};
use crate::value::Value;

/// A policy over the full world state.
pub trait Expert: Send {
    /// The action to take in `world`'s state.
    fn act(&mut self, world: &World) -> Action;

    /// Forgets the current plan. Optional: `act` notices a new episode by itself.
    fn reset(&mut self);

    /// The fewest actions that finish the task from `world`'s state (a fresh plan, the current
    /// one left alone); `None` where there is no plan.
    fn steps_to_go(&self, _world: &World) -> Option<usize> {
        None
    }
}

/// What a family's expert aims at from a state: alternative chains of stages (the shortest plan
/// among them is followed) and the rules for all of them.
pub struct Goals {
    pub chains: Vec<Vec<Stage>>,
    pub rules: Rules,
}

impl Goals {
    /// Nothing left to do (the episode is over, or the state cannot be solved).
    pub fn none() -> Goals {
        Goals { chains: Vec::new(), rules: Rules::default() }
    }
}

/// A family's knowledge of its task.
pub trait Strategy: Send + 'static {
    fn goals(&self, world: &World) -> Goals;

    /// Whether the world changes by itself between steps (moving obstacles): then the expert
    /// plans afresh at every step.
    fn dynamic(&self) -> bool {
        false
    }
}

/// What an expert does when it has no plan (the state cannot be solved, or not within the
/// search's budget): turn left, which changes nothing else, so the episode runs out at
/// `max_steps` rather than ending early. It searches again only in a new episode.
pub const NO_PLAN: Action = Action::Left;

/// An [`Expert`] that follows the shortest plan to its strategy's goals.
pub struct Planned<S> {
    strategy: S,
    plan: Plan,
    /// The index of the next action of `plan`.
    next: usize,
    /// The world's step count when `plan` was made.
    made_at: u32,
    /// No plan was found at `made_at`: until a new episode, searching again is futile.
    gave_up: bool,
}

impl<S: Strategy> Planned<S> {
    pub fn new(strategy: S) -> Planned<S> {
        Planned { strategy, plan: Vec::new(), next: 0, made_at: 0, gave_up: false }
    }

    /// Whether the world is where the plan expected to be before its next action.
    fn on_track(&self, world: &World) -> bool {
        let expected_step = self.made_at as usize + self.next;
        !self.strategy.dynamic()
            && world.step_count as usize == expected_step
            && self.plan.get(self.next).is_some_and(|(pose, _)| *pose == Pose::of(world))
    }
}

/// The shortest plan over the alternatives (searched from the most promising, so that its
/// length bounds the search of the others). Where objects next to doors may be moved and no
/// plan is found, any object may be moved in a second try.
pub fn best_plan(world: &World, goals: &Goals) -> Option<Plan> {
    if !world.grid.contains(world.agent_pos) {
        // No episode yet.
        return None;
    }
    let plan = best_plan_under(world, &goals.chains, &goals.rules);
    if plan.is_none() && goals.rules.move_objects == Moves::Doorways {
        let rules = Rules { move_objects: Moves::Anywhere, ..goals.rules.clone() };
        return best_plan_under(world, &goals.chains, &rules);
    }
    plan
}

fn best_plan_under(world: &World, chains: &[Vec<Stage>], rules: &Rules) -> Option<Plan> {
    let searches: Vec<Search> = chains.iter().map(|chain| Search::new(world, chain, rules)).collect();
    let mut ranked: Vec<(usize, &Search)> =
        searches.iter().filter_map(|search| Some((search.lower_bound()?, search))).collect();
    ranked.sort_by_key(|&(bound, _)| bound);
    let mut best: Option<Plan> = None;
    for (bound, search) in ranked {
        let limit = best.as_ref().map_or(usize::MAX, Vec::len);
        if bound >= limit {
            break;
        }
        if let Some(plan) = search.run(limit) {
            best = Some(plan);
        }
    }
    best
}

impl<S: Strategy> Expert for Planned<S> {
    fn act(&mut self, world: &World) -> Action {
        let same_episode = world.step_count > self.made_at;
        if self.gave_up && same_episode && !self.strategy.dynamic() {
            return NO_PLAN;
        }
        if !self.on_track(world) {
            let plan = best_plan(world, &self.strategy.goals(world));
            self.gave_up = plan.is_none();
            self.plan = plan.unwrap_or_default();
            self.next = 0;
            self.made_at = world.step_count;
        }
        match self.plan.get(self.next) {
            Some(&(_, action)) => {
                self.next += 1;
                action
            }
            None => NO_PLAN,
        }
    }

    fn reset(&mut self) {
        self.plan.clear();
        self.next = 0;
        self.gave_up = false;
    }

    fn steps_to_go(&self, world: &World) -> Option<usize> {
        best_plan(world, &self.strategy.goals(world)).map(|plan| plan.len())
    }
}

/// How a person who knows the task judges each action (a synthetic evaluative teacher's view,
/// never the agent's): +1 for an action that shortens the expert's shortest plan from the state
/// it was taken in (or ends the episode with a reward), -1 for one that does not, 0 where the
/// expert has no plan to judge by.
pub struct Progress {
    expert: Box<dyn Expert>,
    /// The steps to go last computed, with the world's step count they are for.
    cached: Option<(u32, Option<usize>)>,
}

impl Progress {
    /// The judge for a MiniGrid id (an error naming the id where it has no expert).
    pub fn for_id(id: &str) -> Result<Progress> {
        Ok(Progress { expert: expert_for(id)?, cached: None })
    }

    /// Forgets the running episode.
    pub fn reset(&mut self) {
        self.cached = None;
    }

    /// The fewest actions that finish the task from `world` (kept for the next step's judgement).
    pub fn steps_to_go(&mut self, world: &World) -> Option<usize> {
        match self.cached {
            Some((step, to_go)) if step == world.step_count => to_go,
            _ => {
                let to_go = self.expert.steps_to_go(world);
                self.cached = Some((world.step_count, to_go));
                to_go
            }
        }
    }

    /// The score of the step from a state `before` steps from done to `after`, which
    /// `succeeded` (terminated with a positive reward) or `failed` (terminated otherwise).
    pub fn score(&mut self, before: Option<usize>, after: &World, succeeded: bool, failed: bool) -> f32 {
        let Some(before) = before else { return 0.0 };
        let to_go = match (succeeded, failed) {
            (true, _) => Some(0),
            (false, true) => None,
            (false, false) => self.steps_to_go(after),
        };
        match to_go {
            Some(to_go) if to_go < before => 1.0,
            _ => -1.0,
        }
    }
}

/// The families with an expert, by id prefix.
fn family(id: &str) -> Option<fn() -> Box<dyn Expert>> {
    fn boxed<S: Strategy>(strategy: S) -> Box<dyn Expert> {
        Box::new(Planned::new(strategy))
    }
    const REACH: [&str; 9] = [
        "MiniGrid-Empty-",
        "MiniGrid-FourRooms-",
        "MiniGrid-LavaGap",
        "MiniGrid-LavaCrossing",
        "MiniGrid-SimpleCrossing",
        "MiniGrid-DistShift",
        "MiniGrid-MultiRoom-",
        "MiniGrid-DoorKey-",
        "MiniGrid-LockedRoom-",
    ];
    const PICKUP: [&str; 4] =
        ["MiniGrid-UnlockPickup-", "MiniGrid-BlockedUnlockPickup-", "MiniGrid-KeyCorridor", "MiniGrid-ObstructedMaze-"];
    let is = |prefixes: &[&str]| prefixes.iter().any(|p| id.starts_with(p));
    Some(match id {
        _ if is(&REACH) => || boxed(reach::ReachGoal { moving_obstacles: false }),
        _ if is(&["MiniGrid-Dynamic-Obstacles-"]) => || boxed(reach::ReachGoal { moving_obstacles: true }),
        _ if is(&["MiniGrid-Unlock-"]) => || boxed(unlock::OpenDoor),
        _ if is(&PICKUP) => || boxed(pickup::PickUpTarget),
        _ if is(&["MiniGrid-Memory"]) => || boxed(memory::MatchObject),
        _ if is(&["MiniGrid-GoToDoor-", "MiniGrid-GoToObject-"]) => || boxed(goto::GoNextTo),
        _ if is(&["MiniGrid-Fetch-"]) => || boxed(fetch::FetchObject),
        _ if is(&["MiniGrid-PutNear-"]) => || boxed(putnear::PutNear),
        _ if is(&["MiniGrid-RedBlueDoors-"]) => || boxed(redbluedoors::RedThenBlue),
        _ => return None,
    })
}

/// The ids that have an expert.
pub fn supported_ids() -> Vec<&'static str> {
    ids().into_iter().filter(|id| family(id).is_some()).collect()
}

/// The expert for a MiniGrid id.
pub fn expert_for(id: &str) -> Result<Box<dyn Expert>> {
    match family(id) {
        Some(make) if ids().contains(&id) => Ok(make()),
        _ => Err(EnvError::Unsupported(format!(
            "no scripted expert for `{id}`; experts exist for: {}",
            supported_ids().join(", ")
        ))),
    }
}

/// How an episode went.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Episode {
    /// The sum of rewards.
    pub total_reward: f64,
    pub steps: u32,
    /// Ended by the task with a positive reward (not by running out of steps).
    pub success: bool,
}

/// Runs one episode of `env` (reset with `seed`) with `expert` choosing every action, until the
/// env terminates or truncates it (MiniGrid truncates at `max_steps`, so this always ends).
pub fn run_episode(env: &mut dyn GridEnv, expert: &mut dyn Expert, seed: Option<u64>) -> Result<Episode> {
    let mut obs = vec![0.0f32; env.flat_space().flat_dim()?];
    env.reset_into(seed, &mut obs)?;
    expert.reset();
    let mut episode = Episode { total_reward: 0.0, steps: 0, success: false };
    loop {
        let action = expert.act(env.world());
        let t = env.step_into(&Value::Int(action as i64), &mut obs)?;
        episode.total_reward += t.reward;
        episode.steps += 1;
        if t.done() {
            episode.success = t.terminated && t.reward > 0.0;
            return Ok(episode);
        }
    }
}

// ----- Reading the task off the world, shared by the families. -----

/// Every position whose object satisfies `pred`, column by column.
pub fn find(world: &World, pred: impl Fn(&Obj) -> bool) -> Vec<Pos> {
    let (width, height) = (world.grid.width(), world.grid.height());
    (0..width).flat_map(|x| (0..height).map(move |y| (x, y))).filter(|&p| pred(&world.grid.get(p))).collect()
}

/// The objects a mission names, in order: each colour-and-type pair ("the red ball").
pub fn named_objects(mission: &str) -> Vec<(Color, ObjType)> {
    const TYPES: [ObjType; 5] = [ObjType::Key, ObjType::Ball, ObjType::Box, ObjType::Door, ObjType::Goal];
    let words: Vec<&str> = mission.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    words
        .windows(2)
        .filter_map(|pair| {
            let color = COLOR_NAMES.iter().find(|c| c.name() == pair[0])?;
            let kind = TYPES.iter().find(|t| t.name() == pair[1])?;
            Some((*color, *kind))
        })
        .collect()
}

/// The four cells next to `pos`.
pub fn neighbours((x, y): Pos) -> [Pos; 4] {
    [(x + 1, y), (x, y + 1), (x - 1, y), (x, y - 1)]
}

/// A drop first if the agent's hands are full: the chain that follows starts with a pickup.
pub fn free_hands(world: &World) -> Vec<Stage> {
    match world.carrying {
        Some(_) => vec![Stage::drop_anywhere()],
        None => Vec::new(),
    }
}

/// The cells connected to `from` without crossing walls or locked doors (objects and closed
/// doors are no barrier: they can be moved or opened). Indexed `x * height + y`.
pub fn region(world: &World, from: Pos) -> Vec<bool> {
    let (width, height) = (world.grid.width(), world.grid.height());
    let index = |(x, y): Pos| (x * height + y) as usize;
    let mut inside = vec![false; (width * height) as usize];
    let mut stack = vec![from];
    while let Some(pos) = stack.pop() {
        let cell = world.grid.get(pos);
        if !world.grid.contains(pos) || inside[index(pos)] || cell.kind == ObjType::Wall || cell.is_locked() {
            continue;
        }
        inside[index(pos)] = true;
        stack.extend(neighbours(pos));
    }
    inside
}

/// Whether `pos` is in a [`region`] of `world`.
pub fn in_region(world: &World, region: &[bool], (x, y): Pos) -> bool {
    world.grid.contains((x, y)) && region[(x * world.grid.height() + y) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missions_name_their_objects() {
        assert_eq!(named_objects("go to the red door"), [(Color::Red, ObjType::Door)]);
        assert_eq!(
            named_objects("put the purple ball near the grey key"),
            [(Color::Purple, ObjType::Ball), (Color::Grey, ObjType::Key)]
        );
        assert_eq!(named_objects("you must fetch a blue key"), [(Color::Blue, ObjType::Key)]);
        assert_eq!(named_objects("get to the green goal square"), [(Color::Green, ObjType::Goal)]);
        assert!(named_objects("open the door").is_empty());
    }

    #[test]
    fn no_episode_no_plan() {
        let world = World::new(5, 5, 10);
        let mut expert = expert_for("MiniGrid-DoorKey-5x5-v0").unwrap();
        assert_eq!(expert.act(&world), NO_PLAN);
    }
}
