//! RepeatFirst (popgym `envs/repeat_first.py`): name the suit of the first card, every step.

use super::deck::{Deck, DeckType};
use super::{discrete_action, reseed, Game, Obs};
use crate::env::{Options, Transition};
use crate::error::Result;
use crate::rng::Generator;
use crate::space::Space;
use crate::value::Value;

/// Cards are dealt one per step; the reward is +-1/(cards - 1) for naming the suit of the
/// first card. The episode terminates when the last card is shown.
#[derive(Clone, Debug)]
pub struct RepeatFirst {
    deck: Deck,
    first_suit: i64,
    shown: i64,
    rng: Option<Generator>,
}

impl RepeatFirst {
    pub fn new(num_decks: usize) -> Self {
        RepeatFirst { deck: Deck::new(num_decks), first_suit: 0, shown: 0, rng: None }
    }
}

impl Game for RepeatFirst {
    fn observation_space(&self) -> Space {
        Space::discrete(4)
    }
    fn action_space(&self) -> Space {
        Space::discrete(4)
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<()> {
        self.deck.shuffle(reseed(&mut self.rng, seed, options)?);
        self.first_suit = DeckType::Suits.of(self.deck.deal()?);
        self.shown = self.first_suit;
        Ok(())
    }
    fn step(&mut self, action: &Value) -> Result<Transition> {
        let action = discrete_action(&Space::discrete(4), action)? as i64;
        let scale = 1.0 / (self.deck.num_cards() - 1) as f64;
        let reward = if action == self.first_suit { scale } else { -scale };
        let terminated = self.deck.remaining() == 1;
        self.shown = DeckType::Suits.of(self.deck.deal()?);
        Ok(Transition { reward, terminated, truncated: false })
    }
    fn obs(&self) -> Obs<'_> {
        Obs::Index(self.shown)
    }
}
