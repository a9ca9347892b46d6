//! The "put next" levels (`envs/babyai/putnext.py`).

use crate::error::Result;
use crate::gridworld::babyai::instr::{Clause, Instr, ObjDesc};
use crate::gridworld::babyai::level::{check_objs_reachable, Mission};
use crate::gridworld::babyai::objects::Objects;
use crate::gridworld::{Obj, Pos, Rooms, World};

fn put_next(a: Obj, b: Obj) -> Instr {
    Instr::clause(Clause::PutNext(ObjDesc::of(a.kind, a.color), ObjDesc::of(b.kind, b.color)))
}

/// PutNextLocal: two of `num_objs` distinct objects in one room.
pub struct PutNextLocal {
    pub num_objs: usize,
}

impl Mission for PutNextLocal {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        rooms.place_agent(w, None, None)?;
        let objs = rooms.add_distractors(w, None, self.num_objs, true)?;
        check_objs_reachable(w)?;
        let pair = w.rand_subset(&objs, 2)?;
        Ok(put_next(pair[0].0, pair[1].0))
    }
}

/// PutNext: an object of the left room next to one of the right room (or the other way round);
/// with `start_carrying`, the agent holds the object to move from the start.
pub struct PutNext {
    pub objs_per_room: usize,
    pub start_carrying: bool,
    /// Where the object to move was put.
    moved_from: Pos,
}

impl PutNext {
    pub fn new(objs_per_room: usize, start_carrying: bool) -> PutNext {
        PutNext { objs_per_room, start_carrying, moved_from: (-1, -1) }
    }
}

impl Mission for PutNext {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        rooms.place_agent(w, Some(0), Some(0))?;
        let left = rooms.add_distractors(w, Some((0, 0)), self.objs_per_room, true)?;
        let right = rooms.add_distractors(w, Some((1, 0)), self.objs_per_room, true)?;
        rooms.remove_wall(w, (0, 0), 0)?;
        let mut a = w.rand_elem(&left)?;
        let mut b = w.rand_elem(&right)?;
        if w.rand_bool() {
            std::mem::swap(&mut a, &mut b);
        }
        self.moved_from = a.1;
        Ok(put_next(a.0, b.0))
    }

    fn start(&mut self, w: &mut World, objects: &mut Objects) {
        if self.start_carrying {
            w.carrying = Some(w.grid.get(self.moved_from));
            w.grid.clear(self.moved_from);
            objects.take(self.moved_from);
        }
    }
}
