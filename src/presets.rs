//! Embedded presets: tuned hyperparameters per (algorithm, env), from rl-baselines3-zoo.
//!
//! Each is a partial [`RunConfig`](crate::config::RunConfig) (`presets/ALGO/ENV.json`, see
//! `presets/README.md`), applied over the defaults and under the user's config file and flags.

use crate::config::Layer;
use anyhow::{Context, Result};

/// (algorithm, env id, the preset's JSON text).
pub const PRESETS: &[(&str, &str, &str)] = &[
    ("ppo", "CartPole-v1", include_str!("../presets/ppo/CartPole-v1.json")),
    ("ppo", "Acrobot-v1", include_str!("../presets/ppo/Acrobot-v1.json")),
    ("ppo", "MountainCar-v0", include_str!("../presets/ppo/MountainCar-v0.json")),
    ("ppo", "Pendulum-v1", include_str!("../presets/ppo/Pendulum-v1.json")),
    ("ppo", "MountainCarContinuous-v0", include_str!("../presets/ppo/MountainCarContinuous-v0.json")),
    ("ppo", "MiniGrid-Empty-8x8-v0", include_str!("../presets/ppo/MiniGrid-Empty-8x8-v0.json")),
    ("ppo", "MiniGrid-DoorKey-5x5-v0", include_str!("../presets/ppo/MiniGrid-DoorKey-5x5-v0.json")),
    ("ppo", "CartPoleNoVel-v1", include_str!("../presets/ppo/CartPoleNoVel-v1.json")),
    ("ppo", "Fourrooms-v0", include_str!("../presets/ppo/Fourrooms-v0.json")),
    ("option-critic", "Fourrooms-v0", include_str!("../presets/option-critic/Fourrooms-v0.json")),
    ("dqn", "CartPole-v1", include_str!("../presets/dqn/CartPole-v1.json")),
    ("dqn", "Acrobot-v1", include_str!("../presets/dqn/Acrobot-v1.json")),
    ("dqn", "MountainCar-v0", include_str!("../presets/dqn/MountainCar-v0.json")),
    ("sac", "Pendulum-v1", include_str!("../presets/sac/Pendulum-v1.json")),
    ("sac", "MountainCarContinuous-v0", include_str!("../presets/sac/MountainCarContinuous-v0.json")),
    ("dreamer", "CartPole-v1", include_str!("../presets/dreamer/CartPole-v1.json")),
    ("dreamer", "Acrobot-v1", include_str!("../presets/dreamer/Acrobot-v1.json")),
    ("dreamer", "Pendulum-v1", include_str!("../presets/dreamer/Pendulum-v1.json")),
    ("dreamer", "MountainCarContinuous-v0", include_str!("../presets/dreamer/MountainCarContinuous-v0.json")),
    ("dreamer", "MiniGrid-DoorKey-5x5-v0", include_str!("../presets/dreamer/MiniGrid-DoorKey-5x5-v0.json")),
    ("dreamer", "MiniGrid-DoorKey-8x8-v0", include_str!("../presets/dreamer/MiniGrid-DoorKey-8x8-v0.json")),
];

/// Fallbacks for env families without a preset of their own: (algorithm, id prefix, JSON); the
/// first prefix that matches wins. MiniGrid's Memory tasks get a GRU policy; other MiniGrid
/// tasks rl-starter-files' PPO settings (those of the DoorKey-5x5 preset); POPGym's tasks a GRU
/// over the previous action and a first-step flag, as POPGym's baselines see them.
pub const FAMILY_PRESETS: &[(&str, &str, &str)] = &[
    ("ppo", "MiniGrid-Memory", include_str!("../presets/ppo/MiniGrid-Memory.json")),
    ("ppo", "MiniGrid-", include_str!("../presets/ppo/MiniGrid-DoorKey-5x5-v0.json")),
    ("ppo", "popgym-", include_str!("../presets/ppo/popgym.json")),
    ("option-critic", "MiniGrid-", include_str!("../presets/option-critic/MiniGrid.json")),
    ("manager-worker", "MiniGrid-", include_str!("../presets/manager-worker/MiniGrid.json")),
    ("ppo", "BabyAI-", include_str!("../presets/ppo/BabyAI.json")),
];

/// The preset for `env` and `algo` as a config layer, if one is embedded: the env's own, else
/// its family's.
pub fn preset(env: &str, algo: &str) -> Result<Option<Layer>> {
    let own = PRESETS.iter().find(|(a, e, _)| *a == algo && *e == env);
    let family = || FAMILY_PRESETS.iter().find(|(a, prefix, _)| *a == algo && env.starts_with(prefix));
    let Some((_, _, text)) = own.or_else(family) else {
        return Ok(None);
    };
    let source = format!("preset {algo}/{env}");
    let values = serde_json::from_str(text).with_context(|| source.clone())?;
    Layer::new(&source, values).map(Some)
}
