//! MultiarmedBandit (popgym `envs/multiarmed_bandit.py`): find the arm that pays best.

use super::{discrete_action, reseed, Game, Obs};
use crate::env::{Options, Transition};
use crate::error::{EnvError, Result};
use crate::rng::Generator;
use crate::space::Space;
use crate::value::Value;

/// Each episode draws every arm's payout probability (float32 uniforms). Pulling an arm shows
/// 1 and gives +1/L when it pays, else 0 and -1/L. Truncated after L steps.
#[derive(Clone, Debug)]
pub struct MultiarmedBandit {
    bandits: Vec<f32>,
    episode_length: usize,
    num_steps: usize,
    paid: i64,
    rng: Option<Generator>,
}

impl MultiarmedBandit {
    pub fn new(num_bandits: usize, episode_length: usize) -> Result<Self> {
        if num_bandits == 0 || episode_length == 0 {
            return Err(EnvError::BadKwarg {
                key: "num_bandits".into(),
                message: "the number of arms and the episode length must be positive".into(),
            });
        }
        Ok(MultiarmedBandit { bandits: vec![0.0; num_bandits], episode_length, num_steps: 0, paid: 0, rng: None })
    }

    /// The arms' payout probabilities of this episode (popgym's `info["bandits"]`).
    pub fn bandits(&self) -> &[f32] {
        &self.bandits
    }
}

impl Game for MultiarmedBandit {
    fn observation_space(&self) -> Space {
        Space::discrete(2)
    }
    fn action_space(&self) -> Space {
        Space::discrete(self.bandits.len() as i64)
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<()> {
        let rng = reseed(&mut self.rng, seed, options)?;
        self.bandits.iter_mut().for_each(|b| *b = rng.random_f32());
        self.num_steps = 0;
        self.paid = 0;
        Ok(())
    }
    fn step(&mut self, action: &Value) -> Result<Transition> {
        let arm = discrete_action(&Space::discrete(self.bandits.len() as i64), action)?;
        let rng = self.rng.as_mut().ok_or(EnvError::NotReset)?;
        // `np_random.random() < bandits[arm]`: numpy 2 compares a Python float with a float32
        // in float32.
        self.paid = i64::from((rng.random() as f32) < self.bandits[arm]);
        let scale = 1.0 / self.episode_length as f64;
        let truncated = self.num_steps + 1 >= self.episode_length;
        self.num_steps += 1;
        Ok(Transition { reward: if self.paid == 1 { scale } else { -scale }, terminated: false, truncated })
    }
    fn obs(&self) -> Obs<'_> {
        Obs::Index(self.paid)
    }
}
