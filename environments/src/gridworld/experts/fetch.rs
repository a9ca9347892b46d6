//! Fetch: pick up an object of the named type and colour (any of them; picking up anything else
//! fails the episode, and the planner never does).

use super::{named_objects, Goals, Rules, Stage, Strategy};
use crate::gridworld::{Obj, World};

pub struct FetchObject;

impl Strategy for FetchObject {
    fn goals(&self, world: &World) -> Goals {
        match named_objects(&world.mission).last() {
            Some(&(color, kind)) if world.carrying.is_none() => {
                Goals { chains: vec![vec![Stage::pick_up(Obj::new(kind, color))]], rules: Rules::default() }
            }
            _ => Goals::none(),
        }
    }
}
