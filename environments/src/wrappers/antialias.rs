//! Antialias: a first-step flag appended to the observation (popgym's wrapper).

use super::append_to_obs::Appender;
use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::Result;
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;

/// popgym's `Antialias`: a `Discrete(2)` flag, 1 on the reset observation and 0 after, appended
/// the way [`super::PreviousAction`] appends the action (a Tuple element, or an `is_t0` key of
/// a Dict), so that a reset observation is told apart from a step that shows the same thing.
/// POPGym's baselines wrap every env as `Antialias(PreviousAction(env))`.
///
/// ```
/// use limbic_environments::{make, wrappers::Antialias, Env, Kwargs, Options, Value};
/// let mut env = Antialias::new(make("popgym-HigherLowerEasy-v0", &Kwargs::new()).unwrap()).unwrap();
/// let (Value::Tuple(parts), _) = env.reset(Some(0), &Options::new()).unwrap() else { panic!() };
/// assert_eq!(parts[1], Value::Int(1));
/// let Value::Tuple(parts) = env.step(&Value::Int(0)).unwrap().obs else { panic!() };
/// assert_eq!(parts[1], Value::Int(0));
/// ```
pub struct Antialias<E> {
    env: E,
    appender: Appender,
}

const FIRST: Value = Value::Int(1);
const LATER: Value = Value::Int(0);

impl<E: Env> Antialias<E> {
    pub fn new(env: E) -> Result<Self> {
        let appender = Appender::new(&env, Space::discrete(2), "is_t0", "Antialias")?;
        Ok(Antialias { env, appender })
    }

    pub fn inner(&self) -> &E {
        &self.env
    }

    pub fn into_inner(self) -> E {
        self.env
    }
}

impl<E: Env> Env for Antialias<E> {
    fn observation_space(&self) -> &Space {
        self.appender.space()
    }
    fn flat_space(&self) -> &Space {
        self.appender.flat_space()
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let (obs, info) = self.env.reset(seed, options)?;
        Ok((self.appender.value(obs, FIRST), info))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let step = self.env.step(action)?;
        Ok(Step { obs: self.appender.value(step.obs, LATER), ..step })
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.appender.reset_into(&mut self.env, seed, &FIRST, obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        self.appender.step_into(&mut self.env, action, &LATER, obs)
    }
}
