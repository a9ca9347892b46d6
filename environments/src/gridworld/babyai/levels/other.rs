//! The other levels (`envs/babyai/other.py`).

use crate::error::Result;
use crate::gridworld::babyai::instr::{Clause, Instr, ObjDesc, SeqKind};
use crate::gridworld::babyai::level::Mission;
use crate::gridworld::{Obj, ObjType, Rooms, World};

fn desc(obj: Obj) -> ObjDesc {
    ObjDesc::of(obj.kind, obj.color)
}

/// ActionObjDoor: go to, open or pick up an object or door of the middle room.
pub struct ActionObjDoor;

impl Mission for ActionObjDoor {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        let mut objs: Vec<Obj> = rooms.add_distractors(w, Some((1, 1)), 5, true)?.into_iter().map(|(o, _)| o).collect();
        for _ in 0..4 {
            objs.push(rooms.add_door_on_random_wall(w, (1, 1), None, Some(false))?.0);
        }
        rooms.place_agent(w, Some(1), Some(1))?;
        let obj = w.rand_elem(&objs)?;
        let go = w.rand_bool();
        Ok(Instr::clause(match (go, obj.kind == ObjType::Door) {
            (true, _) => Clause::GoTo(desc(obj)),
            (false, true) => Clause::Open(desc(obj)),
            (false, false) => Clause::Pickup(desc(obj)),
        }))
    }
}

/// FindObj: pick up the only object, in a random room.
pub struct FindObj;

impl Mission for FindObj {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        // MiniGrid draws the column from the row count and the row from the column count.
        let i = w.rand_int(0, rooms.num_rows)?;
        let j = w.rand_int(0, rooms.num_cols)?;
        let (obj, _) = rooms.add_object(w, (i, j), None, None)?;
        rooms.place_agent(w, Some(1), Some(1))?;
        rooms.connect_all(w)?;
        Ok(Instr::clause(Clause::Pickup(ObjDesc::new(Some(obj.kind), None, None))))
    }
}

/// KeyCorridor: the object behind the locked door, its key in a room on the left.
pub struct KeyCorridor {
    pub obj_type: ObjType,
}

impl Mission for KeyCorridor {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        for j in 1..rooms.num_rows {
            rooms.remove_wall(w, (1, j), 3)?;
        }
        let row = w.rand_int(0, rooms.num_rows)?;
        let (door, _) = rooms.add_door(w, (2, row), 2, None, Some(true))?;
        let (obj, _) = rooms.add_object(w, (2, row), Some(self.obj_type), None)?;
        let key_row = w.rand_int(0, rooms.num_rows)?;
        rooms.add_object(w, (0, key_row), Some(ObjType::Key), Some(door.color))?;
        rooms.place_agent(w, Some(1), Some(rooms.num_rows / 2))?;
        rooms.connect_all(w)?;
        Ok(Instr::clause(Clause::Pickup(ObjDesc::new(Some(obj.kind), None, None))))
    }
}

/// OneRoom: pick up the ball.
pub struct OneRoom;

impl Mission for OneRoom {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        let (obj, _) = rooms.add_object(w, (0, 0), Some(ObjType::Ball), None)?;
        rooms.place_agent(w, None, None)?;
        Ok(Instr::clause(Clause::Pickup(ObjDesc::new(Some(obj.kind), None, None))))
    }
}

/// MoveTwoAcross: two PutNext across two rooms joined by an open wall.
pub struct MoveTwoAcross {
    pub objs_per_room: usize,
}

impl Mission for MoveTwoAcross {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        rooms.place_agent(w, Some(0), Some(0))?;
        let left = rooms.add_distractors(w, Some((0, 0)), self.objs_per_room, true)?;
        let right = rooms.add_distractors(w, Some((1, 0)), self.objs_per_room, true)?;
        rooms.remove_wall(w, (0, 0), 0)?;
        let left = w.rand_subset(&left, 2)?;
        let right = w.rand_subset(&right, 2)?;
        let (a, b, c, d) = (left[0].0, right[0].0, right[1].0, left[1].0);
        Ok(Instr::seq(
            SeqKind::Before,
            Instr::clause(Clause::PutNext(desc(a), desc(b))),
            Instr::clause(Clause::PutNext(desc(c), desc(d))),
        ))
    }
}
