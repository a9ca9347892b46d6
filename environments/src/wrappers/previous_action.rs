//! PreviousAction: the last action appended to the observation (popgym's wrapper).

use super::append_to_obs::Appender;
use crate::env::{check_action, Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;

/// popgym's `PreviousAction`: each observation carries the action that led to it, and the reset
/// observation a null action. A Box/Discrete/MultiDiscrete/MultiBinary observation `o` becomes
/// `Tuple(o, action)`, a Tuple gets the action as its last element, a Dict a `prev_action` key.
/// The action appended is the one passed to `step`, as given (a Box action beyond the bounds,
/// which the env clips, is appended unclipped, as in popgym).
///
/// ```
/// use limbic_environments::{make, wrappers::PreviousAction, Env, Kwargs, Options, Value};
/// let mut env = PreviousAction::new(make("popgym-RepeatPreviousEasy-v0", &Kwargs::new()).unwrap()).unwrap();
/// let (obs, _) = env.reset(Some(0), &Options::new()).unwrap();
/// let Value::Tuple(parts) = obs else { panic!() };
/// assert_eq!(parts[1], Value::Int(0)); // the null action
/// let Value::Tuple(parts) = env.step(&Value::Int(3)).unwrap().obs else { panic!() };
/// assert_eq!(parts[1], Value::Int(3));
/// ```
pub struct PreviousAction<E> {
    env: E,
    appender: Appender,
    null_action: Value,
}

impl<E: Env> PreviousAction<E> {
    /// With popgym's null action: 0 (or zeros) where the action space holds it, else its lowest
    /// action (a Discrete's start, a Box's low; for a MultiDiscrete, where popgym would fail,
    /// its start).
    pub fn new(env: E) -> Result<Self> {
        let null_action = null_action(env.action_space())?;
        Self::with_null_action(env, null_action)
    }

    /// With the null action given; it must be an element of the action space.
    pub fn with_null_action(env: E, null_action: Value) -> Result<Self> {
        check_action(env.action_space(), &null_action).map_err(|e| match e {
            EnvError::InvalidAction { action, reason } => EnvError::InvalidAction {
                action,
                reason: format!("the null action must be in the action space {}: {reason}", env.action_space().describe()),
            },
            other => other,
        })?;
        let appender = Appender::new(&env, env.action_space().clone(), "prev_action", "PreviousAction")?;
        Ok(PreviousAction { env, appender, null_action })
    }

    pub fn null_action(&self) -> &Value {
        &self.null_action
    }

    pub fn inner(&self) -> &E {
        &self.env
    }

    pub fn into_inner(self) -> E {
        self.env
    }
}

/// popgym's `PreviousAction.get_null_action`.
pub fn null_action(space: &Space) -> Result<Value> {
    let zeros_or = |zeros: Value, lowest: Value| if space.contains(&zeros) { zeros } else { lowest };
    Ok(match space {
        Space::Discrete { start, .. } => zeros_or(Value::Int(0), Value::Int(*start)),
        Space::MultiBinary { shape } => Value::I8(vec![0; shape.iter().product()]),
        Space::MultiDiscrete { nvec, start } => zeros_or(Value::I64(vec![0; nvec.len()]), Value::I64(start.clone())),
        Space::Box(b) => zeros_or(b.dtype.array(vec![0.0; b.low.len()]), b.dtype.array(b.low.iter().copied())),
        Space::Tuple(items) => Value::Tuple(items.iter().map(null_action).collect::<Result<_>>()?),
        Space::Dict(items) => {
            Value::Dict(items.iter().map(|(k, s)| Ok((k.clone(), null_action(s)?))).collect::<Result<_>>()?)
        }
        Space::Text { .. } => return Err(EnvError::Unsupported("PreviousAction: a Text action space has no null action".into())),
    })
}

impl<E: Env> Env for PreviousAction<E> {
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
        Ok((self.appender.value(obs, self.null_action.clone()), info))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let step = self.env.step(action)?;
        Ok(Step { obs: self.appender.value(step.obs, action.clone()), ..step })
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.appender.reset_into(&mut self.env, seed, &self.null_action, obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        self.appender.step_into(&mut self.env, action, action, obs)
    }
}
