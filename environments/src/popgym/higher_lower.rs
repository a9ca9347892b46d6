//! HigherLower (popgym `envs/higher_lower.py`): will the next card be higher or lower?

use super::deck::{Deck, DeckType};
use super::{discrete_action, reseed, Game, Obs};
use crate::env::{Options, Transition};
use crate::error::Result;
use crate::rng::Generator;
use crate::space::Space;
use crate::value::Value;

/// The rank of the current card is shown; action 0 bets the next one is higher, 1 lower:
/// +-1/cards, 0 on a tie. The episode terminates when the last card is dealt.
#[derive(Clone, Debug)]
pub struct HigherLower {
    deck: Deck,
    rank: i64,
    rng: Option<Generator>,
}

impl HigherLower {
    pub fn new(num_decks: usize) -> Self {
        HigherLower { deck: Deck::new(num_decks), rank: 0, rng: None }
    }
}

impl Game for HigherLower {
    fn observation_space(&self) -> Space {
        Space::discrete(13)
    }
    fn action_space(&self) -> Space {
        Space::discrete(2)
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<()> {
        self.deck.shuffle(reseed(&mut self.rng, seed, options)?);
        self.rank = DeckType::Ranks.of(self.deck.deal()?);
        Ok(())
    }
    fn step(&mut self, action: &Value) -> Result<Transition> {
        let guess_higher = discrete_action(&Space::discrete(2), action)? == 0;
        let terminated = self.deck.remaining() <= 1;
        let next = DeckType::Ranks.of(self.deck.deal()?);
        let scale = 1.0 / self.deck.num_cards() as f64;
        let reward = if next == self.rank {
            0.0
        } else if (next > self.rank) == guess_higher {
            scale
        } else {
            -scale
        };
        self.rank = next;
        Ok(Transition { reward, terminated, truncated: false })
    }
    fn obs(&self) -> Obs<'_> {
        Obs::Index(self.rank)
    }
}
