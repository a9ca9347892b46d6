//! [`WrapperSpec`]: a wrapper as a run's config names it (`"env_wrappers": [{"kind":
//! "previous_action"}, {"kind": "antialias"}]`), applied in order over the env `make` built.

use super::{Antialias, MaskObservation, PreviousAction};
use crate::env::Env;
use crate::error::Result;
use crate::gridworld::wrappers::{LoadTrainedRun, NoTrainedRuns, SkillEntry, Skills};
use serde::{Deserialize, Serialize};

/// One wrapper of a config's `env_wrappers` list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum WrapperSpec {
    /// POPGym's `PreviousAction`: the last action appended to the observation.
    PreviousAction,
    /// POPGym's `Antialias`: a first-step flag appended to the observation.
    Antialias,
    /// Hides the listed entries of a Box observation (rl-zoo's `MaskVelocityWrapper`).
    MaskObservation { indices: Vec<usize> },
    /// A library of skills as the actions: scripted gridworld skills (`pickup:key`,
    /// `unlock:door`, ...) and trained runs (`{"run": "DIR", "max_steps": N}`); a learner over
    /// them is a manager over given options. `max_frames` caps one skill.
    Skills {
        skills: Vec<SkillEntry>,
        #[serde(default)]
        max_frames: Option<u32>,
    },
}

impl WrapperSpec {
    /// `env` inside this wrapper (a skill library naming a trained run is refused: see
    /// [`WrapperSpec::apply_with`]).
    pub fn apply(&self, env: Box<dyn Env>) -> Result<Box<dyn Env>> {
        self.apply_with(env, &NoTrainedRuns)
    }

    /// `env` inside this wrapper, the trained runs of a skill library loaded by `runs`.
    pub fn apply_with(&self, env: Box<dyn Env>, runs: &dyn LoadTrainedRun) -> Result<Box<dyn Env>> {
        Ok(match self {
            WrapperSpec::PreviousAction => Box::new(PreviousAction::new(env)?),
            WrapperSpec::Antialias => Box::new(Antialias::new(env)?),
            WrapperSpec::MaskObservation { indices } => Box::new(MaskObservation::new(env, indices)?),
            WrapperSpec::Skills { skills, max_frames } => {
                Box::new(Skills::from_entries(env, skills, *max_frames, runs)?)
            }
        })
    }
}

/// `env` inside every wrapper of `specs`, the first innermost (POPGym's baselines:
/// `[previous_action, antialias]` is `Antialias(PreviousAction(env))`).
pub fn wrap(env: Box<dyn Env>, specs: &[WrapperSpec]) -> Result<Box<dyn Env>> {
    wrap_with(env, specs, &NoTrainedRuns)
}

/// [`wrap`], the trained runs of skill libraries loaded by `runs`.
pub fn wrap_with(env: Box<dyn Env>, specs: &[WrapperSpec], runs: &dyn LoadTrainedRun) -> Result<Box<dyn Env>> {
    specs.iter().try_fold(env, |env, spec| spec.apply_with(env, runs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{make, Kwargs};

    #[test]
    fn wrappers_apply_in_order_and_parse_from_json() {
        let specs: Vec<WrapperSpec> =
            serde_json::from_str(r#"[{"kind": "previous_action"}, {"kind": "antialias"}]"#).unwrap();
        assert_eq!(specs, [WrapperSpec::PreviousAction, WrapperSpec::Antialias]);
        let env = wrap(make("popgym-RepeatPreviousEasy-v0", &Kwargs::new()).unwrap(), &specs).unwrap();
        // Discrete(4) observation, then the previous Discrete(4) action, then the first-step flag.
        assert_eq!(env.flat_space().flat_dim().unwrap(), 4 + 4 + 2);
        let error = serde_json::from_str::<WrapperSpec>(r#"{"kind": "time_warp"}"#).unwrap_err().to_string();
        assert!(error.contains("previous_action") && error.contains("mask_observation"), "{error}");
        let masked =
            wrap(make("CartPole-v1", &Kwargs::new()).unwrap(), &[WrapperSpec::MaskObservation { indices: vec![9] }]);
        assert!(masked.is_err());
    }
}
