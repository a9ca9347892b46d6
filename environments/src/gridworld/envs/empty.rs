//! Empty: a walled room with the goal in the far corner (`envs/empty.py`).

use crate::error::Result;
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{GridEnv, Obj, Pos, Task, World};
use serde_json::json;

/// The agent starts at `agent_start` (a position and direction), or at a random free cell facing
/// a random direction when `None` (the `-Random-` ids).
pub struct Empty {
    pub agent_start: Option<(Pos, usize)>,
}

impl Task for Empty {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let (width, height) = (w.grid.width(), w.grid.height());
        w.grid.wall_rect((0, 0), width, height);
        w.put_obj(Obj::goal(), (width - 2, height - 2));
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
            kwarg("size", json!(8), "side of the square grid, walls included"),
            kwarg("agent_start_pos", json!([1, 1]), "the agent's start [x, y]; null: a random free cell"),
            kwarg("agent_start_dir", json!(0), "the agent's start direction (0 right, 1 down, 2 left, 3 up)"),
        ],
        SeeThrough::Fixed(true),
        build,
    )
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let size = args.int("size", 3..=1024)?;
    let dir = args.int("agent_start_dir", 0..=3)? as usize;
    let start = args.pos_within("agent_start_pos", size, size)?.map(|pos| (pos, dir));
    boxed(Empty { agent_start: start }, args.config(size, size, 4 * size * size)?)
}
