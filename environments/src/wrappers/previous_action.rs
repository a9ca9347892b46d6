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
                reason: format!(
                    "the null action must be in the action space {}: {reason}",
                    env.action_space().describe()
                ),
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
        Space::Text { .. } => {
            return Err(EnvError::Unsupported("PreviousAction: a Text action space has no null action".into()))
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::DType;
    use crate::wrappers::Antialias;
    use crate::{make, Kwargs};

    #[test]
    fn null_action_is_zero_or_the_lowest_action() {
        assert_eq!(null_action(&Space::Discrete { n: 3, start: 2 }).unwrap(), Value::Int(2));
        assert_eq!(null_action(&Space::Discrete { n: 3, start: -1 }).unwrap(), Value::Int(0));
        assert_eq!(
            null_action(&Space::uniform_box(1.0, 2.0, &[2], DType::Float32)).unwrap(),
            Value::F32(vec![1.0, 1.0])
        );
        assert_eq!(null_action(&Space::uniform_box(-2.0, 2.0, &[1], DType::Float32)).unwrap(), Value::F32(vec![0.0]));
        let md = Space::MultiDiscrete { nvec: vec![3, 3], start: vec![0, 1] };
        assert_eq!(null_action(&md).unwrap(), Value::I64(vec![0, 1]));
        let tuple = Space::Tuple(vec![Space::discrete(2), Space::MultiBinary { shape: vec![2] }]);
        assert_eq!(null_action(&tuple).unwrap(), Value::Tuple(vec![Value::Int(0), Value::I8(vec![0, 0])]));
        assert!(null_action(&Space::Text { min_length: 0, max_length: 2, charset: "a".into() }).is_err());
    }

    #[test]
    fn dict_observations_get_a_sorted_key_and_the_same_flat_row_both_ways() {
        let inner = make("MiniGrid-Empty-5x5-v0", &Kwargs::new()).unwrap();
        let mut env = Antialias::new(PreviousAction::new(inner).unwrap()).unwrap();
        let Space::Dict(items) = env.observation_space() else { panic!("not a Dict") };
        let keys: Vec<&str> = items.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["direction", "image", "is_t0", "mission", "prev_action"]);
        let (obs, _) = env.reset(Some(3), &Options::new()).unwrap();
        assert_eq!(obs.get("prev_action"), Some(&Value::Int(0)));
        assert_eq!(obs.get("is_t0"), Some(&Value::Int(1)));
        let dim = env.flat_space().flat_dim().unwrap();
        let mut fast =
            Antialias::new(PreviousAction::new(make("MiniGrid-Empty-5x5-v0", &Kwargs::new()).unwrap()).unwrap())
                .unwrap();
        let (mut row, mut expected) = (vec![0.0; dim], vec![0.0; dim]);
        fast.reset_into(Some(3), &mut row).unwrap();
        env.flat_space().flatten_into(&obs, &mut expected).unwrap();
        assert_eq!(row, expected);
        let step = env.step(&Value::Int(2)).unwrap();
        assert_eq!((step.obs.get("prev_action"), step.obs.get("is_t0")), (Some(&Value::Int(2)), Some(&Value::Int(0))));
        fast.step_into(&Value::Int(2), &mut row).unwrap();
        env.flat_space().flatten_into(&step.obs, &mut expected).unwrap();
        assert_eq!(row, expected);
    }

    #[test]
    fn tuple_observations_get_the_action_last() {
        let mut env = PreviousAction::new(make("popgym-AutoencodeEasy-v0", &Kwargs::new()).unwrap()).unwrap();
        assert_eq!(env.observation_space().describe(), "Tuple(Discrete(2), Discrete(4), Discrete(4))");
        env.reset(Some(0), &Options::new()).unwrap();
        let Value::Tuple(parts) = env.step(&Value::Int(3)).unwrap().obs else { panic!("not a Tuple") };
        assert_eq!((parts.len(), &parts[2]), (3, &Value::Int(3)));
    }
}
