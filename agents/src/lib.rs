//! limbic-agents: networks, policies and learners on burn (flex backend).
//!
//! [`Algorithm`] is the boundary with the platform: the runner in the root crate owns the vector
//! env, the run directory and the schedule of evaluations and checkpoints; an algorithm owns its
//! networks, optimizers, normalizers and RNG, and advances training one update at a time.
//!
//! - [`nets`]: MLP torsos, the MiniGrid image encoder, initializers (drawn from our own
//!   generator, never burn's process-wide RNG);
//! - [`distributions`]: categorical, diagonal Gaussian and tanh-Gaussian, on tensors for losses
//!   and on plain rows for seeded sampling;
//! - [`policy`]: the policy contract (observations, recurrent state, goal -> distribution,
//!   values per reward stream, next state, auxiliary outputs) and the feed-forward actor-critic;
//! - [`rollout`] and [`normalize`]: on-policy collection, GAE and `VecNormalize`-style
//!   statistics, shared by on-policy learners;
//! - [`ppo`]: Proximal Policy Optimization;
//! - [`replay`], [`offpolicy`]: the replay buffer and what DQN and SAC share; [`dqn`], [`sac`];
//! - [`imitation`]: demonstrations, behavioural cloning, DAgger and SQIL;
//! - [`shaping`]: the hook through which intrinsic rewards (the `rewards` crate) reach learners;
//! - [`checkpoint`]: atomic, checksummed checkpoint files.
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

pub mod algorithm;
pub mod checkpoint;
pub mod distributions;
pub mod dqn;
pub mod error;
pub mod imitation;
pub mod nets;
pub mod normalize;
pub mod offpolicy;
pub mod policy;
pub mod ppo;
pub mod replay;
pub mod rollout;
pub mod sac;
pub mod shaping;

pub use algorithm::{Algorithm, Update};
pub use error::{AgentError, Result};
