//! popgym's `Deck` (`core/deck.py`): one or more 52-card decks, shuffled by the env's RNG and
//! dealt from the end.

use crate::error::{EnvError, Result};
use crate::rng::Generator;

/// Cards per deck.
pub const DECK_SIZE: usize = 52;

/// What a card game reads from a card: popgym's `colors`, `suits` or `ranks`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeckType {
    /// 2 colors (black, red).
    Colors,
    /// 4 suits.
    Suits,
    /// 13 ranks, ace to king.
    Ranks,
}

impl DeckType {
    pub fn parse(name: &str) -> Option<DeckType> {
        match name {
            "colors" => Some(DeckType::Colors),
            "suits" => Some(DeckType::Suits),
            "ranks" => Some(DeckType::Ranks),
            _ => None,
        }
    }

    /// How many distinct values a card can show.
    pub fn distinct(self) -> usize {
        match self {
            DeckType::Colors => 2,
            DeckType::Suits => 4,
            DeckType::Ranks => 13,
        }
    }

    /// The card's value index. popgym lays a deck out as ranks repeated per suit
    /// (`RANKS.repeat(4)`), suits cycling (`tile(SUITS, 13)`) and colors alternating.
    #[inline]
    pub fn of(self, card: usize) -> i64 {
        (match self {
            DeckType::Colors => card % 2,
            DeckType::Suits => card % 4,
            DeckType::Ranks => card % DECK_SIZE / 4,
        }) as i64
    }
}

/// The deck's order (a permutation of the card ids) and how many cards are still in it.
#[derive(Clone, Debug)]
pub struct Deck {
    order: Vec<usize>,
    remaining: usize,
}

impl Deck {
    pub fn new(num_decks: usize) -> Self {
        let num_cards = DECK_SIZE * num_decks;
        Deck { order: (0..num_cards).collect(), remaining: num_cards }
    }

    pub fn num_cards(&self) -> usize {
        self.order.len()
    }

    /// Cards not yet dealt (popgym's `len(deck)`).
    pub fn remaining(&self) -> usize {
        self.remaining
    }

    /// The card at a position of the shuffled order (popgym's `deck.idx[i]`).
    pub fn at(&self, position: usize) -> usize {
        self.order[position]
    }

    /// `Deck.reset(rng=np_random)`: all cards back, then `rng.shuffle(arange(num_cards))`.
    pub fn shuffle(&mut self, rng: &mut Generator) {
        self.order.iter_mut().enumerate().for_each(|(i, card)| *card = i);
        rng.shuffle(&mut self.order);
        self.remaining = self.order.len();
    }

    /// Deals one card: the last one still in the deck. An empty deck (a step after the episode
    /// ended) is an error, where popgym raises `DeckEmptyError`.
    pub fn deal(&mut self) -> Result<usize> {
        self.remaining = self.remaining.checked_sub(1).ok_or(EnvError::EpisodeOver)?;
        Ok(self.order[self.remaining])
    }
}
