//! MineSweeper (popgym `envs/minesweeper.py`): clear a hidden minefield from neighbour counts.

use super::{cell_action, reseed, Game, Obs};
use crate::env::{Options, Transition};
use crate::error::{EnvError, Result};
use crate::rng::Generator;
use crate::space::Space;
use crate::value::Value;

const CLEAR: u8 = 0;
const MINE: u8 = 1;
const VIEWED: u8 = 2;

/// Mines hide under a square grid. The action is a cell `[row, col]`; the observation is the
/// number of mines in its 3x3 neighbourhood (itself included). A new safe cell gives +1/L
/// (L = safe cells), a cell clicked before -0.5/(L - 2), a mine -0.5 - 1/L and terminates; so
/// does clearing every safe cell. Truncated after L steps unless terminated.
#[derive(Clone, Debug)]
pub struct MineSweeper {
    size: usize,
    num_mines: usize,
    hidden: Vec<u8>,
    neighbours: Vec<i64>,
    timestep: usize,
    shown: i64,
    actions: Space,
    rng: Option<Generator>,
}

impl MineSweeper {
    /// popgym's difficulties: `easy` (4x4, 2 mines), `medium` (6x6, 6), `hard` (8x8, 10).
    pub fn new(difficulty: &str) -> Result<Self> {
        let (size, num_mines) = match difficulty {
            "easy" => (4, 2),
            "medium" => (6, 6),
            "hard" => (8, 10),
            other => {
                return Err(EnvError::BadKwarg {
                    key: "difficulty".into(),
                    message: format!("expected easy, medium or hard, got {other:?}"),
                })
            }
        };
        let cells = size * size;
        Ok(MineSweeper {
            size,
            num_mines,
            hidden: vec![CLEAR; cells],
            neighbours: vec![0; cells],
            timestep: 0,
            shown: 0,
            actions: Space::MultiDiscrete { nvec: vec![size as i64; 2], start: vec![0, 0] },
            rng: None,
        })
    }

    fn episode_length(&self) -> usize {
        self.hidden.len() - self.num_mines
    }

    /// Mines in each cell's 3x3 neighbourhood, itself included.
    fn count_neighbours(&mut self) {
        let n = self.size as isize;
        for r in 0..n {
            for c in 0..n {
                let mut count = 0;
                for dr in -1..=1 {
                    for dc in -1..=1 {
                        let (rr, cc) = (r + dr, c + dc);
                        if (0..n).contains(&rr) && (0..n).contains(&cc) {
                            count += i64::from(self.hidden[(rr * n + cc) as usize] == MINE);
                        }
                    }
                }
                self.neighbours[(r * n + c) as usize] = count;
            }
        }
    }
}

impl Game for MineSweeper {
    fn observation_space(&self) -> Space {
        Space::discrete((self.num_mines as i64 + 1).min(10))
    }
    fn action_space(&self) -> Space {
        self.actions.clone()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<()> {
        let rng = reseed(&mut self.rng, seed, options)?;
        self.hidden.fill(CLEAR);
        for mine in rng.choice_without_replacement(self.hidden.len(), self.num_mines) {
            self.hidden[mine] = MINE;
        }
        self.count_neighbours();
        (self.timestep, self.shown) = (0, 0);
        Ok(())
    }
    fn step(&mut self, action: &Value) -> Result<Transition> {
        let (row, col) = cell_action(&self.actions, action)?;
        let cell = row * self.size + col;
        let length = self.episode_length();
        let success = 1.0 / length as f64;
        let mut terminated = false;
        let reward = match self.hidden[cell] {
            MINE => {
                terminated = true;
                -0.5 - success
            }
            VIEWED => -0.5 / (length - 2) as f64,
            _ => {
                self.hidden[cell] = VIEWED;
                success
            }
        };
        self.timestep += 1;
        terminated |= self.hidden.iter().all(|&h| h != CLEAR);
        self.shown = self.neighbours[cell];
        Ok(Transition { reward, terminated, truncated: self.timestep == length && !terminated })
    }
    fn obs(&self) -> Obs<'_> {
        Obs::Index(self.shown)
    }
}
