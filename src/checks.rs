//! Arguments checked before any work starts, so a command either refuses at once with a clear
//! message or runs to its end: seeds within range for every use, sizes against the memory the
//! machine has (with the estimate), output files with the extension of what is written; and
//! warnings for values that are legal but almost surely wrong.

use crate::config::RunConfig;
use anyhow::{bail, Result};
use limbic_agents::buffers::replay::{ActionLayout, ReplayConfig};
use limbic_agents::shaping::RewardShaper;
use limbic_environments::vector::VecEnv;
use limbic_environments::{Env, Kwargs, Space};
use limbic_rewards::{Registry, RewardSet, SignalContext};
use serde_json::Value as Json;
use std::path::Path;

/// Refuses `seed` when one of the seeds made from it, `seed + offset + i` for `i < count`
/// (sub-env i, evaluation episode i above an offset), would pass the largest seed,
/// `u64::MAX`. `what` names the argument.
pub fn seed_range(what: &str, seed: u64, offset: u64, count: u64) -> Result<()> {
    let Some(last) = count.checked_sub(1) else { return Ok(()) };
    let largest = u64::MAX.checked_sub(offset).and_then(|m| m.checked_sub(last));
    if largest.is_some_and(|largest| seed <= largest) {
        return Ok(());
    }
    let uses = if offset == 0 { "seed + i".to_string() } else { format!("seed + {offset} + i") };
    let instead = largest.map_or("no seed fits".into(), |l| format!("use a seed of at most {l}"));
    bail!("{what} {seed} is too large: {uses} for i < {count} would pass the largest seed, {}; {instead}", u64::MAX)
}

/// Refuses `path` unless its extension is one of `allowed` (lowercase, without the dot).
pub fn extension(what: &str, path: &Path, allowed: &[&str]) -> Result<()> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase());
    if ext.as_deref().is_some_and(|e| allowed.contains(&e)) {
        return Ok(());
    }
    let names: Vec<String> = allowed.iter().map(|e| format!(".{e}")).collect();
    bail!(
        "{what} {}: the file written is {}, so its name must end with {}",
        path.display(),
        names[0],
        names.join(" or ")
    )
}

/// The memory one sub-environment of `env` takes in a vector env of `count`, measured when
/// `count` is large: this process's resident memory grows by this much per sub-env while
/// [`SAMPLE_ENVS`] of them are made and reset (Linux). For a small `count`, elsewhere, or if
/// the measurement shows nothing: the vector env's buffers for the observation. (Measured with
/// `limbic bench env --num-envs 100000`, 2026-12-07: CartPole-v1 about 1 KB per sub-env,
/// MiniGrid-DoorKey-8x8 about 12 KB, KeyCorridorS3R3 about 14 KB; this measure says 3, 13
/// and 15 KB.)
pub fn sub_env_bytes(env: &str, kwargs: &Kwargs, count: usize) -> Result<u64> {
    let before = resident_bytes();
    let sample = count.min(SAMPLE_ENVS);
    let mut envs = VecEnv::make(env, sample, kwargs)?;
    envs.reset(Some(0))?;
    let after = resident_bytes();
    let floor = 1024 + 32 * envs.obs_dim() as u64;
    let measured = match (before, after) {
        (Some(b), Some(a)) if count > SAMPLE_ENVS => a.saturating_sub(b) / sample as u64,
        _ => 0,
    };
    Ok(measured.max(floor))
}

/// Refuses a vector env of `count` sub-envs of `env` (each needing `extra_each` bytes besides)
/// that would not fit in memory; `what` names the argument.
pub fn vec_env_memory(what: &str, env: &str, kwargs: &Kwargs, count: usize, extra_each: u64) -> Result<()> {
    let each = sub_env_bytes(env, kwargs, count)? + extra_each;
    memory(what, (count as u64).saturating_mul(each), &format!("{count} sub-envs at about {} each", size(each)))
}

/// Sub-envs made to measure [`sub_env_bytes`].
const SAMPLE_ENVS: usize = 1024;

/// This process's resident memory, from /proc/self/statm (pages of 4 KB).
fn resident_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/statm").ok()?;
    Some(text.split_whitespace().nth(1)?.parse::<u64>().ok()? * 4096)
}

/// Refuses a size whose estimated memory, `bytes`, is above what the machine has available.
/// `what` says what is sized (`--num-envs 1000000`) and `detail` how the estimate was made.
pub fn memory(what: &str, bytes: u64, detail: &str) -> Result<()> {
    let (available, source) = match available_memory() {
        Some(bytes) => (bytes, "available on this machine"),
        // No /proc/meminfo: only refuse what no machine has.
        None => (1 << 40, "the most limbic assumes without /proc/meminfo"),
    };
    if bytes > available {
        bail!("{what} needs about {} of memory ({detail}), more than the {} {source}", size(bytes), size(available));
    }
    Ok(())
}

/// `MemAvailable` of /proc/meminfo, in bytes.
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `1.5 GB`, `320 MB`, `12 KB`.
fn size(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..1_000_000 => format!("{:.0} KB", b / 1e3),
        1_000_000..1_000_000_000 => format!("{:.0} MB", b / 1e6),
        _ => format!("{:.1} GB", b / 1e9),
    }
}

/// The memory a training run takes at its largest, roughly: its training envs and what its
/// learner stores (PPO's rollout of `n_steps * num_envs` rows, a replay buffer of
/// `buffer_size` transitions with the columns its relabelling keeps), with the text saying so.
pub fn run_memory(config: &RunConfig) -> Result<(u64, String)> {
    let each = sub_env_bytes(&config.env, &config.env_kwargs, config.num_envs)?;
    let env = crate::env_maker::EnvMaker::of(config).make()?;
    let obs_dim = env.flat_space().flat_dim()?;
    let n = config.num_envs as u64;
    let envs = n.saturating_mul(each);
    let row = 4 * (obs_dim as u64 + 16);
    let (stored, what) = match config.algo.as_str() {
        "ppo" => {
            let n_steps = param(config, "n_steps").unwrap_or(0.0) as u64;
            (n.saturating_mul(n_steps).saturating_mul(row), format!("a rollout of {n_steps} x {n} rows"))
        }
        "dqn" | "sac" | "sqil" => {
            let replay = replay_config(config, env.as_ref())?;
            let per_transition = 4 * replay.floats_per_transition() as u64;
            let relabelled = match replay.parts {
                0 => String::new(),
                p => format!(" (with the columns relabelling {p} learned reward(s) keeps)"),
            };
            let capacity = replay.capacity as u64;
            let what = format!("a replay buffer of {capacity} transitions at {per_transition} bytes each{relabelled}");
            (capacity.saturating_mul(per_transition), what)
        }
        _ => (0, String::new()),
    };
    let detail = format!("{n} sub-envs at {} each{}", size(each), {
        if what.is_empty() {
            String::new()
        } else {
            format!(", {what} of {obs_dim} numbers")
        }
    });
    Ok((envs.saturating_add(stored), detail))
}

/// The shape of the replay buffer an off-policy run's learner makes: `buffer_size`, `n_step`,
/// and one relabelled part per reward signal whose model the replay follows (PEBBLE).
fn replay_config(config: &RunConfig, env: &dyn Env) -> Result<ReplayConfig> {
    let action = match env.action_space() {
        Space::Discrete { n, .. } => ActionLayout::Discrete { n: *n as usize },
        space => ActionLayout::Continuous { dim: space.flat_dim()? },
    };
    let parts = if config.rewards.is_empty() {
        0
    } else {
        let context = SignalContext {
            obs_dim: env.flat_space().flat_dim()?,
            observation_space: env.flat_space().clone(),
            action_space: env.action_space().clone(),
            num_envs: config.num_envs,
            seed: config.seed,
        };
        RewardSet::new(&Registry::installed(), &config.rewards, &context)?.relabelled().len()
    };
    Ok(ReplayConfig {
        capacity: param(config, "buffer_size").unwrap_or(0.0) as usize,
        obs_dim: env.flat_space().flat_dim()?,
        action,
        num_envs: config.num_envs,
        n_step: (param(config, "n_step").unwrap_or(1.0) as usize).max(1),
        gamma: param(config, "gamma").unwrap_or(0.99),
        parts,
    })
}

/// A hyperparameter of the run: the config's, else the learner's default.
fn param(config: &RunConfig, key: &str) -> Option<f64> {
    let defaults = crate::config::algorithms().get(&config.algo).ok().map(|entry| (entry.defaults)());
    config.params.get(key).or_else(|| defaults.as_ref()?.get(key)).and_then(Json::as_f64)
}

/// Values a run accepts that are almost surely mistakes, one sentence each.
pub fn run_warnings(config: &RunConfig) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(params) = config.params.as_object() {
        for (key, value) in params {
            let rate = value.as_f64().filter(|_| key.contains("learning_rate") || key.ends_with("_lr"));
            if let Some(rate) = rate.filter(|&r| r > 1.0) {
                warnings.push(format!(
                    "params.{key} = {rate} is above 1: gradient steps that large usually diverge (typical values \
                     are 1e-4 to 1e-2)"
                ));
            }
        }
    }
    if config.algo == "ppo" {
        let per_update = (config.num_envs as f64) * param(config, "n_steps").unwrap_or(0.0);
        if per_update > config.total_steps as f64 {
            warnings.push(format!(
                "one PPO update collects num_envs x n_steps = {} x {} = {per_update} env steps, more than \
                 total_steps = {}: the run will take {per_update} steps; lower num_envs or params.n_steps",
                config.num_envs,
                per_update / config.num_envs as f64,
                config.total_steps
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_must_fit_every_use() {
        assert!(seed_range("--seed", u64::MAX, 0, 1).is_ok());
        assert!(seed_range("--seed", u64::MAX - 9, 0, 10).is_ok());
        let message = seed_range("--seed", u64::MAX - 8, 0, 10).unwrap_err().to_string();
        assert!(message.contains("--seed 18446744073709551607") && message.contains("at most 18446744073709551606"));
        assert!(seed_range("--seed", u64::MAX, 0, 0).is_ok());
        let message = seed_range("--seed", u64::MAX - 1_000_000, 1_000_000, 2).unwrap_err().to_string();
        assert!(message.contains("seed + 1000000 + i for i < 2") && message.contains("at most 18446744073708551614"));
    }

    #[test]
    fn extensions_are_compared_without_case() {
        assert!(extension("--out", Path::new("a/c.PNG"), &["png"]).is_ok());
        let message = extension("--out", Path::new("c.txt"), &["png"]).unwrap_err().to_string();
        assert!(message.contains("c.txt") && message.contains(".png"), "{message}");
        assert!(extension("--gif", Path::new("noext"), &["gif", "png"]).is_err());
    }

    #[test]
    fn impossible_sizes_are_refused_with_the_estimate() {
        let each = sub_env_bytes("CartPole-v1", &Kwargs::new(), 1 << 20).unwrap();
        assert!((1024..100_000).contains(&each), "{each}");
        assert_eq!(sub_env_bytes("CartPole-v1", &Kwargs::new(), 8).unwrap(), 1024 + 32 * 4);
        let message = memory("--num-envs 100000000000", 100_000_000_000 * each, "x").unwrap_err();
        assert!(message.to_string().contains("needs about") && message.to_string().contains("GB"), "{message}");
        assert!(memory("--num-envs 8", 8 * each, "x").is_ok());
    }

    #[test]
    fn the_replay_estimate_counts_the_relabelling_columns() {
        let config = RunConfig {
            env: "CartPole-v1".into(),
            algo: "dqn".into(),
            num_envs: 2,
            params: serde_json::json!({"buffer_size": 1000, "n_step": 3}),
            ..RunConfig::default()
        };
        let (plain, detail) = run_memory(&config).unwrap();
        assert!(detail.contains("1000 transitions at 48 bytes each"), "{detail}");
        let feedback =
            serde_json::json!([{"name": "preferences"}, {"name": "evaluative", "params": {"relabel": false}}]);
        let relabelled = RunConfig { rewards: serde_json::from_value(feedback).unwrap(), ..config.clone() };
        let (bytes, detail) = run_memory(&relabelled).unwrap();
        // 4 + 4 + 1 + 3 numbers; one part adds its n-step sum, the fixed sum, 2 later observations,
        // 3 env actions and rewards, the truncation flag: 1 + 1 + 8 + 3 + 3 + 1 = 17 more.
        assert!(detail.contains("at 116 bytes each (with the columns relabelling 1 learned"), "{detail}");
        assert_eq!(bytes - plain, 1000 * 17 * 4);
        let sac = RunConfig { env: "Pendulum-v1".into(), algo: "sac".into(), ..relabelled };
        let (_, detail) = run_memory(&sac).unwrap();
        // 3 + 3 + 1 + 3, and 1 + 1 + 6 + 3 + 3 + 1 for the part.
        assert!(detail.contains("at 100 bytes each (with the columns relabelling 1"), "{detail}");
    }

    #[test]
    fn warnings_name_the_suspicious_values() {
        let mut config = RunConfig { total_steps: 5000, num_envs: 100_000, ..RunConfig::default() };
        config.params = serde_json::json!({"learning_rate": 1e10, "n_steps": 32});
        let warnings = run_warnings(&config);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("learning_rate = 10000000000"), "{warnings:?}");
        assert!(warnings[1].contains("3200000"), "{warnings:?}");
        assert!(run_warnings(&RunConfig::default()).len() <= 1);
        config.params = serde_json::json!({"learning_rate": 3e-4, "n_steps": 32});
        config.num_envs = 8;
        assert!(run_warnings(&config).is_empty());
    }
}
