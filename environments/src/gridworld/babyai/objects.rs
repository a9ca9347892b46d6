//! Object identity. MiniGrid's objects are Python objects: the verifier and the bot tell two red
//! balls apart by identity (`cell is obj`) and follow an object as it is carried and dropped
//! (`cur_pos`). limbic's grid holds plain values, so a level keeps identities beside it: an id
//! per occupied cell, the carried object's id, and each object's last known position.

use crate::gridworld::{Action, Obj, ObjType, Pos, World};

/// An object's identity; [`NONE`] for no object.
pub type ObjId = u32;

/// No object (an empty cell, empty hands).
pub const NONE: ObjId = 0;

/// The identities of the objects of one episode.
#[derive(Clone, Debug, Default)]
pub struct Objects {
    height: i32,
    /// The id of the object in each cell, indexed `x * height + y`.
    ids: Vec<ObjId>,
    /// What the agent carries.
    carried: ObjId,
    /// Each object's `cur_pos`, indexed by id (`(-1, -1)` while carried).
    positions: Vec<Pos>,
    /// Each object's type, indexed by id.
    kinds: Vec<ObjType>,
}

impl Objects {
    /// Gives every object of the grid (walls included) its own identity, column by column.
    pub fn assign(&mut self, world: &World) {
        let (width, height) = (world.grid.width(), world.grid.height());
        self.height = height;
        self.ids.clear();
        self.positions.clear();
        self.kinds.clear();
        self.add((-1, -1), ObjType::Empty);
        self.carried = NONE;
        for x in 0..width {
            for y in 0..height {
                let cell = world.grid.get((x, y));
                let id = if cell.is_empty() { NONE } else { self.add((x, y), cell.kind) };
                self.ids.push(id);
            }
        }
    }

    fn add(&mut self, pos: Pos, kind: ObjType) -> ObjId {
        self.positions.push(pos);
        self.kinds.push(kind);
        (self.positions.len() - 1) as ObjId
    }

    /// The object's type (objects keep their type; a box that opens becomes a new object).
    pub fn kind(&self, id: ObjId) -> ObjType {
        self.kinds.get(id as usize).copied().unwrap_or(ObjType::Empty)
    }

    fn slot(&self, (x, y): Pos) -> Option<usize> {
        let index = x * self.height + y;
        (0 <= x && 0 <= y && y < self.height && (index as usize) < self.ids.len()).then_some(index as usize)
    }

    /// The identity of the object at `pos` ([`NONE`] if empty or outside).
    pub fn at(&self, pos: Pos) -> ObjId {
        self.slot(pos).map_or(NONE, |i| self.ids[i])
    }

    /// The identity of the carried object ([`NONE`] if the hands are empty).
    pub fn carried(&self) -> ObjId {
        self.carried
    }

    /// `obj.cur_pos`: where the object was last put (`(-1, -1)` while carried).
    pub fn position(&self, id: ObjId) -> Pos {
        self.positions.get(id as usize).copied().unwrap_or((-1, -1))
    }

    /// The agent picks up the object at `pos` before the episode starts (PutNext's
    /// `start_carrying`); its `cur_pos` stays where it was, as in MiniGrid.
    pub fn take(&mut self, pos: Pos) {
        if let Some(i) = self.slot(pos) {
            self.carried = std::mem::replace(&mut self.ids[i], NONE);
        }
    }

    /// Follows the objects through one step: `front` is the cell the agent faced and `before`
    /// what was there, `was_carrying` whether its hands were full, all before the step.
    pub fn follow(&mut self, world: &World, action: Action, front: Pos, before: Obj, was_carrying: bool) {
        let Some(i) = self.slot(front) else { return };
        match action {
            Action::Pickup if !was_carrying && world.carrying.is_some() => {
                self.carried = std::mem::replace(&mut self.ids[i], NONE);
                if let Some(p) = self.positions.get_mut(self.carried as usize) {
                    *p = (-1, -1);
                }
            }
            Action::Drop if was_carrying && world.carrying.is_none() => {
                let id = std::mem::replace(&mut self.carried, NONE);
                self.ids[i] = id;
                if let Some(p) = self.positions.get_mut(id as usize) {
                    *p = front;
                }
            }
            // A box turns into what it held: a new object, or nothing.
            Action::Toggle if before.kind == ObjType::Box => {
                let cell = world.grid.get(front);
                self.ids[i] = if cell.is_empty() { NONE } else { self.add(front, cell.kind) };
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gridworld::Color;

    #[test]
    fn identities_follow_objects_through_pickup_and_drop() {
        let mut w = World::new(5, 5, 10);
        w.grid.wall_rect((0, 0), 5, 5);
        w.put_obj(Obj::ball(Color::Red), (2, 1));
        w.put_obj(Obj::ball(Color::Red), (3, 3));
        w.agent_pos = (1, 1);
        let mut objects = Objects::default();
        objects.assign(&w);
        let (a, b) = (objects.at((2, 1)), objects.at((3, 3)));
        assert!(a != b && a != NONE && objects.at((0, 0)) != NONE && objects.at((1, 1)) == NONE);
        let step = |w: &mut World, objects: &mut Objects, action| {
            let (front, was) = (w.front_pos(), w.carrying.is_some());
            let before = w.grid.get(front);
            w.step(action);
            objects.follow(w, action, front, before, was);
        };
        step(&mut w, &mut objects, Action::Pickup);
        assert_eq!((objects.carried(), objects.at((2, 1)), objects.position(a)), (a, NONE, (-1, -1)));
        step(&mut w, &mut objects, Action::Right);
        step(&mut w, &mut objects, Action::Drop);
        assert_eq!((objects.carried(), objects.at((1, 2)), objects.position(a)), (NONE, a, (1, 2)));
        assert_eq!(objects.position(b), (3, 3));
    }
}
