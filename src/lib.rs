//! limbic: train reinforcement-learning agents shaped by internal cost functions.
//!
//! The platform crate: the command line (`limbic`), and the experiment around a learner.
//!
//! - [`environments`]: Gymnasium-faithful environments, spaces, wrappers, vector envs, registry.
//! - [`agents`]: networks and learners behind the [`agents::Algorithm`] trait.
//! - [`config`]: [`config::RunConfig`], resolved from defaults, [`presets`], a file and flags.
//! - [`runner`]: the training loop, resume, and the one-call train-evaluate-report.
//! - [`run_dir`]: the run directory (config, metrics, checkpoints, plots, GIF), written atomically
//!   by one owner ([`lock`]), read by anyone; [`recognize`]: what `--force` may replace.
//! - [`checks`]: arguments checked before work starts (seeds, memory, extensions), warnings.
//! - [`demos`]: recording demonstrations into [`datasets`] (Minari layout), reference scores.
//! - [`imitate`] and [`imitate_sweep`]: train and score imitation learners from a dataset;
//!   [`sweep`]: a grid of configs x seeds (`limbic sweep`, local or Ray backend).
//! - [`evaluate`] (with [`stats`]) and [`plot`]: evaluation summaries and learning curves.
//! - [`teachers`]: the teacher factory of the feedback signals (`--teacher`), and their label files.
//! - [`run_skill`]: a trained run's final policy as a skill of a `skills` env wrapper.
//! - [`dream`]: a run's world model predicting an episode open loop, drawn beside the real one.
//! - [`teach`]: the web teacher, a page where a person answers a feedback signal's questions.

pub use limbic_agents as agents;
pub use limbic_datasets as datasets;
pub use limbic_environments as environments;

pub mod checks;
pub mod config;
pub mod demos;
pub mod dream;
pub mod env_maker;
pub mod evaluate;
pub mod imitate;
pub mod imitate_sweep;
pub mod lock;
pub mod metrics;
pub mod plot;
pub mod presets;
pub mod progress;
pub mod random_agent;
pub mod recognize;
pub mod run_dir;
pub mod run_skill;
pub mod runner;
pub mod seeds;
pub mod stats;
pub mod sweep;
pub mod teach;
pub mod teachers;
pub mod train_envs;
