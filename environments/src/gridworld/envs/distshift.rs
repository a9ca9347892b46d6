//! DistShift: two strips of lava between the agent and the goal; the second strip's row differs
//! between DistShift1 and DistShift2 (`envs/distshift.py`).

use crate::error::Result;
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{GridEnv, Obj, Pos, Task, World};
use serde_json::json;

pub struct DistShift {
    pub agent_start: Option<(Pos, usize)>,
    pub strip2_row: i32,
}

impl Task for DistShift {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let (width, height) = (w.grid.width(), w.grid.height());
        w.grid.wall_rect((0, 0), width, height);
        w.put_obj(Obj::goal(), (width - 2, 1));
        for i in 0..(width - 6).max(0) {
            w.put_obj(Obj::lava(), (3 + i, 1));
            w.put_obj(Obj::lava(), (3 + i, self.strip2_row));
        }
        match self.agent_start {
            Some((pos, dir)) => (w.agent_pos, w.agent_dir) = (pos, dir),
            None => {
                w.place_agent_anywhere()?;
            }
        }
        w.set_mission(format_args!("get to the green goal square"));
        Ok(())
    }
}

pub(crate) fn family() -> Family {
    Family::new(
        vec![
            kwarg("width", json!(9), "grid width"),
            kwarg("height", json!(7), "grid height"),
            kwarg("agent_start_pos", json!([1, 1]), "the agent's start [x, y]; null: a random free cell"),
            kwarg("agent_start_dir", json!(0), "the agent's start direction (0 right, 1 down, 2 left, 3 up)"),
            kwarg("strip2_row", json!(2), "the row of the second lava strip"),
        ],
        SeeThrough::Fixed(true),
        build,
    )
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let (width, height) = (args.int("width", 3..=1024)?, args.int("height", 3..=1024)?);
    let dir = args.int("agent_start_dir", 0..=3)? as usize;
    let task = DistShift {
        agent_start: args.pos_within("agent_start_pos", width, height)?.map(|pos| (pos, dir)),
        strip2_row: args.int("strip2_row", 0..=height - 1)? as i32,
    };
    boxed(task, args.config(width, height, 4 * width * height)?)
}
