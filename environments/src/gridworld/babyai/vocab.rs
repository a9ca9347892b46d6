//! The Baby Language's vocabulary, for instruction-conditioned policies. Two ways to see a
//! BabyAI level's mission as word indices:
//!
//! - the `mission_words` kwarg of every `BabyAI-*` id ([`mission_words`]): the observation's
//!   `mission` is an int64 `Box` of [`MAX_MISSION_WORDS`] indices, one number per word in the
//!   flat rows learners read, which an instruction encoder (bag of words, a GRU over
//!   embeddings) embeds; reachable from a config (`env_kwargs`) and recorded in datasets;
//! - [`word_indices`]: MiniGrid's `DictObservationSpaceWrapper` over this vocabulary (a
//!   `MultiDiscrete` mission, one-hot per word in a flat row).
//!
//! The vocabulary is closed (the grammar of [`instr`](super::instr)), so indices are fixed: a
//! word's index is its position in [`VOCABULARY`] plus one, 0 pads, and the comma is a word.

use crate::env::Env;
use crate::error::Result;
use crate::gridworld::mission_words::MissionWords;
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

/// The Baby Language's words in room for its longest mission: what the `mission_words` kwarg
/// gives a level.
pub fn mission_words() -> MissionWords {
    MissionWords::new(&VOCABULARY, MAX_MISSION_WORDS).expect("the vocabulary's words are distinct")
}

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

    #[test]
    fn the_mission_words_kwarg_puts_indices_in_observations_and_flat_rows() {
        let id = "BabyAI-GoToLocal-v0";
        let mut text_env = crate::make(id, &Kwargs::new()).unwrap();
        let mut kwargs = Kwargs::new();
        kwargs.insert("mission_words".into(), true.into());
        let mut env = crate::make(id, &kwargs).unwrap();
        let words = mission_words();
        let crate::Space::Dict(items) = env.observation_space() else { panic!("a MiniGrid dict") };
        assert_eq!(items.iter().find(|(k, _)| k == "mission").map(|(_, s)| s), Some(&words.index_box()));
        let flat_dim = env.flat_space().flat_dim().unwrap();
        assert_eq!(flat_dim, 4 + 7 * 7 * 3 + MAX_MISSION_WORDS);
        let mut row = vec![0.0f32; flat_dim];
        let mut text_row = vec![0.0f32; text_env.flat_space().flat_dim().unwrap()];
        for seed in 0..5 {
            let (text_obs, _) = text_env.reset(Some(seed), &Default::default()).unwrap();
            let (obs, _) = env.reset(Some(seed), &Default::default()).unwrap();
            let Some(Value::Text(mission)) = text_obs.get("mission") else { panic!("{text_obs:?}") };
            let indices = words.encode(mission).unwrap();
            assert_eq!(obs.get("mission"), Some(&Value::I64(indices.clone())));
            assert_eq!(obs.get("image"), text_obs.get("image"), "the same layout from the same seed");
            env.observation_space().check(&obs).unwrap();
            // The fast path writes the same numbers, the words last.
            env.reset_into(Some(seed), &mut row).unwrap();
            text_env.reset_into(Some(seed), &mut text_row).unwrap();
            assert_eq!(row[..text_row.len()], text_row[..]);
            assert_eq!(row[text_row.len()..], indices.iter().map(|&i| i as f32).collect::<Vec<_>>()[..]);
            let step = env.step(&Value::Int(2)).unwrap();
            assert_eq!(step.obs.get("mission"), Some(&Value::I64(indices)));
        }
        kwargs.insert("mission_words".into(), "yes".into());
        let err = crate::make(id, &kwargs).err().unwrap().to_string();
        assert!(err.contains("mission_words") && err.contains("true or false"), "{err}");
    }
}
