//! RepeatPrevious (popgym `envs/repeat_previous.py`): name the suit of the card seen k steps ago.

use super::deck::{Deck, DeckType};
use super::{discrete_action, reseed, Game, Obs};
use crate::env::{Options, Transition};
use crate::error::{EnvError, Result};
use crate::rng::Generator;
use crate::space::Space;
use crate::value::Value;

/// Cards are dealt one per step; once k cards have been seen, the reward is +-1/(cards - k)
/// for naming the suit of the card dealt k cards before the one now shown. The episode
/// terminates when the last card is shown.
#[derive(Clone, Debug)]
pub struct RepeatPrevious {
    deck: Deck,
    k: usize,
    /// The suits shown so far, oldest first.
    seen: Vec<i64>,
    rng: Option<Generator>,
}

impl RepeatPrevious {
    /// `num_decks` decks (at least 1) and `k` in `1..cards`.
    pub fn new(num_decks: usize, k: usize) -> Result<Self> {
        let deck = Deck::new(num_decks);
        if num_decks == 0 || k == 0 || k >= deck.num_cards() {
            return Err(EnvError::BadKwarg {
                key: "k".into(),
                message: format!(
                    "need num_decks >= 1 and 1 <= k < 52 * num_decks, got num_decks = {num_decks}, k = {k} \
                     (popgym's k = 0 would compare with the first card, not the current one)"
                ),
            });
        }
        Ok(RepeatPrevious { seen: Vec::with_capacity(deck.num_cards()), deck, k, rng: None })
    }
}

impl Game for RepeatPrevious {
    fn observation_space(&self) -> Space {
        Space::discrete(4)
    }
    fn action_space(&self) -> Space {
        Space::discrete(4)
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<()> {
        self.deck.shuffle(reseed(&mut self.rng, seed, options)?);
        self.seen.clear();
        self.seen.push(DeckType::Suits.of(self.deck.deal()?));
        Ok(())
    }
    fn step(&mut self, action: &Value) -> Result<Transition> {
        let action = discrete_action(&Space::discrete(4), action)? as i64;
        let scale = 1.0 / (self.deck.num_cards() - self.k) as f64;
        let terminated = self.deck.remaining() == 1;
        let reward = match self.seen.len().checked_sub(self.k) {
            Some(i) if self.seen[i] == action => scale,
            Some(_) => -scale,
            None => 0.0,
        };
        self.seen.push(DeckType::Suits.of(self.deck.deal()?));
        Ok(Transition { reward, terminated, truncated: false })
    }
    fn obs(&self) -> Obs<'_> {
        Obs::Index(self.seen.last().copied().unwrap_or(0))
    }
}
