//! Fetch: pick up an object of the named type and colour; picking up anything else fails
//! (`envs/fetch.py`).

use crate::env::Transition;
use crate::error::Result;
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{Action, GridEnv, Obj, ObjType, Task, World, COLOR_NAMES};
use serde_json::json;

/// The mission's five phrasings, drawn after the target.
const SYNTAX: [&str; 5] = ["get a", "go get a", "fetch a", "go fetch a", "you must fetch a"];

pub struct Fetch {
    num_objs: usize,
    target: Obj,
}

impl Task for Fetch {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let (width, height) = (w.grid.width(), w.grid.height());
        w.grid.wall_rect((0, 0), width, height);
        let mut objs = Vec::with_capacity(self.num_objs);
        while objs.len() < self.num_objs {
            let kind = w.rand_elem(&[ObjType::Key, ObjType::Ball])?;
            let color = w.rand_elem(&COLOR_NAMES)?;
            let obj = Obj::new(kind, color);
            w.place_anywhere(obj)?;
            objs.push(obj);
        }
        w.place_agent_anywhere()?;
        self.target = objs[w.rand_int(0, objs.len() as i32)? as usize];
        let syntax = SYNTAX[w.rand_int(0, SYNTAX.len() as i32)? as usize];
        w.set_mission(format_args!("{syntax} {} {}", self.target.color.name(), self.target.kind.name()));
        Ok(())
    }

    fn step(&mut self, w: &mut World, action: Action) -> Transition {
        let mut t = w.step(action);
        if let Some(carried) = w.carrying {
            t.reward = if carried.kind == self.target.kind && carried.color == self.target.color {
                w.success_reward()
            } else {
                0.0
            };
            t.terminated = true;
        }
        t
    }
}

pub(crate) fn family() -> Family {
    Family::new(
        vec![kwarg("size", json!(8), "side of the square grid"), kwarg("numObjs", json!(3), "how many objects")],
        SeeThrough::Fixed(true),
        build,
    )
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let size = args.int("size", 3..=1024)?;
    let task = Fetch { num_objs: args.int("numObjs", 1..=1 << 16)? as usize, target: Obj::EMPTY };
    boxed(task, args.config(size, size, 5 * size * size)?)
}
