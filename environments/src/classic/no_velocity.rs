//! rl-zoo's velocity-masked classic-control ids (`rl_zoo3/import_envs.py` registers
//! `<Env>NoVel-v<N>` for each env of `MaskVelocityWrapper.velocity_indices`): the Gymnasium env
//! with its time limit, its velocity entries multiplied by 0.

use super::{CartPole, ContinuousMountainCar, MountainCar, Pendulum};
use crate::env::Env;
use crate::registry::EnvSpec;
use crate::wrappers::MaskObservation;

/// The NoVel ids: CartPole [1, 3], MountainCar and MountainCarContinuous [1], Pendulum [2].
pub(crate) fn specs() -> Vec<EnvSpec> {
    fn masked<E: Env + 'static>(id: &str, steps: usize, env: fn() -> E, indices: &'static [usize]) -> EnvSpec {
        EnvSpec::new(id, move |_| Ok(Box::new(MaskObservation::new(env(), indices)?) as Box<dyn Env>))
            .max_episode_steps(steps)
    }
    vec![
        masked("CartPoleNoVel-v1", 500, CartPole::default, &[1, 3]),
        masked("MountainCarNoVel-v0", 200, || MountainCar::new(0.0), &[1]),
        masked("MountainCarContinuousNoVel-v0", 999, || ContinuousMountainCar::new(0.0), &[1]),
        masked("PendulumNoVel-v1", 200, Pendulum::default, &[2]),
    ]
}
