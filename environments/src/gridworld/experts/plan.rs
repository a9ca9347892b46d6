//! Shortest plans over the full state: an A* search over the agent's pose, what it carries and
//! the cells the plan has changed, through a chain of [`Stage`]s.
//!
//! A stage is a subgoal, "face the key and pick it up", "stand on the goal"; the search finds
//! the fewest actions that complete every stage in order. Because cell changes (a key picked up,
//! a door opened, an object dropped) are part of the searched state, a plan is exact: where to
//! drop a key so that it blocks nothing, or which side of an object to pick it up from so the
//! next stage is shortest, falls out of the search instead of being decided stage by stage.
//!
//! Besides the stages' own actions the planner turns, moves forward, and where [`Rules`] allow
//! it opens doors on its way (closed ones, and locked ones whose key it carries) and moves
//! objects out of its way. It never steps on lava, on cells the rules avoid, or on a goal that
//! is not the current stage's target.
//!
//! The search's lower bound is the walk, through everything but walls and lava, from the agent
//! to the current stage's place and on through the places of the stages left, plus one action
//! per stage left. It never overestimates, so plans are shortest, except where objects are
//! moved out of the way: a stage's object may then end up closer than the bound assumed, and
//! the plan is near-shortest. The search visits a bounded number of states: a chain with no
//! plan within them gives `None`.

use super::neighbours;
use crate::gridworld::object::STATE_OPEN;
use crate::gridworld::{Action, Obj, ObjType, Pos, World, DIR_TO_VEC};
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// Where a stage is completed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// Facing one of these cells.
    Facing(Vec<Pos>),
    /// Facing a cell holding this object (a key may have been moved by an earlier stage).
    FacingObject(Obj),
    /// Facing an empty cell: a place to drop what the agent carries.
    FacingEmpty,
    /// Standing on one of these cells, in any direction.
    On(Vec<Pos>),
}

/// One subgoal of a plan: get to a place, then take an action there (if any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    pub place: Place,
    pub action: Option<Action>,
}

impl Stage {
    /// Step onto one of `cells` (the goal).
    pub fn reach(cells: Vec<Pos>) -> Stage {
        Stage { place: Place::On(cells), action: None }
    }

    /// Stand on one of `cells` and say done.
    pub fn done_on(cells: Vec<Pos>) -> Stage {
        Stage { place: Place::On(cells), action: Some(Action::Done) }
    }

    /// Pick up `obj`, wherever it is by then.
    pub fn pick_up(obj: Obj) -> Stage {
        Stage { place: Place::FacingObject(obj), action: Some(Action::Pickup) }
    }

    /// Pick up whatever lies at one of `cells`.
    pub fn pick_up_at(cells: Vec<Pos>) -> Stage {
        Stage { place: Place::Facing(cells), action: Some(Action::Pickup) }
    }

    /// Toggle `obj`: open a door (a locked one needs its key in hand), open a box.
    pub fn toggle(obj: Obj) -> Stage {
        Stage { place: Place::FacingObject(obj), action: Some(Action::Toggle) }
    }

    /// Drop what the agent carries on any empty cell.
    pub fn drop_anywhere() -> Stage {
        Stage { place: Place::FacingEmpty, action: Some(Action::Drop) }
    }

    /// Drop what the agent carries on one of `cells` (each must be empty then).
    pub fn drop_on(cells: Vec<Pos>) -> Stage {
        Stage { place: Place::Facing(cells), action: Some(Action::Drop) }
    }
}

/// What the planner may do besides the stages' own actions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rules {
    /// Open doors on the way: closed ones, and locked ones whose key the agent carries. Off where
    /// toggling ends the episode (GoTo tasks) or opening the wrong door fails it (RedBlueDoors).
    pub open_doors: bool,
    /// Which objects may be moved out of the way (picked up with free hands, dropped on any
    /// empty cell).
    pub move_objects: Moves,
    /// Cells never to step on (lava is always avoided).
    pub avoid: Vec<Pos>,
}

/// Which objects a plan may move out of its way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Moves {
    /// None: where a pickup or a drop ends the episode (Fetch, PutNear), or nothing is in the way.
    #[default]
    None,
    /// Objects next to a door, the usual obstruction: a small search.
    Doorways,
    /// Any object (but those a stage picks up where they lie): a larger search.
    Anywhere,
}

/// The agent's position, direction and carried object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pose {
    pub pos: Pos,
    pub dir: usize,
    pub carrying: Option<Obj>,
}

impl Pose {
    pub fn of(world: &World) -> Pose {
        Pose { pos: world.agent_pos, dir: world.agent_dir % 4, carrying: world.carrying }
    }

    fn front(&self) -> Pos {
        let (dx, dy) = DIR_TO_VEC[self.dir];
        (self.pos.0 + dx, self.pos.1 + dy)
    }
}

/// A plan: each action with the pose it is taken from.
pub type Plan = Vec<(Pose, Action)>;

/// The most states one search visits before it gives up (no plan within reach).
const MAX_NODES: usize = 300_000;

/// A distance no plan covers: the place cannot be reached.
const UNREACHABLE: u32 = u32::MAX;

/// A search state: the pose, the stage reached, and the cells changed so far (sorted by
/// position, so equal states compare equal whatever order the changes happened in).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Node {
    pose: Pose,
    stage: usize,
    edits: Vec<(Pos, Obj)>,
    /// The agent carries an object it moved out of a doorway (which it may drop anywhere).
    moving: bool,
}

/// The shortest plan that completes `stages` in order from the world's state, or `None` if
/// there is none (or it lies beyond the search's budget).
pub fn shortest_plan(world: &World, stages: &[Stage], rules: &Rules) -> Option<Plan> {
    Search::new(world, stages, rules).run(usize::MAX)
}

/// A search for the shortest plan through a chain of stages, ready to run.
pub struct Search<'a> {
    world: &'a World,
    stages: &'a [Stage],
    rules: &'a Rules,
    /// Per stage, where its place is (`None` where it has no fixed cells).
    anchors: Vec<Option<Anchor>>,
    /// `between[i][j]`: a lower bound on the walk from stage `i`'s place to stage `j`'s.
    between: Vec<Vec<u32>>,
}

impl<'a> Search<'a> {
    pub fn new(world: &'a World, stages: &'a [Stage], rules: &'a Rules) -> Search<'a> {
        let anchors: Vec<Option<Anchor>> = stages.iter().map(|stage| Anchor::new(world, &stage.place)).collect();
        let height = world.grid.height();
        // Between the places of stages i < j: the walk from standing at i's to standing at j's.
        let between = (0..stages.len())
            .map(|i| {
                (0..stages.len())
                    .map(|j| match (&anchors[i], &anchors[j]) {
                        (Some(a), Some(b)) if i < j => {
                            let d = a.cells.iter().map(|&(x, y)| b.dist[(x * height + y) as usize]).min();
                            less(d.unwrap_or(UNREACHABLE), a.reach + b.reach)
                        }
                        _ => 0,
                    })
                    .collect()
            })
            .collect();
        Search { world, stages, rules, anchors, between }
    }

    /// A lower bound on the plan's length; `None` if a stage's place is out of reach.
    pub fn lower_bound(&self) -> Option<usize> {
        self.bound(&self.start())
    }

    fn start(&self) -> Node {
        self.settle(Node { pose: Pose::of(self.world), stage: 0, edits: Vec::new(), moving: false })
    }
}

/// `d - n`, at least 0; unreachable stays unreachable.
fn less(d: u32, n: u32) -> u32 {
    if d == UNREACHABLE {
        d
    } else {
        d.saturating_sub(n)
    }
}

/// A stage's place on the grid, for the search's lower bounds.
struct Anchor {
    cells: Vec<Pos>,
    /// The object the place follows, if it is one: once moved, its cells say nothing.
    object: Option<Obj>,
    /// 1 where the agent stands next to the cells (facing them), 0 where on them.
    reach: u32,
    /// For each cell (`x * height + y`), the distance to the nearest of `cells` through
    /// everything but walls and lava (objects may be moved, doors opened).
    dist: Vec<u32>,
}

impl Anchor {
    /// `None` where the place has no fixed cells.
    fn new(world: &World, place: &Place) -> Option<Anchor> {
        let (cells, object, reach) = match place {
            Place::Facing(cells) => (cells.clone(), None, 1),
            Place::On(cells) => (cells.clone(), None, 0),
            Place::FacingObject(obj) => {
                let (width, height) = (world.grid.width(), world.grid.height());
                let all = (0..width).flat_map(|x| (0..height).map(move |y| (x, y)));
                (all.filter(|&p| world.grid.get(p) == *obj).collect(), Some(*obj), 1)
            }
            Place::FacingEmpty => return None,
        };
        let cells: Vec<Pos> = cells.into_iter().filter(|&p| world.grid.contains(p)).collect();
        if cells.is_empty() {
            // Not on the grid yet (a key in a box): no fixed place.
            return None;
        }
        let height = world.grid.height();
        let mut dist = vec![UNREACHABLE; (world.grid.width() * height) as usize];
        let mut queue: VecDeque<Pos> = cells.iter().copied().collect();
        for &(x, y) in &cells {
            dist[(x * height + y) as usize] = 0;
        }
        while let Some(pos) = queue.pop_front() {
            let d = dist[(pos.0 * height + pos.1) as usize] + 1;
            for (dx, dy) in DIR_TO_VEC {
                let next = (pos.0 + dx, pos.1 + dy);
                let kind = world.grid.get(next).kind;
                if !world.grid.contains(next) || kind == ObjType::Wall || kind == ObjType::Lava {
                    continue;
                }
                let slot = &mut dist[(next.0 * height + next.1) as usize];
                if *slot == UNREACHABLE {
                    *slot = d;
                    queue.push_back(next);
                }
            }
        }
        Some(Anchor { cells, object, reach, dist })
    }
}

/// A visited node, with how the search got there.
struct Visit {
    node: Node,
    parent: usize,
    action: Action,
    cost: usize,
}

impl Search<'_> {
    /// The shortest plan, if one shorter than `limit` actions exists: an A* search (each action
    /// costs 1) over search states.
    pub fn run(&self, limit: usize) -> Option<Plan> {
        let start = self.start();
        let start_bound = self.bound(&start)?;
        let mut visits = vec![Visit { node: start.clone(), parent: usize::MAX, action: Action::Done, cost: 0 }];
        // The best visit of each node so far, and the open visits by cost + bound (each bucket a
        // stack: among equals the deepest goes first).
        let mut best: HashMap<Node, usize, BuildHasherDefault<FxHasher>> = HashMap::default();
        best.insert(start, 0);
        let mut open: Vec<Vec<usize>> = vec![Vec::new(); start_bound + 1];
        open[start_bound].push(0);
        let mut f = start_bound;
        while f < open.len() && f < limit {
            let Some(i) = open[f].pop() else {
                f += 1;
                continue;
            };
            let (node, cost) = (visits[i].node.clone(), visits[i].cost);
            if best.get(&node) != Some(&i) {
                continue;
            }
            if node.stage == self.stages.len() {
                return Some(unwind(&visits, i));
            }
            if visits.len() >= MAX_NODES {
                return None;
            }
            for (action, next) in self.successors(&node) {
                let next = self.settle(next);
                let Some(bound) = self.bound(&next) else { continue };
                // Never below the parent's: the bound forgets a place once its object moves.
                let next_f = (cost + 1 + bound).max(f);
                if next_f >= limit || best.get(&next).is_some_and(|&j| visits[j].cost <= cost + 1) {
                    continue;
                }
                best.insert(next.clone(), visits.len());
                if open.len() <= next_f {
                    open.resize(next_f + 1, Vec::new());
                }
                open[next_f].push(visits.len());
                visits.push(Visit { node: next, parent: i, action, cost: cost + 1 });
            }
        }
        None
    }

    /// A lower bound on the actions left from `node`: one per stage left that has an action,
    /// and the walk through the places of the stages left. `None` where a place is out of reach.
    fn bound(&self, node: &Node) -> Option<usize> {
        let left = self.stages.get(node.stage..).unwrap_or_default();
        let mut total = left.iter().filter(|s| s.action.is_some()).count() as u64;
        let mut last: Option<usize> = None;
        for j in node.stage..self.stages.len() {
            let Some(anchor) = &self.anchors[j] else { continue };
            // An object moved by the plan may be anywhere now.
            if anchor
                .object
                .is_some_and(|obj| node.edits.iter().any(|&(p, o)| o == obj || self.world.grid.get(p) == obj))
            {
                continue;
            }
            let walk = match last {
                Some(i) => self.between[i][j],
                None => {
                    let (x, y) = node.pose.pos;
                    less(anchor.dist[(x * self.world.grid.height() + y) as usize], anchor.reach)
                }
            };
            if walk == UNREACHABLE {
                return None;
            }
            total += walk as u64;
            last = Some(j);
        }
        Some(total as usize)
    }

    /// The object at `pos` in `node`'s version of the grid.
    fn cell(&self, node: &Node, pos: Pos) -> Obj {
        match node.edits.binary_search_by_key(&pos, |&(p, _)| p) {
            Ok(i) => node.edits[i].1,
            Err(_) => self.world.grid.get(pos),
        }
    }

    /// Records that `pos` now holds `obj` (dropping the record if that is the original again).
    fn edit(&self, node: &mut Node, pos: Pos, obj: Obj) {
        let original = self.world.grid.get(pos) == obj;
        match node.edits.binary_search_by_key(&pos, |&(p, _)| p) {
            Ok(i) if original => {
                node.edits.remove(i);
            }
            Ok(i) => node.edits[i].1 = obj,
            Err(_) if original => {}
            Err(i) => node.edits.insert(i, (pos, obj)),
        }
    }

    /// Completes, for free, every stage with no action whose place the node is at.
    fn settle(&self, mut node: Node) -> Node {
        while let Some(stage) = self.stages.get(node.stage) {
            if stage.action.is_some() || !self.at(&node, &stage.place) {
                break;
            }
            node.stage += 1;
        }
        node
    }

    fn at(&self, node: &Node, place: &Place) -> bool {
        let front = node.pose.front();
        match place {
            Place::Facing(cells) => cells.contains(&front),
            Place::FacingObject(obj) => self.cell(node, front) == *obj,
            Place::FacingEmpty => self.cell(node, front).is_empty(),
            Place::On(cells) => cells.contains(&node.pose.pos),
        }
    }

    /// The node's moves, in tie-breaking order: left, right, forward, opening a door ahead,
    /// moving an object, and the stage's own action.
    fn successors(&self, node: &Node) -> Vec<(Action, Node)> {
        let mut out = Vec::with_capacity(5);
        for (action, turn) in [(Action::Left, 3), (Action::Right, 1)] {
            let mut next = node.clone();
            next.pose.dir = (node.pose.dir + turn) % 4;
            out.push((action, next));
        }
        let front = node.pose.front();
        if self.can_enter(node, front) {
            let mut next = node.clone();
            next.pose.pos = front;
            out.push((Action::Forward, next));
        }
        let ahead = self.cell(node, front);
        if self.rules.open_doors && ahead.kind == ObjType::Door && !ahead.is_open() {
            out.extend(self.apply(node, Action::Toggle).map(|next| (Action::Toggle, next)));
        }
        if self.rules.move_objects != Moves::None {
            let movable = || match self.rules.move_objects {
                Moves::Doorways => neighbours(front).iter().any(|&p| self.world.grid.get(p).kind == ObjType::Door),
                _ => true,
            };
            // Moving what a stage will pick up from where it lies now would break the chain.
            let staged = || {
                self.stages[node.stage..]
                    .iter()
                    .any(|s| matches!(&s.place, Place::Facing(cells) if cells.contains(&front)))
            };
            let moved = match node.moving {
                false if ahead.can_pickup() && movable() && !staged() => {
                    self.apply(node, Action::Pickup).map(|n| (Action::Pickup, n))
                }
                true => self.apply(node, Action::Drop).map(|n| (Action::Drop, n)),
                false => None,
            };
            out.extend(moved.map(|(action, mut next)| {
                next.moving = !node.moving;
                (action, next)
            }));
        }
        if let Some(stage) = self.stages.get(node.stage) {
            if let (Some(action), true) = (stage.action, self.at(node, &stage.place)) {
                if let Some(mut next) = self.apply(node, action) {
                    next.stage += 1;
                    next.moving = false;
                    out.push((action, next));
                }
            }
        }
        out
    }

    /// Whether the agent may step onto `pos`: a cell it can stand on, not lava, not avoided,
    /// and not a goal unless the current stage is to reach it.
    fn can_enter(&self, node: &Node, pos: Pos) -> bool {
        let cell = self.cell(node, pos);
        if !cell.can_overlap() || cell.kind == ObjType::Lava || self.rules.avoid.contains(&pos) {
            return false;
        }
        cell.kind != ObjType::Goal
            || matches!(self.stages.get(node.stage), Some(Stage { place: Place::On(cells), .. }) if cells.contains(&pos))
    }

    /// The node after a pickup, drop, toggle or done at the cell ahead, as MiniGrid's step rules
    /// have it; `None` where the action would do nothing (or close a door).
    fn apply(&self, node: &Node, action: Action) -> Option<Node> {
        let front = node.pose.front();
        let ahead = self.cell(node, front);
        let mut next = node.clone();
        match action {
            Action::Pickup => {
                if !ahead.can_pickup() || node.pose.carrying.is_some() {
                    return None;
                }
                next.pose.carrying = Some(ahead);
                self.edit(&mut next, front, Obj::EMPTY);
            }
            Action::Drop => {
                let held = node.pose.carrying.filter(|_| ahead.is_empty())?;
                next.pose.carrying = None;
                self.edit(&mut next, front, held);
            }
            Action::Toggle => {
                let opened = match ahead.kind {
                    ObjType::Door if ahead.is_locked() => {
                        let key = node.pose.carrying.filter(|c| c.kind == ObjType::Key && c.color == ahead.color);
                        key.map(|_| Obj { state: STATE_OPEN, ..ahead })
                    }
                    ObjType::Door if !ahead.is_open() => Some(Obj { state: STATE_OPEN, ..ahead }),
                    ObjType::Box => Some(ahead.contains.map_or(Obj::EMPTY, |(kind, color)| Obj::new(kind, color))),
                    _ => None,
                };
                self.edit(&mut next, front, opened?);
            }
            Action::Done => {}
            Action::Left | Action::Right | Action::Forward => return None,
        }
        Some(next)
    }
}

/// The actions from the root to visit `last`, each with its pose.
fn unwind(visits: &[Visit], last: usize) -> Plan {
    let mut plan = Vec::new();
    let mut i = last;
    while visits[i].parent != usize::MAX {
        let visit = &visits[i];
        plan.push((visits[visit.parent].node.pose, visit.action));
        i = visit.parent;
    }
    plan.reverse();
    plan
}

/// The Fx hash (rustc's): fast for the small keys the search hashes, where SipHash's
/// protection against crafted keys is not needed.
#[derive(Default)]
struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(n as u64);
    }

    fn write_u32(&mut self, n: u32) {
        self.add(n as u64);
    }

    fn write_i32(&mut self, n: i32) {
        self.add(n as u32 as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gridworld::Color;
    use crate::Transition;
    use std::collections::HashSet;

    /// A walled world from rows of text: `#` wall, `K`/`B` yellow key / blue ball, `L` locked
    /// yellow door, `D` closed door, `G` goal, `~` lava, `>` the agent facing right.
    fn world(rows: &[&str]) -> World {
        let (width, height) = (rows[0].len(), rows.len());
        let mut w = World::new(width, height, 1000);
        for (y, row) in rows.iter().enumerate() {
            for (x, c) in row.chars().enumerate() {
                let pos = (x as i32, y as i32);
                let obj = match c {
                    '#' => Obj::wall(),
                    'K' => Obj::key(Color::Yellow),
                    'B' => Obj::ball(Color::Blue),
                    'L' => Obj::door(Color::Yellow, true),
                    'D' => Obj::door(Color::Red, false),
                    'G' => Obj::goal(),
                    '~' => Obj::lava(),
                    _ => Obj::EMPTY,
                };
                w.put_obj(obj, pos);
                if c == '>' {
                    w.agent_pos = pos;
                }
            }
        }
        w
    }

    /// The fewest actions to `done`, by breadth-first search over whole worlds stepped with
    /// MiniGrid's rules and every action but done.
    fn brute_force(start: &World, done: impl Fn(&World, &Transition) -> bool) -> Option<usize> {
        let key = |w: &World| (w.agent_pos, w.agent_dir, w.carrying, w.grid.encode());
        let mut seen = HashSet::from([key(start)]);
        let mut layer = vec![start.clone()];
        for depth in 1..40 {
            let mut next = Vec::new();
            for w in &layer {
                for action in &Action::ALL[..6] {
                    let mut w = w.clone();
                    let t = w.step(*action);
                    if done(&w, &t) {
                        return Some(depth);
                    }
                    if !t.terminated && seen.insert(key(&w)) {
                        next.push(w);
                    }
                }
            }
            layer = next;
        }
        None
    }

    /// Runs `plan` with MiniGrid's rules, checking each pose on the way; the last transition.
    fn execute(start: &World, plan: &Plan) -> (World, Transition) {
        let mut w = start.clone();
        let mut last = Transition::default();
        for (pose, action) in plan {
            assert_eq!(*pose, Pose::of(&w), "the plan's pose before {action:?}");
            assert!(!last.terminated, "the plan goes on after the episode ended");
            last = w.step(*action);
        }
        (w, last)
    }

    #[test]
    fn fetches_the_key_and_opens_the_door_in_the_fewest_actions() {
        let w = world(&["#######", "#>..#G#", "#.#.L.#", "#K#####", "#######"]);
        let stages = [Stage::pick_up(Obj::key(Color::Yellow)), Stage::reach(vec![(5, 1)])];
        let plan = shortest_plan(&w, &stages, &Rules { open_doors: true, ..Rules::default() }).expect("a plan");
        let (_, last) = execute(&w, &plan);
        assert!(last.terminated && last.reward > 0.0);
        let optimum = brute_force(&w, |_, t| t.terminated && t.reward > 0.0);
        assert_eq!(Some(plan.len()), optimum);
        // Without opening doors there is no way.
        assert_eq!(shortest_plan(&w, &stages, &Rules::default()), None);
    }

    #[test]
    fn drops_the_key_where_it_blocks_nothing() {
        // A one-cell corridor: dropping the key in it would wall the ball off.
        let w = world(&["#######", "#K>.LB#", "##.####", "#######"]);
        let stages =
            [Stage::pick_up(Obj::key(Color::Yellow)), Stage::drop_anywhere(), Stage::pick_up(Obj::ball(Color::Blue))];
        let plan = shortest_plan(&w, &stages, &Rules { open_doors: true, ..Rules::default() }).expect("a plan");
        let (end, _) = execute(&w, &plan);
        assert_eq!(end.carrying, Some(Obj::ball(Color::Blue)));
        let optimum = brute_force(&w, |w, _| w.carrying == Some(Obj::ball(Color::Blue)));
        assert_eq!(Some(plan.len()), optimum);
    }

    #[test]
    fn goes_around_lava_and_avoided_cells_or_not_at_all() {
        let w = world(&["######", "#>~.G#", "#....#", "######"]);
        let reach = [Stage::reach(vec![(4, 1)])];
        let plan = shortest_plan(&w, &reach, &Rules::default()).expect("a plan");
        let (end, last) = execute(&w, &plan);
        assert!(last.terminated && last.reward > 0.0 && end.agent_pos == (4, 1));
        assert_eq!(Some(plan.len()), brute_force(&w, |w, t| t.reward > 0.0 && w.grid.get(w.agent_pos) != Obj::lava()));
        let walled_off = Rules { avoid: vec![(2, 2)], ..Rules::default() };
        assert_eq!(shortest_plan(&w, &reach, &walled_off), None);
    }

    #[test]
    fn moves_an_object_out_of_a_doorway() {
        // The ball sits right behind the door, the only way in.
        let w = world(&["#######", "#>DB..#", "###...#", "###..G#", "#######"]);
        let reach = [Stage::reach(vec![(5, 3)])];
        let doors = Rules { open_doors: true, ..Rules::default() };
        assert_eq!(shortest_plan(&w, &reach, &doors), None);
        let movers = Rules { move_objects: Moves::Doorways, ..doors };
        let plan = shortest_plan(&w, &reach, &movers).expect("a plan");
        let (_, last) = execute(&w, &plan);
        assert!(last.terminated && last.reward > 0.0);
        assert_eq!(Some(plan.len()), brute_force(&w, |_, t| t.reward > 0.0));
    }
}
