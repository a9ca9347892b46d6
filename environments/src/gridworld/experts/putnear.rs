//! PutNear: pick up the first named object and drop it in the 3 x 3 block around the second.

use super::{find, named_objects, Goals, Rules, Stage, Strategy};
use crate::gridworld::{Obj, World};

pub struct PutNear;

impl Strategy for PutNear {
    fn goals(&self, world: &World) -> Goals {
        let [(mover_color, mover_kind), (color, kind)] = named_objects(&world.mission)[..] else {
            return Goals::none();
        };
        let mover = Obj::new(mover_kind, mover_color);
        let Some(&(tx, ty)) = find(world, |o| o.kind == kind && o.color == color).first() else {
            return Goals::none();
        };
        let near: Vec<_> = (-1..=1).flat_map(|dx| (-1..=1).map(move |dy| (tx + dx, ty + dy))).collect();
        let mut chain = Vec::new();
        if world.carrying != Some(mover) {
            chain.push(Stage::pick_up(mover));
        }
        chain.push(Stage::drop_on(near));
        Goals { chains: vec![chain], rules: Rules::default() }
    }
}
