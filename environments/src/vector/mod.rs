//! Vector environments: N sub-environments stepped together into contiguous buffers.
//!
//! [`VecEnv`] is Gymnasium's `SyncVectorEnv` without the Python: each call steps every
//! sub-environment once and writes the results straight into buffers a learner reads as they
//! are, observations `[N, D]` f32 row-major (D = the observation space's
//! [`flat_dim`](Space::flat_dim)), rewards `[N]` f64 (Gymnasium's dtype, exact for every
//! environment; cast to f32 where a network wants it), and `terminated`/`truncated` `[N]` bool.
//!
//! - `reset(Some(seed))` seeds sub-env i with `seed + i`, as `SyncVectorEnv.reset(seed=seed)` does.
//! - [`Autoreset`] picks what happens after a done step: NEXT_STEP (the default), SAME_STEP or
//!   DISABLED, with Gymnasium 1.x meaning.
//! - Actions come as [`Value`]s ([`VecEnv::step`]) or, without building any value, as a batch of
//!   discrete actions ([`VecEnv::step_discrete`]) or a `[N, A]` f32 array
//!   ([`VecEnv::step_continuous`]).
//! - [`VecEnv::with_threads`] splits the N envs into contiguous chunks stepped on worker threads;
//!   results are identical to the single-threaded run.
//! - [`VecEnv::cartpole`] steps CartPoles with a batched kernel, with results identical to
//!   `VecEnv::make("CartPole-v1", ..)`.
//! - Finished episodes (return, length) are kept until [`VecEnv::take_episodes`].
//! - [`VecEnv::with_batch_scope`] runs every reset and step of the whole batch inside one call
//!   of a scope function (an env id's [`EnvSpec::batch_scope`](crate::registry::EnvSpec)): a
//!   Python env takes the GIL once per vector step rather than once per sub-env.
//!
//! ```
//! use limbic_environments::vector::VecEnv;
//! use limbic_environments::Kwargs;
//! let mut envs = VecEnv::make("CartPole-v1", 4, &Kwargs::new()).unwrap();
//! let obs = envs.reset(Some(0)).unwrap();
//! assert_eq!(obs.len(), 4 * 4); // [N, D] = [4, 4]
//! // Sub-env 0 starts where `gymnasium.make("CartPole-v1").reset(seed=0)` does.
//! assert_eq!(obs[..4], [0.013696169, -0.02302133, -0.045902647, -0.048347235]);
//! let mut finished = 0;
//! for _ in 0..200 {
//!     let step = envs.step_discrete(&[0, 1, 0, 1]).unwrap();
//!     assert_eq!(step.rewards.len(), 4);
//!     finished += step.terminated.iter().filter(|&&t| t).count();
//! }
//! // Pushing one way topples the pole within a few dozen steps; every sub-env ended some episodes.
//! let episodes = envs.take_episodes();
//! assert_eq!(episodes.len(), finished);
//! assert!(episodes.iter().all(|e| e.length > 0 && e.episode_return == e.length as f64));
//! ```

mod cartpole;
mod state;
mod sync;
mod threaded;

use crate::env::{check_action, Env, Options};
use crate::error::{EnvError, Result};
use crate::registry::{make, spec, Kwargs};
use crate::space::{DType, Space};
use crate::value::Value;
pub use state::VecEnvState;
use sync::{Actions, Kernel, Part};
use threaded::Threads;

/// Runs one batch (a reset or step of every sub-env) inside a scope of the caller's: the batch
/// is the function it is given, to call exactly once.
pub type BatchScope = std::sync::Arc<dyn Fn(&mut dyn FnMut()) + Send + Sync>;

/// What a vector env does after a sub-env's episode ends (Gymnasium's `AutoresetMode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Autoreset {
    /// The done step returns the terminal observation; the next step resets that sub-env,
    /// ignores its action and returns the reset observation with reward 0 and both flags false.
    #[default]
    NextStep,
    /// The done step resets the sub-env at once and returns the reset observation (with the
    /// done step's reward and flags); the terminal observation is kept in
    /// [`VecStep::final_obs`] where [`VecStep::final_mask`] is set (Gymnasium's
    /// `info["final_obs"]`).
    SameStep,
    /// No automatic reset: reset finished sub-envs with [`VecEnv::reset_with`] and a mask;
    /// stepping a finished sub-env is an error.
    Disabled,
}

/// A finished episode of one sub-environment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Episode {
    /// Index of the sub-environment.
    pub env: usize,
    /// Sum of the episode's rewards.
    pub episode_return: f64,
    /// Number of steps in the episode.
    pub length: u64,
}

/// The result of one vector step: views into the vector env's buffers, row i for sub-env i.
#[derive(Clone, Copy, Debug)]
pub struct VecStep<'a> {
    /// `[N, D]` observations, row-major.
    pub obs: &'a [f32],
    pub rewards: &'a [f64],
    pub terminated: &'a [bool],
    pub truncated: &'a [bool],
    /// `[N, D]` terminal observations of the sub-envs that were reset inside this step (SAME_STEP
    /// only); rows where `final_mask` is false hold stale data.
    pub final_obs: &'a [f32],
    pub final_mask: &'a [bool],
}

/// The per-sub-env buffers, each N rows long.
#[derive(Clone, Debug, Default)]
struct Buffers {
    obs: Vec<f32>,
    rewards: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    final_obs: Vec<f32>,
    final_mask: Vec<bool>,
    /// The sub-env's episode has ended and it has not been reset since.
    done: Vec<bool>,
    /// Return and length of each sub-env's running episode.
    returns: Vec<f64>,
    lengths: Vec<u64>,
    /// Reused action values for `step_continuous` (float32 Box action spaces only).
    scratch: Vec<Value>,
}

/// N environments stepped together into contiguous buffers; see the [module docs](self).
///
/// `E` is the sub-environment type: `Box<dyn Env>` for envs built by id, or a concrete type
/// (e.g. `TimeLimit<CartPole>`) to step without dynamic dispatch.
pub struct VecEnv<E: Env = Box<dyn Env>> {
    envs: Vec<E>,
    obs_space: Space,
    /// The space whose flat encoding the rows hold (`Env::flat_space`).
    flat_space: Space,
    act_space: Space,
    obs_dim: usize,
    autoreset: Autoreset,
    buf: Buffers,
    episodes: Vec<Episode>,
    threads: Option<Threads>,
    /// A batched step for this sub-env type, where there is one (see [`VecEnv::cartpole`]).
    kernel: Option<Kernel<E>>,
    scope: Option<BatchScope>,
}

impl VecEnv<Box<dyn Env>> {
    /// `num_envs` copies of a registered environment, each built by [`make`] (so with its time
    /// limit), like `gym.make_vec(id, num_envs, vectorization_mode="sync")`.
    /// Batches run inside the id's [`batch_scope`](crate::registry::EnvSpec::batch_scope).
    pub fn make(id: &str, num_envs: usize, kwargs: &Kwargs) -> Result<Self> {
        Ok(Self::from_fn(num_envs, |_| make(id, kwargs))?.with_batch_scope(spec(id)?.batch_scope))
    }
}

impl<E: Env> VecEnv<E> {
    /// Builds sub-env i with `factory(i)`.
    pub fn from_fn(num_envs: usize, factory: impl FnMut(usize) -> Result<E>) -> Result<Self> {
        Self::new((0..num_envs).map(factory).collect::<Result<Vec<E>>>()?)
    }

    /// Vectorizes the given environments, which must share their observation and action spaces.
    pub fn new(envs: Vec<E>) -> Result<Self> {
        let first = envs.first().ok_or_else(|| EnvError::Unsupported("a vector env needs at least one env".into()))?;
        let (obs_space, act_space) = (first.observation_space().clone(), first.action_space().clone());
        // Rows hold the flat encoding of `flat_space` (MiniGrid leaves out its text mission).
        let flat_space = first.flat_space().clone();
        let obs_dim = flat_space.flat_dim()?;
        if obs_dim == 0 {
            return Err(EnvError::BadSpace("the observation space has no elements".into()));
        }
        for (index, env) in envs.iter().enumerate() {
            if env.observation_space() != &obs_space || env.action_space() != &act_space {
                let source = Box::new(EnvError::BadSpace(format!(
                    "spaces differ from sub-environment 0's (observation {}, action {})",
                    obs_space.describe(),
                    act_space.describe()
                )));
                return Err(EnvError::SubEnv { index, source });
            }
        }
        let n = envs.len();
        let scratch = match &act_space {
            Space::Box(b) if b.dtype == DType::Float32 => vec![Value::F32(vec![0.0; b.low.len()]); n],
            _ => Vec::new(),
        };
        let buf = Buffers {
            obs: vec![0.0; n * obs_dim],
            rewards: vec![0.0; n],
            terminated: vec![false; n],
            truncated: vec![false; n],
            final_obs: vec![0.0; n * obs_dim],
            final_mask: vec![false; n],
            done: vec![false; n],
            returns: vec![0.0; n],
            lengths: vec![0; n],
            scratch,
        };
        Ok(VecEnv {
            envs,
            obs_space,
            flat_space,
            act_space,
            obs_dim,
            autoreset: Autoreset::default(),
            buf,
            episodes: Vec::new(),
            threads: None,
            kernel: None,
            scope: None,
        })
    }

    /// Sets the autoreset mode (NEXT_STEP by default); choose it before the first reset.
    pub fn with_autoreset(mut self, mode: Autoreset) -> Self {
        self.autoreset = mode;
        self
    }

    /// Runs every batch (each reset and step of all sub-envs) inside `scope`, on the calling
    /// thread: what the sub-envs need for a whole batch is set up once (a Python env's GIL).
    /// Sub-envs stepped on worker threads ([`VecEnv::with_threads`]) run outside it.
    pub fn with_batch_scope(mut self, scope: Option<BatchScope>) -> Self {
        self.scope = scope;
        self
    }

    /// Steps contiguous chunks of sub-envs on `threads` threads (the caller's included);
    /// `None` uses every core (`std::thread::available_parallelism`). Never more threads than
    /// sub-envs; 1 steps everything on the caller's thread. Results do not depend on it.
    ///
    /// Handing a step to the workers costs a few microseconds, so threads pay off when each
    /// one gets tens of microseconds of stepping per call: about a thousand CartPoles, or far
    /// fewer slower envs. Measure with `cargo bench --bench env_throughput`.
    pub fn with_threads(mut self, threads: Option<usize>) -> Result<Self> {
        let wanted = match threads {
            Some(0) => return Err(EnvError::Unsupported("a vector env needs at least one thread".into())),
            Some(t) => t,
            None => std::thread::available_parallelism().map_or(1, |t| t.get()),
        };
        let threads = wanted.min(self.num_envs());
        self.threads = if threads > 1 { Some(Threads::new(threads, self.num_envs())?) } else { None };
        Ok(self)
    }

    pub fn num_envs(&self) -> usize {
        self.envs.len()
    }

    /// Number of threads that step the sub-envs (1 = the caller's only).
    pub fn threads(&self) -> usize {
        self.threads.as_ref().map_or(1, Threads::count)
    }

    pub fn autoreset(&self) -> Autoreset {
        self.autoreset
    }

    /// Length D of one observation row.
    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    /// The observation space of one sub-env (Gymnasium's `single_observation_space`).
    pub fn observation_space(&self) -> &Space {
        &self.obs_space
    }

    /// The action space of one sub-env (Gymnasium's `single_action_space`).
    pub fn action_space(&self) -> &Space {
        &self.act_space
    }

    pub fn envs(&self) -> &[E] {
        &self.envs
    }

    pub fn envs_mut(&mut self) -> &mut [E] {
        &mut self.envs
    }

    /// The buffers as the last `reset` or step left them.
    pub fn last(&self) -> VecStep<'_> {
        VecStep {
            obs: &self.buf.obs,
            rewards: &self.buf.rewards,
            terminated: &self.buf.terminated,
            truncated: &self.buf.truncated,
            final_obs: &self.buf.final_obs,
            final_mask: &self.buf.final_mask,
        }
    }

    /// Which rows' current observation begins an episode (no step taken in it yet): after a
    /// reset, a NEXT_STEP autoreset or a SAME_STEP reset. A recurrent policy starts its memory
    /// afresh there. A row whose episode has ended and awaits its NEXT_STEP reset is not a start.
    pub fn episode_starts(&self) -> Vec<bool> {
        self.buf.lengths.iter().zip(&self.buf.done).map(|(&length, &done)| length == 0 && !done).collect()
    }

    /// The episodes finished since the last call, in the order they ended (sub-env index order
    /// within one step).
    pub fn take_episodes(&mut self) -> Vec<Episode> {
        std::mem::take(&mut self.episodes)
    }

    /// Resets every sub-env (sub-env i with `seed + i` when seeded) and returns the `[N, D]`
    /// observations. Running episodes are dropped from the statistics.
    pub fn reset(&mut self, seed: Option<u64>) -> Result<&[f32]> {
        self.reset_with(seed, &Options::new(), None)?;
        Ok(&self.buf.obs)
    }

    /// `reset` with options for every sub-env and, optionally, a mask of the sub-envs to reset
    /// (Gymnasium's `options["reset_mask"]`; an all-false mask resets nothing). The others keep
    /// their state and buffers.
    pub fn reset_with(&mut self, seed: Option<u64>, options: &Options, mask: Option<&[bool]>) -> Result<&[f32]> {
        if let Some(mask) = mask {
            self.check_len("reset mask", mask.len(), self.num_envs())?;
        }
        self.run(|part| part.reset(seed, options, mask.map(|m| &m[part.range()])))?;
        Ok(&self.buf.obs)
    }

    /// Steps every sub-env with its action.
    pub fn step(&mut self, actions: &[Value]) -> Result<VecStep<'_>> {
        self.check_len("actions", actions.len(), self.num_envs())?;
        self.step_with(Actions::Values(actions))
    }

    /// Steps a vector env whose action space is `Discrete`, one action per sub-env. The actions
    /// are checked before any sub-env steps.
    pub fn step_discrete(&mut self, actions: &[i64]) -> Result<VecStep<'_>> {
        let Space::Discrete { n, start } = self.act_space else {
            return Err(self.not_an_action_space("step_discrete", "Discrete"));
        };
        self.check_len("actions", actions.len(), self.num_envs())?;
        for (index, &action) in actions.iter().enumerate() {
            if !(start..start + n).contains(&action) {
                let refused = check_action(&self.act_space, &Value::Int(action));
                refused.map_err(|source| EnvError::SubEnv { index, source: Box::new(source) })?;
            }
        }
        self.step_with(Actions::Discrete(actions))
    }

    /// Steps a vector env whose action space is a float32 `Box` of A elements; `actions` is
    /// `[N, A]` row-major.
    pub fn step_continuous(&mut self, actions: &[f32]) -> Result<VecStep<'_>> {
        let dim = match &self.act_space {
            Space::Box(b) if b.dtype == DType::Float32 => b.low.len(),
            _ => return Err(self.not_an_action_space("step_continuous", "float32 Box")),
        };
        self.check_len("action numbers", actions.len(), self.num_envs() * dim)?;
        self.step_with(Actions::Continuous { flat: actions, dim })
    }

    fn step_with(&mut self, actions: Actions<'_>) -> Result<VecStep<'_>> {
        let (mode, kernel) = (self.autoreset, self.kernel);
        self.run(|part| part.step(actions.slice(part.range()), mode, kernel))?;
        Ok(self.last())
    }

    /// Runs `job` over the sub-envs, on this thread or split across the worker threads, and
    /// collects the finished episodes in sub-env order. On error the lowest failing index wins;
    /// the batch is then partly stepped and should be reset.
    fn run(&mut self, job: impl Fn(&mut Part<'_, E>) -> Result<()> + Sync) -> Result<()> {
        let Some(scope) = self.scope.clone() else { return self.run_unscoped(&job) };
        let mut result = Ok(());
        scope(&mut || result = self.run_unscoped(&job));
        result
    }

    fn run_unscoped(&mut self, job: &(impl Fn(&mut Part<'_, E>) -> Result<()> + Sync)) -> Result<()> {
        let episodes = std::mem::take(&mut self.episodes);
        let whole = Part::new(&mut self.envs, &mut self.buf, &self.flat_space, self.obs_dim, episodes);
        match &mut self.threads {
            None => {
                let mut part = whole;
                let result = job(&mut part);
                self.episodes = part.episodes;
                result
            }
            Some(threads) => threads.run(whole, &mut self.episodes, job),
        }
    }

    fn check_len(&self, what: &str, got: usize, expected: usize) -> Result<()> {
        if got == expected {
            return Ok(());
        }
        let reason = format!("expected {expected} for {} sub-environments, got {got}", self.num_envs());
        Err(EnvError::InvalidAction { action: format!("batch of {what}"), reason })
    }

    fn not_an_action_space(&self, method: &str, wanted: &str) -> EnvError {
        EnvError::Unsupported(format!(
            "{method} needs a {wanted} action space, this vector env has {}; use step",
            self.act_space.describe()
        ))
    }
}
