//! DoorKey: fetch the key, unlock the door in the dividing wall, reach the goal (`envs/doorkey.py`).

use crate::error::Result;
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{Color, GridEnv, Obj, Task, Tries, World};
use serde_json::json;

pub struct DoorKey;

impl Task for DoorKey {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let (width, height) = (w.grid.width(), w.grid.height());
        w.grid.wall_rect((0, 0), width, height);
        w.put_obj(Obj::goal(), (width - 2, height - 2));
        let split = w.rand_int(2, width - 2)?;
        w.grid.vert_wall((split, 0), height, Obj::wall());
        w.place_agent((0, 0), (split, height), Tries::Unbounded)?;
        let door_y = w.rand_int(1, height - 2)?;
        w.put_obj(Obj::door(Color::Yellow, true), (split, door_y));
        w.place_obj(Obj::key(Color::Yellow), (0, 0), (split, height), |_, _| false, Tries::Unbounded)?;
        w.set_mission(format_args!("use the key to open the door and then get to the goal"));
        Ok(())
    }
}

pub(crate) fn family() -> Family {
    Family::new(vec![kwarg("size", json!(8), "side of the square grid, walls included")], SeeThrough::Settable, build)
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let size = args.int("size", 5..=1024)?;
    boxed(DoorKey, args.config(size, size, 10 * size * size)?)
}
