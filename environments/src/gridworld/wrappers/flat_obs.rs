//! FlatObs: the image and a one-hot mission in one flat array (MiniGrid's `FlatObsWrapper`).

use super::{dict_entry, flat_segment, image_bytes, obs_entry};
use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::gridworld::minigrid::{GridEnv, MISSION_CHARSET, MISSION_MAX_LEN};
use crate::render::Frame;
use crate::space::{DType, Space};
use crate::value::Value;
use crate::wrappers::{bad_param, check_buffer};
use std::ops::Range;

/// Codes per mission character (`numCharCodes`): `a`-`z` are 0-25, space 26, comma 27.
pub const NUM_CHAR_CODES: usize = 28;

/// The observation becomes one uint8 array: the image flattened (`[x][y][channel]` order), then
/// the mission as `max_str_len` rows of [`NUM_CHAR_CODES`] one-hot codes (rows past the
/// mission's end are zero). The mission is lowercased first; one longer than `max_str_len`
/// characters, or with a character outside `a`-`z`, space and comma, is an error (MiniGrid
/// raises too). The last mission's encoding is cached, as MiniGrid caches it.
pub struct FlatObs<E> {
    env: E,
    space: Space,
    /// Where the image sits in the inner env's flat row.
    image: Range<usize>,
    inner_row: Vec<f32>,
    mission: MissionCodes,
}

impl<E: GridEnv> FlatObs<E> {
    /// With MiniGrid's default `maxStrLen = 96`.
    pub fn new(env: E) -> Result<Self> {
        Self::with_max_str_len(env, MISSION_MAX_LEN)
    }

    /// `env` must have a Dict observation with an `image` Box and a `mission`.
    pub fn with_max_str_len(env: E, max_str_len: usize) -> Result<Self> {
        if max_str_len == 0 {
            return Err(bad_param("max_str_len", "must be at least 1"));
        }
        let image = dict_entry(env.observation_space(), "image", "FlatObs")?;
        if image.as_box().is_none() {
            return Err(EnvError::BadSpace(format!("FlatObs needs an image Box, got {}", image.describe())));
        }
        dict_entry(env.observation_space(), "mission", "FlatObs")?;
        dict_entry(env.flat_space(), "image", "FlatObs's fast path")?;
        let (start, len) = flat_segment(env.flat_space(), "image")?;
        let space = Space::uniform_box(0.0, 255.0, &[len + NUM_CHAR_CODES * max_str_len], DType::UInt8);
        Ok(FlatObs {
            space,
            image: start..start + len,
            inner_row: vec![0.0; env.flat_space().flat_dim()?],
            mission: MissionCodes { max_str_len, cached: None, codes: vec![0; NUM_CHAR_CODES * max_str_len] },
            env,
        })
    }

    pub fn max_str_len(&self) -> usize {
        self.mission.max_str_len
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    fn flatten(&mut self, obs: &Value) -> Result<Value> {
        let mission = match obs_entry(obs, "mission", "FlatObs")? {
            Value::Text(text) => text,
            other => return Err(EnvError::BadSpace(format!("FlatObs needs a text mission, got {other}"))),
        };
        let codes = self.mission.encode(mission)?;
        let mut flat = image_bytes(obs, "FlatObs")?.to_vec();
        flat.extend_from_slice(codes);
        Ok(Value::U8(flat))
    }

    /// The flat row: the inner row's image, then the world's mission.
    fn write_row(&mut self, out: &mut [f32]) -> Result<()> {
        let codes = self.mission.encode(&self.env.world().mission)?;
        let (image, mission) = out.split_at_mut(self.image.len());
        image.copy_from_slice(&self.inner_row[self.image.clone()]);
        for (o, &c) in mission.iter_mut().zip(codes) {
            *o = c as f32;
        }
        Ok(())
    }
}

/// The one-hot codes of the last mission encoded.
struct MissionCodes {
    max_str_len: usize,
    /// The mission `codes` encodes.
    cached: Option<String>,
    codes: Vec<u8>,
}

impl MissionCodes {
    /// The codes of `mission`, encoded unless it is the cached one.
    fn encode(&mut self, mission: &str) -> Result<&[u8]> {
        if self.cached.as_deref() != Some(mission) {
            self.cached = None;
            self.fill(mission)?;
            self.cached = Some(mission.to_string());
        }
        Ok(&self.codes)
    }

    fn fill(&mut self, mission: &str) -> Result<()> {
        // Lowercasing can lengthen a string outside ASCII (MiniGrid checks before and fails after).
        let lower = mission.to_lowercase();
        let len = mission.chars().count().max(lower.chars().count());
        if len > self.max_str_len {
            return Err(EnvError::Unsupported(format!(
                "FlatObs: the mission {mission:?} has {len} characters, more than max_str_len = {}",
                self.max_str_len
            )));
        }
        self.codes.fill(0);
        for (i, ch) in lower.chars().enumerate() {
            // The charset is ASCII, so a character's byte offset in it is its code.
            let code = MISSION_CHARSET.find(ch).ok_or_else(|| {
                EnvError::Unsupported(format!(
                    "FlatObs: character {ch:?} of the mission {mission:?} has no code (only a-z, space and comma)"
                ))
            })?;
            self.codes[i * NUM_CHAR_CODES + code] = 1;
        }
        Ok(())
    }
}

impl<E: GridEnv> Env for FlatObs<E> {
    fn observation_space(&self) -> &Space {
        &self.space
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let (obs, info) = self.env.reset(seed, options)?;
        Ok((self.flatten(&obs)?, info))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let mut step = self.env.step(action)?;
        step.obs = self.flatten(&step.obs)?;
        Ok(step)
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        check_buffer(obs, &self.space)?;
        self.env.reset_into(seed, &mut self.inner_row)?;
        self.write_row(obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        check_buffer(obs, &self.space)?;
        let t = self.env.step_into(action, &mut self.inner_row)?;
        self.write_row(obs)?;
        Ok(t)
    }
}

forward_grid_env!(FlatObs);

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(max_str_len: usize) -> MissionCodes {
        MissionCodes { max_str_len, cached: None, codes: vec![0; NUM_CHAR_CODES * max_str_len] }
    }

    /// The code set in each row, or None for an empty row.
    fn rows(codes: &[u8]) -> Vec<Option<usize>> {
        codes.chunks_exact(NUM_CHAR_CODES).map(|row| row.iter().position(|&b| b == 1)).collect()
    }

    #[test]
    fn missions_are_lowercased_one_hot_rows() {
        let mut m = codes(5);
        assert_eq!(rows(m.encode("Az ,").unwrap()), [Some(0), Some(25), Some(26), Some(27), None]);
        assert_eq!(rows(m.encode("b").unwrap()), [Some(1), None, None, None, None]);
        assert_eq!(m.encode("b").unwrap().iter().map(|&b| b as usize).sum::<usize>(), 1);
    }

    #[test]
    fn unencodable_missions_are_errors_and_leave_no_cache() {
        let mut m = codes(5);
        let err = m.encode("go 2!").unwrap_err().to_string();
        assert!(err.contains("'2'"), "{err}");
        assert!(m.cached.is_none());
        let err = m.encode("abcdef").unwrap_err().to_string();
        assert!(err.contains("6 characters") && err.contains("max_str_len = 5"), "{err}");
        // "İ" lowercases to two characters.
        assert!(m.encode("aaaaİ").is_err());
    }
}
