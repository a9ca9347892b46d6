//! AbsorbAfterDone: a fixed-horizon variant of an env whose episodes can end early.

use crate::env::{check_action, Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;

/// Every episode lasts exactly `horizon` steps: when the env terminates, the episode goes on in
/// an absorbing state (the final observation, reward `absorb_reward`, never terminated) until
/// step `horizon`, which is truncated.
///
/// Adversarial imitation (GAIL, AIRL) and preference learning need this: with variable-length
/// episodes a learned reward leaks information through termination (a positive reward makes
/// the agent prolong episodes, a negative one end them), whatever it learned about the task.
/// Seals' `AbsorbAfterDoneWrapper` does the same for the `imitation` library.
///
/// ```
/// use limbic_environments::{registry, wrappers::AbsorbAfterDone, Env, Kwargs, Options, Value};
/// let env = registry::make("CartPole-v1", &Kwargs::new()).unwrap();
/// let mut env = AbsorbAfterDone::new(env, 500, 0.0).unwrap();
/// env.reset(Some(0), &Options::new()).unwrap();
/// let mut steps = 1;
/// while !env.step(&Value::Int(1)).unwrap().truncated {
///     steps += 1;
/// }
/// assert_eq!(steps, 500); // pushing right fails after ~10 steps, the episode still lasts 500
/// ```
pub struct AbsorbAfterDone<E> {
    env: E,
    horizon: u32,
    absorb_reward: f64,
    elapsed: u32,
    /// The env terminated: the episode is in its absorbing state.
    absorbing: bool,
    /// The latest observation: as a value when stepped through `step`, as a flat row when
    /// stepped through `step_into` (`None` otherwise).
    value: Option<Value>,
    flat: Option<Vec<f32>>,
}

impl<E: Env> AbsorbAfterDone<E> {
    pub fn new(env: E, horizon: u32, absorb_reward: f64) -> Result<Self> {
        if horizon == 0 || !absorb_reward.is_finite() {
            return Err(EnvError::Unsupported(format!(
                "AbsorbAfterDone needs a horizon >= 1 and a finite absorbing reward, got {horizon} and {absorb_reward}"
            )));
        }
        Ok(AbsorbAfterDone { env, horizon, absorb_reward, elapsed: 0, absorbing: false, value: None, flat: None })
    }

    pub fn inner(&self) -> &E {
        &self.env
    }

    /// Whether the env has terminated and the episode is in its absorbing state.
    pub fn absorbing(&self) -> bool {
        self.absorbing
    }

    fn start(&mut self) {
        self.elapsed = 0;
        self.absorbing = false;
    }

    fn mixed() -> EnvError {
        EnvError::Unsupported("AbsorbAfterDone: an episode is stepped with step() or with step_into(), not both".into())
    }

    /// Steps the env (`inner` does it and records the observation), or stays in the absorbing
    /// state; then applies the fixed horizon.
    fn advance(&mut self, action: &Value, inner: impl FnOnce(&mut Self) -> Result<Transition>) -> Result<Transition> {
        check_action(self.env.action_space(), action)?;
        self.elapsed += 1;
        let mut t = if self.absorbing {
            Transition { reward: self.absorb_reward, terminated: false, truncated: false }
        } else {
            inner(self)?
        };
        if t.terminated {
            self.absorbing = true;
            t.terminated = false;
        }
        t.truncated = t.truncated || self.elapsed >= self.horizon;
        Ok(t)
    }
}

impl<E: Env> Env for AbsorbAfterDone<E> {
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn flat_space(&self) -> &Space {
        self.env.flat_space()
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        self.start();
        let (obs, info) = self.env.reset(seed, options)?;
        (self.value, self.flat) = (Some(obs.clone()), None);
        Ok((obs, info))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let t = self.advance(action, |me| {
            let step = me.env.step(action)?;
            me.value = Some(step.obs);
            me.flat = None;
            Ok(Transition { reward: step.reward, terminated: step.terminated, truncated: step.truncated })
        })?;
        let obs = self.value.clone().ok_or_else(Self::mixed)?;
        Ok(Step { obs, reward: t.reward, terminated: t.terminated, truncated: t.truncated, info: Info::new() })
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn grid_world(&self) -> Option<&crate::gridworld::World> {
        self.env.grid_world()
    }
    fn observation_painter(&self) -> Option<crate::render::ObservationPainter> {
        self.env.observation_painter()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.start();
        self.env.reset_into(seed, obs)?;
        (self.value, self.flat) = (None, Some(obs.to_vec()));
        Ok(())
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        let t = self.advance(action, |me| {
            me.value = None;
            let t = me.env.step_into(action, obs)?;
            match &mut me.flat {
                Some(flat) => flat.copy_from_slice(obs),
                None => me.flat = Some(obs.to_vec()),
            }
            Ok(t)
        })?;
        obs.copy_from_slice(self.flat.as_deref().ok_or_else(Self::mixed)?);
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{make, Kwargs};

    fn cartpole(horizon: u32) -> AbsorbAfterDone<Box<dyn Env>> {
        AbsorbAfterDone::new(make("CartPole-v1", &Kwargs::new()).unwrap(), horizon, -1.0).unwrap()
    }

    #[test]
    fn a_terminated_episode_absorbs_until_the_horizon() {
        let mut env = cartpole(100);
        env.reset(Some(3), &Options::new()).unwrap();
        let mut rewards = Vec::new();
        let mut last = None;
        loop {
            let step = env.step(&Value::Int(1)).unwrap();
            assert!(!step.terminated);
            rewards.push(step.reward);
            if env.absorbing() {
                // The final observation is held.
                assert!(last.as_ref().is_none_or(|held| *held == step.obs));
                last = Some(step.obs);
            }
            if step.truncated {
                break;
            }
        }
        assert_eq!(rewards.len(), 100);
        let alive = rewards.iter().take_while(|&&r| r == 1.0).count();
        assert!(alive > 5 && alive < 20, "{alive}");
        assert!(rewards[alive..].iter().all(|&r| r == -1.0));
    }

    #[test]
    fn the_fast_path_agrees_and_mixing_is_refused() {
        let (mut a, mut b) = (cartpole(40), cartpole(40));
        a.reset(Some(0), &Options::new()).unwrap();
        let mut row = vec![0.0f32; 4];
        b.reset_into(Some(0), &mut row).unwrap();
        for _ in 0..40 {
            let step = a.step(&Value::Int(0)).unwrap();
            let t = b.step_into(&Value::Int(0), &mut row).unwrap();
            assert_eq!((step.reward, step.truncated), (t.reward, t.truncated));
            let mut flat = vec![0.0f32; 4];
            a.observation_space().flatten_into(&step.obs, &mut flat).unwrap();
            assert_eq!(flat, row);
        }
        let mut c = cartpole(40);
        c.reset_into(Some(0), &mut row).unwrap();
        while !c.absorbing() {
            c.step_into(&Value::Int(0), &mut row).unwrap();
        }
        assert!(c.step(&Value::Int(0)).unwrap_err().to_string().contains("not both"));
        assert!(AbsorbAfterDone::new(make("CartPole-v1", &Kwargs::new()).unwrap(), 0, 0.0).is_err());
        assert!(c.step(&Value::Int(7)).is_err());
    }
}
