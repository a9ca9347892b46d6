//! The agent's egocentric view (`gen_obs_grid` + `Grid.encode` in MiniGrid), computed into
//! buffers made once, so an observation costs no allocation.
//!
//! MiniGrid slices the grid around the agent, rotates it so the agent faces up, runs
//! `process_vis`, then puts the carried object on the agent's cell. Here the rotation is folded
//! into one coordinate map: view cell `(vx, vy)` shows world cell
//! `agent + forward * (size - 1 - vy) + right * (vx - size / 2)`, the agent sits at
//! `(size / 2, size - 1)`, and cells outside the grid read as walls (as `Grid.slice` pads).

use super::object::Obj;
use super::world::World;

/// The largest view: visibility rows are bit masks in a `u64`, with room for a carry bit.
pub const MAX_VIEW_SIZE: usize = 63;

/// The `size` x `size` view, indexed `[vx][vy]` like the image, and per view row `vy` two bit
/// masks over `vx`: which cells are visible and which let light through.
#[derive(Clone, Debug)]
pub struct View {
    size: usize,
    cells: Vec<Obj>,
    visible: Vec<u64>,
    transparent: Vec<u64>,
}

impl View {
    /// A view of side `size` (at most [`MAX_VIEW_SIZE`]).
    pub fn new(size: usize) -> View {
        assert!(size <= MAX_VIEW_SIZE, "view size {size} above {MAX_VIEW_SIZE}");
        View { size, cells: vec![Obj::EMPTY; size * size], visible: vec![0; size], transparent: vec![0; size] }
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// Bytes in the encoded image: `size * size * 3`.
    pub fn image_len(&self) -> usize {
        self.size * self.size * 3
    }

    /// All `size` cells of a row.
    fn full_row(&self) -> u64 {
        (1u64 << self.size) - 1
    }

    /// Looks at the world from the agent's cell.
    pub fn observe(&mut self, world: &World, see_through_walls: bool) {
        let size = self.size as i32;
        let half = size / 2;
        let (fx, fy) = world.dir_vec();
        let (rx, ry) = (-fy, fx);
        let (ax, ay) = world.agent_pos;
        self.transparent.fill(0);
        for vx in 0..size {
            let side = vx - half;
            for vy in 0..size {
                let ahead = size - 1 - vy;
                let cell = world.grid.get((ax + fx * ahead + rx * side, ay + fy * ahead + ry * side));
                self.transparent[vy as usize] |= (cell.see_behind() as u64) << vx;
                self.cells[(vx * size + vy) as usize] = cell;
            }
        }
        if see_through_walls {
            let full = self.full_row();
            self.visible.fill(full);
        } else {
            self.process_vis();
        }
        let agent = (self.size / 2) * self.size + self.size - 1;
        self.cells[agent] = world.carrying.unwrap_or(Obj::EMPTY);
    }

    /// `Grid.process_vis`, a row at a time on bit masks. From the agent's row up to the top,
    /// light spreads along the row left to right, then right to left: a lit cell that lets light
    /// through lights its next cell in the sweep, and the cells above itself and above that next
    /// cell. The sweep order decides which corners are lit, so it is kept exactly.
    fn process_vis(&mut self) {
        let (n, full) = (self.size, self.full_row());
        self.visible.fill(0);
        self.visible[n - 1] = 1 << (n / 2);
        for j in (0..n).rev() {
            let through = self.transparent[j];
            // Left to right: cells 0..n-1 pass light on (MiniGrid's `range(0, width - 1)`).
            let forward = fill_up(self.visible[j], through) & full;
            let emit_forward = forward & through & (full >> 1);
            // Right to left: cells n-1..1 pass light on, over what the first sweep lit.
            let backward = reverse(fill_up(reverse(forward, n), reverse(through, n)) & full, n);
            let emit_backward = backward & through & !1;
            self.visible[j] = backward;
            if j > 0 {
                self.visible[j - 1] |= (emit_forward | emit_forward << 1 | emit_backward | emit_backward >> 1) & full;
            }
        }
    }

    #[inline]
    fn is_visible(&self, vx: usize, vy: usize) -> bool {
        self.visible[vy] >> vx & 1 == 1
    }

    /// The `[vx][vy][channel]` encoding; unseen cells are `(0, 0, 0)`.
    #[inline]
    fn encoded(&self) -> impl Iterator<Item = [u8; 3]> + '_ {
        self.cells.iter().enumerate().map(|(i, cell)| {
            if self.is_visible(i / self.size, i % self.size) {
                cell.encode()
            } else {
                [0; 3]
            }
        })
    }

    /// Writes the image bytes into `out` (length [`View::image_len`]).
    pub fn write_u8(&self, out: &mut [u8]) {
        for (chunk, code) in out.chunks_exact_mut(3).zip(self.encoded()) {
            chunk.copy_from_slice(&code);
        }
    }

    /// Writes the image as f32 numbers into `out` (length [`View::image_len`]).
    pub fn write_f32(&self, out: &mut [f32]) {
        for (chunk, code) in out.chunks_exact_mut(3).zip(self.encoded()) {
            chunk[0] = code[0] as f32;
            chunk[1] = code[1] as f32;
            chunk[2] = code[2] as f32;
        }
    }
}

/// The cells lit by sweeping towards higher bits: each seed that lets light through lights the
/// run of transparent cells above it and the first opaque cell after the run. Adding the
/// transparent seeds to the transparency mask carries through exactly those runs.
#[inline]
fn fill_up(seeds: u64, through: u64) -> u64 {
    seeds | (((seeds & through) + through) ^ through)
}

/// Mirrors the low `n` bits (bit `i` to bit `n - 1 - i`), to sweep the other way.
#[inline]
fn reverse(bits: u64, n: usize) -> u64 {
    bits.reverse_bits() >> (64 - n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gridworld::object::{Color, ObjType};

    fn image(view: &View) -> Vec<u8> {
        let mut out = vec![0; view.image_len()];
        view.write_u8(&mut out);
        out
    }

    fn cell(img: &[u8], size: usize, vx: usize, vy: usize) -> [u8; 3] {
        let i = (vx * size + vy) * 3;
        [img[i], img[i + 1], img[i + 2]]
    }

    #[test]
    fn agent_faces_up_in_its_view_and_sees_what_it_carries() {
        let mut w = World::new(7, 7, 10);
        w.grid.wall_rect((0, 0), 7, 7);
        w.agent_pos = (3, 3);
        w.agent_dir = 0; // facing +x
        w.put_obj(Obj::key(Color::Red), (4, 3)); // straight ahead
        w.put_obj(Obj::ball(Color::Blue), (3, 4)); // to the agent's right (+y)
        w.carrying = Some(Obj::boxed(Color::Green, None));
        let mut v = View::new(3);
        v.observe(&w, true);
        let img = image(&v);
        assert_eq!(cell(&img, 3, 1, 2), [ObjType::Box as u8, Color::Green as u8, 0]);
        assert_eq!(cell(&img, 3, 1, 1), [ObjType::Key as u8, Color::Red as u8, 0]);
        assert_eq!(cell(&img, 3, 2, 2), [ObjType::Ball as u8, Color::Blue as u8, 0]);
    }

    /// MiniGrid's `process_vis`, cell by cell, on `[x][y]` transparency.
    fn process_vis_reference(through: &[Vec<bool>]) -> Vec<Vec<bool>> {
        let n = through.len();
        let mut mask = vec![vec![false; n]; n];
        mask[n / 2][n - 1] = true;
        for j in (0..n).rev() {
            for i in 0..n - 1 {
                if mask[i][j] && through[i][j] {
                    mask[i + 1][j] = true;
                    if j > 0 {
                        mask[i + 1][j - 1] = true;
                        mask[i][j - 1] = true;
                    }
                }
            }
            for i in (1..n).rev() {
                if mask[i][j] && through[i][j] {
                    mask[i - 1][j] = true;
                    if j > 0 {
                        mask[i - 1][j - 1] = true;
                        mask[i][j - 1] = true;
                    }
                }
            }
        }
        mask
    }

    #[test]
    fn bitwise_visibility_equals_the_cell_by_cell_sweep() {
        let mut rng = crate::rng::Generator::from_seed(5);
        for n in [3, 5, 7, 9, 15, 63] {
            for _ in 0..400 {
                let density = rng.uniform(0.0, 1.0);
                let through: Vec<Vec<bool>> =
                    (0..n).map(|_| (0..n).map(|_| rng.uniform(0.0, 1.0) < density).collect()).collect();
                let mut view = View::new(n);
                for (x, column) in through.iter().enumerate() {
                    for (y, &t) in column.iter().enumerate() {
                        view.transparent[y] |= (t as u64) << x;
                    }
                }
                view.process_vis();
                for (x, column) in process_vis_reference(&through).iter().enumerate() {
                    for (y, &want) in column.iter().enumerate() {
                        assert_eq!(view.is_visible(x, y), want, "n={n} cell ({x}, {y})");
                    }
                }
            }
        }
    }

    #[test]
    fn walls_hide_what_is_behind_them() {
        let mut w = World::new(9, 9, 10);
        w.agent_pos = (4, 7);
        w.agent_dir = 3; // facing up
        w.grid.horz_wall((0, 5), 9, Obj::wall());
        w.put_obj(Obj::goal(), (4, 3));
        let mut v = View::new(7);
        v.observe(&w, false);
        let img = image(&v);
        assert_eq!(cell(&img, 7, 3, 4), [2, 5, 0], "the wall itself is seen");
        assert_eq!(cell(&img, 7, 3, 2), [0, 0, 0], "the goal behind it is not");
        v.observe(&w, true);
        assert_eq!(cell(&image(&v), 7, 3, 2), [8, 1, 0]);
    }
}
