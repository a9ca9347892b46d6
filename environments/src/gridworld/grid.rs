//! The grid of cells (MiniGrid's `core/grid.py`): storage, wall drawing and the full encoding.

use super::object::Obj;

/// A grid position `(x, y)`: x grows to the right, y downwards. Signed, because MiniGrid's
/// view arithmetic and layout code step outside the grid before checking.
pub type Pos = (i32, i32);

/// A `width` x `height` grid of objects, stored row by row (`cells[y * width + x]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grid {
    width: i32,
    height: i32,
    cells: Vec<Obj>,
}

impl Grid {
    pub fn new(width: usize, height: usize) -> Grid {
        Grid { width: width as i32, height: height as i32, cells: vec![Obj::EMPTY; width * height] }
    }

    /// Empties the grid and gives it a new size, reusing its storage.
    pub fn reset(&mut self, width: usize, height: usize) {
        self.width = width as i32;
        self.height = height as i32;
        self.cells.clear();
        self.cells.resize(width * height, Obj::EMPTY);
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

    /// The object at `pos`; outside the grid a wall, as `Grid.slice` pads the agent's view.
    #[inline]
    pub fn get(&self, pos: Pos) -> Obj {
        if self.contains(pos) {
            self.cells[(pos.1 * self.width + pos.0) as usize]
        } else {
            Obj::wall()
        }
    }

    /// Puts `obj` at `pos`. Layouts only write inside the grid; a write outside is dropped.
    #[inline]
    pub fn set(&mut self, pos: Pos, obj: Obj) {
        debug_assert!(self.contains(pos), "set({pos:?}) outside a {}x{} grid", self.width, self.height);
        if self.contains(pos) {
            self.cells[(pos.1 * self.width + pos.0) as usize] = obj;
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
        let mut out = Vec::with_capacity(self.cells.len() * 3);
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
