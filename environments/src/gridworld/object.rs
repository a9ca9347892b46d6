//! World objects and MiniGrid's index tables (`core/constants.py`, `core/world_object.py`).
//!
//! A cell holds an [`Obj`] by value; an empty cell is an `Obj` of type [`ObjType::Empty`], so the
//! grid needs no `Option` and encoding a cell is reading three bytes.

/// Object types, with MiniGrid's `OBJECT_TO_IDX` as discriminants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ObjType {
    Unseen = 0,
    Empty = 1,
    Wall = 2,
    Floor = 3,
    Door = 4,
    Key = 5,
    Ball = 6,
    Box = 7,
    Goal = 8,
    Lava = 9,
    Agent = 10,
}

impl ObjType {
    /// MiniGrid's name of the type (`"key"`, `"ball"`, ...), as missions spell it.
    pub fn name(self) -> &'static str {
        match self {
            ObjType::Unseen => "unseen",
            ObjType::Empty => "empty",
            ObjType::Wall => "wall",
            ObjType::Floor => "floor",
            ObjType::Door => "door",
            ObjType::Key => "key",
            ObjType::Ball => "ball",
            ObjType::Box => "box",
            ObjType::Goal => "goal",
            ObjType::Lava => "lava",
            ObjType::Agent => "agent",
        }
    }
}

/// The object types `RoomGrid.add_object` and the object-placing envs draw from, in MiniGrid's order.
pub const PICKABLE_TYPES: [ObjType; 3] = [ObjType::Key, ObjType::Ball, ObjType::Box];

/// Colours, with MiniGrid's `COLOR_TO_IDX` as discriminants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Color {
    Red = 0,
    Green = 1,
    Blue = 2,
    Purple = 3,
    Yellow = 4,
    Grey = 5,
}

/// MiniGrid's `COLOR_NAMES = sorted(COLORS)`: the order random colours are drawn from. It is
/// not the index order, which is why it is spelled out.
pub const COLOR_NAMES: [Color; 6] = [Color::Blue, Color::Green, Color::Grey, Color::Purple, Color::Red, Color::Yellow];

impl Color {
    pub fn name(self) -> &'static str {
        match self {
            Color::Red => "red",
            Color::Green => "green",
            Color::Blue => "blue",
            Color::Purple => "purple",
            Color::Yellow => "yellow",
            Color::Grey => "grey",
        }
    }

    /// The RGB value MiniGrid draws this colour with (`COLORS`).
    pub fn rgb(self) -> [u8; 3] {
        match self {
            Color::Red => [255, 0, 0],
            Color::Green => [0, 255, 0],
            Color::Blue => [0, 0, 255],
            Color::Purple => [112, 39, 195],
            Color::Yellow => [255, 255, 0],
            Color::Grey => [100, 100, 100],
        }
    }
}

/// Door states, with MiniGrid's `STATE_TO_IDX` as values. Every other object has state 0.
pub const STATE_OPEN: u8 = 0;
pub const STATE_CLOSED: u8 = 1;
pub const STATE_LOCKED: u8 = 2;

/// One object, or the empty cell. `Copy`: moving an object is copying five bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Obj {
    pub kind: ObjType,
    pub color: Color,
    /// Door state (`STATE_*`); 0 for everything else.
    pub state: u8,
    /// What a box holds (type and colour); toggling the box replaces it with this.
    pub contains: Option<(ObjType, Color)>,
}

impl Obj {
    /// The empty cell, encoded `(1, 0, 0)`.
    pub const EMPTY: Obj = Obj { kind: ObjType::Empty, color: Color::Red, state: 0, contains: None };

    /// A plain object of a type and colour (keys, balls, empty boxes, walls, floors).
    pub const fn new(kind: ObjType, color: Color) -> Obj {
        Obj { kind, color, state: 0, contains: None }
    }

    pub const fn wall() -> Obj {
        Obj::new(ObjType::Wall, Color::Grey)
    }

    pub const fn goal() -> Obj {
        Obj::new(ObjType::Goal, Color::Green)
    }

    pub const fn lava() -> Obj {
        Obj::new(ObjType::Lava, Color::Red)
    }

    pub const fn key(color: Color) -> Obj {
        Obj::new(ObjType::Key, color)
    }

    pub const fn ball(color: Color) -> Obj {
        Obj::new(ObjType::Ball, color)
    }

    /// A box, holding `contains` (MiniGrid boxes hold a key or nothing).
    pub const fn boxed(color: Color, contains: Option<(ObjType, Color)>) -> Obj {
        Obj { kind: ObjType::Box, color, state: 0, contains }
    }

    /// A closed door, locked or not.
    pub const fn door(color: Color, locked: bool) -> Obj {
        Obj { kind: ObjType::Door, color, state: if locked { STATE_LOCKED } else { STATE_CLOSED }, contains: None }
    }

    pub fn is_empty(&self) -> bool {
        self.kind == ObjType::Empty
    }

    pub fn is_open(&self) -> bool {
        self.kind == ObjType::Door && self.state == STATE_OPEN
    }

    pub fn is_locked(&self) -> bool {
        self.kind == ObjType::Door && self.state == STATE_LOCKED
    }

    /// The agent may stand here: empty cells, goals, floors, lava and open doors.
    pub fn can_overlap(&self) -> bool {
        match self.kind {
            ObjType::Empty | ObjType::Goal | ObjType::Floor | ObjType::Lava => true,
            ObjType::Door => self.state == STATE_OPEN,
            _ => false,
        }
    }

    pub fn can_pickup(&self) -> bool {
        matches!(self.kind, ObjType::Key | ObjType::Ball | ObjType::Box)
    }

    /// Light passes: everything but walls and closed or locked doors.
    pub const fn see_behind(&self) -> bool {
        match self.kind {
            ObjType::Wall => false,
            ObjType::Door => self.state == STATE_OPEN,
            _ => true,
        }
    }

    /// `(type, colour, state)`, MiniGrid's three-byte cell encoding.
    #[inline]
    pub fn encode(&self) -> [u8; 3] {
        [self.kind as u8, self.color as u8, self.state]
    }

    /// The encoding in the low three bytes and whether light passes in the fourth: all the view
    /// needs of a cell, in one load.
    #[inline]
    pub const fn packed(&self) -> u32 {
        u32::from_le_bytes([self.kind as u8, self.color as u8, self.state, self.see_behind() as u8])
    }

    /// The two characters `pprint_grid` draws for this object (`None` for the empty cell).
    pub fn text(&self) -> [char; 2] {
        let color = self.color.name().chars().next().map_or('?', |c| c.to_ascii_uppercase());
        let symbol = match self.kind {
            ObjType::Empty | ObjType::Unseen | ObjType::Agent => return [' ', ' '],
            ObjType::Door if self.is_open() => return ['_', '_'],
            ObjType::Door if self.is_locked() => 'L',
            ObjType::Door => 'D',
            ObjType::Wall => 'W',
            ObjType::Floor => 'F',
            ObjType::Key => 'K',
            ObjType::Ball => 'A',
            ObjType::Box => 'B',
            ObjType::Goal => 'G',
            ObjType::Lava => 'V',
        };
        [symbol, color]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_minigrid_tables() {
        assert_eq!(Obj::EMPTY.encode(), [1, 0, 0]);
        assert_eq!(Obj::wall().encode(), [2, 5, 0]);
        assert_eq!(Obj::goal().encode(), [8, 1, 0]);
        assert_eq!(Obj::lava().encode(), [9, 0, 0]);
        assert_eq!(Obj::door(Color::Yellow, true).encode(), [4, 4, 2]);
        assert_eq!(Obj::door(Color::Purple, false).encode(), [4, 3, 1]);
        assert_eq!(Obj::boxed(Color::Grey, Some((ObjType::Key, Color::Red))).encode(), [7, 5, 0]);
    }

    #[test]
    fn color_names_are_sorted_names() {
        let names: Vec<&str> = COLOR_NAMES.iter().map(|c| c.name()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), 6);
    }

    #[test]
    fn doors_block_sight_and_passage_until_open() {
        let mut door = Obj::door(Color::Red, false);
        assert!(!door.can_overlap() && !door.see_behind());
        door.state = STATE_OPEN;
        assert!(door.can_overlap() && door.see_behind() && door.is_open());
        assert!(!Obj::wall().see_behind() && Obj::ball(Color::Blue).see_behind());
        assert_eq!(Obj::door(Color::Grey, true).text(), ['L', 'G']);
    }
}
