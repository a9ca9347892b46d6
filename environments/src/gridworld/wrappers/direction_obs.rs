//! DirectionObs: the direction from the agent to the goal (MiniGrid's `DirectionObsWrapper`).

use super::{dict_entry, set_entry, with_entry, Splice};
use crate::env::{Env, Info, Options, Step, Transition};
use crate::error::{EnvError, Result};
use crate::gridworld::grid::Pos;
use crate::gridworld::minigrid::GridEnv;
use crate::gridworld::object::ObjType;
use crate::render::Frame;
use crate::space::{DType, Space};
use crate::value::Value;
use crate::wrappers::{bad_param, check_buffer};
use std::f64::consts::{FRAC_PI_2, PI};

/// How the direction `(dx, dy)` from the agent to the goal is written (x right, y down).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectionType {
    /// `dy / dx`, signed infinity when `dx = 0`.
    Slope,
    /// `atan(dy / dx)`, in `[-pi/2, pi/2]`: opposite directions give the same value.
    Angle,
    /// `atan2(dy, dx)`, in `[-pi, pi]`.
    AngleAtan2,
}

impl DirectionType {
    /// MiniGrid's names: `"slope"`, `"angle"`, `"angle_atan2"`.
    pub fn from_name(name: &str) -> Result<DirectionType> {
        match name {
            "slope" => Ok(DirectionType::Slope),
            "angle" => Ok(DirectionType::Angle),
            "angle_atan2" => Ok(DirectionType::AngleAtan2),
            other => Err(bad_param("type", format!("expected slope, angle or angle_atan2, got {other:?}"))),
        }
    }

    fn bound(self) -> f64 {
        match self {
            DirectionType::Slope => f64::INFINITY,
            DirectionType::Angle => FRAC_PI_2,
            DirectionType::AngleAtan2 => PI,
        }
    }

    /// The direction of `(dx, dy)`; 0 at the goal.
    fn of(self, dx: i32, dy: i32) -> f64 {
        let (x, y) = (dx as f64, dy as f64);
        if dx == 0 && dy == 0 {
            return 0.0;
        }
        let slope = if dx == 0 { f64::INFINITY.copysign(y) } else { y / x };
        match self {
            DirectionType::Slope => slope,
            DirectionType::Angle => slope.atan(),
            DirectionType::AngleAtan2 => y.atan2(x),
        }
    }
}

/// Adds `goal_direction` (a float64 scalar, Box of shape `[]`) to the Dict observation: the
/// direction from the agent to the goal found at reset (the first `Goal` in row-major order; a
/// layout without one is an error).
pub struct DirectionObs<E> {
    env: E,
    kind: DirectionType,
    goal: Pos,
    space: Space,
    flat: Space,
    splice: Splice,
    inner_row: Vec<f32>,
}

impl<E: GridEnv> DirectionObs<E> {
    /// `env` must have a Dict observation.
    pub fn new(env: E, kind: DirectionType) -> Result<Self> {
        let bound = kind.bound();
        let direction = Space::uniform_box(-bound, bound, &[], DType::Float64);
        dict_entry(env.observation_space(), "image", "DirectionObs")?;
        let space = with_entry(env.observation_space(), "goal_direction", direction.clone())?;
        let (splice, flat) = Splice::new(env.flat_space(), "goal_direction", &direction)?;
        Ok(DirectionObs { inner_row: splice.inner_row(), env, kind, goal: (0, 0), space, flat, splice })
    }

    /// Where the goal was found at the last reset.
    pub fn goal_position(&self) -> Pos {
        self.goal
    }

    pub fn into_inner(self) -> E {
        self.env
    }

    /// Finds the goal of the layout just generated.
    fn find_goal(&mut self) -> Result<()> {
        let grid = &self.env.world().grid;
        let mut cells = (0..grid.height()).flat_map(|y| (0..grid.width()).map(move |x| (x, y)));
        self.goal = cells
            .find(|&p| grid.get(p).kind == ObjType::Goal)
            .ok_or_else(|| EnvError::Unsupported("DirectionObs requires an environment with a Goal object".into()))?;
        Ok(())
    }

    fn direction(&self) -> f64 {
        let agent = self.env.world().agent_pos;
        self.kind.of(self.goal.0 - agent.0, self.goal.1 - agent.1)
    }

    fn observe(&self, obs: &mut Value) -> Result<()> {
        set_entry(obs, "goal_direction", Value::F64(vec![self.direction()]))
    }

    fn write_row(&self, out: &mut [f32]) {
        let (_, direction) = self.splice.apply(&self.inner_row, out);
        direction[0] = self.direction() as f32;
    }
}

impl<E: GridEnv> Env for DirectionObs<E> {
    fn observation_space(&self) -> &Space {
        &self.space
    }
    fn action_space(&self) -> &Space {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>, options: &Options) -> Result<(Value, Info)> {
        let (mut obs, info) = self.env.reset(seed, options)?;
        self.find_goal()?;
        self.observe(&mut obs)?;
        Ok((obs, info))
    }
    fn step(&mut self, action: &Value) -> Result<Step> {
        let mut step = self.env.step(action)?;
        self.observe(&mut step.obs)?;
        Ok(step)
    }
    fn render(&self) -> Result<Frame> {
        self.env.render()
    }
    fn render_fps(&self) -> u32 {
        self.env.render_fps()
    }
    fn flat_space(&self) -> &Space {
        &self.flat
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<()> {
        check_buffer(obs, &self.flat)?;
        self.env.reset_into(seed, &mut self.inner_row)?;
        self.find_goal()?;
        self.write_row(obs);
        Ok(())
    }
    fn step_into(&mut self, action: &Value, obs: &mut [f32]) -> Result<Transition> {
        check_buffer(obs, &self.flat)?;
        let t = self.env.step_into(action, &mut self.inner_row)?;
        self.write_row(obs);
        Ok(t)
    }
}

forward_grid_env!(DirectionObs);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_follow_minigrid_s_formulas() {
        use DirectionType::*;
        assert_eq!(Slope.of(2, 1), 0.5);
        assert_eq!(Slope.of(0, -3), f64::NEG_INFINITY);
        assert_eq!(Slope.of(0, 0), 0.0);
        assert_eq!(Angle.of(0, 2), FRAC_PI_2);
        assert_eq!(Angle.of(-1, -1), Angle.of(1, 1));
        assert_eq!(AngleAtan2.of(-1, 0), PI);
        assert!(DirectionType::from_name("bearing").is_err());
    }
}
