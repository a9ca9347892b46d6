//! The "unlock" levels (`envs/babyai/unlock.py`).

use crate::error::Result;
use crate::gridworld::babyai::instr::{Clause, Instr, ObjDesc};
use crate::gridworld::babyai::level::{check_objs_reachable, place_agent_outside, Mission};
use crate::gridworld::{Obj, ObjType, Rooms, World, COLOR_NAMES};

fn open_door(color: Option<crate::gridworld::Color>) -> Instr {
    Instr::clause(Clause::Open(ObjDesc::new(Some(ObjType::Door), color, None)))
}

fn pickup(obj: Obj, with_color: bool) -> Instr {
    Instr::clause(Clause::Pickup(ObjDesc::new(Some(obj.kind), with_color.then_some(obj.color), None)))
}

/// Unlock: a locked door somewhere in the maze, its key in another room.
pub struct Unlock;

impl Mission for Unlock {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        let (locked, door) = super::add_locked_room_and_key(w, rooms)?;
        // Half the time the locked door is the only door of its colour.
        if w.rand_bool() {
            let colors: Vec<_> = COLOR_NAMES.iter().copied().filter(|&c| c != door.color).collect();
            rooms.connect_all_with(w, &colors)?;
        } else {
            rooms.connect_all(w)?;
        }
        // Every room, the locked one too (see `add_locked_room_and_key`).
        for i in 0..rooms.num_cols {
            for j in 0..rooms.num_rows {
                rooms.add_distractors(w, Some((i, j)), 3, false)?;
            }
        }
        place_agent_outside(w, rooms, Some(locked))?;
        check_objs_reachable(w)?;
        Ok(open_door(Some(door.color)))
    }
}

/// UnlockLocal: the locked door of the agent's room, the key in the room (with three
/// distractors if `distractors`). KeyInBox: the key hidden in a box.
pub struct UnlockLocal {
    pub distractors: bool,
    pub key_in_box: bool,
}

impl Mission for UnlockLocal {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        let (door, _) = rooms.add_door_on_random_wall(w, (1, 1), None, Some(true))?;
        if self.key_in_box {
            let box_color = w.rand_color();
            rooms.place_in_room(w, (1, 1), Obj::boxed(box_color, Some((ObjType::Key, door.color))))?;
        } else {
            rooms.add_object(w, (1, 1), Some(ObjType::Key), Some(door.color))?;
            if self.distractors {
                rooms.add_distractors(w, Some((1, 1)), 3, true)?;
            }
        }
        rooms.place_agent(w, Some(1), Some(1))?;
        Ok(open_door(None))
    }
}

/// UnlockPickup: the box behind a locked door (with four distractors if `distractors`).
/// BlockedUnlockPickup (`blocked`): a ball blocks the door.
pub struct UnlockPickup {
    pub distractors: bool,
    pub blocked: bool,
}

impl Mission for UnlockPickup {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        let (target, _) = rooms.add_object(w, (1, 0), Some(ObjType::Box), None)?;
        let (door, (x, y)) = rooms.add_door(w, (0, 0), 0, None, Some(true))?;
        if self.blocked {
            let color = w.rand_color();
            w.put_obj(Obj::ball(color), (x - 1, y));
        }
        rooms.add_object(w, (0, 0), Some(ObjType::Key), Some(door.color))?;
        if self.distractors {
            rooms.add_distractors(w, None, 4, true)?;
        }
        rooms.place_agent(w, Some(0), Some(0))?;
        Ok(pickup(target, !self.blocked))
    }
}

/// UnlockToUnlock: a key behind one locked door opens the door to the ball.
pub struct UnlockToUnlock;

impl Mission for UnlockToUnlock {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        let colors = w.rand_subset(&COLOR_NAMES, 2)?;
        rooms.add_door(w, (0, 0), 0, Some(colors[0]), Some(true))?;
        rooms.add_object(w, (2, 0), Some(ObjType::Key), Some(colors[0]))?;
        rooms.add_door(w, (1, 0), 0, Some(colors[1]), Some(true))?;
        rooms.add_object(w, (1, 0), Some(ObjType::Key), Some(colors[1]))?;
        let (ball, _) = rooms.add_object(w, (0, 0), Some(ObjType::Ball), None)?;
        rooms.place_agent(w, Some(1), Some(0))?;
        Ok(pickup(ball, false))
    }
}
