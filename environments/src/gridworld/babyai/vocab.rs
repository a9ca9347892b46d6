//! The Baby Language's vocabulary, for instruction-conditioned policies: a mission becomes a
//! sequence of word indices an encoder (bag of words, a GRU over embeddings) reads.
//!
//! The vocabulary is closed (the grammar of [`instr`](super::instr)), so indices are fixed:
//! 0 pads, the words follow in [`VOCABULARY`]'s order from 1, and the comma is a word.

use crate::error::{EnvError, Result};

/// Every word of the Baby Language; word `i` has index `i + 1`.
pub const VOCABULARY: [&str; 33] = [
    "go", "to", "open", "pick", "up", "put", "next", "a", "the", "red", "green", "blue", "purple", "yellow", "grey",
    "box", "ball", "key", "door", "object", "in", "front", "of", "you", "behind", "on", "your", "left", "right", "and",
    "then", "after", ",",
];

/// The padding index.
pub const PAD: u32 = 0;

/// The word indices of `mission` ("go to the red ball, then ..."): words split on spaces,
/// commas their own word. A word outside the vocabulary is an error naming it.
pub fn tokenize(mission: &str) -> Result<Vec<u32>> {
    let mut tokens = Vec::new();
    for word in mission.split(' ').filter(|w| !w.is_empty()) {
        let (word, comma) = match word.strip_suffix(',') {
            Some(w) => (w, true),
            None => (word, false),
        };
        tokens.push(index(word)?);
        if comma {
            tokens.push(index(",")?);
        }
    }
    Ok(tokens)
}

fn index(word: &str) -> Result<u32> {
    VOCABULARY.iter().position(|&w| w == word).map(|i| i as u32 + 1).ok_or_else(|| {
        EnvError::BadSpace(format!("{word:?} is not a word of the Baby Language (see babyai::vocab::VOCABULARY)"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missions_become_word_indices() {
        assert_eq!(tokenize("go to the red ball, then open a door").unwrap(), [1, 2, 9, 10, 17, 33, 31, 3, 8, 19]);
        assert!(tokenize("go to the goal").unwrap_err().to_string().contains("\"goal\""));
    }
}
