//! Pick up the named object, behind a locked door: UnlockPickup, BlockedUnlockPickup,
//! KeyCorridor and ObstructedMaze.
//!
//! When the object is out of reach, for each locked door between the agent and the object: move
//! the ball that blocks the door (if one does), get the door's key (toggling the box that hides
//! it, if one does), open the door on the way, drop the key (the hands must be free to pick the
//! object up) and pick the object up. The search decides where each drop goes.

use super::{find, free_hands, in_region, named_objects, neighbours, region, Goals, Moves, Rules, Stage, Strategy};
use crate::gridworld::{Obj, ObjType, Pos, World};

pub struct PickUpTarget;

impl Strategy for PickUpTarget {
    fn goals(&self, world: &World) -> Goals {
        let Some(&(color, kind)) = named_objects(&world.mission).last() else {
            return Goals::none();
        };
        let target = Obj::new(kind, color);
        let targets = find(world, |o| *o == target);
        if world.carrying == Some(target) || targets.is_empty() {
            return Goals::none();
        }
        let rules = Rules { open_doors: true, move_objects: Moves::Doorways, avoid: Vec::new() };
        let near = region(world, world.agent_pos);
        if targets.iter().any(|&t| in_region(world, &near, t)) {
            let mut chain = free_hands(world);
            chain.push(Stage::pick_up(target));
            return Goals { chains: vec![chain], rules };
        }
        let far = region(world, targets[0]);
        let between = |&door: &Pos| {
            let sides = neighbours(door);
            sides.iter().any(|&p| in_region(world, &near, p)) && sides.iter().any(|&p| in_region(world, &far, p))
        };
        let chains = find(world, Obj::is_locked)
            .into_iter()
            .filter(between)
            .filter_map(|door| through_door(world, door, target, &near))
            .collect();
        Goals { chains, rules }
    }
}

/// The chain that picks up `target` through the locked door at `door`, if its key is around.
fn through_door(world: &World, door: Pos, target: Obj, near: &[bool]) -> Option<Vec<Stage>> {
    let key = Obj::key(world.grid.get(door).color);
    let blockers: Vec<Pos> = neighbours(door)
        .into_iter()
        .filter(|&p| {
            in_region(world, near, p) && world.grid.get(p).kind == ObjType::Ball && world.grid.get(p) != target
        })
        .collect();
    let mut chain = Vec::new();
    let holding_key = world.carrying == Some(key);
    if world.carrying.is_some() && !(holding_key && blockers.is_empty()) {
        chain.extend(free_hands(world));
    }
    for blocker in &blockers {
        chain.extend([Stage::pick_up_at(vec![*blocker]), Stage::drop_anywhere()]);
    }
    if !holding_key || !blockers.is_empty() {
        let key_on_grid = holding_key || !find(world, |o| *o == key).is_empty();
        if !key_on_grid {
            let hiding = find(world, |o| o.kind == ObjType::Box && o.contains == Some((ObjType::Key, key.color)));
            chain.push(Stage::toggle(world.grid.get(*hiding.first()?)));
        }
        chain.push(Stage::pick_up(key));
    }
    chain.extend([Stage::drop_anywhere(), Stage::pick_up(target)]);
    Some(chain)
}
