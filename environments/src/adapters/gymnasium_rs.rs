//! An adapter from limbic environments to the `gymnasium-rs` crate's `Env` trait
//! (cargo feature `gymnasium-rs`, off by default).
//!
//! `gymnasium-rs` is a small, unmaintained sketch; this adapter lets code written against its
//! trait drive any limbic environment (with limbic's Gymnasium-exact dynamics). Observations are
//! the flat f32 encoding (`Space::flatten_into`); actions are `i32` for Discrete action spaces and
//! `Array1<f32>` for Box action spaces. Its trait returns no errors, so a failed step (an invalid
//! action, a step after the episode ended) comes back truncated, with reward 0, the last
//! observation and the message under `info["error"]`.

use crate::env::{Env, Options};
use crate::error::{EnvError, Result};
use crate::space::{DType, Space};
use crate::value::Value;
use gymnasium_rs::core::{Env as GymEnv, Info as GymInfo, Options as GymOptions, Reward, Space as GymSpace};
use ndarray::{Array1, Array3};

/// A limbic environment behind `gymnasium_rs::core::Env`.
pub struct GymnasiumRsEnv {
    env: Box<dyn Env>,
    obs: Vec<f32>,
    observation_space: GymSpace,
    action_space: GymSpace,
}

impl GymnasiumRsEnv {
    /// Wraps `env`; its observations must flatten to numbers and its actions be Discrete or a
    /// float32 Box.
    pub fn new(env: Box<dyn Env>) -> Result<Self> {
        let dim = env.observation_space().flat_dim()?;
        let observation_space = GymSpace::Box {
            low: Array1::from_elem(dim, f32::NEG_INFINITY),
            high: Array1::from_elem(dim, f32::INFINITY),
        };
        let action_space = match env.action_space() {
            Space::Discrete { n, start: 0 } => GymSpace::Discrete(*n as i32),
            Space::Box(b) if b.dtype == DType::Float32 && b.shape.len() == 1 => GymSpace::Box {
                low: b.low.iter().map(|&x| x as f32).collect(),
                high: b.high.iter().map(|&x| x as f32).collect(),
            },
            other => {
                return Err(EnvError::Unsupported(format!(
                    "gymnasium-rs has no equivalent of the action space {}",
                    other.describe()
                )))
            }
        };
        Ok(GymnasiumRsEnv { env, obs: vec![0.0; dim], observation_space, action_space })
    }

    fn reset_inner(&mut self, seed: Option<i32>, options: GymOptions) -> (Array1<f32>, GymInfo) {
        let mut info = GymInfo::new();
        let outcome = match seed.map(u64::try_from).transpose() {
            Ok(seed) => {
                let options: Options = options.into_iter().collect();
                self.env
                    .reset(seed, &options)
                    .and_then(|(v, _)| self.env.observation_space().flatten_into(&v, &mut self.obs))
            }
            Err(_) => Err(EnvError::BadOption { key: "seed".into(), message: "must not be negative".into() }),
        };
        if let Err(e) = outcome {
            info.insert("error".into(), e.to_string().into());
        }
        (Array1::from_vec(self.obs.clone()), info)
    }

    fn step_inner(&mut self, action: Value) -> (Array1<f32>, Reward, bool, bool, GymInfo) {
        let mut info = GymInfo::new();
        match self.env.step_into(&action, &mut self.obs) {
            Ok(t) => (Array1::from_vec(self.obs.clone()), t.reward as Reward, t.terminated, t.truncated, info),
            Err(e) => {
                info.insert("error".into(), e.to_string().into());
                (Array1::from_vec(self.obs.clone()), 0.0, false, true, info)
            }
        }
    }

    fn render_inner(&self) -> Option<Array3<u8>> {
        let frame = self.env.render().ok()?;
        Array3::from_shape_vec((frame.height, frame.width, 3), frame.pixels).ok()
    }
}

impl GymEnv<Array1<f32>, i32> for GymnasiumRsEnv {
    fn observation_space(&self) -> GymSpace {
        self.observation_space.clone()
    }
    fn action_space(&self) -> GymSpace {
        self.action_space.clone()
    }
    fn reset(&mut self, seed: Option<i32>, options: GymOptions) -> (Array1<f32>, GymInfo) {
        self.reset_inner(seed, options)
    }
    fn step(&mut self, action: i32) -> (Array1<f32>, Reward, bool, bool, GymInfo) {
        self.step_inner(Value::Int(action as i64))
    }
    fn render(&self) -> Option<Array3<u8>> {
        self.render_inner()
    }
    fn close(&mut self) {}
}

impl GymEnv<Array1<f32>, Array1<f32>> for GymnasiumRsEnv {
    fn observation_space(&self) -> GymSpace {
        self.observation_space.clone()
    }
    fn action_space(&self) -> GymSpace {
        self.action_space.clone()
    }
    fn reset(&mut self, seed: Option<i32>, options: GymOptions) -> (Array1<f32>, GymInfo) {
        self.reset_inner(seed, options)
    }
    fn step(&mut self, action: Array1<f32>) -> (Array1<f32>, Reward, bool, bool, GymInfo) {
        self.step_inner(Value::F32(action.to_vec()))
    }
    fn render(&self) -> Option<Array3<u8>> {
        self.render_inner()
    }
    fn close(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{make, Kwargs};

    #[test]
    fn drives_limbic_cartpole_through_the_gymnasium_rs_trait() {
        let mut env = GymnasiumRsEnv::new(make("CartPole-v1", &Kwargs::new()).unwrap()).unwrap();
        let (obs, info) = GymEnv::<Array1<f32>, i32>::reset(&mut env, Some(0), GymOptions::new());
        assert!(info.is_empty());
        assert_eq!(obs[0], 0.013_696_168_549_358_845_f64 as f32);
        let (_, reward, terminated, truncated, _) = GymEnv::<Array1<f32>, i32>::step(&mut env, 1);
        assert_eq!((reward, terminated, truncated), (1.0, false, false));
        let (_, _, _, truncated, info) = GymEnv::<Array1<f32>, i32>::step(&mut env, 7);
        assert!(truncated && info["error"].as_str().unwrap().contains("invalid action 7"));
    }
}
