//! LockedRoom: six rooms off a corridor; fetch the key from one to unlock the room with the goal
//! (`envs/lockedroom.py`).

use crate::error::Result;
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{Color, GridEnv, Obj, Pos, Task, Tries, World, COLOR_NAMES};
use serde_json::json;

#[derive(Clone, Copy, Debug)]
struct Room {
    top: Pos,
    size: Pos,
    door: Pos,
}

impl Room {
    /// `LockedRoom.rand_pos`: a cell inside the walls, x drawn first.
    fn rand_pos(&self, w: &mut World) -> Result<Pos> {
        let ((tx, ty), (sx, sy)) = (self.top, self.size);
        w.rand_pos(tx + 1, tx + sx - 1, ty + 1, ty + sy - 1)
    }
}

pub struct LockedRoom;

impl Task for LockedRoom {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let (width, height) = (w.grid.width(), w.grid.height());
        w.grid.wall_rect((0, 0), width, height);
        let (left_wall, right_wall) = (width / 2 - 2, width / 2 + 2);
        w.grid.vert_wall((left_wall, 0), height, Obj::wall());
        w.grid.vert_wall((right_wall, 0), height, Obj::wall());
        let mut rooms = Vec::with_capacity(6);
        for n in 0..3 {
            let y = n * (height / 3);
            w.grid.horz_wall((0, y), left_wall, Obj::wall());
            w.grid.horz_wall((right_wall, y), width - right_wall, Obj::wall());
            let size = (left_wall + 1, height / 3 + 1);
            rooms.push(Room { top: (0, y), size, door: (left_wall, y + 3) });
            rooms.push(Room { top: (right_wall, y), size, door: (right_wall, y + 3) });
        }
        let locked = w.rand_int(0, rooms.len() as i32)? as usize;
        let goal = rooms[locked].rand_pos(w)?;
        w.put_obj(Obj::goal(), goal);
        let mut colors: Vec<Color> = COLOR_NAMES.to_vec();
        let mut room_colors = Vec::with_capacity(rooms.len());
        for (k, room) in rooms.iter().enumerate() {
            let color = colors.remove(w.rand_int(0, colors.len() as i32)? as usize);
            room_colors.push(color);
            w.put_obj(Obj::door(color, k == locked), room.door);
        }
        let key_room = loop {
            let k = w.rand_int(0, rooms.len() as i32)? as usize;
            if k != locked {
                break k;
            }
        };
        let key_pos = rooms[key_room].rand_pos(w)?;
        w.put_obj(Obj::key(room_colors[locked]), key_pos);
        w.place_agent((left_wall, 0), (right_wall - left_wall, height), Tries::Unbounded)?;
        let (lock, key) = (room_colors[locked].name(), room_colors[key_room].name());
        w.set_mission(format_args!(
            "get the {lock} key from the {key} room, unlock the {lock} door and go to the goal"
        ));
        Ok(())
    }
}

pub(crate) fn family() -> Family {
    Family::new(vec![kwarg("size", json!(19), "side of the square grid (>= 10)")], SeeThrough::Settable, build)
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let size = args.int("size", 10..=1024)?;
    boxed(LockedRoom, args.config(size, size, 10 * size)?)
}
