//! [`Level`]: a BabyAI level as a [`Task`] (MiniGrid's `RoomGridLevel`): generation with
//! rejection sampling, the instruction's verifier after every step, and the step limit that
//! follows from the instruction.

use super::instr::{ActionInstr, Clause, Instr, Status};
use super::objects::Objects;
use crate::env::Transition;
use crate::error::{EnvError, Result};
use crate::gridworld::{Action, ObjType, Pos, Rooms, Task, World};

/// How many layouts a level may reject in one reset before giving up with an error. MiniGrid
/// retries forever; levels reject a few layouts per reset at most.
pub const MAX_ATTEMPTS: u32 = 10_000;

/// The longest mission the Baby Language can say: two "and" pairs of PutNext clauses joined by
/// "after you", every description as long as it gets.
pub const MISSION_MAX_LEN: usize = 2 * (2 * PUT_NEXT_MAX_LEN + " and ".len()) + " after you ".len();
const DESC_MAX_LEN: usize = "the purple ball in front of you".len();
const PUT_NEXT_MAX_LEN: usize = "put ".len() + DESC_MAX_LEN + " next to ".len() + DESC_MAX_LEN;

/// What a level generates: MiniGrid's `gen_mission` of one level class.
pub trait Mission: Send + 'static {
    /// Places the objects and the agent in the rooms (walls and door positions are drawn
    /// already) and returns the instruction. A layout to reject is a
    /// [`EnvError::LayoutFailed`]; the level then generates afresh.
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr>;

    /// LevelGen's `unblocking`: objects may block the way, and instructions must not involve the
    /// key of a locked door.
    fn unblocking(&self) -> bool {
        false
    }

    /// After the first observation: PutNext's `start_carrying` takes the object to move.
    fn start(&mut self, _w: &mut World, _objects: &mut Objects) {}
}

/// A BabyAI level: the rooms, the level's generator, the instruction with its verifier state and
/// the identities of the objects.
pub struct Level {
    mission: Box<dyn Mission>,
    rooms: Rooms,
    /// `max_steps` given when the level was made; otherwise it follows from the instruction.
    fixed_max_steps: Option<u32>,
    /// An instruction given in place of the generated one (the `instr` kwarg).
    given: Option<Instr>,
    instr: Instr,
    objects: Objects,
}

impl Level {
    pub fn new(mission: impl Mission, rooms: Rooms, fixed_max_steps: Option<u32>, given: Option<Instr>) -> Level {
        let placeholder = Instr::clause(Clause::GoTo(super::instr::ObjDesc::new(None, None, None)));
        Level {
            mission: Box::new(mission),
            rooms,
            fixed_max_steps,
            given,
            instr: placeholder,
            objects: Objects::default(),
        }
    }

    /// The instruction, with its verifier state.
    pub fn instr(&self) -> &Instr {
        &self.instr
    }

    pub fn objects(&self) -> &Objects {
        &self.objects
    }

    pub fn rooms(&self) -> &Rooms {
        &self.rooms
    }

    /// One try at a layout and its instruction; `Err(LayoutFailed)` asks for another.
    fn attempt(&mut self, w: &mut World) -> Result<Instr> {
        self.rooms.generate(w)?;
        let generated = self.mission.generate(w, &mut self.rooms)?;
        let mut instr = self.given.clone().unwrap_or(generated);
        self.objects.assign(w);
        instr.reset_verifier(w, &self.rooms, &self.objects);
        if let Some(empty) = instr.descs().iter().find(|d| d.obj_set.is_empty()) {
            // A given instruction may name what this layout lacks (MiniGrid asserts).
            return Err(EnvError::LayoutFailed(format!("no object matches \"{}\"", empty.surface())));
        }
        self.validate(w, &instr)?;
        Ok(instr)
    }

    /// `validate_instrs`: no PutNext whose objects are already next to each other (or are the
    /// same), and with unblocking, no key of a locked door's colour in any clause.
    fn validate(&self, w: &World, instr: &Instr) -> Result<()> {
        let reject = |why: &str| Err(EnvError::LayoutFailed(why.into()));
        match instr {
            Instr::Seq { a, b, .. } => {
                self.validate(w, a)?;
                self.validate(w, b)
            }
            Instr::Action(ActionInstr { clause, .. }) => {
                if let Clause::PutNext(moved, fixed) = clause {
                    if moved.obj_set.iter().any(|o| fixed.obj_set.contains(o)) {
                        return reject("there are objects that match both lhs and rhs of PutNext");
                    }
                    if clause.objs_next(&self.objects) {
                        return reject("objs already next to each other");
                    }
                }
                if !self.mission.unblocking() {
                    return Ok(());
                }
                let locked_colors: Vec<_> = self.door_cells(w).filter(|d| d.is_locked()).map(|d| d.color).collect();
                let descs: Vec<_> = instr.descs();
                if descs
                    .iter()
                    .any(|d| d.kind == Some(ObjType::Key) && d.color.is_some_and(|c| locked_colors.contains(&c)))
                {
                    return reject("cannot do anything with/to a key that can be used to open a door");
                }
                Ok(())
            }
        }
    }

    /// The doors on the rooms' walls.
    fn door_cells<'a>(&'a self, w: &'a World) -> impl Iterator<Item = crate::gridworld::Obj> + 'a {
        self.rooms
            .rooms()
            .iter()
            .flat_map(|room| room.door_pos.iter().flatten())
            .map(|&pos| w.grid.get(pos))
            .filter(|cell| cell.kind == ObjType::Door)
    }
}

impl Task for Level {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let (width, height) = (w.grid.width() as usize, w.grid.height() as usize);
        let mut last = String::new();
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                w.grid.reset(width, height);
            }
            match self.attempt(w) {
                Ok(instr) => {
                    self.instr = instr;
                    w.set_mission(format_args!("{}", self.instr.surface()));
                    let (cols, rows, size) = (self.rooms.num_cols, self.rooms.num_rows, self.rooms.room_size);
                    let nav_time_maze = (size * size * rows * cols) as u32;
                    w.max_steps = self.fixed_max_steps.unwrap_or(self.instr.num_navs() * nav_time_maze);
                    return Ok(());
                }
                Err(EnvError::LayoutFailed(why)) => last = why,
                Err(e) => return Err(e),
            }
        }
        Err(EnvError::LayoutFailed(format!(
            "every one of {MAX_ATTEMPTS} layouts was rejected; the last because: {last}"
        )))
    }

    fn start(&mut self, w: &mut World) {
        self.mission.start(w, &mut self.objects);
    }

    fn step(&mut self, w: &mut World, action: Action) -> Transition {
        let front = w.front_pos();
        let (before, was_carrying) = (w.grid.get(front), w.carrying.is_some());
        let mut t = w.step(action);
        self.objects.follow(w, action, front, before, was_carrying);
        if action == Action::Drop {
            self.instr.update_positions(w, &self.objects);
        }
        match self.instr.verify(action, w, &self.objects) {
            Status::Success => {
                t.terminated = true;
                t.reward = w.success_reward();
            }
            Status::Failure => {
                t.terminated = true;
                t.reward = 0.0;
            }
            Status::Continue => {}
        }
        t
    }

    fn mission_length(&self) -> (usize, usize) {
        (1, MISSION_MAX_LEN)
    }
}

// ----- What several levels do while generating (RoomGridLevel's helpers). -----

/// `check_objs_reachable()`: every object can be reached from the agent without moving another
/// (doors are passable); otherwise the layout is rejected.
pub fn objs_reachable(w: &World) -> bool {
    let (width, height) = (w.grid.width(), w.grid.height());
    let index = |(x, y): Pos| (x * height + y) as usize;
    let mut reached = vec![false; (width * height) as usize];
    let mut stack = vec![w.agent_pos];
    while let Some((x, y)) = stack.pop() {
        if !w.grid.contains((x, y)) || reached[index((x, y))] {
            continue;
        }
        reached[index((x, y))] = true;
        let cell = w.grid.get((x, y));
        if !cell.is_empty() && cell.kind != ObjType::Door {
            continue;
        }
        stack.extend([(x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)]);
    }
    (0..width).all(|x| {
        (0..height).all(|y| {
            let cell = w.grid.get((x, y));
            cell.is_empty() || cell.kind == ObjType::Wall || reached[index((x, y))]
        })
    })
}

/// `check_objs_reachable()` as a rejection.
pub fn check_objs_reachable(w: &World) -> Result<()> {
    if objs_reachable(w) {
        Ok(())
    } else {
        Err(EnvError::LayoutFailed("an object cannot be reached without unblocking".into()))
    }
}

/// `open_all_doors()`.
pub fn open_all_doors(w: &mut World, rooms: &Rooms) {
    for room in rooms.rooms() {
        for k in 0..4 {
            if let (true, Some(pos)) = (room.passages[k], room.door_pos[k]) {
                let mut cell = w.grid.get(pos);
                if cell.kind == ObjType::Door {
                    cell.state = crate::gridworld::object::STATE_OPEN;
                    w.grid.set(pos, cell);
                }
            }
        }
    }
}

/// `place_agent()` until the agent is outside `room` (levels keep it out of the locked room).
pub fn place_agent_outside(w: &mut World, rooms: &Rooms, room: Option<Pos>) -> Result<()> {
    for _ in 0..MAX_ATTEMPTS {
        rooms.place_agent(w, None, None)?;
        if Some(rooms.room_at(w.agent_pos)) != room {
            return Ok(());
        }
    }
    Err(EnvError::LayoutFailed("the agent could not be placed outside the locked room".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_mission_fits() {
        let long = "put the purple ball in front of you next to the purple ball in front of you";
        assert_eq!(PUT_NEXT_MAX_LEN, long.len());
        let text = format!("{long} and {long} after you {long} and {long}");
        assert_eq!(MISSION_MAX_LEN, text.len());
        assert!(super::super::instr::parse(&text).is_ok());
    }
}
