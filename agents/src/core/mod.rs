//! The shared machinery every learner imports, one of each: the [`algorithm`] boundary and
//! registry, [`checkpoint`] files (atomic, checksummed), [`config`] parsing and range checks,
//! what surrounds an optimizer step ([`optim`]: global-norm clipping, target averaging,
//! finiteness checks, running means), and a component's state as checksummed sections
//! ([`archive`]).

pub mod algorithm;
pub mod archive;
pub mod checkpoint;
pub mod config;
pub mod optim;
