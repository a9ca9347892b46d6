//! Autoencode (popgym `envs/autoencode.py`): watch the cards, then name their suits in reverse.

use super::deck::{Deck, DeckType};
use super::{discrete_action, reseed, Game, Obs};
use crate::env::{Options, Transition};
use crate::error::{EnvError, Result};
use crate::rng::Generator;
use crate::space::Space;
use crate::value::Value;

/// The whole deck is shown one card per step with the flag 1 (watch); once it is dealt the
/// flag turns 0 (play) and each step the agent names the suits last-in first-out, +-1/cards
/// each. Observation `Tuple(Discrete(2) flag, Discrete(4) suit)`; in the play phase the suit
/// shown is always 0 (popgym shows card 0's suit).
#[derive(Clone, Debug)]
pub struct Autoencode {
    deck: Deck,
    /// The dealt cards' suits, oldest first; popped in the play phase.
    dealt: Vec<i64>,
    /// `[flag, suit]`.
    shown: [i64; 2],
    rng: Option<Generator>,
}

const PLAY: i64 = 0;
const WATCH: i64 = 1;

impl Autoencode {
    pub fn new(num_decks: usize) -> Self {
        let deck = Deck::new(num_decks);
        Autoencode { dealt: Vec::with_capacity(deck.num_cards()), deck, shown: [WATCH, 0], rng: None }
    }
}

impl Game for Autoencode {
    fn observation_space(&self) -> Space {
        Space::Tuple(vec![Space::discrete(2), Space::discrete(4)])
    }
    fn action_space(&self) -> Space {
        Space::discrete(4)
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<()> {
        self.deck.shuffle(reseed(&mut self.rng, seed, options)?);
        self.dealt.clear();
        self.dealt.push(DeckType::Suits.of(self.deck.deal()?));
        self.shown = [WATCH, self.dealt[0]];
        Ok(())
    }
    fn step(&mut self, action: &Value) -> Result<Transition> {
        let action = discrete_action(&Space::discrete(4), action)? as i64;
        if self.shown[0] == WATCH {
            let suit = DeckType::Suits.of(self.deck.deal()?);
            self.dealt.push(suit);
            let mode = if self.deck.remaining() == 0 { PLAY } else { WATCH };
            self.shown = [mode, suit];
            return Ok(Transition::default());
        }
        let terminated = self.dealt.len() == 1;
        let correct = self.dealt.pop().ok_or(EnvError::EpisodeOver)?;
        let scale = 1.0 / self.deck.num_cards() as f64;
        self.shown = [PLAY, DeckType::Suits.of(0)];
        Ok(Transition { reward: if action == correct { scale } else { -scale }, terminated, truncated: false })
    }
    fn obs(&self) -> Obs<'_> {
        Obs::Indices(&self.shown)
    }
}
