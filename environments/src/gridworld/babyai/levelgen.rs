//! `LevelGen`: the level generator that can say every sentence of the Baby Language (random
//! clauses, "and" pairs and sequences over random object descriptions), the base of GoToSeq,
//! PickupLoc, the Synth levels and the boss levels (`envs/babyai/core/levelgen.py`).

use super::instr::{Clause, Instr, ObjDesc, SeqKind, LOCS, OBJ_TYPES, OBJ_TYPES_NOT_DOOR};
use super::level::{check_objs_reachable, place_agent_outside, Mission, MAX_ATTEMPTS};
use super::objects::Objects;
use crate::error::{EnvError, Result};
use crate::gridworld::{ObjType, Pos, Rooms, World, COLOR_NAMES};

/// `rand_obj`'s `max_tries`.
const RAND_OBJ_TRIES: u32 = 100;

/// The clause kinds a level draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    GoTo,
    Pickup,
    Open,
    PutNext,
}

/// The instruction shapes a level draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstrKind {
    Action,
    And,
    Seq,
}

/// LevelGen's settings (its constructor's arguments).
#[derive(Clone, Debug, PartialEq)]
pub struct LevelGen {
    pub num_dists: usize,
    pub locked_room_prob: f64,
    pub locations: bool,
    pub unblocking: bool,
    pub implicit_unlock: bool,
    pub action_kinds: Vec<ActionKind>,
    pub instr_kinds: Vec<InstrKind>,
}

impl Default for LevelGen {
    /// BossLevel: everything.
    fn default() -> LevelGen {
        LevelGen {
            num_dists: 18,
            locked_room_prob: 0.5,
            locations: true,
            unblocking: true,
            implicit_unlock: true,
            action_kinds: vec![ActionKind::GoTo, ActionKind::Pickup, ActionKind::Open, ActionKind::PutNext],
            instr_kinds: vec![InstrKind::Action, InstrKind::And, InstrKind::Seq],
        }
    }
}

/// One generation: the settings and what it drew so far.
struct Draw<'a> {
    gen: &'a LevelGen,
    w: &'a mut World,
    rooms: &'a mut Rooms,
    objects: Objects,
    locked_room: Option<Pos>,
}

impl Mission for LevelGen {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        let mut draw = Draw { gen: self, w, rooms, objects: Objects::default(), locked_room: None };
        if draw.w.rng().uniform(0.0, 1.0) < self.locked_room_prob {
            draw.add_locked_room()?;
        }
        draw.rooms.connect_all(draw.w)?;
        draw.rooms.add_distractors(draw.w, None, self.num_dists, false)?;
        place_agent_outside(draw.w, draw.rooms, draw.locked_room)?;
        if !self.unblocking {
            check_objs_reachable(draw.w)?;
        }
        draw.objects.assign(draw.w);
        draw.rand_instr(&self.action_kinds, &self.instr_kinds)
    }

    fn unblocking(&self) -> bool {
        self.unblocking
    }
}

impl Draw<'_> {
    /// `add_locked_room()`: a locked door on a random inner wall of a random room, and its key
    /// in another room.
    fn add_locked_room(&mut self) -> Result<()> {
        let (cols, rows) = (self.rooms.num_cols, self.rooms.num_rows);
        let no_inner_wall = || EnvError::LayoutFailed("no room has a wall to lock".into());
        let mut door = None;
        for _ in 0..MAX_ATTEMPTS {
            let (i, j, k) = (self.w.rand_int(0, cols)?, self.w.rand_int(0, rows)?, self.w.rand_int(0, 4)? as usize);
            self.locked_room = Some((i, j));
            if self.rooms.room(i, j).neighbors[k].is_some() {
                door = Some(self.rooms.add_door(self.w, (i, j), k, None, Some(true))?.0);
                break;
            }
        }
        let door = door.ok_or_else(no_inner_wall)?;
        for _ in 0..MAX_ATTEMPTS {
            let room = (self.w.rand_int(0, cols)?, self.w.rand_int(0, rows)?);
            if Some(room) != self.locked_room {
                self.rooms.add_object(self.w, room, Some(ObjType::Key), Some(door.color))?;
                return Ok(());
            }
        }
        Err(EnvError::LayoutFailed("no room but the locked one for its key".into()))
    }

    /// `rand_obj(types)`: a random description that matches some object (and, without implicit
    /// unlocking, some object outside the locked room).
    fn rand_obj(&mut self, types: &[ObjType]) -> Result<ObjDesc> {
        let colors: Vec<Option<_>> = std::iter::once(None).chain(COLOR_NAMES.map(Some)).collect();
        for _ in 0..=RAND_OBJ_TRIES {
            let color = self.w.rand_elem(&colors)?;
            let kind = self.w.rand_elem(types)?;
            let loc = if self.gen.locations && self.w.rand_bool() { Some(self.w.rand_elem(&LOCS)?) } else { None };
            let mut desc = ObjDesc::new(Some(kind), color, loc);
            desc.find_matching(self.w, self.rooms, &self.objects);
            if desc.obj_set.is_empty() {
                continue;
            }
            if let (false, Some((i, j))) = (self.gen.implicit_unlock, self.locked_room) {
                let locked = self.rooms.room(i, j);
                if desc.obj_poss.iter().all(|&p| locked.contains(p)) {
                    continue;
                }
            }
            return Ok(desc);
        }
        Err(EnvError::LayoutFailed("failed to find suitable object".into()))
    }

    /// `rand_instr(action_kinds, instr_kinds)`.
    fn rand_instr(&mut self, action_kinds: &[ActionKind], instr_kinds: &[InstrKind]) -> Result<Instr> {
        Ok(match self.w.rand_elem(instr_kinds)? {
            InstrKind::Action => Instr::clause(match self.w.rand_elem(action_kinds)? {
                ActionKind::GoTo => Clause::GoTo(self.rand_obj(&OBJ_TYPES)?),
                ActionKind::Pickup => Clause::Pickup(self.rand_obj(&OBJ_TYPES_NOT_DOOR)?),
                ActionKind::Open => Clause::Open(self.rand_obj(&[ObjType::Door])?),
                ActionKind::PutNext => {
                    let moved = self.rand_obj(&OBJ_TYPES_NOT_DOOR)?;
                    Clause::PutNext(moved, self.rand_obj(&OBJ_TYPES)?)
                }
            }),
            InstrKind::And => {
                let a = self.rand_instr(action_kinds, &[InstrKind::Action])?;
                let b = self.rand_instr(action_kinds, &[InstrKind::Action])?;
                Instr::seq(SeqKind::And, a, b)
            }
            InstrKind::Seq => {
                let a = self.rand_instr(action_kinds, &[InstrKind::Action, InstrKind::And])?;
                let b = self.rand_instr(action_kinds, &[InstrKind::Action, InstrKind::And])?;
                let kind = self.w.rand_elem(&[SeqKind::Before, SeqKind::After])?;
                Instr::seq(kind, a, b)
            }
        })
    }
}
