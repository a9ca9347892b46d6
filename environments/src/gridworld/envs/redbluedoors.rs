//! RedBlueDoors: open the red door, then the blue one; the other order fails
//! (`envs/redbluedoors.py`).

use crate::env::Transition;
use crate::error::Result;
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{Action, Color, GridEnv, Obj, Pos, Task, Tries, World};
use serde_json::json;

pub struct RedBlueDoors {
    size: i32,
    red_door: Pos,
    blue_door: Pos,
}

impl RedBlueDoors {
    /// A `size` x `size` room in the middle of a `2 * size` x `size` grid.
    pub fn new(size: i32) -> RedBlueDoors {
        RedBlueDoors { size, red_door: (0, 0), blue_door: (0, 0) }
    }
}

impl Task for RedBlueDoors {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let s = self.size;
        w.grid.wall_rect((0, 0), 2 * s, s);
        w.grid.wall_rect((s / 2, 0), s, s);
        w.place_agent((s / 2, 0), (s, s), Tries::Unbounded)?;
        self.red_door = (s / 2, w.rand_int(1, s - 1)?);
        w.put_obj(Obj::door(Color::Red, false), self.red_door);
        self.blue_door = (s / 2 + s - 1, w.rand_int(1, s - 1)?);
        w.put_obj(Obj::door(Color::Blue, false), self.blue_door);
        w.set_mission(format_args!("open the red door then the blue door"));
        Ok(())
    }

    fn step(&mut self, w: &mut World, action: Action) -> Transition {
        let red_was_open = w.grid.get(self.red_door).is_open();
        let blue_was_open = w.grid.get(self.blue_door).is_open();
        let mut t = w.step(action);
        if w.grid.get(self.blue_door).is_open() {
            t.reward = if red_was_open { w.success_reward() } else { 0.0 };
            t.terminated = true;
        } else if w.grid.get(self.red_door).is_open() && blue_was_open {
            t.reward = 0.0;
            t.terminated = true;
        }
        t
    }
}

pub(crate) fn family() -> Family {
    Family::new(
        vec![kwarg("size", json!(8), "side of the room; the grid is 2 * size wide")],
        SeeThrough::Settable,
        build,
    )
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let size = args.int("size", 3..=512)?;
    boxed(RedBlueDoors::new(size as i32), args.config(2 * size, size, 20 * size * size)?)
}
