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

/// The `size` x `size` view as [packed codes](Obj::packed), indexed `[vx][vy]` like the image,
/// and per view row `vy` two bit masks over `vx`: which cells are visible and which let light
/// through.
#[derive(Clone, Debug)]
pub struct View {
    size: usize,
    codes: Vec<u32>,
    visible: Vec<u64>,
    transparent: Vec<u64>,
}

impl View {
    /// A view of side `size`.
    ///
    /// # Panics
    ///
    /// Above [`MAX_VIEW_SIZE`] (configs are checked against it before they get here).
    pub fn new(size: usize) -> View {
        assert!(size <= MAX_VIEW_SIZE, "view size {size} above {MAX_VIEW_SIZE}");
        View { size, codes: vec![0; size * size], visible: vec![0; size], transparent: vec![0; size] }
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
        if world.grid.pad() + 1 >= self.size {
            self.read_by_strides(world);
        } else {
            self.read_by_positions(world);
        }
        self.transparent.fill(0);
        for (vx, column) in self.codes.chunks_exact(self.size).enumerate() {
            for (row, code) in self.transparent.iter_mut().zip(column) {
                *row |= u64::from(code >> 24) << vx;
            }
        }
        if see_through_walls {
            let full = self.full_row();
            self.visible.fill(full);
        } else {
            self.process_vis();
        }
        let agent_cell = (self.size / 2) * self.size + self.size - 1;
        self.codes[agent_cell] = world.carrying.unwrap_or(Obj::EMPTY).packed();
    }

    /// Reads the view cell by cell: view cell `(vx, vy)` is `size - 1 - vy` cells ahead of the
    /// agent and `vx - size / 2` to its right.
    fn read_by_positions(&mut self, world: &World) {
        let n = self.size as i32;
        let (fx, fy) = world.dir_vec();
        let (rx, ry) = (-fy, fx);
        let (ax, ay) = world.agent_pos;
        for vx in 0..n {
            for vy in 0..n {
                let (ahead, side) = (n - 1 - vy, vx - n / 2);
                let cell = world.grid.get((ax + fx * ahead + rx * side, ay + fy * ahead + ry * side));
                self.codes[(vx * n + vy) as usize] = cell.packed();
            }
        }
    }

    /// The same, walking the grid's storage by strides: its wall rings are wide enough to hold
    /// the whole view, so no cell needs a bounds check.
    fn read_by_strides(&mut self, world: &World) {
        let (n, grid) = (self.size as isize, &world.grid);
        let stride = grid.stride() as isize;
        let (fx, fy) = world.dir_vec();
        let (rx, ry) = (-fy, fx);
        // Storage steps for one cell forward and one cell to the agent's right.
        let (forward, right) = (fy as isize * stride + fx as isize, ry as isize * stride + rx as isize);
        let agent = grid.index(world.agent_pos).unwrap_or(isize::MIN / 2);
        for (vx, column) in self.codes.chunks_exact_mut(self.size).enumerate() {
            let mut at = agent + forward * (n - 1) + right * (vx as isize - n / 2);
            for code in column {
                *code = grid.code_at(at);
                at -= forward;
            }
        }
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
            let backward = fill_down(forward, through, n);
            let emit_backward = backward & through & !1;
            self.visible[j] = backward;
            if j > 0 {
                self.visible[j - 1] |= (emit_forward | emit_forward << 1 | emit_backward | emit_backward >> 1) & full;
            }
        }
    }

    #[inline]
    pub(crate) fn is_visible(&self, vx: usize, vy: usize) -> bool {
        self.visible[vy] >> vx & 1 == 1
    }

    /// The encoding of view cell `(vx, vy)`, seen or not (the agent's own cell holds what it
    /// carries).
    #[inline]
    pub(crate) fn cell(&self, vx: usize, vy: usize) -> [u8; 3] {
        let code = self.codes[vx * self.size + vy].to_le_bytes();
        [code[0], code[1], code[2]]
    }

    /// Calls `write` with each cell's slot of `out` (3 values, in `[vx][vy]` order) and its
    /// encoding; unseen cells are `(0, 0, 0)`.
    #[inline]
    fn encode_into<T>(&self, out: &mut [T], mut write: impl FnMut(&mut [T], [u8; 3])) {
        let mut slots = out.chunks_exact_mut(3);
        for vx in 0..self.size {
            for vy in 0..self.size {
                let Some(slot) = slots.next() else { return };
                let code = if self.is_visible(vx, vy) { self.codes[vx * self.size + vy].to_le_bytes() } else { [0; 4] };
                write(slot, [code[0], code[1], code[2]]);
            }
        }
    }

    /// Writes the image bytes into `out` (length [`View::image_len`]).
    pub fn write_u8(&self, out: &mut [u8]) {
        self.encode_into(out, |slot, code| slot.copy_from_slice(&code));
    }

    /// Writes the image as f32 numbers into `out` (length [`View::image_len`]).
    pub fn write_f32(&self, out: &mut [f32]) {
        self.encode_into(out, |slot, code| {
            slot[0] = code[0] as f32;
            slot[1] = code[1] as f32;
            slot[2] = code[2] as f32;
        });
    }
}

/// The cells lit by sweeping towards higher bits: each seed that lets light through lights the
/// run of transparent cells above it and the first opaque cell after the run. Adding the
/// transparent seeds to the transparency mask carries through exactly those runs.
#[inline]
fn fill_up(seeds: u64, through: u64) -> u64 {
    seeds | (((seeds & through) + through) ^ through)
}

/// The cells lit by sweeping towards lower bits. The lit cells that let light through form runs
/// down through transparent cells; they are grown by doubling steps (a Kogge-Stone fill), then
/// each lights the cell below it.
#[inline]
fn fill_down(seeds: u64, through: u64, n: usize) -> u64 {
    let (mut passing, mut open) = (seeds & through, through);
    let mut shift = 1;
    while shift < n {
        passing |= open & (passing >> shift);
        open &= open >> shift;
        shift *= 2;
    }
    seeds | (passing >> 1)
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
    fn padded_and_unpadded_grids_give_the_same_view() {
        let mut rng = crate::rng::Generator::from_seed(9);
        for _ in 0..200 {
            let mut plain = World::new(6, 5, 10);
            let mut padded = World::padded(6, 5, 10, 6);
            for w in [&mut plain, &mut padded] {
                w.grid.wall_rect((0, 0), 6, 5);
                w.put_obj(Obj::key(Color::Red), (2, 2));
                w.put_obj(Obj::door(Color::Blue, false), (3, 1));
            }
            let pos = (rng.integers(0, 6) as i32, rng.integers(0, 5) as i32);
            let dir = rng.integers(0, 4) as usize;
            let (mut a, mut b) = (View::new(7), View::new(7));
            for (w, v) in [(&mut plain, &mut a), (&mut padded, &mut b)] {
                (w.agent_pos, w.agent_dir) = (pos, dir);
                v.observe(w, false);
            }
            assert_eq!(image(&a), image(&b), "agent at {pos:?} facing {dir}");
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
