//! The layout families, one file each, named after MiniGrid's `envs/` modules.

pub mod crossing;
pub mod distshift;
pub mod doorkey;
pub mod dynamic_obstacles;
pub mod empty;
pub mod fetch;
pub mod fourrooms;
pub mod gotodoor;
pub mod gotoobject;
pub mod keycorridor;
pub mod lavagap;
pub mod lockedroom;
pub mod memory;
pub mod multiroom;
pub mod obstructed_maze;
pub mod playground;
pub mod putnear;
pub mod redbluedoors;
pub mod unlock;
