//! Playground: a 3 x 3 grid of rooms with a door in each inner wall and twelve random objects;
//! no mission, no reward (`envs/playground.py`).

use crate::error::Result;
use crate::gridworld::registry::{boxed, Args, Family, SeeThrough};
use crate::gridworld::{GridEnv, Obj, Task, World, COLOR_NAMES, PICKABLE_TYPES};

const SIZE: i32 = 19;

pub struct Playground;

impl Task for Playground {
    fn generate(&mut self, w: &mut World) -> Result<()> {
        let (width, height) = (SIZE, SIZE);
        w.grid.wall_rect((0, 0), width, height);
        let (room_w, room_h) = (width / 3, height / 3);
        for j in 0..3 {
            for i in 0..3 {
                let (left, top) = (i * room_w, j * room_h);
                let (right, bottom) = (left + room_w, top + room_h);
                if i + 1 < 3 {
                    w.grid.vert_wall((right, top), room_h, Obj::wall());
                    let pos = (right, w.rand_int(top + 1, bottom - 1)?);
                    let color = w.rand_elem(&COLOR_NAMES)?;
                    w.grid.set(pos, Obj::door(color, false));
                }
                if j + 1 < 3 {
                    w.grid.horz_wall((left, bottom), room_w, Obj::wall());
                    let pos = (w.rand_int(left + 1, right - 1)?, bottom);
                    let color = w.rand_elem(&COLOR_NAMES)?;
                    w.grid.set(pos, Obj::door(color, false));
                }
            }
        }
        w.place_agent_anywhere()?;
        for _ in 0..12 {
            let kind = w.rand_elem(&PICKABLE_TYPES)?;
            let color = w.rand_elem(&COLOR_NAMES)?;
            w.place_anywhere(Obj::new(kind, color))?;
        }
        w.mission.clear();
        Ok(())
    }

    fn mission_length(&self) -> (usize, usize) {
        (0, 0)
    }
}

pub(crate) fn family() -> Family {
    Family::new(vec![], SeeThrough::Settable, build)
}

fn build(args: &Args) -> Result<Box<dyn GridEnv>> {
    boxed(Playground, args.config(SIZE as i64, SIZE as i64, 100)?)
}
