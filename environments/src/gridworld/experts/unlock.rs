//! Unlock: open the locked door, fetching its key first.

use super::{find, free_hands, Goals, Rules, Stage, Strategy};
use crate::gridworld::{Obj, ObjType, World};

pub struct OpenDoor;

impl Strategy for OpenDoor {
    fn goals(&self, world: &World) -> Goals {
        let Some(&door) = find(world, |o| o.kind == ObjType::Door && !o.is_open()).first() else {
            return Goals::none();
        };
        let door = world.grid.get(door);
        let key = Obj::key(door.color);
        let mut chain = Vec::new();
        if door.is_locked() && world.carrying != Some(key) {
            chain = free_hands(world);
            chain.push(Stage::pick_up(key));
        }
        chain.push(Stage::toggle(door));
        // The toggle that opens the door is the stage's own: no opening on the way.
        Goals { chains: vec![chain], rules: Rules::default() }
    }
}
