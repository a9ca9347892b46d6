//! limbic-agents: networks, policies and learners on burn (flex backend).
//!
//! The crate separates the roles the way RLlib's new stack and Acme do:
//! - **policy modules** ([`policies`]): networks only, behind the [`policies::Policy`] trait
//!   (observations, recurrent state, episode starts, goal -> action distribution, values per
//!   reward stream, next state, auxiliary outputs): the feed-forward
//!   [`policies::ActorCritic`] and [`policies::MemoryActorCritic`] (GRU, LSTM, gated slots);
//! - **acting sessions** ([`policies::Actor`]): whoever acts owns one, with each row's
//!   recurrent state and its own generator;
//! - **the env runner** ([`runner`]): the one loop that steps a vector env with an action
//!   source and returns owned, typed batches; on-policy collection and off-policy storage
//!   consume it;
//! - **learners** ([`learners`]): PPO (its update separable from its collection), DQN, SAC,
//!   and the imitation learners ([`imitation`]: BC, DAgger, SQIL); each owns its optimizer;
//! - **hierarchical controllers** ([`hierarchy`]): option-critic, and a manager that sets
//!   goals (or picks skills) for a worker, both on PPO's learner;
//! - **shared machinery** ([`core`]): the [`Algorithm`] boundary and the algorithm registry,
//!   checkpoints, config parsing, gradient clipping; **buffers** ([`buffers`]): rollouts with
//!   recurrent states and sequence minibatches, replay, normalizers; **networks** ([`nets`]):
//!   MLPs, the MiniGrid encoder, distributions, working-memory cells, and the blocks neural
//!   reward signals and world models build on.
//!
//! [`shaping`] is the hook through which intrinsic rewards (the `rewards` crate) reach learners.
//!
//! # Threads, determinism, speed
//!
//! Everything runs on burn's `flex` CPU backend. Its kernels use rayon's global pool:
//! `RAYON_NUM_THREADS=1` makes a run single-threaded (and was as fast or faster for these
//! small networks on 2 cores). A config and a seed then fix a run exactly; runs with the same
//! thread count also repeat exactly. glibc's allocator gives freed memory back to the OS and
//! faults it in again on the next minibatch. The `limbic` binary therefore uses mimalloc as its
//! global allocator (about 20% more PPO steps per CPU second on CartPole, BENCHMARKS.md); other
//! programs that link this crate can do the same, or run with `MALLOC_TRIM_THRESHOLD_=268435456
//! MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TOP_PAD_=67108864`.

pub mod buffers;
pub mod core;
pub mod error;
pub mod hierarchy;
pub mod imitation;
pub mod learners;
pub mod nets;
pub mod policies;
pub mod runner;
pub mod shaping;
pub mod world_model;

pub use crate::core::algorithm::{Algorithm, AlgorithmSpec, Algorithms, Update};
pub use error::{AgentError, Result};
pub use nets::distributions;
