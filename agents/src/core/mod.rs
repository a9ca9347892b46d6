//! The shared machinery every learner imports, one of each: the [`algorithm`] boundary and
//! registry, [`checkpoint`] files (atomic, checksummed), [`config`] parsing and range checks,
//! and what surrounds an optimizer step ([`optim`]: global-norm clipping, target averaging,
//! finiteness checks, running means).

pub mod algorithm;
pub mod checkpoint;
pub mod config;
pub mod optim;
