//! RedBlueDoors: open the red door, then the blue one (opening the blue one first fails).

use super::{find, Goals, Rules, Stage, Strategy};
use crate::gridworld::{Color, Obj, World};

pub struct RedThenBlue;

impl Strategy for RedThenBlue {
    fn goals(&self, world: &World) -> Goals {
        let (red, blue) = (Obj::door(Color::Red, false), Obj::door(Color::Blue, false));
        let mut chain = Vec::new();
        if !find(world, |o| *o == red).is_empty() {
            chain.push(Stage::toggle(red));
        }
        chain.push(Stage::toggle(blue));
        // Only the stages open doors.
        Goals { chains: vec![chain], rules: Rules::default() }
    }
}
