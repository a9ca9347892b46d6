//! GoToDoor and GoToObject: stand next to the named door or object and say done. Doors stay
//! shut: toggling ends these episodes.

use super::{find, named_objects, neighbours, Goals, Rules, Stage, Strategy};
use crate::gridworld::World;

pub struct GoNextTo;

impl Strategy for GoNextTo {
    fn goals(&self, world: &World) -> Goals {
        let Some(&(color, kind)) = named_objects(&world.mission).last() else {
            return Goals::none();
        };
        let beside: Vec<_> =
            find(world, |o| o.kind == kind && o.color == color).into_iter().flat_map(neighbours).collect();
        Goals { chains: vec![vec![Stage::done_on(beside)]], rules: Rules::default() }
    }
}
