//! Evaluation: a policy's deterministic actions over N episodes, summarized with a confidence
//! interval; and one episode recorded as frames.
//!
//! Episode i resets with `seed + i`, each on its own sub-env of one vector env, so an
//! evaluation is the same set of episodes whatever happened before it.

use crate::stats;
use anyhow::{bail, Context, Result};
use limbic_agents::Algorithm;
use limbic_environments::vector::VecEnv;
use limbic_environments::{Frame, Kwargs};
use serde::{Deserialize, Serialize};

/// Steps after which an evaluation gives up (an env without a time limit and a policy that
/// never ends an episode).
const MAX_EVAL_STEPS: u64 = 1_000_000;
/// Frames an episode GIF keeps at most: longer episodes keep every 2nd, 4th, ... frame.
const MAX_GIF_FRAMES: usize = 150;

/// What an evaluation found (`eval.json`, `limbic eval --json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalSummary {
    pub env: String,
    pub episodes: usize,
    /// Seed of episode 0 (episode i: seed + i).
    pub seed: u64,
    pub mean_return: f64,
    /// Sample standard deviation of the returns (divisor n - 1).
    pub std_return: f64,
    /// 95% confidence interval of the mean return (Student t); absent for one episode.
    pub ci95: Option<[f64; 2]>,
    pub min_return: f64,
    pub max_return: f64,
    pub mean_length: f64,
    /// Fraction of episodes that reached the goal, for envs where ending means success or
    /// failure (see [`success_rule`]).
    pub success_rate: Option<f64>,
    pub returns: Vec<f64>,
    pub lengths: Vec<u64>,
}

/// How to tell a successful episode, where the env has a notion of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuccessRule {
    /// The episode terminated (reached the goal) rather than hitting the time limit:
    /// MountainCar, MountainCarContinuous, Acrobot.
    Terminated,
    /// The last reward was positive: MiniGrid gives reward only for reaching the goal.
    PositiveFinalReward,
}

/// The success rule of an env id, if it has one (CartPole and Pendulum have none).
pub fn success_rule(env: &str) -> Option<SuccessRule> {
    if env.starts_with("MiniGrid-") {
        return Some(SuccessRule::PositiveFinalReward);
    }
    let goal_reaching = ["MountainCar-", "MountainCarContinuous-", "Acrobot-"];
    goal_reaching.iter().any(|p| env.starts_with(p)).then_some(SuccessRule::Terminated)
}

/// Runs `episodes` episodes of `env` with `algo`'s deterministic actions (episode i resets
/// with `seed + i`) and summarizes their returns.
pub fn evaluate(
    algo: &mut dyn Algorithm,
    env: &str,
    kwargs: &Kwargs,
    episodes: usize,
    seed: u64,
    threads: usize,
) -> Result<EvalSummary> {
    evaluate_with(algo, env, kwargs, episodes, seed, threads, true)
}

/// [`evaluate`], with actions sampled from the policy when not `deterministic` (how
/// rl-starter-files evaluates MiniGrid agents: a partly trained policy's mode can loop where
/// sampling gets through). Sampling draws from the algorithm's own acting generator.
pub fn evaluate_with(
    algo: &mut dyn Algorithm,
    env: &str,
    kwargs: &Kwargs,
    episodes: usize,
    seed: u64,
    threads: usize,
    deterministic: bool,
) -> Result<EvalSummary> {
    crate::checks::seed_range("evaluation seed", seed, 0, episodes as u64)?;
    // One sub-env per episode.
    crate::checks::vec_env_memory(&format!("an evaluation of {episodes} episodes"), env, kwargs, episodes, 0)?;
    let mut envs = VecEnv::make(env, episodes, kwargs)?.with_threads(Some(threads))?;
    let mut obs = envs.reset(Some(seed))?.to_vec();
    let rule = success_rule(env);
    // Per episode: (return, length, success), once it has ended.
    let mut ended: Vec<Option<(f64, u64, bool)>> = vec![None; episodes];
    let (mut returns, mut lengths) = (vec![0.0; episodes], vec![0u64; episodes]);
    // Rows that begin an episode, and rows whose next step is their autoreset (NEXT_STEP).
    let (mut starts, mut pending) = (vec![true; episodes], vec![false; episodes]);
    let mut steps = 0u64;
    while ended.iter().any(Option::is_none) {
        steps += 1;
        if steps > MAX_EVAL_STEPS {
            bail!("evaluation episodes did not end within {MAX_EVAL_STEPS} steps; set env_kwargs.max_episode_steps");
        }
        let actions = algo.act(&obs, &starts, deterministic).context("evaluation")?;
        let step = envs.step(&actions)?;
        for i in 0..episodes {
            // Only each sub-env's first episode counts; later ones are stepped and ignored.
            if ended[i].is_some() {
                continue;
            }
            returns[i] += step.rewards[i];
            lengths[i] += 1;
            if step.terminated[i] || step.truncated[i] {
                let success = match rule {
                    Some(SuccessRule::Terminated) => step.terminated[i],
                    Some(SuccessRule::PositiveFinalReward) => step.terminated[i] && step.rewards[i] > 0.0,
                    None => false,
                };
                ended[i] = Some((returns[i], lengths[i], success));
            }
        }
        starts = std::mem::replace(
            &mut pending,
            step.terminated.iter().zip(step.truncated).map(|(&t, &u)| t || u).collect(),
        );
        obs.copy_from_slice(step.obs);
    }
    let ended: Vec<(f64, u64, bool)> = ended.into_iter().flatten().collect();
    Ok(summarize(env, seed, &ended, rule.is_some()))
}

fn summarize(env: &str, seed: u64, ended: &[(f64, u64, bool)], has_success: bool) -> EvalSummary {
    let returns: Vec<f64> = ended.iter().map(|e| e.0).collect();
    let lengths: Vec<u64> = ended.iter().map(|e| e.1).collect();
    let successes = ended.iter().filter(|e| e.2).count();
    EvalSummary {
        env: env.to_string(),
        episodes: ended.len(),
        seed,
        mean_return: stats::mean(&returns),
        std_return: stats::sample_std(&returns),
        ci95: stats::ci95(&returns),
        min_return: returns.iter().copied().fold(f64::INFINITY, f64::min),
        max_return: returns.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        mean_length: stats::mean(&lengths.iter().map(|&l| l as f64).collect::<Vec<_>>()),
        success_rate: has_success.then(|| successes as f64 / ended.len().max(1) as f64),
        returns,
        lengths,
    }
}

/// One episode (reset with `seed`) with deterministic actions, as frames for a GIF, with the
/// frame rate that plays it in real time and its return.
pub fn record_episode(algo: &mut dyn Algorithm, env: &str, kwargs: &Kwargs, seed: u64) -> Result<Recording> {
    let mut envs = VecEnv::make(env, 1, kwargs)?;
    let mut obs = envs.reset(Some(seed))?.to_vec();
    let fps = envs.envs()[0].render_fps();
    let mut frames = vec![envs.envs()[0].render()?];
    let (mut stride, mut total, mut steps) = (1u64, 0.0, 0u64);
    loop {
        let actions = algo.act(&obs, &[steps == 0], true).context("recording an episode")?;
        let step = envs.step(&actions)?;
        let done = step.terminated[0] || step.truncated[0];
        total += step.rewards[0];
        obs.copy_from_slice(step.obs);
        steps += 1;
        if steps % stride == 0 || done {
            frames.push(envs.envs()[0].render()?);
        }
        if frames.len() >= 2 * MAX_GIF_FRAMES {
            // Keep every other frame from now on, and of those so far.
            frames = frames.into_iter().step_by(2).collect();
            stride *= 2;
        }
        if done {
            break;
        }
        if steps > MAX_EVAL_STEPS {
            bail!("the recorded episode did not end within {MAX_EVAL_STEPS} steps");
        }
    }
    let fps = (fps as f64 / stride as f64).round().max(1.0) as u32;
    Ok(Recording { frames, fps, episode_return: total, length: steps })
}

/// An episode as frames.
pub struct Recording {
    pub frames: Vec<Frame>,
    /// Frames per second that play the episode at the env's own speed.
    pub fps: u32,
    pub episode_return: f64,
    pub length: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use limbic_agents::Update;
    use limbic_environments::Value;

    /// Pushes CartPole left when asked for its deterministic action, alternates otherwise.
    struct Probe {
        calls: usize,
    }

    impl Algorithm for Probe {
        fn name(&self) -> &'static str {
            "probe"
        }
        fn update(&mut self, _: &mut VecEnv) -> limbic_agents::Result<Update> {
            Ok(Update::default())
        }
        fn act(&mut self, obs: &[f32], _: &[bool], deterministic: bool) -> limbic_agents::Result<Vec<Value>> {
            self.calls += 1;
            Ok((0..obs.len() / 4)
                .map(|_| Value::Int(if deterministic { 0 } else { (self.calls % 2) as i64 }))
                .collect())
        }
        fn save(&self, _: &std::path::Path) -> limbic_agents::Result<()> {
            Ok(())
        }
        fn load(&mut self, _: &std::path::Path) -> limbic_agents::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn sampled_evaluation_asks_the_policy_for_sampled_actions() {
        let kwargs = Kwargs::new();
        let run = |deterministic| {
            evaluate_with(&mut Probe { calls: 0 }, "CartPole-v1", &kwargs, 4, 0, 1, deterministic).unwrap()
        };
        let (mode, sampled) = (run(true), run(false));
        // Always left topples the pole within ~10 steps; alternating keeps it up far longer.
        assert!(mode.mean_length < 15.0 && sampled.mean_length > 2.0 * mode.mean_length, "{mode:?} {sampled:?}");
    }
}
