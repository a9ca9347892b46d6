//! The "open" levels (`envs/babyai/open.py`).

use crate::error::Result;
use crate::gridworld::babyai::instr::{Clause, Instr, ObjDesc, SeqKind, LOCS};
use crate::gridworld::babyai::level::{check_objs_reachable, Mission};
use crate::gridworld::{Color, ObjType, Rooms, World, COLOR_NAMES};

fn open(color: Color, strict: bool) -> Instr {
    Instr::clause_strict(Clause::Open(ObjDesc::of(ObjType::Door, color)), strict)
}

/// Open: any door of a maze full of distractors.
pub struct Open;

impl Mission for Open {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        rooms.place_agent(w, None, None)?;
        rooms.connect_all(w)?;
        rooms.add_distractors(w, None, 18, false)?;
        check_objs_reachable(w)?;
        // Every door of every room, by room column then row, walls right, down, left, up (a door
        // between two rooms counts twice, as in MiniGrid).
        let mut doors = Vec::new();
        for i in 0..rooms.num_cols {
            for j in 0..rooms.num_rows {
                let room = rooms.room(i, j);
                for k in 0..4 {
                    if let (true, Some(pos)) = (room.passages[k], room.door_pos[k]) {
                        doors.push(w.grid.get(pos));
                    }
                }
            }
        }
        let door = w.rand_elem(&doors)?;
        Ok(open(door.color, false))
    }
}

/// OpenRedDoor: the red door between two rooms.
pub struct OpenRedDoor;

impl Mission for OpenRedDoor {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        rooms.add_door(w, (0, 0), 0, Some(Color::Red), Some(false))?;
        rooms.place_agent(w, Some(0), Some(0))?;
        Ok(open(Color::Red, false))
    }
}

/// How OpenDoor names its door.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectBy {
    Color,
    Loc,
}

/// OpenDoor: one of four doors of distinct colours, named by colour or by location (`None`:
/// drawn per episode); `debug` fails on a wrong door.
pub struct OpenDoor {
    pub select_by: Option<SelectBy>,
    pub debug: bool,
}

impl Mission for OpenDoor {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        let colors = w.rand_subset(&COLOR_NAMES, 4)?;
        let mut first = None;
        for (k, &color) in colors.iter().enumerate() {
            let (door, _) = rooms.add_door(w, (1, 1), k, Some(color), Some(false))?;
            first.get_or_insert(door);
        }
        let door = first.expect("four doors were added");
        let select_by = match self.select_by {
            Some(s) => s,
            None => w.rand_elem(&[SelectBy::Color, SelectBy::Loc])?,
        };
        let desc = match select_by {
            SelectBy::Color => ObjDesc::new(Some(door.kind), Some(door.color), None),
            SelectBy::Loc => ObjDesc::new(Some(door.kind), None, Some(w.rand_elem(&LOCS)?)),
        };
        rooms.place_agent(w, Some(1), Some(1))?;
        Ok(Instr::clause_strict(Clause::Open(desc), self.debug))
    }
}

/// OpenTwoDoors: the door on the left wall, then the one on the right (colours given or drawn);
/// `strict` fails on opening the second first.
pub struct OpenTwoDoors {
    pub first_color: Option<Color>,
    pub second_color: Option<Color>,
    pub strict: bool,
}

impl Mission for OpenTwoDoors {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        let colors = w.rand_subset(&COLOR_NAMES, 2)?;
        let first = self.first_color.unwrap_or(colors[0]);
        let second = self.second_color.unwrap_or(colors[1]);
        let (door1, _) = rooms.add_door(w, (1, 1), 2, Some(first), Some(false))?;
        let (door2, _) = rooms.add_door(w, (1, 1), 0, Some(second), Some(false))?;
        rooms.place_agent(w, Some(1), Some(1))?;
        Ok(Instr::seq(SeqKind::Before, open(door1.color, self.strict), open(door2.color, false)))
    }
}

/// OpenDoorsOrder: of `num_doors` doors, open one, or two in an order.
pub struct OpenDoorsOrder {
    pub num_doors: usize,
    pub debug: bool,
}

impl Mission for OpenDoorsOrder {
    fn generate(&mut self, w: &mut World, rooms: &mut Rooms) -> Result<Instr> {
        let colors = w.rand_subset(&COLOR_NAMES, self.num_doors)?;
        let mut doors = Vec::new();
        for &color in &colors {
            doors.push(rooms.add_door_on_random_wall(w, (1, 1), Some(color), Some(false))?.0);
        }
        rooms.place_agent(w, Some(1), Some(1))?;
        let pair = w.rand_subset(&doors, 2)?;
        let (a, b) = (open(pair[0].color, self.debug), open(pair[1].color, self.debug));
        Ok(match w.rand_int(0, 3)? {
            0 => a,
            1 => Instr::seq(SeqKind::Before, a, b),
            _ => Instr::seq(SeqKind::After, a, b),
        })
    }
}
