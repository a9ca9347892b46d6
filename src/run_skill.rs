//! A trained run's final policy as a skill of a `skills` library (`{"run": "DIR", "max_steps":
//! N, "deterministic": true}`): the environments crate runs skills, the platform loads runs.
//!
//! The final policy is the run's latest checkpoint once the run has finished (its `eval.json`
//! is written at the end). The skill acts in an acting session of its own: its memory (if the
//! policy has one) starts empty where the skill is chosen and is kept for the skill's duration;
//! it terminates after `max_steps` steps or when the episode ends. A sampling skill reseeds its
//! generator with every seeded reset, so a training env is still a function of its seed and the
//! manager's choices (what resume replays).

use crate::env_maker::EnvMaker;
use crate::run_dir::{self, RunDir};
use crate::runner::{build_algorithm, load_policy};
use anyhow::{bail, Result};
use limbic_agents::policies::Actor;
use limbic_agents::Algorithm;
use limbic_environments::gridworld::wrappers::{LoadTrainedRun, Skill, SkillInput, TrainedRun};
use limbic_environments::{Env, EnvError, Space, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Loads the runs skill libraries name, each once (the sub-envs of one vector env share it).
#[derive(Default)]
pub struct RunSkills {
    loaded: RefCell<HashMap<PathBuf, Rc<FinalPolicy>>>,
}

/// A run's final policy and the env it was trained on.
struct FinalPolicy {
    algo: Box<dyn Algorithm>,
    env: String,
    observation: Space,
    action: Space,
}

impl RunSkills {
    fn final_policy(&self, dir: &Path) -> Result<Rc<FinalPolicy>> {
        if let Some(loaded) = self.loaded.borrow().get(dir) {
            return Ok(Rc::clone(loaded));
        }
        let run = RunDir::open(dir)?;
        if run.latest_checkpoint()?.is_none() {
            bail!("{} has no final policy: it has no checkpoint", dir.display());
        }
        if !run.path(run_dir::EVAL).is_file() {
            bail!(
                "{} has no final policy: it has not finished training (no {}); finish it with `limbic train --resume {}`",
                dir.display(),
                run_dir::EVAL,
                dir.display()
            );
        }
        let (config, algo, _) = load_policy(&run, "latest", &build_algorithm)?;
        let env = EnvMaker::of(&config).make_with(self)?;
        let (observation, action) = (env.flat_space().clone(), env.action_space().clone());
        let loaded = Rc::new(FinalPolicy { algo, env: config.env, observation, action });
        self.loaded.borrow_mut().insert(dir.to_path_buf(), Rc::clone(&loaded));
        Ok(loaded)
    }
}

impl LoadTrainedRun for RunSkills {
    fn load(&self, entry: &TrainedRun) -> limbic_environments::Result<Box<dyn Skill>> {
        let skill = || -> Result<RunPolicySkill> {
            let loaded = self.final_policy(&entry.run)?;
            Ok(RunPolicySkill {
                name: format!("run:{}", entry.run.display()),
                actor: Actor::new(loaded.algo.policy()?, 1, 0).deterministic(entry.deterministic),
                env: loaded.env.clone(),
                observation: loaded.observation.clone(),
                action: loaded.action.clone(),
                max_steps: entry.max_steps,
                steps: 0,
            })
        };
        match skill() {
            Ok(skill) => Ok(Box::new(skill)),
            Err(e) => Err(EnvError::Unsupported(format!("{e:#}"))),
        }
    }
}

/// A run's policy acting as a skill.
struct RunPolicySkill {
    name: String,
    actor: Actor,
    /// The env id the run trained on, and its observation (flat) and action spaces.
    env: String,
    observation: Space,
    action: Space,
    max_steps: u32,
    /// Steps since the skill began.
    steps: u32,
}

impl Skill for RunPolicySkill {
    fn name(&self) -> &str {
        &self.name
    }

    fn refuses(&self, env: &dyn Env) -> Option<String> {
        let differ = |what: &str, run: &Space, here: &Space| {
            let (run, here) = (run.describe(), here.describe());
            format!("its policy {what} {run} (trained on {}), this env's are {here}", self.env)
        };
        if env.flat_space() != &self.observation {
            return Some(differ("observes", &self.observation, env.flat_space()));
        }
        (env.action_space() != &self.action).then(|| differ("takes actions", &self.action, env.action_space()))
    }

    fn reset(&mut self, seed: Option<u64>) {
        if let Some(seed) = seed {
            self.actor.reseed(seed);
        }
    }

    fn begin(&mut self, _now: SkillInput) -> limbic_environments::Result<()> {
        self.steps = 0;
        Ok(())
    }

    fn act(&mut self, now: SkillInput) -> limbic_environments::Result<Option<Value>> {
        if self.steps >= self.max_steps {
            return Ok(None);
        }
        let starts = [self.steps == 0];
        let acted = self.actor.act_in(&[now.env], now.obs, &starts);
        let acted = acted.map_err(|e| EnvError::Unsupported(format!("skill `{}`: {e}", self.name)))?;
        self.steps += 1;
        Ok(acted.env_actions.to_values().pop())
    }
}
