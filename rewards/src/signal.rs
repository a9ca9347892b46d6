//! [`IntrinsicReward`]: the contract every signal implements, built-in or a user's own.
//!
//! A signal produces **raw** bonuses only. Normalization, observation normalization of the
//! module's input, the weight schedule and combination happen once, in the reward set's
//! scaling stage, never inside a signal (RLeXplore's NGU weights each factor before
//! multiplying them; limbic does not).

use crate::feedback::{TeacherRequest, TeacherWithHistory};
use crate::scaling::Normalization;
use limbic_agents::shaping::Transitions;
use limbic_agents::world_model::SharedWorldModel;
use limbic_agents::Result;
use std::collections::BTreeMap;

/// Whether a signal's memory lasts one episode or the whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Memory {
    /// Reset per sub-env when its episode ends (terminated or truncated).
    Episodic,
    /// Kept across episodes.
    Lifelong,
}

/// What a signal is built with.
#[derive(Clone, Debug)]
pub struct SignalContext {
    /// Width of the observation rows the signal receives (only its keys' part of the row).
    pub obs_dim: usize,
    /// The observation space restricted to the signal's keys (a `Dict` of them, or the whole
    /// space when the signal reads everything).
    pub observation_space: limbic_environments::Space,
    pub action_space: limbic_environments::Space,
    pub num_envs: usize,
    /// Seed for the signal's own weights and draws.
    pub seed: u64,
}

/// One internal cost function.
///
/// Call order per vector step: [`observe`](Self::observe); per rollout (on-policy) or per
/// window of steps (off-policy): [`compute`](Self::compute), then [`update`](Self::update).
/// The observation rows a signal sees contain only the keys it reads.
pub trait IntrinsicReward: Send {
    /// The registry name (`rnd`, `counts`, ...).
    fn name(&self) -> &str;

    fn memory(&self) -> Memory;

    /// Observation keys the signal reads; `None` = the whole observation.
    fn keys(&self) -> Option<Vec<String>> {
        None
    }

    /// Sees one vector step (`T = 1`) as it happens. Episodic signals score the step against
    /// their per-episode memory here and remember the score for [`compute`](Self::compute).
    fn observe(&mut self, _step: &Transitions) -> Result<()> {
        Ok(())
    }

    /// Raw bonuses `[T, N]` for `batch` into `out` (0 for invalid slots).
    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()>;

    /// Trains the signal's own model on `batch`; returns diagnostics such as `loss`.
    fn update(&mut self, _batch: &Transitions) -> Result<BTreeMap<String, f64>> {
        Ok(BTreeMap::new())
    }

    /// Forgets sub-env `env`'s episode (episodic signals). The reward set calls it right after
    /// [`observe`](Self::observe) for every sub-env whose step ended its episode.
    fn reset_episode(&mut self, _env: usize) {}

    /// Offered the run's world model (a world-model agent's): a signal that would train one of
    /// its own reads this one instead and returns `true`. Called once, before any step.
    fn share_world_model(&mut self, _model: &SharedWorldModel) -> Result<bool> {
        Ok(false)
    }

    /// The teacher a social-feedback signal (`preferences`, `evaluative`) asks for; `None`
    /// for every other signal.
    fn teacher_request(&self) -> Option<TeacherRequest> {
        None
    }

    /// Hands a feedback signal its teacher and the labels it already has (read back from the
    /// run's label file on resume, or from the file its `labels` parameter names), with the
    /// questions the run left waiting. Called once, before any step and before
    /// [`load`](Self::load); a signal that was never given a teacher keeps its last model and
    /// asks nothing.
    fn attach_teacher(&mut self, _attached: TeacherWithHistory) -> Result<()> {
        Err(limbic_agents::AgentError::Unsupported(format!("{} takes no teacher", self.name())))
    }

    /// For a signal whose reward is a function of a transition under a model it learns from a
    /// teacher's labels (`preferences`, TAMER): the model's version, which changes whenever the
    /// model does (a new fit). Off-policy learners then score their whole replay again with
    /// [`score`](Self::score) (PEBBLE's relabelling). `None` (the default): rewards already
    /// stored stay as they were.
    fn model_version(&self) -> Option<u64> {
        None
    }

    /// Raw rewards `[T, N]` of stored transitions under the current model into `out` (0 for
    /// invalid slots), learning nothing, asking nothing and changing no memory. Called only on
    /// signals with a [`model_version`](Self::model_version).
    fn score(&mut self, _batch: &Transitions, _out: &mut [f32]) -> Result<()> {
        Err(limbic_agents::AgentError::Unsupported(format!("{} cannot score stored transitions", self.name())))
    }

    /// The signal's whole state (weights, optimizer moments, counts, memories, RNG) as bytes.
    fn save(&self) -> Result<Vec<u8>>;

    /// Restores what [`save`](Self::save) wrote; corrupt bytes are an error.
    fn load(&mut self, bytes: &[u8]) -> Result<()>;
}

/// A registry entry: how a signal is named, documented and built from JSON parameters.
/// Built-in signals and a user's own are registered the same way.
#[derive(Clone, Copy)]
pub struct SignalEntry {
    /// The name configs and `--reward NAME:WEIGHT` use.
    pub name: &'static str,
    /// One line for `limbic rewards`.
    pub summary: &'static str,
    /// Every parameter with its meaning, in the order `limbic rewards` lists them.
    pub params: &'static [(&'static str, &'static str)],
    /// The default parameters as a JSON object (keys = `params`' names).
    pub defaults: fn() -> serde_json::Value,
    /// The weight `--reward NAME` (no `:WEIGHT`) and a spec without `weight` use: chosen so
    /// the signal works in its own stream with `rms` normalization and no tuning.
    pub weight: f64,
    /// The reward normalization of a spec that does not say (`"normalization"`): `rms` for
    /// most; `minmax` for bonuses that fall by orders of magnitude as their model learns (ICM,
    /// RND), whose first errors an `rms` filter would remember for the whole run.
    pub normalization: Normalization,
    /// An exploration bonus: by default in a stream of its own whose return terminations do
    /// not end. Otherwise (a task or imitation reward) summed into the env's stream.
    pub exploration: bool,
    /// Whether a spec that does not say (`"episodic_counts"`) multiplies the raw bonus by the
    /// episodic count factor `1 / sqrt(N(s'))` on discrete observations (see
    /// [`RewardSpec::episodic_counts`](crate::RewardSpec::episodic_counts)): for novelty signals
    /// whose own memory would otherwise let PPO loop (measured on MiniGrid, BENCHMARKS.md).
    pub episodic_counts: bool,
    /// Where the signal cannot work (a task family, an observation kind), for `limbic
    /// rewards`; empty when nothing is known.
    pub caveats: &'static str,
    /// Builds the signal; absent keys take their defaults, an unknown key or a bad value is an
    /// error that names it (and lists the valid keys). A `&'static` closure: built-ins write
    /// `&|params, context| ...`; a signal registered at run time (the Python binding's) leaks
    /// one that holds what it builds from.
    pub build: &'static BuildSignal,
}

/// What [`SignalEntry::build`] calls.
pub type BuildSignal = dyn Fn(&serde_json::Value, &SignalContext) -> Result<Box<dyn IntrinsicReward>> + Send + Sync;
