//! Missions as word indices over a closed vocabulary: MiniGrid's `string_to_indices` (the
//! tokenizer of its `DictObservationSpaceWrapper`), shared by that wrapper and by the BabyAI
//! levels' `mission_words` observation.
//!
//! A word's index is its position in the vocabulary plus one, 0 pads, and the comma is a word
//! of its own. A mission is encoded into `max_words` indices and must be shorter than that (so
//! at least one 0 ends it, as MiniGrid requires).

use crate::error::{EnvError, Result};
use crate::space::{DType, Space};
use crate::wrappers::bad_param;

/// A closed vocabulary and the room a mission has in an observation.
#[derive(Clone, Debug, PartialEq)]
pub struct MissionWords {
    words: Vec<String>,
    max_words: usize,
}

impl MissionWords {
    /// Distinct `words` (a word's index is its position + 1), missions shorter than
    /// `max_words` words.
    pub fn new(words: &[&str], max_words: usize) -> Result<MissionWords> {
        if max_words == 0 {
            return Err(bad_param("max_words_in_mission", "must be at least 1"));
        }
        if let Some((i, w)) = words.iter().enumerate().find(|(i, w)| words[..*i].contains(w)) {
            return Err(bad_param("word_dict", format!("word {w:?} appears twice (again at index {i})")));
        }
        Ok(MissionWords { words: words.iter().map(|w| w.to_string()).collect(), max_words })
    }

    /// Indices per mission (the padded length).
    pub fn max_words(&self) -> usize {
        self.max_words
    }

    /// Words in the vocabulary (indices run from 1 to this).
    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// `mission` as `max_words` indices: each word's index + 1, then 0s. A word outside the
    /// vocabulary, or a mission of `max_words` words or more, is an error.
    pub fn encode(&self, mission: &str) -> Result<Vec<i64>> {
        let spaced = mission.replace(',', " , ");
        let mut out = Vec::with_capacity(self.max_words);
        for word in spaced.split_whitespace() {
            let index =
                self.words.iter().position(|w| w == word).ok_or_else(|| {
                    EnvError::Unsupported(format!("unknown word {word:?} in the mission {mission:?}"))
                })?;
            out.push(index as i64 + 1);
        }
        if out.len() >= self.max_words {
            return Err(EnvError::Unsupported(format!(
                "the mission {mission:?} has {} words, at most {} fit",
                out.len(),
                self.max_words - 1
            )));
        }
        out.resize(self.max_words, 0);
        Ok(out)
    }

    /// MiniGrid's space for the indices: `MultiDiscrete([words + 1] * max_words)` (one-hot per
    /// word in a flat row).
    pub fn multi_discrete(&self) -> Space {
        Space::MultiDiscrete { nvec: vec![self.words.len() as i64 + 1; self.max_words], start: vec![0; self.max_words] }
    }

    /// The indices as an int64 `Box` in `[0, words]`: one number per word in a flat row, which
    /// an instruction encoder embeds.
    pub fn index_box(&self) -> Space {
        Space::uniform_box(0.0, self.words.len() as f64, &[self.max_words], DType::Int64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_commas_padding_and_errors() {
        let words = MissionWords::new(&["go", "to", "the", "ball", ","], 6).unwrap();
        assert_eq!(words.encode("go to the ball,").unwrap(), [1, 2, 3, 4, 5, 0]);
        let err = words.encode("go to the box").unwrap_err().to_string();
        assert!(err.contains("unknown word \"box\""), "{err}");
        let err = words.encode("go to the ball, go").unwrap_err().to_string();
        assert!(err.contains("has 6 words, at most 5 fit"), "{err}");
        assert_eq!(words.encode("").unwrap(), [0; 6]);
        assert!(MissionWords::new(&["go", "go"], 3).unwrap_err().to_string().contains("twice"));
        assert!(MissionWords::new(&["go"], 0).is_err());
        assert_eq!(words.index_box().flat_dim().unwrap(), 6);
        assert_eq!(words.multi_discrete().flat_dim().unwrap(), 36);
    }
}
