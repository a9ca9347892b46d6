//! A user-defined environment, registered so `make` (and so every limbic tool) can build it.
//!
//! Run: `cargo run --release --example custom_env`

use limbic_environments::env::{check_action, check_option_keys};
use limbic_environments::registry::{register, EnvSpec, Kwargs};
use limbic_environments::rng::Generator;
use limbic_environments::{make, DType, Env, EnvError, Info, Options, Result, Space, Step, Value};
use serde_json::json;

/// A corridor of `length` cells: step left (0) or right (1); reaching the right end pays 1.
struct Corridor {
    length: i64,
    position: Option<i64>,
    rng: Generator,
    observation_space: Space,
    action_space: Space,
}

impl Corridor {
    fn new(length: i64) -> Result<Self> {
        if length < 2 {
            return Err(EnvError::BadKwarg {
                key: "length".into(),
                message: format!("must be at least 2, got {length}"),
            });
        }
        Ok(Corridor {
            length,
            position: None,
            rng: Generator::from_entropy(),
            observation_space: Space::uniform_box(0.0, 1.0, &[1], DType::Float32),
            action_space: Space::discrete(2),
        })
    }

    fn obs(&self, position: i64) -> Value {
        Value::F32(vec![position as f32 / (self.length - 1) as f32])
    }
}

impl Env for Corridor {
    fn observation_space(&self) -> &Space {
        &self.observation_space
    }
    fn action_space(&self) -> &Space {
        &self.action_space
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        check_option_keys(options, &[])?;
        if let Some(seed) = seed {
            self.rng = Generator::from_seed(seed);
        }
        let start = self.rng.integers(0, self.length - 1);
        self.position = Some(start);
        Ok((self.obs(start), Info::new()))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        check_action(&self.action_space, action)?;
        let position = self.position.ok_or(EnvError::NotReset)?;
        let moved = if action.as_int() == Some(1) { position + 1 } else { (position - 1).max(0) };
        self.position = Some(moved);
        let terminated = moved == self.length - 1;
        let reward = if terminated { 1.0 } else { 0.0 };
        Ok(Step { obs: self.obs(moved), reward, terminated, truncated: false, info: Info::new() })
    }
}

fn corridor_from_kwargs(kwargs: &Kwargs) -> Result<Box<dyn Env>> {
    let length = match kwargs.get("length") {
        None => 8,
        Some(v) => v.as_i64().ok_or_else(|| EnvError::BadKwarg {
            key: "length".into(),
            message: format!("expected an integer, got {v}"),
        })?,
    };
    Ok(Box::new(Corridor::new(length)?))
}

fn main() -> Result<()> {
    register(EnvSpec::new("Corridor-v0", corridor_from_kwargs).max_episode_steps(50).kwarg(
        "length",
        json!(8),
        "number of cells; the goal is the last one",
    ))?;
    let mut env = make("Corridor-v0", &Kwargs::from_iter([("length".to_string(), json!(5))]))?;
    let (mut obs, _) = env.reset(Some(0), &Options::new())?;
    println!("reset: {obs}");
    loop {
        let step = env.step(&Value::Int(1))?;
        obs = step.obs;
        println!("obs {obs}, reward {}, terminated {}", step.reward, step.terminated);
        if step.terminated || step.truncated {
            break;
        }
    }
    // Bad input is an error, never a panic.
    let err = make("Corridor-v0", &Kwargs::from_iter([("length".to_string(), json!(1))])).err();
    println!("length 1: {}", err.map_or("accepted?!".into(), |e| e.to_string()));
    Ok(())
}
