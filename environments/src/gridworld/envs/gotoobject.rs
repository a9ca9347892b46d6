//! GoToObject: distinct objects in a room; stand next to the named one and say done
//! (`envs/gotoobject.py`).

use super::gotodoor::go_to_step;
use crate::env::Transition;
use crate::error::Result;
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{Action, Color, GridEnv, Obj, ObjType, Pos, Task, World, COLOR_NAMES, PICKABLE_TYPES};
use serde_json::json;

/// Distinct (type, colour) pairs: 3 types x 6 colours.
pub(crate) const MAX_DISTINCT_OBJECTS: i64 = 18;

pub struct GoToObject {
    num_objs: usize,
    target: Pos,
}

/// Places `n` distinct random objects (drawing type, then colour, and re-drawing a pair already
/// placed), each with `place`, and returns them with their positions.
pub(crate) fn place_distinct(
    w: &mut World,
    n: usize,
    mut place: impl FnMut(&mut World, Obj, &[Pos]) -> Result<Pos>,
) -> Result<Vec<(Obj, Pos)>> {
    let mut placed: Vec<(Obj, Pos)> = Vec::with_capacity(n);
    let mut positions: Vec<Pos> = Vec::with_capacity(n);
    while placed.len() < n {
        let kind: ObjType = w.rand_elem(&PICKABLE_TYPES)?;
        let color: Color = w.rand_elem(&COLOR_NAMES)?;
        let obj = Obj::new(kind, color);
        if placed.iter().any(|(o, _)| *o == obj) {
            continue;
        }
        let pos = place(w, obj, &positions)?;
        positions.push(pos);
        placed.push((obj, pos));
    }
    Ok(placed)
}

impl Task for GoToObject {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let (width, height) = (w.grid.width(), w.grid.height());
        w.grid.wall_rect((0, 0), width, height);
        let objs = place_distinct(w, self.num_objs, |w, obj, _| w.place_anywhere(obj))?;
        w.place_agent_anywhere()?;
        let (target, pos) = objs[w.rand_int(0, objs.len() as i32)? as usize];
        self.target = pos;
        w.set_mission(format_args!("go to the {} {}", target.color.name(), target.kind.name()));
        Ok(())
    }

    fn step(&mut self, w: &mut World, action: Action) -> Transition {
        go_to_step(w, action, self.target)
    }
}

pub(crate) fn family() -> Family {
    Family::new(
        vec![
            kwarg("size", json!(6), "side of the square grid"),
            kwarg("numObjs", json!(2), "how many distinct objects (1 to 18)"),
        ],
        SeeThrough::Fixed(true),
        build,
    )
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let size = args.int("size", 3..=1024)?;
    let task = GoToObject { num_objs: args.int("numObjs", 1..=MAX_DISTINCT_OBJECTS)? as usize, target: (0, 0) };
    boxed(task, args.config(size, size, 5 * size * size)?)
}
