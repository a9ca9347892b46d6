//! Reach the goal square: Empty, FourRooms, LavaGap, LavaCrossing, SimpleCrossing, DistShift
//! (lava is never stepped on), MultiRoom (doors are opened on the way), DoorKey and LockedRoom
//! (the key of the locked door is fetched first and the door opened on the way), and
//! Dynamic-Obstacles (the balls are walls of the moment, and the plan is made afresh each step).
//!
//! Dynamic-Obstacles punishes moving forward only when the cell ahead held an obstacle before
//! they moved; a plan never moves into an obstacle, so this expert is never punished, at worst
//! held up when a ball steps in its way.

use super::{find, free_hands, in_region, region, Goals, Rules, Stage, Strategy};
use crate::gridworld::{Obj, ObjType, World};

pub struct ReachGoal {
    pub moving_obstacles: bool,
}

impl Strategy for ReachGoal {
    fn goals(&self, world: &World) -> Goals {
        let goals = find(world, |o| o.kind == ObjType::Goal);
        if goals.is_empty() {
            return Goals::none();
        }
        let reach = Stage::reach(goals.clone());
        let rules = Rules { open_doors: true, ..Rules::default() };
        // The locked doors, and the keys on the grid that open one.
        let locked: Vec<Obj> = find(world, Obj::is_locked).into_iter().map(|p| world.grid.get(p)).collect();
        let opens_one = |o: &Obj| o.kind == ObjType::Key && locked.iter().any(|d| d.color == o.color);
        let near = region(world, world.agent_pos);
        if world.carrying.is_some_and(|c| opens_one(&c)) || goals.iter().any(|&g| in_region(world, &near, g)) {
            // A key in hand opens its door on the way.
            return Goals { chains: vec![vec![reach]], rules };
        }
        // Behind a locked door: a key that opens one first.
        let mut keys: Vec<Obj> = Vec::new();
        for key in find(world, opens_one).into_iter().map(|p| world.grid.get(p)) {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        let chains = keys
            .into_iter()
            .map(|key| {
                let mut chain = free_hands(world);
                chain.extend([Stage::pick_up(key), reach.clone()]);
                chain
            })
            .collect();
        Goals { chains, rules }
    }

    fn dynamic(&self) -> bool {
        self.moving_obstacles
    }
}
