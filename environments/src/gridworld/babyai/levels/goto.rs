//! The "go to" levels (`envs/babyai/goto.py`).

use crate::error::{EnvError, Result};
use crate::gridworld::babyai::instr::{Clause, Instr, ObjDesc};
use crate::gridworld::babyai::level::{check_objs_reachable, open_all_doors, place_agent_outside, Mission};
use crate::gridworld::{Color, Obj, ObjType, Rooms, World};

fn go_to(obj: Obj) -> Instr {
    Instr::clause(Clause::GoTo(ObjDesc::of(obj.kind, obj.color)))
}

/// GoToRedBall, GoToRedBallGrey, GoToRedBallNoDists: the red ball among `num_dists`
/// distractors in one room (all grey with `grey`).
pub struct GoToRedBall {
    pub num_dists: usize,
    pub grey: bool,
}

impl Mission for GoToRedBall {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        rooms.place_agent(w, None, None)?;
        let (ball, _) = rooms.add_object(w, (0, 0), Some(ObjType::Ball), Some(Color::Red))?;
        let dists = rooms.add_distractors(w, None, self.num_dists, false)?;
        if self.grey {
            for (obj, pos) in dists {
                w.grid.set(pos, Obj { color: Color::Grey, ..obj });
            }
        }
        check_objs_reachable(w)?;
        Ok(go_to(ball))
    }
}

/// GoToObj: one object in a room.
pub struct GoToObj;

impl Mission for GoToObj {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        rooms.place_agent(w, None, None)?;
        let (obj, _) = rooms.add_distractors(w, None, 1, true)?[0];
        Ok(go_to(obj))
    }
}

/// GoToLocal (one room) and GoTo (a maze of rooms, `doors_open` to open every door): one of
/// `num_dists` objects.
pub struct GoTo {
    pub num_dists: usize,
    pub maze: bool,
    pub doors_open: bool,
}

impl Mission for GoTo {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        rooms.place_agent(w, None, None)?;
        if self.maze {
            rooms.connect_all(w)?;
        }
        let dists = rooms.add_distractors(w, None, self.num_dists, false)?;
        check_objs_reachable(w)?;
        let (obj, _) = w.rand_elem(&dists)?;
        if self.doors_open {
            open_all_doors(w, rooms);
        }
        Ok(go_to(obj))
    }
}

/// GoToImpUnlock: the object is in a locked room whose key is elsewhere.
pub struct GoToImpUnlock;

impl Mission for GoToImpUnlock {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        let (locked, _) = super::add_locked_room_and_key(w, rooms)?;
        rooms.connect_all(w)?;
        // Every room, the locked one too (see `add_locked_room_and_key`).
        for i in 0..rooms.num_cols {
            for j in 0..rooms.num_rows {
                rooms.add_distractors(w, Some((i, j)), 2, false)?;
            }
        }
        place_agent_outside(w, rooms, Some(locked))?;
        check_objs_reachable(w)?;
        let (obj, _) = rooms.add_distractors(w, Some(locked), 1, false)?[0];
        Ok(go_to(obj))
    }
}

/// GoToRedBlueBall: the only red or blue ball among distractors.
pub struct GoToRedBlueBall {
    pub num_dists: usize,
}

impl Mission for GoToRedBlueBall {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        rooms.place_agent(w, None, None)?;
        let dists = rooms.add_distractors(w, None, self.num_dists, false)?;
        if dists.iter().any(|(o, _)| o.kind == ObjType::Ball && matches!(o.color, Color::Blue | Color::Red)) {
            return Err(EnvError::LayoutFailed("can only have one blue or red ball".into()));
        }
        let color = w.rand_elem(&[Color::Red, Color::Blue])?;
        let (ball, _) = rooms.add_object(w, (0, 0), Some(ObjType::Ball), Some(color))?;
        check_objs_reachable(w)?;
        Ok(go_to(ball))
    }
}

/// GoToDoor: one of the four doors of the middle room.
pub struct GoToDoor;

impl Mission for GoToDoor {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        let mut doors = Vec::new();
        for _ in 0..4 {
            doors.push(rooms.add_door_on_random_wall(w, (1, 1), None, None)?.0);
        }
        rooms.place_agent(w, Some(1), Some(1))?;
        let door = w.rand_elem(&doors)?;
        Ok(Instr::clause(Clause::GoTo(ObjDesc::new(Some(ObjType::Door), Some(door.color), None))))
    }
}

/// GoToObjDoor: an object or a door of the middle room.
pub struct GoToObjDoor;

impl Mission for GoToObjDoor {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        rooms.place_agent(w, Some(1), Some(1))?;
        let mut objs: Vec<Obj> =
            rooms.add_distractors(w, Some((1, 1)), 8, false)?.into_iter().map(|(o, _)| o).collect();
        for _ in 0..4 {
            objs.push(rooms.add_door_on_random_wall(w, (1, 1), None, None)?.0);
        }
        check_objs_reachable(w)?;
        Ok(go_to(w.rand_elem(&objs)?))
    }
}
