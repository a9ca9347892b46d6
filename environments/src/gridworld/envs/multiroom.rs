//! MultiRoom: a chain of rooms of random sizes joined by closed doors; the goal is in the last
//! (`envs/multiroom.py`).

use crate::error::{EnvError, Result};
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{Color, GridEnv, Obj, Pos, Task, Tries, World, COLOR_NAMES};
use serde_json::json;

/// Chains are re-drawn until one has enough rooms; this many failures is an error (MiniGrid
/// would keep drawing). Far above what any registered id needs.
const MAX_CHAIN_ATTEMPTS: u32 = 100_000;

/// `_placeRoom`'s number of tries at an exit door for each room.
const EXIT_TRIES: usize = 8;

const MIN_ROOM_SIZE: i32 = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RoomRect {
    top: Pos,
    size: Pos,
    entry_door: Pos,
}

pub struct MultiRoom {
    min_rooms: i32,
    max_rooms: i32,
    max_room_size: i32,
}

impl MultiRoom {
    pub fn new(min_rooms: i32, max_rooms: i32, max_room_size: i32) -> MultiRoom {
        MultiRoom { min_rooms, max_rooms, max_room_size }
    }

    /// `_placeRoom`: draws a room entered through `entry_door` on wall `entry_wall`, keeps it if it
    /// fits the grid and overlaps no earlier room but its predecessor, then tries up to 8 exits
    /// for the next room. Returns whether this room was placed.
    fn place_room(
        &self,
        w: &mut World,
        rooms: &mut Vec<RoomRect>,
        num_left: i32,
        entry_wall: usize,
        entry_door: Pos,
    ) -> Result<bool> {
        let size_x = w.rand_int(MIN_ROOM_SIZE, self.max_room_size + 1)?;
        let size_y = w.rand_int(MIN_ROOM_SIZE, self.max_room_size + 1)?;
        let (ex, ey) = entry_door;
        let (top_x, top_y) = if rooms.is_empty() {
            entry_door
        } else {
            match entry_wall {
                0 => (ex - size_x + 1, w.rand_int(ey - size_y + 2, ey)?),
                1 => (w.rand_int(ex - size_x + 2, ex)?, ey - size_y + 1),
                2 => (ex, w.rand_int(ey - size_y + 2, ey)?),
                _ => (w.rand_int(ex - size_x + 2, ex)?, ey),
            }
        };
        if top_x < 0 || top_y < 0 {
            return Ok(false);
        }
        // MiniGrid's bounds check is `>` in x but `>=` in y.
        if top_x + size_x > w.grid.width() || top_y + size_y >= w.grid.height() {
            return Ok(false);
        }
        let overlaps = rooms.iter().take(rooms.len().saturating_sub(1)).any(|r| {
            !(top_x + size_x < r.top.0
                || r.top.0 + r.size.0 <= top_x
                || top_y + size_y < r.top.1
                || r.top.1 + r.size.1 <= top_y)
        });
        if overlaps {
            return Ok(false);
        }
        rooms.push(RoomRect { top: (top_x, top_y), size: (size_x, size_y), entry_door });
        if num_left == 1 {
            return Ok(true);
        }
        for _ in 0..EXIT_TRIES {
            let walls: Vec<usize> = (0..4).filter(|&k| k != entry_wall).collect();
            let exit_wall = w.rand_elem(&walls)?;
            let exit_door = match exit_wall {
                0 => (top_x + size_x - 1, top_y + w.rand_int(1, size_y - 1)?),
                1 => (top_x + w.rand_int(1, size_x - 1)?, top_y + size_y - 1),
                2 => (top_x, top_y + w.rand_int(1, size_y - 1)?),
                _ => (top_x + w.rand_int(1, size_x - 1)?, top_y),
            };
            if self.place_room(w, rooms, num_left - 1, (exit_wall + 2) % 4, exit_door)? {
                break;
            }
        }
        Ok(true)
    }
}

impl Task for MultiRoom {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let num_rooms = w.rand_int(self.min_rooms, self.max_rooms + 1)?;
        let mut rooms: Vec<RoomRect> = Vec::new();
        let mut attempts = 0;
        while (rooms.len() as i32) < num_rooms {
            attempts += 1;
            if attempts > MAX_CHAIN_ATTEMPTS {
                return Err(EnvError::LayoutFailed(format!(
                    "no chain of {num_rooms} rooms fitted in {MAX_CHAIN_ATTEMPTS} attempts"
                )));
            }
            let mut chain = Vec::new();
            // MiniGrid draws both coordinates below the width.
            let entry = (w.rand_int(0, w.grid.width() - 2)?, w.rand_int(0, w.grid.width() - 2)?);
            self.place_room(w, &mut chain, num_rooms, 2, entry)?;
            if chain.len() > rooms.len() {
                rooms = chain;
            }
        }
        let mut prev_color: Option<Color> = None;
        for (idx, room) in rooms.iter().enumerate() {
            w.grid.wall_rect(room.top, room.size.0, room.size.1);
            if idx > 0 {
                let colors: Vec<Color> = COLOR_NAMES.into_iter().filter(|&c| Some(c) != prev_color).collect();
                let color = w.rand_elem(&colors)?;
                w.put_obj(Obj::door(color, false), room.entry_door);
                prev_color = Some(color);
            }
        }
        let (first, last) = (rooms[0], rooms[rooms.len() - 1]);
        w.place_agent(first.top, first.size, Tries::Unbounded)?;
        w.place_obj(Obj::goal(), last.top, last.size, |_, _| false, Tries::Unbounded)?;
        w.set_mission(format_args!("traverse the rooms to get to the goal"));
        Ok(())
    }
}

pub(crate) fn family() -> Family {
    Family::new(
        vec![
            kwarg("minNumRooms", json!(null), "fewest rooms (required)"),
            kwarg("maxNumRooms", json!(null), "most rooms (required)"),
            kwarg("maxRoomSize", json!(10), "largest room side, walls included (>= 4)"),
            kwarg("width", json!(25), "grid width"),
            kwarg("height", json!(25), "grid height"),
        ],
        SeeThrough::Settable,
        build,
    )
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let min_rooms = args.int("minNumRooms", 1..=64)?;
    let max_rooms = args.int("maxNumRooms", min_rooms..=64)?;
    let max_room_size = args.int("maxRoomSize", MIN_ROOM_SIZE as i64..=64)?;
    let (width, height) = (args.int("width", 6..=1024)?, args.int("height", 6..=1024)?);
    let task = MultiRoom::new(min_rooms as i32, max_rooms as i32, max_room_size as i32);
    boxed(task, args.config(width, height, max_rooms * 20)?)
}
