//! Unlock, UnlockPickup and BlockedUnlockPickup: two rooms and a locked door, with the key in
//! the agent's room (`envs/unlock.py`, `unlockpickup.py`, `blockedunlockpickup.py`).

use crate::env::Transition;
use crate::error::Result;
use crate::gridworld::registry::{boxed, Args, Family, SeeThrough};
use crate::gridworld::{Action, GridEnv, Obj, ObjType, Pos, Rooms, Task, World};

/// What ends the episode with a reward.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnlockGoal {
    /// Unlock: open the door.
    OpenDoor,
    /// UnlockPickup: pick up the box in the other room.
    PickUpBox,
    /// BlockedUnlockPickup: the same, with a ball blocking the door.
    PickUpBoxBehindBall,
}

const ROOM_SIZE: i32 = 6;

pub struct Unlock {
    goal: UnlockGoal,
    rooms: Rooms,
    door_pos: Pos,
    target: Obj,
}

impl Unlock {
    pub fn new(goal: UnlockGoal) -> Unlock {
        Unlock { goal, rooms: Rooms::new(ROOM_SIZE, 1, 2), door_pos: (0, 0), target: Obj::EMPTY }
    }
}

impl Task for Unlock {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        self.rooms.generate(w)?;
        if self.goal != UnlockGoal::OpenDoor {
            self.target = self.rooms.add_object(w, (1, 0), Some(ObjType::Box), None)?.0;
        }
        let (door, door_pos) = self.rooms.add_door(w, (0, 0), 0, None, Some(true))?;
        self.door_pos = door_pos;
        if self.goal == UnlockGoal::PickUpBoxBehindBall {
            let color = w.rand_color();
            w.put_obj(Obj::ball(color), (door_pos.0 - 1, door_pos.1));
        }
        self.rooms.add_object(w, (0, 0), Some(ObjType::Key), Some(door.color))?;
        self.rooms.place_agent(w, Some(0), Some(0))?;
        match self.goal {
            UnlockGoal::OpenDoor => w.set_mission(format_args!("open the door")),
            _ => w.set_mission(format_args!("pick up the {} box", self.target.color.name())),
        }
        Ok(())
    }

    fn step(&mut self, w: &mut World, action: Action) -> Transition {
        let mut t = w.step(action);
        let success = match self.goal {
            UnlockGoal::OpenDoor => action == Action::Toggle && w.grid.get(self.door_pos).is_open(),
            // MiniGrid compares identity; the box is the only box in the layout.
            _ => action == Action::Pickup && w.carrying == Some(self.target),
        };
        if success {
            t.reward = w.success_reward();
            t.terminated = true;
        }
        t
    }
}

fn build(args: &Args, goal: UnlockGoal) -> Result<Box<dyn GridEnv>> {
    let rooms = Rooms::new(ROOM_SIZE, 1, 2);
    let (width, height) = rooms.grid_size();
    let steps_per_cell = if goal == UnlockGoal::PickUpBoxBehindBall { 16 } else { 8 };
    let max_steps = steps_per_cell * (ROOM_SIZE * ROOM_SIZE) as i64;
    boxed(Unlock::new(goal), args.config(width as i64, height as i64, max_steps)?)
}

pub(crate) fn unlock_family() -> Family {
    Family::new(vec![], SeeThrough::Fixed(false), |args| build(args, UnlockGoal::OpenDoor))
}

pub(crate) fn unlock_pickup_family() -> Family {
    Family::new(vec![], SeeThrough::Fixed(false), |args| build(args, UnlockGoal::PickUpBox))
}

pub(crate) fn blocked_unlock_pickup_family() -> Family {
    Family::new(vec![], SeeThrough::Fixed(false), |args| build(args, UnlockGoal::PickUpBoxBehindBall))
}
