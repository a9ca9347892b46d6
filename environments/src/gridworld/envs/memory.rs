//! Memory: see an object in the start room, walk down the hallway, and go to the matching one of
//! the two objects at its end (`envs/memory.py`).

use crate::env::Transition;
use crate::error::{EnvError, Result};
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{Action, Color, GridEnv, Obj, ObjType, Pos, Task, World};
use serde_json::json;

pub struct Memory {
    random_length: bool,
    success_pos: Pos,
    failure_pos: Pos,
}

impl Memory {
    pub fn new(random_length: bool) -> Memory {
        Memory { random_length, success_pos: (-1, -1), failure_pos: (-1, -1) }
    }
}

impl Task for Memory {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let (width, height) = (w.grid.width(), w.grid.height());
        w.grid.wall_rect((0, 0), width, height);
        let mid = height / 2;
        let (upper_wall, lower_wall) = (mid - 2, mid + 2);
        let hallway_end = if self.random_length { w.rand_int(4, width - 2)? } else { width - 3 };
        for i in 1..5 {
            w.put_obj(Obj::wall(), (i, upper_wall));
            w.put_obj(Obj::wall(), (i, lower_wall));
        }
        w.put_obj(Obj::wall(), (4, upper_wall + 1));
        w.put_obj(Obj::wall(), (4, lower_wall - 1));
        for i in 5..hallway_end {
            w.put_obj(Obj::wall(), (i, upper_wall + 1));
            w.put_obj(Obj::wall(), (i, lower_wall - 1));
        }
        for j in 0..height {
            if j != mid {
                w.put_obj(Obj::wall(), (hallway_end, j));
            }
            w.put_obj(Obj::wall(), (hallway_end + 2, j));
        }
        w.agent_pos = (w.rand_int(1, hallway_end + 1)?, mid);
        w.agent_dir = 0;
        let shown = w.rand_elem(&[ObjType::Key, ObjType::Ball])?;
        w.put_obj(Obj::new(shown, Color::Green), (1, mid - 1));
        let ends = w.rand_elem(&[[ObjType::Ball, ObjType::Key], [ObjType::Key, ObjType::Ball]])?;
        let (top, bottom) = ((hallway_end + 1, mid - 2), (hallway_end + 1, mid + 2));
        w.put_obj(Obj::new(ends[0], Color::Green), top);
        w.put_obj(Obj::new(ends[1], Color::Green), bottom);
        let (below_top, above_bottom) = ((top.0, top.1 + 1), (bottom.0, bottom.1 - 1));
        (self.success_pos, self.failure_pos) =
            if shown == ends[0] { (below_top, above_bottom) } else { (above_bottom, below_top) };
        w.set_mission(format_args!("go to the matching object at the end of the hallway"));
        Ok(())
    }

    fn step(&mut self, w: &mut World, action: Action) -> Transition {
        // Pickup acts as toggle here.
        let action = if action == Action::Pickup { Action::Toggle } else { action };
        let mut t = w.step(action);
        if w.agent_pos == self.success_pos {
            t.reward = w.success_reward();
            t.terminated = true;
        }
        if w.agent_pos == self.failure_pos {
            t.reward = 0.0;
            t.terminated = true;
        }
        t
    }
}

pub(crate) fn family() -> Family {
    Family::new(
        vec![
            kwarg("size", json!(8), "side of the square grid (odd, >= 7)"),
            kwarg("random_length", json!(false), "draw the hallway's length"),
        ],
        SeeThrough::Fixed(false),
        build,
    )
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let size = args.int("size", 7..=1024)?;
    if size % 2 == 0 {
        return Err(EnvError::BadKwarg { key: "size".into(), message: format!("must be odd, got {size}") });
    }
    let task = Memory::new(args.flag("random_length")?);
    boxed(task, args.config(size, size, 5 * size * size)?)
}
