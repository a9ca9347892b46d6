//! What a run's world model imagines (`limbic dream`): a real episode beside the model's
//! open-loop prediction of it.
//!
//! The run's policy plays one episode (deterministic actions, reset with the given seed). The
//! model sees the first `context` observations (filtering, as when acting); from then on it
//! only gets the episode's actions and predicts every later observation from its own prior
//! (open loop, nothing observed). Each predicted observation is decoded and drawn with the
//! env's own renderer (classic control from the decoded state; MiniGrid's agent view from the
//! decoded object/colour/state indices, beside the real view), and the per-step error
//! (squared error per dimension, or the fraction of the view's cells predicted wrong) is
//! plotted under the pictures: a reviewer sees at a glance whether the model understood the
//! world.

use crate::plot;
use anyhow::{bail, Context, Result};
use limbic_agents::policies::Actor;
use limbic_agents::runner::EnvRunner;
use limbic_agents::world_model::{ActionInput, ObsCoding};
use limbic_agents::Algorithm;
use limbic_environments::gridworld::render::render_encoded_view;
use limbic_environments::render::classic;
use limbic_environments::vector::VecEnv;
use limbic_environments::{Frame, Kwargs};

/// One dreamed episode.
pub struct Dream {
    pub coding: ObsCoding,
    /// Observations the model saw before predicting on its own.
    pub context: usize,
    /// `o_0 .. o_T` as the env gave them.
    pub real: Vec<Vec<f32>>,
    /// The model's `o_0 .. o_T`: reconstructions within the context, open-loop predictions
    /// after it.
    pub predicted: Vec<Vec<f32>>,
    /// The error of each predicted observation.
    pub errors: Vec<f64>,
    /// The env's pictures of `o_0 .. o_T`.
    pub frames: Vec<Frame>,
    pub fps: u32,
}

impl Dream {
    /// Mean error over the open-loop steps (after the context), if any.
    pub fn open_loop_error(&self) -> Option<f64> {
        let open = &self.errors[self.context.min(self.errors.len())..];
        (!open.is_empty()).then(|| open.iter().sum::<f64>() / open.len() as f64)
    }
}

/// Plays one episode of `env` (reset with `seed`, at most `steps` steps) with `algo`'s policy
/// and has its world model predict it open loop after `context` observations.
pub fn dream(
    algo: &dyn Algorithm,
    env: &str,
    kwargs: &Kwargs,
    seed: u64,
    steps: usize,
    context: usize,
) -> Result<Dream> {
    let Some(model) = algo.world_model() else {
        bail!("this run's algorithm ({}) has no world model to dream with; train one with --algo dreamer", algo.name());
    };
    let mut envs = VecEnv::make(env, 1, kwargs)?;
    let coding = model.coding;
    if envs.obs_dim() != coding.obs_dim() {
        bail!(
            "the run's world model reads observations of {} numbers, {env}'s have {}",
            coding.obs_dim(),
            envs.obs_dim()
        );
    }
    let actions = ActionInput::for_space(envs.action_space())?;
    envs.reset(Some(seed))?;
    let mut frames = vec![envs.envs()[0].render()?];
    let fps = envs.envs()[0].render_fps().clamp(1, 15);
    let mut actor = Actor::new(algo.policy()?, 1, seed).deterministic(true);
    let mut runner = EnvRunner::default();
    let (mut real, mut taken, mut last) = (Vec::new(), Vec::new(), None);
    for _ in 0..steps.max(1) {
        let step = runner.step(&mut envs, &mut actor).context("playing the episode")?;
        real.push(step.raw_obs.clone());
        let mut encoded = vec![0.0f32; actions.width()];
        actions.encode(&step.acted.actions, &mut encoded)?;
        taken.push(encoded);
        frames.push(envs.envs()[0].render()?);
        last = Some(step.next_obs.clone());
        if step.done(0) {
            break;
        }
    }
    real.extend(last);
    let predicted = model.open_loop(&real, &taken, context)?;
    let errors = real.iter().zip(&predicted).map(|(r, p)| coding.error(p, r)).collect();
    Ok(Dream { coding, context: context.min(real.len()), real, predicted, errors, frames, fps })
}

/// An observation row of `env` drawn with the env's own renderer: classic control from the
/// state it holds, MiniGrid's agent view from its image.
pub fn render_observation(env: &str, coding: ObsCoding, obs: &[f32]) -> Result<Frame> {
    let x = |i: usize| obs.get(i).copied().unwrap_or(0.0) as f64;
    let angle = |cos: usize| x(cos + 1).atan2(x(cos));
    Ok(match coding {
        ObsCoding::MiniGrid { view } => {
            let image: Vec<u8> = obs[4..].iter().map(|&v| v.clamp(0.0, 255.0) as u8).collect();
            render_encoded_view(&image, view, 32)?
        }
        ObsCoding::Vector { dim } => match env {
            _ if env.starts_with("CartPole-") && dim == 4 => classic::cartpole(&[x(0), x(1), x(2), x(3)]),
            _ if env.starts_with("Acrobot-") && dim == 6 => classic::acrobot(&[angle(0), angle(2), x(4), x(5)]),
            _ if env.starts_with("Pendulum-") && dim == 3 => classic::pendulum(angle(0), None),
            _ if env.starts_with("MountainCarContinuous-") && dim == 2 => classic::mountain_car(x(0), 0.45),
            _ if env.starts_with("MountainCar-") && dim == 2 => classic::mountain_car(x(0), 0.5),
            _ => bail!(
                "dream draws observations of CartPole, Acrobot, Pendulum, MountainCar(Continuous) and MiniGrid; \
                 {env}'s it cannot draw"
            ),
        },
    })
}

/// The GIF's frames: for each step the real picture and the model's, labelled, over the error
/// curve with the step marked.
pub fn frames(dream: &Dream, env: &str) -> Result<Vec<Frame>> {
    let mut out = Vec::with_capacity(dream.real.len());
    for t in 0..dream.real.len() {
        let phase = if t < dream.context {
            format!("model, step {t}: filtering (sees the observation)")
        } else {
            format!("model, step {t}: open loop, {} steps ahead", t + 1 - dream.context)
        };
        let mut panels = Vec::new();
        let real_frame = shrink(&dream.frames[t.min(dream.frames.len() - 1)]);
        panels.push(plot::caption(&real_frame, &format!("real, step {t}"))?);
        if let ObsCoding::MiniGrid { .. } = dream.coding {
            let seen = render_observation(env, dream.coding, &dream.real[t])?;
            panels.push(plot::caption(&seen, "what the agent saw")?);
        }
        let predicted = shrink(&render_observation(env, dream.coding, &dream.predicted[t])?);
        panels.push(plot::caption(&predicted, &phase)?);
        let top = hstack(&panels);
        let strip = plot::error_strip(&dream.errors, t, dream.context, top.width, error_label(dream.coding))?;
        out.push(vstack(&[top, strip]));
    }
    Ok(out)
}

/// The y label of the error curve.
pub fn error_label(coding: ObsCoding) -> &'static str {
    match coding {
        ObsCoding::Vector { .. } => "squared error per dimension",
        ObsCoding::MiniGrid { .. } => "fraction of cells wrong",
    }
}

/// Halves pictures wider than 400 pixels (classic control's 600), averaging 2 x 2 pixels.
fn shrink(frame: &Frame) -> Frame {
    if frame.width <= 400 {
        return frame.clone();
    }
    let (width, height) = (frame.width / 2, frame.height / 2);
    let mut pixels = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        for x in 0..width {
            for c in 0..3 {
                let sum: u32 = [(0, 0), (1, 0), (0, 1), (1, 1)]
                    .iter()
                    .map(|(dx, dy)| frame.pixels[((2 * y + dy) * frame.width + 2 * x + dx) * 3 + c] as u32)
                    .sum();
                pixels.push((sum / 4) as u8);
            }
        }
    }
    Frame { width, height, pixels }
}

/// Pictures side by side on white, top-aligned, 8 pixels apart.
fn hstack(frames: &[Frame]) -> Frame {
    const GAP: usize = 8;
    let width = frames.iter().map(|f| f.width).sum::<usize>() + GAP * frames.len().saturating_sub(1);
    let height = frames.iter().map(|f| f.height).max().unwrap_or(0);
    let mut out = Frame::filled(width, height, [255, 255, 255]);
    let mut left = 0;
    for frame in frames {
        for y in 0..frame.height {
            let src = &frame.pixels[y * frame.width * 3..(y + 1) * frame.width * 3];
            let at = (y * width + left) * 3;
            out.pixels[at..at + src.len()].copy_from_slice(src);
        }
        left += frame.width + GAP;
    }
    out
}

/// Pictures one above the other on white, left-aligned.
fn vstack(frames: &[Frame]) -> Frame {
    let width = frames.iter().map(|f| f.width).max().unwrap_or(0);
    let height = frames.iter().map(|f| f.height).sum();
    let mut out = Frame::filled(width, height, [255, 255, 255]);
    let mut top = 0;
    for frame in frames {
        for y in 0..frame.height {
            let src = &frame.pixels[y * frame.width * 3..(y + 1) * frame.width * 3];
            let at = ((top + y) * width) * 3;
            out.pixels[at..at + src.len()].copy_from_slice(src);
        }
        top += frame.height;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_are_drawn_with_the_envs_renderers() {
        let cartpole = render_observation("CartPole-v1", ObsCoding::Vector { dim: 4 }, &[0.1, 0.0, 0.05, 0.0]).unwrap();
        assert_eq!(cartpole, classic::cartpole(&[0.1f32 as f64, 0.0, 0.05f32 as f64, 0.0]));
        let pendulum = render_observation("Pendulum-v1", ObsCoding::Vector { dim: 3 }, &[0.0, 1.0, 0.0]).unwrap();
        assert_eq!(pendulum, classic::pendulum(std::f64::consts::FRAC_PI_2, None));
        let error = render_observation("popgym-AutoencodeEasy-v0", ObsCoding::Vector { dim: 4 }, &[0.0; 4]);
        assert!(error.unwrap_err().to_string().contains("cannot draw"));
        let mut row = vec![0.0f32; 4 + 49 * 3];
        row[4 + 3 * 24] = 2.0; // a wall in the middle of the view
        let view = render_observation("MiniGrid-Empty-5x5-v0", ObsCoding::MiniGrid { view: 7 }, &row).unwrap();
        assert_eq!((view.width, view.height), (7 * 32, 7 * 32));
    }

    #[test]
    fn stacks_pad_with_white() {
        let a = Frame::filled(2, 1, [0, 0, 0]);
        let b = Frame::filled(1, 2, [9, 9, 9]);
        let side = hstack(&[a.clone(), b.clone()]);
        assert_eq!((side.width, side.height), (2 + 8 + 1, 2));
        assert_eq!((side.pixel(0, 1), side.pixel(10, 1)), ([255, 255, 255], [9, 9, 9]));
        let column = vstack(&[a, b]);
        assert_eq!((column.width, column.height), (2, 3));
        assert_eq!((column.pixel(1, 2), column.pixel(0, 2)), ([255, 255, 255], [9, 9, 9]));
        let big = Frame::filled(600, 400, [10, 20, 30]);
        assert_eq!(shrink(&big), Frame::filled(300, 200, [10, 20, 30]));
    }
}
