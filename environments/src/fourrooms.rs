//! `Fourrooms-v0`: the tabular four-rooms domain of the option-critic paper (Bacon, Harb &
//! Precup 2017, after Sutton, Precup & Singh 1999), as `jeanharb/option_critic`'s
//! `fourrooms/fourrooms.py` defines it.
//!
//! - 13x13 cells, 104 of them free, numbered row by row (the observation is that number, a
//!   `Discrete(104)`; learners see it one-hot);
//! - actions 0 up, 1 down, 2 left, 3 right; a move into a wall leaves the agent where it is;
//!   a move that succeeds is followed, with probability 1/3, by a move to a uniformly drawn free
//!   neighbour of the new cell (the script's dynamics: its docstring describes the noise as
//!   replacing the move, the code adds it after a successful one);
//! - reward 1 on reaching the goal, which ends the episode; 0 otherwise;
//! - each episode starts in a uniformly drawn free cell other than the goal.
//!
//! The goal is state 62, the doorway between the two eastern rooms; the `goal` kwarg moves it
//! (the transfer experiment moves it to one of [`NEXT_GOALS`], the lower-right room's cells,
//! after 1000 episodes). Departures from the script: the random draws come from numpy's
//! `Generator` seeded by `reset(seed)` as everywhere in limbic (the script shares one
//! `RandomState(1234)` across all episodes), and the start excludes the current goal (the
//! script excludes state 62 even after the goal moved). `scripts/record_fourrooms_fixtures.py`
//! runs the script's class with its generator swapped for numpy's `Generator`; the trajectories
//! it records are tested step by step. Time limit: 1000 steps, the experiment's episode cap.

use crate::env::{check_option_keys, Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::registry::{EnvSpec, Kwargs};
use crate::render::Frame;
use crate::rng::Generator;
use crate::space::Space;
use crate::value::Value;
use serde_json::json;

/// The layout, `w` a wall.
const LAYOUT: [&str; 13] = [
    "wwwwwwwwwwwww",
    "w     w     w",
    "w     w     w",
    "w           w",
    "w     w     w",
    "w     w     w",
    "ww wwww     w",
    "w     www www",
    "w     w     w",
    "w     w     w",
    "w           w",
    "w     w     w",
    "wwwwwwwwwwwww",
];
/// Side of the grid.
pub const SIZE: usize = 13;
/// Free cells (states).
pub const STATES: usize = 104;
/// The paper's goal: the doorway between the north-east and south-east rooms.
pub const DEFAULT_GOAL: usize = 62;
/// The cells the transfer experiment moves the goal to (`transfer.py`'s `possible_next_goals`).
pub const NEXT_GOALS: [usize; 21] =
    [68, 69, 70, 71, 72, 78, 79, 80, 81, 82, 88, 89, 90, 91, 92, 93, 99, 100, 101, 102, 103];
/// (row, column) steps of the four actions: up, down, left, right.
const MOVES: [(isize, isize); 4] = [(-1, 0), (1, 0), (0, -1), (0, 1)];
/// Pixels per cell in pictures.
pub const CELL_PIXELS: usize = 24;

/// The four-rooms domain; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct FourRooms {
    goal: usize,
    /// (row, column) of each state.
    cells: Vec<(usize, usize)>,
    /// The agent's state, once reset.
    state: Option<usize>,
    rng: Option<Generator>,
    obs_space: Space,
    act_space: Space,
}

impl FourRooms {
    /// The domain with the goal at state `goal` (0..104).
    pub fn new(goal: usize) -> Result<FourRooms> {
        if goal >= STATES {
            return Err(EnvError::BadKwarg {
                key: "goal".into(),
                message: format!("{goal} is not a state: states are 0 to {}", STATES - 1),
            });
        }
        let cells = (0..SIZE).flat_map(|r| (0..SIZE).map(move |c| (r, c))).filter(|&(r, c)| !wall(r, c)).collect();
        Ok(FourRooms {
            goal,
            cells,
            state: None,
            rng: None,
            obs_space: Space::discrete(STATES as i64),
            act_space: Space::discrete(4),
        })
    }

    pub fn goal(&self) -> usize {
        self.goal
    }

    /// Moves the goal to state `goal` (the transfer experiment); it applies from the next
    /// reset on.
    pub fn set_goal(&mut self, goal: usize) -> Result<()> {
        *self = FourRooms { state: self.state, rng: self.rng.take(), ..FourRooms::new(goal)? };
        Ok(())
    }

    /// The agent's state, once reset.
    pub fn state(&self) -> Option<usize> {
        self.state
    }

    /// (row, column) of a state.
    pub fn cell(&self, state: usize) -> (usize, usize) {
        self.cells[state]
    }

    fn state_of(&self, cell: (usize, usize)) -> usize {
        self.cells.binary_search(&cell).expect("a free cell")
    }

    /// The free cells next to `cell`, in action order (the script's `empty_around`).
    fn free_neighbours(&self, (r, c): (usize, usize)) -> Vec<(usize, usize)> {
        MOVES
            .iter()
            .map(|&(dr, dc)| (r.wrapping_add_signed(dr), c.wrapping_add_signed(dc)))
            .filter(|&(r, c)| !wall(r, c))
            .collect()
    }

    fn begin(&mut self, seed: Option<u64>) -> usize {
        let rng = match seed {
            Some(s) => self.rng.insert(Generator::from_seed(s)),
            None => self.rng.get_or_insert_with(Generator::from_entropy),
        };
        // `rng.choice(init_states)`: the free cells but the goal, in order.
        let index = rng.integers(0, STATES as i64 - 1) as usize;
        let state = if index >= self.goal { index + 1 } else { index };
        self.state = Some(state);
        state
    }

    fn advance(&mut self, action: &Value) -> Result<(usize, Transition)> {
        crate::env::check_action(&self.act_space, action)?;
        let action = action
            .as_int()
            .ok_or_else(|| EnvError::InvalidAction { action: action.to_string(), reason: "not an integer".into() })?
            as usize;
        let state = self.state.ok_or(EnvError::NotReset)?;
        let (r, c) = self.cells[state];
        let (dr, dc) = MOVES[action];
        let mut cell = (r.wrapping_add_signed(dr), c.wrapping_add_signed(dc));
        if wall(cell.0, cell.1) {
            cell = (r, c);
        } else {
            let free = self.free_neighbours(cell);
            let rng = self.rng.as_mut().ok_or(EnvError::NotReset)?;
            if rng.random() < 1.0 / 3.0 {
                cell = free[rng.integers(0, free.len() as i64) as usize];
            }
        }
        let state = self.state_of(cell);
        self.state = Some(state);
        let done = state == self.goal;
        Ok((state, Transition { reward: done as u8 as f64, terminated: done, truncated: false }))
    }

    /// The picture: walls dark, the goal green, the agent a red disc.
    fn picture(&self, agent: usize) -> Frame {
        let side = SIZE * CELL_PIXELS;
        let mut frame = Frame::filled(side, side, [255, 255, 255]);
        let (goal, agent) = (self.cells[self.goal], self.cells[agent]);
        for r in 0..SIZE {
            for c in 0..SIZE {
                let color = if wall(r, c) {
                    Some([60, 60, 60])
                } else if (r, c) == goal {
                    Some([60, 180, 75])
                } else {
                    None
                };
                if let Some(color) = color {
                    fill_cell(&mut frame, r, c, color);
                }
            }
        }
        let half = (CELL_PIXELS / 2) as i32;
        let (x, y) = ((agent.1 * CELL_PIXELS) as i32 + half, (agent.0 * CELL_PIXELS) as i32 + half);
        frame.fill_circle(x, y, half * 2 / 3, [220, 40, 40]);
        frame
    }
}

fn wall(row: usize, column: usize) -> bool {
    LAYOUT.get(row).and_then(|line| line.as_bytes().get(column)).is_none_or(|&b| b == b'w')
}

fn fill_cell(frame: &mut Frame, row: usize, column: usize, color: [u8; 3]) {
    for y in row * CELL_PIXELS..(row + 1) * CELL_PIXELS {
        for x in column * CELL_PIXELS..(column + 1) * CELL_PIXELS {
            frame.put_pixel(x as i32, y as i32, color);
        }
    }
}

impl Env for FourRooms {
    fn observation_space(&self) -> &Space {
        &self.obs_space
    }
    fn action_space(&self) -> &Space {
        &self.act_space
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        check_option_keys(options, &[])?;
        Ok((Value::Int(self.begin(seed) as i64), Info::new()))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let (state, t) = self.advance(action)?;
        Ok(Step {
            obs: Value::Int(state as i64),
            reward: t.reward,
            terminated: t.terminated,
            truncated: false,
            info: Info::new(),
        })
    }
    fn reset_into(&mut self, seed: Option<u64>, out: &mut [f32]) -> Result<()> {
        let state = self.begin(seed);
        one_hot(state, out);
        Ok(())
    }
    fn step_into(&mut self, action: &Value, out: &mut [f32]) -> Result<Transition> {
        let (state, t) = self.advance(action)?;
        one_hot(state, out);
        Ok(t)
    }
    fn render(&self) -> Result<Frame> {
        Ok(self.picture(self.state.ok_or(EnvError::NotReset)?))
    }
    fn render_fps(&self) -> u32 {
        8
    }
}

fn one_hot(state: usize, out: &mut [f32]) {
    out.fill(0.0);
    out[state] = 1.0;
}

/// The registry entry.
pub(crate) fn specs() -> Vec<EnvSpec> {
    vec![EnvSpec::new("Fourrooms-v0", |kw: &Kwargs| {
        let goal = match kw.get("goal") {
            None => DEFAULT_GOAL,
            Some(v) => v.as_u64().map(|g| g as usize).ok_or_else(|| EnvError::BadKwarg {
                key: "goal".into(),
                message: format!("expected a state number (0 to {}), got {v}", STATES - 1),
            })?,
        };
        Ok(Box::new(FourRooms::new(goal)?) as Box<dyn Env>)
    })
    .max_episode_steps(1000)
    .reward_threshold(1.0)
    .kwarg("goal", json!(DEFAULT_GOAL), "the goal state (the transfer experiment moves it to 68..103)")]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_numbering_are_the_papers() {
        let env = FourRooms::new(DEFAULT_GOAL).unwrap();
        assert_eq!(env.cells.len(), STATES);
        // State 62 is the gap in row 7 between the eastern rooms; 88 the southern doorway.
        assert_eq!(env.cell(62), (7, 9));
        assert_eq!(env.cell(88), (10, 6));
        assert!(NEXT_GOALS.iter().all(|&g| env.cell(g).0 >= 8 && env.cell(g).1 >= 6));
        assert!(FourRooms::new(STATES).unwrap_err().to_string().contains("goal"));
    }

    #[test]
    fn walls_stop_and_moves_slip_a_third_of_the_time() {
        let mut env = FourRooms::new(DEFAULT_GOAL).unwrap();
        env.reset(Some(0), &Options::new()).unwrap();
        // Into the west wall from the first cell (row 1, column 1): no move, no draw.
        env.state = Some(0);
        let step = env.step(&Value::Int(2)).unwrap();
        assert_eq!(step.obs, Value::Int(0));
        // A free move right from state 0 lands on (1, 2) two times in three.
        let (mut exact, trials) = (0, 30_000);
        for _ in 0..trials {
            env.state = Some(0);
            exact += (env.step(&Value::Int(3)).unwrap().obs == Value::Int(1)) as u32;
        }
        // A slip goes to a free neighbour of (1, 2), never (1, 2) itself: P(exact) = 2/3.
        let p = exact as f64 / trials as f64;
        assert!((p - 2.0 / 3.0).abs() < 0.015, "{p}");
        assert!(env.step(&Value::Int(4)).is_err());
    }

    #[test]
    fn reaching_the_goal_pays_and_ends() {
        let mut env = FourRooms::new(70).unwrap();
        env.reset(Some(3), &Options::new()).unwrap();
        // Start next to the goal (8, 9): (7, 9) is state 62, above it.
        env.state = Some(62);
        loop {
            let step = env.step(&Value::Int(1)).unwrap();
            if step.terminated {
                assert_eq!((step.obs, step.reward), (Value::Int(70), 1.0));
                break;
            }
            assert_eq!(step.reward, 0.0);
            env.state = Some(62);
        }
        // Starts are never on the goal.
        for seed in 0..300 {
            assert_ne!(env.reset(Some(seed), &Options::new()).unwrap().0, Value::Int(70));
        }
        let frame = env.render().unwrap();
        assert_eq!((frame.width, frame.height), (SIZE * CELL_PIXELS, SIZE * CELL_PIXELS));
    }
}
