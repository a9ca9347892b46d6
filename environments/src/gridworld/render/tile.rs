//! One tile as MiniGrid 3.2.0 draws it (`Grid.render_tile` and the objects' `render` methods).
//!
//! A tile is drawn at 3 x 3 sub-pixels per pixel: each shape is a test on a sub-pixel's centre,
//! in tile units (0 to 1, y down). The agent's field of view is lightened, then each pixel is the
//! mean of its sub-pixels, truncated to a byte.
//!
//! The arithmetic is MiniGrid's: positions are f64 (Python floats), but triangle and segment
//! corners pass through float32 numpy arrays, so the terms derived from them alone are float32.
//! Only tests on sub-pixel centres lying exactly on a shape's edge could tell a difference, so
//! the order of every operation is kept too.

use crate::gridworld::object::{Color, ObjType, STATE_LOCKED, STATE_OPEN};
use crate::render::{Frame, Rgb};

/// Sub-pixels per pixel along each side (`render_tile`'s `subdivs`).
const SUBDIVS: usize = 3;

const BLACK: Rgb = [0, 0, 0];
/// The grid lines along each tile's top and left edges.
const GRID_LINE: Rgb = [100, 100, 100];
const AGENT: Rgb = [255, 0, 0];
const LAVA: Rgb = [255, 128, 0];

/// How far `highlight_img` moves a highlighted tile towards white.
const HIGHLIGHT_ALPHA: f64 = 0.30;

/// What a tile shows: an object's three-byte encoding (type, colour, state), the agent facing a
/// direction (0 right, 1 down, 2 left, 3 up) or not, and whether the agent sees the cell. A tile
/// depends on nothing else, which makes it the key of MiniGrid's tile cache and of this one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TileKey {
    pub code: [u8; 3],
    pub agent_dir: Option<u8>,
    pub highlight: bool,
}

/// Draws a `tile_size` x `tile_size` tile: RGB bytes, row by row.
pub(crate) fn draw(key: TileKey, tile_size: usize) -> Vec<u8> {
    let side = tile_size * SUBDIVS;
    let mut img = Frame::filled(side, side, BLACK);
    fill(&mut img, rect(0.0, 0.031, 0.0, 1.0), GRID_LINE);
    fill(&mut img, rect(0.0, 1.0, 0.0, 0.031), GRID_LINE);
    draw_object(&mut img, key.code);
    if let Some(dir) = key.agent_dir {
        let body = triangle((0.12, 0.19), (0.87, 0.50), (0.12, 0.81));
        fill(&mut img, rotated(body, 0.5, 0.5, 0.5 * std::f64::consts::PI * dir as f64), AGENT);
    }
    if key.highlight {
        for v in &mut img.pixels {
            *v = (*v as f64 + HIGHLIGHT_ALPHA * (255 - *v) as f64) as u8;
        }
    }
    downsample(&img, tile_size)
}

/// The object of an encoding, drawn as its MiniGrid class does. Empty cells draw nothing.
fn draw_object(img: &mut Frame, [kind, color, state]: [u8; 3]) {
    let (Some(kind), Some(color)) = (object_type(kind), object_color(color)) else { return };
    let c = color.rgb();
    match kind {
        ObjType::Goal | ObjType::Wall => fill(img, rect(0.0, 1.0, 0.0, 1.0), c),
        // `COLORS[c] / 2` is float; storing it in the uint8 picture truncates.
        ObjType::Floor => fill(img, rect(0.031, 1.0, 0.031, 1.0), c.map(|v| v / 2)),
        ObjType::Lava => {
            fill(img, rect(0.0, 1.0, 0.0, 1.0), LAVA);
            for i in 0..3 {
                let (lo, hi) = (0.3 + 0.2 * i as f64, 0.4 + 0.2 * i as f64);
                for (x0, y0, x1, y1) in [(0.1, lo, 0.3, hi), (0.3, hi, 0.5, lo), (0.5, lo, 0.7, hi), (0.7, hi, 0.9, lo)]
                {
                    fill(img, segment((x0, y0), (x1, y1), 0.03), BLACK);
                }
            }
        }
        ObjType::Door if state == STATE_OPEN => {
            fill(img, rect(0.88, 1.00, 0.00, 1.00), c);
            fill(img, rect(0.92, 0.96, 0.04, 0.96), BLACK);
        }
        ObjType::Door if state == STATE_LOCKED => {
            fill(img, rect(0.00, 1.00, 0.00, 1.00), c);
            fill(img, rect(0.06, 0.94, 0.06, 0.94), c.map(|v| (0.45 * v as f64) as u8));
            // The key hole.
            fill(img, rect(0.52, 0.75, 0.50, 0.56), c);
        }
        ObjType::Door => {
            fill(img, rect(0.00, 1.00, 0.00, 1.00), c);
            fill(img, rect(0.04, 0.96, 0.04, 0.96), BLACK);
            fill(img, rect(0.08, 0.92, 0.08, 0.92), c);
            fill(img, rect(0.12, 0.88, 0.12, 0.88), BLACK);
            // The handle.
            fill(img, circle(0.75, 0.50, 0.08), c);
        }
        ObjType::Key => {
            // Shaft, two teeth, then the ring with its hole.
            fill(img, rect(0.50, 0.63, 0.31, 0.88), c);
            fill(img, rect(0.38, 0.50, 0.59, 0.66), c);
            fill(img, rect(0.38, 0.50, 0.81, 0.88), c);
            fill(img, circle(0.56, 0.28, 0.190), c);
            fill(img, circle(0.56, 0.28, 0.064), BLACK);
        }
        ObjType::Ball => fill(img, circle(0.5, 0.5, 0.31), c),
        ObjType::Box => {
            fill(img, rect(0.12, 0.88, 0.12, 0.88), c);
            fill(img, rect(0.18, 0.82, 0.18, 0.82), BLACK);
            // The lid's slit.
            fill(img, rect(0.16, 0.84, 0.47, 0.53), c);
        }
        ObjType::Empty | ObjType::Unseen | ObjType::Agent => {}
    }
}

fn object_type(index: u8) -> Option<ObjType> {
    use ObjType::*;
    [Unseen, Empty, Wall, Floor, Door, Key, Ball, Box, Goal, Lava, Agent].get(index as usize).copied()
}

fn object_color(index: u8) -> Option<Color> {
    use Color::*;
    [Red, Green, Blue, Purple, Yellow, Grey].get(index as usize).copied()
}

/// `fill_coords`: paints every sub-pixel whose centre passes `inside`.
fn fill(img: &mut Frame, inside: impl Fn(f64, f64) -> bool, rgb: Rgb) {
    let (width, height) = (img.width, img.height);
    for (y, row) in img.pixels.chunks_exact_mut(width * 3).enumerate() {
        let yf = (y as f64 + 0.5) / height as f64;
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            if inside((x as f64 + 0.5) / width as f64, yf) {
                px.copy_from_slice(&rgb);
            }
        }
    }
}

/// `point_in_rect`: edges included.
fn rect(xmin: f64, xmax: f64, ymin: f64, ymax: f64) -> impl Fn(f64, f64) -> bool {
    move |x, y| x >= xmin && x <= xmax && y >= ymin && y <= ymax
}

/// `point_in_circle`: the edge included.
fn circle(cx: f64, cy: f64, r: f64) -> impl Fn(f64, f64) -> bool {
    move |x, y| (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r
}

/// `point_in_triangle`: barycentric coordinates, the corners float32.
fn triangle(a: (f64, f64), b: (f64, f64), c: (f64, f64)) -> impl Fn(f64, f64) -> bool {
    let (a, b, c) = (f32_point(a), f32_point(b), f32_point(c));
    let v0 = [c[0] - a[0], c[1] - a[1]];
    let v1 = [b[0] - a[0], b[1] - a[1]];
    let (dot00, dot01, dot11) = (dot_f32(v0, v0), dot_f32(v0, v1), dot_f32(v1, v1));
    let inv_denom = 1.0 / (dot00 * dot11 - dot01 * dot01);
    move |x, y| {
        let v2 = [x - a[0] as f64, y - a[1] as f64];
        let dot02 = v0[0] as f64 * v2[0] + v0[1] as f64 * v2[1];
        let dot12 = v1[0] as f64 * v2[0] + v1[1] as f64 * v2[1];
        let u = (dot11 as f64 * dot02 - dot01 as f64 * dot12) * inv_denom as f64;
        let v = (dot00 as f64 * dot12 - dot01 as f64 * dot02) * inv_denom as f64;
        u >= 0.0 && v >= 0.0 && u + v < 1.0
    }
}

/// `point_in_line`: within `r` of the segment from `p0` to `p1`, whose ends and unit direction
/// are float32.
fn segment((x0, y0): (f64, f64), (x1, y1): (f64, f64), r: f64) -> impl Fn(f64, f64) -> bool {
    let (p0, p1) = (f32_point((x0, y0)), f32_point((x1, y1)));
    let dir = [p1[0] - p0[0], p1[1] - p0[1]];
    let dist = dot_f32(dir, dir).sqrt();
    let dir = [(dir[0] / dist) as f64, (dir[1] / dist) as f64];
    let (xmin, xmax, ymin, ymax) = (x0.min(x1) - r, x0.max(x1) + r, y0.min(y1) - r, y0.max(y1) + r);
    let (p0, dist) = ([p0[0] as f64, p0[1] as f64], dist as f64);
    move |x, y| {
        if x < xmin || x > xmax || y < ymin || y > ymax {
            return false;
        }
        let pq = [x - p0[0], y - p0[1]];
        let along = (pq[0] * dir[0] + pq[1] * dir[1]).clamp(0.0, dist);
        let (dx, dy) = (x - (p0[0] + along * dir[0]), y - (p0[1] + along * dir[1]));
        (dx * dx + dy * dy).sqrt() <= r
    }
}

/// `rotate_fn`: the shape turned by `theta` radians about `(cx, cy)`.
fn rotated(inside: impl Fn(f64, f64) -> bool, cx: f64, cy: f64, theta: f64) -> impl Fn(f64, f64) -> bool {
    let (cos, sin) = ((-theta).cos(), (-theta).sin());
    move |x, y| {
        let (x, y) = (x - cx, y - cy);
        inside(cx + x * cos - y * sin, cy + y * cos + x * sin)
    }
}

fn f32_point((x, y): (f64, f64)) -> [f32; 2] {
    [x as f32, y as f32]
}

/// numpy's float32 `dot` of two 2-vectors: each product rounded, then the sum.
fn dot_f32(a: [f32; 2], b: [f32; 2]) -> f32 {
    a[0] * b[0] + a[1] * b[1]
}

/// `downsample`: each pixel is the mean of its sub-pixels, first along x, then along y (numpy's
/// `mean(axis=3).mean(axis=1)` in f64), truncated when stored as a byte.
fn downsample(img: &Frame, tile_size: usize) -> Vec<u8> {
    let row = img.width * 3;
    let mut out = Vec::with_capacity(tile_size * tile_size * 3);
    for ty in 0..tile_size {
        for tx in 0..tile_size {
            for channel in 0..3 {
                let mut sum = 0.0;
                for sy in 0..SUBDIVS {
                    let start = (ty * SUBDIVS + sy) * row + tx * SUBDIVS * 3 + channel;
                    let across: f64 = (0..SUBDIVS).map(|sx| img.pixels[start + sx * 3] as f64).sum();
                    sum += across / SUBDIVS as f64;
                }
                out.push((sum / SUBDIVS as f64) as u8);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: [u8; 3], agent_dir: Option<u8>, highlight: bool) -> TileKey {
        TileKey { code, agent_dir, highlight }
    }

    fn pixel(tile: &[u8], size: usize, x: usize, y: usize) -> [u8; 3] {
        let i = (y * size + x) * 3;
        [tile[i], tile[i + 1], tile[i + 2]]
    }

    #[test]
    fn empty_tile_is_black_with_grid_lines_on_top_and_left() {
        let tile = draw(key([1, 0, 0], None, false), 32);
        assert_eq!(tile.len(), 32 * 32 * 3);
        // 0.031 of 96 sub-pixels: the first three sub-pixel columns, the whole first pixel.
        assert_eq!(pixel(&tile, 32, 0, 10), GRID_LINE);
        assert_eq!(pixel(&tile, 32, 10, 0), GRID_LINE);
        assert_eq!(pixel(&tile, 32, 1, 10), BLACK);
        // Of 24 sub-pixels, only the first column: a third of the first pixel.
        let small = draw(key([1, 0, 0], None, false), 8);
        assert_eq!(pixel(&small, 8, 0, 5), [33, 33, 33]);
        assert_eq!(pixel(&small, 8, 5, 5), BLACK);
    }

    #[test]
    fn walls_fill_and_highlight_lightens_towards_white() {
        let wall = draw(key([2, 5, 0], None, false), 8);
        assert!(wall.chunks_exact(3).all(|p| p == [100, 100, 100]));
        let seen = draw(key([2, 5, 0], None, true), 8);
        // 100 + 0.3 * 155 = 146.5, truncated.
        assert!(seen.chunks_exact(3).all(|p| p == [146, 146, 146]));
    }

    #[test]
    fn the_agent_points_where_it_faces() {
        // Per direction: a pixel near the tip is red, the next one past the tip is not.
        let cases = [(0, (10, 8), (14, 8)), (1, (8, 10), (8, 14)), (2, (5, 8), (1, 8)), (3, (8, 5), (8, 1))];
        for (dir, (x, y), (px, py)) in cases {
            let tile = draw(key([1, 0, 0], Some(dir), false), 16);
            assert_eq!(pixel(&tile, 16, x, y), AGENT, "direction {dir}");
            assert_eq!(pixel(&tile, 16, px, py), BLACK, "direction {dir}");
        }
    }

    #[test]
    fn door_states_draw_differently() {
        let [open, closed, locked] = [0, 1, 2].map(|state| draw(key([4, 4, state], None, false), 16));
        assert_ne!(open, closed);
        assert_ne!(closed, locked);
        // Open: only a bar along the right edge.
        assert_eq!(pixel(&open, 16, 8, 8), BLACK);
        let [r, g, b] = pixel(&open, 16, 14, 8);
        assert!(r == g && r > 100 && b == 0, "{:?}", [r, g, b]);
        // Locked: a darkened yellow panel, 0.45 * 255 truncated.
        assert_eq!(pixel(&locked, 16, 4, 4), [114, 114, 0]);
    }
}
