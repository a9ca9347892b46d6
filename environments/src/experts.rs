//! [`ExpertEnv`]: an environment made by id together with its scripted expert, one interface
//! for every id that has one, for recording demonstrations and for DAgger (whose expert labels
//! the states the learner visits).
//!
//! - classic control: the rule of [`crate::classic::experts`] applied to the latest observation;
//! - MiniGrid: the planner of [`crate::gridworld::experts::expert_for`] reading the full state
//!   (`GridEnv::world`), so it answers in any state, including ones the learner steered into;
//! - BabyAI: MiniGrid's BabyAI bot ([`crate::gridworld::babyai::Bot`]), told after every step
//!   which action was taken when it was not the bot's (it then plans to undo it, as MiniGrid's
//!   bot does for DAgger). Where the bot gives up (a box was opened, see its docs), the expert's
//!   action is an error.
//!
//! ```
//! use limbic_environments::experts::ExpertEnv;
//! use limbic_environments::{Env, Kwargs, Options};
//! let mut env = ExpertEnv::make("CartPole-v1", &Kwargs::new()).unwrap();
//! env.reset(Some(0), &Options::new()).unwrap();
//! let mut total = 0.0;
//! loop {
//!     let action = env.expert_action().unwrap();
//!     let step = env.step(&action).unwrap();
//!     total += step.reward;
//!     if step.terminated || step.truncated { break; }
//! }
//! assert_eq!(total, 500.0);
//! ```

use crate::classic::experts::{self as classic, ClassicExpert};
use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::gridworld::babyai::{BabyAiEnv, Bot, BotError};
use crate::gridworld::{self, experts::Expert, Action, GridEnv};
use crate::registry::{make, Kwargs};
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;

/// An environment with its expert. It is an [`Env`] itself (it forwards everything) and
/// remembers what the expert needs of the current state.
pub struct ExpertEnv {
    id: String,
    inner: Inner,
}

enum Inner {
    Classic { env: Box<dyn Env>, expert: ClassicExpert, obs: Option<Vec<f32>> },
    Grid { env: Box<dyn GridEnv>, expert: Box<dyn Expert>, started: bool },
    BabyAi(Box<Teacher>),
}

/// A BabyAI level with its bot, which replans after every step.
struct Teacher {
    env: Box<BabyAiEnv>,
    bot: Option<Bot>,
    /// The bot's suggestion for the current state.
    suggestion: Option<Result<Action, BotError>>,
    /// The episode ended: the bot has nothing more to say.
    over: bool,
}

impl Teacher {
    /// A new episode started: a new bot, and its first suggestion.
    fn start(&mut self) {
        let mut bot = Bot::new(&self.env);
        self.suggestion = Some(bot.replan(&self.env, None));
        self.bot = Some(bot);
        self.over = false;
    }

    /// `action` was taken and the episode went on (or ended: `done`).
    fn stepped(&mut self, action: &Value, done: bool) {
        self.over = done;
        let (Some(bot), false) = (self.bot.as_mut(), done) else { return };
        // After a failure the bot's state is not to be trusted: it stays failed.
        let Some(Ok(suggested)) = self.suggestion else { return };
        let taken = action.as_int().and_then(Action::from_index);
        let back = taken.filter(|&a| a != suggested);
        self.suggestion = Some(bot.replan(&self.env, back));
    }

    fn action(&self) -> Result<Value> {
        match &self.suggestion {
            _ if self.over => Err(EnvError::EpisodeOver),
            Some(Ok(action)) => Ok(Value::Int(*action as i64)),
            Some(Err(e)) => Err(EnvError::Unsupported(e.to_string())),
            None => Err(EnvError::NotReset),
        }
    }
}

impl ExpertEnv {
    /// Makes `id` (as [`make`] does) with its expert; an id without an expert is an error that
    /// lists the ids with one.
    pub fn make(id: &str, kwargs: &Kwargs) -> Result<ExpertEnv> {
        let inner = if id.starts_with("BabyAI-") {
            let env = gridworld::make_level(id, kwargs)?;
            Inner::BabyAi(Box::new(Teacher { env, bot: None, suggestion: None, over: false }))
        } else if id.starts_with("MiniGrid-") {
            let expert = gridworld::experts::expert_for(id)?;
            Inner::Grid { env: gridworld::make(id, kwargs)?, expert, started: false }
        } else {
            let expert = classic::expert_for(id).map_err(|_| no_expert(id))?;
            Inner::Classic { env: make(id, kwargs)?, expert, obs: None }
        };
        Ok(ExpertEnv { id: id.to_string(), inner })
    }

    /// Whether `id` has a scripted expert.
    pub fn has_expert(id: &str) -> bool {
        classic::EXPERT_IDS.contains(&id)
            || gridworld::experts::supported_ids().contains(&id)
            || (id.starts_with("BabyAI-") && gridworld::ids().contains(&id))
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The expert's action in the current state (after `reset`; an error before).
    pub fn expert_action(&mut self) -> Result<Value> {
        match &mut self.inner {
            Inner::Classic { expert, obs: Some(obs), .. } => Ok(expert(obs)),
            Inner::Grid { env, expert, started: true } => Ok(Value::Int(expert.act(env.world()) as i64)),
            Inner::BabyAi(teacher) => teacher.action(),
            _ => Err(EnvError::NotReset),
        }
    }

    fn env(&self) -> &dyn Env {
        match &self.inner {
            Inner::Classic { env, .. } => env.as_ref(),
            Inner::Grid { env, .. } => env.as_ref(),
            Inner::BabyAi(teacher) => teacher.env.as_ref(),
        }
    }

    /// Remembers what the expert reads of a new state: the classic expert's observation row.
    fn observed(&mut self, seen: Seen) -> Result<()> {
        match &mut self.inner {
            Inner::Classic { obs, env, .. } => {
                *obs = Some(match seen {
                    Seen::Row(row) => row.to_vec(),
                    Seen::Value(value) => {
                        let mut row = vec![0.0f32; env.flat_space().flat_dim()?];
                        env.observation_space().flatten_into(value, &mut row)?;
                        row
                    }
                });
            }
            Inner::Grid { expert, started, .. } => {
                if !*started {
                    expert.reset();
                    *started = true;
                }
            }
            Inner::BabyAi(teacher) => {
                if teacher.bot.is_none() {
                    teacher.start();
                }
            }
        }
        Ok(())
    }

    fn forget(&mut self) {
        match &mut self.inner {
            Inner::Classic { obs, .. } => *obs = None,
            Inner::Grid { started, .. } => *started = false,
            Inner::BabyAi(teacher) => {
                teacher.bot = None;
                teacher.suggestion = None;
            }
        }
    }

    fn env_mut(&mut self) -> &mut dyn Env {
        match &mut self.inner {
            Inner::Classic { env, .. } => env.as_mut(),
            Inner::Grid { env, .. } => env.as_mut(),
            Inner::BabyAi(teacher) => teacher.env.as_mut(),
        }
    }

    /// The MiniGrid environment inside, for its world and text rendering.
    pub fn grid_env(&self) -> Option<&dyn GridEnv> {
        match &self.inner {
            Inner::Grid { env, .. } => Some(env.as_ref()),
            Inner::BabyAi(teacher) => Some(teacher.env.as_ref()),
            Inner::Classic { .. } => None,
        }
    }
}

impl ExpertEnv {
    /// Tells a BabyAI bot which action was taken.
    fn stepped(&mut self, action: &Value, done: bool) {
        if let Inner::BabyAi(teacher) = &mut self.inner {
            teacher.stepped(action, done);
        }
    }
}

/// A new observation, as a value or as a flat row.
enum Seen<'a> {
    Value(&'a Value),
    Row(&'a [f32]),
}

fn no_expert(id: &str) -> EnvError {
    EnvError::Unsupported(format!(
        "no scripted expert for `{id}`; experts exist for {} and the MiniGrid ids ({})",
        classic::EXPERT_IDS.join(", "),
        gridworld::experts::supported_ids().len()
    ))
}

impl Env for ExpertEnv {
    fn observation_space(&self) -> &Space {
        self.env().observation_space()
    }
    fn action_space(&self) -> &Space {
        self.env().action_space()
    }
    fn flat_space(&self) -> &Space {
        self.env().flat_space()
    }
    fn render(&self) -> Result<Frame> {
        self.env().render()
    }
    fn render_fps(&self) -> u32 {
        self.env().render_fps()
    }
    fn grid_world(&self) -> Option<&crate::gridworld::World> {
        self.env().grid_world()
    }

    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        self.forget();
        let (obs, info) = self.env_mut().reset(seed, options)?;
        self.observed(Seen::Value(&obs))?;
        Ok((obs, info))
    }

    fn step(&mut self, action: &Value) -> Result<Step> {
        let step = self.env_mut().step(action)?;
        self.observed(Seen::Value(&step.obs))?;
        self.stepped(action, step.terminated || step.truncated);
        Ok(step)
    }

    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.forget();
        self.env_mut().reset_into(seed, obs)?;
        self.observed(Seen::Row(obs))
    }

    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        let t = self.env_mut().step_into(action, obs)?;
        self.observed(Seen::Row(obs))?;
        self.stepped(action, t.done());
        Ok(t)
    }
}
