//! The Baby Language's vocabulary, for instruction-conditioned policies: wrapped with
//! [`word_indices`], a BabyAI env's observation carries its mission as word indices (MiniGrid's
//! `DictObservationSpaceWrapper` over this vocabulary), which an encoder (bag of words, a GRU
//! over embeddings) reads from the flat observation like any other entry.
//!
//! The vocabulary is closed (the grammar of [`instr`](super::instr)), so indices are fixed: a
//! word's index is its position in [`VOCABULARY`] plus one, 0 pads, and the comma is a word.

use crate::env::Env;
use crate::error::Result;
use crate::gridworld::wrappers::DictObservationSpace;

/// Every word of the Baby Language.
pub const VOCABULARY: [&str; 33] = [
    "go", "to", "open", "pick", "up", "put", "next", "a", "the", "red", "green", "blue", "purple", "yellow", "grey",
    "box", "ball", "key", "door", "object", "in", "front", "of", "you", "behind", "on", "your", "left", "right", "and",
    "then", "after", ",",
];

/// Room for the longest mission (72 words: four PutNext clauses of 17 words, two "and", then
/// "after you") and the padding MiniGrid's wrapper requires after it.
pub const MAX_MISSION_WORDS: usize = 73;

/// `env` (a BabyAI level) with its mission as [`MAX_MISSION_WORDS`] word indices.
pub fn word_indices<E: Env>(env: E) -> Result<DictObservationSpace<E>> {
    DictObservationSpace::with_vocabulary(env, MAX_MISSION_WORDS, &VOCABULARY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gridworld::babyai::level::MISSION_MAX_LEN;
    use crate::{Kwargs, Value};

    #[test]
    fn missions_become_word_indices_even_the_longest() {
        let long = "put the purple ball in front of you next to the purple ball in front of you";
        let text = format!("{long} and {long} after you {long} and {long}");
        assert_eq!((text.len(), text.split(' ').count()), (MISSION_MAX_LEN, MAX_MISSION_WORDS - 1));
        let mut kwargs = Kwargs::new();
        kwargs.insert("instr".into(), "go to the red ball, then open a door".into());
        let env = crate::gridworld::make("BabyAI-GoToObjDoor-v0", &kwargs).unwrap();
        let mut env = word_indices(env).unwrap();
        let (obs, _) = env.reset(Some(0), &Default::default()).unwrap();
        let Some(Value::I64(words)) = obs.get("mission") else { panic!("{obs:?}") };
        assert_eq!(words[..11], [1, 2, 9, 10, 17, 33, 31, 3, 8, 19, 0]);
        assert_eq!(words.len(), MAX_MISSION_WORDS);
        assert!(env.flat_space().flat_dim().is_ok(), "the mission is in the flat observation");
    }
}
