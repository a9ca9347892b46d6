//! LavaCrossing and SimpleCrossing: rivers of lava or walls cross the room, each with one
//! opening (`envs/crossing.py`).

use crate::error::{EnvError, Result};
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{GridEnv, Obj, ObjType, Task, World};
use serde_json::json;

/// A river runs along a column (vertical) or a row (horizontal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Course {
    Vertical,
    Horizontal,
}

pub struct Crossing {
    num_crossings: usize,
    obstacle: Obj,
}

impl Crossing {
    /// `obstacle` is lava (LavaCrossing) or a wall (SimpleCrossing).
    pub fn new(num_crossings: usize, obstacle: Obj) -> Crossing {
        Crossing { num_crossings, obstacle }
    }

    fn mission(&self) -> &'static str {
        match self.obstacle.kind {
            ObjType::Lava => "avoid the lava and get to the green goal square",
            _ => "find the opening and get to the green goal square",
        }
    }
}

impl Task for Crossing {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let (width, height) = (w.grid.width(), w.grid.height());
        w.grid.wall_rect((0, 0), width, height);
        (w.agent_pos, w.agent_dir) = ((1, 1), 0);
        w.put_obj(Obj::goal(), (width - 2, height - 2));

        // Candidate rivers on every other line; a shuffle picks which ones flow.
        let mut rivers: Vec<(Course, i32)> = (2..height - 2).step_by(2).map(|i| (Course::Vertical, i)).collect();
        rivers.extend((2..width - 2).step_by(2).map(|j| (Course::Horizontal, j)));
        w.rng().shuffle(&mut rivers);
        rivers.truncate(self.num_crossings);
        let positions = |course: Course| {
            let mut at: Vec<i32> = rivers.iter().filter(|r| r.0 == course).map(|r| r.1).collect();
            at.sort_unstable();
            at
        };
        let (columns, rows) = (positions(Course::Vertical), positions(Course::Horizontal));
        for &y in &rows {
            w.grid.horz_wall((1, y), width - 2, self.obstacle);
        }
        for &x in &columns {
            w.grid.vert_wall((x, 1), height - 2, self.obstacle);
        }

        // A path of moves between the rooms the rivers cut: each horizontal move crosses a
        // column river, each vertical move a row river, through an opening at a random spot.
        let mut path = vec![Course::Horizontal; columns.len()];
        path.extend(vec![Course::Vertical; rows.len()]);
        w.rng().shuffle(&mut path);
        let limits = |rivers: &[i32], end: i32| [&[0][..], rivers, &[end]].concat();
        let (limits_x, limits_y) = (limits(&columns, height - 1), limits(&rows, width - 1));
        let (mut room_x, mut room_y) = (0, 0);
        for course in path {
            // numpy's `choice(range(a, b))` is `a + integers(0, b - a)`.
            let opening = match course {
                Course::Horizontal => {
                    room_x += 1;
                    (limits_x[room_x], w.rand_int(limits_y[room_y] + 1, limits_y[room_y + 1])?)
                }
                Course::Vertical => {
                    room_y += 1;
                    (w.rand_int(limits_x[room_x] + 1, limits_x[room_x + 1])?, limits_y[room_y])
                }
            };
            w.grid.clear(opening);
        }
        w.set_mission(format_args!("{}", self.mission()));
        Ok(())
    }
}

pub(crate) fn family() -> Family {
    Family::new(
        vec![
            kwarg("size", json!(9), "side of the square grid (odd, >= 5)"),
            kwarg("num_crossings", json!(1), "how many rivers"),
            kwarg("obstacle_type", json!("lava"), "what rivers are made of: \"lava\" or \"wall\""),
        ],
        SeeThrough::Fixed(false),
        build,
    )
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let bad = |key: &str, message: String| EnvError::BadKwarg { key: key.into(), message };
    let size = args.int("size", 5..=1023)?;
    if size % 2 == 0 {
        return Err(bad("size", format!("must be odd, got {size}")));
    }
    let obstacle = match args.text("obstacle_type")?.to_lowercase().as_str() {
        "lava" => Obj::lava(),
        "wall" => Obj::wall(),
        other => return Err(bad("obstacle_type", format!("expected \"lava\" or \"wall\", got {other:?}"))),
    };
    let task = Crossing::new(args.int("num_crossings", 0..=1024)? as usize, obstacle);
    boxed(task, args.config(size, size, 4 * size * size)?)
}
