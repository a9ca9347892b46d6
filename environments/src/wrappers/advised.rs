//! Advised: a gridworld env whose every step is judged by its scripted expert, the channel a
//! synthetic evaluative teacher reads (TAMER and COACH were made for a person who watches and
//! says whether each action was good; the expert's plan is what such a person knows).

use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::gridworld::experts::Progress;
use crate::render::Frame;
use crate::space::Space;
use crate::value::Value;

/// Judges every step with [`Progress`] (+1: the action shortened the expert's shortest plan or
/// ended the episode with a reward; -1: it did not; 0: no plan to judge by) and reports the
/// score through [`Env::advice`]. Observations, rewards and flags are the inner env's.
pub struct Advised<E> {
    env: E,
    judge: Progress,
    last: Option<f32>,
}

impl<E: Env> Advised<E> {
    /// `env` made from `id`, judged by `id`'s expert: an error naming `id` where it has none.
    pub fn new(env: E, id: &str) -> Result<Self> {
        let judge = Progress::for_id(id).map_err(|e| {
            EnvError::Unsupported(format!(
                "advice (a synthetic teacher that judges actions) needs a scripted expert: {e}"
            ))
        })?;
        Ok(Advised { env, judge, last: None })
    }

    /// Steps the inner env with `step`, judging the step.
    fn judged<T>(&mut self, step: impl FnOnce(&mut E) -> Result<(T, Transition)>) -> Result<T> {
        let before = self.judge.steps_to_go(world(&self.env)?);
        let (out, t) = step(&mut self.env)?;
        let succeeded = t.terminated && t.reward > 0.0;
        self.last = Some(self.judge.score(before, world(&self.env)?, succeeded, t.terminated && !succeeded));
        Ok(out)
    }

    fn forget(&mut self) {
        self.judge.reset();
        self.last = None;
    }
}

impl<E: Env> Env for Advised<E> {
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        self.forget();
        self.env.reset(seed, options)
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        self.judged(|env| {
            let step = env.step(action)?;
            let t = Transition { reward: step.reward, terminated: step.terminated, truncated: step.truncated };
            Ok((step, t))
        })
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn grid_world(&self) -> Option<&crate::gridworld::World> {
        self.env.grid_world()
    }
    fn observation_painter(&self) -> Option<crate::render::ObservationPainter> {
        self.env.observation_painter()
    }
    fn flat_space(&self) -> &Space {
        self.env.flat_space()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        self.forget();
        self.env.reset_into(seed, obs)
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        self.judged(|env| env.step_into(action, obs).map(|t| (t, t)))
    }
    fn advice(&self) -> Option<f32> {
        self.last
    }
}

fn world<E: Env>(env: &E) -> Result<&crate::gridworld::World> {
    env.grid_world().ok_or_else(|| EnvError::Unsupported("advice needs a gridworld env".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gridworld::Action;

    fn act(env: &mut Advised<Box<dyn Env>>, action: Action) -> (f32, Transition) {
        let mut obs = vec![0.0; env.flat_space().flat_dim().unwrap()];
        let t = env.step_into(&Value::Int(action as i64), &mut obs).unwrap();
        (env.advice().unwrap(), t)
    }

    /// Empty-5x5: the agent starts at (1, 1) facing east, the goal is at (3, 3); the shortest
    /// plan is forward, forward, right, forward, forward (5 actions).
    #[test]
    fn scores_the_actions_a_watching_expert_would() {
        let env = crate::make("MiniGrid-Empty-5x5-v0", &crate::Kwargs::new()).unwrap();
        let mut env = Advised::new(env, "MiniGrid-Empty-5x5-v0").unwrap();
        let mut obs = vec![0.0; env.flat_space().flat_dim().unwrap()];
        env.reset_into(Some(0), &mut obs).unwrap();
        assert_eq!(env.advice(), None, "no step since the reset");
        // Turning left (away), toggling nothing, then back: none of them shortens the plan.
        assert_eq!(act(&mut env, Action::Left).0, -1.0);
        assert_eq!(act(&mut env, Action::Toggle).0, -1.0);
        assert_eq!(act(&mut env, Action::Right).0, 1.0, "facing east again: 5 to go, from 6");
        for action in [Action::Forward, Action::Forward, Action::Right, Action::Forward] {
            assert_eq!(act(&mut env, action).0, 1.0, "{action:?}");
        }
        let (score, t) = act(&mut env, Action::Forward);
        assert!(t.terminated && t.reward > 0.0);
        assert_eq!(score, 1.0, "the step onto the goal");
        env.reset_into(Some(0), &mut obs).unwrap();
        assert_eq!(env.advice(), None, "a reset forgets the last judgement");
    }

    /// The expert's own actions always make progress, to the goal, on keys and doors too.
    #[test]
    fn every_action_of_the_expert_is_judged_progress() {
        use crate::gridworld::experts::expert_for;
        for id in ["MiniGrid-DoorKey-5x5-v0", "MiniGrid-Empty-8x8-v0"] {
            let mut env = Advised::new(crate::make(id, &crate::Kwargs::new()).unwrap(), id).unwrap();
            let mut expert = expert_for(id).unwrap();
            let mut obs = vec![0.0; env.flat_space().flat_dim().unwrap()];
            for seed in 0..10 {
                env.reset_into(Some(seed), &mut obs).unwrap();
                loop {
                    let action = expert.act(env.grid_world().unwrap());
                    let t = env.step_into(&Value::Int(action as i64), &mut obs).unwrap();
                    assert_eq!(env.advice(), Some(1.0), "{id} seed {seed}: {action:?}");
                    if t.done() {
                        assert!(t.terminated && t.reward > 0.0);
                        break;
                    }
                }
            }
        }
    }

    #[test]
    fn an_env_without_an_expert_is_an_error_naming_it() {
        let env = crate::make("CartPole-v1", &crate::Kwargs::new()).unwrap();
        let error = Advised::new(env, "CartPole-v1").err().unwrap().to_string();
        assert!(error.contains("CartPole-v1") && error.contains("scripted expert"), "{error}");
    }
}
