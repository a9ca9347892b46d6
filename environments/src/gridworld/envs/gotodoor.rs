//! GoToDoor: four doors of different colours in the walls of a random-sized room; stand next to
//! the named one and say done (`envs/gotodoor.py`).

use crate::env::Transition;
use crate::error::Result;
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{Action, Color, GridEnv, Obj, Pos, Task, Tries, World, COLOR_NAMES};
use serde_json::json;

pub struct GoToDoor {
    target: Pos,
}

/// Whether `a` and `b` are side by side (MiniGrid's adjacency test for GoTo tasks).
pub(crate) fn adjacent(a: Pos, b: Pos) -> bool {
    (a.0 == b.0 && (a.1 - b.1).abs() == 1) || (a.1 == b.1 && (a.0 - b.0).abs() == 1)
}

/// The GoTo rule: toggle ends the episode; done ends it, paying if the agent is next to `target`.
pub(crate) fn go_to_step(w: &mut World, action: Action, target: Pos) -> Transition {
    let mut t = w.step(action);
    if action == Action::Toggle {
        t.terminated = true;
    }
    if action == Action::Done {
        if adjacent(w.agent_pos, target) {
            t.reward = w.success_reward();
        }
        t.terminated = true;
    }
    t
}

impl Task for GoToDoor {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let width = w.rand_int(5, w.grid.width() + 1)?;
        let height = w.rand_int(5, w.grid.height() + 1)?;
        w.grid.wall_rect((0, 0), width, height);
        let doors = [
            (w.rand_int(2, width - 2)?, 0),
            (w.rand_int(2, width - 2)?, height - 1),
            (0, w.rand_int(2, height - 2)?),
            (width - 1, w.rand_int(2, height - 2)?),
        ];
        let mut colors: Vec<Color> = Vec::with_capacity(doors.len());
        while colors.len() < doors.len() {
            let color = w.rand_elem(&COLOR_NAMES)?;
            if !colors.contains(&color) {
                colors.push(color);
            }
        }
        for (&pos, &color) in doors.iter().zip(&colors) {
            w.put_obj(Obj::door(color, false), pos);
        }
        w.place_agent((0, 0), (width, height), Tries::Unbounded)?;
        let target = w.rand_int(0, doors.len() as i32)? as usize;
        self.target = doors[target];
        w.set_mission(format_args!("go to the {} door", colors[target].name()));
        Ok(())
    }

    fn step(&mut self, w: &mut World, action: Action) -> Transition {
        go_to_step(w, action, self.target)
    }
}

pub(crate) fn family() -> Family {
    Family::new(vec![kwarg("size", json!(5), "largest side of the room (>= 5)")], SeeThrough::Fixed(true), build)
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let size = args.int("size", 5..=1024)?;
    boxed(GoToDoor { target: (0, 0) }, args.config(size, size, 4 * size * size)?)
}
