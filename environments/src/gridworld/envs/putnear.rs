//! PutNear: pick up the named object and drop it next to another named one
//! (`envs/putnear.py`).

use super::gotoobject::{place_distinct, MAX_DISTINCT_OBJECTS};
use crate::env::Transition;
use crate::error::Result;
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{Action, GridEnv, Obj, Pos, Task, Tries, World};
use serde_json::json;

pub struct PutNear {
    num_objs: usize,
    /// The object to move.
    mover: Obj,
    /// Where the object to put it near was placed.
    target_pos: Pos,
}

/// Whether `a` is in the 3 x 3 block around `b`.
fn near((ax, ay): Pos, (bx, by): Pos) -> bool {
    (ax - bx).abs() <= 1 && (ay - by).abs() <= 1
}

impl Task for PutNear {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let (width, height) = (w.grid.width(), w.grid.height());
        w.grid.wall_rect((0, 0), width, height);
        let objs = place_distinct(w, self.num_objs, |w, obj, placed| {
            w.place_obj(obj, (0, 0), (width, height), |_, p| placed.iter().any(|&q| near(p, q)), Tries::Unbounded)
        })?;
        w.place_agent_anywhere()?;
        let move_idx = w.rand_int(0, objs.len() as i32)? as usize;
        let target_idx = loop {
            let k = w.rand_int(0, objs.len() as i32)? as usize;
            if k != move_idx {
                break k;
            }
        };
        let ((mover, _), (target, target_pos)) = (objs[move_idx], objs[target_idx]);
        (self.mover, self.target_pos) = (mover, target_pos);
        w.set_mission(format_args!(
            "put the {} {} near the {} {}",
            mover.color.name(),
            mover.kind.name(),
            target.color.name(),
            target.kind.name()
        ));
        Ok(())
    }

    fn step(&mut self, w: &mut World, action: Action) -> Transition {
        let carried_before = w.carrying;
        let mut t = w.step(action);
        let front = w.front_pos();
        if action == Action::Pickup && w.carrying.is_some_and(|c| c != self.mover) {
            t.terminated = true;
        }
        if action == Action::Drop && carried_before.is_some() {
            // MiniGrid checks the front cell holds the very object dropped: the drop happened.
            if w.carrying.is_none() && near(front, self.target_pos) {
                t.reward = w.success_reward();
            }
            t.terminated = true;
        }
        t
    }
}

pub(crate) fn family() -> Family {
    Family::new(
        vec![
            kwarg("size", json!(6), "side of the square grid"),
            kwarg("numObjs", json!(2), "how many distinct objects (2 to 18)"),
        ],
        SeeThrough::Fixed(true),
        build,
    )
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let size = args.int("size", 3..=1024)?;
    let num_objs = args.int("numObjs", 2..=MAX_DISTINCT_OBJECTS)? as usize;
    let task = PutNear { num_objs, mover: Obj::EMPTY, target_pos: (0, 0) };
    boxed(task, args.config(size, size, 5 * size)?)
}
