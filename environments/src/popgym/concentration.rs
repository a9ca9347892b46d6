//! Concentration (popgym `envs/concentration.py`): the memory card game.

use super::deck::{Deck, DeckType};
use super::{discrete_action, reseed, Game, Obs};
use crate::env::{Options, Transition};
use crate::error::{EnvError, Result};
use crate::rng::Generator;
use crate::space::Space;
use crate::value::Value;

/// The shuffled deck lies face down (value `distinct`, the face-down mark); each step flips the
/// card at a position, and every second flip compares the pair by color or rank. The
/// observation shows the matched cards and the ones just flipped. A match gives
/// +1/(cards / 2) and stays up; a mismatch -2/L; flipping a card already matched -1/L per card
/// in play. Terminated when every card is matched, truncated after
/// L = ceil(2n - n / (2n - 1)) steps.
#[derive(Clone, Debug)]
pub struct Concentration {
    deck: Deck,
    deck_type: DeckType,
    /// Positions of the matched cards.
    face_up: Vec<usize>,
    /// Positions flipped in the current turn (at most 2).
    in_play: Vec<usize>,
    curr_step: usize,
    shown: Vec<i64>,
    rng: Option<Generator>,
}

impl Concentration {
    pub fn new(num_decks: usize, deck_type: DeckType) -> Result<Self> {
        if num_decks == 0 || deck_type == DeckType::Suits {
            return Err(EnvError::BadKwarg {
                key: "deck_type".into(),
                message:
                    "Concentration matches colors or ranks (13 cards per suit cannot pair up) of at least one deck"
                        .into(),
            });
        }
        let deck = Deck::new(num_decks);
        let shown = vec![deck_type.distinct() as i64; deck.num_cards()];
        Ok(Concentration { deck, deck_type, face_up: Vec::new(), in_play: Vec::new(), curr_step: 0, shown, rng: None })
    }

    /// popgym's `episode_length = ceil(2n - n / (2n - 1))`.
    pub fn episode_length(&self) -> usize {
        let n = self.deck.num_cards() as f64;
        (2.0 * n - n / (2.0 * n - 1.0)).ceil() as usize
    }

    fn value(&self, position: usize) -> i64 {
        self.deck_type.of(self.deck.at(position))
    }

    /// Face down everywhere but the matched cards and those in play.
    fn show(&mut self) {
        self.shown.fill(self.deck_type.distinct() as i64);
        for i in 0..self.face_up.len() + self.in_play.len() {
            let position = self.face_up.get(i).copied().unwrap_or_else(|| self.in_play[i - self.face_up.len()]);
            self.shown[position] = self.value(position);
        }
    }
}

impl Game for Concentration {
    fn observation_space(&self) -> Space {
        let n = self.deck.num_cards();
        Space::MultiDiscrete { nvec: vec![self.deck_type.distinct() as i64 + 1; n], start: vec![0; n] }
    }
    fn action_space(&self) -> Space {
        Space::discrete(self.deck.num_cards() as i64)
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<()> {
        self.deck.shuffle(reseed(&mut self.rng, seed, options)?);
        self.face_up.clear();
        self.in_play.clear();
        self.curr_step = 0;
        self.show();
        Ok(())
    }
    fn step(&mut self, action: &Value) -> Result<Transition> {
        let position = discrete_action(&Space::discrete(self.deck.num_cards() as i64), action)?;
        let length = self.episode_length();
        let failure = -1.0 / length as f64;
        let truncated = self.curr_step + 1 >= length;
        let mut terminated = false;
        self.in_play.push(position);
        self.show();
        let reward = if self.in_play.iter().any(|p| self.face_up.contains(p)) {
            let reward = failure * self.in_play.len() as f64;
            self.in_play.clear();
            reward
        } else if let [first, second] = self.in_play[..] {
            let reward = if self.value(first) == self.value(second) && first != second {
                self.face_up.extend([first, second]);
                terminated = self.face_up.len() == self.deck.num_cards();
                1.0 / (self.deck.num_cards() / 2) as f64
            } else {
                2.0 * failure
            };
            self.in_play.clear();
            reward
        } else {
            0.0
        };
        self.curr_step += 1;
        Ok(Transition { reward, terminated, truncated })
    }
    fn obs(&self) -> Obs<'_> {
        Obs::Indices(&self.shown)
    }
}
