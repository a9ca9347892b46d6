//! The state of a MiniGrid episode, its step rules, and the random helpers layouts are built with
//! (`MiniGridEnv` in `minigrid_env.py`).
//!
//! Layouts must draw from the RNG in exactly MiniGrid's order, so every helper here draws exactly
//! what its MiniGrid namesake draws: `rand_int` is one `integers(low, high)`, `rand_elem` one
//! `integers(0, len)`, `place_obj` one `(x, y)` pair per try, and so on.

use super::grid::{Grid, Pos};
use super::object::{Color, Obj, ObjType, COLOR_NAMES, STATE_OPEN};
use crate::env::Transition;
use crate::error::{EnvError, Result};
use crate::rng::Generator;

/// MiniGrid's seven actions (`core/actions.py`), with their indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Action {
    Left = 0,
    Right = 1,
    Forward = 2,
    Pickup = 3,
    Drop = 4,
    Toggle = 5,
    Done = 6,
}

impl Action {
    pub const ALL: [Action; 7] =
        [Action::Left, Action::Right, Action::Forward, Action::Pickup, Action::Drop, Action::Toggle, Action::Done];

    pub fn from_index(index: i64) -> Option<Action> {
        usize::try_from(index).ok().and_then(|i| Action::ALL.get(i).copied())
    }
}

/// Unit steps for directions 0 (right, +x), 1 (down, +y), 2 (left) and 3 (up).
pub const DIR_TO_VEC: [Pos; 4] = [(1, 0), (0, 1), (-1, 0), (0, -1)];

/// How many positions `place_obj` may try before giving up (MiniGrid's `max_tries`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tries {
    /// MiniGrid raises after `n + 1` rejected tries; so does this, with an error.
    Bounded(u32),
    /// MiniGrid's default `math.inf`: tries until it succeeds. Here, a placement that cannot
    /// succeed (no free cell) is an error instead of an endless loop.
    Unbounded,
}

/// After this many rejections an unbounded placement checks that some cell could still succeed.
const UNBOUNDED_CHECK_EVERY: u64 = 10_000;

/// Everything an episode changes: the grid, the agent, the step counter, the mission, the RNG.
#[derive(Clone, Debug)]
pub struct World {
    pub grid: Grid,
    pub agent_pos: Pos,
    /// 0 right, 1 down, 2 left, 3 up.
    pub agent_dir: usize,
    pub carrying: Option<Obj>,
    pub step_count: u32,
    pub max_steps: u32,
    pub mission: String,
    rng: Generator,
}

impl World {
    pub fn new(width: usize, height: usize, max_steps: u32) -> World {
        World::padded(width, height, max_steps, 0)
    }

    /// A world whose grid sits in `pad` rings of walls, so a view of side `pad + 1` reads the
    /// grid without bounds checks.
    pub fn padded(width: usize, height: usize, max_steps: u32, pad: usize) -> World {
        World {
            grid: Grid::padded(width, height, pad),
            agent_pos: (-1, -1),
            agent_dir: 0,
            carrying: None,
            step_count: 0,
            max_steps,
            mission: String::new(),
            rng: Generator::from_seed(0),
        }
    }

    /// The episode's random generator (`np_random`).
    pub fn rng(&mut self) -> &mut Generator {
        &mut self.rng
    }

    pub(crate) fn set_rng(&mut self, rng: Generator) {
        self.rng = rng;
    }

    /// Clears the episode state before a layout is generated (`MiniGridEnv.reset`).
    pub(crate) fn begin_episode(&mut self, width: usize, height: usize) {
        self.grid.reset(width, height);
        self.agent_pos = (-1, -1);
        self.agent_dir = 0;
        self.carrying = None;
        self.step_count = 0;
        self.mission.clear();
    }

    /// Replaces the mission text, reusing its storage.
    pub fn set_mission(&mut self, text: std::fmt::Arguments) {
        use std::fmt::Write;
        self.mission.clear();
        // Writing into a String cannot fail.
        let _ = self.mission.write_fmt(text);
    }

    pub fn dir_vec(&self) -> Pos {
        DIR_TO_VEC[self.agent_dir % 4]
    }

    /// The cell the agent faces.
    pub fn front_pos(&self) -> Pos {
        let (dx, dy) = self.dir_vec();
        (self.agent_pos.0 + dx, self.agent_pos.1 + dy)
    }

    /// `1 - 0.9 * step_count / max_steps`, the reward for success.
    pub fn success_reward(&self) -> f64 {
        1.0 - 0.9 * (self.step_count as f64 / self.max_steps as f64)
    }

    /// `MiniGridEnv.step`: the shared rules, before any environment adds its own.
    pub fn step(&mut self, action: Action) -> Transition {
        self.step_count += 1;
        let mut t = Transition::default();
        let front = self.front_pos();
        let cell = self.grid.get(front);
        match action {
            Action::Left => self.agent_dir = (self.agent_dir + 3) % 4,
            Action::Right => self.agent_dir = (self.agent_dir + 1) % 4,
            Action::Forward => {
                if cell.can_overlap() {
                    self.agent_pos = front;
                }
                if cell.kind == ObjType::Goal {
                    t.terminated = true;
                    t.reward = self.success_reward();
                }
                if cell.kind == ObjType::Lava {
                    t.terminated = true;
                }
            }
            Action::Pickup => {
                if cell.can_pickup() && self.carrying.is_none() {
                    self.carrying = Some(cell);
                    self.grid.clear(front);
                }
            }
            Action::Drop => {
                if cell.is_empty() {
                    if let Some(obj) = self.carrying.take() {
                        self.grid.set(front, obj);
                    }
                }
            }
            Action::Toggle => self.toggle(front, cell),
            Action::Done => {}
        }
        t.truncated = self.step_count >= self.max_steps;
        t
    }

    /// A door opens or closes (a locked one opens only for a key of its colour); a box turns
    /// into what it holds.
    fn toggle(&mut self, pos: Pos, mut cell: Obj) {
        match cell.kind {
            ObjType::Door if cell.is_locked() => {
                let has_key = self.carrying.is_some_and(|c| c.kind == ObjType::Key && c.color == cell.color);
                if has_key {
                    cell.state = STATE_OPEN;
                    self.grid.set(pos, cell);
                }
            }
            ObjType::Door => {
                cell.state = if cell.is_open() { super::object::STATE_CLOSED } else { STATE_OPEN };
                self.grid.set(pos, cell);
            }
            ObjType::Box => {
                let inside = cell.contains.map_or(Obj::EMPTY, |(kind, color)| Obj::new(kind, color));
                self.grid.set(pos, inside);
            }
            _ => {}
        }
    }

    // ----- Random helpers, each drawing exactly what MiniGrid's namesake draws. -----

    /// `_rand_int(low, high)`: `integers(low, high)`, high exclusive; an empty range is an error
    /// (numpy raises too).
    pub fn rand_int(&mut self, low: i32, high: i32) -> Result<i32> {
        if high <= low {
            return Err(EnvError::LayoutFailed(format!("empty random range [{low}, {high})")));
        }
        Ok(self.rng.integers(low as i64, high as i64) as i32)
    }

    /// `_rand_bool()`: `integers(0, 2) == 0`.
    pub fn rand_bool(&mut self) -> bool {
        self.rng.integers(0, 2) == 0
    }

    /// `_rand_elem(items)`: one `integers(0, len)`.
    pub fn rand_elem<T: Copy>(&mut self, items: &[T]) -> Result<T> {
        let i = self.rand_int(0, items.len() as i32)?;
        Ok(items[i as usize])
    }

    /// `_rand_color()`: an element of the sorted colour names.
    pub fn rand_color(&mut self) -> Color {
        COLOR_NAMES[self.rng.integers(0, COLOR_NAMES.len() as i64) as usize]
    }

    /// `_rand_subset(items, n)`: `n` distinct elements, each drawn from those left.
    pub fn rand_subset<T: Copy>(&mut self, items: &[T], n: usize) -> Result<Vec<T>> {
        let mut left = items.to_vec();
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let i = self.rand_int(0, left.len() as i32)? as usize;
            out.push(left.remove(i));
        }
        Ok(out)
    }

    /// `_rand_pos(x_low, x_high, y_low, y_high)`: x drawn first.
    pub fn rand_pos(&mut self, x_low: i32, x_high: i32, y_low: i32, y_high: i32) -> Result<Pos> {
        Ok((self.rand_int(x_low, x_high)?, self.rand_int(y_low, y_high)?))
    }

    /// `put_obj`: `obj` at a fixed position.
    pub fn put_obj(&mut self, obj: Obj, pos: Pos) {
        self.grid.set(pos, obj);
    }

    /// `place_obj(obj)` anywhere in the grid, no filter, unbounded tries.
    pub fn place_anywhere(&mut self, obj: Obj) -> Result<Pos> {
        self.place_obj(obj, (0, 0), (self.grid.width(), self.grid.height()), |_, _| false, Tries::Unbounded)
    }

    /// `place_obj(obj, top, size, reject_fn, max_tries)`: rejection sampling of a free cell (empty,
    /// not the agent's, not rejected) in the rectangle at `top` of `size`, clipped to the grid.
    pub fn place_obj(
        &mut self,
        obj: Obj,
        top: Pos,
        size: Pos,
        reject: impl Fn(&World, Pos) -> bool,
        tries: Tries,
    ) -> Result<Pos> {
        let top = (top.0.max(0), top.1.max(0));
        let x_end = (top.0 + size.0).min(self.grid.width());
        let y_end = (top.1 + size.1).min(self.grid.height());
        let free = |w: &World, pos: Pos| w.grid.get(pos).is_empty() && pos != w.agent_pos && !reject(w, pos);
        let mut rejected: u64 = 0;
        loop {
            match tries {
                Tries::Bounded(max) if rejected > max as u64 => {
                    return Err(EnvError::LayoutFailed(format!(
                        "no free cell found in {} tries in the area at {top:?} of size {size:?}",
                        max + 1
                    )))
                }
                Tries::Unbounded if rejected > 0 && rejected.is_multiple_of(UNBOUNDED_CHECK_EVERY) => {
                    let any_free = (top.0..x_end).any(|x| (top.1..y_end).any(|y| free(self, (x, y))));
                    if !any_free {
                        return Err(EnvError::LayoutFailed(format!(
                            "no free cell exists in the area at {top:?} of size {size:?}"
                        )));
                    }
                }
                _ => {}
            }
            let pos = (self.rand_int(top.0, x_end)?, self.rand_int(top.1, y_end)?);
            if free(self, pos) {
                self.grid.set(pos, obj);
                return Ok(pos);
            }
            rejected += 1;
        }
    }

    /// `place_agent(top, size, rand_dir=True, max_tries)`: a free cell, then a random direction.
    pub fn place_agent(&mut self, top: Pos, size: Pos, tries: Tries) -> Result<Pos> {
        self.agent_pos = (-1, -1);
        let pos = self.place_obj(Obj::EMPTY, top, size, |_, _| false, tries)?;
        self.agent_pos = pos;
        self.agent_dir = self.rand_int(0, 4)? as usize;
        Ok(pos)
    }

    /// `place_agent()` anywhere in the grid.
    pub fn place_agent_anywhere(&mut self) -> Result<Pos> {
        self.place_agent((0, 0), (self.grid.width(), self.grid.height()), Tries::Unbounded)
    }

    /// `pprint_grid()`: two characters per cell, the agent drawn as its direction arrow.
    pub fn to_text(&self) -> String {
        const ARROWS: [char; 4] = ['>', 'V', '<', '^'];
        let mut out = String::new();
        for y in 0..self.grid.height() {
            for x in 0..self.grid.width() {
                let [a, b] = if (x, y) == self.agent_pos {
                    [ARROWS[self.agent_dir % 4]; 2]
                } else {
                    self.grid.get((x, y)).text()
                };
                out.push(a);
                out.push(b);
            }
            if y + 1 < self.grid.height() {
                out.push('\n');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walled(size: usize) -> World {
        let mut w = World::new(size, size, 100);
        w.grid.wall_rect((0, 0), size as i32, size as i32);
        w
    }

    #[test]
    fn locked_door_opens_only_with_its_key() {
        let mut w = walled(5);
        w.agent_pos = (1, 1);
        w.put_obj(Obj::door(Color::Yellow, true), (2, 1));
        w.step(Action::Toggle);
        assert!(w.grid.get((2, 1)).is_locked());
        w.carrying = Some(Obj::key(Color::Blue));
        w.step(Action::Toggle);
        assert!(w.grid.get((2, 1)).is_locked());
        w.carrying = Some(Obj::key(Color::Yellow));
        w.step(Action::Toggle);
        assert!(w.grid.get((2, 1)).is_open());
        w.step(Action::Forward);
        assert_eq!(w.agent_pos, (2, 1));
    }

    #[test]
    fn box_toggles_into_its_contents_and_pickup_drop_move_objects() {
        let mut w = walled(5);
        w.agent_pos = (1, 1);
        w.put_obj(Obj::boxed(Color::Grey, Some((ObjType::Key, Color::Red))), (2, 1));
        w.step(Action::Toggle);
        assert_eq!(w.grid.get((2, 1)), Obj::key(Color::Red));
        w.step(Action::Pickup);
        assert_eq!((w.carrying, w.grid.get((2, 1))), (Some(Obj::key(Color::Red)), Obj::EMPTY));
        w.step(Action::Right);
        w.step(Action::Drop);
        assert_eq!((w.carrying, w.grid.get((1, 2))), (None, Obj::key(Color::Red)));
    }

    #[test]
    fn goal_pays_the_time_discounted_reward_and_time_runs_out() {
        let mut w = walled(4);
        w.max_steps = 4;
        w.agent_pos = (1, 2);
        w.put_obj(Obj::goal(), (2, 2));
        w.step(Action::Left);
        w.step(Action::Right);
        let t = w.step(Action::Forward);
        assert!(t.terminated && !t.truncated);
        assert_eq!(t.reward, 1.0 - 0.9 * (3.0 / 4.0));
        assert!(w.step(Action::Done).truncated);
    }

    #[test]
    fn impossible_placement_is_an_error_not_a_hang() {
        let mut w = walled(3);
        w.agent_pos = (1, 1);
        let err = w.place_anywhere(Obj::ball(Color::Red)).unwrap_err();
        assert!(matches!(err, EnvError::LayoutFailed(_)), "{err}");
        let err = w.place_obj(Obj::EMPTY, (0, 0), (3, 3), |_, _| false, Tries::Bounded(5)).unwrap_err();
        assert!(err.to_string().contains("6 tries"), "{err}");
        assert!(w.rand_int(3, 3).is_err());
    }

    #[test]
    fn text_draws_objects_and_the_agent() {
        let mut w = walled(3);
        w.agent_pos = (1, 1);
        w.agent_dir = 3;
        assert_eq!(w.to_text(), "WGWGWG\nWG^^WG\nWGWGWG");
    }
}
