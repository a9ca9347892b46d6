//! ObstructedMaze: find the blue ball behind locked doors whose keys may hide in boxes and whose
//! doors may be blocked by balls (`envs/obstructedmaze.py`, `obstructedmaze_v1.py`).

use crate::env::Transition;
use crate::error::{EnvError, Result};
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{Action, Color, GridEnv, Obj, ObjType, Pos, Rooms, Task, World, COLOR_NAMES, DIR_TO_VEC};
use serde_json::json;

const ROOM_SIZE: i32 = 6;
/// `COLOR_NAMES[0..3]`: the ball to find, the balls that block doors, the boxes keys hide in.
const BALL_COLOR: Color = COLOR_NAMES[0];
const BLOCKING_COLOR: Color = COLOR_NAMES[1];
const BOX_COLOR: Color = COLOR_NAMES[2];

/// The maze's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Maze {
    /// `ObstructedMaze_1Dlhb`: two rooms, one locked door.
    OneDoor,
    /// `ObstructedMaze_Full`: 3 x 3 rooms; the middle one opens to `num_quarters` side rooms,
    /// each locked towards its two corner rooms. `v1` places both keys after both doors
    /// (`ObstructedMaze_Full_V1`), v0 each key right after its door.
    Full { agent_room: Pos, num_quarters: usize, v1: bool },
}

pub struct ObstructedMaze {
    maze: Maze,
    key_in_box: bool,
    blocked: bool,
    rooms: Rooms,
}

impl ObstructedMaze {
    pub fn new(maze: Maze, key_in_box: bool, blocked: bool) -> ObstructedMaze {
        let (rows, cols) = if maze == Maze::OneDoor { (1, 2) } else { (3, 3) };
        ObstructedMaze { maze, key_in_box, blocked, rooms: Rooms::new(ROOM_SIZE, rows, cols) }
    }

    /// The key to a door of `color`, in a box if keys hide in boxes.
    fn key(&self, color: Color) -> Obj {
        if self.key_in_box {
            Obj::boxed(BOX_COLOR, Some((ObjType::Key, color)))
        } else {
            Obj::key(color)
        }
    }

    /// A locked door of room `room` on wall `wall`, with a ball in front of it if doors are
    /// blocked (`add_locked_door`).
    fn add_locked_door(&mut self, w: &mut World, room: Pos, wall: usize, color: Color) -> Result<Obj> {
        let (door, (x, y)) = self.rooms.add_door(w, room, wall, Some(color), Some(true))?;
        if self.blocked {
            let (dx, dy) = DIR_TO_VEC[wall];
            w.put_obj(Obj::ball(BLOCKING_COLOR), (x - dx, y - dy));
        }
        Ok(door)
    }

    /// ObstructedMaze's `add_door(locked=True)`: the locked door, then its key in the room.
    fn add_door_with_key(&mut self, w: &mut World, room: Pos, wall: usize, color: Color) -> Result<()> {
        let door = self.add_locked_door(w, room, wall, color)?;
        let key = self.key(door.color);
        self.rooms.place_in_room(w, room, key)?;
        Ok(())
    }

    fn generate_full(&mut self, w: &mut World, colors: &[Color], num_quarters: usize, v1: bool) -> Result<()> {
        let side_rooms = [(2, 1), (1, 2), (0, 1), (1, 0)];
        for (i, &side) in side_rooms.iter().take(num_quarters).enumerate() {
            self.rooms.add_door(w, (1, 1), i, Some(colors[i]), Some(false))?;
            // The two walls next to the middle room's, `(i + k) mod 4` for k = -1, 1, and their
            // colours `door_colors[(i + k) mod 6]` (Python's modulo: never negative).
            let doors = [-1, 1].map(|k: i64| {
                let n = i as i64 + k;
                (n.rem_euclid(4) as usize, colors[n.rem_euclid(colors.len() as i64) as usize])
            });
            for (wall, color) in doors {
                if v1 {
                    self.add_locked_door(w, side, wall, color)?;
                } else {
                    self.add_door_with_key(w, side, wall, color)?;
                }
            }
            if v1 {
                for (_, color) in doors {
                    let key = self.key(color);
                    self.rooms.place_in_room(w, side, key)?;
                }
            }
        }
        let corners = [(2, 0), (2, 2), (0, 2), (0, 0)];
        let ball_room = w.rand_elem(&corners[..num_quarters])?;
        self.rooms.add_object(w, ball_room, Some(ObjType::Ball), Some(BALL_COLOR))?;
        Ok(())
    }
}

impl Task for ObstructedMaze {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        self.rooms.generate(w)?;
        let colors = w.rand_subset(&COLOR_NAMES, COLOR_NAMES.len())?;
        w.set_mission(format_args!("pick up the {} ball", BALL_COLOR.name()));
        match self.maze {
            Maze::OneDoor => {
                self.add_door_with_key(w, (0, 0), 0, colors[0])?;
                self.rooms.add_object(w, (1, 0), Some(ObjType::Ball), Some(BALL_COLOR))?;
                self.rooms.place_agent(w, Some(0), Some(0))?;
            }
            Maze::Full { agent_room, num_quarters, v1 } => {
                self.generate_full(w, &colors, num_quarters, v1)?;
                self.rooms.place_agent(w, Some(agent_room.0), Some(agent_room.1))?;
            }
        }
        Ok(())
    }

    fn step(&mut self, w: &mut World, action: Action) -> Transition {
        let mut t = w.step(action);
        // MiniGrid compares identity; the blue ball is the only one.
        if action == Action::Pickup && w.carrying == Some(Obj::ball(BALL_COLOR)) {
            t.reward = w.success_reward();
            t.terminated = true;
        }
        t
    }
}

fn max_steps(rooms_visited: i64) -> i64 {
    4 * rooms_visited * (ROOM_SIZE * ROOM_SIZE) as i64
}

fn shared_kwargs() -> Vec<crate::gridworld::registry::Kwarg> {
    vec![
        kwarg("key_in_box", json!(true), "keys hide in boxes (toggle a box to get its key)"),
        kwarg("blocked", json!(true), "a ball blocks each locked door"),
    ]
}

pub(crate) fn one_door_family() -> Family {
    Family::new(shared_kwargs(), SeeThrough::Fixed(false), |args| {
        let task = ObstructedMaze::new(Maze::OneDoor, args.flag("key_in_box")?, args.flag("blocked")?);
        let (width, height) = task.rooms.grid_size();
        boxed(task, args.config(width as i64, height as i64, max_steps(2))?)
    })
}

fn full_kwargs() -> Vec<crate::gridworld::registry::Kwarg> {
    let mut kwargs = shared_kwargs();
    kwargs.push(kwarg("agent_room", json!([1, 1]), "the agent's room [column, row]"));
    kwargs.push(kwarg("num_quarters", json!(4), "side rooms opened from the middle (1 to 4)"));
    kwargs.push(kwarg("num_rooms_visited", json!(25), "sets max_steps = 4 * this * 36"));
    kwargs
}

fn build_full(args: &Args, v1: bool) -> Result<Box<dyn GridEnv>> {
    let agent_room = args.pos_within("agent_room", 3, 3)?.ok_or_else(|| EnvError::BadKwarg {
        key: "agent_room".into(),
        message: "expected a room [column, row]".into(),
    })?;
    let num_quarters = args.int("num_quarters", 1..=4)? as usize;
    let maze = Maze::Full { agent_room, num_quarters, v1 };
    let task = ObstructedMaze::new(maze, args.flag("key_in_box")?, args.flag("blocked")?);
    let (width, height) = task.rooms.grid_size();
    let steps = max_steps(args.int("num_rooms_visited", 1..=1 << 16)?);
    boxed(task, args.config(width as i64, height as i64, steps)?)
}

pub(crate) fn full_family() -> Family {
    Family::new(full_kwargs(), SeeThrough::Fixed(false), |args| build_full(args, false))
}

pub(crate) fn full_v1_family() -> Family {
    Family::new(full_kwargs(), SeeThrough::Fixed(false), |args| build_full(args, true))
}
