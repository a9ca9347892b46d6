//! Pictures of gridworlds, pixel for pixel as MiniGrid 3.2.0 draws them.
//!
//! - [`render_full`]: the whole grid, the agent's field of view lightened (`get_full_render`;
//!   what `env.render()` returns in `rgb_array` mode, with `tile_size` 32);
//! - [`render_pov`]: the agent's own view, facing up (`get_pov_render`); [`render_encoded_view`]
//!   draws it from an observation's image (a world model's prediction of the view, say);
//! - [`render_ansi`]: the grid as coloured text for a terminal.
//!
//! A picture is a mosaic of tiles, and a tile depends only on its cell's encoding, the agent's
//! direction when it stands there, and whether the agent sees the cell: tiles are drawn once per
//! thread and copied from a cache afterwards, as MiniGrid caches them too.
//!
//! ```
//! use limbic_environments::gridworld::{self, render, GridEnv};
//! use limbic_environments::Env;
//! let mut env = gridworld::make("MiniGrid-DoorKey-5x5-v0", &Default::default()).unwrap();
//! env.reset(Some(0), &Default::default()).unwrap();
//! let frame = render::render_full(env.world(), env.config(), 8, true).unwrap();
//! assert_eq!((frame.width, frame.height), (5 * 8, 5 * 8));
//! assert_eq!(env.render().unwrap().width, 5 * render::TILE_PIXELS);
//! ```

mod ansi;
mod tile;

pub use ansi::render_ansi;

use super::minigrid::GridConfig;
use super::object::Obj;
use super::view::View;
use super::world::World;
use crate::error::{EnvError, Result};
use crate::render::Frame;
use std::cell::RefCell;
use std::collections::HashMap;
use tile::TileKey;

/// MiniGrid's default tile side in pixels (`TILE_PIXELS`), used by `render()`.
pub const TILE_PIXELS: usize = 32;

/// The largest tile side accepted.
pub const MAX_TILE_SIZE: usize = 256;

/// The longest side of a picture, in pixels (what GIF and most viewers can hold).
pub const MAX_FRAME_SIDE: usize = 65_535;

/// Tiles kept per thread before the cache starts over: every tile of every object in two or
/// three tile sizes, which is all a run renders.
const CACHE_CAPACITY: usize = 8192;

/// Drawn tiles by tile size and content.
type TileCache = HashMap<(usize, TileKey), Box<[u8]>>;

thread_local! {
    static TILES: RefCell<TileCache> = RefCell::new(HashMap::new());
}

/// `get_full_render(highlight, tile_size)`: the whole grid, `tile_size` pixels a cell, the agent
/// drawn as a red triangle pointing its way; with `highlight`, the cells the agent sees are
/// lightened. The frame is `height * tile_size` rows of `width * tile_size` pixels.
pub fn render_full(world: &World, config: &GridConfig, tile_size: usize, highlight: bool) -> Result<Frame> {
    let view = observe(world, config)?;
    full_frame(world, &view, tile_size, highlight)
}

/// `get_pov_render(tile_size)`: the agent's `agent_view_size`-square view, rotated so it faces
/// up from the middle of the bottom row, holding what it carries. The cells it sees are
/// lightened; those it cannot see are drawn empty (`process_vis` clears them).
pub fn render_pov(world: &World, config: &GridConfig, tile_size: usize) -> Result<Frame> {
    let view = observe(world, config)?;
    pov_frame(&view, tile_size)
}

/// The agent's view drawn from an observation's image (`view x view x 3` object, colour and
/// state indices in `[x][y][c]` order, as MiniGrid's `image` and learners' rows hold it), as
/// [`render_pov`] draws the view: facing up, cells the agent does not see (encoded `unseen`,
/// all zeros) drawn empty and dark. What a world model predicts for the view can be drawn
/// beside what the agent saw.
pub fn render_encoded_view(image: &[u8], view: usize, tile_size: usize) -> Result<Frame> {
    if view == 0 || image.len() != view * view * 3 {
        return Err(EnvError::BadKwarg {
            key: "image".into(),
            message: format!("a {view}x{view} view has {} numbers, got {}", view * view * 3, image.len()),
        });
    }
    check_size(view, view, tile_size)?;
    Ok(mosaic(view, view, tile_size, |x, y| {
        let at = (x * view + y) * 3;
        let code = [image[at], image[at + 1], image[at + 2]];
        let seen = code[0] != 0;
        TileKey {
            code: if seen { code } else { Obj::EMPTY.encode() },
            agent_dir: ((x, y) == (view / 2, view - 1)).then_some(3),
            highlight: seen,
        }
    }))
}

/// What the agent sees now.
fn observe(world: &World, config: &GridConfig) -> Result<View> {
    config.validate()?;
    let mut view = View::new(config.agent_view_size);
    view.observe(world, config.see_through_walls);
    Ok(view)
}

/// [`render_full`] from a view already computed for `world`.
pub(crate) fn full_frame(world: &World, view: &View, tile_size: usize, highlight: bool) -> Result<Frame> {
    let (width, height) = (world.grid.width().max(0) as usize, world.grid.height().max(0) as usize);
    check_size(width, height, tile_size)?;
    let seen = if highlight { seen_cells(world, view, width, height) } else { vec![false; width * height] };
    let dir = world.agent_dir as u8 % 4;
    Ok(mosaic(width, height, tile_size, |x, y| TileKey {
        code: world.grid.get((x as i32, y as i32)).encode(),
        agent_dir: (world.agent_pos == (x as i32, y as i32)).then_some(dir),
        highlight: seen[y * width + x],
    }))
}

/// [`render_pov`] from a view already computed.
pub(crate) fn pov_frame(view: &View, tile_size: usize) -> Result<Frame> {
    let n = view.size();
    check_size(n, n, tile_size)?;
    Ok(mosaic(n, n, tile_size, |x, y| {
        let seen = view.is_visible(x, y);
        TileKey {
            code: if seen { view.cell(x, y) } else { Obj::EMPTY.encode() },
            agent_dir: ((x, y) == (n / 2, n - 1)).then_some(3),
            highlight: seen,
        }
    }))
}

/// Refuses tile sizes and pictures too large to draw (or zero-sized ones).
pub(crate) fn check_size(width: usize, height: usize, tile_size: usize) -> Result<()> {
    if !(1..=MAX_TILE_SIZE).contains(&tile_size) {
        return Err(EnvError::BadKwarg {
            key: "tile_size".into(),
            message: format!("expected 1 to {MAX_TILE_SIZE} pixels, got {tile_size}"),
        });
    }
    if width.max(height) * tile_size > MAX_FRAME_SIDE {
        return Err(EnvError::BadKwarg {
            key: "tile_size".into(),
            message: format!(
                "a {width}x{height} grid at {tile_size} pixels a cell is larger than {MAX_FRAME_SIDE} pixels a side"
            ),
        });
    }
    Ok(())
}

/// The grid cells the agent sees (`width * height`, row by row): view cell `(vx, vy)` is the
/// world cell `size - 1 - vy` ahead of the agent and `vx - size / 2` to its right.
fn seen_cells(world: &World, view: &View, width: usize, height: usize) -> Vec<bool> {
    let mut seen = vec![false; width * height];
    let n = view.size() as i32;
    let (fx, fy) = world.dir_vec();
    let (rx, ry) = (-fy, fx);
    let (ax, ay) = world.agent_pos;
    for vy in 0..n {
        for vx in 0..n {
            let (ahead, side) = (n - 1 - vy, vx - n / 2);
            let (x, y) = (ax + fx * ahead + rx * side, ay + fy * ahead + ry * side);
            if view.is_visible(vx as usize, vy as usize) && world.grid.contains((x, y)) {
                seen[y as usize * width + x as usize] = true;
            }
        }
    }
    seen
}

/// A `width` x `height` picture of tiles, the tile of cell `(x, y)` given by `tile_at`.
fn mosaic(width: usize, height: usize, tile_size: usize, tile_at: impl Fn(usize, usize) -> TileKey) -> Frame {
    let mut frame = Frame { width: width * tile_size, height: height * tile_size, pixels: Vec::new() };
    frame.pixels = vec![0; frame.width * frame.height * 3];
    let (row_bytes, tile_row) = (frame.width * 3, tile_size * 3);
    TILES.with_borrow_mut(|cache| {
        for y in 0..height {
            for x in 0..width {
                let key = tile_at(x, y);
                if cache.len() >= CACHE_CAPACITY && !cache.contains_key(&(tile_size, key)) {
                    cache.clear();
                }
                let tile = cache.entry((tile_size, key)).or_insert_with(|| tile::draw(key, tile_size).into());
                let corner = y * tile_size * row_bytes + x * tile_row;
                for (r, src) in tile.chunks_exact(tile_row).enumerate() {
                    let at = corner + r * row_bytes;
                    frame.pixels[at..at + tile_row].copy_from_slice(src);
                }
            }
        }
    });
    frame
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gridworld::object::Color;

    fn room() -> (World, GridConfig) {
        let mut world = World::new(6, 5, 100);
        world.grid.wall_rect((0, 0), 6, 5);
        world.grid.vert_wall((3, 0), 5, Obj::wall());
        world.put_obj(Obj::door(Color::Yellow, true), (3, 2));
        world.put_obj(Obj::key(Color::Yellow), (1, 3));
        world.agent_pos = (2, 2);
        world.agent_dir = 0;
        (world, GridConfig::new(6, 5, 100))
    }

    fn tile_of(frame: &Frame, ts: usize, x: usize, y: usize) -> Vec<u8> {
        (0..ts).flat_map(|r| (0..ts).flat_map(move |c| frame.pixel(x * ts + c, y * ts + r))).collect()
    }

    #[test]
    fn full_render_has_the_grid_shape_and_highlights_only_what_is_seen() {
        let (world, config) = room();
        let frame = render_full(&world, &config, 8, true).unwrap();
        assert_eq!((frame.width, frame.height, frame.pixels.len()), (48, 40, 48 * 40 * 3));
        // A wall the agent sees (highlighted) and one behind the locked door (not).
        assert_eq!(frame.pixel(3 * 8 + 4, 4), [146, 146, 146]);
        assert_eq!(frame.pixel(5 * 8 + 4, 4), [100, 100, 100]);
        let plain = render_full(&world, &config, 8, false).unwrap();
        assert_eq!(plain.pixel(3 * 8 + 4, 4), [100, 100, 100]);
        // The agent's tile is drawn once, in its cell.
        assert_ne!(tile_of(&frame, 8, 2, 2), tile_of(&frame, 8, 2, 1));
    }

    #[test]
    fn pov_render_faces_up_and_shows_the_carried_object() {
        let (mut world, config) = room();
        let frame = render_pov(&world, &config, 4).unwrap();
        assert_eq!((frame.width, frame.height), (28, 28));
        // The locked door is one cell ahead: above the agent in the view.
        let door = tile_of(&render_full(&world, &config, 4, true).unwrap(), 4, 3, 2);
        assert_eq!(tile_of(&frame, 4, 3, 5), door);
        let empty_agent = tile_of(&frame, 4, 3, 6);
        world.carrying = Some(Obj::key(Color::Yellow));
        assert_ne!(tile_of(&render_pov(&world, &config, 4).unwrap(), 4, 3, 6), empty_agent);
    }

    #[test]
    fn the_view_drawn_from_its_encoding_is_the_pov_render() {
        let (mut world, config) = room();
        for carrying in [None, Some(Obj::key(Color::Yellow))] {
            world.carrying = carrying;
            let view = observe(&world, &config).unwrap();
            let mut image = vec![0u8; view.image_len()];
            view.write_u8(&mut image);
            let drawn = render_encoded_view(&image, view.size(), 8).unwrap();
            assert_eq!(drawn, render_pov(&world, &config, 8).unwrap());
        }
        assert!(render_encoded_view(&[0; 10], 7, 8).is_err());
    }

    #[test]
    fn bad_tile_sizes_and_configs_are_errors() {
        let (world, mut config) = room();
        assert!(render_full(&world, &config, 0, true).is_err());
        assert!(render_pov(&world, &config, MAX_TILE_SIZE + 1).is_err());
        config.agent_view_size = 4;
        assert!(render_full(&world, &config, 8, true).is_err());
        let mut huge = World::new(1024, 3, 10);
        huge.agent_pos = (1, 1);
        assert!(render_full(&huge, &GridConfig::new(1024, 3, 10), 256, false).is_err());
    }
}
