//! FourRooms: four rooms joined by gaps at random places; agent and goal anywhere
//! (`envs/fourrooms.py`).

use crate::error::Result;
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{GridEnv, Obj, Pos, Task, World};
use serde_json::Value as Json;

/// MiniGrid's FourRooms is always 19 x 19.
const SIZE: i64 = 19;

pub struct FourRooms {
    /// A fixed agent position (its direction is still drawn), or random.
    pub agent_pos: Option<Pos>,
    /// A fixed goal position, or random.
    pub goal_pos: Option<Pos>,
}

impl Task for FourRooms {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let (width, height) = (w.grid.width(), w.grid.height());
        w.grid.wall_rect((0, 0), width, height);
        let (room_w, room_h) = (width / 2, height / 2);
        for j in 0..2 {
            for i in 0..2 {
                let (left, top) = (i * room_w, j * room_h);
                let (right, bottom) = (left + room_w, top + room_h);
                if i + 1 < 2 {
                    w.grid.vert_wall((right, top), room_h, Obj::wall());
                    let gap = (right, w.rand_int(top + 1, bottom)?);
                    w.grid.clear(gap);
                }
                if j + 1 < 2 {
                    w.grid.horz_wall((left, bottom), room_w, Obj::wall());
                    let gap = (w.rand_int(left + 1, right)?, bottom);
                    w.grid.clear(gap);
                }
            }
        }
        match self.agent_pos {
            Some(pos) => {
                w.agent_pos = pos;
                w.grid.clear(pos);
                w.agent_dir = w.rand_int(0, 4)? as usize;
            }
            None => {
                w.place_agent_anywhere()?;
            }
        }
        match self.goal_pos {
            Some(pos) => w.put_obj(Obj::goal(), pos),
            None => {
                w.place_anywhere(Obj::goal())?;
            }
        }
        w.set_mission(format_args!("reach the goal"));
        Ok(())
    }
}

pub(crate) fn family() -> Family {
    Family::new(
        vec![
            kwarg("agent_pos", Json::Null, "a fixed agent start [x, y]; null: random"),
            kwarg("goal_pos", Json::Null, "a fixed goal [x, y]; null: random"),
        ],
        SeeThrough::Settable,
        build,
    )
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let task = FourRooms {
        agent_pos: args.pos_within("agent_pos", SIZE, SIZE)?,
        goal_pos: args.pos_within("goal_pos", SIZE, SIZE)?,
    };
    boxed(task, args.config(SIZE, SIZE, 100)?)
}
