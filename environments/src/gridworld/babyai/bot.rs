//! The BabyAI bot (MiniGrid 3.2.0's `minigrid.utils.baby_ai_bot.BabyAIBot`): a scripted teacher
//! that makes the same decisions as MiniGrid's from the same state.
//!
//! The bot turns the instruction into a stack of subgoals (go next to, open, pick up, drop,
//! close, explore) and, at every step, lets the top subgoal react to the action taken, then asks
//! subgoals for an action until one gives it. It plans by breadth-first search over the cells it
//! has seen (a mask grown from the agent's view), reading their true contents from the grid.
//! [`Bot::replan`] takes the action actually taken when it differs from the bot's suggestion
//! (DAgger's use) and plans to undo it where needed.
//!
//! Where MiniGrid's bot raises (a box was opened, an assertion fails, or it replans forever),
//! this one returns a [`BotError`].

use super::instr::{Instr, ObjDesc};
use super::objects::{ObjId, NONE};
use super::registry::BabyAiEnv;
use crate::gridworld::view::View;
use crate::gridworld::{Action, GridEnv, Obj, ObjType, Pos, World, DIR_TO_VEC};
use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;

/// Replanning steps one call may take before the bot is declared stuck (MiniGrid's loops).
const MAX_REPLANS: usize = 10_000;

/// Why the bot cannot go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BotError {
    /// A box was opened (MiniGrid's `DisappearedBoxError`): what it held may be gone.
    DisappearedBox,
    /// One of the bot's assumptions failed (MiniGrid's `AssertionError` and the like).
    Failed(String),
    /// Replanning never settled on an action (MiniGrid's bot loops forever there).
    Stuck,
}

impl fmt::Display for BotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BotError::DisappearedBox => write!(f, "a box was opened; the BabyAI bot cannot tell what it held"),
            BotError::Failed(why) => write!(f, "the BabyAI bot failed: {why}"),
            BotError::Stuck => write!(f, "the BabyAI bot replanned {MAX_REPLANS} times without choosing an action"),
        }
    }
}

impl std::error::Error for BotError {}

type BotResult<T> = Result<T, BotError>;

fn fail<T>(why: &str) -> BotResult<T> {
    Err(BotError::Failed(why.to_string()))
}

/// A description the bot goes to: one of the instruction's (by its index in
/// [`Instr::descs`]), or one the bot made (a key for a locked door).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DescRef {
    Instr(usize),
    Own(usize),
}

/// What a "go next to" subgoal aims at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Desc(DescRef),
    /// A door (MiniGrid passes the door object; doors never move).
    Door(Pos),
    /// A position; `None` where MiniGrid passes a drop position it did not find (an error once
    /// the subgoal is planned).
    Pos(Option<Pos>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    None,
    /// Open: drop the key after unlocking.
    Unlock,
    /// Open: keep the key.
    KeepKey,
    /// GoNextTo: the door is to be opened.
    Open,
    /// GoNextTo: face an empty cell next to the object.
    PutNext,
    /// GoNextTo: exploring.
    Explore,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Close,
    Open,
    Drop,
    Pickup,
    GoNextTo(Target),
    Explore,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Subgoal {
    kind: Kind,
    reason: Reason,
}

impl Subgoal {
    fn new(kind: Kind) -> Subgoal {
        Subgoal { kind, reason: Reason::None }
    }

    fn go(target: Target, reason: Reason) -> Subgoal {
        Subgoal { kind: Kind::GoNextTo(target), reason }
    }

    fn to(pos: Option<Pos>) -> Subgoal {
        Subgoal::go(Target::Pos(pos), Reason::None)
    }

    fn is_exploratory(&self) -> bool {
        matches!(self.kind, Kind::Explore) || (matches!(self.kind, Kind::GoNextTo(_)) && self.reason == Reason::Explore)
    }
}

/// The agent's pose and hands in the state being planned for (`update_agent_attributes`).
#[derive(Clone, Copy)]
struct Pose {
    pos: Pos,
    dir: Pos,
    right: Pos,
    fwd_pos: Pos,
    fwd_cell: Obj,
    carrying: Option<Obj>,
}

fn add((a, b): Pos, (c, d): Pos) -> Pos {
    (a + c, b + d)
}

fn sub((a, b): Pos, (c, d): Pos) -> Pos {
    (a - c, b - d)
}

fn manhattan(a: Pos, b: Pos) -> i32 {
    (a.0 - b.0).abs() + (a.1 - b.1).abs()
}

/// The found path (start excluded), where it ended, and whether it goes through blockers.
type Found = (Option<Vec<Pos>>, Option<Pos>, bool);

/// The BabyAI bot of one episode. Make it after `reset` and call [`Bot::replan`] once per step.
pub struct Bot {
    width: i32,
    height: i32,
    /// Cells seen so far, indexed `x * height + y`.
    seen: Vec<bool>,
    stack: Vec<Subgoal>,
    own_descs: Vec<ObjDesc>,
    view: View,
    prev_agent_pos: Pos,
    prev_carrying: ObjId,
    fwd_door_was_open: Option<bool>,
    prev_fwd_kind: Option<ObjType>,
    /// Breadth-first searches made, and states they visited.
    bfs_counter: Cell<u64>,
    bfs_step_counter: Cell<u64>,
}

/// What one replanning call reads.
struct State<'a> {
    world: &'a World,
    instr: &'a Instr,
    env: &'a BabyAiEnv,
    pose: Pose,
    carried: ObjId,
}

impl Bot {
    /// The bot for the episode `env` has just started (`BabyAIBot(env)`).
    pub fn new(env: &BabyAiEnv) -> Bot {
        let world = env.world();
        let (width, height) = (world.grid.width(), world.grid.height());
        let mut bot = Bot {
            width,
            height,
            seen: vec![false; (width * height) as usize],
            stack: Vec::new(),
            own_descs: Vec::new(),
            view: View::new(env.config().agent_view_size),
            prev_agent_pos: world.agent_pos,
            prev_carrying: NONE,
            fwd_door_was_open: None,
            prev_fwd_kind: None,
            bfs_counter: Cell::new(0),
            bfs_step_counter: Cell::new(0),
        };
        bot.process_instr(env.task().instr(), 0);
        bot
    }

    /// `_process_instr`: the subgoals of an instruction, the first to do on top.
    fn process_instr(&mut self, instr: &Instr, base: usize) {
        use super::instr::{Clause, SeqKind};
        let desc = |i: usize| Target::Desc(DescRef::Instr(base + i));
        match instr {
            Instr::Action(action) => match &action.clause {
                Clause::GoTo(_) => self.stack.push(Subgoal::go(desc(0), Reason::None)),
                Clause::Open(_) => {
                    self.stack.push(Subgoal::new(Kind::Open));
                    self.stack.push(Subgoal::go(desc(0), Reason::Open));
                }
                Clause::Pickup(_) => {
                    self.stack.push(Subgoal::new(Kind::Drop));
                    self.stack.push(Subgoal::new(Kind::Pickup));
                    self.stack.push(Subgoal::go(desc(0), Reason::None));
                }
                Clause::PutNext(..) => {
                    self.stack.push(Subgoal::new(Kind::Drop));
                    self.stack.push(Subgoal::go(desc(1), Reason::PutNext));
                    self.stack.push(Subgoal::new(Kind::Pickup));
                    self.stack.push(Subgoal::go(desc(0), Reason::None));
                }
            },
            Instr::Seq { kind, a, b, .. } => {
                let b_base = base + a.descs().len();
                if *kind == SeqKind::After {
                    self.process_instr(a, base);
                    self.process_instr(b, b_base);
                } else {
                    self.process_instr(b, b_base);
                    self.process_instr(a, base);
                }
            }
        }
    }

    /// `replan(action_taken)`: the bot's next action. `action_taken` is the action taken since
    /// the last call when it was not the bot's suggestion (`None`: the suggestion was taken, or
    /// this is the first call). `Action::Done` means the bot thinks the instruction is done.
    pub fn replan(&mut self, env: &BabyAiEnv, action_taken: Option<Action>) -> BotResult<Action> {
        let world = env.world();
        self.process_obs(world);
        if action_taken == Some(Action::Toggle) && self.prev_fwd_kind == Some(ObjType::Box) {
            return Err(BotError::DisappearedBox);
        }
        let s =
            State { world, instr: env.task().instr(), env, pose: pose(world), carried: env.task().objects().carried() };
        if let Some(&top) = self.stack.last() {
            self.replan_after_action(&s, top, action_taken)?;
        }
        while self.stack.last().is_some_and(Subgoal::is_exploratory) {
            self.stack.pop();
        }
        let mut suggested = None;
        for _ in 0..MAX_REPLANS {
            let Some(&top) = self.stack.last() else {
                suggested = Some(Action::Done);
                break;
            };
            suggested = self.replan_before_action(&s, top)?;
            if suggested.is_some() {
                break;
            }
        }
        let suggested = suggested.ok_or(BotError::Stuck)?;
        self.remember_current_state(&s);
        Ok(suggested)
    }

    /// How many breadth-first searches the bot made, and how many states they visited.
    pub fn search_counts(&self) -> (u64, u64) {
        (self.bfs_counter.get(), self.bfs_step_counter.get())
    }

    fn index(&self, (x, y): Pos) -> Option<usize> {
        (0 <= x && x < self.width && 0 <= y && y < self.height).then_some((x * self.height + y) as usize)
    }

    fn seen(&self, pos: Pos) -> bool {
        self.index(pos).is_some_and(|i| self.seen[i])
    }

    /// `_process_obs`: every cell visible from the agent's pose is seen.
    fn process_obs(&mut self, world: &World) {
        self.view.observe(world, false);
        let n = self.view.size() as i32;
        let (f, r) = (world.dir_vec(), right_of(world.dir_vec()));
        for vy in 0..n {
            for vx in 0..n {
                if !self.view.is_visible(vx as usize, vy as usize) {
                    continue;
                }
                let ahead = n - 1 - vy;
                let side = vx - n / 2;
                let pos = (world.agent_pos.0 + f.0 * ahead + r.0 * side, world.agent_pos.1 + f.1 * ahead + r.1 * side);
                if let Some(i) = self.index(pos) {
                    self.seen[i] = true;
                }
            }
        }
    }

    fn remember_current_state(&mut self, s: &State) {
        self.prev_agent_pos = s.pose.pos;
        self.prev_carrying = s.carried;
        if s.pose.fwd_cell.kind == ObjType::Door {
            self.fwd_door_was_open = Some(s.pose.fwd_cell.is_open());
        }
        self.prev_fwd_kind = (!s.pose.fwd_cell.is_empty()).then_some(s.pose.fwd_cell.kind);
    }

    fn desc<'a>(&'a self, s: &'a State, r: DescRef) -> BotResult<&'a ObjDesc> {
        match r {
            DescRef::Instr(i) => s.instr.desc(i).map_or_else(|| fail("no such description"), Ok),
            DescRef::Own(i) => self.own_descs.get(i).map_or_else(|| fail("no such description"), Ok),
        }
    }

    /// A fresh description of the key to a door of `color`, matched now.
    fn key_desc(&mut self, s: &State, color: crate::gridworld::Color) -> DescRef {
        let mut desc = ObjDesc::of(ObjType::Key, color);
        desc.find_matching(s.world, s.env.task().rooms(), s.env.task().objects());
        self.own_descs.push(desc);
        DescRef::Own(self.own_descs.len() - 1)
    }

    // ----- Subgoals reacting to the action taken. -----

    fn replan_after_action(&mut self, s: &State, top: Subgoal, taken: Option<Action>) -> BotResult<()> {
        use Action::*;
        match top.kind {
            Kind::Close | Kind::Drop => match taken {
                None => {
                    self.stack.pop();
                }
                Some(a) if Some(a) == own_action(top.kind) => {
                    self.stack.pop();
                }
                Some(a @ (Forward | Left | Right)) => self.plan_undo_action(s, a)?,
                _ => {}
            },
            Kind::Open => match taken {
                None | Some(Toggle) => {
                    self.stack.pop();
                    if top.reason == Reason::Unlock {
                        let drop_key_pos = self.find_drop_pos(s, None);
                        self.stack.push(Subgoal::new(Kind::Drop));
                        self.stack.push(Subgoal::to(drop_key_pos));
                    }
                }
                Some(a) => self.plan_undo_action(s, a)?,
            },
            Kind::Pickup => match taken {
                None | Some(Pickup) => {
                    self.stack.pop();
                }
                Some(a @ (Left | Right)) => self.plan_undo_action(s, a)?,
                _ => {}
            },
            Kind::GoNextTo(_) => {
                if let Some(a @ (Pickup | Drop | Toggle)) = taken {
                    self.plan_undo_action(s, a)?;
                }
            }
            Kind::Explore => {}
        }
        Ok(())
    }

    /// `_plan_undo_action`: plan to take back an action that was not the bot's.
    fn plan_undo_action(&mut self, s: &State, taken: Action) -> BotResult<()> {
        let p = &s.pose;
        match taken {
            Action::Forward if self.prev_agent_pos != p.pos => self.stack.push(Subgoal::to(Some(p.pos))),
            Action::Left => self.stack.push(Subgoal::to(Some(add(p.pos, p.right)))),
            Action::Right => self.stack.push(Subgoal::to(Some(sub(p.pos, p.right)))),
            Action::Drop if self.prev_carrying != s.carried => {
                if !matches!(p.fwd_cell.kind, ObjType::Key | ObjType::Box | ObjType::Ball) {
                    return fail("the dropped object is not in front");
                }
                self.stack.push(Subgoal::new(Kind::Pickup));
            }
            Action::Pickup if self.prev_carrying != s.carried => self.stack.push(Subgoal::new(Kind::Drop)),
            Action::Toggle if p.fwd_cell.kind == ObjType::Door => {
                let was_open = self.fwd_door_was_open.ok_or(BotError::Failed("no door was faced before".into()))?;
                if was_open != p.fwd_cell.is_open() {
                    self.stack.push(Subgoal::new(if p.fwd_cell.is_open() { Kind::Close } else { Kind::Open }));
                }
            }
            _ => {}
        }
        Ok(())
    }

    // ----- Subgoals choosing an action. -----

    /// `replan_before_action`: an action, or `None` when the stack changed and the new top is
    /// to be asked.
    fn replan_before_action(&mut self, s: &State, top: Subgoal) -> BotResult<Option<Action>> {
        let p = s.pose;
        match top.kind {
            Kind::Close => {
                if !p.fwd_cell.is_open() {
                    return fail("the door to close is not open in front");
                }
                Ok(Some(Action::Toggle))
            }
            Kind::Drop => {
                if p.carrying.is_none() || !p.fwd_cell.is_empty() {
                    return fail("nothing to drop, or no room in front");
                }
                Ok(Some(Action::Drop))
            }
            Kind::Pickup => {
                if p.carrying.is_some() {
                    return fail("the hands are full");
                }
                Ok(Some(Action::Pickup))
            }
            Kind::Open => self.open(s, top),
            Kind::GoNextTo(target) => self.go_next_to(s, top, target),
            Kind::Explore => self.explore(s).map(|()| None),
        }
    }

    fn open(&mut self, s: &State, top: Subgoal) -> BotResult<Option<Action>> {
        let p = s.pose;
        let door = p.fwd_cell;
        if door.kind != ObjType::Door {
            return fail("the cell in front is not a door");
        }
        let got_the_key = p.carrying.is_some_and(|c| c.kind == ObjType::Key && c.color == door.color);
        if door.is_locked() && !got_the_key {
            let key = self.key_desc(s, door.color);
            self.stack.pop();
            if p.carrying.is_some() {
                let drop_pos_cur = self.find_drop_pos(s, None);
                self.stack.extend([
                    Subgoal::new(Kind::Pickup),
                    Subgoal::to(drop_pos_cur),
                    Subgoal::new(Kind::Open),
                    Subgoal::to(Some(p.fwd_pos)),
                    Subgoal::new(Kind::Pickup),
                    Subgoal::go(Target::Desc(key), Reason::None),
                    Subgoal::new(Kind::Drop),
                    Subgoal::to(drop_pos_cur),
                ]);
            } else {
                self.stack.extend([
                    Subgoal::new(Kind::Open),
                    Subgoal::to(Some(p.fwd_pos)),
                    Subgoal::new(Kind::Pickup),
                    Subgoal::go(Target::Desc(key), Reason::None),
                ]);
            }
            return Ok(None);
        }
        if door.is_open() {
            self.stack.push(Subgoal::new(Kind::Close));
            return Ok(None);
        }
        if door.is_locked() && top.reason == Reason::None {
            self.stack.pop();
            self.stack.push(Subgoal { kind: Kind::Open, reason: Reason::Unlock });
            return Ok(None);
        }
        Ok(Some(Action::Toggle))
    }

    fn go_next_to(&mut self, s: &State, top: Subgoal, target: Target) -> BotResult<Option<Action>> {
        let p = s.pose;
        // The object aimed at (type, colour, position of a door), and the cell to reach.
        let (target_obj, target_pos): (Option<(ObjType, Option<Pos>)>, Pos) = match target {
            Target::Desc(r) => {
                let found = self.find_obj_pos(s, self.desc(s, r)?, top.reason == Reason::PutNext)?;
                match found {
                    (Some(obj), Some(pos)) => (Some((s.env.task().objects().kind(obj), Some(pos))), pos),
                    _ => {
                        self.stack.push(Subgoal::new(Kind::Explore));
                        return Ok(None);
                    }
                }
            }
            Target::Door(pos) => (Some((ObjType::Door, Some(pos))), pos),
            Target::Pos(Some(pos)) => (None, pos),
            Target::Pos(None) => return fail("no position to go to (no free cell to drop at)"),
        };
        // Going to open a locked door without the key: go for the key first.
        if let (Reason::Open, Some((ObjType::Door, Some(door_pos)))) = (top.reason, target_obj) {
            let door = s.world.grid.get(door_pos);
            if door.is_locked() && p.carrying.is_none() {
                let key = self.key_desc(s, door.color);
                self.stack.pop();
                self.stack.push(Subgoal::go(Target::Door(door_pos), Reason::Open));
                self.stack.push(Subgoal::new(Kind::Pickup));
                self.stack.push(Subgoal::go(Target::Desc(key), Reason::None));
                return Ok(None);
            }
        }
        let put_next = top.reason == Reason::PutNext;
        // Standing on the cell to go next to: step away.
        if manhattan(target_pos, p.pos) == if put_next { 1 } else { 0 } {
            let steppable = |cell: Obj| cell.is_empty() || cell.is_open();
            let grid = &s.world.grid;
            return Ok(Some(if steppable(p.fwd_cell) {
                Action::Forward
            } else if steppable(grid.get(add(p.pos, p.right))) {
                Action::Right
            } else {
                Action::Left
            }));
        }
        if put_next {
            if manhattan(target_pos, p.fwd_pos) == 1 {
                if p.fwd_cell.is_empty() {
                    self.stack.pop();
                    return Ok(None);
                }
                if p.fwd_cell.is_open() {
                    // No dropping in a doorway: make the object to move go further.
                    let beyond = add(p.fwd_pos, (2 * p.dir.0, 2 * p.dir.1));
                    self.stack.push(Subgoal::to(Some(beyond)));
                    return Ok(None);
                }
            }
        } else if target_pos == p.fwd_pos {
            self.stack.pop();
            return Ok(None);
        }
        let at_target = |pos: Pos, _: Obj| pos == target_pos;
        let mut path = self.shortest_path(s, &at_target, false).0;
        // An empty path (the target is the agent's cell) counts as none, as in MiniGrid.
        if path.as_ref().is_none_or(Vec::is_empty) {
            path = self.shortest_path(s, &at_target, true).0;
        }
        let Some(path) = path.filter(|p| !p.is_empty()) else {
            self.stack.push(Subgoal::new(Kind::Explore));
            return Ok(None);
        };
        let next_cell = path[0];
        if next_cell == p.fwd_pos {
            let cell = p.fwd_cell;
            if cell.is_empty() {
                return Ok(Some(Action::Forward));
            }
            if cell.kind == ObjType::Door {
                if cell.is_locked() {
                    return fail("the way goes through a locked door");
                }
                if !cell.is_open() {
                    self.stack.push(Subgoal::new(Kind::Open));
                    return Ok(None);
                }
                return Ok(Some(Action::Forward));
            }
            // A blocker in the way: move it aside (putting down what is carried first).
            if p.carrying.is_some() {
                let drop_pos_cur = self.find_drop_pos(s, None);
                let drop_pos_block = self.find_drop_pos(s, drop_pos_cur);
                self.stack.extend([
                    Subgoal::new(Kind::Pickup),
                    Subgoal::to(drop_pos_cur),
                    Subgoal::new(Kind::Drop),
                    Subgoal::to(drop_pos_block),
                    Subgoal::new(Kind::Pickup),
                    Subgoal::to(Some(p.fwd_pos)),
                    Subgoal::new(Kind::Drop),
                    Subgoal::to(drop_pos_cur),
                ]);
            } else {
                let drop_pos = self.find_drop_pos(s, None);
                self.stack.extend([Subgoal::new(Kind::Drop), Subgoal::to(drop_pos), Subgoal::new(Kind::Pickup)]);
            }
            return Ok(None);
        }
        let step = sub(next_cell, p.pos);
        if step == p.right {
            return Ok(Some(Action::Right));
        }
        if step == (-p.right.0, -p.right.1) {
            return Ok(Some(Action::Left));
        }
        // The next cell is behind: turn towards the side with more room.
        let right = self.closest_wall_or_door(s, p.right);
        let left = self.closest_wall_or_door(s, (-p.right.0, -p.right.1));
        Ok(Some(if left > right { Action::Left } else { Action::Right }))
    }

    fn explore(&mut self, s: &State) -> BotResult<()> {
        let unseen = |pos: Pos, _: Obj| !self.seen(pos);
        let (_, unseen_pos, _) = self.shortest_path(s, &unseen, true);
        if let Some(pos) = unseen_pos {
            self.stack.push(Subgoal::go(Target::Pos(Some(pos)), Reason::Explore));
            return Ok(());
        }
        // An unlocked closed door first: opening a locked one to explore could loop.
        let unlocked = |_: Pos, cell: Obj| cell.kind == ObjType::Door && !cell.is_locked() && !cell.is_open();
        let closed = |_: Pos, cell: Obj| cell.kind == ObjType::Door && !cell.is_open();
        let mut door_pos = self.shortest_path(s, &unlocked, true).1;
        if door_pos.is_none() {
            door_pos = self.shortest_path(s, &closed, true).1;
        }
        let Some(door_pos) = door_pos else { return fail("nothing left to explore") };
        let door = s.world.grid.get(door_pos);
        let got_the_key = s.pose.carrying.is_some_and(|c| c.kind == ObjType::Key && c.color == door.color);
        let reason = if door.is_locked() && got_the_key { Reason::KeepKey } else { Reason::None };
        self.stack.pop();
        self.stack.push(Subgoal { kind: Kind::Open, reason });
        self.stack.push(Subgoal::go(Target::Door(door_pos), Reason::Open));
        Ok(())
    }

    // ----- Searches. -----

    /// `_find_obj_pos`: the matching object closest by path (blockers cost extra), among those
    /// seen and not carried.
    fn find_obj_pos(&self, s: &State, desc: &ObjDesc, adjacent: bool) -> BotResult<(Option<ObjId>, Option<Pos>)> {
        if desc.obj_set.is_empty() {
            return fail("the description matches no object");
        }
        let objects = s.env.task().objects();
        let mut best = (999usize, None, None);
        for (i, &obj) in desc.obj_set.iter().enumerate() {
            if objects.kind(obj) == ObjType::Wall || obj == s.carried {
                continue;
            }
            // `obj_poss` may be shorter than `obj_set` once a matched object is carried.
            let Some(&obj_pos) = desc.obj_poss.get(i) else { continue };
            if !self.seen(obj_pos) {
                continue;
            }
            let (path, _, with_blockers) = self.shortest_path(s, &|pos, _| pos == obj_pos, true);
            let Some(path) = path else { return fail("no path to a seen object") };
            let mut distance = path.len();
            if with_blockers {
                distance += if s.pose.carrying.is_some() { 7 } else { 4 };
            }
            if distance == 0 {
                distance = if adjacent { 3 } else { 2 };
            }
            if adjacent && distance == 1 {
                distance = 3;
            }
            if distance < best.0 {
                best = (distance, Some(obj_pos), Some(obj));
            }
        }
        Ok((best.2, best.1))
    }

    /// `_breadth_first_search`: from the initial states (position and heading; straight on is
    /// tried before turning), expanding only seen cells that are not walls, closed doors or
    /// (unless `ignore_blockers`) objects. Returns the path back to a start, the accepted cell,
    /// and every position visited in order with where it was reached from.
    fn bfs(
        &self,
        world: &World,
        initial: &[(Pos, Pos)],
        accept: &dyn Fn(Pos, Obj) -> bool,
        ignore_blockers: bool,
    ) -> (Option<Vec<Pos>>, Option<Pos>, Visited) {
        self.bfs_counter.set(self.bfs_counter.get() + 1);
        let mut queue: VecDeque<((Pos, Pos), Option<Pos>)> = initial.iter().map(|&s| (s, None)).collect();
        let mut visited = Visited::new(self.width, self.height);
        while let Some(((pos, (di, dj)), prev)) = queue.pop_front() {
            if visited.contains(pos) {
                continue;
            }
            self.bfs_step_counter.set(self.bfs_step_counter.get() + 1);
            let cell = world.grid.get(pos);
            visited.insert(pos, prev);
            if accept(pos, cell) {
                return (Some(visited.path_from(pos)), Some(pos), visited);
            }
            if !self.seen(pos) {
                continue;
            }
            match cell.kind {
                ObjType::Empty => {}
                ObjType::Wall => continue,
                ObjType::Door if !cell.is_open() => continue,
                ObjType::Door => {}
                _ if !ignore_blockers => continue,
                _ => {}
            }
            for (k, l) in [(di, dj), (dj, di), (-dj, -di), (-di, -dj)] {
                queue.push_back((((pos.0 + k, pos.1 + l), (k, l)), Some(pos)));
            }
        }
        (None, None, visited)
    }

    /// `_shortest_path`: a path to a cell `accept` takes, avoiding blockers; with
    /// `try_with_blockers`, failing that, one that goes through them from wherever the first
    /// search reached. The path excludes the agent's cell.
    fn shortest_path(&self, s: &State, accept: &dyn Fn(Pos, Obj) -> bool, try_with_blockers: bool) -> Found {
        let world = s.world;
        let start = [(world.agent_pos, world.dir_vec())];
        let (mut path, mut finish, first) = self.bfs(world, &start, accept, false);
        let mut with_blockers = false;
        if path.is_none() && try_with_blockers {
            with_blockers = true;
            let starts: Vec<(Pos, Pos)> = first.order.iter().map(|&pos| (pos, (1, 0))).collect();
            let (found, end, _) = self.bfs(world, &starts, accept, true);
            finish = end;
            path = found.map(|mut p| {
                let last = *p.last().expect("a found path has a cell");
                p.extend(first.path_from(last).into_iter().skip(1));
                p
            });
        }
        let path = path.map(|p| p.into_iter().rev().skip(1).collect());
        (path, finish, with_blockers)
    }

    /// `_find_drop_pos`: the nearest seen empty cell (not the agent's nor `except`) where an
    /// object blocks nothing, else any seen empty cell; through blockers if need be.
    fn find_drop_pos(&self, s: &State, except: Option<Pos>) -> Option<Pos> {
        let agent = s.world.agent_pos;
        let grid = &s.world.grid;
        let free = |pos: Pos| pos != agent && Some(pos) != except && self.seen(pos) && grid.get(pos).is_empty();
        let unblocking = |pos: Pos, _: Obj| free(pos) && self.blocks_nothing(s, pos, except);
        let empty = |pos: Pos, _: Obj| free(pos);
        for (accept, with_blockers) in
            [(&unblocking as &dyn Fn(Pos, Obj) -> bool, false), (&empty, false), (&unblocking, true), (&empty, true)]
        {
            if let (_, Some(pos), _) = self.shortest_path(s, accept, with_blockers) {
                return Some(pos);
            }
        }
        None
    }

    /// `match_unblock`'s test: dropping at `pos` keeps the empty cells around it connected and
    /// every object around it next to an empty cell.
    fn blocks_nothing(&self, s: &State, (i, j): Pos, except: Option<Pos>) -> bool {
        const RING: [Pos; 8] = [(-1, -1), (0, -1), (1, -1), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0)];
        let agent = s.world.agent_pos;
        let class: Vec<u8> = RING
            .iter()
            .map(|&(k, l)| {
                let nb = (i + k, j + l);
                let cell = s.world.grid.get(nb);
                if self.seen(nb) && cell.kind == ObjType::Wall {
                    1
                } else if self.seen(nb) && (cell.is_empty() || cell.is_open() || nb == agent) && Some(nb) != except {
                    0
                } else {
                    2
                }
            })
            .collect();
        let changes = (0..8).filter(|&k| (class[(k + 1) % 8] != 0) != (class[k] != 0)).count();
        let stranded = (0..8).any(|k| class[k] == 2 && class[(k + 7) % 8] != 0 && class[(k + 1) % 8] != 0);
        !stranded && changes <= 2
    }

    /// `_closest_wall_or_door_given_dir`: how far the first wall or door is along `dir`, within
    /// the agent's view square.
    fn closest_wall_or_door(&self, s: &State, dir: Pos) -> i32 {
        let size = s.env.config().agent_view_size as i32;
        let mut distance = 1;
        loop {
            let pos = (s.pose.pos.0 + distance * dir.0, s.pose.pos.1 + distance * dir.1);
            if !in_view(s.world, size, pos) {
                return distance - 1;
            }
            let cell = s.world.grid.get(pos);
            if matches!(cell.kind, ObjType::Door | ObjType::Wall) {
                return distance;
            }
            distance += 1;
        }
    }
}

/// The action that completes a Close or Drop subgoal.
fn own_action(kind: Kind) -> Option<Action> {
    match kind {
        Kind::Close => Some(Action::Toggle),
        Kind::Drop => Some(Action::Drop),
        _ => None,
    }
}

fn right_of((dx, dy): Pos) -> Pos {
    (-dy, dx)
}

fn pose(world: &World) -> Pose {
    let dir = DIR_TO_VEC[world.agent_dir % 4];
    let fwd_pos = add(world.agent_pos, dir);
    Pose {
        pos: world.agent_pos,
        dir,
        right: right_of(dir),
        fwd_pos,
        fwd_cell: world.grid.get(fwd_pos),
        carrying: world.carrying,
    }
}

/// `in_view`: `pos` lies in the agent's view square (seen or not).
fn in_view(world: &World, size: i32, (i, j): Pos) -> bool {
    let (ax, ay) = world.agent_pos;
    let (dx, dy) = world.dir_vec();
    let (rx, ry) = right_of((dx, dy));
    let hs = size / 2;
    let (tx, ty) = (ax + dx * (size - 1) - rx * hs, ay + dy * (size - 1) - ry * hs);
    let (lx, ly) = (i - tx, j - ty);
    let (vx, vy) = (rx * lx + ry * ly, -(dx * lx + dy * ly));
    0 <= vx && vx < size && 0 <= vy && vy < size
}

/// The positions a search visited, in order, each with the one it was reached from.
struct Visited {
    height: i32,
    from: Vec<Option<Option<Pos>>>,
    order: Vec<Pos>,
}

impl Visited {
    fn new(width: i32, height: i32) -> Visited {
        Visited { height, from: vec![None; (width.max(0) * height.max(0)) as usize], order: Vec::new() }
    }

    fn slot(&self, (x, y): Pos) -> Option<usize> {
        let i = x * self.height + y;
        (x >= 0 && y >= 0 && y < self.height && (i as usize) < self.from.len()).then_some(i as usize)
    }

    fn contains(&self, pos: Pos) -> bool {
        self.slot(pos).is_some_and(|i| self.from[i].is_some())
    }

    fn insert(&mut self, pos: Pos, prev: Option<Pos>) {
        if let Some(i) = self.slot(pos) {
            self.from[i] = Some(prev);
            self.order.push(pos);
        }
    }

    /// `pos`, where it was reached from, and so on back to a start.
    fn path_from(&self, pos: Pos) -> Vec<Pos> {
        let mut path = vec![pos];
        let mut at = pos;
        while let Some(Some(Some(prev))) = self.slot(at).map(|i| self.from[i]) {
            path.push(prev);
            at = prev;
        }
        path
    }
}
