//! A learned latent dynamics model in the DreamerV3 recipe (Hafner et al. 2023), sized for a
//! CPU: the recurrent state-space model ([`rssm`]) with a GRU deterministic path and a
//! stochastic state of categorical latents (1% uniform mix), an encoder and decoder for
//! vectors (MLP on `symlog`) and for MiniGrid observations (the MiniGrid CNN; the decoder
//! predicts object, colour and state indices as categoricals), a two-hot `symlog` reward head
//! and a continuation head ([`model`]), KL balancing with free bits, trained on chunks of a
//! sequence replay that respect episode boundaries ([`replay`], [`learner`]).
//!
//! Three uses: the Dreamer learner imagines with it (`crate::learners::dreamer`), the reward
//! signals `latent_disagreement` and `model_error` read its surprise ([`filter`]), and
//! `limbic dream` shows what it predicts.
//!
//! - [`math`]: `symlog`, two-hot targets, categorical latents, straight-through samples;
//! - [`nets`]: dense layers with layer norm, the observation codings;
//! - [`rssm`]: the sequence model, prior and posterior;
//! - [`model`]: [`WorldModel`] and its loss; how actions enter it;
//! - [`replay`]: [`SequenceReplay`], the train-ratio schedule;
//! - [`learner`]: [`WorldModelLearner`], model + replay + optimizer + schedule, checkpointed as
//!   one archive;
//! - [`filter`]: [`LatentFilter`] (following sub-envs step by step) and [`SharedWorldModel`];
//! - [`reader`]: [`ModelReader`], a reward signal's model: its own, or the run's shared one.
//!
//! Metrics of each gradient step: `world_model/{recon,reward,cont,kl_dyn,kl_rep}` (the loss
//! parts; the KL terms after free bits), `world_model/kl` (before), `world_model/loss`,
//! `world_model/grad_norm`, `world_model/{prior,post}_entropy`.

pub mod filter;
pub mod learner;
pub mod math;
pub mod model;
pub mod nets;
pub mod reader;
pub mod replay;
pub mod rssm;

pub use filter::{FilterStep, LatentFilter, SharedWorldModel};
pub use learner::{ModelStep, ReplaySettings, WorldModelLearner};
pub use model::{ActionInput, WorldModel, WorldModelConfig};
pub use nets::ObsCoding;
pub use reader::{ModelParams, ModelReader};
pub use replay::{SequenceBatch, SequenceReplay};
