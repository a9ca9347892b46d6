//! The BabyAI levels, one file per MiniGrid module (`envs/babyai/*.py`); the LevelGen-based
//! ones (GoToSeq, PickupLoc, Synth*, *BossLevel) are [`LevelGen`](super::levelgen::LevelGen)
//! settings in the registry.

pub mod goto;
pub mod open;
pub mod other;
pub mod pickup;
pub mod putnext;
pub mod unlock;

use crate::error::Result;
use crate::gridworld::{Obj, ObjType, Pos, Rooms, World};

/// Unlock's and GoToImpUnlock's start: a locked door on a random wall of a random room, its key
/// in a random room. Returns the locked room and its door.
///
/// MiniGrid means the key to go in another room, but tests `ik is id and jk is jd` on numpy
/// integers, which is never true: the key may land in the locked room, and (`i is not id`) the
/// distractors meant for the other rooms go in every room. limbic does as MiniGrid does.
pub(crate) fn add_locked_room_and_key(w: &mut World, rooms: &mut Rooms) -> Result<(Pos, Obj)> {
    let locked = (w.rand_int(0, rooms.num_cols)?, w.rand_int(0, rooms.num_rows)?);
    let (door, _) = rooms.add_door_on_random_wall(w, locked, None, Some(true))?;
    let room = (w.rand_int(0, rooms.num_cols)?, w.rand_int(0, rooms.num_rows)?);
    rooms.add_object(w, room, Some(ObjType::Key), Some(door.color))?;
    Ok((locked, door))
}
