//! Evaluation: a policy's deterministic actions over N episodes, summarized with a confidence
//! interval; one episode recorded as frames; one episode's trace of the policy's inner values.
//!
//! Episode i resets with `seed + i`, each on its own sub-env of one vector env, so an
//! evaluation is the same set of episodes whatever happened before it. The policy acts in an
//! acting session of its own (recurrent states per episode), stepped by the agents' env runner.

use crate::env_maker::EnvMaker;
use crate::stats;
use anyhow::{bail, Context, Result};
use limbic_agents::policies::{Acted, Actor};
use limbic_agents::runner::{first_episodes, EnvRunner};
use limbic_agents::Algorithm;
use limbic_environments::json::value_to_json;
use limbic_environments::vector::VecEnv;
use limbic_environments::Frame;
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
    /// The last reward was positive: MiniGrid gives reward only for reaching the goal, BabyAI
    /// only for completing the instruction.
    PositiveFinalReward,
}

/// The success rule of an env id, if it has one (CartPole and Pendulum have none).
pub fn success_rule(env: &str) -> Option<SuccessRule> {
    if env.starts_with("MiniGrid-") || env.starts_with("BabyAI-") {
        return Some(SuccessRule::PositiveFinalReward);
    }
    let goal_reaching = ["MountainCar-", "MountainCarContinuous-", "Acrobot-"];
    goal_reaching.iter().any(|p| env.starts_with(p)).then_some(SuccessRule::Terminated)
}

/// Runs `episodes` episodes of `env` with `algo`'s deterministic actions (episode i resets
/// with `seed + i`) and summarizes their returns.
pub fn evaluate(
    algo: &dyn Algorithm,
    env: &EnvMaker,
    episodes: usize,
    seed: u64,
    threads: usize,
) -> Result<EvalSummary> {
    evaluate_with(algo, env, episodes, seed, threads, true)
}

/// [`evaluate`], with actions sampled from the policy when not `deterministic` (how
/// rl-starter-files evaluates MiniGrid agents: a partly trained policy's mode can loop where
/// sampling gets through). Sampling draws from the session's generator, seeded with `seed`.
pub fn evaluate_with(
    algo: &dyn Algorithm,
    env: &EnvMaker,
    episodes: usize,
    seed: u64,
    threads: usize,
    deterministic: bool,
) -> Result<EvalSummary> {
    crate::checks::seed_range("evaluation seed", seed, 0, episodes as u64)?;
    // One sub-env per episode.
    crate::checks::vec_env_memory(&format!("an evaluation of {episodes} episodes"), &env.id, &env.kwargs, episodes, 0)?;
    let mut envs = env.vec(episodes)?.with_threads(Some(threads))?;
    envs.reset(Some(seed))?;
    let mut actor = Actor::new(algo.policy()?, episodes, seed).deterministic(deterministic);
    let rule = success_rule(&env.id);
    let outcomes = first_episodes(&mut envs, &mut actor, MAX_EVAL_STEPS)
        .context("evaluation (set env_kwargs.max_episode_steps for an env without a time limit)")?;
    let ended: Vec<(f64, u64, bool)> = outcomes
        .iter()
        .map(|o| {
            let success = match rule {
                Some(SuccessRule::Terminated) => o.terminated,
                Some(SuccessRule::PositiveFinalReward) => o.terminated && o.final_reward > 0.0,
                None => false,
            };
            (o.episode_return, o.length, success)
        })
        .collect();
    Ok(summarize(&env.id, seed, &ended, rule.is_some()))
}

/// One step of a traced episode (`limbic eval --trace`): what the policy did and its inner
/// values (a slot memory's write gates and read weights, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceStep {
    pub step: u64,
    /// The env action, as JSON.
    pub action: serde_json::Value,
    pub reward: f64,
    /// Named per-step values (`memory/write_gate`: one per slot, ...).
    pub values: std::collections::BTreeMap<String, Vec<f32>>,
}

/// One episode (reset with `seed`) with deterministic actions, traced step by step.
pub fn trace_episode(algo: &dyn Algorithm, env: &EnvMaker, seed: u64) -> Result<Vec<TraceStep>> {
    let mut steps = Vec::new();
    play_episode(algo, env, seed, true, |envs, acted, reward| {
        steps.push(TraceStep {
            step: steps.len() as u64,
            action: value_to_json(envs.action_space(), &acted.env_actions.to_values()[0]),
            reward,
            values: acted.trace.iter().map(|(name, values)| (name.clone(), values.clone())).collect(),
        });
        Ok(())
    })?;
    Ok(steps)
}

/// One episode on one sub-env reset with `seed`, deterministic actions in a fresh session;
/// `each` sees the env after every step, the choice and the reward.
fn play_episode(
    algo: &dyn Algorithm,
    env: &EnvMaker,
    seed: u64,
    trace: bool,
    mut each: impl FnMut(&VecEnv, &Acted, f64) -> Result<()>,
) -> Result<VecEnv> {
    let mut envs = env.vec(1)?;
    envs.reset(Some(seed))?;
    let mut actor = Actor::new(algo.policy()?, 1, seed).deterministic(true);
    if trace {
        actor = actor.with_trace();
    }
    let mut runner = EnvRunner::default();
    for _ in 0..=MAX_EVAL_STEPS {
        let step = runner.step(&mut envs, &mut actor).context("playing an episode")?;
        each(&envs, &step.acted, step.rewards[0])?;
        if step.done(0) {
            return Ok(envs);
        }
    }
    bail!("the episode did not end within {MAX_EVAL_STEPS} steps")
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
pub fn record_episode(algo: &dyn Algorithm, env: &EnvMaker, seed: u64) -> Result<Recording> {
    let first = {
        let mut envs = env.vec(1)?;
        envs.reset(Some(seed))?;
        (envs.envs()[0].render()?, envs.envs()[0].render_fps())
    };
    let (mut frames, fps) = (vec![first.0], first.1);
    let (mut stride, mut total, mut steps) = (1u64, 0.0, 0u64);
    play_episode(algo, env, seed, false, |envs, acted, reward| {
        total += reward;
        steps += 1;
        let last = envs.last();
        if steps % stride == 0 || last.terminated[0] || last.truncated[0] {
            let mut frame = envs.envs()[0].render()?;
            mark_hierarchy(&mut frame, acted, envs.envs()[0].grid_world());
            frames.push(frame);
        }
        if frames.len() >= 2 * MAX_GIF_FRAMES {
            // Keep every other frame from now on, and of those so far.
            frames = std::mem::take(&mut frames).into_iter().step_by(2).collect();
            stride *= 2;
        }
        Ok(())
    })?;
    let fps = (fps as f64 / stride as f64).round().max(1.0) as u32;
    Ok(Recording { frames, fps, episode_return: total, length: steps })
}

/// Border colours of options 0, 1, ... (cycled).
const OPTION_COLOURS: [[u8; 3]; 8] = [
    [230, 25, 75],
    [60, 180, 75],
    [0, 130, 200],
    [245, 130, 48],
    [145, 30, 180],
    [70, 240, 240],
    [240, 50, 230],
    [210, 245, 60],
];

/// Pixels of an option's border and of a goal cell's outline.
const MARK_PIXELS: usize = 3;

/// Marks a hierarchical controller's choice of the step in `frame`: a border in the colour of
/// the option in force (the `option` trace), and the goal cell outlined in yellow (the
/// `goal/target` trace, a gridworld cell) where the env is a gridworld.
pub fn mark_hierarchy(frame: &mut Frame, acted: &Acted, world: Option<&limbic_environments::gridworld::World>) {
    if let Some(option) = acted.trace("option").and_then(|o| o.iter().position(|&x| x > 0.5)) {
        outline(frame, (0, 0), (frame.width, frame.height), OPTION_COLOURS[option % OPTION_COLOURS.len()]);
    }
    if let (Some(target), Some(world)) = (acted.trace("goal/target"), world) {
        let tile = limbic_environments::gridworld::render::TILE_PIXELS;
        let (x, y) = (target[0].round(), target[1].round());
        if x >= 0.0 && y >= 0.0 && (x as i32) < world.grid.width() && (y as i32) < world.grid.height() {
            outline(frame, (x as usize * tile, y as usize * tile), (tile, tile), [255, 215, 0]);
        }
    }
}

/// A `MARK_PIXELS` wide rectangle's outline at `(x, y)` of size `(w, h)`.
fn outline(frame: &mut Frame, (x, y): (usize, usize), (w, h): (usize, usize), rgb: [u8; 3]) {
    for py in y..(y + h).min(frame.height) {
        for px in x..(x + w).min(frame.width) {
            let inside =
                px >= x + MARK_PIXELS && px + MARK_PIXELS < x + w && py >= y + MARK_PIXELS && py + MARK_PIXELS < y + h;
            if !inside {
                frame.put_pixel(px as i32, py as i32, rgb);
            }
        }
    }
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
    use limbic_agents::policies::{Acting, ActingRows, EnvActions};
    use limbic_agents::Update;
    use limbic_environments::rng::Generator;

    /// Pushes CartPole left when asked for its deterministic action, at random otherwise.
    struct Probe;

    impl Acting for Probe {
        fn obs_dim(&self) -> usize {
            4
        }
        fn act(&self, rows: ActingRows, deterministic: bool, rng: &mut Generator) -> limbic_agents::Result<Acted> {
            let n = rows.starts.len();
            let actions: Vec<i64> = (0..n).map(|_| if deterministic { 0 } else { rng.integers(0, 2) }).collect();
            let encoded = actions.iter().map(|&a| a as f32).collect();
            let trace = vec![("probe/row".into(), (0..n).map(|i| i as f32).collect())];
            Ok(Acted { trace, ..Acted::chosen(encoded, EnvActions::Discrete(actions), n) })
        }
    }

    impl Algorithm for Probe {
        fn name(&self) -> &'static str {
            "probe"
        }
        fn update(&mut self, _: &mut VecEnv) -> limbic_agents::Result<Update> {
            Ok(Update::default())
        }
        fn policy(&self) -> limbic_agents::Result<Box<dyn Acting>> {
            Ok(Box::new(Probe))
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
        let env = EnvMaker::new("CartPole-v1", &Default::default());
        let run = |deterministic| evaluate_with(&Probe, &env, 4, 0, 1, deterministic).unwrap();
        let (mode, sampled) = (run(true), run(false));
        // Always left topples the pole within ~10 steps; random actions keep it up longer.
        assert!(mode.mean_length < 15.0 && sampled.mean_length > 1.5 * mode.mean_length, "{mode:?} {sampled:?}");
        assert_eq!(run(false), sampled, "the session's generator is seeded by the evaluation seed");
    }

    #[test]
    fn traces_and_recordings_follow_one_episode() {
        let env = EnvMaker::new("CartPole-v1", &Default::default());
        let trace = trace_episode(&Probe, &env, 3).unwrap();
        let recording = record_episode(&Probe, &env, 3).unwrap();
        assert_eq!(trace.len() as u64, recording.length);
        assert_eq!(recording.frames.len() as u64, recording.length + 1);
        assert!(trace.iter().all(|t| t.action == serde_json::json!(0) && t.values["probe/row"] == [0.0]));
        assert_eq!(trace.iter().map(|t| t.reward).sum::<f64>(), recording.episode_return);
    }
}
