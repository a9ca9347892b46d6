//! A grid of square rooms joined by doors (MiniGrid's `core/roomgrid.py`), the base of Unlock,
//! KeyCorridor, ObstructedMaze and the BabyAI levels.
//!
//! Rooms overlap by one wall: room `(i, j)` (column `i`, row `j`) has its top-left corner at
//! `(i * (room_size - 1), j * (room_size - 1))`. Wall indices 0..4 are right, down, left, up,
//! the same order as the agent's directions.

use super::grid::Pos;
use super::object::{Color, Obj, ObjType, COLOR_NAMES, PICKABLE_TYPES};
use super::world::{Tries, World, DIR_TO_VEC};
use crate::error::{EnvError, Result};

/// `RoomGrid.place_in_room`'s and `place_agent`'s `max_tries`.
const ROOM_TRIES: Tries = Tries::Bounded(1000);

/// `connect_all`'s `max_itrs`.
const CONNECT_MAX_ITERATIONS: u32 = 5000;

/// After this many rejected agent placements, `place_agent` checks a placement can succeed.
const AGENT_CHECK_EVERY: u32 = 1000;

/// One room: its rectangle, its four door positions and which walls have a passage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Room {
    pub top: Pos,
    pub size: Pos,
    /// Where the door on each wall goes, if the wall has a neighbour.
    pub door_pos: [Option<Pos>; 4],
    /// The neighbouring room's index through each wall.
    pub neighbors: [Option<usize>; 4],
    /// Whether each wall has a door or was removed (MiniGrid's truthy `doors[k]`).
    pub passages: [bool; 4],
    pub locked: bool,
    /// The type and colour of each object placed in the room (`Room.objs`), which
    /// [`Rooms::add_distractors`] keeps unique when asked to.
    pub objs: Vec<(ObjType, Color)>,
}

impl Room {
    /// `pos_inside`: the room's rectangle, walls included.
    pub fn contains(&self, (x, y): Pos) -> bool {
        let ((tx, ty), (w, h)) = (self.top, self.size);
        tx <= x && ty <= y && x < tx + w && y < ty + h
    }
}

/// The rooms of a `num_cols` x `num_rows` room grid.
#[derive(Clone, Debug)]
pub struct Rooms {
    pub room_size: i32,
    pub num_rows: i32,
    pub num_cols: i32,
    rooms: Vec<Room>,
}

impl Rooms {
    pub fn new(room_size: i32, num_rows: i32, num_cols: i32) -> Rooms {
        Rooms { room_size, num_rows, num_cols, rooms: Vec::new() }
    }

    /// The grid `(width, height)` the rooms need.
    pub fn grid_size(&self) -> (usize, usize) {
        (((self.room_size - 1) * self.num_cols + 1) as usize, ((self.room_size - 1) * self.num_rows + 1) as usize)
    }

    fn index(&self, i: i32, j: i32) -> usize {
        (j * self.num_cols + i) as usize
    }

    /// Room `(i, j)`: column `i`, row `j`.
    pub fn room(&self, i: i32, j: i32) -> &Room {
        &self.rooms[self.index(i, j)]
    }

    fn room_index_at(&self, pos: Pos) -> usize {
        let (i, j) = self.room_at(pos);
        self.index(i, j)
    }

    /// `room_from_pos`: the `(column, row)` of the room holding `pos` (a shared wall belongs to
    /// the room right or below it; the last column and row keep their far walls).
    pub fn room_at(&self, (x, y): Pos) -> Pos {
        ((x / (self.room_size - 1)).clamp(0, self.num_cols - 1), (y / (self.room_size - 1)).clamp(0, self.num_rows - 1))
    }

    /// Every room, row by row.
    pub fn rooms(&self) -> &[Room] {
        &self.rooms
    }

    /// `RoomGrid._gen_grid`: walls around every room, a random door position on each inner wall
    /// (right walls draw a y, bottom walls an x, room by room), and the agent parked in the
    /// middle room facing right, which later placements avoid.
    pub fn generate(&mut self, w: &mut World) -> Result<()> {
        let step = self.room_size - 1;
        self.rooms.clear();
        for j in 0..self.num_rows {
            for i in 0..self.num_cols {
                let top = (i * step, j * step);
                self.rooms.push(Room {
                    top,
                    size: (self.room_size, self.room_size),
                    door_pos: [None; 4],
                    neighbors: [None; 4],
                    passages: [false; 4],
                    locked: false,
                    objs: Vec::new(),
                });
                w.grid.wall_rect(top, self.room_size, self.room_size);
            }
        }
        for j in 0..self.num_rows {
            for i in 0..self.num_cols {
                let k = self.index(i, j);
                let (tx, ty) = self.rooms[k].top;
                let (x_low, y_low) = (tx + 1, ty + 1);
                let (x_max, y_max) = (tx + self.room_size - 1, ty + self.room_size - 1);
                if i < self.num_cols - 1 {
                    self.rooms[k].neighbors[0] = Some(self.index(i + 1, j));
                    self.rooms[k].door_pos[0] = Some((x_max, w.rand_int(y_low, y_max)?));
                }
                if j < self.num_rows - 1 {
                    self.rooms[k].neighbors[1] = Some(self.index(i, j + 1));
                    self.rooms[k].door_pos[1] = Some((w.rand_int(x_low, x_max)?, y_max));
                }
                if i > 0 {
                    let left = self.index(i - 1, j);
                    self.rooms[k].neighbors[2] = Some(left);
                    self.rooms[k].door_pos[2] = self.rooms[left].door_pos[0];
                }
                if j > 0 {
                    let up = self.index(i, j - 1);
                    self.rooms[k].neighbors[3] = Some(up);
                    self.rooms[k].door_pos[3] = self.rooms[up].door_pos[1];
                }
            }
        }
        let middle = |n: i32| (n / 2) * step + self.room_size / 2;
        w.agent_pos = (middle(self.num_cols), middle(self.num_rows));
        w.agent_dir = 0;
        Ok(())
    }

    /// `add_door(i, j, door_idx, color, locked)`: a door on wall `door_idx` of room `(i, j)`;
    /// a missing colour is drawn, then a missing lock flag. Marks the room locked or not.
    pub fn add_door(
        &mut self,
        w: &mut World,
        (i, j): Pos,
        door_idx: usize,
        color: Option<Color>,
        locked: Option<bool>,
    ) -> Result<(Obj, Pos)> {
        let k = self.index(i, j);
        let (Some(pos), Some(neighbor)) = (self.rooms[k].door_pos[door_idx], self.rooms[k].neighbors[door_idx]) else {
            return Err(EnvError::LayoutFailed(format!("room ({i}, {j}) has no neighbour through wall {door_idx}")));
        };
        let color = match color {
            Some(c) => c,
            None => w.rand_color(),
        };
        let locked = match locked {
            Some(l) => l,
            None => w.rand_bool(),
        };
        self.rooms[k].locked = locked;
        let door = Obj::door(color, locked);
        w.grid.set(pos, door);
        self.rooms[k].passages[door_idx] = true;
        self.rooms[neighbor].passages[(door_idx + 2) % 4] = true;
        Ok((door, pos))
    }

    /// `add_door(i, j, door_idx=None, ...)`: the wall is drawn until it has a neighbour and no
    /// passage yet, then the door is added as by [`Rooms::add_door`].
    pub fn add_door_on_random_wall(
        &mut self,
        w: &mut World,
        (i, j): Pos,
        color: Option<Color>,
        locked: Option<bool>,
    ) -> Result<(Obj, Pos)> {
        let room = self.room(i, j);
        if !(0..4).any(|k| room.neighbors[k].is_some() && !room.passages[k]) {
            return Err(EnvError::LayoutFailed(format!("room ({i}, {j}) has no wall left for a door")));
        }
        let wall = loop {
            let k = w.rand_int(0, 4)? as usize;
            if self.room(i, j).neighbors[k].is_some() && !self.room(i, j).passages[k] {
                break k;
            }
        };
        self.add_door(w, (i, j), wall, color, locked)
    }

    /// `remove_wall(i, j, wall_idx)`: opens the whole wall between room `(i, j)` and its neighbour
    /// (corners stay).
    pub fn remove_wall(&mut self, w: &mut World, (i, j): Pos, wall_idx: usize) -> Result<()> {
        let k = self.index(i, j);
        let Some(neighbor) = self.rooms[k].neighbors[wall_idx] else {
            return Err(EnvError::LayoutFailed(format!("room ({i}, {j}) has no wall {wall_idx} to remove")));
        };
        let ((tx, ty), (sw, sh)) = (self.rooms[k].top, self.rooms[k].size);
        let cells: Vec<Pos> = match wall_idx {
            0 => (1..sh - 1).map(|d| (tx + sw - 1, ty + d)).collect(),
            1 => (1..sw - 1).map(|d| (tx + d, ty + sh - 1)).collect(),
            2 => (1..sh - 1).map(|d| (tx, ty + d)).collect(),
            _ => (1..sw - 1).map(|d| (tx + d, ty)).collect(),
        };
        for pos in cells {
            w.grid.clear(pos);
        }
        self.rooms[k].passages[wall_idx] = true;
        self.rooms[neighbor].passages[(wall_idx + 2) % 4] = true;
        Ok(())
    }

    /// `place_in_room(i, j, obj)`: a free cell of the room not next to the agent, 1000 tries.
    pub fn place_in_room(&mut self, w: &mut World, (i, j): Pos, obj: Obj) -> Result<Pos> {
        let k = self.index(i, j);
        let room = &mut self.rooms[k];
        let pos = w.place_obj(obj, room.top, room.size, reject_next_to_agent, ROOM_TRIES)?;
        room.objs.push((obj.kind, obj.color));
        Ok(pos)
    }

    /// `add_object(i, j, kind, color)`: a missing type is drawn from key/ball/box, then a missing
    /// colour; the object is placed in the room.
    pub fn add_object(
        &mut self,
        w: &mut World,
        room: Pos,
        kind: Option<ObjType>,
        color: Option<Color>,
    ) -> Result<(Obj, Pos)> {
        let kind = match kind {
            Some(k) => k,
            None => w.rand_elem(&PICKABLE_TYPES)?,
        };
        let color = match color {
            Some(c) => c,
            None => w.rand_color(),
        };
        let obj = Obj::new(kind, color);
        Ok((obj, self.place_in_room(w, room, obj)?))
    }

    /// `RoomGrid.place_agent(i, j)`: a missing room column, then row, is drawn; then the agent is
    /// placed in the room until it faces an empty cell or a wall.
    pub fn place_agent(&self, w: &mut World, i: Option<i32>, j: Option<i32>) -> Result<Pos> {
        let i = match i {
            Some(i) => i,
            None => w.rand_int(0, self.num_cols)?,
        };
        let j = match j {
            Some(j) => j,
            None => w.rand_int(0, self.num_rows)?,
        };
        let room = self.room(i, j);
        for attempt in 1u32.. {
            w.place_agent(room.top, room.size, ROOM_TRIES)?;
            let front = w.grid.get(w.front_pos());
            if front.is_empty() || front.kind == ObjType::Wall {
                break;
            }
            if attempt.is_multiple_of(AGENT_CHECK_EVERY) && !agent_fits(w, room) {
                return Err(EnvError::LayoutFailed(format!(
                    "room ({i}, {j}) has no free cell facing an empty cell or a wall"
                )));
            }
        }
        Ok(w.agent_pos)
    }

    /// `add_distractors(i, j, num_distractors, all_unique)`: random keys, balls and boxes, each in
    /// room `room` or a random room (column, then row, drawn per object); with `all_unique`, no
    /// two objects in the rooms share type and colour. Returns the objects and where they went.
    pub fn add_distractors(
        &mut self,
        w: &mut World,
        room: Option<Pos>,
        count: usize,
        all_unique: bool,
    ) -> Result<Vec<(Obj, Pos)>> {
        let mut existing: Vec<(ObjType, Color)> = self.rooms.iter().flat_map(|r| r.objs.iter().copied()).collect();
        if all_unique {
            // MiniGrid would draw forever once no unused kind is left.
            let mut kinds = existing.clone();
            kinds.sort_by_key(|&(kind, color)| (kind as u8, color as u8));
            kinds.dedup();
            let unused = PICKABLE_TYPES.len() * COLOR_NAMES.len() - kinds.len();
            if count > unused {
                return Err(EnvError::LayoutFailed(format!(
                    "{count} objects of distinct kinds asked for; only {unused} kinds are unused"
                )));
            }
        }
        let mut added = Vec::with_capacity(count);
        while added.len() < count {
            let color = w.rand_elem(&COLOR_NAMES)?;
            let kind = w.rand_elem(&PICKABLE_TYPES)?;
            if all_unique && existing.contains(&(kind, color)) {
                continue;
            }
            let room = match room {
                Some(room) => room,
                None => (w.rand_int(0, self.num_cols)?, w.rand_int(0, self.num_rows)?),
            };
            added.push(self.add_object(w, room, Some(kind), Some(color))?);
            existing.push((kind, color));
        }
        Ok(added)
    }

    /// `connect_all()`: adds unlocked doors of random colours between random unlocked rooms until
    /// every room is reachable from the agent's.
    pub fn connect_all(&mut self, w: &mut World) -> Result<()> {
        self.connect_all_with(w, &COLOR_NAMES)
    }

    /// `connect_all(door_colors)`: [`Rooms::connect_all`] with doors of the given colours.
    pub fn connect_all_with(&mut self, w: &mut World, colors: &[Color]) -> Result<()> {
        let start = self.room_index_at(w.agent_pos);
        for _ in 0..=CONNECT_MAX_ITERATIONS {
            if self.reachable_from(start) == self.rooms.len() {
                return Ok(());
            }
            let i = w.rand_int(0, self.num_cols)?;
            let j = w.rand_int(0, self.num_rows)?;
            let k = w.rand_int(0, 4)? as usize;
            let room = &self.rooms[self.index(i, j)];
            let (Some(_), Some(neighbor)) = (room.door_pos[k], room.neighbors[k]) else { continue };
            if room.passages[k] || room.locked || self.rooms[neighbor].locked {
                continue;
            }
            let color = w.rand_elem(colors)?;
            self.add_door(w, (i, j), k, Some(color), Some(false))?;
        }
        Err(EnvError::LayoutFailed(format!("connect_all did not connect the rooms in {CONNECT_MAX_ITERATIONS} tries")))
    }

    /// How many rooms can be reached from room `start` through passages.
    fn reachable_from(&self, start: usize) -> usize {
        let mut seen = vec![false; self.rooms.len()];
        let mut stack = vec![start];
        while let Some(k) = stack.pop() {
            if std::mem::replace(&mut seen[k], true) {
                continue;
            }
            for wall in 0..4 {
                if let (true, Some(n)) = (self.rooms[k].passages[wall], self.rooms[k].neighbors[wall]) {
                    stack.push(n);
                }
            }
        }
        seen.iter().filter(|&&s| s).count()
    }
}

/// `reject_next_to`: positions at Manhattan distance < 2 from the agent.
pub fn reject_next_to_agent(w: &World, (x, y): Pos) -> bool {
    (w.agent_pos.0 - x).abs() + (w.agent_pos.1 - y).abs() < 2
}

/// Whether some free cell of `room` faces an empty cell or a wall in some direction.
fn agent_fits(w: &World, room: &Room) -> bool {
    let (tx, ty) = room.top;
    (tx..tx + room.size.0).any(|x| {
        (ty..ty + room.size.1).any(|y| {
            w.grid.contains((x, y))
                && w.grid.get((x, y)).is_empty()
                && DIR_TO_VEC.iter().any(|(dx, dy)| {
                    let front = w.grid.get((x + dx, y + dy));
                    front.is_empty() || front.kind == ObjType::Wall
                })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_share_walls_and_agree_on_door_positions() {
        let mut rooms = Rooms::new(4, 2, 3);
        let (width, height) = rooms.grid_size();
        assert_eq!((width, height), (10, 7));
        let mut w = World::new(width, height, 10);
        rooms.generate(&mut w).unwrap();
        assert_eq!(rooms.room(1, 0).door_pos[2], rooms.room(0, 0).door_pos[0]);
        assert_eq!(rooms.room(2, 1).door_pos[3], rooms.room(2, 0).door_pos[1]);
        assert_eq!(w.agent_pos, (5, 5));
        assert_eq!(w.grid.get((3, 1)).kind, ObjType::Wall);
        rooms.remove_wall(&mut w, (0, 0), 0).unwrap();
        assert!(w.grid.get((3, 1)).is_empty() && w.grid.get((3, 3)).kind == ObjType::Wall);
        assert!(rooms.room(1, 0).passages[2]);
        w.agent_pos = (1, 1);
        rooms.connect_all(&mut w).unwrap();
        assert_eq!(rooms.reachable_from(0), 6);
    }
}
