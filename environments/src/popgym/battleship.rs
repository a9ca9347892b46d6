//! Battleship (popgym `envs/battleship.py`): sink hidden ships, seeing only hit or miss.

use super::{cell_action, reseed, Game, Obs};
use crate::env::{Options, Transition};
use crate::error::{EnvError, Result};
use crate::rng::Generator;
use crate::space::Space;
use crate::value::Value;

/// Ships of sizes [2, 3, 3, 4] lie hidden on a square board. The action is a cell
/// `[row, col]`; the observation 1 on a new hit, else 0. A hit gives +1/(ship cells), anything
/// else -1/(L - ship cells), L = board cells. Terminated when every ship cell is hit,
/// truncated after L steps (both can hold together).
#[derive(Clone, Debug)]
pub struct Battleship {
    size: usize,
    ship_sizes: Vec<usize>,
    /// Row-major cells: 1 where a ship lies.
    board: Vec<u8>,
    guessed: Vec<bool>,
    hits: usize,
    num_steps: usize,
    hit: i64,
    actions: Space,
    rng: Option<Generator>,
}

impl Battleship {
    pub fn new(size: usize, ship_sizes: Vec<usize>) -> Result<Self> {
        let cells: usize = ship_sizes.iter().sum();
        if ship_sizes.iter().any(|&s| s == 0 || s > size) || cells >= size * size {
            return Err(EnvError::BadKwarg {
                key: "ship_sizes".into(),
                message: format!("ships {ship_sizes:?} do not fit a {size}x{size} board"),
            });
        }
        let board = vec![0; size * size];
        let actions = Space::MultiDiscrete { nvec: vec![size as i64; 2], start: vec![0, 0] };
        Ok(Battleship {
            size,
            ship_sizes,
            guessed: vec![false; board.len()],
            board,
            hits: 0,
            num_steps: 0,
            hit: 0,
            actions,
            rng: None,
        })
    }

    fn needed_hits(&self) -> usize {
        self.ship_sizes.iter().sum()
    }

    /// Row-major board, 1 where a ship lies (popgym's hidden state).
    pub fn board(&self) -> &[u8] {
        &self.board
    }
}

/// popgym's `place_ship`: draw a start cell and a direction until the ship fits the board on
/// free cells, then mark them.
fn place_ship(board: &mut [u8], size: usize, ship: usize, rng: &mut Generator) {
    let n = size as i64;
    let (lo, hi) = loop {
        let start = [rng.integers(0, n), rng.integers(0, n)];
        let (axis, backwards) = (rng.integers(0, 2) as usize, rng.integers(0, 2) == 1);
        let mut end = start;
        end[axis] = start[axis] + if backwards { 1 - ship as i64 } else { ship as i64 - 1 };
        if end.iter().any(|&e| e < 0 || e >= n) {
            continue;
        }
        let lo = [start[0].min(end[0]) as usize, start[1].min(end[1]) as usize];
        let hi = [start[0].max(end[0]) as usize, start[1].max(end[1]) as usize];
        if cells(lo, hi, size).all(|i| board[i] == 0) {
            break (lo, hi);
        }
    };
    cells(lo, hi, size).for_each(|i| board[i] = 1);
}

/// Row-major indices of the cells in the rectangle `lo..=hi`.
fn cells(lo: [usize; 2], hi: [usize; 2], size: usize) -> impl Iterator<Item = usize> {
    (lo[0]..=hi[0]).flat_map(move |r| (lo[1]..=hi[1]).map(move |c| r * size + c))
}

impl Game for Battleship {
    fn observation_space(&self) -> Space {
        Space::discrete(2)
    }
    fn action_space(&self) -> Space {
        self.actions.clone()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<()> {
        let rng = reseed(&mut self.rng, seed, options)?;
        self.board.fill(0);
        for &ship in &self.ship_sizes {
            place_ship(&mut self.board, self.size, ship, rng);
        }
        self.guessed.fill(false);
        (self.hits, self.num_steps, self.hit) = (0, 0, 0);
        Ok(())
    }
    fn step(&mut self, action: &Value) -> Result<Transition> {
        let (row, col) = cell_action(&self.actions, action)?;
        let cell = row * self.size + col;
        let hit = self.board[cell] == 1 && !self.guessed[cell];
        self.guessed[cell] = true;
        self.hits += usize::from(hit);
        self.num_steps += 1;
        let length = self.board.len();
        let needed = self.needed_hits();
        self.hit = i64::from(hit);
        let reward = if hit { 1.0 / needed as f64 } else { -1.0 / (length - needed) as f64 };
        Ok(Transition { reward, terminated: self.hits == needed, truncated: self.num_steps >= length })
    }
    fn obs(&self) -> Obs<'_> {
        Obs::Index(self.hit)
    }
}
