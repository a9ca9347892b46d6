//! Recording demonstrations: episodes of a scripted expert, a uniform random policy or a trained
//! run's policy, into a [`Dataset`] in Minari's layout; and Minari's reference scores.

use crate::progress::Progress;
use crate::run_dir::RunDir;
use crate::runner::{build_algorithm, load_policy};
use anyhow::{bail, Context, Result};
use limbic_agents::policies::{Acted, Actor, EnvActions};
use limbic_agents::runner::{ActionSource, EnvRunner};
use limbic_agents::Algorithm;
use limbic_datasets::{Dataset, Episode};
use limbic_environments::experts::ExpertEnv;
use limbic_environments::rng::Generator;
use limbic_environments::vector::VecEnv;
use limbic_environments::{make, Env, Frame, Info, Kwargs, Options, Space, Step, Transition, Value};
use std::path::Path;

/// Steps after which a recorded episode is abandoned (an env without a time limit).
const MAX_EPISODE_STEPS: usize = 1_000_000;

/// Episodes Minari averages for `ref_min_score`/`ref_max_score`.
pub const REFERENCE_EPISODES: usize = 100;
/// The seed of Minari's first reference reset (later resets continue the env's RNG).
pub const REFERENCE_SEED: u64 = 123;

/// Who chooses the actions.
pub enum DemoPolicy {
    /// The env's scripted expert ([`ExpertEnv`]).
    Scripted,
    /// Uniform draws from the action space.
    Random,
    /// A trained policy's deterministic actions (a run's checkpoint).
    Trained(Box<dyn Algorithm>),
}

impl DemoPolicy {
    /// The policy `name` for `env`: `scripted` (its expert), `random`, or a run directory
    /// trained on `env` (deterministic actions of its best, else latest, checkpoint).
    pub fn named(name: &str, env: &str) -> Result<DemoPolicy> {
        match name {
            "scripted" => {
                ExpertEnv::make(env, &Default::default())?;
                Ok(DemoPolicy::Scripted)
            }
            "random" => Ok(DemoPolicy::Random),
            dir if Path::new(dir).is_dir() => {
                let run = RunDir::open(Path::new(dir))?;
                let config = run.config()?;
                if config.env != env {
                    bail!("the run in {dir} was trained on {}, not {env}", config.env);
                }
                if !config.env_wrappers.is_empty() {
                    // A dataset holds the env's own observations; this policy reads wrapped ones.
                    bail!(
                        "the run in {dir} sees {env} through env_wrappers {:?}; demos record the bare env",
                        config.env_wrappers
                    );
                }
                Ok(DemoPolicy::Trained(load_policy(&run, "best", &build_algorithm)?.1))
            }
            other => bail!("policy `{other}` is neither `scripted`, `random` nor a run directory"),
        }
    }

    /// A short name for the dataset's `algorithm_name`.
    pub fn name(&self) -> String {
        match self {
            DemoPolicy::Scripted => "scripted expert".into(),
            DemoPolicy::Random => "uniform random".into(),
            DemoPolicy::Trained(algo) => format!("trained {}", algo.name()),
        }
    }
}

/// Records every episode of the env it wraps with the env's own (structured) observations,
/// as Minari's `DataCollector` wrapper does; the env runner steps it like any env.
struct Recorder<E: Env> {
    env: E,
    /// The running (or just finished) episode.
    episode: Option<Episode>,
}

impl<E: Env> Recorder<E> {
    fn new(env: E) -> Self {
        Recorder { env, episode: None }
    }
}

impl<E: Env> Env for Recorder<E> {
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn flat_space(&self) -> &Space {
        self.env.flat_space()
    }
    fn render(&self) -> limbic_environments::Result<Frame> {
        self.env.render()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> limbic_environments::Result<(Value, Info)> {
        let (obs, info) = self.env.reset(seed, options)?;
        self.episode = Some(Episode::new(0, seed, obs.clone()));
        Ok((obs, info))
    }
    fn step(&mut self, action: &Value) -> limbic_environments::Result<Step> {
        let step = self.env.step(action)?;
        if let Some(episode) = self.episode.as_mut() {
            episode.push_step(action.clone(), step.obs.clone(), step.reward, step.terminated, step.truncated);
        }
        Ok(step)
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> limbic_environments::Result<()> {
        let (value, _) = self.reset(seed, &Options::new())?;
        self.flat_space().flatten_into(&without_text(&value), obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> limbic_environments::Result<Transition> {
        let step = self.step(action)?;
        self.flat_space().flatten_into(&without_text(&step.obs), obs)?;
        Ok(Transition { reward: step.reward, terminated: step.terminated, truncated: step.truncated })
    }
}

/// Acts as one row of a vector env with the given env actions.
fn acted(action: Value) -> Acted {
    Acted::chosen(Vec::new(), EnvActions::Values(vec![action]), 1)
}

/// The scripted expert of the env being recorded.
struct Scripted;

impl ActionSource<Recorder<ExpertEnv>> for Scripted {
    fn choose(
        &mut self,
        envs: &mut VecEnv<Recorder<ExpertEnv>>,
        _: &[f32],
        _: &[bool],
    ) -> limbic_agents::Result<Acted> {
        Ok(acted(envs.envs_mut()[0].env.expert_action()?))
    }
}

/// Uniform draws; a seeded reset seeds the draws with the same seed (`action_space.seed(seed)`
/// in `scripted_experts.py` and Minari's random reference policy).
struct Uniform {
    rng: Generator,
}

impl<E: Env> ActionSource<Recorder<E>> for Uniform {
    fn choose(&mut self, envs: &mut VecEnv<Recorder<E>>, _: &[f32], starts: &[bool]) -> limbic_agents::Result<Acted> {
        let recorder = &envs.envs()[0];
        if let (true, Some(seed)) = (starts[0], recorder.episode.as_ref().and_then(|e| e.seed)) {
            self.rng = Generator::from_seed(seed);
        }
        Ok(acted(recorder.action_space().sample(&mut self.rng)))
    }
}

/// Plays one episode per seed (`None`: the env's RNG goes on) through the env runner; `each`
/// gets every finished episode.
fn play<E: Env>(
    env: E,
    source: &mut dyn ActionSource<Recorder<E>>,
    seeds: impl Iterator<Item = Option<u64>>,
    mut each: impl FnMut(Episode) -> Result<()>,
) -> Result<()> {
    let mut envs = VecEnv::new(vec![Recorder::new(env)])?;
    let mut runner = EnvRunner::default();
    for seed in seeds {
        envs.reset_with(seed, &Options::new(), None)?;
        let mut steps = 0;
        while !runner.step(&mut envs, source)?.done(0) {
            steps += 1;
            if steps >= MAX_EPISODE_STEPS {
                bail!("an episode did not end within {MAX_EPISODE_STEPS} steps; set max_episode_steps in --kwargs");
            }
        }
        each(envs.envs_mut()[0].episode.take().context("no episode was recorded")?)?;
    }
    Ok(())
}

/// Plays one episode per seed with `policy` on `env_id`.
fn play_policy(
    env_id: &str,
    kwargs: &Kwargs,
    policy: &DemoPolicy,
    seeds: impl Iterator<Item = Option<u64>>,
    each: impl FnMut(Episode) -> Result<()>,
) -> Result<()> {
    match policy {
        DemoPolicy::Scripted => play(ExpertEnv::make(env_id, kwargs)?, &mut Scripted, seeds, each),
        DemoPolicy::Random => play(make(env_id, kwargs)?, &mut Uniform { rng: Generator::from_seed(0) }, seeds, each),
        DemoPolicy::Trained(algo) => {
            let mut actor = Actor::new(algo.policy()?, 1, 0).deterministic(true);
            play(make(env_id, kwargs)?, &mut actor, seeds, each)
        }
    }
}

/// Drops the Text parts of a Dict observation (the flat row has none).
fn without_text(value: &Value) -> Value {
    match value {
        Value::Dict(items) => {
            Value::Dict(items.iter().filter(|(_, v)| !matches!(v, Value::Text(_))).cloned().collect())
        }
        other => other.clone(),
    }
}

/// The dataset id of demonstrations of `policy` (as [`DemoPolicy::named`] takes it) on `env`:
/// `limbic/<env without its version>/<scripted|random|trained>-v0`.
pub fn default_dataset_id(env: &str, policy: &str) -> String {
    let env_name = env.rsplit_once("-v").map_or(env, |(name, _)| name);
    let policy = match policy {
        "scripted" | "random" => policy,
        _ => "trained",
    };
    format!("limbic/{env_name}/{policy}-v0")
}

/// Records `episodes` episodes of `env_id` (episode i reset with `seed + i`) into a new dataset
/// named `dataset_id`, moving `progress` by the steps taken.
pub fn record(
    env_id: &str,
    kwargs: &Kwargs,
    policy: &DemoPolicy,
    episodes: usize,
    seed: u64,
    dataset_id: &str,
    progress: Option<&Progress>,
) -> Result<Dataset> {
    crate::checks::seed_range("the first seed", seed, 0, episodes as u64)?;
    let mut dataset = Dataset::for_env_with(dataset_id, env_id, kwargs)?;
    dataset.metadata.algorithm_name = Some(policy.name());
    let seeds = (0..episodes as u64).map(|i| Some(seed + i));
    play_policy(env_id, kwargs, policy, seeds, |episode| {
        let total = episode.total_reward();
        dataset.push(episode)?;
        if let Some(bar) = progress {
            bar.episode_done(dataset.episodes.len() as u64, total);
        }
        Ok(())
    })?;
    Ok(dataset)
}

/// Minari's reference score of a policy: the mean return over `episodes` episodes, the first
/// reset with seed 123 and the later ones continuing the env's RNG (`get_average_reference_score`;
/// Minari's random policy seeds its action space with 123 too). Minari averages in float32.
pub fn reference_score(env_id: &str, kwargs: &Kwargs, policy: &DemoPolicy, episodes: usize) -> Result<f64> {
    let mut total = 0.0;
    let seeds = (0..episodes).map(|i| (i == 0).then_some(REFERENCE_SEED));
    play_policy(env_id, kwargs, policy, seeds, |episode| {
        total += episode.total_reward();
        Ok(())
    })?;
    Ok((total / episodes.max(1) as f64) as f32 as f64)
}

/// `(ref_min_score, ref_max_score)`: the random policy and `expert` (the scripted expert when
/// None), Minari's way over [`REFERENCE_EPISODES`] episodes.
pub fn reference_scores(env_id: &str, kwargs: &Kwargs, expert: Option<&DemoPolicy>) -> Result<(f64, f64)> {
    let min = reference_score(env_id, kwargs, &DemoPolicy::Random, REFERENCE_EPISODES)?;
    let max = reference_score(env_id, kwargs, expert.unwrap_or(&DemoPolicy::Scripted), REFERENCE_EPISODES)?;
    Ok((min, max))
}
