//! Dreamer's cost per gradient step, broken into its parts: the world model's step, the
//! imagined rollout, and the actor and critic steps on it.
//!
//! ```text
//! cargo bench --bench dreamer_speed -- [--batch-size 16] [--seq-len 64] [--imag-starts 0]
//!     [--deter 256] [--units 128] [--layers 2] [--steps 10] [--json]
//! ```
//!
//! (or, after `cargo build --release --all-targets`, the binary it built:
//! `$CARGO_TARGET_DIR/release/deps/dreamer_speed-*` with the same flags).
//!
//! ```text
//! ```
//!
//! Builds the pieces `--algo dreamer` uses, for CartPole's spaces, fills the sequence replay
//! with random transitions (the cost does not depend on what they are), then times `--steps`
//! gradient steps after two warm-up steps: `WorldModelLearner::train_step` (the model: RSSM
//! over `batch-size x seq-len` chunks, decoder, heads, backward, Adam), `imagine` (the horizon
//! of 15 steps from every start, no gradients) and `Behavior::train` minus its imagination
//! (values, lambda-returns, the actor's and the critic's losses, backward, Adam, the slow
//! critic). Medians in milliseconds.

use burn::prelude::*;
use limbic_agents::learners::dreamer::behavior::{imagine, ActorKind, ActorNet, Behavior, BehaviorConfig, CriticNet};
use limbic_agents::nets::blocks::Trainer;
use limbic_agents::world_model::{ReplaySettings, WorldModelConfig, WorldModelLearner};
use limbic_environments::rng::Generator;
use limbic_environments::{DType, Space};
use serde_json::json;
use std::time::Instant;

/// The flags (see the module docs); `units` is the hidden width of every network.
struct Args {
    batch_size: usize,
    seq_len: usize,
    imag_starts: usize,
    deter: usize,
    units: usize,
    layers: usize,
    steps: usize,
    json: bool,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let mut args = Args {
            batch_size: 16,
            seq_len: 64,
            imag_starts: 0,
            deter: 256,
            units: 128,
            layers: 2,
            steps: 10,
            json: false,
        };
        let mut given = std::env::args().skip(1);
        while let Some(flag) = given.next() {
            let field = match flag.as_str() {
                "--json" => {
                    args.json = true;
                    continue;
                }
                "--bench" => continue,
                "--batch-size" => &mut args.batch_size,
                "--seq-len" => &mut args.seq_len,
                "--imag-starts" => &mut args.imag_starts,
                "--deter" => &mut args.deter,
                "--units" => &mut args.units,
                "--layers" => &mut args.layers,
                "--steps" => &mut args.steps,
                other => return Err(format!("unknown flag {other}")),
            };
            let value = given.next().ok_or(format!("{flag} needs a value"))?;
            *field = value.parse().map_err(|e| format!("{flag} {value}: {e}"))?;
        }
        if args.steps == 0 {
            return Err("--steps must be at least 1".into());
        }
        Ok(args)
    }
}

fn median(mut x: Vec<f64>) -> f64 {
    x.sort_by(f64::total_cmp);
    x[x.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse()?;
    let wm = WorldModelConfig { deter: args.deter, units: args.units, layers: args.layers, ..Default::default() };
    let settings = ReplaySettings {
        buffer_size: 100_000,
        batch_size: args.batch_size,
        seq_len: args.seq_len,
        train_ratio: 512.0,
        learning_starts: 0,
    };
    let obs_space = Space::uniform_box(-5.0, 5.0, &[4], DType::Float32);
    let mut learner = WorldModelLearner::new(&wm, &settings, &obs_space, &Space::discrete(2), 1, 0)?;
    let mut rng = Generator::from_seed(1);
    let mut obs: Vec<f32> = (0..4).map(|_| rng.uniform(-0.05, 0.05) as f32).collect();
    for t in 0..4096 {
        let next: Vec<f32> = obs.iter().map(|x| x + rng.uniform(-0.1, 0.1) as f32).collect();
        let terminated = t % 50 == 49;
        learner.add(0, &obs, &[rng.integers(0, 2) as f32], 1.0, &next, terminated, false)?;
        obs = if terminated { (0..4).map(|_| rng.uniform(-0.05, 0.05) as f32).collect() } else { next };
    }
    let device = Device::flex().autodiff();
    let features = learner.trainable().dims().features();
    let kind = ActorKind::Discrete { n: 2 };
    let actor = ActorNet::new(kind, features, args.units, args.layers, &mut rng, &device);
    let critic = CriticNet::new(features, args.units, args.layers, &mut rng, &device);
    let config = BehaviorConfig {
        horizon: 15,
        gamma: 1.0 - 1.0 / 333.0,
        lambda: 0.95,
        entropy_coef: 3e-4,
        slow_fraction: 0.02,
        slowreg: 1.0,
        return_norm_decay: 0.99,
        imag_starts: args.imag_starts,
        continuous_grad: Default::default(),
    };
    let mut behavior = Behavior::new(
        config,
        Trainer::with_adam(actor, 3e-5, 1e-5, Some(100.0)),
        Trainer::with_adam(critic, 3e-5, 1e-5, Some(100.0)),
    );

    let (mut model_ms, mut imagine_ms, mut actor_critic_ms) = (Vec::new(), Vec::new(), Vec::new());
    for step in 0..args.steps + 2 {
        let start = Instant::now();
        let Some(trained) = learner.train_step(step as u64)? else { return Err("the replay holds too little".into()) };
        let model_time = start.elapsed().as_secs_f64() * 1e3;
        let rows = trained.batch.rows();
        let k = if args.imag_starts == 0 { rows } else { args.imag_starts.min(rows) };
        let deter = trained.observed.deter.detach().inner().narrow(0, 0, k);
        let stoch = trained.observed.stoch.detach().inner().narrow(0, 0, k);
        let conts = vec![1.0f32; k];
        let model = learner.model().clone();
        let trainable = learner.trainable().clone();
        let start = Instant::now();
        let actor = behavior.actor.inference().clone();
        imagine(&model, &actor, (deter.clone(), stoch.clone()), &conts, 15, &mut rng)?;
        let imagine_time = start.elapsed().as_secs_f64() * 1e3;
        let start = Instant::now();
        behavior.train(&model, &trainable, (deter, stoch), &conts, &mut rng, step as u64)?;
        let behavior_time = start.elapsed().as_secs_f64() * 1e3;
        if step >= 2 {
            model_ms.push(model_time);
            imagine_ms.push(imagine_time);
            actor_critic_ms.push(behavior_time - imagine_time);
        }
    }
    let (model, imagination, actor_critic) = (median(model_ms), median(imagine_ms), median(actor_critic_ms));
    let total = model + imagination + actor_critic;
    if args.json {
        let figures = json!({"batch_size": args.batch_size, "seq_len": args.seq_len, "imag_starts": args.imag_starts,
            "deter": args.deter, "units": args.units, "layers": args.layers, "model_ms": model,
            "imagination_ms": imagination, "actor_critic_ms": actor_critic, "total_ms": total});
        println!("{figures}");
    } else {
        println!(
            "batch {} x {}, imagination starts {}, deter {}, units {} x {}: per gradient step (median of {})",
            args.batch_size, args.seq_len, args.imag_starts, args.deter, args.units, args.layers, args.steps
        );
        for (part, ms) in [("world model", model), ("imagination", imagination), ("actor + critic", actor_critic)] {
            println!("  {part:<15} {ms:8.1} ms  {:5.1}%", 100.0 * ms / total);
        }
        println!("  {:<15} {total:8.1} ms  ({:.2} gradient steps/s)", "total", 1e3 / total);
    }
    Ok(())
}
