//! LavaGap: a wall of lava with one gap between the agent and the goal (`envs/lavagap.py`).

use crate::error::Result;
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{GridEnv, Obj, Task, World};
use serde_json::Value as Json;

pub struct LavaGap;

impl Task for LavaGap {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let (width, height) = (w.grid.width(), w.grid.height());
        w.grid.wall_rect((0, 0), width, height);
        (w.agent_pos, w.agent_dir) = ((1, 1), 0);
        w.put_obj(Obj::goal(), (width - 2, height - 2));
        let gap = (w.rand_int(2, width - 2)?, w.rand_int(1, height - 1)?);
        w.grid.vert_wall((gap.0, 1), height - 2, Obj::lava());
        w.grid.clear(gap);
        w.set_mission(format_args!("avoid the lava and get to the green goal square"));
        Ok(())
    }
}

pub(crate) fn family() -> Family {
    Family::new(
        vec![kwarg("size", Json::Null, "side of the square grid (>= 5; required)")],
        SeeThrough::Fixed(false),
        build,
    )
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let size = args.int("size", 5..=1024)?;
    boxed(LavaGap, args.config(size, size, 4 * size * size)?)
}
