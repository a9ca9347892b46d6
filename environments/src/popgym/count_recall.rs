//! CountRecall (popgym `envs/count_recall.py`): how often has the queried value been dealt?

use super::deck::{Deck, DeckType};
use super::{discrete_action, reseed, Game, Obs};
use crate::env::{Options, Transition};
use crate::error::{EnvError, Result};
use crate::rng::Generator;
use crate::space::Space;
use crate::value::Value;

/// Two decks, shuffled one after the other from the same RNG: each step deals a value card and
/// a query card, observed as `[value, query]` (their colors, suits or ranks). The action is the
/// number of times the previous query's value had been dealt before this step; +-1/(cards - 1).
/// The episode terminates when the decks are empty.
#[derive(Clone, Debug)]
pub struct CountRecall {
    value_deck: Deck,
    query_deck: Deck,
    deck_type: DeckType,
    counts: Vec<i64>,
    /// `[value, query]`.
    shown: [i64; 2],
    rng: Option<Generator>,
}

impl CountRecall {
    /// `error_clamp` is accepted as popgym accepts it; popgym never reads it.
    pub fn new(num_decks: usize, deck_type: DeckType) -> Result<Self> {
        if num_decks == 0 {
            return Err(EnvError::BadKwarg { key: "num_decks".into(), message: "must be at least 1".into() });
        }
        Ok(CountRecall {
            value_deck: Deck::new(num_decks),
            query_deck: Deck::new(num_decks),
            counts: vec![0; deck_type.distinct()],
            deck_type,
            shown: [0, 0],
            rng: None,
        })
    }

    /// Copies of each value in the deck: the largest count, so actions are `0..=max_count`.
    fn max_count(&self) -> usize {
        self.value_deck.num_cards() / self.deck_type.distinct()
    }

    fn deal(&mut self) -> Result<()> {
        let value = self.deck_type.of(self.value_deck.deal()?);
        let query = self.deck_type.of(self.query_deck.deal()?);
        self.counts[value as usize] += 1;
        self.shown = [value, query];
        Ok(())
    }
}

impl Game for CountRecall {
    fn observation_space(&self) -> Space {
        let n = self.deck_type.distinct() as i64;
        Space::MultiDiscrete { nvec: vec![n, n], start: vec![0, 0] }
    }
    fn action_space(&self) -> Space {
        Space::discrete(self.max_count() as i64 + 1)
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<()> {
        let rng = reseed(&mut self.rng, seed, options)?;
        self.value_deck.shuffle(rng);
        self.query_deck.shuffle(rng);
        self.counts.fill(0);
        self.deal()
    }
    fn step(&mut self, action: &Value) -> Result<Transition> {
        let action = discrete_action(&Space::discrete(self.max_count() as i64 + 1), action)? as i64;
        let prev_count = self.counts[self.shown[1] as usize];
        self.deal()?;
        let scale = 1.0 / (self.value_deck.num_cards() - 1) as f64;
        let reward = if action == prev_count { scale } else { -scale };
        Ok(Transition { reward, terminated: self.value_deck.remaining() == 0, truncated: false })
    }
    fn obs(&self) -> Obs<'_> {
        Obs::Indices(&self.shown)
    }
}
