//! The main job on its embedded default: until training lands, the environments at work.

use anyhow::Result;
use limbic_environments::render::save_gif;
use limbic_environments::{make, registry, Env, Kwargs, Options, Value};
use std::path::Path;

const DEMO_ENV: &str = "CartPole-v1";
const DEMO_GIF: &str = "limbic-demo.gif";

pub fn run() -> Result<()> {
    println!(
        "limbic {}: {} environments registered (`limbic envs` lists them).",
        env!("CARGO_PKG_VERSION"),
        registry::specs().len()
    );
    let mut env = make(DEMO_ENV, &Kwargs::new())?;
    let (obs, _) = env.reset(Some(0), &Options::new())?;
    let mut state = obs.as_f32().map(<[f32]>::to_vec).unwrap_or_default();
    let mut frames = vec![env.render()?];
    let (mut total, mut steps) = (0.0, 0);
    loop {
        let action = Value::Int(balance(&state));
        let step = env.step(&action)?;
        total += step.reward;
        steps += 1;
        state = step.obs.as_f32().map(<[f32]>::to_vec).unwrap_or_default();
        if steps % 5 == 0 {
            frames.push(env.render()?);
        }
        if step.terminated || step.truncated {
            let how = if step.truncated { "truncated at the time limit" } else { "terminated" };
            println!(
                "{DEMO_ENV}, seed 0, a hand-written balancing controller: return {total} in {steps} steps ({how})."
            );
            break;
        }
    }
    save_gif(&frames, env.render_fps() / 5, Path::new(DEMO_GIF))?;
    println!(
        "Wrote {} frames to {DEMO_GIF}. Next: `limbic rollout --env {DEMO_ENV} --seed 0 --steps 5`.",
        frames.len()
    );
    Ok(())
}

/// Push toward the side the pole is falling to, with a little damping of the cart.
fn balance(obs: &[f32]) -> i64 {
    let [x, x_dot, theta, theta_dot] = [0, 1, 2, 3].map(|i| obs.get(i).copied().unwrap_or(0.0));
    i64::from(theta + 0.5 * theta_dot + 0.01 * x + 0.05 * x_dot > 0.0)
}
