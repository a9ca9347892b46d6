//! The "pick up" levels (`envs/babyai/pickup.py`; PickupLoc is a LevelGen setting).

use crate::error::{EnvError, Result};
use crate::gridworld::babyai::instr::{Clause, Instr, ObjDesc};
use crate::gridworld::babyai::level::{check_objs_reachable, objs_reachable, Mission};
use crate::gridworld::{Rooms, World};

/// Pickup: any object of a maze full of distractors. UnblockPickup (`unblock`): some object is
/// blocked in, so the way may have to be cleared.
pub struct Pickup {
    pub unblock: bool,
}

impl Mission for Pickup {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        rooms.place_agent(w, None, None)?;
        rooms.connect_all(w)?;
        let objs = rooms.add_distractors(w, None, if self.unblock { 20 } else { 18 }, false)?;
        if !self.unblock {
            check_objs_reachable(w)?;
        } else if objs_reachable(w) {
            return Err(EnvError::LayoutFailed("all objects reachable".into()));
        }
        let (obj, _) = w.rand_elem(&objs)?;
        Ok(Instr::clause(Clause::Pickup(ObjDesc::of(obj.kind, obj.color))))
    }
}

/// PickupDist: one of five objects, named by type, colour or both; `debug` fails on a wrong
/// pickup.
pub struct PickupDist {
    pub debug: bool,
}

impl Mission for PickupDist {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        let objs = rooms.add_distractors(w, None, 5, true)?;
        rooms.place_agent(w, Some(0), Some(0))?;
        let (obj, _) = w.rand_elem(&objs)?;
        let (mut kind, mut color) = (Some(obj.kind), Some(obj.color));
        match w.rand_int(0, 3)? {
            0 => color = None,
            1 => kind = None,
            _ => {}
        }
        Ok(Instr::clause_strict(Clause::Pickup(ObjDesc::new(kind, color, None)), self.debug))
    }
}

/// PickupAbove: the object in the room above the agent's.
pub struct PickupAbove;

impl Mission for PickupAbove {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        let (obj, _) = rooms.add_object(w, (1, 0), None, None)?;
        rooms.add_door(w, (1, 1), 3, None, Some(false))?;
        rooms.place_agent(w, Some(1), Some(1))?;
        rooms.connect_all(w)?;
        Ok(Instr::clause(Clause::Pickup(ObjDesc::of(obj.kind, obj.color))))
    }
}
