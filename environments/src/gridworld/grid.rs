//! The grid of cells (MiniGrid's `core/grid.py`): storage, wall drawing and the full encoding.

use super::object::Obj;

const WALL_CODE: u32 = Obj::wall().packed();

/// A grid position `(x, y)`: x grows to the right, y downwards. Signed, because MiniGrid's
/// view arithmetic and layout code step outside the grid before checking.
pub type Pos = (i32, i32);

/// A `width` x `height` grid of objects inside `pad` rings of walls, stored row by row.
///
/// The rings are what the agent's view shows outside the grid (MiniGrid's `Grid.slice` pads with
/// walls), so a view `pad` cells wide reads them without bounds checks. Next to each object the
/// grid keeps its [packed code](Obj::packed), so the view reads one `u32` per cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grid {
    width: i32,
    height: i32,
    pad: i32,
    cells: Vec<Obj>,
    codes: Vec<u32>,
}

impl Grid {
    pub fn new(width: usize, height: usize) -> Grid {
        Grid::padded(width, height, 0)
    }

    /// An empty grid inside `pad` rings of walls.
    pub fn padded(width: usize, height: usize, pad: usize) -> Grid {
        let mut grid = Grid { width: 0, height: 0, pad: pad as i32, cells: Vec::new(), codes: Vec::new() };
        grid.reset(width, height);
        grid
    }

    /// Empties the grid and gives it a new size, reusing its storage.
    pub fn reset(&mut self, width: usize, height: usize) {
        self.width = width as i32;
        self.height = height as i32;
        let len = (self.stride() * (self.height + 2 * self.pad)) as usize;
        self.cells.clear();
        self.cells.resize(len, Obj::wall());
        self.codes.clear();
        self.codes.resize(len, Obj::wall().packed());
        for y in 0..self.height {
            for x in 0..self.width {
                self.set((x, y), Obj::EMPTY);
            }
        }
    }

    pub fn width(&self) -> i32 {
        self.width
    }

    pub fn height(&self) -> i32 {
        self.height
    }

    pub fn contains(&self, (x, y): Pos) -> bool {
        0 <= x && x < self.width && 0 <= y && y < self.height
    }

    /// How many rings of walls surround the grid in storage.
    pub(crate) fn pad(&self) -> usize {
        self.pad as usize
    }

    /// Storage row length: the width and the rings on both sides.
    pub(crate) fn stride(&self) -> i32 {
        self.width + 2 * self.pad
    }

    /// Where `pos` (inside the grid or its rings) is stored.
    #[inline]
    fn slot(&self, (x, y): Pos) -> Option<usize> {
        let (px, py) = (x + self.pad, y + self.pad);
        let inside = 0 <= px && px < self.stride() && 0 <= py && py < self.height + 2 * self.pad;
        inside.then(|| (py * self.stride() + px) as usize)
    }

    /// Where a position inside the grid is stored, for walking the storage by strides.
    pub(crate) fn index(&self, pos: Pos) -> Option<isize> {
        if self.contains(pos) {
            self.slot(pos).map(|i| i as isize)
        } else {
            None
        }
    }

    /// The packed code stored at `index`; a wall's outside the storage.
    #[inline]
    pub(crate) fn code_at(&self, index: isize) -> u32 {
        usize::try_from(index).ok().and_then(|i| self.codes.get(i).copied()).unwrap_or(WALL_CODE)
    }

    /// The object at `pos`; outside the grid a wall, as `Grid.slice` pads the agent's view.
    #[inline]
    pub fn get(&self, pos: Pos) -> Obj {
        self.slot(pos).map_or(Obj::wall(), |i| self.cells[i])
    }

    /// Puts `obj` at `pos`. Layouts only write inside the grid; a write outside is dropped.
    #[inline]
    pub fn set(&mut self, pos: Pos, obj: Obj) {
        debug_assert!(self.contains(pos), "set({pos:?}) outside a {}x{} grid", self.width, self.height);
        if let (true, Some(i)) = (self.contains(pos), self.slot(pos)) {
            self.cells[i] = obj;
            self.codes[i] = obj.packed();
        }
    }

    /// Empties the cell at `pos`.
    pub fn clear(&mut self, pos: Pos) {
        self.set(pos, Obj::EMPTY);
    }

    /// `length` copies of `obj` from `(x, y)` rightwards.
    pub fn horz_wall(&mut self, (x, y): Pos, length: i32, obj: Obj) {
        for i in 0..length {
            self.set((x + i, y), obj);
        }
    }

    /// `length` copies of `obj` from `(x, y)` downwards.
    pub fn vert_wall(&mut self, (x, y): Pos, length: i32, obj: Obj) {
        for j in 0..length {
            self.set((x, y + j), obj);
        }
    }

    /// The outline of a `w` x `h` rectangle of walls with top-left corner `(x, y)`.
    pub fn wall_rect(&mut self, (x, y): Pos, w: i32, h: i32) {
        self.horz_wall((x, y), w, Obj::wall());
        self.horz_wall((x, y + h - 1), w, Obj::wall());
        self.vert_wall((x, y), h, Obj::wall());
        self.vert_wall((x + w - 1, y), h, Obj::wall());
    }

    /// `Grid.encode()`: `width * height * 3` bytes indexed `[x][y][channel]`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.clear();
        for x in 0..self.width {
            for y in 0..self.height {
                out.extend_from_slice(&self.get((x, y)).encode());
            }
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity((self.width * self.height * 3) as usize);
        self.encode_into(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gridworld::object::{Color, ObjType};

    #[test]
    fn wall_rect_outlines_and_encodes_x_major() {
        let mut g = Grid::new(4, 3);
        g.wall_rect((0, 0), 4, 3);
        g.set((2, 1), Obj::key(Color::Blue));
        let enc = g.encode();
        assert_eq!(enc.len(), 36);
        // [x][y][c]: cell (1, 1) is at (1 * 3 + 1) * 3.
        assert_eq!(&enc[12..15], &[1, 0, 0]);
        assert_eq!(&enc[(2 * 3 + 1) * 3..(2 * 3 + 1) * 3 + 3], &[5, 2, 0]);
        let walls = (0..4).flat_map(|x| (0..3).map(move |y| (x, y))).filter(|&p| g.get(p).kind == ObjType::Wall);
        assert_eq!(walls.count(), 10);
    }

    #[test]
    fn outside_reads_as_wall() {
        let g = Grid::new(3, 3);
        assert_eq!(g.get((-1, 0)), Obj::wall());
        assert_eq!(g.get((3, 2)), Obj::wall());
        assert_eq!(g.get((1, 1)), Obj::EMPTY);
    }
}
