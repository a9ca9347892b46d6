//! The grid as coloured text for a terminal (24-bit ANSI colours).
//!
//! Each cell is two character columns on one text row. Floors, walls, goals and lava are solid
//! blocks of their MiniGrid colour, drawn with the upper half block `▀` (its foreground colours
//! the top half of a character, its background the bottom half); keys, balls, boxes and doors
//! are small glyphs in their colour, and the agent is a red arrow pointing its way. As in
//! MiniGrid's pictures, the cells the agent sees are lightened. A 19 x 19 grid takes 38 columns
//! and 19 rows.

use super::{observe, seen_cells};
use crate::gridworld::minigrid::GridConfig;
use crate::gridworld::object::{Obj, ObjType, STATE_LOCKED, STATE_OPEN};
use crate::gridworld::world::World;
use crate::render::Rgb;
use std::fmt::Write;

const BLACK: Rgb = [0, 0, 0];
const AGENT: Rgb = [255, 0, 0];
const LAVA: Rgb = [255, 128, 0];
const ARROWS: [char; 4] = ['▶', '▼', '◀', '▲'];

/// One character: a glyph in a foreground colour on a background colour.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Glyph {
    ch: char,
    fg: Rgb,
    bg: Rgb,
}

impl Glyph {
    /// A character cell of one solid colour.
    fn solid(rgb: Rgb) -> Glyph {
        Glyph { ch: '▀', fg: rgb, bg: rgb }
    }

    fn lightened(self) -> Glyph {
        Glyph { fg: lighten(self.fg), bg: lighten(self.bg), ..self }
    }
}

/// MiniGrid's `highlight_img`: 30% of the way to white.
fn lighten(rgb: Rgb) -> Rgb {
    rgb.map(|v| (v as f64 + 0.30 * (255 - v) as f64) as u8)
}

/// The grid as text: one line per grid row, each ending in a colour reset and a newline. The
/// agent's field of view is lightened when `config` describes a valid view.
pub fn render_ansi(world: &World, config: &GridConfig) -> String {
    let (width, height) = (world.grid.width().max(0) as usize, world.grid.height().max(0) as usize);
    let seen = match observe(world, config) {
        Ok(view) => seen_cells(world, &view, width, height),
        Err(_) => vec![false; width * height],
    };
    let mut out = String::with_capacity(height * (width * 2 * 24 + 8));
    for y in 0..height {
        let mut last = None;
        for x in 0..width {
            let pos = (x as i32, y as i32);
            let mut glyphs = cell_glyphs(&world.grid.get(pos));
            if pos == world.agent_pos {
                glyphs[0] = Glyph { ch: ARROWS[world.agent_dir % 4], fg: AGENT, ..glyphs[0] };
                glyphs[1] = Glyph { ch: ' ', ..glyphs[1] };
            }
            for mut glyph in glyphs {
                if seen[y * width + x] {
                    glyph = glyph.lightened();
                }
                if last != Some((glyph.fg, glyph.bg)) {
                    let ([r, g, b], [br, bg, bb]) = (glyph.fg, glyph.bg);
                    // Writing into a String cannot fail.
                    let _ = write!(out, "\x1b[38;2;{r};{g};{b};48;2;{br};{bg};{bb}m");
                    last = Some((glyph.fg, glyph.bg));
                }
                out.push(glyph.ch);
            }
        }
        out.push_str("\x1b[0m\n");
    }
    out
}

/// The two characters of a cell without the agent.
fn cell_glyphs(obj: &Obj) -> [Glyph; 2] {
    let c = obj.color.rgb();
    let on_floor =
        |left: char, right: char| [Glyph { ch: left, fg: c, bg: BLACK }, Glyph { ch: right, fg: c, bg: BLACK }];
    match obj.kind {
        ObjType::Wall | ObjType::Goal => [Glyph::solid(c); 2],
        ObjType::Floor => [Glyph::solid(c.map(|v| v / 2)); 2],
        ObjType::Lava => [Glyph::solid(LAVA); 2],
        // An open door is a bar along the cell's right edge, as MiniGrid draws it.
        ObjType::Door if obj.state == STATE_OPEN => [Glyph::solid(BLACK), Glyph { ch: '▐', fg: c, bg: BLACK }],
        // Closed: a dark panel in a frame of the door's colour; locked: a dimmed one.
        ObjType::Door => {
            let panel = if obj.state == STATE_LOCKED { c.map(|v| (0.45 * v as f64) as u8) } else { BLACK };
            [Glyph { ch: '▐', fg: panel, bg: c }, Glyph { ch: '▌', fg: panel, bg: c }]
        }
        ObjType::Key => on_floor('o', '┳'),
        ObjType::Ball => on_floor('◖', '◗'),
        ObjType::Box => on_floor('[', ']'),
        ObjType::Empty | ObjType::Unseen | ObjType::Agent => [Glyph::solid(BLACK); 2],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gridworld::object::Color;

    fn doorkey() -> (World, GridConfig) {
        let mut world = World::new(5, 5, 100);
        world.grid.wall_rect((0, 0), 5, 5);
        world.grid.vert_wall((2, 0), 5, Obj::wall());
        world.put_obj(Obj::door(Color::Yellow, true), (2, 2));
        world.put_obj(Obj::key(Color::Yellow), (1, 3));
        world.put_obj(Obj::goal(), (3, 3));
        world.agent_pos = (1, 1);
        world.agent_dir = 1;
        (world, GridConfig::new(5, 5, 100))
    }

    /// The text without its escape sequences.
    fn plain(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                chars.by_ref().find(|&c| c == 'm');
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn one_line_per_row_two_columns_per_cell() {
        let (world, config) = doorkey();
        let text = render_ansi(&world, &config);
        assert_eq!(text.lines().count(), 5);
        assert!(text.lines().all(|line| line.ends_with("\x1b[0m")));
        for line in plain(&text).lines() {
            assert_eq!(line.chars().count(), 10, "{line:?}");
        }
        assert!(text.contains("\x1b[38;2;"));
    }

    #[test]
    fn agent_key_and_door_are_drawn_in_place() {
        let (world, config) = doorkey();
        let text = plain(&render_ansi(&world, &config));
        let rows: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
        assert_eq!(rows[1][2], '▼', "the agent faces down");
        assert_eq!(&rows[3][2..4], &['o', '┳'], "the key");
        assert_eq!(&rows[2][4..6], &['▐', '▌'], "the locked door");
        assert_eq!(text.matches(ARROWS).count(), 1);
    }

    #[test]
    fn the_field_of_view_is_lightened() {
        let (world, config) = doorkey();
        let text = render_ansi(&world, &config);
        // The key below the agent is seen: lightened yellow (255, 255, 76) on lightened black.
        assert!(text.contains("38;2;255;255;76;48;2;76;76;76mo┳"), "{text:?}");
        // The goal behind the wall is not: plain green.
        assert!(text.contains("38;2;0;255;0;48;2;0;255;0m"), "{text:?}");
        let blind = GridConfig { agent_view_size: 2, ..config };
        assert!(!render_ansi(&world, &blind).contains("76;76;76"));
    }
}
