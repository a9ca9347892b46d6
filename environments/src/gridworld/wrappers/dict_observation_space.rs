//! DictObservationSpace: the mission as word indices (MiniGrid's `DictObservationSpaceWrapper`).

use super::{dict_entry, obs_entry, reset_flat, set_entry, step_flat};
use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::gridworld::mission_words::MissionWords;
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;

/// MiniGrid's vocabulary (`get_minigrid_words`): colours, objects, verbs, then other words; a
/// word's index is its position.
pub const MINIGRID_WORDS: [&str; 51] = [
    "red", "green", "blue", "yellow", "purple", "grey", // colours
    "unseen", "empty", "wall", "floor", "box", "key", "ball", "door", "goal", "agent", "lava", // objects
    "pick", "avoid", "get", "find", "put", "use", "open", "go", "fetch", "reach", "unlock", "traverse", // verbs
    "up", "the", "a", "at", ",", "square", "and", "then", "to", "of", "rooms", "near", "opening", "must", "you",
    "matching", "end", "hallway", "object", "from", "room", "maze",
];

/// The observation space becomes `Dict(direction: Discrete(4), image, mission:
/// MultiDiscrete([words + 1] * max_words_in_mission))`: the mission's words (commas are words)
/// as `index + 1`, padded with 0. A word outside the vocabulary, or a mission of
/// `max_words_in_mission` words or more, is an error (MiniGrid raises too).
///
/// The whole observation has a flat encoding (the mission one-hot per word), so
/// [`Env::flat_space`] is the observation space.
pub struct DictObservationSpace<E> {
    env: E,
    space: Space,
    words: MissionWords,
}

impl<E: Env> DictObservationSpace<E> {
    /// MiniGrid's defaults: [`MINIGRID_WORDS`], at most 49 words a mission.
    pub fn new(env: E) -> Result<Self> {
        Self::with_vocabulary(env, 50, &MINIGRID_WORDS)
    }

    /// A vocabulary of distinct `words` (a word's index is its position), and missions shorter
    /// than `max_words_in_mission` words. `env` must have a Dict observation with an `image`.
    pub fn with_vocabulary(env: E, max_words_in_mission: usize, words: &[&str]) -> Result<Self> {
        let words = MissionWords::new(words, max_words_in_mission)?;
        let image = dict_entry(env.observation_space(), "image", "DictObservationSpace")?.clone();
        let space = Space::dict(vec![
            ("direction".into(), Space::discrete(4)),
            ("image".into(), image),
            ("mission".into(), words.multi_discrete()),
        ]);
        Ok(DictObservationSpace { env, space, words })
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    fn observe(&self, obs: &mut Value) -> Result<()> {
        let indices = match obs_entry(obs, "mission", "DictObservationSpace")? {
            Value::Text(mission) => {
                self.words.encode(mission).map_err(|e| EnvError::Unsupported(format!("DictObservationSpace: {e}")))?
            }
            other => return Err(EnvError::BadSpace(format!("DictObservationSpace needs a text mission, got {other}"))),
        };
        set_entry(obs, "mission", Value::I64(indices))
    }
}

impl<E: Env> Env for DictObservationSpace<E> {
    fn observation_space(&self) -> &Space {
        &self.space
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let (mut obs, info) = self.env.reset(seed, options)?;
        self.observe(&mut obs)?;
        Ok((obs, info))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let mut step = self.env.step(action)?;
        self.observe(&mut step.obs)?;
        Ok(step)
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        reset_flat(self, seed, obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        step_flat(self, action, obs)
    }
}

forward_grid_env!(DictObservationSpace);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_is_minigrid_s() {
        // MiniGrid's docstring: LavaCrossing's mission starts [19, 31, 17, 36, 20, 38, 31, 2, 15, 35].
        let index = |w: &str| MINIGRID_WORDS.iter().position(|x| *x == w).unwrap() + 1;
        let words = "avoid the lava and get to the green goal square".split(' ');
        let got: Vec<usize> = words.map(index).collect();
        assert_eq!(got, [19, 31, 17, 36, 20, 38, 31, 2, 15, 35]);
    }
}
