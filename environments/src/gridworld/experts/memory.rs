//! Memory: go to the end of the hallway, next to the object that matches the one shown in the
//! start room. The expert reads the shown object off the grid (where it stays), so it needs no
//! memory; it never steps next to the wrong object, which would end the episode unpaid.

use super::{Goals, Rules, Stage, Strategy};
use crate::gridworld::{ObjType, World};

pub struct MatchObject;

impl Strategy for MatchObject {
    fn goals(&self, world: &World) -> Goals {
        // The layout: the shown object at (1, mid - 1); at the hallway's end, column `end`, one
        // object at (end, mid - 2) and one at (end, mid + 2); the cells between them and the
        // junction, (end, mid -+ 1), are where the episode ends.
        let mid = world.grid.height() / 2;
        let shown = world.grid.get((1, mid - 1)).kind;
        let is_choice = |x| matches!(world.grid.get((x, mid - 2)).kind, ObjType::Key | ObjType::Ball);
        let Some(end) = (5..world.grid.width()).rev().find(|&x| is_choice(x)) else {
            return Goals::none();
        };
        let (above, below) = ((end, mid - 1), (end, mid + 1));
        let (right, wrong) = if world.grid.get((end, mid - 2)).kind == shown { (above, below) } else { (below, above) };
        Goals { chains: vec![vec![Stage::reach(vec![right])]], rules: Rules { avoid: vec![wrong], ..Rules::default() } }
    }
}
