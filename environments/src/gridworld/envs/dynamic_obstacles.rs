//! Dynamic-Obstacles: reach the goal while balls wander; bumping into anything but the goal
//! costs -1 and ends the episode (`envs/dynamicobstacles.py`).

use crate::env::Transition;
use crate::error::Result;
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{Action, Color, GridEnv, Obj, ObjType, Pos, Task, Tries, World};
use serde_json::json;

/// `place_obj`'s `max_tries` for obstacles, at reset and when they move.
const OBSTACLE_TRIES: Tries = Tries::Bounded(100);

pub struct DynamicObstacles {
    agent_start: Option<(Pos, usize)>,
    num_obstacles: usize,
    obstacles: Vec<Pos>,
}

impl Task for DynamicObstacles {
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
        self.obstacles.clear();
        for _ in 0..self.num_obstacles {
            let pos = w.place_obj(Obj::ball(Color::Blue), (0, 0), (width, height), |_, _| false, OBSTACLE_TRIES)?;
            self.obstacles.push(pos);
        }
        w.set_mission(format_args!("get to the green goal square"));
        Ok(())
    }

    /// Each obstacle first moves to a random free cell of the 3 x 3 block around it (staying
    /// put if 101 tries find none); then the agent acts on what it faced before they moved.
    fn step(&mut self, w: &mut World, action: Action) -> Transition {
        let front = w.grid.get(w.front_pos());
        let blocked = !front.is_empty() && front.kind != ObjType::Goal;
        for pos in self.obstacles.iter_mut() {
            let old = *pos;
            let area = ((old.0 - 1, old.1 - 1), (3, 3));
            if let Ok(new) = w.place_obj(Obj::ball(Color::Blue), area.0, area.1, |_, _| false, OBSTACLE_TRIES) {
                w.grid.clear(old);
                *pos = new;
            }
        }
        let mut t = w.step(action);
        if action == Action::Forward && blocked {
            t.reward = -1.0;
            t.terminated = true;
        }
        t
    }

    fn num_actions(&self) -> usize {
        3
    }
}

pub(crate) fn family() -> Family {
    Family::new(
        vec![
            kwarg("size", json!(8), "side of the square grid"),
            kwarg("agent_start_pos", json!([1, 1]), "the agent's start [x, y]; null: a random free cell"),
            kwarg("agent_start_dir", json!(0), "the agent's start direction (0 right, 1 down, 2 left, 3 up)"),
            kwarg("n_obstacles", json!(4), "moving balls (at most size / 2 + 1, else size / 2)"),
        ],
        SeeThrough::Fixed(true),
        build,
    )
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let size = args.int("size", 3..=1024)?;
    let dir = args.int("agent_start_dir", 0..=3)? as usize;
    let requested = args.int("n_obstacles", 0..=1 << 16)?;
    // MiniGrid: `n if n <= size / 2 + 1 else int(size / 2)`, in float arithmetic.
    let num_obstacles = if 2 * requested <= size + 2 { requested } else { size / 2 } as usize;
    let task = DynamicObstacles {
        agent_start: args.pos_within("agent_start_pos", size, size)?.map(|pos| (pos, dir)),
        num_obstacles,
        obstacles: Vec::with_capacity(num_obstacles),
    };
    boxed(task, args.config(size, size, 4 * size * size)?)
}
