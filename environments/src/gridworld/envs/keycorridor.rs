//! KeyCorridor: a corridor of rooms; the key to the locked room holding the ball is in another
//! room (`envs/keycorridor.py`).

use crate::env::Transition;
use crate::error::{EnvError, Result};
use crate::gridworld::registry::{boxed, kwarg, Args, Family, SeeThrough};
use crate::gridworld::{Action, GridEnv, Obj, ObjType, Rooms, Task, World};
use serde_json::json;

pub struct KeyCorridor {
    obj_type: ObjType,
    rooms: Rooms,
    target: Obj,
}

impl KeyCorridor {
    /// `num_rows` rows of three rooms of side `room_size`; the object to fetch is a ball or a box.
    pub fn new(room_size: i32, num_rows: i32, obj_type: ObjType) -> KeyCorridor {
        KeyCorridor { obj_type, rooms: Rooms::new(room_size, num_rows, 3), target: Obj::EMPTY }
    }
}

impl Task for KeyCorridor {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let rows = self.rooms.num_rows;
        self.rooms.generate(w)?;
        for j in 1..rows {
            self.rooms.remove_wall(w, (1, j), 3)?;
        }
        let locked_row = w.rand_int(0, rows)?;
        let (door, _) = self.rooms.add_door(w, (2, locked_row), 2, None, Some(true))?;
        self.target = self.rooms.add_object(w, (2, locked_row), Some(self.obj_type), None)?.0;
        let key_row = w.rand_int(0, rows)?;
        self.rooms.add_object(w, (0, key_row), Some(ObjType::Key), Some(door.color))?;
        self.rooms.place_agent(w, Some(1), Some(rows / 2))?;
        self.rooms.connect_all(w)?;
        w.set_mission(format_args!("pick up the {} {}", self.target.color.name(), self.target.kind.name()));
        Ok(())
    }

    fn step(&mut self, w: &mut World, action: Action) -> Transition {
        let mut t = w.step(action);
        // MiniGrid compares identity; the target is the only object of its type.
        if action == Action::Pickup && w.carrying == Some(self.target) {
            t.reward = w.success_reward();
            t.terminated = true;
        }
        t
    }
}

pub(crate) fn family() -> Family {
    Family::new(
        vec![
            kwarg("num_rows", json!(3), "rows of rooms"),
            kwarg("obj_type", json!("ball"), "the object to pick up: \"ball\" or \"box\""),
            kwarg("room_size", json!(6), "side of each room, walls included"),
        ],
        SeeThrough::Fixed(false),
        build,
    )
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    let room_size = args.int("room_size", 3..=64)?;
    let num_rows = args.int("num_rows", 1..=64)?;
    let obj_type = match args.text("obj_type")? {
        "ball" => ObjType::Ball,
        "box" => ObjType::Box,
        // A key would be ambiguous with the door's key: MiniGrid tells them apart by identity.
        other => {
            return Err(EnvError::BadKwarg {
                key: "obj_type".into(),
                message: format!("expected \"ball\" or \"box\", got {other:?}"),
            })
        }
    };
    let task = KeyCorridor::new(room_size as i32, num_rows as i32, obj_type);
    let (width, height) = task.rooms.grid_size();
    let config = args.config(width as i64, height as i64, 30 * room_size * room_size)?;
    boxed(task, config)
}
